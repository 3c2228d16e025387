using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.ApiKeys;
using Sentinel.Audit;

namespace Sentinel.AspNetCore.Tests;

/// <summary>docs/API.md "API keys", from the outside (SECURITY K1–K4).</summary>
public sealed class ApiKeyEndpointTests : IAsyncLifetime
{
    private SentinelTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static Task<SentinelTestHost> StartAsync(Action<SentinelOptions>? configure = null) => SentinelTestHost.StartAsync(
        o =>
        {
            o.ApiKeys.Scopes.Add("reports:read", "Read").Add("reports:write", "Write");
            o.ApiKeys.RoleScopes["analyst"] = ["reports:read"];
            configure?.Invoke(o);
        },
        app =>
        {
            app.MapGet("/reports", () => TypedResults.Ok("reports")).RequireAuthorization(p => p.RequireScope("reports:read"));
            app.MapPost("/reports", () => TypedResults.Ok("written")).RequireAuthorization(p => p.RequireScope("reports:write"));
        });

    private async Task<(string AccessToken, JsonElement Key)> CreateKeyAsync(string[] scopes, object? expiresAt = null)
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        var response = await _host.PostAsync("/auth/api-keys", new { name = "ci", scopes, expiresAt }, tokens.AccessToken);
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (tokens.AccessToken, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private Task<HttpResponseMessage> WithKeyAsync(HttpMethod method, string path, string key, bool authorizationHeader = false)
    {
        var request = new HttpRequestMessage(method, path);
        if (authorizationHeader)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("ApiKey", key);
        }
        else
        {
            request.Headers.Add("X-Api-Key", key);
        }

        return _host.Client.SendAsync(request);
    }

    [Fact]
    public async Task Create_Returns201WithTheKeyOnce_AndListNeverShowsIt()
    {
        var (accessToken, created) = await CreateKeyAsync(["reports:read"]);

        var key = created.GetProperty("key").GetString()!;
        key.Should().MatchRegex(@"^sk_[0-9A-Za-z]{49}$");
        created.GetProperty("name").GetString().Should().Be("ci");
        created.GetProperty("displayPrefix").GetString().Should().Be(key[..9]);
        created.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).Should().Equal("reports:read");
        created.TryGetProperty("id", out _).Should().BeTrue();
        created.TryGetProperty("createdAt", out _).Should().BeTrue();
        created.GetProperty("expiresAt").ValueKind.Should().Be(JsonValueKind.Null);

