using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;
using Sentinel.Audit;
using Sentinel.Email;

namespace Sentinel.AspNetCore.Tests;

/// <summary>docs/API.md "Account recovery and email" from the outside, with a sender that keeps every message.</summary>
public sealed class EmailEndpointTests : IAsyncLifetime
{
    private readonly CapturingEmailSender _mail = new();
    private SentinelTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<SentinelTestHost> StartAsync(Action<SentinelOptions>? configure = null) => SentinelTestHost.StartAsync(
        o =>
        {
            o.Email.ResetPasswordUrl = "https://app.example.test/reset?token={token}";
            o.Email.ConfirmEmailUrl = "https://app.example.test/confirm?token={token}";
            o.ApiKeys.Scopes.Add("reports:read", "Read reports");
            configure?.Invoke(o);
        },
        services: s => s.AddSingleton<ISentinelEmailSender>(_mail));

    private async Task<List<SentinelEmailMessage>> MailAsync(SentinelTestHost? host = null)
    {
        await (host ?? _host).Service<EmailSendQueue>().FlushAsync(Ct);
        return _mail.Messages;
    }

    private async Task<string> ResetTokenAsync(string email)
    {
        (await _host.PostAsync("/auth/password/forgot", new { email })).StatusCode.Should().Be(HttpStatusCode.Accepted);
        return (await MailAsync()).OfType<ResetPasswordMessage>().Last(m => m.To == email).Token;
    }

