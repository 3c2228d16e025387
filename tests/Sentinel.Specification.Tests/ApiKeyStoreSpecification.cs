using FluentAssertions;
using Sentinel.ApiKeys;
using Xunit;

namespace Sentinel.Specification;

/// <summary>The facts every <see cref="IApiKeyStore"/> must satisfy; facts use fresh ids and may share a database.</summary>
public abstract class ApiKeyStoreSpecification
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 14, 40, 3, TimeSpan.Zero);

    /// <summary>A store over the implementation under test (a new instance per call, sharing the data).</summary>
    protected abstract ValueTask<IApiKeyStore> CreateStoreAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ApiKeyRecord NewKey(Guid? userId = null, DateTimeOffset? createdAt = null) => new()
    {
        Id = Guid.CreateVersion7(),
        UserId = userId ?? Guid.CreateVersion7(),
        Name = "ci",
        Hash = "Hash" + Guid.NewGuid().ToString("N"),
        DisplayPrefix = "sk_AbCd12",
        Scopes = ["reports:read", "reports:write"],
        CreatedAt = createdAt ?? Now,
        ExpiresAt = Now.AddDays(90),
        RateLimitPermits = 42,
    };

    [Fact]
    public async Task Create_ThenFindByHashAndId_RoundTrips_AndHashIsCaseSensitive()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.CreateAsync(key, Ct);

        var other = await CreateStoreAsync();
        (await other.FindByHashAsync(key.Hash, Ct)).Should().BeEquivalentTo(key);
        (await other.FindByIdAsync(key.Id, Ct)).Should().BeEquivalentTo(key);
        (await other.FindByHashAsync(key.Hash.ToLowerInvariant(), Ct)).Should().BeNull();
        (await other.FindByIdAsync(Guid.CreateVersion7(), Ct)).Should().BeNull();
    }

    [Fact]
    public async Task Create_DuplicateHash_Throws()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.CreateAsync(key, Ct);
        var copy = NewKey();
        copy.Hash = key.Hash;

        var act = async () => await (await CreateStoreAsync()).CreateAsync(copy, Ct);
        await act.Should().ThrowAsync<Exception>("the hash is unique");
    }

    [Fact]
    public async Task ListByUser_ReturnsOnlyTheirs_NewestFirst()
    {
        var store = await CreateStoreAsync();
        var userId = Guid.CreateVersion7();
        var older = NewKey(userId, Now.AddDays(-1));
        var newer = NewKey(userId);
        await store.CreateAsync(older, Ct);
        await store.CreateAsync(newer, Ct);
        await store.CreateAsync(NewKey(), Ct);

        (await (await CreateStoreAsync()).ListByUserAsync(userId, Ct)).Select(k => k.Id).Should().Equal(newer.Id, older.Id);
    }

    [Fact]
    public async Task Revoke_Once_AndAReplacedOrRevokedKeyIsNotReplacedAgain()
    {
        var store = await CreateStoreAsync();
        var revoked = NewKey();
        await store.CreateAsync(revoked, Ct);
        (await store.RevokeAsync(revoked.Id, Now, Ct)).Should().BeTrue();
        (await (await CreateStoreAsync()).RevokeAsync(revoked.Id, Now.AddMinutes(1), Ct)).Should().BeFalse();
        (await store.TryReplaceAsync(revoked.Id, Now, Now.AddDays(1), Ct)).Should().BeFalse("a revoked key is not rotated");
        (await (await CreateStoreAsync()).FindByIdAsync(revoked.Id, Ct))!.RevokedAt.Should().Be(Now);

        // Replacing brings the expiry forward, never later, and works once (SECURITY K5: no chained rotations).
        var replaced = NewKey();
        replaced.ExpiresAt = Now.AddDays(30);
        await store.CreateAsync(replaced, Ct);
        (await store.TryReplaceAsync(replaced.Id, Now, Now.AddDays(1), Ct)).Should().BeTrue();
        (await (await CreateStoreAsync()).TryReplaceAsync(replaced.Id, Now.AddMinutes(1), Now.AddMinutes(2), Ct)).Should().BeFalse();
        var found = (await (await CreateStoreAsync()).FindByIdAsync(replaced.Id, Ct))!;
        found.ReplacedAt.Should().Be(Now);
        found.ExpiresAt.Should().Be(Now.AddDays(1));

        var later = NewKey();
        later.ExpiresAt = Now.AddHours(1);
        await store.CreateAsync(later, Ct);
        (await store.TryReplaceAsync(later.Id, Now, Now.AddDays(1), Ct)).Should().BeTrue();
        (await (await CreateStoreAsync()).FindByIdAsync(later.Id, Ct))!.ExpiresAt.Should().Be(Now.AddHours(1), "never later than it was");
    }

    [Fact]
    public async Task RecordLastUsed_WritesABatch_AndNeverMovesBackwards()
    {
        var store = await CreateStoreAsync();
        var a = NewKey();
        var b = NewKey();
        await store.CreateAsync(a, Ct);
        await store.CreateAsync(b, Ct);

        await store.RecordLastUsedAsync([KeyValuePair.Create(a.Id, Now.AddMinutes(2)), KeyValuePair.Create(b.Id, Now.AddMinutes(3))], Ct);
        await (await CreateStoreAsync()).RecordLastUsedAsync([KeyValuePair.Create(a.Id, Now.AddMinutes(1))], Ct);

        var check = await CreateStoreAsync();
        (await check.FindByIdAsync(a.Id, Ct))!.LastUsedAt.Should().Be(Now.AddMinutes(2));
        (await check.FindByIdAsync(b.Id, Ct))!.LastUsedAt.Should().Be(Now.AddMinutes(3));
    }
}
