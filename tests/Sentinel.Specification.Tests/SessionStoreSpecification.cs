using FluentAssertions;
using Sentinel.Sessions;
using Xunit;

namespace Sentinel.Specification;

/// <summary>The facts every <see cref="ISessionStore"/> must satisfy; facts use fresh ids and may share a database.</summary>
public abstract class SessionStoreSpecification
{
    protected static readonly DateTimeOffset Now = new(2026, 11, 28, 14, 40, 3, TimeSpan.Zero);

    /// <summary>A store over the implementation under test (a new instance per call, sharing the data).</summary>
    protected abstract ValueTask<ISessionStore> CreateStoreAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static (SentinelSession Session, RefreshTokenRecord Token) NewSession(Guid? userId = null, DateTimeOffset? createdAt = null)
    {
        var at = createdAt ?? Now;
        var session = new SentinelSession
        {
            Id = Guid.CreateVersion7(),
            UserId = userId ?? Guid.CreateVersion7(),
            CreatedAt = at,
            LastUsedAt = at,
            ExpiresAt = at.AddDays(30),
            IpAddress = "203.0.113.7",
            UserAgent = "spec/1.0",
            AuthenticationMethods = ["pwd", "otp"],
        };
        return (session, NewToken(session, at));
    }

    protected static RefreshTokenRecord NewToken(SentinelSession session, DateTimeOffset issuedAt) => new()
    {
        Hash = Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=') + "-spec",
        SessionId = session.Id,
        UserId = session.UserId,
        IssuedAt = issuedAt,
        ExpiresAt = issuedAt.AddDays(14),
    };

    [Fact]
    public async Task Create_ThenFind_RoundTripsSessionAndToken()
    {
        var store = await CreateStoreAsync();
        var (session, token) = NewSession();
        await store.CreateAsync(session, token, Ct);

        var other = await CreateStoreAsync();
        (await other.FindAsync(session.Id, Ct)).Should().BeEquivalentTo(session);
        (await other.FindRefreshTokenAsync(token.Hash, Ct)).Should().BeEquivalentTo(token);
        (await other.FindRefreshTokenAsync(token.Hash.ToUpperInvariant() + "x", Ct)).Should().BeNull();
        (await other.FindAsync(Guid.CreateVersion7(), Ct)).Should().BeNull();
    }

    [Fact]
    public async Task FindRefreshToken_IsCaseSensitive()
    {
        var store = await CreateStoreAsync();
        var (session, token) = NewSession();
        token.Hash = "AbCdEf" + token.Hash;
        await store.CreateAsync(session, token, Ct);

        (await store.FindRefreshTokenAsync(token.Hash.ToLowerInvariant(), Ct)).Should().BeNull("hashes are compared ordinally");
    }

    [Fact]
    public async Task TrySpend_WorksOnce()
    {
        var store = await CreateStoreAsync();
        var (session, token) = NewSession();
        await store.CreateAsync(session, token, Ct);

        (await store.TrySpendRefreshTokenAsync(token.Hash, Now.AddMinutes(1), Ct)).Should().BeTrue();
        (await (await CreateStoreAsync()).TrySpendRefreshTokenAsync(token.Hash, Now.AddMinutes(2), Ct)).Should().BeFalse();
        (await (await CreateStoreAsync()).FindRefreshTokenAsync(token.Hash, Ct))!.SpentAt.Should().Be(Now.AddMinutes(1));
        (await store.TrySpendRefreshTokenAsync("no-such-hash", Now, Ct)).Should().BeFalse();
    }

    [Fact]
    public async Task TrySpend_Concurrently_ExactlyOneWins()
    {
        // SECURITY T9: two (here eight) concurrent refreshes with one token: exactly one succeeds.
        var (session, token) = NewSession();
        await (await CreateStoreAsync()).CreateAsync(session, token, Ct);
        var stores = new List<ISessionStore>();
        for (var i = 0; i < 8; i++)
        {
            stores.Add(await CreateStoreAsync());
        }

        using var start = new ManualResetEventSlim();
        var attempts = stores.Select(s => Task.Run(async () =>
        {
            start.Wait(Ct);
            return await s.TrySpendRefreshTokenAsync(token.Hash, Now, Ct);
        }, Ct)).ToList();
        start.Set();

        (await Task.WhenAll(attempts)).Count(won => won).Should().Be(1);
    }

