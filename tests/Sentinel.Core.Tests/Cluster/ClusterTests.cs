using System.Collections.Concurrent;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.ApiKeys;
using Sentinel.Mfa;
using Sentinel.Cluster;
using Sentinel.Sessions;
using Sentinel.Storage.InMemory;
using Sentinel.Tokens;
using Sentinel.Users;

namespace Sentinel.Tests.Cluster;

/// <summary>
/// Two instances in one process: each its own provider (its own revocation list and key cache) over shared stores,
/// as two app instances over one database. What one publishes, the other applies; what is not published, the other
/// reads from the store.
/// </summary>
public sealed class ClusterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LocalChanges_ArePublished_AndAppliedChangesAreNotPublishedAgain()
    {
        using var pair = new TwoInstances();
        var user = await pair.A.RegisterAsync();
        var session = await pair.A.Get<SessionService>().StartAsync(user, ["pwd"], null, Ct);
        var key = (await pair.A.Get<ApiKeyService>().CreateAsync(user.Id, "ci", ["reports:read"], null, cancellationToken: Ct)).Value!;

        await pair.A.Get<SessionService>().RevokeSessionAsync(user.Id, session.SessionId, Sentinel.Audit.AuditEventTypes.Logout, cancellationToken: Ct);
        await pair.A.Get<ApiKeyService>().RevokeAsync(user.Id, key.Record.Id, cancellationToken: Ct);
        await pair.A.Users.SetDisabledAsync(user.Id, true, Ct);

        var sent = pair.SentByA.ToList();
        sent.Should().Contain(c => c.Kind == ClusterChangeKind.SessionRevoked && c.Id == session.SessionId);
        sent.Should().Contain(c => c.Kind == ClusterChangeKind.ApiKeyChanged && c.Id == key.Record.Id && c.KeyHash == key.Record.Hash);
        sent.Should().Contain(c => c.Kind == ClusterChangeKind.UserTokensRevoked && c.Id == user.Id);
        // A2: the key itself never travels, only the hash the store already holds.
        sent.Should().NotContain(c => c.KeyHash != null && c.KeyHash.Contains(key.Key, StringComparison.Ordinal));

        foreach (var change in sent)
        {
            await pair.B.Get<IClusterChangeReceiver>().ApplyAsync(change, cancellationToken: Ct);
        }

        pair.SentByB.Should().BeEmpty("a change received from another instance is applied, never published again");
    }

    [Fact]
    public async Task T8_ASessionRevokedOnA_IsRefusedOnB_OnceTheChangeArrives()
    {
        using var pair = new TwoInstances();
        var user = await pair.A.RegisterAsync();
        var session = await pair.A.Get<SessionService>().StartAsync(user, ["pwd"], null, Ct);
        var onB = pair.B.Get<AccessTokenService>();
        (await onB.ValidateAsync(session.AccessToken, Ct)).Succeeded.Should().BeTrue("B caches the validated token");

        await pair.A.Get<SessionService>().RevokeSessionAsync(user.Id, session.SessionId, Sentinel.Audit.AuditEventTypes.Logout, cancellationToken: Ct);
        (await onB.ValidateAsync(session.AccessToken, Ct)).Succeeded.Should().BeTrue("nothing has reached B yet");
        foreach (var change in pair.SentByA)
        {
            await pair.B.Get<IClusterChangeReceiver>().ApplyAsync(change, cancellationToken: Ct);
        }

        (await onB.ValidateAsync(session.AccessToken, Ct)).Failure.Should().Be(AccessTokenFailure.Revoked);
    }

    [Fact]
    public async Task K4_AKeyRevokedOnA_IsRefusedOnB_OnceTheChangeArrives()
    {
        using var pair = new TwoInstances();
        var user = await pair.A.RegisterAsync();
        var key = (await pair.A.Get<ApiKeyService>().CreateAsync(user.Id, "ci", ["reports:read"], null, cancellationToken: Ct)).Value!;
        var onB = pair.B.Get<ApiKeyService>();
        (await onB.VerifyAsync(key.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid);

        await pair.A.Get<ApiKeyService>().RevokeAsync(user.Id, key.Record.Id, cancellationToken: Ct);
        (await onB.VerifyAsync(key.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid, "B still holds the key in its cache");
        foreach (var change in pair.SentByA)
        {
            await pair.B.Get<IClusterChangeReceiver>().ApplyAsync(change, cancellationToken: Ct);
        }

        (await onB.VerifyAsync(key.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Revoked);
    }

    [Fact]
    public async Task T8_WithoutAMessage_BReadsTheRevocationFromTheStore_AndEachReadFetchesOnlyWhatChanged()
    {
        using var pair = new TwoInstances();
        var sessions = pair.A.Get<SessionService>();
        var earlier = await pair.A.RegisterAsync("earlier@example.com");
        for (var i = 0; i < 3; i++)
        {
            var old = await sessions.StartAsync(earlier, ["pwd"], null, Ct);
            await sessions.RevokeSessionAsync(earlier.Id, old.SessionId, Sentinel.Audit.AuditEventTypes.Logout, cancellationToken: Ct);
        }

        // Each read reaches two minutes behind the previous one (clock skew between instances): start three on.
        pair.A.Time.Advance(TimeSpan.FromMinutes(3));
        pair.B.Time.Advance(TimeSpan.FromMinutes(3));
        var sync = pair.B.Get<RevocationSync>();
        // Three revoked sessions, and the user's own "valid after" (set at registration).
        (await sync.ReadAsync(full: true, Ct)).Should().Be(4);

        // Five minutes on (both clocks), one more revocation on A, and no message to B.
        pair.A.Time.Advance(TimeSpan.FromMinutes(5));
        pair.B.Time.Advance(TimeSpan.FromMinutes(5));
        var user = await pair.A.RegisterAsync();
        var session = await sessions.StartAsync(user, ["pwd"], null, Ct);
        var onB = pair.B.Get<AccessTokenService>();
        (await onB.ValidateAsync(session.AccessToken, Ct)).Succeeded.Should().BeTrue();
        await sessions.RevokeSessionAsync(user.Id, session.SessionId, Sentinel.Audit.AuditEventTypes.Logout, cancellationToken: Ct);

        // The new user's registration and the revoked session; not the four read before.
        (await sync.ReadAsync(full: false, Ct)).Should().Be(2, "only what changed since shortly before the last read is fetched");
        (await onB.ValidateAsync(session.AccessToken, Ct)).Failure.Should().Be(AccessTokenFailure.Revoked);
        (await sync.ReadAsync(full: true, Ct)).Should().Be(6);
    }

    [Fact]
    public async Task T8_ATransportThatWasNotListening_CatchesUpThroughTheReceiver()
    {
        using var pair = new TwoInstances();
        var sessions = pair.A.Get<SessionService>();
        var user = await pair.A.RegisterAsync();
        var session = await sessions.StartAsync(user, ["pwd"], null, Ct);
        var onB = pair.B.Get<AccessTokenService>();
        (await onB.ValidateAsync(session.AccessToken, Ct)).Succeeded.Should().BeTrue();

        // Revoked on A while B's transport was down: the message never reaches B.
        await sessions.RevokeSessionAsync(user.Id, session.SessionId, Sentinel.Audit.AuditEventTypes.Logout, cancellationToken: Ct);
        (await onB.ValidateAsync(session.AccessToken, Ct)).Succeeded.Should().BeTrue("nothing has told B yet");

        await pair.B.Get<IClusterChangeReceiver>().CatchUpAsync(Ct);
        (await onB.ValidateAsync(session.AccessToken, Ct)).Failure.Should().Be(AccessTokenFailure.Revoked);
    }

    [Fact]
    public async Task ANewSigningKeyOnA_IsLoadedOnB_OnceTheChangeArrives()
    {
        using var pair = new TwoInstances();
        var (ringA, ringB) = (pair.A.Get<SigningKeyRing>(), pair.B.Get<SigningKeyRing>());
        await ringA.RefreshNowAsync(Ct); // creates the first key
        await ringB.RefreshNowAsync(Ct);
        var before = (await ringB.GetPublishedKeysAsync(Ct)).Select(k => k.Kid).ToList();

        // 29 days on, A creates the next key ahead of the current one's retirement, and says so.
        pair.A.Time.Advance(TimeSpan.FromDays(29));
        await ringA.RefreshNowAsync(Ct);
        var next = (await ringA.GetPublishedKeysAsync(Ct)).Select(k => k.Kid).Except(before).Should().ContainSingle().Subject;
        pair.SentByA.Should().Contain(c => c.Kind == ClusterChangeKind.SigningKeysChanged);
        (await ringB.GetPublishedKeysAsync(Ct)).Select(k => k.Kid).Should().NotContain(next, "B's ring is cached for minutes");

        foreach (var change in pair.SentByA.Where(c => c.Kind == ClusterChangeKind.SigningKeysChanged))
        {
            await pair.B.Get<IClusterChangeReceiver>().ApplyAsync(change, cancellationToken: Ct);
        }

        (await ringB.GetPublishedKeysAsync(Ct)).Select(k => k.Kid).Should().Contain(next);
    }

    [Fact]
    public async Task AppliedChanges_ReportTheirPropagationLag()
    {
        using var pair = new TwoInstances();
        var lags = new ConcurrentBag<(double Seconds, string? Kind)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "sentinel.cluster.propagation_lag")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
            lags.Add((value, tags.ToArray().FirstOrDefault(t => t.Key == "kind").Value as string)));
        listener.Start();
        var sessionId = Guid.NewGuid();

        await pair.B.Get<IClusterChangeReceiver>().ApplyAsync(
            new ClusterChange(ClusterChangeKind.SessionRevoked, sessionId, pair.B.Time.GetUtcNow()), pair.B.Time.GetUtcNow() - TimeSpan.FromMilliseconds(250), Ct);

        lags.Should().Contain((0.25, "session_revoked"));
    }

    /// <summary>Instances A and B over the same in-memory stores, each recording what it publishes.</summary>
    private sealed class TwoInstances : IDisposable
    {
        private readonly RecordingChannel _a = new();
        private readonly RecordingChannel _b = new();

        public TwoInstances()
        {
            var users = new InMemoryUserStore();
            var sessions = new InMemorySessionStore();
            var signingKeys = new InMemorySigningKeyStore();
            var apiKeys = new InMemoryApiKeyStore();
            var mfa = new InMemoryMfaStore();
            var protector = new Sentinel.Secrets.EphemeralSecretProtector();
            Action<IServiceCollection> Shared(RecordingChannel channel) => services =>
            {
                services.AddSingleton<IUserStore>(users);
                services.AddSingleton<ISessionStore>(sessions);
                services.AddSingleton<ISigningKeyStore>(signingKeys);
                services.AddSingleton<IApiKeyStore>(apiKeys);
                services.AddSingleton<IMfaStore>(mfa);
                services.AddSingleton<Sentinel.Secrets.ISecretProtector>(protector);
                services.AddSingleton<IClusterChannel>(channel);
            };
            void Scopes(SentinelOptions o) => o.ApiKeys.Scopes.Add("reports:read", "Read reports");
            A = new TestServices(Scopes, configureServices: Shared(_a));
            B = new TestServices(Scopes, configureServices: Shared(_b));
        }

        public TestServices A { get; }

        public TestServices B { get; }

        public IReadOnlyCollection<ClusterChange> SentByA => _a.Sent;

        public IReadOnlyCollection<ClusterChange> SentByB => _b.Sent;

        public void Dispose()
        {
            A.Dispose();
            B.Dispose();
        }
    }

    private sealed class RecordingChannel : IClusterChannel
    {
        private readonly ConcurrentQueue<ClusterChange> _sent = new();

        public IReadOnlyCollection<ClusterChange> Sent => _sent.ToArray();

        public void Publish(ClusterChange change) => _sent.Enqueue(change);
    }
}