    [Fact]
    public async Task ResetJourney_RevokesEverySession_TheNewPasswordWorks_AndTheTokenWorksOnce()
    {
        var (email, before) = await _host.SignUpAndLoginAsync();

        var forgot = await _host.PostAsync("/auth/password/forgot", new { email });
        forgot.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var message = (await MailAsync()).OfType<ResetPasswordMessage>().Single(m => m.To == email);
        message.Token.Should().HaveLength(43, "256 random bits, base64url");
        message.Link.Should().Be($"https://app.example.test/reset?token={message.Token}");
        message.ToString().Should().NotContain(message.Token, "a message logged by a host must not leak the token");

        (await _host.PostAsync("/auth/password/reset", new { token = message.Token, newPassword = "a brand new passphrase" })).StatusCode.Should().Be(HttpStatusCode.NoContent);

        (await _host.GetAsync("/auth/me", before.AccessToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "every access token dies at once");
        await (await _host.PostAsync("/auth/refresh", new { refreshToken = before.RefreshToken })).ShouldBeProblemAsync(401, "invalid_refresh_token");
        await (await _host.PostAsync("/auth/login", new { email, password = SentinelTestHost.Password })).ShouldBeProblemAsync(401, "invalid_credentials");
        var after = await _host.LoginAsync(email, "a brand new passphrase");
        (await _host.GetAsync("/auth/me", after.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
        await (await _host.PostAsync("/auth/password/reset", new { token = message.Token, newPassword = "yet another passphrase" })).ShouldBeProblemAsync(400, "invalid_token");

        var events = await _host.AuditAsync();
        events.Should().Contain(e => e.Type == AuditEventTypes.PasswordResetRequested && e.Outcome == AuditOutcome.Success);
        events.Should().Contain(e => e.Type == AuditEventTypes.PasswordReset);
        JsonSerializer.Serialize(events).Should().NotContain(message.Token);
        (await MailAsync()).OfType<SecurityNoticeMessage>().Should().Contain(n => n.To == email && n.EventType == AuditEventTypes.PasswordReset);
    }

    [Fact]
    public async Task Reset_RefusesEveryEarlierAccessToken_EvenOneWhoseSessionTheStoreNoLongerLists()
    {
        // A reset revokes the user's sessions one by one and, as a backstop, every token issued before it: a token
        // whose session row is gone (cleaned up, or never seen by this instance) is refused all the same.
        var (email, before) = await _host.SignUpAndLoginAsync();
        await using (var scope = _host.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Sentinel.EntityFramework.SentinelDbContext>();
            (await Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.ExecuteSqlRawAsync(db.Database, "DELETE FROM sentinel_sessions", Ct)).Should().Be(1);
        }

        (await _host.GetAsync("/auth/me", before.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK, "access tokens are checked in memory, not against the session table");
        _host.Time.Advance(TimeSpan.FromSeconds(1));
        var token = await ResetTokenAsync(email);
        (await _host.PostAsync("/auth/password/reset", new { token, newPassword = "a brand new passphrase" })).StatusCode.Should().Be(HttpStatusCode.NoContent);

        (await _host.GetAsync("/auth/me", before.AccessToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Reset_UnlocksALockedOutAccount()
    {
        var (email, _) = await _host.SignUpAndLoginAsync();
        for (var i = 0; i < 5; i++)
        {
            await _host.PostAsync("/auth/login", new { email, password = "wrong horse battery" });
        }

        await (await _host.PostAsync("/auth/login", new { email, password = SentinelTestHost.Password })).ShouldBeProblemAsync(429, "locked_out");
        var token = await ResetTokenAsync(email);
        (await _host.PostAsync("/auth/password/reset", new { token, newPassword = "a brand new passphrase" })).StatusCode.Should().Be(HttpStatusCode.NoContent);

        await _host.LoginAsync(email, "a brand new passphrase");
    }

    [Fact]
    public async Task ResetToken_WorksForThirtyMinutes_ThenExpires()
    {
        var (stillValid, _) = await _host.SignUpAndLoginAsync();
        var (expired, _) = await _host.SignUpAndLoginAsync();
        var early = await ResetTokenAsync(stillValid);
        var late = await ResetTokenAsync(expired);

        _host.Time.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromSeconds(1));
        (await _host.PostAsync("/auth/password/reset", new { token = early, newPassword = "a brand new passphrase" })).StatusCode.Should().Be(HttpStatusCode.NoContent, "the default lifetime is 30 minutes");

        _host.Time.Advance(TimeSpan.FromSeconds(2));
        await (await _host.PostAsync("/auth/password/reset", new { token = late, newPassword = "a brand new passphrase" })).ShouldBeProblemAsync(400, "invalid_token");
    }

    [Fact]
    public async Task ConfirmationToken_WorksFor24Hours_ThenExpires()
    {
        await using var host = await StartAsync(o => o.Email.RequireConfirmedEmail = true);
        var stillValid = await host.RegisterAsync();
        var expired = await host.RegisterAsync();
        var mail = (await MailAsync(host)).OfType<ConfirmEmailMessage>().ToList();

        host.Time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        (await host.PostAsync("/auth/email/confirm", new { token = mail.Single(m => m.To == stillValid).Token })).StatusCode.Should().Be(HttpStatusCode.NoContent, "the default lifetime is 24 hours");

        host.Time.Advance(TimeSpan.FromSeconds(2));
        await (await host.PostAsync("/auth/email/confirm", new { token = mail.Single(m => m.To == expired).Token })).ShouldBeProblemAsync(400, "invalid_token");
        await (await host.PostAsync("/auth/login", new { email = expired, password = SentinelTestHost.Password })).ShouldBeProblemAsync(403, "email_not_confirmed");
        await host.LoginAsync(stillValid);
    }

    [Fact]
    public async Task Tokens_AreStoredAsTheirSha256_NeverAsSent()
    {
        await using var host = await StartAsync(o => o.Email.RequireConfirmedEmail = true);
        var email = await host.RegisterAsync();
        (await host.PostAsync("/auth/password/forgot", new { email })).StatusCode.Should().Be(HttpStatusCode.Accepted);
        var mail = await MailAsync(host);
        var sent = new[]
        {
            (mail.OfType<ConfirmEmailMessage>().Single(m => m.To == email).Token, OneTimeTokenPurpose.EmailConfirmation),
            (mail.OfType<ResetPasswordMessage>().Single(m => m.To == email).Token, OneTimeTokenPurpose.PasswordReset),
        };

        await using var scope = host.App.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<IOneTimeTokenStore>();
        foreach (var (token, purpose) in sent)
        {
            (await store.FindAsync(token, purpose, Ct)).Should().BeNull("the store never holds the token itself");
            var record = await store.FindAsync(Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(token))), purpose, Ct);
            record.Should().NotBeNull("it holds the token's SHA-256");
            record!.UsedAt.Should().BeNull();
        }

        // And nowhere in the database file: a copy of the database gives an attacker no usable link.
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={host.DatabasePath}"))
        {
            await connection.OpenAsync(Ct);
            await using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            await checkpoint.ExecuteNonQueryAsync(Ct);
        }

        var bytes = await File.ReadAllBytesAsync(host.DatabasePath, Ct);
        foreach (var (token, _) in sent)
        {
            bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(token)).Should().Be(-1);
        }
    }

    [Fact]
    public async Task ANewerRequest_InvalidatesTheOlderToken()
    {
        var (email, _) = await _host.SignUpAndLoginAsync();
        var first = await ResetTokenAsync(email);
        var second = await ResetTokenAsync(email);

        await (await _host.PostAsync("/auth/password/reset", new { token = first, newPassword = "a brand new passphrase" })).ShouldBeProblemAsync(400, "invalid_token");
        (await _host.PostAsync("/auth/password/reset", new { token = second, newPassword = "a brand new passphrase" })).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task AWeakNewPassword_IsRefused_AndLeavesTheTokenUsable()
    {
        var (email, _) = await _host.SignUpAndLoginAsync();
        var token = await ResetTokenAsync(email);

        var refused = await (await _host.PostAsync("/auth/password/reset", new { token, newPassword = "password" })).ShouldBeProblemAsync(400, "validation_failed");
        refused.GetProperty("errors").GetProperty("newPassword").GetArrayLength().Should().BePositive();
        (await _host.PostAsync("/auth/password/reset", new { token, newPassword = "a brand new passphrase" })).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task T12_AResetLinkIssuedBeforeAPasswordChange_NoLongerWorks()
    {
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        var token = await ResetTokenAsync(email);
        (await _host.PostAsync("/auth/password", new { currentPassword = SentinelTestHost.Password, newPassword = "a brand new passphrase" }, tokens.AccessToken))
            .StatusCode.Should().Be(HttpStatusCode.NoContent);

        await (await _host.PostAsync("/auth/password/reset", new { token, newPassword = "the attacker's passphrase" })).ShouldBeProblemAsync(400, "invalid_token");
        (await _host.PostAsync("/auth/login", new { email, password = "a brand new passphrase" })).StatusCode.Should().Be(HttpStatusCode.OK);

        // A link asked for after the change works.
        var later = await ResetTokenAsync(email);
        (await _host.PostAsync("/auth/password/reset", new { token = later, newPassword = "yet another passphrase" })).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task AFullSendQueue_Refuses503WithRetryAfter_AndLosesNothingItAccepted()
    {
        // A flood of "forgot password" requests while the mail server is slow: past the requests' share of the queue
        // (nine tenths of QueueCapacity) they are refused with 503 and Retry-After, and every one accepted is sent.
        _mail.Delay = TimeSpan.FromMilliseconds(100);
        await using var host = await StartAsync(o => o.Email.QueueCapacity = 20);
        var emails = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            emails.Add(await host.RegisterAsync());
        }

        await host.Service<EmailSendQueue>().FlushAsync(Ct); // the registrations' confirmations are out of the way
        var before = _mail.Messages.OfType<ResetPasswordMessage>().Count();
        var accepted = new List<string>();
        HttpResponseMessage? refused = null;
        foreach (var email in emails)
        {
            var response = await host.PostAsync("/auth/password/forgot", new { email });
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                accepted.Add(email);
            }
            else
            {
                refused ??= response;
            }
        }

        accepted.Count.Should().BeInRange(18, 19, "nine tenths of 20, plus the one the sender holds");
        refused.Should().NotBeNull();
        await refused!.ShouldBeProblemAsync(503, "service_unavailable");
        refused.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(30));

        _mail.Delay = TimeSpan.Zero;
        await host.Service<EmailSendQueue>().FlushAsync(Ct);
        var sent = _mail.Messages.OfType<ResetPasswordMessage>().Skip(before).Select(m => m.To).ToList();
        sent.Should().BeEquivalentTo(accepted, "nothing the queue accepted is lost");
    }

    [Theory]
    [InlineData("/auth/password/forgot")]
    [InlineData("/auth/email/resend")]
    public async Task UnknownEmail_IsIndistinguishable_InStatusBodyAndTime(string route)
    {
        // SECURITY P3 for account recovery. The sender takes 50 ms per message, as a real mail server might: were the
        // lookup or the send on the request path, a known address would answer at least 50 ms later than an unknown one.
        _mail.Delay = TimeSpan.FromMilliseconds(50);
        await using var host = await StartAsync(o => o.Email.MaxEmailsPerAddressPerHour = 1_000);
        var known = await host.RegisterAsync(); // unconfirmed, so "resend" sends it a confirmation email
        var unknown = SentinelTestHost.NewEmail();

        async Task<(HttpStatusCode Status, string Body, string Headers, double Ms)> AskAsync(string email)
        {
            var watch = Stopwatch.StartNew();
            var response = await host.PostAsync(route, new { email });
            var elapsed = watch.Elapsed.TotalMilliseconds;
            var headers = string.Join(";", response.Headers.Concat(response.Content.Headers).Where(h => h.Key != "Date").Select(h => h.Key + "=" + string.Join(",", h.Value)));
            return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct), headers, elapsed);
        }

        var knownRuns = new List<double>();
        var unknownRuns = new List<double>();
        for (var i = 0; i < 40; i++)
        {
            var a = await AskAsync(known);
            var b = await AskAsync(unknown);
            (a.Status, a.Body, a.Headers).Should().Be((b.Status, b.Body, b.Headers));
            a.Status.Should().Be(HttpStatusCode.Accepted);
            knownRuns.Add(a.Ms);
            unknownRuns.Add(b.Ms);
        }

        // Medians over 40 alternating requests: both only read the body and queue, so they are within noise.
        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        Math.Abs(Median(knownRuns) - Median(unknownRuns)).Should().BeLessThan(10, "known {0:F2} ms vs unknown {1:F2} ms", Median(knownRuns), Median(unknownRuns));
        Median(knownRuns).Should().BeLessThan(50, "the request does not wait for the 50 ms send");
        var mail = await MailAsync(host);
        mail.Should().NotContain(m => m.To == unknown);
        if (route == "/auth/password/forgot")
        {
            mail.OfType<ResetPasswordMessage>().Should().HaveCount(40).And.OnlyContain(m => m.To == known);
            (await host.AuditAsync()).Should().Contain(e => e.Type == AuditEventTypes.PasswordResetRequested && e.Details.GetValueOrDefault("reason") == "unknown_email");
        }
        else
        {
            mail.OfType<ConfirmEmailMessage>().Should().HaveCount(41, "one at registration, one per resend").And.OnlyContain(m => m.To == known);
        }
    }

    [Fact]
    public async Task Reset_DoesNotBypassMfa()
    {
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        var setup = await (await _host.PostAsync("/auth/mfa/totp/setup", null, tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var secret = Base32Encoding.ToBytes(setup.GetProperty("sharedKey").GetString());
        (await _host.PostAsync("/auth/mfa/totp/confirm", new { code = new Totp(secret).ComputeTotp(_host.Time.GetUtcNow().UtcDateTime) }, tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);

        var token = await ResetTokenAsync(email);
        (await _host.PostAsync("/auth/password/reset", new { token, newPassword = "a brand new passphrase" })).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var login = await (await _host.PostAsync("/auth/login", new { email, password = "a brand new passphrase" })).ShouldBeProblemAsync(401, "mfa_required");
        login.GetProperty("mfaToken").GetString().Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task ConfirmationRequired_RefusesSignInUntilConfirmed_ThenSignInWorks()
    {
        await using var host = await StartAsync(o => o.Email.RequireConfirmedEmail = true);
        var email = await host.RegisterAsync();
        var confirm = (await MailAsync(host)).OfType<ConfirmEmailMessage>().Single(m => m.To == email);
        confirm.Link.Should().Be($"https://app.example.test/confirm?token={confirm.Token}");

        await (await host.PostAsync("/auth/login", new { email, password = SentinelTestHost.Password })).ShouldBeProblemAsync(403, "email_not_confirmed");
        await (await host.PostAsync("/auth/login", new { email, password = "wrong horse battery" })).ShouldBeProblemAsync(401, "invalid_credentials");

        (await host.PostAsync("/auth/email/resend", new { email })).StatusCode.Should().Be(HttpStatusCode.Accepted);
        var resent = (await MailAsync(host)).OfType<ConfirmEmailMessage>().Last(m => m.To == email);
        resent.Token.Should().NotBe(confirm.Token);
        await (await host.PostAsync("/auth/email/confirm", new { token = confirm.Token })).ShouldBeProblemAsync(400, "invalid_token");

        (await host.PostAsync("/auth/email/confirm", new { token = resent.Token })).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await host.LoginAsync(email);
        await (await host.PostAsync("/auth/email/confirm", new { token = resent.Token })).ShouldBeProblemAsync(400, "invalid_token");
        (await host.AuditAsync()).Should().Contain(e => e.Type == AuditEventTypes.EmailConfirmed);

        var count = (await MailAsync(host)).Count;
        (await host.PostAsync("/auth/email/resend", new { email })).StatusCode.Should().Be(HttpStatusCode.Accepted);
        (await MailAsync(host)).Should().HaveCount(count, "a confirmed address gets no more confirmation emails");
    }

    [Fact]
    public async Task ForgotAndResend_AreLimitedPerClientAddress_AndPerMailbox()
    {
        await using var host = await StartAsync(o =>
        {
            o.RateLimits.Enabled = true;
            o.RateLimits.AccountRecovery.PermitLimit = 4;
            o.Email.MaxEmailsPerAddressPerHour = 2;
        });
        var email = await host.RegisterAsync();
        for (var i = 0; i < 4; i++)
        {
            (await host.PostAsync("/auth/password/forgot", new { email })).StatusCode.Should().Be(HttpStatusCode.Accepted);
        }

        var limited = await host.PostAsync("/auth/email/resend", new { email });
        await limited.ShouldBeProblemAsync(429, "rate_limited");
        limited.Headers.RetryAfter.Should().NotBeNull();
        (await MailAsync(host)).OfType<ResetPasswordMessage>().Count(m => m.To == email).Should().Be(1, "the registration's confirmation email and one reset make the mailbox's hourly share of 2");
        var events = await host.AuditAsync();
        events.Should().Contain(e => e.Type == AuditEventTypes.RateLimitExceeded && e.Details.GetValueOrDefault("reason") == "accountrecovery");
        events.Should().Contain(e => e.Type == AuditEventTypes.PasswordResetRequested && e.Details.GetValueOrDefault("reason") == "too_many_emails");
    }

    [Fact]
    public async Task SecurityNotices_GoOut_ForPasswordMfaKeyAndReuseEvents_AndTheAuditSaysSo()
    {
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        (await _host.PostAsync("/auth/password", new { currentPassword = SentinelTestHost.Password, newPassword = "a brand new passphrase" }, tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var session = await _host.LoginAsync(email, "a brand new passphrase");
        _host.Time.Advance(TimeSpan.FromMinutes(1));
        var key = await (await _host.PostAsync("/auth/api-keys", new { name = "ci", scopes = new[] { "reports:read" } }, session.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        (await _host.PostAsync($"/auth/api-keys/{key.GetProperty("id").GetString()}/rotate", null, session.AccessToken)).StatusCode.Should().Be(HttpStatusCode.Created);
        var setup = await (await _host.PostAsync("/auth/mfa/totp/setup", null, session.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var secret = Base32Encoding.ToBytes(setup.GetProperty("sharedKey").GetString());
        (await _host.PostAsync("/auth/mfa/totp/confirm", new { code = new Totp(secret).ComputeTotp(_host.Time.GetUtcNow().UtcDateTime) }, session.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);

        _host.Time.Advance(TimeSpan.FromSeconds(30));
        (await _host.PostAsync("/auth/mfa/totp/disable", new { code = new Totp(secret).ComputeTotp(_host.Time.GetUtcNow().UtcDateTime), password = "a brand new passphrase" }, session.AccessToken))
            .StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _host.PostAsync("/auth/refresh", new { refreshToken = session.RefreshToken })).StatusCode.Should().Be(HttpStatusCode.OK);
        await (await _host.PostAsync("/auth/refresh", new { refreshToken = session.RefreshToken })).ShouldBeProblemAsync(401, "invalid_refresh_token");

        var notices = (await MailAsync()).OfType<SecurityNoticeMessage>().Where(n => n.To == email).ToList();
        notices.Select(n => n.EventType).Should().Equal(
            AuditEventTypes.PasswordChanged, AuditEventTypes.ApiKeyCreated, AuditEventTypes.ApiKeyRotated, AuditEventTypes.MfaEnabled, AuditEventTypes.MfaDisabled,
            AuditEventTypes.TokenReuseDetected);
        notices[0].At.Should().Be(SentinelTestHost.Start);
        notices[1].At.Should().Be(SentinelTestHost.Start.AddMinutes(1));

        // The audit trail shows a notice went out to the owner: each of those events says its notice was queued, and no other does.
        var events = await _host.AuditAsync();
        var user = events.First(e => e.Type == AuditEventTypes.PasswordChanged).UserId;
        events.Where(e => e.UserId == user && e.Details.GetValueOrDefault("notice") == "queued").Select(e => e.Type).Should().Equal(notices.Select(n => n.EventType));
    }

    [Fact]
    public async Task SecurityNotices_CanBeTurnedOff_WhileResetEmailsStillGo()
    {
        await using var host = await StartAsync(o => o.Email.SendSecurityNotices = false);
        var email = await host.RegisterAsync();
        var tokens = await host.LoginAsync(email);
        (await host.PostAsync("/auth/password", new { currentPassword = SentinelTestHost.Password, newPassword = "a brand new passphrase" }, tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await host.PostAsync("/auth/password/forgot", new { email })).StatusCode.Should().Be(HttpStatusCode.Accepted);

        var mail = await MailAsync(host);
        mail.OfType<SecurityNoticeMessage>().Should().BeEmpty();
        mail.OfType<ResetPasswordMessage>().Should().ContainSingle(m => m.To == email);
        (await host.AuditAsync()).Single(e => e.Type == AuditEventTypes.PasswordChanged).Details.Should().NotContainKey("notice");
    }

    [Fact]
    public async Task WithoutASender_TheRoutesAnswerAsWithOne_AndNoNoticeIsClaimed()
    {
        await using var host = await SentinelTestHost.StartAsync(); // no ISentinelEmailSender registered
        var (email, tokens) = await host.SignUpAndLoginAsync();

        (await host.PostAsync("/auth/password/forgot", new { email })).StatusCode.Should().Be(HttpStatusCode.Accepted);
        (await host.PostAsync("/auth/email/resend", new { email })).StatusCode.Should().Be(HttpStatusCode.Accepted);
        (await host.PostAsync("/auth/password", new { currentPassword = SentinelTestHost.Password, newPassword = "a brand new passphrase" }, tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        (await host.AuditAsync()).Single(e => e.Type == AuditEventTypes.PasswordChanged).Details.Should().NotContainKey("notice");
    }

    [Fact]
    public async Task RequiringConfirmation_WithoutASender_StopsTheHostAtStart()
    {
        var start = () => SentinelTestHost.StartAsync(o => o.Email.RequireConfirmedEmail = true);

        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("RequireConfirmedEmail").And.Contain("ISentinelEmailSender");
    }

    [Fact]
    public async Task MalformedBodies_AreRefused_AndUnknownTokensToo()
    {
        await (await _host.PostAsync("/auth/password/forgot", new { mail = "x" })).ShouldBeProblemAsync(400, "validation_failed");
        await (await _host.PostAsync("/auth/password/reset", new { token = "short", newPassword = "a brand new passphrase" })).ShouldBeProblemAsync(400, "invalid_token");
        await (await _host.PostAsync("/auth/email/confirm", new { token = new string('A', 43) })).ShouldBeProblemAsync(400, "invalid_token");
        await (await _host.PostAsync("/auth/email/confirm", new { token = 42 })).ShouldBeProblemAsync(400, "validation_failed");
    }
}
