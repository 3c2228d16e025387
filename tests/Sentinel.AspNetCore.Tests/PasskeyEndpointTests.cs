using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.IdentityModel.JsonWebTokens;
using Sentinel.Specification.Passkeys;

namespace Sentinel.AspNetCore.Tests;

/// <summary>
/// The "Passkeys (WebAuthn Level 3)" section of docs/API.md over a real host and SQLite, to the status code and
/// field, with the tests' software authenticator as the browser.
/// </summary>
public sealed class PasskeyEndpointTests
{
    internal const string Origin = "https://app.example.test";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static void WithPasskeys(SentinelOptions o)
    {
        o.Passkeys.RelyingPartyId = "example.test";
        o.Passkeys.RelyingPartyName = "Example";
        o.Passkeys.Origins.Add(Origin);
    }

    [Fact]
    public async Task Registration_ListRenameAndRemove_FollowTheContract()
    {
        await using var host = await SentinelTestHost.StartAsync(WithPasskeys);
        var (_, tokens) = await host.SignUpAndLoginAsync();
        using var authenticator = new SoftwareAuthenticator(Origin, PasskeyAlgorithm.ES256, Guid.Parse("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"));

        var optionsResponse = await host.PostAsync("/auth/passkeys/register/options", null, tokens.AccessToken);
        optionsResponse.StatusCode.Should().Be(HttpStatusCode.OK);
        optionsResponse.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        var options = JsonNode.Parse(await optionsResponse.Content.ReadAsStringAsync(Ct))!;
        options["rp"]!["id"]!.GetValue<string>().Should().Be("example.test");
        options["authenticatorSelection"]!["residentKey"]!.GetValue<string>().Should().Be("required");
        options["timeout"]!.GetValue<long>().Should().Be(300_000);

        var created = await host.PostAsync("/auth/passkeys/register", new { credential = JsonNode.Parse(authenticator.Register(options.ToJsonString())) }, tokens.AccessToken);
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var passkey = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        passkey.GetProperty("name").GetString().Should().Be("Google Password Manager");
        passkey.GetProperty("backedUp").GetBoolean().Should().BeFalse();
        passkey.GetProperty("transports").EnumerateArray().Select(t => t.GetString()).Should().Equal("internal", "hybrid");
        passkey.GetProperty("lastUsedAt").ValueKind.Should().Be(JsonValueKind.Null);
        passkey.GetProperty("createdAt").GetString().Should().Be("2026-11-28T14:40:03Z");
        var id = passkey.GetProperty("id").GetGuid();

        var renamed = await host.SendAsync(HttpMethod.Patch, $"/auth/passkeys/{id}", tokens.AccessToken, new { name = "Phone" });
        renamed.StatusCode.Should().Be(HttpStatusCode.OK);
        (await renamed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("name").GetString().Should().Be("Phone");

        var list = await (await host.GetAsync("/auth/passkeys", tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        list.EnumerateArray().Select(p => p.GetProperty("name").GetString()).Should().Equal("Phone");

        (await host.SendAsync(HttpMethod.Patch, $"/auth/passkeys/{Guid.NewGuid()}", tokens.AccessToken, new { name = "x" })).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await host.SendAsync(HttpMethod.Delete, $"/auth/passkeys/{id}", tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var gone = await host.SendAsync(HttpMethod.Delete, $"/auth/passkeys/{id}", tokens.AccessToken);
        await gone.ShouldBeProblemAsync(404, "not_found");
    }

    [Fact]
    public async Task SignInWithAPasskey_GivesATokenWithHwkAndMfa_AndItsFailuresAre401InvalidPasskey()
    {
        await using var host = await SentinelTestHost.StartAsync(WithPasskeys);
        var (_, tokens) = await host.SignUpAndLoginAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        await AddPasskeyAsync(host, tokens.AccessToken, authenticator);

        var loginOptions = JsonNode.Parse(await (await host.PostAsync("/auth/passkeys/login/options", null)).Content.ReadAsStringAsync(Ct))!;
        loginOptions["rpId"]!.GetValue<string>().Should().Be("example.test");
        loginOptions["allowCredentials"]!.AsArray().Should().BeEmpty();
        loginOptions["userVerification"]!.GetValue<string>().Should().Be("required");

        var login = await host.PostAsync("/auth/passkeys/login", new { credential = JsonNode.Parse(authenticator.Assert(loginOptions.ToJsonString())) });
        login.StatusCode.Should().Be(HttpStatusCode.OK, await login.Content.ReadAsStringAsync(Ct));
        var body = await login.Content.ReadFromJsonAsync<JsonElement>(Ct);
        body.GetProperty("tokenType").GetString().Should().Be("Bearer");
        body.GetProperty("refreshToken").GetString().Should().NotBeNullOrEmpty();
        new JsonWebToken(body.GetProperty("accessToken").GetString()).GetPayloadValue<string[]>("amr").Should().Equal("hwk", "mfa");

        var broken = await host.PostAsync("/auth/passkeys/login", new { credential = JsonNode.Parse(authenticator.Assert(await LoginOptionsAsync(host), tweaks: new WebAuthnTweaks { CorruptSignature = true })) });
        await broken.ShouldBeProblemAsync(401, "invalid_passkey");
        await (await host.PostAsync("/auth/passkeys/login", new { credential = new { id = "x" } })).ShouldBeProblemAsync(401, "invalid_passkey");
        await (await host.PostAsync("/auth/passkeys/login", new { })).ShouldBeProblemAsync(400, "validation_failed");

        var audit = await host.AuditAsync();
        audit.Should().Contain(e => e.Type == "login.succeeded" && e.Details.GetValueOrDefault("method") == "passkey");
        audit.Should().Contain(e => e.Type == "login.failed" && e.Details.GetValueOrDefault("method") == "passkey");
    }

    [Fact]
    public async Task T11_AddingAndRemovingAPasskey_NeedARecentSignIn_AndAPasskeyReauthenticates()
    {
        await using var host = await SentinelTestHost.StartAsync(WithPasskeys);
        var (_, tokens) = await host.SignUpAndLoginAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        var id = await AddPasskeyAsync(host, tokens.AccessToken, authenticator);
        host.Time.Advance(TimeSpan.FromMinutes(11));
        var stale = (await host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken })).Content.ReadFromJsonAsync<SentinelTestHost.Tokens>(Ct);
        var staleTokens = (await stale)!;

        var options = await host.PostAsync("/auth/passkeys/register/options", null, staleTokens.AccessToken);
        await options.ShouldBeProblemAsync(401, "reauthentication_required");
        options.Headers.WwwAuthenticate.ToString().Should().Contain("insufficient_user_authentication").And.Contain("max_age=600");
        await (await host.SendAsync(HttpMethod.Delete, $"/auth/passkeys/{id}", staleTokens.AccessToken)).ShouldBeProblemAsync(401, "reauthentication_required");

        var reauth = await host.PostAsync("/auth/reauthenticate", new { passkey = JsonNode.Parse(authenticator.Assert(await LoginOptionsAsync(host))) }, staleTokens.AccessToken);
        reauth.StatusCode.Should().Be(HttpStatusCode.OK, await reauth.Content.ReadAsStringAsync(Ct));
        var fresh = (await reauth.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>(Ct))!;
        new JsonWebToken(fresh.AccessToken).GetPayloadValue<string[]>("amr").Should().Equal("hwk", "mfa");

        (await host.SendAsync(HttpMethod.Delete, $"/auth/passkeys/{id}", fresh.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var afterRemoval = await host.PostAsync("/auth/reauthenticate", new { passkey = JsonNode.Parse(authenticator.Assert(await LoginOptionsAsync(host))) }, fresh.AccessToken);
        await afterRemoval.ShouldBeProblemAsync(401, "invalid_passkey");
    }

    [Fact]
    public async Task APasskeySignUp_MakesAPasswordlessAccount_ThatCanSetAPasswordLater()
    {
        await using var host = await SentinelTestHost.StartAsync(WithPasskeys);
        using var authenticator = new SoftwareAuthenticator(Origin);
        var email = SentinelTestHost.NewEmail();

        var optionsResponse = await host.PostAsync("/auth/register/passkey/options", new { email });
        optionsResponse.StatusCode.Should().Be(HttpStatusCode.OK);
        var options = JsonNode.Parse(await optionsResponse.Content.ReadAsStringAsync(Ct))!;
        options["user"]!["name"]!.GetValue<string>().Should().Be(email);
        var signUp = await host.PostAsync("/auth/register/passkey", new { credential = JsonNode.Parse(authenticator.Register(options.ToJsonString())) });
        signUp.StatusCode.Should().Be(HttpStatusCode.Created, await signUp.Content.ReadAsStringAsync(Ct));
        var tokens = (await signUp.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>(Ct))!;

        var me = await (await host.GetAsync("/auth/me", tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        me.GetProperty("email").GetString().Should().Be(email);
        me.GetProperty("hasPassword").GetBoolean().Should().BeFalse();
        var onlyPasskey = (await (await host.GetAsync("/auth/passkeys", tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct))[0].GetProperty("id").GetGuid();
        var refused = await host.SendAsync(HttpMethod.Delete, $"/auth/passkeys/{onlyPasskey}", tokens.AccessToken);
        (await refused.ShouldBeProblemAsync(400, "validation_failed")).GetProperty("errors").TryGetProperty("passkey", out _).Should().BeTrue();

        await (await host.PostAsync("/auth/register/passkey/options", new { email })).ShouldBeProblemAsync(409, "email_taken");
        await (await host.PostAsync("/auth/register/passkey/options", new { email = "nope" })).ShouldBeProblemAsync(400, "validation_failed");
        await (await host.PostAsync("/auth/login", new { email, password = "" })).ShouldBeProblemAsync(401, "invalid_credentials");

        host.Time.Advance(TimeSpan.FromMinutes(11));
        await (await host.PostAsync("/auth/password", new { newPassword = "a brand new passphrase" }, tokens.AccessToken)).ShouldBeProblemAsync(401, "reauthentication_required");
        var reauth = (await (await host.PostAsync("/auth/reauthenticate", new { passkey = JsonNode.Parse(authenticator.Assert(await LoginOptionsAsync(host))) }, tokens.AccessToken))
            .Content.ReadFromJsonAsync<SentinelTestHost.Tokens>(Ct))!;
        (await host.PostAsync("/auth/password", new { newPassword = "a brand new passphrase" }, reauth.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await host.LoginAsync(email, "a brand new passphrase")).AccessToken.Should().NotBeEmpty();
        await (await host.PostAsync("/auth/password", new { newPassword = "yet another passphrase" }, reauth.AccessToken)).ShouldBeProblemAsync(400, "validation_failed");
    }

    [Fact]
    public async Task W1_ACeremonyBegunOnOneInstance_FinishesOnAnother_AndW4ARemovalThereIsSeenHere()
    {
        var path = SentinelTestHost.NewDatabasePath();
        await using var a = await SentinelTestHost.StartAsync(WithPasskeys, sqlitePath: path);
        await using var b = await SentinelTestHost.StartAsync(WithPasskeys, sqlitePath: path);
        var (email, tokens) = await a.SignUpAndLoginAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        var id = await AddPasskeyAsync(a, tokens.AccessToken, authenticator);

        var optionsFromA = await LoginOptionsAsync(a);
        var onB = await b.PostAsync("/auth/passkeys/login", new { credential = JsonNode.Parse(authenticator.Assert(optionsFromA)) });
        onB.StatusCode.Should().Be(HttpStatusCode.OK, await onB.Content.ReadAsStringAsync(Ct));

        (await a.SendAsync(HttpMethod.Delete, $"/auth/passkeys/{id}", tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var afterRemoval = await b.PostAsync("/auth/passkeys/login", new { credential = JsonNode.Parse(authenticator.Assert(await LoginOptionsAsync(b))) });
        await afterRemoval.ShouldBeProblemAsync(401, "invalid_passkey");
        email.Should().NotBeEmpty();
    }

    [Fact]
    public async Task WithoutARelyingParty_ThePasskeyRoutesAnswer404()
    {
        await using var host = await SentinelTestHost.StartAsync();
        var (_, tokens) = await host.SignUpAndLoginAsync();

        await (await host.PostAsync("/auth/passkeys/login/options", null)).ShouldBeProblemAsync(404, "not_found");
        await (await host.PostAsync("/auth/passkeys/register/options", null, tokens.AccessToken)).ShouldBeProblemAsync(404, "not_found");
        await (await host.PostAsync("/auth/register/passkey/options", new { email = SentinelTestHost.NewEmail() })).ShouldBeProblemAsync(404, "not_found");
    }

    internal static async Task<string> LoginOptionsAsync(SentinelTestHost host)
    {
        var response = await host.PostAsync("/auth/passkeys/login/options", null);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    internal static async Task<Guid> AddPasskeyAsync(SentinelTestHost host, string accessToken, SoftwareAuthenticator authenticator)
    {
        var options = await (await host.PostAsync("/auth/passkeys/register/options", null, accessToken)).Content.ReadAsStringAsync(Ct);
        var created = await host.PostAsync("/auth/passkeys/register", new { credential = JsonNode.Parse(authenticator.Register(options)) }, accessToken);
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        return (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
    }
}
