using System.Security.Cryptography;
using FluentAssertions;
using Sentinel.Passkeys;
using Xunit;

namespace Sentinel.Specification;

/// <summary>The facts every <see cref="IPasskeyStore"/> must satisfy (issue 19, W1–W4); facts use fresh ids and may share a database.</summary>
public abstract class PasskeyStoreSpecification
{
    protected static readonly DateTimeOffset Now = new(2026, 12, 2, 14, 40, 3, TimeSpan.Zero);

    /// <summary>A store over the implementation under test (a new instance per call, sharing the data).</summary>
    protected abstract ValueTask<IPasskeyStore> CreateStoreAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static PasskeyCredential NewPasskey(Guid? userId = null, DateTimeOffset? createdAt = null) => new()
    {
        Id = Guid.CreateVersion7(),
        UserId = userId ?? Guid.CreateVersion7(),
        CredentialId = RandomNumberGenerator.GetBytes(32),
        PublicKey = RandomNumberGenerator.GetBytes(77),
        SignCount = 3,
        Transports = ["internal", "hybrid"],
        IsBackupEligible = true,
        IsBackedUp = false,
        AaGuid = Guid.Parse("fbfc3007-154e-4ecc-8c0b-6e020557d7bd"),
        AttestationFormat = "packed",
        Name = "iCloud Keychain",
        CreatedAt = createdAt ?? Now,
    };

    protected static PasskeyChallenge NewChallenge(DateTimeOffset? expiresAt = null) => new()
    {
        Id = Guid.CreateVersion7(),
        ChallengeHash = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('='),
        Ceremony = PasskeyCeremony.Registration,
        UserId = Guid.CreateVersion7(),
        SecurityStamp = "stamp-1",
        OptionsJson = "{\"challenge\":\"abc\"}",
        CreatedAt = Now,
        ExpiresAt = expiresAt ?? Now.AddMinutes(5),
    };

    [Fact]
    public async Task Add_ThenFind_RoundTripsEveryField_AndAnotherUserCannotRegisterTheSameCredential()
    {
        var store = await CreateStoreAsync();
        var passkey = NewPasskey();
        (await store.TryAddAsync(passkey, Ct)).Should().BeTrue();

        var other = await CreateStoreAsync();
        (await other.FindByCredentialIdAsync(passkey.CredentialId, Ct)).Should().BeEquivalentTo(passkey);
        var copy = NewPasskey();
        copy.CredentialId = [.. passkey.CredentialId];
        (await other.TryAddAsync(copy, Ct)).Should().BeFalse("a credential id registers once across all users (W1)");
        (await other.FindByCredentialIdAsync(RandomNumberGenerator.GetBytes(32), Ct)).Should().BeNull();
        var flipped = passkey.CredentialId.ToArray();
        flipped[0] ^= 1;
        (await other.FindByCredentialIdAsync(flipped, Ct)).Should().BeNull("ids are compared byte for byte");
    }

    [Fact]
    public async Task List_IsTheUsersOwn_OldestFirst_AndRenameAndDeleteTouchOnlyTheirs()
    {
        var store = await CreateStoreAsync();
        var userId = Guid.CreateVersion7();
        var newer = NewPasskey(userId, Now.AddMinutes(1));
        var older = NewPasskey(userId);
        var someoneElses = NewPasskey();
        foreach (var p in new[] { newer, older, someoneElses })
        {
            (await store.TryAddAsync(p, Ct)).Should().BeTrue();
        }

        (await store.ListAsync(userId, Ct)).Select(p => p.Id).Should().Equal(older.Id, newer.Id);
        (await store.RenameAsync(userId, someoneElses.Id, "mine now", Ct)).Should().BeFalse();
        (await store.DeleteAsync(userId, someoneElses.Id, Ct)).Should().BeFalse();
        (await store.RenameAsync(userId, older.Id, "Work laptop", Ct)).Should().BeTrue();
        (await store.DeleteAsync(userId, newer.Id, Ct)).Should().BeTrue();
        (await store.DeleteAsync(userId, newer.Id, Ct)).Should().BeFalse();

        var fresh = await CreateStoreAsync();
        (await fresh.ListAsync(userId, Ct)).Should().ContainSingle().Which.Name.Should().Be("Work laptop");
        (await fresh.FindByCredentialIdAsync(someoneElses.CredentialId, Ct))!.Name.Should().Be("iCloud Keychain");
    }

