using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using OtpNet;

namespace Sentinel.AspNetCore.Tests.Attacks;

/// <summary>
/// The finding "anyone can keep a chosen account locked forever" (issue 18, point 9; SECURITY P4), answered with
/// OWASP's device cookies: a successful sign-in returns a <c>deviceToken</c>, and a sign-in that presents it is
/// counted against that device, so a lockout caused from elsewhere does not refuse it.
/// </summary>
public sealed class DeviceTokenTests : IAsyncLifetime
{
    private const string WrongPassword = "not the password at all";
    private SentinelTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await SentinelTestHost.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<HttpResponseMessage> LoginAsync(string email, string password, string? deviceToken = null) =>
        _host.PostAsync("/auth/login", deviceToken is null ? new { email, password } : (object)new { email, password, deviceToken });

    private static async Task<string> DeviceTokenOf(HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("deviceToken").GetString()!;
        token.Should().StartWith("dev_");
        return token;
    }

    /// <summary>Someone elsewhere locks the account with wrong passwords.</summary>
    private async Task LockFromElsewhereAsync(string email)
    {
        for (var i = 1; i < 5; i++)
        {
            await (await LoginAsync(email, WrongPassword)).ShouldBeProblemAsync(401, "invalid_credentials");
        }

        await (await LoginAsync(email, WrongPassword)).ShouldBeProblemAsync(429, "locked_out");
    }

    [Fact]
    public async Task P4_ALockoutCausedFromElsewhere_DoesNotRefuseTheOwnersRecognisedDevice()
    {
        var email = await _host.RegisterAsync();
        var device = await DeviceTokenOf(await LoginAsync(email, SentinelTestHost.Password));
        await LockFromElsewhereAsync(email);
        await (await LoginAsync(email, SentinelTestHost.Password)).ShouldBeProblemAsync(429, "locked_out");

        var next = await DeviceTokenOf(await LoginAsync(email, SentinelTestHost.Password, device));
        next.Should().NotBe(device, "each sign-in gives the device its next token");

        // The spent token recognises nothing any more: with it, the sign-in is an ordinary one, and the account is locked.
        await (await LoginAsync(email, SentinelTestHost.Password, device)).ShouldBeProblemAsync(429, "locked_out");
        await DeviceTokenOf(await LoginAsync(email, SentinelTestHost.Password, next));
    }

    [Fact]
    public async Task P4_WrongPasswordsFromARecognisedDevice_LockThatDevice_NotTheAccount()
    {
        var email = await _host.RegisterAsync();
        var device = await DeviceTokenOf(await LoginAsync(email, SentinelTestHost.Password));
        for (var i = 1; i < 5; i++)
        {
            await (await LoginAsync(email, WrongPassword, device)).ShouldBeProblemAsync(401, "invalid_credentials");
        }

        var locked = await LoginAsync(email, WrongPassword, device);
        await locked.ShouldBeProblemAsync(429, "locked_out");
        locked.Headers.RetryAfter.Should().NotBeNull();
        await (await LoginAsync(email, SentinelTestHost.Password, device)).ShouldBeProblemAsync(429, "locked_out");

        // The account itself was not counted: a sign-in without the device token still works.
        await DeviceTokenOf(await LoginAsync(email, SentinelTestHost.Password));
        (await _host.AuditAsync()).Count(e => e.Type == Sentinel.Audit.AuditEventTypes.LoginFailed && e.Details["reason"] == "wrong_password")
            .Should().BeGreaterThanOrEqualTo(5, "a device's failures are audited like any other");
    }

    [Fact]
    public async Task P4_WithTwoFactorOn_TheRecognisedDevicesCodeStepIsNotRefusedEither()
    {
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        var totp = new Totp(await _host.EnrolTotpAsync(tokens.AccessToken));
        _host.Time.Advance(TimeSpan.FromSeconds(30));
        var challenge = await (await LoginAsync(email, SentinelTestHost.Password)).ShouldBeProblemAsync(401, "mfa_required");
        var device = await DeviceTokenOf(await _host.PostAsync("/auth/login/mfa", new
        {
            mfaToken = challenge.GetProperty("mfaToken").GetString(),
            code = totp.ComputeTotp(_host.Time.GetUtcNow().UtcDateTime),
        }));

        await LockFromElsewhereAsync(email);
        _host.Time.Advance(TimeSpan.FromSeconds(30));
        var again = await (await LoginAsync(email, SentinelTestHost.Password, device)).ShouldBeProblemAsync(401, "mfa_required");
        await DeviceTokenOf(await _host.PostAsync("/auth/login/mfa", new
        {
            mfaToken = again.GetProperty("mfaToken").GetString(),
            code = totp.ComputeTotp(_host.Time.GetUtcNow().UtcDateTime),
        }));
    }

    [Fact]
    public async Task P4_AnotherAccountsDeviceToken_OrAMadeUpOne_RecognisesNothing()
    {
        var mine = await _host.RegisterAsync();
        var theirs = await _host.RegisterAsync();
        var myDevice = await DeviceTokenOf(await LoginAsync(mine, SentinelTestHost.Password));
        await LockFromElsewhereAsync(theirs);

        await (await LoginAsync(theirs, SentinelTestHost.Password, myDevice)).ShouldBeProblemAsync(429, "locked_out");
        await (await LoginAsync(theirs, SentinelTestHost.Password, "dev_" + new string('A', 43))).ShouldBeProblemAsync(429, "locked_out");
        await (await LoginAsync(theirs, SentinelTestHost.Password, "not a device token")).ShouldBeProblemAsync(429, "locked_out");
    }

    [Fact]
    public async Task P4_APasswordChange_EndsTheDevicesRecognition_AndRefreshesCarryNoDeviceToken()
    {
        var email = await _host.RegisterAsync();
        var login = await LoginAsync(email, SentinelTestHost.Password);
        var body = await login.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var device = body.GetProperty("deviceToken").GetString()!;
        var refreshed = await (await _host.PostAsync("/auth/refresh", new { refreshToken = body.GetProperty("refreshToken").GetString() })).Content.ReadFromJsonAsync<JsonElement>(Ct);
        refreshed.TryGetProperty("deviceToken", out _).Should().BeFalse("only a sign-in recognises a device");

        const string NewPassword = "a brand new passphrase";
        (await _host.PostAsync("/auth/password", new { currentPassword = SentinelTestHost.Password, newPassword = NewPassword }, body.GetProperty("accessToken").GetString()))
            .StatusCode.Should().Be(HttpStatusCode.NoContent);
        await LockFromElsewhereAsync(email);

        await (await LoginAsync(email, NewPassword, device)).ShouldBeProblemAsync(429, "locked_out");
    }
}
