using FluentAssertions;
using Sentinel.Mfa;
using Sentinel.Users;
using Xunit;

namespace Sentinel.Specification;

/// <summary>The facts every <see cref="IMfaStore"/> must satisfy; facts use fresh user ids and may share a database.</summary>
public abstract class MfaStoreSpecification
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 14, 40, 3, TimeSpan.Zero);

    /// <summary>A store over the implementation under test (a new instance per call, sharing the data).</summary>
    protected abstract ValueTask<IMfaStore> CreateStoreAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MfaRegistration NewRegistration() => new()
    {
        UserId = Guid.CreateVersion7(),
        ProtectedSecret = [1, 2, 3],
        PendingProtectedSecret = null,
        EnabledAt = Now,
        LastUsedStep = 100,
    };

    [Fact]
    public async Task Save_InsertsThenReplacesWithTheCurrentStamp_AndRefusesAStaleOne()
    {
        var store = await CreateStoreAsync();
        var registration = NewRegistration();
        (await store.SaveAsync(registration, Ct)).Should().Be(StoreWriteResult.Success);
        registration.ConcurrencyStamp.Should().NotBeEmpty();

        var read = (await (await CreateStoreAsync()).FindAsync(registration.UserId, Ct))!;
        read.Should().BeEquivalentTo(registration);
        var stale = (await (await CreateStoreAsync()).FindAsync(registration.UserId, Ct))!;

        read.PendingProtectedSecret = [9, 9];
        (await (await CreateStoreAsync()).SaveAsync(read, Ct)).Should().Be(StoreWriteResult.Success);
        stale.ProtectedSecret = [7];
        (await (await CreateStoreAsync()).SaveAsync(stale, Ct)).Should().Be(StoreWriteResult.Conflict);

        var insertAgain = NewRegistration();
        insertAgain.UserId = registration.UserId;
        (await (await CreateStoreAsync()).SaveAsync(insertAgain, Ct)).Should().Be(StoreWriteResult.Conflict, "an insert over an existing row is a conflict");

        var final = (await (await CreateStoreAsync()).FindAsync(registration.UserId, Ct))!;
        final.PendingProtectedSecret.Should().Equal(9, 9);
        final.ProtectedSecret.Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task TryAdvanceStep_OnlyMovesForward_AndOnceUnderConcurrency()
    {
        var registration = NewRegistration();
        await (await CreateStoreAsync()).SaveAsync(registration, Ct);
        var stores = new List<IMfaStore>();
        for (var i = 0; i < 6; i++)
        {
            stores.Add(await CreateStoreAsync());
        }

        // SECURITY M3: one code, presented concurrently, works once.
        var wins = await Task.WhenAll(stores.Select(s => Task.Run(async () => await s.TryAdvanceStepAsync(registration.UserId, 101, Ct), Ct)));
        wins.Count(w => w).Should().Be(1);

        var store = await CreateStoreAsync();
        (await store.TryAdvanceStepAsync(registration.UserId, 100, Ct)).Should().BeFalse();
        (await store.TryAdvanceStepAsync(registration.UserId, 105, Ct)).Should().BeTrue();
        (await store.FindAsync(registration.UserId, Ct))!.LastUsedStep.Should().Be(105);
        (await store.TryAdvanceStepAsync(Guid.CreateVersion7(), 1, Ct)).Should().BeFalse();
    }

    [Fact]
    public async Task RecoveryCodes_ReplaceListAndUseOnce()
    {
        var store = await CreateStoreAsync();
        var userId = Guid.CreateVersion7();
        RecoveryCodeRecord Code(string hash) => new() { Id = Guid.CreateVersion7(), UserId = userId, Hash = hash, CreatedAt = Now };
        var first = new[] { Code("h1"), Code("h2") };
        await store.ReplaceRecoveryCodesAsync(userId, first, Ct);

        (await (await CreateStoreAsync()).ListUnusedRecoveryCodesAsync(userId, Ct)).Select(c => c.Hash).Should().BeEquivalentTo(["h1", "h2"]);
        (await store.TryUseRecoveryCodeAsync(first[0].Id, Now, Ct)).Should().BeTrue();
        (await (await CreateStoreAsync()).TryUseRecoveryCodeAsync(first[0].Id, Now, Ct)).Should().BeFalse();
        (await store.ListUnusedRecoveryCodesAsync(userId, Ct)).Select(c => c.Hash).Should().Equal("h2");

        var second = new[] { Code("h3") };
        await (await CreateStoreAsync()).ReplaceRecoveryCodesAsync(userId, second, Ct);
        (await store.ListUnusedRecoveryCodesAsync(userId, Ct)).Select(c => c.Hash).Should().Equal("h3");
        (await store.TryUseRecoveryCodeAsync(first[1].Id, Now, Ct)).Should().BeFalse("replaced codes are gone");
    }

    [Fact]
    public async Task Delete_RemovesRegistrationAndCodes()
    {
        var store = await CreateStoreAsync();
        var registration = NewRegistration();
        await store.SaveAsync(registration, Ct);
        await store.ReplaceRecoveryCodesAsync(registration.UserId, [new RecoveryCodeRecord { Id = Guid.CreateVersion7(), UserId = registration.UserId, Hash = "h", CreatedAt = Now }], Ct);

        await (await CreateStoreAsync()).DeleteAsync(registration.UserId, Ct);

        (await store.FindAsync(registration.UserId, Ct)).Should().BeNull();
        (await store.ListUnusedRecoveryCodesAsync(registration.UserId, Ct)).Should().BeEmpty();
    }

    [Fact]
    public async Task Challenge_RedeemsOnce_NotAfterExpiryOrTooManyFailures()
    {
        var store = await CreateStoreAsync();
        MfaChallenge New() => new() { Id = Guid.CreateVersion7(), UserId = Guid.CreateVersion7(), CreatedAt = Now, ExpiresAt = Now.AddMinutes(5) };
        var ok = New();
        var expired = New();
        var failed = New();
        foreach (var c in new[] { ok, expired, failed })
        {
            await store.CreateChallengeAsync(c, Ct);
        }

        (await (await CreateStoreAsync()).FindChallengeAsync(ok.Id, Ct)).Should().BeEquivalentTo(ok);
        (await store.TryRedeemChallengeAsync(ok.Id, Now.AddMinutes(1), 5, Ct)).Should().BeTrue();
        (await (await CreateStoreAsync()).TryRedeemChallengeAsync(ok.Id, Now.AddMinutes(1), 5, Ct)).Should().BeFalse();

        (await store.TryRedeemChallengeAsync(expired.Id, Now.AddMinutes(5), 5, Ct)).Should().BeFalse();

        for (var i = 0; i < 5; i++)
        {
            await (await CreateStoreAsync()).RecordChallengeFailureAsync(failed.Id, Ct);
        }

        (await store.FindChallengeAsync(failed.Id, Ct))!.FailedAttempts.Should().Be(5);
        (await store.TryRedeemChallengeAsync(failed.Id, Now.AddMinutes(1), 5, Ct)).Should().BeFalse();
        (await store.FindChallengeAsync(Guid.CreateVersion7(), Ct)).Should().BeNull();
    }

    [Fact]
    public async Task ExpiredChallenges_AreDeleted_RedeemedOrNot_AndLiveOnesKept()
    {
        var store = await CreateStoreAsync();

        // A time of its own, a year before the other tests' challenges: the store may be shared with them, and the
        // count below must see only these three.
        var start = Now.AddYears(-1);
        MfaChallenge New(int minutes) => new() { Id = Guid.CreateVersion7(), UserId = Guid.CreateVersion7(), CreatedAt = start, ExpiresAt = start.AddMinutes(minutes) };
        var (old, redeemed, live) = (New(1), New(2), New(60));
        foreach (var c in new[] { old, redeemed, live })
        {
            await store.CreateChallengeAsync(c, Ct);
        }

        (await store.TryRedeemChallengeAsync(redeemed.Id, start, 5, Ct)).Should().BeTrue();

        (await (await CreateStoreAsync()).DeleteExpiredChallengesAsync(start.AddMinutes(30), Ct)).Should().Be(2);
        (await store.FindChallengeAsync(old.Id, Ct)).Should().BeNull();
        (await store.FindChallengeAsync(redeemed.Id, Ct)).Should().BeNull();
        (await store.FindChallengeAsync(live.Id, Ct)).Should().NotBeNull();
    }
}
