using FluentAssertions;
using Sentinel.Users;
using Xunit;

namespace Sentinel.Specification;

/// <summary>
/// The facts every <see cref="IUserStore"/> must satisfy. Subclass once per implementation and return a store
/// over a shared, migrated database; each fact uses its own fresh emails, so facts may share one database.
/// </summary>
public abstract class UserStoreSpecification
{
    /// <summary>A store over the implementation under test. Called once per store instance a fact needs.</summary>
    protected abstract ValueTask<IUserStore> CreateStoreAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static SentinelUser NewUser(string? email = null)
    {
        var now = new DateTimeOffset(2026, 11, 28, 14, 40, 3, TimeSpan.Zero);
        email ??= $"user-{Guid.NewGuid():N}@example.com";
        return new SentinelUser
        {
            Id = Guid.CreateVersion7(),
            Email = email,
            NormalizedEmail = EmailNormalizer.Normalize(email),
            PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
            Roles = ["admin", "reports"],
            CreatedAt = now,
            UpdatedAt = now.AddSeconds(1),
            SecurityValidAfter = now,
            AccessFailedCount = 2,
            LockoutCount = 1,
            LockoutEnd = now.AddMinutes(5),
            PasskeyUserHandle = System.Security.Cryptography.RandomNumberGenerator.GetBytes(64),
        };
    }

    [Fact]
    public async Task Create_ThenFindById_RoundTripsEveryField()
    {
        var store = await CreateStoreAsync();
        var user = NewUser();

        (await store.CreateAsync(user, Ct)).Should().Be(StoreWriteResult.Success);
        user.ConcurrencyStamp.Should().NotBeNullOrEmpty("the store sets the first stamp");

        var found = await (await CreateStoreAsync()).FindByIdAsync(user.Id, Ct);
        found.Should().BeEquivalentTo(user);
    }

    [Fact]
    public async Task FindByNormalizedEmail_MatchesExactlyAndOrdinally()
    {
        var store = await CreateStoreAsync();
        var user = NewUser($"Mixed.Case-{Guid.NewGuid():N}@Example.com");
        await store.CreateAsync(user, Ct);

        (await store.FindByNormalizedEmailAsync(user.NormalizedEmail, Ct))!.Id.Should().Be(user.Id);
        (await store.FindByNormalizedEmailAsync(user.NormalizedEmail.ToLowerInvariant(), Ct)).Should().BeNull(
            "stores compare the normalised email ordinally; normalising is the service's job");
        (await store.FindByNormalizedEmailAsync("NOBODY-" + user.NormalizedEmail, Ct)).Should().BeNull();
    }

    [Fact]
    public async Task FindById_Unknown_ReturnsNull()
    {
        var store = await CreateStoreAsync();
        (await store.FindByIdAsync(Guid.CreateVersion7(), Ct)).Should().BeNull();
    }

    [Fact]
    public async Task Create_DuplicateNormalizedEmail_ReturnsDuplicateAndKeepsTheFirst()
    {
        var store = await CreateStoreAsync();
        var first = NewUser();
        await store.CreateAsync(first, Ct);
        var second = NewUser(first.Email);

        (await (await CreateStoreAsync()).CreateAsync(second, Ct)).Should().Be(StoreWriteResult.Duplicate);

        var found = await (await CreateStoreAsync()).FindByNormalizedEmailAsync(first.NormalizedEmail, Ct);
        found!.Id.Should().Be(first.Id);
        (await store.FindByIdAsync(second.Id, Ct)).Should().BeNull();
    }

    [Fact]
    public async Task Update_WithCurrentStamp_WritesAndIssuesANewStamp()
    {
        var store = await CreateStoreAsync();
        var user = NewUser();
        await store.CreateAsync(user, Ct);
        var read = (await (await CreateStoreAsync()).FindByIdAsync(user.Id, Ct))!;
        var stampBefore = read.ConcurrencyStamp;

        read.PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdG5ld3NhbHQ$bmV3aGFzaG5ld2hhc2huZXdoYXNobmV3aGFzaA";
        read.Roles = ["auditor"];
        read.IsDisabled = true;
        read.LockoutEnd = null;
        read.AccessFailedCount = 0;
        (await store.UpdateAsync(read, Ct)).Should().Be(StoreWriteResult.Success);

        read.ConcurrencyStamp.Should().NotBe(stampBefore);
        var found = await (await CreateStoreAsync()).FindByIdAsync(user.Id, Ct);
        found.Should().BeEquivalentTo(read);
    }

