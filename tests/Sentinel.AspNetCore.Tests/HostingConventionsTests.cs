using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.AspNetCore.Authentication;
using Sentinel.SignIn;
using Sentinel.Users;

namespace Sentinel.AspNetCore.Tests;

/// <summary>
/// The ASP.NET Core conventions a host relies on: bearer events resolved through <c>EventsType</c> as with
/// JwtBearer, the host's own database errors left to the host, and each <c>MapSentinel*</c> group mapped alone.
/// </summary>
public sealed class HostingConventionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A host's events class, resolved from DI per request; adds a claim from a scoped service.</summary>
    private sealed class TenantEvents(TenantLookup tenants) : SentinelBearerEvents
    {
        public override Task TokenValidated(HttpContext context, ClaimsPrincipal principal)
        {
            ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim("tenant", tenants.Tenant));
            return base.TokenValidated(context, principal);
        }
    }

    private sealed class TenantLookup
    {
        public string Tenant => "acme";
    }

    private static void MapClaims(WebApplication app) =>
        app.MapGet("/tenant", (ClaimsPrincipal user) => user.FindFirst("tenant")?.Value ?? "none").RequireAuthorization();

    [Fact]
    public async Task BearerEventsType_IsResolvedFromTheContainer_AsWithJwtBearer()
    {
        await using var host = await SentinelTestHost.StartAsync(map: MapClaims, services: s => s
            .AddScoped<TenantLookup>()
            .AddScoped<TenantEvents>()
            .Configure<SentinelBearerOptions>(SentinelAuthenticationDefaults.BearerScheme, o => o.EventsType = typeof(TenantEvents)));
        var (_, tokens) = await host.SignUpAndLoginAsync();

        (await (await host.GetAsync("/tenant", tokens.AccessToken)).Content.ReadAsStringAsync(Ct)).Should().Be("acme");
    }

    [Fact]
    public async Task BearerEventDelegate_StillRuns_WithoutAnEventsType()
    {
        await using var host = await SentinelTestHost.StartAsync(map: MapClaims, services: s => s
            .Configure<SentinelBearerOptions>(SentinelAuthenticationDefaults.BearerScheme, o => o.Events.OnTokenValidated = (_, principal) =>
            {
                ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim("tenant", "globex"));
                return Task.CompletedTask;
            }));
        var (_, tokens) = await host.SignUpAndLoginAsync();

        (await (await host.GetAsync("/tenant", tokens.AccessToken)).Content.ReadAsStringAsync(Ct)).Should().Be("globex");
    }

    private static void MapFailingHostEndpoint(WebApplication app) =>
        app.MapGet("/orders", new Func<IResult>(() => throw new SqliteException("the host's own table is missing", 1))).AllowAnonymous();

    [Fact]
    public async Task AHostEndpointsOwnDatabaseError_IsNotRewritten()
    {
        await using var host = await SentinelTestHost.StartAsync(map: MapFailingHostEndpoint);

        // The test server hands an unhandled exception to the caller: it reached the host's error handling as it is.
        await FluentActions.Awaiting(() => host.Client.GetAsync("/orders", Ct)).Should().ThrowAsync<SqliteException>();
    }

    [Fact]
    public async Task AHostEndpointsOwnDatabaseError_Answers503_WhenTheHostOptsIn()
    {
        await using var host = await SentinelTestHost.StartAsync(map: MapFailingHostEndpoint, middleware: o => o.AnswerStoreOutagesEverywhere = true);

        await (await host.Client.GetAsync("/orders", Ct)).ShouldBeProblemAsync(503, "service_unavailable");
    }

    /// <summary>Each group's mapping, and one route of it that a signed-in user gets a 2xx from.</summary>
    private static readonly Dictionary<string, (Action<IEndpointRouteBuilder> Map, HttpMethod Method, string Path)> Groups = new()
    {
        ["tokens"] = (e => e.MapSentinelTokens(), HttpMethod.Post, "/auth/logout"),
        ["account"] = (e => e.MapSentinelAccount(), HttpMethod.Get, "/auth/me"),
        ["mfa"] = (e => e.MapSentinelMfa(), HttpMethod.Get, "/auth/mfa"),
        ["apikeys"] = (e => e.MapSentinelApiKeys(), HttpMethod.Get, "/auth/api-keys"),
        ["audit"] = (e => e.MapSentinelAudit(), HttpMethod.Get, "/auth/audit/me"),
        ["jwks"] = (e => e.MapSentinelJwks(), HttpMethod.Get, "/.well-known/jwks.json"),
    };

    public static TheoryData<string> GroupNames => [.. Groups.Keys];

    [Theory]
    [MemberData(nameof(GroupNames))]
    public async Task EachGroup_MappedAlone_ServesItsRoutes_AndNoOthers(string group)
    {
        await using var host = await SentinelTestHost.StartAsync(mapSentinel: false, map: app => Groups[group].Map(app));
        var accessToken = await SignInThroughServicesAsync(host);

        foreach (var (name, (_, method, path)) in Groups)
        {
            var response = await host.SendAsync(method, path, accessToken);
            if (name == group)
            {
                response.IsSuccessStatusCode.Should().BeTrue($"{method} {path} is {group}'s: {await response.Content.ReadAsStringAsync(Ct)}");
            }
            else
            {
                response.StatusCode.Should().Be(HttpStatusCode.NotFound, $"{path} belongs to {name}, which is not mapped");
            }
        }
    }

    /// <summary>A user and an access token, made through the services, so no group needs to be mapped for it.</summary>
    private static async Task<string> SignInThroughServicesAsync(SentinelTestHost host)
    {
        await using var scope = host.App.Services.CreateAsyncScope();
        var email = SentinelTestHost.NewEmail();
        (await scope.ServiceProvider.GetRequiredService<UserService>().RegisterAsync(email, SentinelTestHost.Password, cancellationToken: Ct)).Succeeded.Should().BeTrue();
        var signedIn = await scope.ServiceProvider.GetRequiredService<SignInService>().PasswordSignInAsync(email, SentinelTestHost.Password, cancellationToken: Ct);
        return signedIn.Should().BeOfType<SignInResult.Success>().Which.Tokens.AccessToken;
    }
}
