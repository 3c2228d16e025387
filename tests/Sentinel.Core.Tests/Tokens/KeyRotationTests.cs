using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Sentinel.Audit;
using Sentinel.Secrets;
using Sentinel.Sessions;
using Sentinel.Storage.InMemory;
using Sentinel.Tokens;
using Sentinel.Users;

namespace Sentinel.Tests.Tokens;

/// <summary>Signing keys: generated on first start, published ahead of use, rotated on schedule, kept until their tokens expire.</summary>
public sealed class KeyRotationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(TestServices S, SentinelUser User)> StartAsync(Action<IServiceCollection>? shared = null)
    {
        var s = new TestServices(configureServices: shared);
        var user = await s.RegisterAsync();
        return (s, user);
    }

    private static async Task<string> IssueAsync(TestServices s, SentinelUser user) =>
        (await s.Get<SessionService>().StartAsync(user, ["pwd"], null, Ct)).AccessToken;

    private static async Task<IReadOnlyList<string>> PublishedKidsAsync(TestServices s) =>
        (await s.Get<SigningKeyRing>().GetPublishedKeysAsync(Ct)).Select(k => k.Kid).ToList();

    [Fact]
    public async Task NextKey_IsPublishedAheadOfUse_ThenSigns_AndTheOldOneStaysUntilItsTokensExpire()
    {
        var (s, user) = await StartAsync();
        using var services = s;
        var first = await IssueAsync(s, user);
        var firstKid = new JsonWebToken(first).Kid;
        (await PublishedKidsAsync(s)).Should().Equal(firstKid);

        // Day 28: two days before rotation, the next key is published but does not sign yet.
        s.Time.Advance(TimeSpan.FromDays(28) + TimeSpan.FromMinutes(1));
        var beforeRotation = await IssueAsync(s, user);
        new JsonWebToken(beforeRotation).Kid.Should().Be(firstKid);
        var published = await PublishedKidsAsync(s);
        published.Should().HaveCount(2).And.Contain(firstKid);
        var nextKid = published.Single(k => k != firstKid);

        // Day 30: the next key signs; tokens of the old key still validate.
        s.Time.Advance(TimeSpan.FromDays(2));
        var afterRotation = await IssueAsync(s, user);
        new JsonWebToken(afterRotation).Kid.Should().Be(nextKid);
        (await s.Get<AccessTokenService>().ValidateAsync(afterRotation, Ct)).Succeeded.Should().BeTrue();
        s.Time.Advance(TimeSpan.FromMinutes(10));
        (await PublishedKidsAsync(s)).Should().Contain(firstKid, "a token it signed may still be alive");

        // Once its last token has expired, the old key leaves JWKS.
        s.Time.Advance(TimeSpan.FromMinutes(6));
        (await PublishedKidsAsync(s)).Should().Equal(nextKid);
        s.Audit.Events.Count(e => e.Type == AuditEventTypes.SigningKeyRotated).Should().Be(2);
    }

    [Fact]
    public async Task Keys_ArePersisted_AndReusedAfterARestart()
    {
        var keyStore = new InMemorySigningKeyStore();
        var protector = new EphemeralSecretProtector();
        void Shared(IServiceCollection services)
        {
            services.AddSingleton<ISigningKeyStore>(keyStore);
            services.AddSingleton<ISecretProtector>(protector);
        }

        var (first, user) = await StartAsync(Shared);
        string token;
        using (first)
        {
            token = await IssueAsync(first, user);
        }

        var stored = await keyStore.ListAsync(Ct);
        stored.Should().ContainSingle().Which.ProtectedPrivateKey.Should().NotBeEmpty();

        var (second, otherUser) = await StartAsync(Shared);
        using (second)
        {
            new JsonWebToken(await IssueAsync(second, otherUser)).Kid.Should().Be(stored[0].Id, "the persisted key is loaded, not replaced");
        }

        _ = token;
    }

    [Theory]
    [InlineData(SigningAlgorithm.ES256)]
    [InlineData(SigningAlgorithm.RS256)]
    public async Task AKeyThisInstanceCannotDecrypt_StillValidatesAndIsPublished_ButNeverSigns(SigningAlgorithm algorithm)
    {
        // Issue 18, point 7: two instances whose Data Protection differs (another folder, no shared application name)
        // share one key store. B cannot decrypt A's private key; it validates A's tokens from the public key.
        var keyStore = new InMemorySigningKeyStore();
        TestServices Instance() => new(o => o.Tokens.SigningAlgorithm = algorithm, configureServices: services =>
        {
            services.AddSingleton<ISigningKeyStore>(keyStore);
            services.AddSingleton<ISecretProtector>(new EphemeralSecretProtector()); // a ring of its own
        });

        using var a = Instance();
        var alice = await a.RegisterAsync();
        var fromA = await IssueAsync(a, alice);
        var kidOfA = new JsonWebToken(fromA).Kid;

        using var b = Instance();
        var bob = await b.RegisterAsync();
        (await b.Get<AccessTokenService>().ValidateAsync(fromA, Ct)).Succeeded.Should().BeTrue("validation needs only the public key");
        b.Get<SigningKeyRing>().ValidationOnlyKeyIds.Should().Equal(kidOfA);
        var fromB = await IssueAsync(b, bob);
        var kidOfB = new JsonWebToken(fromB).Kid;
        kidOfB.Should().NotBe(kidOfA, "B never signs with a key it cannot decrypt");
        (await PublishedKidsAsync(b)).Should().BeEquivalentTo([kidOfA, kidOfB]);

        // A learns of B's key (an unknown kid reloads the ring) and validates B's tokens the same way.
        await a.Get<SigningKeyRing>().RefreshNowAsync(Ct);
        (await a.Get<AccessTokenService>().ValidateAsync(fromB, Ct)).Succeeded.Should().BeTrue();
        a.Get<SigningKeyRing>().ValidationOnlyKeyIds.Should().Equal(kidOfB);
        new JsonWebToken(await IssueAsync(a, alice)).Kid.Should().Be(kidOfA);

        var published = await b.Get<SigningKeyRing>().GetPublishedKeysAsync(Ct);
        published.Should().OnlyContain(k => k.D == null && k.P == null && k.Q == null, "JWKS carries public parts only");
    }

    [Fact]
    public async Task AnUndecryptableKeyStoredWithoutItsPublicHalf_IsIgnored_AsBefore()
    {
        var keyStore = new InMemorySigningKeyStore();
        await keyStore.AddAsync(new SigningKeyRecord
        {
            Id = "legacy", Algorithm = "ES256", CreatedAt = TestServices.Start, ActivatesAt = TestServices.Start,
            RetiresAt = TestServices.Start.AddDays(30), ExpiresAt = TestServices.Start.AddDays(31), ProtectedPrivateKey = [1, 2, 3],
        }, Ct);
        using var s = new TestServices(configureServices: services => services.AddSingleton<ISigningKeyStore>(keyStore));

        var user = await s.RegisterAsync();
        new JsonWebToken(await IssueAsync(s, user)).Kid.Should().NotBe("legacy");
        (await PublishedKidsAsync(s)).Should().NotContain("legacy");
        s.Get<SigningKeyRing>().ValidationOnlyKeyIds.Should().BeEmpty();
    }

    [Fact]
    public async Task PrivateKeys_AreProtectedAtRest()
    {
        var keyStore = new InMemorySigningKeyStore();
        var (s, user) = await StartAsync(services => services.AddSingleton<ISigningKeyStore>(keyStore));
        using var services = s;
        await IssueAsync(s, user);

        var record = (await keyStore.ListAsync(Ct)).Single();
        var act = () => System.Security.Cryptography.ECDsa.Create().ImportPkcs8PrivateKey(record.ProtectedPrivateKey, out _);
        act.Should().Throw<System.Security.Cryptography.CryptographicException>("the stored bytes are encrypted, not a PKCS#8 key");
    }

    [Fact]
    public async Task HostClaims_AreAdded_ButReservedOnesAreRefused()
    {
        using var s = new TestServices(o => o.Tokens.OnIssuingAccessToken = ctx =>
        {
            ctx.Claims["tenant"] = "acme";
            return ValueTask.CompletedTask;
        });
        var user = await s.RegisterAsync();
        new JsonWebToken(await IssueAsync(s, user)).GetClaim("tenant").Value.Should().Be("acme");

        using var bad = new TestServices(o => o.Tokens.OnIssuingAccessToken = ctx =>
        {
            ctx.Claims["sub"] = "someone-else";
            return ValueTask.CompletedTask;
        });
        var victim = await bad.RegisterAsync();
        var act = () => IssueAsync(bad, victim);
        (await act.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("'sub'");
    }
}
