using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using OtpNet;
using Sentinel.Audit;

namespace Sentinel.AspNetCore.Tests.Attacks;

/// <summary>
/// The finding "a stolen access token is enough to take the account over" (issue 18), and the contract of
/// docs/API.md "Token kinds and recent authentication" (SECURITY T11, RFC 9470): the recent operations refuse a
/// sign-in older than <c>Sentinel:StepUp:MaxAge</c>, a refresh does not make it recent, and
/// <c>POST /auth/reauthenticate</c> does, through the sign-in gate.
/// </summary>
public sealed class RecentAuthenticationTests : IAsyncLifetime
{
    private static readonly TimeSpan PastMaxAge = TimeSpan.FromMinutes(11);
    private SentinelTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await SentinelTestHost.StartAsync(o => o.ApiKeys.Scopes.Add("reports:read", "Read"), app =>
    {
        app.MapPost("/host/transfer", () => TypedResults.Ok("moved")).RequireAuthorization().RequireRecentAuthentication(TimeSpan.FromMinutes(2));
        app.MapPost("/host/policy", () => TypedResults.Ok("done")).RequireAuthorization(Sentinel.AspNetCore.Authentication.SentinelAuthenticationDefaults.RecentPolicy);
    });

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What a thief holds: a live access token of a session signed into more than MaxAge ago (refreshed since).</summary>
    private async Task<(string Email, SentinelTestHost.Tokens Tokens)> StaleSessionAsync()
    {
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        _host.Time.Advance(PastMaxAge);
        var refreshed = await _host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken });
        refreshed.StatusCode.Should().Be(HttpStatusCode.OK);
        return (email, (await refreshed.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>(Ct))!);
    }

    private static async Task ShouldAskForReauthenticationAsync(HttpResponseMessage response, int maxAgeSeconds = 600)
    {
        await response.ShouldBeProblemAsync(401, "reauthentication_required");
        response.Headers.WwwAuthenticate.Should().ContainSingle().Which.ToString().Should()
            .StartWith("Bearer error=\"insufficient_user_authentication\"")
            .And.EndWith($"max_age={maxAgeSeconds}");
    }

    [Fact]
    public async Task T11_AStolenAccessToken_CannotEnrolAnAuthenticator_LearnRecoveryCodes_OrMakeAKey()
    {
        var (_, stolen) = await StaleSessionAsync();
        var key = await _host.PostAsync("/auth/api-keys", new { name = "before", scopes = new[] { "reports:read" } }, stolen.AccessToken);
        await ShouldAskForReauthenticationAsync(key);

        await ShouldAskForReauthenticationAsync(await _host.PostAsync("/auth/mfa/totp/setup", null, stolen.AccessToken));
        await ShouldAskForReauthenticationAsync(await _host.PostAsync("/auth/mfa/totp/confirm", new { code = "123456" }, stolen.AccessToken));
        await ShouldAskForReauthenticationAsync(await _host.PostAsync("/auth/mfa/totp/disable", new { code = "123456", password = SentinelTestHost.Password }, stolen.AccessToken));
        await ShouldAskForReauthenticationAsync(await _host.PostAsync("/auth/mfa/recovery-codes", new { code = "123456" }, stolen.AccessToken));
        await ShouldAskForReauthenticationAsync(await _host.PostAsync($"/auth/api-keys/{Guid.NewGuid()}/rotate", null, stolen.AccessToken));

        // What is not sensitive still works with the same token: it is a valid token, only not a recent sign-in.
        (await _host.GetAsync("/auth/mfa", stolen.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await _host.GetAsync("/auth/api-keys", stolen.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await _host.GetAsync("/auth/me", stolen.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
        var status = await (await _host.GetAsync("/auth/mfa", stolen.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        status.GetProperty("pendingSetup").GetBoolean().Should().BeFalse("the refused setup changed nothing");
    }

    [Fact]
    public async Task T11_WithinMaxAge_TheRecentOperationsWork_AndAtTheBoundaryTheyStop()
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        _host.Time.Advance(TimeSpan.FromMinutes(10));
        (await _host.PostAsync("/auth/mfa/totp/setup", null, tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK, "exactly MaxAge old is still recent");

        _host.Time.Advance(TimeSpan.FromSeconds(1));
        await ShouldAskForReauthenticationAsync(await _host.PostAsync("/auth/mfa/totp/setup", null, tokens.AccessToken));
    }

    [Fact]
    public async Task T11_Reauthenticate_MakesTheSameSessionRecent_AndReplacesItsRefreshToken()
    {
        var (_, stale) = await StaleSessionAsync();
        var sid = new JsonWebToken(stale.AccessToken).GetPayloadValue<string>("sid");

        var response = await _host.PostAsync("/auth/reauthenticate", new { password = SentinelTestHost.Password }, stale.AccessToken);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        response.Headers.CacheControl!.NoStore.Should().BeTrue("a token response is never cached");
        var fresh = (await response.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>(Ct))!;
        fresh.TokenType.Should().Be("Bearer");
        var jwt = new JsonWebToken(fresh.AccessToken);
        jwt.GetPayloadValue<string>("sid").Should().Be(sid, "the same session");
        jwt.GetPayloadValue<long>("auth_time").Should().Be(_host.Time.GetUtcNow().ToUnixTimeSeconds());

        var created = await _host.PostAsync("/auth/api-keys", new { name = "after", scopes = new[] { "reports:read" } }, fresh.AccessToken);
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        await ShouldAskForReauthenticationAsync(await _host.PostAsync("/auth/mfa/totp/setup", null, stale.AccessToken));

        // The new refresh token continues the session and keeps the new auth_time.
        _host.Time.Advance(TimeSpan.FromMinutes(1));
        var next = await _host.PostAsync("/auth/refresh", new { refreshToken = fresh.RefreshToken });
        next.StatusCode.Should().Be(HttpStatusCode.OK);
        new JsonWebToken((await next.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>(Ct))!.AccessToken)
            .GetPayloadValue<long>("auth_time").Should().Be(jwt.GetPayloadValue<long>("auth_time"));

        // The refresh token the thief may also hold was replaced: presenting it is reuse, and it ends the session.
        await (await _host.PostAsync("/auth/refresh", new { refreshToken = stale.RefreshToken })).ShouldBeProblemAsync(401, "invalid_refresh_token");
        (await _host.GetAsync("/auth/me", fresh.AccessToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var events = await _host.AuditAsync();
        events.Should().ContainSingle(e => e.Type == AuditEventTypes.Reauthenticated).Which.Should().Match<AuditEntry>(e =>
            e.Outcome == AuditOutcome.Success && e.SessionId == Guid.Parse(sid) && e.Details["method"] == "password");
    }

    [Fact]
    public async Task T11_WrongPasswords_CountTowardTheLockout_AndTheRightOneIsThenRefused()
    {
        var (_, stale) = await StaleSessionAsync();
        for (var i = 1; i < 5; i++)
        {
            await (await _host.PostAsync("/auth/reauthenticate", new { password = "not the password" }, stale.AccessToken)).ShouldBeProblemAsync(401, "invalid_credentials");
        }

        var locked = await _host.PostAsync("/auth/reauthenticate", new { password = "not the password" }, stale.AccessToken);
        await locked.ShouldBeProblemAsync(429, "locked_out");
        locked.Headers.RetryAfter.Should().NotBeNull();

        await (await _host.PostAsync("/auth/reauthenticate", new { password = SentinelTestHost.Password }, stale.AccessToken)).ShouldBeProblemAsync(429, "locked_out");
        (await _host.AuditAsync()).Count(e => e.Type == AuditEventTypes.LoginFailed && e.Details["reason"] == "wrong_password").Should().Be(5);
    }

    [Fact]
    public async Task T11_WithMfaOn_ReauthenticationNeedsTheCodeToo()
    {
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        var totp = new Totp(await _host.EnrolTotpAsync(tokens.AccessToken));
        _host.Time.Advance(PastMaxAge);

        // Only the password: refused before it is checked, so nothing is counted or confirmed.
        await (await _host.PostAsync("/auth/reauthenticate", new { password = SentinelTestHost.Password }, tokens.AccessToken)).ShouldBeProblemAsync(401, "invalid_mfa_code");
        await (await _host.PostAsync("/auth/reauthenticate", new { password = SentinelTestHost.Password, code = "000000" }, tokens.AccessToken)).ShouldBeProblemAsync(401, "invalid_mfa_code");
        await (await _host.PostAsync("/auth/reauthenticate", new { password = "wrong", code = totp.ComputeTotp(_host.Time.GetUtcNow().UtcDateTime) }, tokens.AccessToken)).ShouldBeProblemAsync(401, "invalid_credentials");

        var ok = await _host.PostAsync("/auth/reauthenticate", new { password = SentinelTestHost.Password, code = totp.ComputeTotp(_host.Time.GetUtcNow().UtcDateTime) }, tokens.AccessToken);
        ok.StatusCode.Should().Be(HttpStatusCode.OK, await ok.Content.ReadAsStringAsync(Ct));
        var fresh = (await ok.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>(Ct))!;
        new JsonWebToken(fresh.AccessToken).GetPayloadValue<string[]>("amr").Should().Equal("pwd", "otp");
        (await _host.PostAsync("/auth/mfa/recovery-codes", new { code = totp.ComputeTotp(_host.Time.GetUtcNow().UtcDateTime.AddSeconds(30)) }, fresh.AccessToken))
            .StatusCode.Should().Be(HttpStatusCode.OK);

        var events = await _host.AuditAsync();
        events.Count(e => e.Type == AuditEventTypes.MfaFailed).Should().Be(1, "the wrong code was counted, the missing one was not");
        events.Single(e => e.Type == AuditEventTypes.Reauthenticated).Details["method"].Should().Be("totp");
        email.Should().NotBeNull();
    }

    [Fact]
    public async Task T11_AHostEndpoint_MarkedRecent_UsesItsOwnAge_AndTheNamedPolicyTheConfiguredOne()
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        (await _host.PostAsync("/host/transfer", null, tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
        _host.Time.Advance(TimeSpan.FromMinutes(3));
        await ShouldAskForReauthenticationAsync(await _host.PostAsync("/host/transfer", null, tokens.AccessToken), maxAgeSeconds: 120);
        (await _host.PostAsync("/host/policy", null, tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK, "3 minutes is within the configured 10");
        _host.Time.Advance(TimeSpan.FromMinutes(8));
        await ShouldAskForReauthenticationAsync(await _host.PostAsync("/host/policy", null, tokens.AccessToken));

        // Without a token it is the usual 401 invalid_token challenge, not a request to re-authenticate.
        await (await _host.PostAsync("/host/transfer", null)).ShouldBeProblemAsync(401, "invalid_token");
    }

    [Fact]
    public async Task T11_Reauthenticate_TakesNoApiKey_AndNoSignedOutSession()
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        var created = await (await _host.PostAsync("/auth/api-keys", new { name = "k", scopes = new[] { "reports:read" } }, tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        using var withKey = new HttpRequestMessage(HttpMethod.Post, "/auth/reauthenticate") { Content = JsonContent.Create(new { password = SentinelTestHost.Password }) };
        withKey.Headers.Add("X-Api-Key", created.GetProperty("key").GetString());
        await (await _host.Client.SendAsync(withKey, Ct)).ShouldBeProblemAsync(401, "invalid_token");

        (await _host.PostAsync("/auth/logout", new { }, tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await (await _host.PostAsync("/auth/reauthenticate", new { password = SentinelTestHost.Password }, tokens.AccessToken)).ShouldBeProblemAsync(401, "invalid_token");
    }

    [Fact]
    public async Task T11_ABadBody_IsA400_NeverA500()
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/reauthenticate") { Content = new StringContent("{\"password\": 5", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        await (await _host.Client.SendAsync(request, Ct)).ShouldBeProblemAsync(400, "validation_failed");
        await (await _host.PostAsync("/auth/reauthenticate", new { password = new string('a', 2000) }, tokens.AccessToken)).ShouldBeProblemAsync(400, "validation_failed");
    }
}
