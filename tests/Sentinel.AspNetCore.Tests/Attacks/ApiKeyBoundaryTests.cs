using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.ApiKeys;
using Sentinel.AspNetCore.Authentication;
using Sentinel.Audit;
using Xunit;

namespace Sentinel.AspNetCore.Tests.Attacks;

/// <summary>
/// SECURITY K5: a key is a credential only where an endpoint asks for a scope or opts in; everywhere else (a plain
/// <c>RequireAuthorization()</c>, Sentinel's own routes, anonymous endpoints) it is not even read.
/// </summary>
public sealed class ApiKeyBoundaryTests : IAsyncLifetime
{
    private SentinelTestHost _host = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _host = await SentinelTestHost.StartAsync(
        o =>
        {
            o.ApiKeys.Scopes.Add("reports:read", "Read reports");
            o.ApiKeys.MaxKeysPerUser = 2;
        },
        app =>
        {
            app.MapGet("/public", () => TypedResults.Ok("public"));
            app.MapGet("/scoped", () => TypedResults.Ok("scoped")).RequireAuthorization(p => p.RequireScope("reports:read"));
            app.MapGet("/named", () => TypedResults.Ok("named")).RequireAuthorization("reports");
            app.MapGet("/by-scheme", () => TypedResults.Ok("by-scheme"))
                .RequireAuthorization(p => p.AddAuthenticationSchemes(SentinelAuthenticationDefaults.ApiKeyScheme).RequireAuthenticatedUser());
        },
        services => services.AddAuthorizationBuilder().AddPolicy("reports", p => p.RequireScope("reports:read")));

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private async Task<(string AccessToken, string Key, string KeyId)> KeyAsync()
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        var created = await (await _host.PostAsync("/auth/api-keys", new { name = "ci", scopes = new[] { "reports:read" } }, tokens.AccessToken))
            .Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (tokens.AccessToken, created.GetProperty("key").GetString()!, created.GetProperty("id").GetString()!);
    }

    private async Task<HttpResponseMessage> WithKeyAsync(HttpMethod method, string path, string key, bool authorizationHeader = false)
    {
        using var request = new HttpRequestMessage(method, path);
        if (authorizationHeader)
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"ApiKey {key}");
        }
        else
        {
            request.Headers.Add("X-Api-Key", key);
        }

        return await _host.Client.SendAsync(request, Ct);
    }

    [Fact]
    public async Task K5_AValidKey_IsNoCredential_OnAPlainRequireAuthorization_NorOnAnySentinelRoute()
    {
        var (_, key, keyId) = await KeyAsync();

        foreach (var header in new[] { false, true })
        {
            var plain = await WithKeyAsync(HttpMethod.Get, "/protected", key, header);
            plain.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "a bearer-only endpoint never answers to a key");
            plain.Headers.WwwAuthenticate.Should().Contain(h => h.Scheme == "Bearer");
        }

        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "/auth/me"), (HttpMethod.Get, "/auth/api-keys"), (HttpMethod.Post, "/auth/api-keys"),
            (HttpMethod.Post, $"/auth/api-keys/{keyId}/rotate"), (HttpMethod.Delete, $"/auth/api-keys/{keyId}"),
            (HttpMethod.Get, "/auth/sessions"), (HttpMethod.Post, "/auth/logout/all"), (HttpMethod.Get, "/auth/audit/me"),
            (HttpMethod.Post, "/auth/mfa/totp/setup"), (HttpMethod.Get, "/auth/passkeys"), (HttpMethod.Post, "/auth/passkeys/register/options"),
            (HttpMethod.Post, "/auth/passkeys/register"), (HttpMethod.Delete, $"/auth/passkeys/{Guid.NewGuid()}"),
            (HttpMethod.Patch, $"/auth/passkeys/{Guid.NewGuid()}"), (HttpMethod.Post, "/auth/reauthenticate"),
        })
        {
            (await WithKeyAsync(method, path, key)).StatusCode.Should().Be(HttpStatusCode.Unauthorized, $"{method} {path} is Sentinel's own");
        }

        (await WithKeyAsync(HttpMethod.Get, "/scoped", key)).StatusCode.Should().Be(HttpStatusCode.OK, "the key itself is fine");
    }

    [Fact]
    public async Task K5_AKeyAuthenticates_WhereAScopeIsRequired_InlineOrNamed_OrWhereTheEndpointOptsIn()
    {
        var (_, key, _) = await KeyAsync();
        foreach (var path in new[] { "/scoped", "/named", "/by-scheme", "/protected/keys-too" })
        {
            (await WithKeyAsync(HttpMethod.Get, path, key)).StatusCode.Should().Be(HttpStatusCode.OK, path);
            (await WithKeyAsync(HttpMethod.Get, path, key, authorizationHeader: true)).StatusCode.Should().Be(HttpStatusCode.OK, path);
        }

        var wrong = ApiKeyFormat.New(new ApiKeyOptions().Prefix);
        await (await WithKeyAsync(HttpMethod.Get, "/scoped", wrong)).ShouldBeProblemAsync(401, "invalid_api_key");
    }

    [Fact]
    public async Task K5_A5_AKeyWhereKeysAreNotAccepted_IsNotLookedUp_NorAudited()
    {
        // Well-formed keys with a good checksum: each would cost a store lookup and an apikey.rejected event if read.
        var before = (await _host.AuditAsync()).Count(e => e.Type == AuditEventTypes.ApiKeyRejected);
        for (var i = 0; i < 5; i++)
        {
            var unknown = ApiKeyFormat.New(new ApiKeyOptions().Prefix);
            (await WithKeyAsync(HttpMethod.Get, "/public", unknown)).StatusCode.Should().Be(HttpStatusCode.OK);
            (await WithKeyAsync(HttpMethod.Get, "/protected", unknown)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        (await _host.AuditAsync()).Count(e => e.Type == AuditEventTypes.ApiKeyRejected).Should().Be(before);

        // Where keys are accepted, the same key is looked up and refused, and that is audited.
        await (await WithKeyAsync(HttpMethod.Get, "/scoped", ApiKeyFormat.New(new ApiKeyOptions().Prefix))).ShouldBeProblemAsync(401, "invalid_api_key");
        (await _host.AuditAsync()).Count(e => e.Type == AuditEventTypes.ApiKeyRejected).Should().Be(before + 1);
    }

    [Fact]
    public async Task K5_AKeyWithoutScopes_CannotBeCreated()
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        var problem = await (await _host.PostAsync("/auth/api-keys", new { name = "none", scopes = Array.Empty<string>() }, tokens.AccessToken))
            .ShouldBeProblemAsync(400, "validation_failed");
        problem.GetProperty("errors").GetProperty("scopes")[0].GetString().Should().Contain("at least one scope");
        await (await _host.PostAsync("/auth/api-keys", new { name = "none" }, tokens.AccessToken)).ShouldBeProblemAsync(400, "validation_failed");

        (await (await _host.GetAsync("/auth/api-keys", tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct)).GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task K5_Rotation_RespectsThePerUserCap_AndAReplacedKeyCannotBeRotatedAgain()
    {
        var (accessToken, oldKey, oldId) = await KeyAsync(); // the cap is 2 here

        var rotated = await _host.PostAsync($"/auth/api-keys/{oldId}/rotate", null, accessToken);
        rotated.StatusCode.Should().Be(HttpStatusCode.Created);
        var newId = (await rotated.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        (await WithKeyAsync(HttpMethod.Get, "/scoped", oldKey)).StatusCode.Should().Be(HttpStatusCode.OK, "the old key works through its grace period");

        // Chaining: the replaced key cannot mint another live key.
        await (await _host.PostAsync($"/auth/api-keys/{oldId}/rotate", null, accessToken)).ShouldBeProblemAsync(404, "not_found");

        // The old key in its grace period and the new one fill the cap: rotating the new one would make three.
        var full = await (await _host.PostAsync($"/auth/api-keys/{newId}/rotate", null, accessToken)).ShouldBeProblemAsync(400, "validation_failed");
        full.GetProperty("detail").GetString().Should().NotBeNull();
        await (await _host.PostAsync("/auth/api-keys", new { name = "third", scopes = new[] { "reports:read" } }, accessToken)).ShouldBeProblemAsync(400, "validation_failed");

        (await _host.SendAsync(HttpMethod.Delete, $"/auth/api-keys/{oldId}", accessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _host.PostAsync($"/auth/api-keys/{newId}/rotate", null, accessToken)).StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task K5_TwoRotationsOfOneKeyAtOnce_IssueOneNewKey()
    {
        var (accessToken, _, keyId) = await KeyAsync();
        var both = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => _host.PostAsync($"/auth/api-keys/{keyId}/rotate", null, accessToken)));
        both.Count(r => r.StatusCode == HttpStatusCode.Created).Should().Be(1);
        (await (await _host.GetAsync("/auth/api-keys", accessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct)).GetArrayLength().Should().Be(2);
    }
}
