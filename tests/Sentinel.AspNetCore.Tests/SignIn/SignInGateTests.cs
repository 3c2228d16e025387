using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using OtpNet;
using Sentinel.Audit;

namespace Sentinel.AspNetCore.Tests.SignIn;

/// <summary>
/// SECURITY M5, M8, P4 and A1 on every route that checks a credential, from the outside: wrong guesses count toward
/// one lockout and each writes its event, and N parallel guesses get no more checks than N sequential ones, on
/// SQLite and PostgreSQL. Each route is one of the rows below; a route added later that checks a factor belongs here.
/// </summary>
public sealed class SignInGateTests
{
    private const int MaxFailedAttempts = 5; // the default

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every route that checks a credential: what a wrong guess and a right one look like there.</summary>
    public static TheoryData<string> Routes => new()
    {
        "login: password",
        "login: one-step code",
        "login/mfa: code",
        "mfa/recovery-codes: code",
        "mfa/totp/disable: code",
        "mfa/totp/disable: password",
        "password: current password",
    };

    public static TheoryData<string, string> RoutesOnEachDatabase()
    {
        var data = new TheoryData<string, string>();
        foreach (var route in Routes)
        {
            data.Add(route, "sqlite");
            data.Add(route, "postgres");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task WrongGuesses_CountTowardTheLockout_AndEachWritesItsEvent(string route)
    {
        await using var host = await SentinelTestHost.StartAsync();
        var account = await Account.EnrolAsync(host);
        var before = (await host.AuditAsync()).Count;

        for (var i = 1; i < MaxFailedAttempts; i++)
        {
            await (await account.GuessAsync(route, right: false)).ShouldBeProblemAsync(401, account.WrongCode(route));
        }

        var locking = await account.GuessAsync(route, right: false);
        await locking.ShouldBeProblemAsync(429, "locked_out");
        locking.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromMinutes(5));
        // The right one is refused too while the account is locked (on /login/mfa the challenge died with its fifth wrong code).
        var refused = route == "login/mfa: code" ? "invalid_mfa_token" : "locked_out";
        await (await account.GuessAsync(route, right: true)).ShouldBeProblemAsync(refused == "locked_out" ? 429 : 401, refused);

        var events = (await host.AuditAsync()).Skip(before).Where(e => e.UserId == account.UserId).ToList();
        var failed = events.Where(e => e.Type == account.FailureEvent(route)).ToList();
        failed.Should().HaveCount(MaxFailedAttempts, "each wrong guess writes one event (A1, M8)");
        failed.Should().OnlyContain(e => e.Details["method"] == account.Method(route) && e.Details["reason"] == account.Reason(route));
        events.Where(e => e.Type == AuditEventTypes.LoginLockedOut).Select(e => e.Details["reason"])
            .Should().Equal(refused == "locked_out" ? ["too_many_failures", "locked"] : ["too_many_failures"], "the guess that locked the account, then the right one refused");

        host.Time.Advance(TimeSpan.FromMinutes(5));
        account.NewChallenge(); // the old one expired meanwhile
        (await account.GuessAsync(route, right: true)).IsSuccessStatusCode.Should().BeTrue("the lockout ends on time");
    }

    [Theory]
    [MemberData(nameof(RoutesOnEachDatabase))]
    public async Task FiftyParallelWrongGuesses_GetNoMoreChecksThanTheLockoutAllows(string route, string database)
    {
        // SECURITY M8: with the guesses sent at once, still only MaxFailedAttempts of them are checked.
        await using var host = await SentinelTestHost.StartAsync(database: database);
        var account = await Account.EnrolAsync(host);
        var before = (await host.AuditAsync()).Count;

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => account.GuessAsync(route, right: false), Ct)));

        var codes = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString()));
        // Refused as wrong, or as locked out; never a server error. On /login/mfa a guess that arrives once the
        // challenge has died is refused as an invalid challenge, before anything is checked.
        string[] refusals = route == "login/mfa: code" ? [account.WrongCode(route), "locked_out", "invalid_mfa_token"] : [account.WrongCode(route), "locked_out"];
        codes.Should().OnlyContain(c => refusals.Contains(c));
        codes.Count(c => c == account.WrongCode(route)).Should().Be(MaxFailedAttempts - 1, "the last checked guess locked the account");
        var events = (await host.AuditAsync()).Skip(before).Where(e => e.UserId == account.UserId).ToList();
        events.Count(e => e.Type == account.FailureEvent(route)).Should().Be(MaxFailedAttempts, "only that many guesses were checked");
        events.Count(e => e.Type == AuditEventTypes.LoginLockedOut && e.Details["reason"] == "too_many_failures").Should().Be(1);
        events.Count(e => e.Type == AuditEventTypes.LoginLockedOut && e.Details["reason"] == "locked").Should().Be(codes.Count(c => c == "locked_out") - 1);
    }

    [Fact]
    public async Task FiftyParallelWrongCodes_OnOneChallenge_WithLockoutOff_GetNoMoreChecksThanTheChallengeAllows()
    {
        // SECURITY M5 and M8: the challenge's own limit (five wrong codes) holds under parallel guesses too.
        await using var host = await SentinelTestHost.StartAsync(o => o.Lockout.Enabled = false);
        var account = await Account.EnrolAsync(host);
        var mfaToken = await account.ChallengeAsync();
        var before = (await host.AuditAsync()).Count;

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => host.PostAsync("/auth/login/mfa", new { mfaToken, code = account.WrongTotp() }), Ct)));

        var codes = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString()));
        codes.Count(c => c == "invalid_mfa_code").Should().Be(5);
        codes.Count(c => c == "invalid_mfa_token").Should().Be(45, "the challenge died after its fifth wrong code");
        (await host.AuditAsync()).Skip(before).Count(e => e.Type == AuditEventTypes.MfaFailed).Should().Be(5);
        await (await host.PostAsync("/auth/login/mfa", new { mfaToken, code = account.RightTotp() })).ShouldBeProblemAsync(401, "invalid_mfa_token");
    }

    /// <summary>A user with two-factor on, signed in, and how to guess on each route.</summary>
    private sealed class Account(SentinelTestHost host, string email, Guid userId, string accessToken, byte[] secret)
    {
        private long _nextStep;

        public Guid UserId => userId;

        public static async Task<Account> EnrolAsync(SentinelTestHost host)
        {
            var (email, tokens) = await host.SignUpAndLoginAsync();
            var setup = await (await host.PostAsync("/auth/mfa/totp/setup", null, tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
            var secret = Base32Encoding.ToBytes(setup.GetProperty("sharedKey").GetString());
            var code = new OtpNet.Totp(secret).ComputeTotp(host.Time.GetUtcNow().UtcDateTime);
            (await host.PostAsync("/auth/mfa/totp/confirm", new { code }, tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
            var me = await (await host.GetAsync("/auth/me", tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
            return new Account(host, email, me.GetProperty("id").GetGuid(), tokens.AccessToken, secret);
        }

        /// <summary>A code of a step not used before (the clock moves on one step each time, so none is a replay).</summary>
        public string RightTotp()
        {
            host.Time.Advance(TimeSpan.FromSeconds(30));
            return new OtpNet.Totp(secret).ComputeTotp(host.Time.GetUtcNow().UtcDateTime);
        }

        /// <summary>A code that matches no step in the window.</summary>
        public string WrongTotp()
        {
            var totp = new OtpNet.Totp(secret);
            var now = host.Time.GetUtcNow().UtcDateTime;
            var window = new[] { -30, 0, 30 }.Select(s => totp.ComputeTotp(now.AddSeconds(s))).ToHashSet();
            for (var candidate = Interlocked.Increment(ref _nextStep); ; candidate++)
            {
                var code = (candidate % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
                if (!window.Contains(code))
                {
                    return code;
                }
            }
        }

        public async Task<string> ChallengeAsync()
        {
            var response = await host.PostAsync("/auth/login", new { email, password = SentinelTestHost.Password });
            return (await response.ShouldBeProblemAsync(401, "mfa_required")).GetProperty("mfaToken").GetString()!;
        }

        public async Task<HttpResponseMessage> GuessAsync(string route, bool right)
        {
            var password = right || !ChecksPassword(route) ? SentinelTestHost.Password : "wrong horse battery";
            // A wrong password is refused before any code is looked at; a right guess needs a code never used before.
            var code = right ? RightTotp() : ChecksPassword(route) ? "000000" : WrongTotp();
            return route switch
            {
                "login: password" => await host.PostAsync("/auth/login", new { email, password, twoFactorCode = code }),
                "login: one-step code" => await host.PostAsync("/auth/login", new { email, password, twoFactorCode = code }),
                "login/mfa: code" => await host.PostAsync("/auth/login/mfa", new { mfaToken = await SharedChallengeAsync(), code }),
                "mfa/recovery-codes: code" => await host.PostAsync("/auth/mfa/recovery-codes", new { code }, accessToken),
                "mfa/totp/disable: code" or "mfa/totp/disable: password" => await host.PostAsync("/auth/mfa/totp/disable", new { password, code }, accessToken),
                "password: current password" => await host.PostAsync("/auth/password", new { currentPassword = password, newPassword = right ? "a brand new passphrase" : "another new passphrase" }, accessToken),
                _ => throw new ArgumentOutOfRangeException(nameof(route)),
            };
        }

        // One challenge for every guess on /login/mfa, as an attacker with the password would use it.
        private Task<string>? _challenge;

        public void NewChallenge()
        {
            lock (this)
            {
                _challenge = null;
            }
        }

        private Task<string> SharedChallengeAsync()
        {
            lock (this)
            {
                return _challenge ??= ChallengeAsync();
            }
        }

        public static bool ChecksPassword(string route) => route.EndsWith("password", StringComparison.Ordinal);

        public string WrongCode(string route) => ChecksPassword(route) ? "invalid_credentials" : "invalid_mfa_code";

        public string FailureEvent(string route) => ChecksPassword(route) ? AuditEventTypes.LoginFailed : AuditEventTypes.MfaFailed;

        public string Method(string route) => ChecksPassword(route) ? "password" : "totp";

        public string Reason(string route) => ChecksPassword(route) ? "wrong_password" : "wrong_code";
    }
}
