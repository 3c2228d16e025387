using FluentAssertions;
using Sentinel.Email;
using Xunit;

namespace Sentinel.Specification;

/// <summary>The facts every <see cref="IOneTimeTokenStore"/> must satisfy; facts use fresh ids and may share a database.</summary>
public abstract class OneTimeTokenStoreSpecification
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 14, 40, 3, TimeSpan.Zero);

    /// <summary>A store over the implementation under test (a new instance per call, sharing the data).</summary>
    protected abstract ValueTask<IOneTimeTokenStore> CreateStoreAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static OneTimeTokenRecord NewToken(Guid? userId = null, OneTimeTokenPurpose purpose = OneTimeTokenPurpose.PasswordReset, TimeSpan? lifetime = null) => new()
    {
        Id = Guid.CreateVersion7(),
        UserId = userId ?? Guid.CreateVersion7(),
        Purpose = purpose,
        Hash = "Hash" + Guid.NewGuid().ToString("N"),
        CreatedAt = Now,
        ExpiresAt = Now + (lifetime ?? TimeSpan.FromMinutes(30)),
    };

    [Fact]
    public async Task Create_ThenFind_RoundTrips_ByHashAndPurpose_CaseSensitively()
    {
        var token = NewToken();
        await (await CreateStoreAsync()).CreateAsync(token, Ct);

        var other = await CreateStoreAsync();
        (await other.FindAsync(token.Hash, OneTimeTokenPurpose.PasswordReset, Ct)).Should().BeEquivalentTo(token);
        (await other.FindAsync(token.Hash, OneTimeTokenPurpose.EmailConfirmation, Ct)).Should().BeNull("a reset token never confirms an email");
        (await other.FindAsync(token.Hash.ToUpperInvariant(), OneTimeTokenPurpose.PasswordReset, Ct)).Should().BeNull();
    }

    [Fact]
    public async Task Spend_WorksOnce_AndNotAfterExpiry()
    {
        var store = await CreateStoreAsync();
        var token = NewToken();
        var expired = NewToken(lifetime: TimeSpan.FromMinutes(1));
        await store.CreateAsync(token, Ct);
        await store.CreateAsync(expired, Ct);

        (await store.SpendAsync(token.Id, Now.AddMinutes(1), Ct)).Should().BeTrue();
        (await (await CreateStoreAsync()).SpendAsync(token.Id, Now.AddMinutes(2), Ct)).Should().BeFalse();
        (await store.SpendAsync(expired.Id, Now.AddMinutes(1), Ct)).Should().BeFalse("it expired at that instant");
        (await store.FindAsync(token.Hash, token.Purpose, Ct))!.UsedAt.Should().Be(Now.AddMinutes(1));
    }

    [Fact]
    public async Task Spend_Concurrently_ExactlyOneWins()
    {
        var token = NewToken();
        await (await CreateStoreAsync()).CreateAsync(token, Ct);
        var stores = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => CreateStoreAsync().AsTask()));

        var results = await Task.WhenAll(stores.Select(s => Task.Run(async () => await s.SpendAsync(token.Id, Now, Ct), Ct)));

        results.Count(r => r).Should().Be(1);
    }

    [Fact]
    public async Task RevokeAll_EndsTheUsersUnusedTokensOfThatPurposeOnly()
    {
        var store = await CreateStoreAsync();
        var user = Guid.CreateVersion7();
        var reset = NewToken(user);
        var confirm = NewToken(user, OneTimeTokenPurpose.EmailConfirmation);
        var someoneElse = NewToken();
        foreach (var t in new[] { reset, confirm, someoneElse })
        {
            await store.CreateAsync(t, Ct);
        }

        await store.RevokeAllAsync(user, OneTimeTokenPurpose.PasswordReset, Now, Ct);

        (await store.SpendAsync(reset.Id, Now, Ct)).Should().BeFalse();
        (await store.SpendAsync(confirm.Id, Now, Ct)).Should().BeTrue();
        (await store.SpendAsync(someoneElse.Id, Now, Ct)).Should().BeTrue();
    }

    [Fact]
    public async Task DeleteExpired_RemovesOnlyTokensExpiredBeforeTheCutoff()
    {
        var store = await CreateStoreAsync();
        var old = NewToken(lifetime: TimeSpan.FromMinutes(-10_000));
        var live = NewToken();
        await store.CreateAsync(old, Ct);
        await store.CreateAsync(live, Ct);

        (await store.DeleteExpiredAsync(Now.AddDays(-1), Ct)).Should().BeGreaterThanOrEqualTo(1);

        (await store.FindAsync(old.Hash, old.Purpose, Ct)).Should().BeNull();
        (await store.FindAsync(live.Hash, live.Purpose, Ct)).Should().NotBeNull();
    }
}