    [Fact]
    public async Task Update_WithStaleStamp_ReturnsConflictAndWritesNothing()
    {
        var store = await CreateStoreAsync();
        var user = NewUser();
        await store.CreateAsync(user, Ct);
        var first = (await (await CreateStoreAsync()).FindByIdAsync(user.Id, Ct))!;
        var second = (await (await CreateStoreAsync()).FindByIdAsync(user.Id, Ct))!;

        first.AccessFailedCount = 3;
        (await (await CreateStoreAsync()).UpdateAsync(first, Ct)).Should().Be(StoreWriteResult.Success);
        second.AccessFailedCount = 99;
        (await (await CreateStoreAsync()).UpdateAsync(second, Ct)).Should().Be(StoreWriteResult.Conflict);

        var found = await (await CreateStoreAsync()).FindByIdAsync(user.Id, Ct);
        found!.AccessFailedCount.Should().Be(3);
    }

    [Fact]
    public async Task Update_UnknownUser_ReturnsNotFound()
    {
        var store = await CreateStoreAsync();
        var user = NewUser();
        user.ConcurrencyStamp = "whatever";
        (await store.UpdateAsync(user, Ct)).Should().Be(StoreWriteResult.NotFound);
    }

    [Fact]
    public async Task Update_ToTakenEmail_ReturnsDuplicate()
    {
        var store = await CreateStoreAsync();
        var a = NewUser();
        var b = NewUser();
        await store.CreateAsync(a, Ct);
        await store.CreateAsync(b, Ct);
        var read = (await (await CreateStoreAsync()).FindByIdAsync(b.Id, Ct))!;
        read.Email = a.Email;
        read.NormalizedEmail = a.NormalizedEmail;

        (await (await CreateStoreAsync()).UpdateAsync(read, Ct)).Should().Be(StoreWriteResult.Duplicate);
        (await (await CreateStoreAsync()).FindByIdAsync(b.Id, Ct))!.NormalizedEmail.Should().Be(b.NormalizedEmail);
    }

    [Fact]
    public async Task FoundUsers_ShareNoStateWithTheStore()
    {
        var store = await CreateStoreAsync();
        var user = NewUser();
        await store.CreateAsync(user, Ct);
        user.Roles.Add("mutated-after-create");

        var found = (await store.FindByIdAsync(user.Id, Ct))!;
        found.Roles.Should().NotContain("mutated-after-create");
        found.Roles.Add("mutated-after-find");
        found.IsDisabled = true;

        var again = (await store.FindByIdAsync(user.Id, Ct))!;
        again.Roles.Should().BeEquivalentTo(["admin", "reports"]);
        again.IsDisabled.Should().BeFalse();
    }

    [Fact]
    public async Task Update_SameUserTwiceInOneStore_BothWrite()
    {
        var store = await CreateStoreAsync();
        var user = NewUser();
        await store.CreateAsync(user, Ct);

        user.AccessFailedCount = 1;
        (await store.UpdateAsync(user, Ct)).Should().Be(StoreWriteResult.Success);
        user.AccessFailedCount = 2;
        (await store.UpdateAsync(user, Ct)).Should().Be(StoreWriteResult.Success);

        (await (await CreateStoreAsync()).FindByIdAsync(user.Id, Ct))!.AccessFailedCount.Should().Be(2);
    }

    [Fact]
    public async Task ListSecurityValidAfterSince_ReturnsOnlyLaterOnes()
    {
        var store = await CreateStoreAsync();
        var recent = NewUser();
        recent.SecurityValidAfter = new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(Random.Shared.Next());
        var old = NewUser();
        await store.CreateAsync(recent, Ct);
        await store.CreateAsync(old, Ct);

        var listed = await (await CreateStoreAsync()).ListSecurityValidAfterSinceAsync(new DateTimeOffset(2098, 1, 1, 0, 0, 0, TimeSpan.Zero), Ct);

        listed.Should().Contain((recent.Id, recent.SecurityValidAfter));
        listed.Should().NotContain(e => e.UserId == old.Id);
    }
}