    [Fact]
    public async Task RecordUse_MovesTheCounterOnlyFromTheValueTheCallerRead()
    {
        // W3: two sign-ins that read the same counter cannot both move it; the loser sees false.
        var store = await CreateStoreAsync();
        var passkey = NewPasskey();
        await store.TryAddAsync(passkey, Ct);

        (await store.TryRecordUseAsync(passkey.Id, 3, 4, true, Now.AddMinutes(1), Ct)).Should().BeTrue();
        (await store.TryRecordUseAsync(passkey.Id, 3, 5, false, Now.AddMinutes(2), Ct)).Should().BeFalse();
        (await store.TryRecordUseAsync(Guid.CreateVersion7(), 0, 1, false, Now, Ct)).Should().BeFalse();

        var found = (await (await CreateStoreAsync()).FindByCredentialIdAsync(passkey.CredentialId, Ct))!;
        found.SignCount.Should().Be(4);
        found.IsBackedUp.Should().BeTrue();
        found.LastUsedAt.Should().Be(Now.AddMinutes(1));
    }

    [Fact]
    public async Task AChallenge_IsFoundByItsHash_AndSpentOnce_BeforeItExpires()
    {
        var store = await CreateStoreAsync();
        var challenge = NewChallenge();
        await store.CreateChallengeAsync(challenge, Ct);

        var other = await CreateStoreAsync();
        (await other.FindChallengeAsync(challenge.ChallengeHash, Ct)).Should().BeEquivalentTo(challenge);
        (await other.FindChallengeAsync(challenge.ChallengeHash.ToLowerInvariant() + "x", Ct)).Should().BeNull();
        (await other.TrySpendChallengeAsync(challenge.Id, Now.AddMinutes(1), Ct)).Should().BeTrue();
        (await store.TrySpendChallengeAsync(challenge.Id, Now.AddMinutes(1), Ct)).Should().BeFalse("single use (W2)");
        (await other.FindChallengeAsync(challenge.ChallengeHash, Ct))!.UsedAt.Should().Be(Now.AddMinutes(1));

        var expiring = NewChallenge(Now.AddMinutes(5));
        await store.CreateChallengeAsync(expiring, Ct);
        (await store.TrySpendChallengeAsync(expiring.Id, Now.AddMinutes(5), Ct)).Should().BeFalse("expired at its end");
    }

    [Fact]
    public async Task SpendingAChallengeConcurrently_ExactlyOneWins()
    {
        var challenge = NewChallenge();
        await (await CreateStoreAsync()).CreateChallengeAsync(challenge, Ct);
        var stores = new List<IPasskeyStore>();
        for (var i = 0; i < 8; i++)
        {
            stores.Add(await CreateStoreAsync());
        }

        using var start = new ManualResetEventSlim();
        var attempts = stores.Select(s => Task.Run(async () =>
        {
            start.Wait(Ct);
            return await s.TrySpendChallengeAsync(challenge.Id, Now, Ct);
        }, Ct)).ToList();
        start.Set();

        (await Task.WhenAll(attempts)).Count(won => won).Should().Be(1);
    }

    [Fact]
    public async Task DeleteExpiredChallenges_RemovesOnlyThoseThatEnded()
    {
        var store = await CreateStoreAsync();
        var ended = NewChallenge(Now.AddYears(-10));
        var live = NewChallenge(Now.AddYears(10));
        await store.CreateChallengeAsync(ended, Ct);
        await store.CreateChallengeAsync(live, Ct);

        (await store.DeleteExpiredChallengesAsync(Now.AddYears(-9), Ct)).Should().BeGreaterThanOrEqualTo(1);
        (await store.FindChallengeAsync(ended.ChallengeHash, Ct)).Should().BeNull();
        (await store.FindChallengeAsync(live.ChallengeHash, Ct)).Should().NotBeNull();
    }
}
