using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sentinel.Email;
using Sentinel.Hosting;
using Sentinel.Mfa;
using Sentinel.Sessions;
using Sentinel.Tokens;

namespace Sentinel.Tests.Hosting;

/// <summary>Sentinel.Core's own lifecycle: one job per periodic task, each run once on demand, and a loop in which a failing job holds up no other.</summary>
public sealed class MaintenanceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static T Job<T>(TestServices s) where T : SentinelJob => s.Get<IEnumerable<SentinelJob>>().OfType<T>().Single();

    [Fact]
    public void AddSentinelCore_RegistersTheMaintenanceService_AndOneJobPerTask()
    {
        using var s = new TestServices();
        s.Get<IEnumerable<IHostedService>>().Should().ContainSingle().Which.Should().BeSameAs(s.Get<SentinelMaintenance>());
        s.Get<IEnumerable<SentinelJob>>().Select(j => j.Name).Should().BeEquivalentTo(
            ["revocation_sync", "apikey_usage", "refusal_flush", "signing_key_rotation", "session_prune", "audit_prune", "expired_token_cleanup"]);
    }

    [Fact]
    public async Task ExpiredTokenCleanup_DeletesChallengesAndEmailTokensADayPastExpiry_AndKeepsTheRest()
    {
        using var s = new TestServices();
        var now = s.Time.GetUtcNow();
        var mfa = s.Get<IMfaStore>();
        var tokens = s.Get<IOneTimeTokenStore>();
        MfaChallenge Challenge(TimeSpan expiresIn) => new() { Id = Guid.CreateVersion7(), UserId = Guid.CreateVersion7(), CreatedAt = now, ExpiresAt = now + expiresIn };
        OneTimeTokenRecord Token(TimeSpan expiresIn) => new()
        {
            Id = Guid.CreateVersion7(), UserId = Guid.CreateVersion7(), Purpose = OneTimeTokenPurpose.PasswordReset, Hash = Guid.NewGuid().ToString("N"), CreatedAt = now, ExpiresAt = now + expiresIn,
        };
        var (oldChallenge, recentChallenge) = (Challenge(TimeSpan.FromMinutes(5)), Challenge(TimeSpan.FromDays(1.5)));
        var (oldToken, recentToken) = (Token(TimeSpan.FromMinutes(30)), Token(TimeSpan.FromDays(1.5)));
        await mfa.CreateChallengeAsync(oldChallenge, Ct);
        await mfa.CreateChallengeAsync(recentChallenge, Ct);
        await tokens.CreateAsync(oldToken, Ct);
        await tokens.CreateAsync(recentToken, Ct);

        s.Time.Advance(TimeSpan.FromDays(2));
        await Job<ExpiredTokenCleanupJob>(s).RunOnceAsync(Ct);

        (await mfa.FindChallengeAsync(oldChallenge.Id, Ct)).Should().BeNull("challenge rows no longer stay forever");
        (await mfa.FindChallengeAsync(recentChallenge.Id, Ct)).Should().NotBeNull("expired less than a day ago");
        (await tokens.FindAsync(oldToken.Hash, OneTimeTokenPurpose.PasswordReset, Ct)).Should().BeNull();
        (await tokens.FindAsync(recentToken.Hash, OneTimeTokenPurpose.PasswordReset, Ct)).Should().NotBeNull();
    }

    [Fact]
    public async Task ExpiredTokenCleanup_AlsoDeletesPasskeyChallengesADayPastExpiry()
    {
        using var s = new TestServices();
        var now = s.Time.GetUtcNow();
        var passkeys = s.Get<Sentinel.Passkeys.IPasskeyStore>();
        Sentinel.Passkeys.PasskeyChallenge Challenge(TimeSpan expiresIn) => new()
        {
            Id = Guid.CreateVersion7(), ChallengeHash = Guid.NewGuid().ToString("N"), Ceremony = Sentinel.Passkeys.PasskeyCeremony.Authentication,
            OptionsJson = "{}", CreatedAt = now, ExpiresAt = now + expiresIn,
        };
        var (old, recent) = (Challenge(TimeSpan.FromMinutes(5)), Challenge(TimeSpan.FromDays(1.5)));
        await passkeys.CreateChallengeAsync(old, Ct);
        await passkeys.CreateChallengeAsync(recent, Ct);

        s.Time.Advance(TimeSpan.FromDays(2));
        await Job<ExpiredTokenCleanupJob>(s).RunOnceAsync(Ct);

        (await passkeys.FindChallengeAsync(old.ChallengeHash, Ct)).Should().BeNull();
        (await passkeys.FindChallengeAsync(recent.ChallengeHash, Ct)).Should().NotBeNull();
    }

    [Fact]
    public async Task SessionPrune_DeletesSessionsADayPastTheirEnd()
    {
        using var s = new TestServices();
        var user = await s.RegisterAsync();
        var pair = await s.Get<SessionService>().StartAsync(user, ["pwd"], null, Ct);

        s.Time.Advance(s.Get<Microsoft.Extensions.Options.IOptions<SentinelOptions>>().Value.Tokens.SessionAbsoluteLifetime + TimeSpan.FromHours(23));
        await Job<SessionPruneJob>(s).RunOnceAsync(Ct);
        (await s.Get<ISessionStore>().FindAsync(pair.SessionId, Ct)).Should().NotBeNull("ended less than a day ago");

        s.Time.Advance(TimeSpan.FromHours(2));
        await Job<SessionPruneJob>(s).RunOnceAsync(Ct);
        (await s.Get<ISessionStore>().FindAsync(pair.SessionId, Ct)).Should().BeNull();
    }

    [Fact]
    public async Task SigningKeyRotation_RunOnce_CreatesTheFirstKey()
    {
        using var s = new TestServices();
        await Job<SigningKeyRotationJob>(s).RunOnceAsync(Ct);
        (await s.Get<ISigningKeyStore>().ListAsync(Ct)).Should().ContainSingle();
    }

    [Fact]
    public async Task TheLoop_RunsEachJobWhenDue_AndAFailingJobHoldsUpNoOther()
    {
        var logs = new CapturingLoggerProvider();
        var failing = new ScriptedJob("failing", TimeSpan.FromMinutes(1), fail: true);
        var counting = new ScriptedJob("counting", TimeSpan.FromMinutes(1), fail: false);
        var slow = new ScriptedJob("slow", TimeSpan.FromMinutes(10), fail: false);
        using var s = new TestServices(configureServices: services =>
        {
            services.AddLogging(b => b.AddProvider(logs));
            services.AddSingleton<SentinelJob>(failing);
            services.AddSingleton<SentinelJob>(counting);
            services.AddSingleton<SentinelJob>(slow);
        });
        var maintenance = s.Get<SentinelMaintenance>();
        await maintenance.StartAsync(Ct);
        try
        {
            (await s.Get<ISigningKeyStore>().ListAsync(Ct)).Should().ContainSingle("start-up loads (and makes) the signing keys first");

            for (var minute = 1; minute <= 3; minute++)
            {
                s.Time.Advance(TimeSpan.FromMinutes(1));
                await counting.WaitForRunsAsync(minute);
            }

            failing.Runs.Should().Be(3, "a job that failed runs again when next due");
            slow.Runs.Should().Be(0, "not due yet");
            lock (logs.Lines)
            {
                logs.EventIds.Count(e => e.Id == 2001).Should().Be(3);
                logs.Lines.Should().Contain(l => l.Contains("job failing failed", StringComparison.Ordinal));
            }
        }
        finally
        {
            await maintenance.StopAsync(Ct);
        }
    }

    private sealed class ScriptedJob(string name, TimeSpan interval, bool fail) : SentinelJob
    {
        private int _runs;

        public int Runs => Volatile.Read(ref _runs);

        public override string Name => name;

        public override TimeSpan Interval => interval;

        public override Task RunOnceAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _runs);
            return fail ? throw new InvalidOperationException("scripted failure") : Task.CompletedTask;
        }

        public async Task WaitForRunsAsync(int count)
        {
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            patience.CancelAfter(TimeSpan.FromSeconds(10));
            while (Runs < count)
            {
                await Task.Delay(5, patience.Token);
            }
        }
    }
}