        var list = await (await _host.GetAsync("/auth/api-keys", accessToken)).Content.ReadAsStringAsync();
        list.Should().NotContain(key, "a key is shown once, at creation (SECURITY K1)");
        var item = JsonDocument.Parse(list).RootElement.EnumerateArray().Single();
        foreach (var field in new[] { "id", "name", "displayPrefix", "scopes", "createdAt", "expiresAt", "lastUsedAt", "revokedAt" })
        {
            item.TryGetProperty(field, out _).Should().BeTrue(field);
        }
    }

    [Theory]
    [InlineData("", new[] { "reports:read" })]
    [InlineData("ok", new[] { "admin:all" })]
    public async Task Create_Invalid_Is400(string name, string[] scopes)
    {
        // SECURITY K3: unknown scopes cannot be granted.
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        await (await _host.PostAsync("/auth/api-keys", new { name, scopes }, tokens.AccessToken)).ShouldBeProblemAsync(400, "validation_failed");
    }

    [Fact]
    public async Task Create_PastExpiry_Is400()
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        await (await _host.PostAsync("/auth/api-keys", new { name = "old", scopes = new[] { "reports:read" }, expiresAt = "2020-01-01T00:00:00Z" }, tokens.AccessToken))
            .ShouldBeProblemAsync(400, "validation_failed");
    }

    [Fact]
    public async Task Key_AuthenticatesByEitherHeader_AndScopesAreEnforced()
    {
        // SECURITY K3.
        var (_, created) = await CreateKeyAsync(["reports:read"]);
        var key = created.GetProperty("key").GetString()!;

        (await WithKeyAsync(HttpMethod.Get, "/reports", key)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await WithKeyAsync(HttpMethod.Get, "/reports", key, authorizationHeader: true)).StatusCode.Should().Be(HttpStatusCode.OK);
        await (await WithKeyAsync(HttpMethod.Post, "/reports", key)).ShouldBeProblemAsync(403, "insufficient_scope");
    }

    [Fact]
    public async Task Key_InTheQueryString_IsNotAccepted()
    {
        // SECURITY K1: never accepted in a query string.
        var (_, created) = await CreateKeyAsync(["reports:read"]);
        var key = created.GetProperty("key").GetString()!;

        foreach (var name in new[] { "api_key", "apiKey", "key", "X-Api-Key" })
        {
            (await _host.Client.GetAsync($"/reports?{name}={key}")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }
    }

    [Theory]
    [InlineData("sk_definitelyNotAValidKey")]
    [InlineData("garbage")]
    public async Task BadKey_Is401InvalidApiKey(string key)
    {
        await (await WithKeyAsync(HttpMethod.Get, "/reports", key)).ShouldBeProblemAsync(401, "invalid_api_key");
    }

    [Fact]
    public async Task UnknownWellFormedKey_Is401InvalidApiKey()
    {
        await (await WithKeyAsync(HttpMethod.Get, "/reports", ApiKeyFormat.New("sk"))).ShouldBeProblemAsync(401, "invalid_api_key");
    }

    [Fact]
    public async Task Revoke_StopsTheKeyOnTheNextRequest()
    {
        // SECURITY K4, including the cached verification.
        var (accessToken, created) = await CreateKeyAsync(["reports:read"]);
        var key = created.GetProperty("key").GetString()!;
        (await WithKeyAsync(HttpMethod.Get, "/reports", key)).StatusCode.Should().Be(HttpStatusCode.OK);

        (await _host.SendAsync(HttpMethod.Delete, $"/auth/api-keys/{created.GetProperty("id").GetString()}", accessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        await (await WithKeyAsync(HttpMethod.Get, "/reports", key)).ShouldBeProblemAsync(401, "invalid_api_key");
        var list = await (await _host.GetAsync("/auth/api-keys", accessToken)).Content.ReadFromJsonAsync<JsonElement>();
        list[0].GetProperty("revokedAt").ValueKind.Should().Be(JsonValueKind.String);
    }

    [Fact]
    public async Task RevokeOrRotate_AnotherUsersKey_Is404()
    {
        var (_, created) = await CreateKeyAsync(["reports:read"]);
        var (_, stranger) = await _host.SignUpAndLoginAsync();
        var id = created.GetProperty("id").GetString();

        await (await _host.SendAsync(HttpMethod.Delete, $"/auth/api-keys/{id}", stranger.AccessToken)).ShouldBeProblemAsync(404, "not_found");
        await (await _host.PostAsync($"/auth/api-keys/{id}/rotate", null, stranger.AccessToken)).ShouldBeProblemAsync(404, "not_found");
    }

    [Fact]
    public async Task Rotate_Returns201WithANewKey_OldWorksForTheGracePeriod()
    {
        var (accessToken, created) = await CreateKeyAsync(["reports:read"]);
        var oldKey = created.GetProperty("key").GetString()!;

        var response = await _host.PostAsync($"/auth/api-keys/{created.GetProperty("id").GetString()}/rotate", null, accessToken);

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        var rotated = await response.Content.ReadFromJsonAsync<JsonElement>();
        var newKey = rotated.GetProperty("key").GetString()!;
        newKey.Should().NotBe(oldKey);
        (await WithKeyAsync(HttpMethod.Get, "/reports", newKey)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await WithKeyAsync(HttpMethod.Get, "/reports", oldKey)).StatusCode.Should().Be(HttpStatusCode.OK);
        _host.Time.Advance(TimeSpan.FromHours(24));
        await (await WithKeyAsync(HttpMethod.Get, "/reports", oldKey)).ShouldBeProblemAsync(401, "invalid_api_key");
        (await WithKeyAsync(HttpMethod.Get, "/reports", newKey)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task OverTheRateLimit_Is429WithRetryAfter()
    {
        // A long window: the bucket's real-time refill must not land inside the test.
        await using var host = await StartAsync(o => { o.ApiKeys.RateLimitPermits = 2; o.ApiKeys.RateLimitWindow = TimeSpan.FromHours(1); });
        var (_, tokens) = await host.SignUpAndLoginAsync();
        var created = await (await host.PostAsync("/auth/api-keys", new { name = "busy", scopes = new[] { "reports:read" } }, tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>();
        var key = created.GetProperty("key").GetString()!;

        for (var i = 0; i < 2; i++)
        {
            using var ok = new HttpRequestMessage(HttpMethod.Get, "/reports") { Headers = { { "X-Api-Key", key } } };
            (await host.Client.SendAsync(ok)).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "/reports") { Headers = { { "X-Api-Key", key } } };
        var limited = await host.Client.SendAsync(request);
        await limited.ShouldBeProblemAsync(429, "rate_limited");
        limited.Headers.RetryAfter!.Delta.Should().BePositive();
    }

    [Fact]
    public async Task BearerUsers_PassForTheScopesTheirRolesGrant()
    {
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        await (await _host.GetAsync("/reports", tokens.AccessToken)).ShouldBeProblemAsync(403, "insufficient_scope");

        await using (var scope = _host.App.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Sentinel.Users.UserService>();
            var user = (await users.FindByEmailAsync(email, TestContext.Current.CancellationToken))!;
            await users.AddRoleAsync(user.Id, "analyst", TestContext.Current.CancellationToken);
        }

        var analyst = await _host.LoginAsync(email);
        (await _host.GetAsync("/reports", analyst.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
        await (await _host.SendAsync(HttpMethod.Post, "/reports", analyst.AccessToken)).ShouldBeProblemAsync(403, "insufficient_scope");
    }

    [Fact]
    public async Task ApiKeys_CannotManageApiKeys()
    {
        var (_, created) = await CreateKeyAsync(["reports:read"]);
        var key = created.GetProperty("key").GetString()!;
        (await WithKeyAsync(HttpMethod.Get, "/auth/api-keys", key)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Usage_GatheredBeforeShutdown_IsWrittenAtShutdown()
    {
        var (_, created) = await CreateKeyAsync(["reports:read"]);
        var key = created.GetProperty("key").GetString()!;
        (await WithKeyAsync(HttpMethod.Get, "/reports", key)).StatusCode.Should().Be(HttpStatusCode.OK);

        await _host.App.StopAsync(TestContext.Current.CancellationToken);

        await using var scope = _host.App.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<IApiKeyStore>()
            .FindByIdAsync(Guid.Parse(created.GetProperty("id").GetString()!), TestContext.Current.CancellationToken);
        stored!.LastUsedAt.Should().Be(_host.Time.GetUtcNow());
        (await _host.AuditAsync()).Should().Contain(e => e.Type == AuditEventTypes.ApiKeyUsed);
    }

    [Fact]
    public async Task Events_AreAudited_AndUsageIsAggregated()
    {
        var (accessToken, created) = await CreateKeyAsync(["reports:read"]);
        var key = created.GetProperty("key").GetString()!;
        for (var i = 0; i < 3; i++)
        {
            await WithKeyAsync(HttpMethod.Get, "/reports", key);
        }

        await WithKeyAsync(HttpMethod.Get, "/reports", "sk_bad");
        await using (var scope = _host.App.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ApiKeyService>().FlushUsageAsync(cancellationToken: TestContext.Current.CancellationToken);
        }

        await _host.SendAsync(HttpMethod.Delete, $"/auth/api-keys/{created.GetProperty("id").GetString()}", accessToken);
        var events = await _host.AuditAsync();
        events.Should().Contain(e => e.Type == AuditEventTypes.ApiKeyCreated);
        events.Single(e => e.Type == AuditEventTypes.ApiKeyUsed).Details["count"].Should().Be("3");
        events.Should().Contain(e => e.Type == AuditEventTypes.ApiKeyRejected && e.Details["reason"] == "malformed");
        events.Should().Contain(e => e.Type == AuditEventTypes.ApiKeyRevoked);
        JsonSerializer.Serialize(events).Should().NotContain(key);
    }
}
