using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Sentinel.Audit;
using Sentinel.EntityFramework;
using Sentinel.Users;

namespace Sentinel.AspNetCore.Tests;

/// <summary>docs/API.md "Account and tokens": login, refresh, logout, from the outside.</summary>
public sealed class TokenEndpointTests : IAsyncLifetime
{
    private SentinelTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await SentinelTestHost.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Login_ReturnsIdentityCompatibleTokenResponse_WithAnRfc9068AccessToken()
    {
        var email = await _host.RegisterAsync();

        var response = await _host.PostAsync("/auth/login", new { email, password = SentinelTestHost.Password });

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        json.GetProperty("tokenType").GetString().Should().Be("Bearer");
        json.GetProperty("expiresIn").GetInt64().Should().Be(900);
        var refresh = json.GetProperty("refreshToken").GetString()!;
        Convert.FromBase64String(refresh.Replace('-', '+').Replace('_', '/') + "=").Should().HaveCount(32, "refresh tokens carry 256 random bits (SECURITY T7)");

        var jwt = new JsonWebToken(json.GetProperty("accessToken").GetString());
        jwt.Typ.Should().Be("at+jwt");
        jwt.Alg.Should().Be("ES256");
        jwt.Kid.Should().NotBeNullOrEmpty();
        jwt.Issuer.Should().Be("https://api.example.test");
        jwt.Audiences.Should().Equal("https://api.example.test");
        foreach (var claim in new[] { "sub", "client_id", "iat", "nbf", "exp", "jti", "sid", "amr" })
        {
            jwt.TryGetPayloadValue<object>(claim, out _).Should().BeTrue(claim);
        }

        jwt.GetPayloadValue<long>("exp").Should().Be(SentinelTestHost.Start.AddMinutes(15).ToUnixTimeSeconds());
        jwt.GetClaim("amr").Value.Should().Be("pwd");
    }

    [Fact]
    public async Task Login_UnknownEmailAndWrongPassword_GiveIdenticalAnswers()
    {
        // SECURITY P3 from the outside: same status and body.
        var email = await _host.RegisterAsync();

        var unknown = await _host.PostAsync("/auth/login", new { email = "nobody-" + email, password = SentinelTestHost.Password });
        var wrong = await _host.PostAsync("/auth/login", new { email, password = "wrong horse battery" });

        await unknown.ShouldBeProblemAsync(401, "invalid_credentials");
        await wrong.ShouldBeProblemAsync(401, "invalid_credentials");
        (await unknown.Content.ReadAsStringAsync()).Should().Be(await wrong.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Login_AfterFiveFailures_Is429LockedOutWithRetryAfter()
    {
        // SECURITY P4 from the outside.
        var email = await _host.RegisterAsync();
        for (var i = 0; i < 4; i++)
        {
            (await _host.PostAsync("/auth/login", new { email, password = "wrong " + i })).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        var locked = await _host.PostAsync("/auth/login", new { email, password = "wrong 5" });
        await locked.ShouldBeProblemAsync(429, "locked_out");
        locked.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromMinutes(5));

        var right = await _host.PostAsync("/auth/login", new { email, password = SentinelTestHost.Password });
        await right.ShouldBeProblemAsync(429, "locked_out");

        _host.Time.Advance(TimeSpan.FromMinutes(5));
        await _host.LoginAsync(email);
    }

    [Fact]
    public async Task Refresh_SpendsTheTokenAndIssuesTheNextPair()
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        _host.Time.Advance(TimeSpan.FromMinutes(10));

        var response = await _host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken });

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var next = (await response.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>())!;
        next.RefreshToken.Should().NotBe(tokens.RefreshToken);
        next.AccessToken.Should().NotBe(tokens.AccessToken);
        new JsonWebToken(next.AccessToken).GetClaim("sid").Value.Should().Be(new JsonWebToken(tokens.AccessToken).GetClaim("sid").Value);
        (await _host.GetAsync("/auth/me", next.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);

        // SECURITY T11: auth_time is when the user signed in; the refresh, ten minutes on, proved nothing new.
        var signedInAt = SentinelTestHost.Start.ToUnixTimeSeconds();
        new JsonWebToken(tokens.AccessToken).GetPayloadValue<long>("auth_time").Should().Be(signedInAt);
        new JsonWebToken(next.AccessToken).GetPayloadValue<long>("auth_time").Should().Be(signedInAt);
        new JsonWebToken(next.AccessToken).GetPayloadValue<long>("iat").Should().Be(signedInAt + 600);
    }