    [Fact]
    public async Task AddRefreshToken_AddsTheNextAndTouchesTheSession()
    {
        var store = await CreateStoreAsync();
        var (session, token) = NewSession();
        await store.CreateAsync(session, token, Ct);
        var next = NewToken(session, Now.AddHours(1));

        await store.AddRefreshTokenAsync(next, Now.AddHours(1), Ct);

        var other = await CreateStoreAsync();
        (await other.FindRefreshTokenAsync(next.Hash, Ct)).Should().BeEquivalentTo(next);
        (await other.FindAsync(session.Id, Ct))!.LastUsedAt.Should().Be(Now.AddHours(1));
    }

    [Fact]
    public async Task Reauthenticate_RefreshesTheSessionAndReplacesItsLiveTokens()
    {
        // SECURITY T11: a re-authentication moves auth_time, and the token it returns is the only live one of the chain.
        var store = await CreateStoreAsync();
        var (session, token) = NewSession();
        await store.CreateAsync(session, token, Ct);
        var other = NewSession();
        await store.CreateAsync(other.Session, other.Token, Ct);
        var at = Now.AddMinutes(30);
        var next = NewToken(session, at);

        (await store.ReauthenticateAsync(session.Id, at, ["pwd", "otp", "rc"], next, Ct)).Should().BeTrue();

        var fresh = await CreateStoreAsync();
        var found = (await fresh.FindAsync(session.Id, Ct))!;
        found.AuthenticatedAt.Should().Be(at);
        found.LastUsedAt.Should().Be(at);
        found.AuthenticationMethods.Should().Equal("pwd", "otp", "rc");
        (await fresh.FindRefreshTokenAsync(token.Hash, Ct))!.SpentAt.Should().Be(at, "the old token is replaced, so its replay is reuse");
        (await fresh.FindRefreshTokenAsync(next.Hash, Ct)).Should().BeEquivalentTo(next);
        (await fresh.FindRefreshTokenAsync(other.Token.Hash, Ct))!.SpentAt.Should().BeNull("another session's chain is untouched");
        (await fresh.FindAsync(other.Session.Id, Ct))!.AuthenticatedAt.Should().Be(other.Session.AuthenticatedAt);
    }

    [Fact]
    public async Task Reauthenticate_ARevokedOrUnknownSession_ChangesNothing()
    {
        var store = await CreateStoreAsync();
        var (session, token) = NewSession();
        await store.CreateAsync(session, token, Ct);
        await store.RevokeAsync(session.Id, Now.AddMinutes(1), "logout", Ct);
        var next = NewToken(session, Now.AddMinutes(2));

        (await store.ReauthenticateAsync(session.Id, Now.AddMinutes(2), ["pwd"], next, Ct)).Should().BeFalse();
        (await store.ReauthenticateAsync(Guid.CreateVersion7(), Now.AddMinutes(2), ["pwd"], NewToken(session, Now), Ct)).Should().BeFalse();

        var fresh = await CreateStoreAsync();
        (await fresh.FindRefreshTokenAsync(next.Hash, Ct)).Should().BeNull();
        (await fresh.FindRefreshTokenAsync(token.Hash, Ct))!.SpentAt.Should().BeNull();
        (await fresh.FindAsync(session.Id, Ct))!.AuthenticatedAt.Should().Be(session.AuthenticatedAt);
    }

