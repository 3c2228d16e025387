using FluentAssertions;
using Sentinel.Tokens;
using Xunit;

namespace Sentinel.Specification;

/// <summary>The facts every <see cref="ISigningKeyStore"/> must satisfy.</summary>
public abstract class SigningKeyStoreSpecification
{
    /// <summary>A store over the implementation under test (a new instance per call, sharing the data).</summary>
    protected abstract ValueTask<ISigningKeyStore> CreateStoreAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Add_ThenList_RoundTrips_AndDeleteExpired_RemovesOnlyExpired()
    {
        var store = await CreateStoreAsync();
        var now = new DateTimeOffset(2026, 11, 28, 14, 40, 3, TimeSpan.Zero);
        var live = new SigningKeyRecord
        {
            Id = "live-" + Guid.NewGuid().ToString("N"),
            Algorithm = "ES256",
            CreatedAt = now,
            ActivatesAt = now,
            RetiresAt = now.AddDays(30),
            ExpiresAt = now.AddDays(30).AddMinutes(16),
            ProtectedPrivateKey = [1, 2, 3, 4, 5],
            PublicKey = [48, 89, 48, 19, 6, 7],
        };
        var expired = new SigningKeyRecord
        {
            Id = "old-" + Guid.NewGuid().ToString("N"),
            Algorithm = "RS256",
            CreatedAt = now.AddDays(-90),
            ActivatesAt = now.AddDays(-90),
            RetiresAt = now.AddDays(-60),
            ExpiresAt = now.AddDays(-59),
            ProtectedPrivateKey = [9, 9],
        };
        await store.AddAsync(live, Ct);
        await store.AddAsync(expired, Ct);

        var listed = await (await CreateStoreAsync()).ListAsync(Ct);
        listed.Should().ContainEquivalentOf(live).And.ContainEquivalentOf(expired);

        (await store.DeleteExpiredAsync(now, Ct)).Should().BeGreaterThanOrEqualTo(1);
        var after = await (await CreateStoreAsync()).ListAsync(Ct);
        after.Should().ContainEquivalentOf(live);
        after.Should().NotContain(k => k.Id == expired.Id);
    }
}
