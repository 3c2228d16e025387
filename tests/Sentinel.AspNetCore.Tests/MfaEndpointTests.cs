using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Web;
using FluentAssertions;
using Microsoft.IdentityModel.JsonWebTokens;
using OtpNet;

namespace Sentinel.AspNetCore.Tests;

/// <summary>docs/API.md "Two-factor" and the MFA parts of login, from the outside (SECURITY M1–M7, T4).</summary>
public sealed class MfaEndpointTests : IAsyncLifetime
{
    private SentinelTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await SentinelTestHost.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private sealed record Enrolled(string Email, string AccessToken, byte[] Secret, string[] RecoveryCodes);

    private string Code(byte[] secret, int stepOffset = 0) =>
        new OtpNet.Totp(secret).ComputeTotp(_host.Time.GetUtcNow().UtcDateTime.AddSeconds(30 * stepOffset));

    private async Task<Enrolled> EnrolAsync()
    {
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        var setup = await (await _host.PostAsync("/auth/mfa/totp/setup", null, tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>();
        var secret = Base32Encoding.ToBytes(setup.GetProperty("sharedKey").GetString());
        var confirm = await _host.PostAsync("/auth/mfa/totp/confirm", new { code = Code(secret) }, tokens.AccessToken);
        confirm.StatusCode.Should().Be(HttpStatusCode.OK);
        var codes = (await confirm.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        _host.Time.Advance(TimeSpan.FromSeconds(30));
        return new Enrolled(email, tokens.AccessToken, secret, codes);
    }

    [Fact]
    public async Task Enrolment_QrCodeCarriesTheUri_AndAnIndependentlyComputedCodeConfirmsIt()
    {
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        var status = await (await _host.GetAsync("/auth/mfa", tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>();
        status.GetProperty("enabled").GetBoolean().Should().BeFalse();
        status.GetProperty("pendingSetup").GetBoolean().Should().BeFalse();
        status.GetProperty("recoveryCodesLeft").GetInt32().Should().Be(0);

        var setupResponse = await _host.PostAsync("/auth/mfa/totp/setup", null, tokens.AccessToken);
        setupResponse.StatusCode.Should().Be(HttpStatusCode.OK);
        setupResponse.Headers.CacheControl!.NoStore.Should().BeTrue();
        var setup = await setupResponse.Content.ReadFromJsonAsync<JsonElement>();
        var sharedKey = setup.GetProperty("sharedKey").GetString()!;
        var uri = setup.GetProperty("otpauthUri").GetString()!;
        var png = setup.GetProperty("qrCodePng").GetString()!;

        uri.Should().Be($"otpauth://totp/Sentinel:{Uri.EscapeDataString(email)}?secret={sharedKey}&issuer=Sentinel&algorithm=SHA1&digits=6&period=30");
        png.Should().StartWith("data:image/png;base64,");

        // Read the QR code back with zbarimg, as a phone's camera would.
        var file = Path.Combine(Path.GetTempPath(), $"sentinel-qr-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(file, Convert.FromBase64String(png["data:image/png;base64,".Length..]), TestContext.Current.CancellationToken);
        try
        {
            (await ExternalTools.RunAsync("zbarimg", "--raw", "-q", file)).Should().Be(uri);
        }
        finally
        {
            File.Delete(file);
        }

        var pending = await (await _host.GetAsync("/auth/mfa", tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>();
        pending.GetProperty("enabled").GetBoolean().Should().BeFalse("MFA stays off until a first code confirms it");
        pending.GetProperty("pendingSetup").GetBoolean().Should().BeTrue();

        // A code computed by oathtool from the URI's secret, at the server's (fake) time.
        var secretFromUri = HttpUtility.ParseQueryString(new Uri(uri).Query)["secret"]!;
        var now = _host.Time.GetUtcNow().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";
        var code = await ExternalTools.RunAsync("oathtool", "--totp", "-b", secretFromUri, "--now", now);

        var confirm = await _host.PostAsync("/auth/mfa/totp/confirm", new { code }, tokens.AccessToken);
        confirm.StatusCode.Should().Be(HttpStatusCode.OK);
        var codes = (await confirm.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()).ToList();
        codes.Should().HaveCount(10).And.OnlyContain(c => c!.Length == 11 && c[5] == '-');

        var enabled = await (await _host.GetAsync("/auth/mfa", tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>();
        enabled.GetProperty("enabled").GetBoolean().Should().BeTrue();
        enabled.GetProperty("recoveryCodesLeft").GetInt32().Should().Be(10);
        (await (await _host.GetAsync("/auth/me", tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("mfaEnabled").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task Setup_WhenEnabled_Is409_AndConfirmWithoutSetup_Is400()
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        await (await _host.PostAsync("/auth/mfa/totp/confirm", new { code = "123456" }, tokens.AccessToken)).ShouldBeProblemAsync(400, "no_pending_setup");

        var enrolled = await EnrolAsync();
        await (await _host.PostAsync("/auth/mfa/totp/setup", null, enrolled.AccessToken)).ShouldBeProblemAsync(409, "mfa_already_enabled");
    }

    [Fact]
    public async Task Confirm_WrongCode_Is401()
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        await _host.PostAsync("/auth/mfa/totp/setup", null, tokens.AccessToken);
        await (await _host.PostAsync("/auth/mfa/totp/confirm", new { code = "000000" }, tokens.AccessToken)).ShouldBeProblemAsync(401, "invalid_mfa_code");
    }

    [Fact]
    public async Task T12_AChallengeIssuedBeforeALogoutEverywhere_IsRefusedAfterIt()
    {
        var enrolled = await EnrolAsync();
        var challenge = await (await _host.PostAsync("/auth/login", new { email = enrolled.Email, password = SentinelTestHost.Password }))
            .ShouldBeProblemAsync(401, "mfa_required");
        var mfaToken = challenge.GetProperty("mfaToken").GetString()!;

        // The owner, signed in elsewhere, logs out everywhere (a stolen password is suspected).
        (await _host.PostAsync("/auth/logout/all", null, enrolled.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        await (await _host.PostAsync("/auth/login/mfa", new { mfaToken, code = Code(enrolled.Secret) })).ShouldBeProblemAsync(401, "invalid_mfa_token");
    }

    [Fact]
    public async Task Login_WithMfa_AnswersMfaRequired_ThenLoginMfaIssuesTokensWithOtpAmr()
    {
        var enrolled = await EnrolAsync();

        var first = await _host.PostAsync("/auth/login", new { email = enrolled.Email, password = SentinelTestHost.Password });
        var problem = await first.ShouldBeProblemAsync(401, "mfa_required");
        problem.GetProperty("detail").GetString().Should().Be("RequiresTwoFactor");
        var mfaToken = problem.GetProperty("mfaToken").GetString()!;
        // SECURITY T10: opaque, not a JWT anything could verify from the JWKS.
        mfaToken.Should().StartWith("mfa_").And.NotContain(".");

        // SECURITY T4: the MFA token is no access token.
        (await _host.GetAsync("/auth/me", mfaToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var code = Code(enrolled.Secret);
        var second = await _host.PostAsync("/auth/login/mfa", new { mfaToken, code });
        second.StatusCode.Should().Be(HttpStatusCode.OK);
        var tokens = (await second.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>())!;
        new JsonWebToken(tokens.AccessToken).Claims.Where(c => c.Type == "amr").Select(c => c.Value).Should().Equal("pwd", "otp");
        (await _host.GetAsync("/auth/me", tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);

        // SECURITY M3: the same code again, on a fresh challenge, is refused.
        var again = await (await _host.PostAsync("/auth/login", new { email = enrolled.Email, password = SentinelTestHost.Password })).Content.ReadFromJsonAsync<JsonElement>();
        await (await _host.PostAsync("/auth/login/mfa", new { mfaToken = again.GetProperty("mfaToken").GetString(), code })).ShouldBeProblemAsync(401, "invalid_mfa_code");
        // And the redeemed challenge cannot be used again.
        await (await _host.PostAsync("/auth/login/mfa", new { mfaToken, code = Code(enrolled.Secret, 1) })).ShouldBeProblemAsync(401, "invalid_mfa_token");
    }

    [Fact]
    public async Task Login_OneStep_WithCodeOrRecoveryCode()
    {
        var enrolled = await EnrolAsync();

        var withCode = await _host.PostAsync("/auth/login", new { email = enrolled.Email, password = SentinelTestHost.Password, twoFactorCode = Code(enrolled.Secret) });
        withCode.StatusCode.Should().Be(HttpStatusCode.OK);

        var withRecovery = await _host.PostAsync("/auth/login", new { email = enrolled.Email, password = SentinelTestHost.Password, twoFactorRecoveryCode = enrolled.RecoveryCodes[0] });
        withRecovery.StatusCode.Should().Be(HttpStatusCode.OK);
        var tokens = (await withRecovery.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>())!;
        new JsonWebToken(tokens.AccessToken).Claims.Where(c => c.Type == "amr").Select(c => c.Value).Should().Equal("pwd", "rc");

        // SECURITY M6: a used recovery code is refused.
        await (await _host.PostAsync("/auth/login", new { email = enrolled.Email, password = SentinelTestHost.Password, twoFactorRecoveryCode = enrolled.RecoveryCodes[0] }))
            .ShouldBeProblemAsync(401, "invalid_mfa_code");
        // A wrong password never reaches the code.
        await (await _host.PostAsync("/auth/login", new { email = enrolled.Email, password = "wrong horse battery", twoFactorCode = Code(enrolled.Secret, 1) }))
            .ShouldBeProblemAsync(401, "invalid_credentials");
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("")]
    public async Task LoginMfa_BadToken_IsInvalidMfaToken(string mfaToken)
    {
        await (await _host.PostAsync("/auth/login/mfa", new { mfaToken, code = "123456" })).ShouldBeProblemAsync(401, "invalid_mfa_token");
    }

    [Fact]
    public async Task LoginMfa_WithAnAccessToken_IsInvalidMfaToken()
    {
        // SECURITY T4, the other way round.
        var enrolled = await EnrolAsync();
        await (await _host.PostAsync("/auth/login/mfa", new { mfaToken = enrolled.AccessToken, code = Code(enrolled.Secret) })).ShouldBeProblemAsync(401, "invalid_mfa_token");
    }

    [Fact]
    public async Task LoginMfa_ChallengeExpiresAfterFiveMinutes()
    {
        var enrolled = await EnrolAsync();
        var challenge = await (await _host.PostAsync("/auth/login", new { email = enrolled.Email, password = SentinelTestHost.Password })).Content.ReadFromJsonAsync<JsonElement>();
        _host.Time.Advance(TimeSpan.FromMinutes(5));
        await (await _host.PostAsync("/auth/login/mfa", new { mfaToken = challenge.GetProperty("mfaToken").GetString(), code = Code(enrolled.Secret) }))
            .ShouldBeProblemAsync(401, "invalid_mfa_token");
    }

    [Fact]
    public async Task WrongCodes_LockTheAccount()
    {
        // SECURITY M5: failed codes count toward the lockout.
        var enrolled = await EnrolAsync();
        var challenge = await (await _host.PostAsync("/auth/login", new { email = enrolled.Email, password = SentinelTestHost.Password })).Content.ReadFromJsonAsync<JsonElement>();
        var mfaToken = challenge.GetProperty("mfaToken").GetString();
        for (var i = 0; i < 4; i++)
        {
            await (await _host.PostAsync("/auth/login/mfa", new { mfaToken, code = "00000" + i })).ShouldBeProblemAsync(401, "invalid_mfa_code");
        }

        var locked = await _host.PostAsync("/auth/login/mfa", new { mfaToken, code = "000009" });
        await locked.ShouldBeProblemAsync(429, "locked_out");
        locked.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromMinutes(5));
        await (await _host.PostAsync("/auth/login", new { email = enrolled.Email, password = SentinelTestHost.Password })).ShouldBeProblemAsync(429, "locked_out");
    }

    [Fact]
    public async Task RecoveryCodes_RegenerateNeedsACode_AndKillsTheOldSet()
    {
        var enrolled = await EnrolAsync();
        await (await _host.PostAsync("/auth/mfa/recovery-codes", new { code = "000000" }, enrolled.AccessToken)).ShouldBeProblemAsync(401, "invalid_mfa_code");

        var response = await _host.PostAsync("/auth/mfa/recovery-codes", new { code = Code(enrolled.Secret) }, enrolled.AccessToken);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var fresh = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()).ToList();
        fresh.Should().HaveCount(10);

        await (await _host.PostAsync("/auth/login", new { email = enrolled.Email, password = SentinelTestHost.Password, twoFactorRecoveryCode = enrolled.RecoveryCodes[1] }))
            .ShouldBeProblemAsync(401, "invalid_mfa_code");
        (await _host.PostAsync("/auth/login", new { email = enrolled.Email, password = SentinelTestHost.Password, twoFactorRecoveryCode = fresh[1] }))
            .StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Disable_NeedsPasswordAndCode()
    {
        // SECURITY M7.
        var enrolled = await EnrolAsync();
        await (await _host.PostAsync("/auth/mfa/totp/disable", new { password = "wrong horse battery", code = Code(enrolled.Secret) }, enrolled.AccessToken))
            .ShouldBeProblemAsync(401, "invalid_credentials");
        await (await _host.PostAsync("/auth/mfa/totp/disable", new { password = SentinelTestHost.Password }, enrolled.AccessToken))
            .ShouldBeProblemAsync(401, "invalid_mfa_code");
        await (await _host.PostAsync("/auth/mfa/totp/disable", new { code = Code(enrolled.Secret) }, enrolled.AccessToken))
            .ShouldBeProblemAsync(400, "validation_failed");

        (await _host.PostAsync("/auth/mfa/totp/disable", new { password = SentinelTestHost.Password, code = Code(enrolled.Secret) }, enrolled.AccessToken))
            .StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _host.PostAsync("/auth/login", new { email = enrolled.Email, password = SentinelTestHost.Password })).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task MfaEndpoints_NeedABearerToken()
    {
        foreach (var path in new[] { "/auth/mfa/totp/setup", "/auth/mfa/totp/confirm", "/auth/mfa/totp/disable", "/auth/mfa/recovery-codes" })
        {
            await (await _host.PostAsync(path, new { code = "123456" })).ShouldBeProblemAsync(401, "invalid_token");
        }

        await (await _host.GetAsync("/auth/mfa", null)).ShouldBeProblemAsync(401, "invalid_token");
    }
}