    [Fact]
    public async Task Revoke_WorksOnceAndIsListed()
    {
        var store = await CreateStoreAsync();
        var (session, token) = NewSession();
        await store.CreateAsync(session, token, Ct);

        (await store.RevokeAsync(session.Id, Now.AddMinutes(5), "logout", Ct)).Should().BeTrue();
        (await store.RevokeAsync(session.Id, Now.AddMinutes(6), "again", Ct)).Should().BeFalse();

        var found = (await (await CreateStoreAsync()).FindAsync(session.Id, Ct))!;
        found.RevokedAt.Should().Be(Now.AddMinutes(5));
        found.RevokedReason.Should().Be("logout");
        (await store.ListRevokedSinceAsync(Now.AddMinutes(4), Ct)).Should().Contain(new RevokedSession(session.Id, session.UserId, Now.AddMinutes(5)));
        (await store.ListRevokedSinceAsync(Now.AddMinutes(5), Ct)).Should().NotContain(r => r.SessionId == session.Id);
    }

    [Fact]
    public async Task ListActive_ReturnsOnlyTheUsersLiveSessions_NewestFirst()
    {
        var store = await CreateStoreAsync();
        var userId = Guid.CreateVersion7();
        var (older, t1) = NewSession(userId, Now.AddHours(-2));
        var (newer, t2) = NewSession(userId, Now.AddHours(-1));
        var (revoked, t3) = NewSession(userId);
        var (expired, t4) = NewSession(userId, Now.AddDays(-31));
        var (someoneElse, t5) = NewSession();
        foreach (var (s, t) in new[] { (older, t1), (newer, t2), (revoked, t3), (expired, t4), (someoneElse, t5) })
        {
            await store.CreateAsync(s, t, Ct);
        }

        await store.RevokeAsync(revoked.Id, Now, "logout", Ct);

        var active = await (await CreateStoreAsync()).ListActiveAsync(userId, Now, Ct);
        active.Select(s => s.Id).Should().Equal(newer.Id, older.Id);
    }

    [Fact]
    public async Task RevokeAll_RevokesEveryLiveSessionButTheExcepted()
    {
        var store = await CreateStoreAsync();
        var userId = Guid.CreateVersion7();
        var (a, ta) = NewSession(userId);
        var (b, tb) = NewSession(userId);
        var (keep, tk) = NewSession(userId);
        var (other, to) = NewSession();
        foreach (var (s, t) in new[] { (a, ta), (b, tb), (keep, tk), (other, to) })
        {
            await store.CreateAsync(s, t, Ct);
        }

        await store.RevokeAsync(b.Id, Now, "logout", Ct);

        var revoked = await (await CreateStoreAsync()).RevokeAllAsync(userId, keep.Id, Now.AddMinutes(1), "logout_all", Ct);

        revoked.Should().BeEquivalentTo([a.Id]);
        var check = await CreateStoreAsync();
        (await check.FindAsync(a.Id, Ct))!.RevokedReason.Should().Be("logout_all");
        (await check.FindAsync(b.Id, Ct))!.RevokedReason.Should().Be("logout", "an earlier revocation is kept");
        (await check.FindAsync(keep.Id, Ct))!.RevokedAt.Should().BeNull();
        (await check.FindAsync(other.Id, Ct))!.RevokedAt.Should().BeNull();
    }

    [Fact]
    public async Task DeleteExpired_RemovesOnlyExpiredRows()
    {
        var store = await CreateStoreAsync();
        var (old, oldToken) = NewSession(createdAt: Now.AddYears(-5));
        var (live, liveToken) = NewSession();
        await store.CreateAsync(old, oldToken, Ct);
        await store.CreateAsync(live, liveToken, Ct);

        (await store.DeleteExpiredAsync(Now.AddYears(-1), Ct)).Should().BeGreaterThanOrEqualTo(2);

        var check = await CreateStoreAsync();
        (await check.FindAsync(old.Id, Ct)).Should().BeNull();
        (await check.FindRefreshTokenAsync(oldToken.Hash, Ct)).Should().BeNull();
        (await check.FindAsync(live.Id, Ct)).Should().NotBeNull();
        (await check.FindRefreshTokenAsync(liveToken.Hash, Ct)).Should().NotBeNull();
    }
}
