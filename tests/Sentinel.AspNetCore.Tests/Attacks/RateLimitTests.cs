using Sentinel.RateLimiting;
using System.Net;
using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using System.Threading.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.AspNetCore.RateLimiting;
using Sentinel.Audit;

namespace Sentinel.AspNetCore.Tests;

/// <summary>Per-address limits on a real host (IPv6 per /64), as an abusive client meets them.</summary>
public sealed class RateLimitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<SentinelTestHost> StartAsync(Action<SentinelOptions> configure) => SentinelTestHost.StartAsync(
        o =>
        {
            o.RateLimits.Enabled = true;
            o.ApiKeys.Scopes.Add("reports:read", "Read reports");
            configure(o);
        },
        app => app.MapGet("/public", () => TypedResults.Ok("public")));

    private static Task<HttpResponseMessage> PostFromAsync(SentinelTestHost host, string ip, string path, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add(SentinelTestHost.ClientIpHeader, ip);
        return host.Client.SendAsync(request, Ct);
    }

    [Fact]
    public async Task CredentialStuffing_FromOneAddress_IsStoppedAcrossAccounts_OtherAddressesAreNot()
    {
        await using var host = await StartAsync(o => o.RateLimits.SignIn.PermitLimit = 3);
        using var telemetry = new HostTelemetry();
        telemetry.Listen(host.App.Services);
        for (var i = 0; i < 3; i++)
        {
            await (await PostFromAsync(host, "203.0.113.7", "/auth/login", new { email = SentinelTestHost.NewEmail(), password = "guess number one" }))
                .ShouldBeProblemAsync(401, "invalid_credentials");
        }

        var limited = await PostFromAsync(host, "203.0.113.7", "/auth/login", new { email = SentinelTestHost.NewEmail(), password = "guess number one" });
        await limited.ShouldBeProblemAsync(429, "rate_limited");
        limited.Headers.RetryAfter!.Delta.Should().BePositive();
        await (await PostFromAsync(host, "203.0.113.8", "/auth/login", new { email = SentinelTestHost.NewEmail(), password = "guess number one" }))
            .ShouldBeProblemAsync(401, "invalid_credentials");

        var events = await host.AuditAsync();
        events.Should().ContainSingle(e => e.Type == AuditEventTypes.RateLimitExceeded).Which.Should().Match<AuditEntry>(e =>
            e.IpAddress == "203.0.113.7" && e.Details["reason"] == "signin" && e.Outcome == AuditOutcome.Failure);
        telemetry.Sum("sentinel.rate_limit.rejections", ("policy", "signin")).Should().Be(1, "the sentinel.rate_limit.rejections counter is tagged with the policy");
    }

    [Fact]
    public async Task Ipv6Clients_ArePartitionedByTheir64()
    {
        await using var host = await StartAsync(o => o.RateLimits.Registration.PermitLimit = 2);
        (await PostFromAsync(host, "2001:db8:1:2::1", "/auth/register", new { email = SentinelTestHost.NewEmail(), password = SentinelTestHost.Password })).StatusCode.Should().Be(HttpStatusCode.Created);
        (await PostFromAsync(host, "2001:db8:1:2:ffff:ffff:ffff:fffe", "/auth/register", new { email = SentinelTestHost.NewEmail(), password = SentinelTestHost.Password })).StatusCode.Should().Be(HttpStatusCode.Created);

        await (await PostFromAsync(host, "2001:db8:1:2:abcd::9", "/auth/register", new { email = SentinelTestHost.NewEmail(), password = SentinelTestHost.Password }))
            .ShouldBeProblemAsync(429, "rate_limited");
        (await PostFromAsync(host, "2001:db8:1:3::1", "/auth/register", new { email = SentinelTestHost.NewEmail(), password = SentinelTestHost.Password })).StatusCode.Should().Be(HttpStatusCode.Created, "another /64 is another client");
    }

    [Fact]
    public async Task Ipv6_A56AndA48_ShareBudgets_SoALargeAllocationIsNotManyClients()
    {
        await using var host = await StartAsync(o =>
        {
            o.RateLimits.Registration.PermitLimit = 2;
            o.RateLimits.Ipv6Slash56Factor = 2; // a /56 shares 4
            o.RateLimits.Ipv6Slash48Factor = 3; // a /48 shares 6
        });
        async Task<HttpStatusCode> RegisterFromAsync(string ip) =>
            (await PostFromAsync(host, ip, "/auth/register", new { email = SentinelTestHost.NewEmail(), password = SentinelTestHost.Password })).StatusCode;

        foreach (var network in new[] { "2001:db8:1:1", "2001:db8:1:2" }) // two /64s of one /56
        {
            (await RegisterFromAsync(network + "::1")).Should().Be(HttpStatusCode.Created);
            (await RegisterFromAsync(network + "::2")).Should().Be(HttpStatusCode.Created);
        }

        (await RegisterFromAsync("2001:db8:1:3::1")).Should().Be(HttpStatusCode.TooManyRequests, "a third /64 of the /56: its budget of 4 is spent");

        (await RegisterFromAsync("2001:db8:1:100::1")).Should().Be(HttpStatusCode.Created, "another /56 of the /48");
        (await RegisterFromAsync("2001:db8:1:100::2")).Should().Be(HttpStatusCode.Created);
        (await RegisterFromAsync("2001:db8:1:200::1")).Should().Be(HttpStatusCode.TooManyRequests, "the /48's budget of 6 is spent");

        (await RegisterFromAsync("2001:db8:2::1")).Should().Be(HttpStatusCode.Created, "another /48 is another allocation");
        (await RegisterFromAsync("203.0.113.9")).Should().Be(HttpStatusCode.Created, "IPv4 is counted per address as before");
    }

    [Fact]
    public async Task RefreshAndKeyCreation_HaveTheirOwnLimits()
    {
        await using var host = await StartAsync(o =>
        {
            o.RateLimits.Refresh.PermitLimit = 1;
            o.RateLimits.ApiKeyCreation.PermitLimit = 1;
        });
        var (_, tokens) = await host.SignUpAndLoginAsync();
        (await host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken })).StatusCode.Should().Be(HttpStatusCode.OK);
        await (await host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken })).ShouldBeProblemAsync(429, "rate_limited");

        (await host.PostAsync("/auth/api-keys", new { name = "one", scopes = new[] { "reports:read" } }, tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.Created);
        await (await host.PostAsync("/auth/api-keys", new { name = "two", scopes = new[] { "reports:read" } }, tokens.AccessToken)).ShouldBeProblemAsync(429, "rate_limited");
    }

    [Fact]
    public async Task TheGlobalLimit_CountsSentinelEndpointsOnly()
    {
        await using var host = await StartAsync(o => o.RateLimits.Global.PermitLimit = 4);
        for (var i = 0; i < 4; i++)
        {
            (await host.GetAsync("/auth/me", null)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        await (await host.GetAsync("/auth/me", null)).ShouldBeProblemAsync(429, "rate_limited");
        (await host.GetAsync("/public", null)).StatusCode.Should().Be(HttpStatusCode.OK, "the host's own endpoints are not Sentinel's to limit");
        (await host.Client.GetAsync("/.well-known/jwks.json", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheHostsOwnPolicies_StillApply_ThroughUseSentinelAuth()
    {
        // The middleware is skipped for requests no limit applies to; an endpoint the host gave a policy is not one.
        await using var host = await SentinelTestHost.StartAsync(
            o => o.RateLimits.Enabled = true,
            app => app.MapGet("/limited", () => TypedResults.Ok("limited")).RequireRateLimiting("host-policy"),
            services => services.AddRateLimiter(o => o.AddFixedWindowLimiter("host-policy", w =>
            {
                w.PermitLimit = 2;
                w.Window = TimeSpan.FromHours(1);
            })));

        (await host.GetAsync("/limited", null)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await host.GetAsync("/limited", null)).StatusCode.Should().Be(HttpStatusCode.OK);
        ((int)(await host.GetAsync("/limited", null)).StatusCode).Should().Be(429, "the host's own policy is enforced");
        (await host.GetAsync("/protected", null)).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "an endpoint without a policy is not limited");
    }

    [Fact]
    public async Task APartitionStore_ReplacesTheInProcessCounters()
    {
        // The seam a shared store (Redis, issue 11) plugs into: every partition's limiter comes from it.
        var store = new RefusingPartitionStore();
        await using var host = await SentinelTestHost.StartAsync(o => o.RateLimits.Enabled = true, services: s => s.AddSingleton<IRateLimitPartitionStore>(store));

        await (await PostFromAsync(host, "198.51.100.1", "/auth/login", new { email = SentinelTestHost.NewEmail(), password = "guess number one" })).ShouldBeProblemAsync(429, "rate_limited");
        store.Partitions.Should().Contain(("Sentinel.Global", "198.51.100.1"));
    }

    [Fact]
    public async Task TokenResponses_AreNotCached()
    {
        // RFC 6749 §5.1: responses with tokens carry Cache-Control: no-store.
        await using var host = await StartAsync(_ => { });
        var email = await host.RegisterAsync();
        var login = await host.PostAsync("/auth/login", new { email, password = SentinelTestHost.Password });
        login.Headers.CacheControl!.NoStore.Should().BeTrue();
        login.Headers.Pragma.ToString().Should().Be("no-cache");
        var tokens = (await login.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>(Ct))!;
        (await host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken })).Headers.CacheControl!.NoStore.Should().BeTrue();
        (await host.GetAsync("/auth/me", tokens.AccessToken)).Headers.CacheControl!.NoStore.Should().BeTrue();
    }

    /// <summary>Hands out limiters that refuse everything, and records which partitions were asked for.</summary>
    private sealed class RefusingPartitionStore : IRateLimitPartitionStore
    {
        public System.Collections.Concurrent.ConcurrentBag<(string Policy, string Key)> Partitions { get; } = [];

        public RateLimiter Create(string policy, string partitionKey, Sentinel.RateLimiting.RateLimitRule rule)
        {
            Partitions.Add((policy, partitionKey));
            return new RefusingLimiter();
        }

        private sealed class RefusingLimiter : RateLimiter
        {
            public override TimeSpan? IdleDuration => null;

            public override RateLimiterStatistics? GetStatistics() => null;

            protected override RateLimitLease AttemptAcquireCore(int permitCount) => new Refused();

            protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) => ValueTask.FromResult<RateLimitLease>(new Refused());
        }

        private sealed class Refused : RateLimitLease
        {
            public override bool IsAcquired => false;

            public override IEnumerable<string> MetadataNames => [];

            public override bool TryGetMetadata(string metadataName, out object? metadata)
            {
                metadata = null;
                return false;
            }
        }
    }
}