    [Fact]
    public async Task Refresh_ReusedToken_RevokesTheWholeSession()
    {
        // SECURITY T7 (RFC 9700 4.14.2): a spent refresh token presented again revokes its session.
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        var next = (await (await _host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken })).Content.ReadFromJsonAsync<SentinelTestHost.Tokens>())!;

        var replay = await _host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken });

        await replay.ShouldBeProblemAsync(401, "invalid_refresh_token");
        (await _host.PostAsync("/auth/refresh", new { refreshToken = next.RefreshToken })).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await _host.GetAsync("/auth/me", next.AccessToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "the thief's and the user's access tokens both die");
        (await _host.AuditAsync()).Should().Contain(e => e.Type == AuditEventTypes.TokenReuseDetected);
    }

    [Fact]
    public async Task Refresh_ConcurrentWithOneToken_ExactlyOneSucceeds()
    {
        // SECURITY T9 over HTTP and a real SQLite database.
        var (_, tokens) = await _host.SignUpAndLoginAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken })));

        responses.Count(r => r.StatusCode == HttpStatusCode.OK).Should().Be(1);
        responses.Count(r => r.StatusCode == HttpStatusCode.Unauthorized).Should().Be(5);
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    public async Task Refresh_UnknownOrMalformedToken_Is401(string refreshToken)
    {
        var response = await _host.PostAsync("/auth/refresh", new { refreshToken });
        await response.ShouldBeProblemAsync(401, "invalid_refresh_token");
    }

    [Fact]
    public async Task Refresh_AfterTheAbsoluteLifetime_Fails()
    {
        // SECURITY T7: sessions have an absolute expiry, however often they are refreshed.
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        var refresh = tokens.RefreshToken;
        for (var day = 0; day < 29; day++)
        {
            _host.Time.Advance(TimeSpan.FromDays(1));
            var ok = await _host.PostAsync("/auth/refresh", new { refreshToken = refresh });
            ok.StatusCode.Should().Be(HttpStatusCode.OK, $"day {day + 1}");
            refresh = (await ok.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>())!.RefreshToken;
        }

        _host.Time.Advance(TimeSpan.FromDays(1));
        await (await _host.PostAsync("/auth/refresh", new { refreshToken = refresh })).ShouldBeProblemAsync(401, "invalid_refresh_token");
    }

    [Fact]
    public async Task Refresh_AfterTheIdleTimeout_Fails()
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        _host.Time.Advance(TimeSpan.FromDays(14));
        await (await _host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken })).ShouldBeProblemAsync(401, "invalid_refresh_token");
    }

    [Fact]
    public async Task RefreshTokens_AreStoredOnlyAsHashes()
    {
        // SECURITY T7: stored only hashed.
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        await using var scope = _host.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SentinelDbContext>();

        var hashes = await db.Set<Sentinel.Sessions.RefreshTokenRecord>().Select(t => t.Hash).ToListAsync(TestContext.Current.CancellationToken);

        hashes.Should().NotBeEmpty().And.NotContain(tokens.RefreshToken);
        hashes.Should().Contain(Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(tokens.RefreshToken)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_'));
    }

    [Fact]
    public async Task Logout_StopsTheSessionsAccessTokenAtOnce()
    {
        // SECURITY T8: refused on the next request, not at expiry.
        var email = await _host.RegisterAsync();
        var phone = await _host.LoginAsync(email);
        var laptop = await _host.LoginAsync(email);
        (await _host.GetAsync("/protected", phone.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);

        (await _host.PostAsync("/auth/logout", new { }, phone.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        (await _host.GetAsync("/protected", phone.AccessToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await _host.PostAsync("/auth/refresh", new { refreshToken = phone.RefreshToken })).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await _host.GetAsync("/protected", laptop.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Logout_WithoutBody_Works_AndWithoutToken_Is401()
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        (await _host.SendAsync(HttpMethod.Post, "/auth/logout", tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await (await _host.SendAsync(HttpMethod.Post, "/auth/logout", null)).ShouldBeProblemAsync(401, "invalid_token");
    }

    [Fact]
    public async Task LogoutAll_StopsEverySessionAtOnce()
    {
        // SECURITY T8: logout everywhere.
        var email = await _host.RegisterAsync();
        var phone = await _host.LoginAsync(email);
        var laptop = await _host.LoginAsync(email);

        (await _host.SendAsync(HttpMethod.Post, "/auth/logout/all", laptop.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        (await _host.GetAsync("/protected", phone.AccessToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await _host.GetAsync("/protected", laptop.AccessToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await _host.PostAsync("/auth/refresh", new { refreshToken = phone.RefreshToken })).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await _host.AuditAsync()).Should().Contain(e => e.Type == AuditEventTypes.LogoutAll);
        await _host.LoginAsync(email);
    }

    [Fact]
    public async Task DisablingTheUser_StopsItsAccessTokensAtOnce()
    {
        // SECURITY T8: user disable.
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        await using var scope = _host.App.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserService>();
        var user = (await users.FindByEmailAsync(email, TestContext.Current.CancellationToken))!;
        _host.Time.Advance(TimeSpan.FromSeconds(2));

        await users.SetDisabledAsync(user.Id, true, TestContext.Current.CancellationToken);

        (await _host.GetAsync("/protected", tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await _host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken })).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AccessToken_ExpiresAfterItsLifetimePlusSkew()
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();

        _host.Time.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(29));
        (await _host.GetAsync("/protected", tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK, "within the 30 s skew");

        _host.Time.Advance(TimeSpan.FromSeconds(2));
        (await _host.GetAsync("/protected", tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Events_AreAudited_WithoutSecrets()
    {
        // SECURITY A1, A2.
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        await _host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken });
        await _host.PostAsync("/auth/login", new { email, password = "wrong horse battery" });

        var events = await _host.AuditAsync();
        events.Select(e => e.Type).Should().Contain([AuditEventTypes.UserRegistered, AuditEventTypes.LoginSucceeded, AuditEventTypes.TokenRefreshed, AuditEventTypes.LoginFailed]);
        var all = JsonSerializer.Serialize(events);
        all.Should().NotContain(tokens.RefreshToken).And.NotContain(tokens.AccessToken).And.NotContain(SentinelTestHost.Password);
    }
}
