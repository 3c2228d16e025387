using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.Sessions;
using Sentinel.Storage.InMemory;
using Sentinel.Tokens;
using Sentinel.Users;

namespace Sentinel.Tests.Sessions;

public sealed class SessionServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReplayWithinTheLeeway_IsRefused_ButTheSessionIsKept()
    {
        using var s = new TestServices(o => o.Tokens.RefreshTokenReuseLeeway = TimeSpan.FromSeconds(5));
        var user = await s.RegisterAsync();
        var sessions = s.Get<SessionService>();
        var pair = await sessions.StartAsync(user, ["pwd"], null, Ct);
        var next = (await sessions.RefreshAsync(pair.RefreshToken, cancellationToken: Ct)).Value!;

        s.Time.Advance(TimeSpan.FromSeconds(4));
        (await sessions.RefreshAsync(pair.RefreshToken, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidRefreshToken);
        (await sessions.RefreshAsync(next.RefreshToken, cancellationToken: Ct)).Succeeded.Should().BeTrue("a benign race keeps the session");
    }

    [Fact]
    public async Task ReplayAfterTheLeeway_RevokesTheSession()
    {
        using var s = new TestServices(o => o.Tokens.RefreshTokenReuseLeeway = TimeSpan.FromSeconds(5));
        var user = await s.RegisterAsync();
        var sessions = s.Get<SessionService>();
        var pair = await sessions.StartAsync(user, ["pwd"], null, Ct);
        var next = (await sessions.RefreshAsync(pair.RefreshToken, cancellationToken: Ct)).Value!;

        s.Time.Advance(TimeSpan.FromSeconds(6));
        (await sessions.RefreshAsync(pair.RefreshToken, cancellationToken: Ct)).Succeeded.Should().BeFalse();
        (await sessions.RefreshAsync(next.RefreshToken, cancellationToken: Ct)).Succeeded.Should().BeFalse();
        (await s.Get<AccessTokenService>().ValidateAsync(next.AccessToken, Ct)).Failure.Should().Be(AccessTokenFailure.Revoked);
    }

    [Fact]
    public async Task Revocations_AreReloadedFromTheStoreAtStart()
    {
        // SECURITY T8 across a restart: the in-memory revocation list is rebuilt from the stores.
        var sessionStore = new InMemorySessionStore();
        var userStore = new InMemoryUserStore();
        var keyStore = new InMemorySigningKeyStore();
        var protector = new Sentinel.Secrets.EphemeralSecretProtector();
        void Shared(IServiceCollection services)
        {
            services.AddSingleton<ISessionStore>(sessionStore);
            services.AddSingleton<IUserStore>(userStore);
            services.AddSingleton<ISigningKeyStore>(keyStore);
            services.AddSingleton<Sentinel.Secrets.ISecretProtector>(protector);
        }

        string revokedToken, disabledToken, liveToken;
        using (var before = new TestServices(configureServices: Shared))
        {
            var sessions = before.Get<SessionService>();
            var alice = await before.RegisterAsync("alice@example.com");
            var bob = await before.RegisterAsync("bob@example.com");
            var carol = await before.RegisterAsync("carol@example.com");
            var revoked = await sessions.StartAsync(alice, ["pwd"], null, Ct);
            revokedToken = revoked.AccessToken;
            disabledToken = (await sessions.StartAsync(bob, ["pwd"], null, Ct)).AccessToken;
            liveToken = (await sessions.StartAsync(carol, ["pwd"], null, Ct)).AccessToken;
            before.Time.Advance(TimeSpan.FromSeconds(2));
            await sessions.RevokeSessionAsync(alice.Id, revoked.SessionId, Sentinel.Audit.AuditEventTypes.Logout, cancellationToken: Ct);
            await before.Users.SetDisabledAsync(bob.Id, true, Ct);
        }

        using var after = new TestServices(configureServices: Shared);
        after.Time.Advance(TimeSpan.FromSeconds(3));
        var provider = after.Get<IServiceProvider>();
        await provider.InitializeSentinelAsync(Ct);
        var validator = after.Get<AccessTokenService>();

        (await validator.ValidateAsync(revokedToken, Ct)).Failure.Should().Be(AccessTokenFailure.Revoked);
        (await validator.ValidateAsync(disabledToken, Ct)).Failure.Should().Be(AccessTokenFailure.Revoked);
        (await validator.ValidateAsync(liveToken, Ct)).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task SignInWithinTheSecondOfRegistration_AfterRevocationsWereLoaded_IsValid()
    {
        // Token iat has whole seconds; a user's "valid after" must not refuse a token issued after it in the same second.
        using var s = new TestServices();
        s.Time.Advance(TimeSpan.FromMilliseconds(300));
        var user = await s.RegisterAsync();
        await s.Get<IServiceProvider>().InitializeSentinelAsync(Ct);
        s.Time.Advance(TimeSpan.FromMilliseconds(400));

        var pair = await s.Get<SessionService>().StartAsync(user, ["pwd"], null, Ct);

        (await s.Get<AccessTokenService>().ValidateAsync(pair.AccessToken, Ct)).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task DisableWithinTheSecondOfIssue_StillRevokesTheToken()
    {
        using var s = new TestServices();
        var user = await s.RegisterAsync();
        s.Time.Advance(TimeSpan.FromMilliseconds(200));
        var pair = await s.Get<SessionService>().StartAsync(user, ["pwd"], null, Ct);
        s.Time.Advance(TimeSpan.FromMilliseconds(300));

        await s.Users.SetDisabledAsync(user.Id, true, Ct);

        (await s.Get<AccessTokenService>().ValidateAsync(pair.AccessToken, Ct)).Failure.Should().Be(AccessTokenFailure.Revoked);
    }

    [Fact]
    public async Task ValidatedTokenCache_StillChecksRevocationAndExpiry()
    {
        using var s = new TestServices();
        var user = await s.RegisterAsync();
        var sessions = s.Get<SessionService>();
        var validator = s.Get<AccessTokenService>();
        var pair = await sessions.StartAsync(user, ["pwd"], null, Ct);

        (await validator.ValidateAsync(pair.AccessToken, Ct)).Succeeded.Should().BeTrue();
        validator.CachedTokenCount.Should().Be(1);
        (await validator.ValidateAsync(pair.AccessToken, Ct)).Succeeded.Should().BeTrue();

        var other = await sessions.StartAsync(user, ["pwd"], null, Ct);
        (await validator.ValidateAsync(other.AccessToken, Ct)).Succeeded.Should().BeTrue();
        await sessions.RevokeSessionAsync(user.Id, other.SessionId, Sentinel.Audit.AuditEventTypes.Logout, cancellationToken: Ct);
        (await validator.ValidateAsync(other.AccessToken, Ct)).Failure.Should().Be(AccessTokenFailure.Revoked, "a cached token is still checked against revocations");

        s.Time.Advance(TimeSpan.FromMinutes(16));
        (await validator.ValidateAsync(pair.AccessToken, Ct)).Failure.Should().Be(AccessTokenFailure.Expired, "a cached token still expires");
    }

    [Fact]
    public async Task ValidatedTokenCache_IsBounded()
    {
        using var s = new TestServices(o => o.Tokens.ValidatedTokenCacheSize = 3);
        var user = await s.RegisterAsync();
        var sessions = s.Get<SessionService>();
        var validator = s.Get<AccessTokenService>();

        for (var i = 0; i < 5; i++)
        {
            var pair = await sessions.StartAsync(user, ["pwd"], null, Ct);
            (await validator.ValidateAsync(pair.AccessToken, Ct)).Succeeded.Should().BeTrue();
        }

        validator.CachedTokenCount.Should().Be(3);
    }

    [Fact]
    public async Task ValidatedTokenCache_MakesRoomFromItsOldest_AndDropsExpiredTokens()
    {
        using var s = new TestServices(o => o.Tokens.ValidatedTokenCacheSize = 100);
        var user = await s.RegisterAsync();
        var sessions = s.Get<SessionService>();
        var validator = s.Get<AccessTokenService>();
        var first = await sessions.StartAsync(user, ["pwd"], null, Ct);
        (await validator.ValidateAsync(first.AccessToken, Ct)).Succeeded.Should().BeTrue();

        // Full, then far past full: the size stays at the bound and the newest tokens are the ones kept.
        var tokens = new List<string>();
        for (var i = 0; i < 250; i++)
        {
            var pair = await sessions.StartAsync(user, ["pwd"], null, Ct);
            tokens.Add(pair.AccessToken);
            (await validator.ValidateAsync(pair.AccessToken, Ct)).Succeeded.Should().BeTrue();
            validator.CachedTokenCount.Should().BeLessThanOrEqualTo(100);
        }

        validator.CachedTokenCount.Should().Be(100);

        // Expired: seen again, a cached token leaves the cache; new tokens push the other expired ones out.
        s.Time.Advance(TimeSpan.FromMinutes(16));
        (await validator.ValidateAsync(tokens[^1], Ct)).Failure.Should().Be(AccessTokenFailure.Expired);
        validator.CachedTokenCount.Should().Be(99);
        for (var i = 0; i < 60; i++)
        {
            var pair = await sessions.StartAsync(user, ["pwd"], null, Ct);
            (await validator.ValidateAsync(pair.AccessToken, Ct)).Succeeded.Should().BeTrue();
        }

        validator.CachedTokenCount.Should().Be(60, "each new token pushes up to two expired ones out, so only the live ones are left");
    }

    [Fact]
    public async Task T11_AuthTime_IsTheSignIn_AndARefreshKeepsIt()
    {
        using var s = new TestServices();
        var user = await s.RegisterAsync();
        var sessions = s.Get<SessionService>();
        var validator = s.Get<AccessTokenService>();
        var pair = await sessions.StartAsync(user, ["pwd"], null, Ct);
        (await validator.ValidateAsync(pair.AccessToken, Ct)).Token!.AuthenticatedAt.Should().Be(TestServices.Start.AddTicks(-(TestServices.Start.Ticks % TimeSpan.TicksPerSecond)));

        for (var i = 0; i < 3; i++)
        {
            s.Time.Advance(TimeSpan.FromMinutes(14));
            pair = (await sessions.RefreshAsync(pair.RefreshToken, cancellationToken: Ct)).Value!;
        }

        var validated = (await validator.ValidateAsync(pair.AccessToken, Ct)).Token!;
        validated.IssuedAt.Should().BeAfter(TestServices.Start.AddMinutes(40));
        validated.AuthenticatedAt.Should().Be(TestServices.Start.AddTicks(-(TestServices.Start.Ticks % TimeSpan.TicksPerSecond)), "a refresh proves no credential");
        (await s.Get<ISessionStore>().FindAsync(pair.SessionId, Ct))!.AuthenticatedAt.Should().Be(TestServices.Start);
    }
}
