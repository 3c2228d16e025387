using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.ApiKeys;
using Sentinel.Audit;
using Sentinel.Storage.InMemory;

namespace Sentinel.Tests.ApiKeys;

/// <summary>SECURITY K1–K4 on the service, with a fake clock.</summary>
public sealed class ApiKeyServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TestServices Create(Action<SentinelOptions>? configure = null) => new(o =>
    {
        o.ApiKeys.Scopes.Add("reports:read", "Read reports").Add("reports:write", "Write reports");
        configure?.Invoke(o);
    });

    [Fact]
    public void Format_Has256RandomBitsAndAChecksum_AndMatchesTheDocumentedRegex()
    {
        // SECURITY K1: 43 base62 characters are 256 bits (62^43 > 2^256).
        Math.Pow(62, ApiKeyFormat.RandomLength).Should().BeGreaterThan(Math.Pow(2, 256));
        var key = ApiKeyFormat.New("sk");
        key.Should().MatchRegex(@"^sk_[0-9A-Za-z]{49}$");
        Regex.IsMatch("token: " + key + " end", @"\bsk_[0-9A-Za-z]{49}\b").Should().BeTrue("secret scanners can find leaked keys");
        ApiKeyFormat.IsWellFormed(key, "sk").Should().BeTrue();
        ApiKeyFormat.New("sk").Should().NotBe(key);
    }

    [Fact]
    public void Format_AnySingleCharacterChange_BreaksTheChecksum()
    {
        var key = ApiKeyFormat.New("sk");
        for (var i = 3; i < key.Length; i++)
        {
            var c = key[i] == 'a' ? 'b' : 'a';
            ApiKeyFormat.IsWellFormed(string.Concat(key.AsSpan(0, i), c.ToString(), key.AsSpan(i + 1)), "sk").Should().BeFalse($"position {i}");
        }

        ApiKeyFormat.IsWellFormed(key, "pk").Should().BeFalse("another prefix");
        ApiKeyFormat.IsWellFormed(key + "x", "sk").Should().BeFalse();
        ApiKeyFormat.IsWellFormed("", "sk").Should().BeFalse();
    }

    [Fact]
    public async Task Create_ReturnsTheKeyOnce_AndStoresOnlyItsHash()
    {
        // SECURITY K1.
        using var s = Create();
        var user = await s.RegisterAsync();
        var created = (await s.Get<ApiKeyService>().CreateAsync(user.Id, "reporting", ["reports:read"], null, cancellationToken: Ct)).Value!;

        var stored = (await s.Get<IApiKeyStore>().FindByIdAsync(created.Record.Id, Ct))!;
        stored.Hash.Should().Be(ApiKeyFormat.Hash(created.Key)).And.NotContain(created.Key);
        stored.DisplayPrefix.Should().Be(created.Key[..9]);
        created.Key.Should().StartWith(stored.DisplayPrefix);
        s.Audit.Events.Should().ContainSingle(e => e.Type == AuditEventTypes.ApiKeyCreated && e.ApiKeyId == created.Record.Id);
        System.Text.Json.JsonSerializer.Serialize(s.Audit.Events).Should().NotContain(created.Key);
    }

    [Theory]
    [InlineData("", new[] { "reports:read" }, "name")]
    [InlineData("ok", new[] { "admin:everything" }, "scopes")]
    [InlineData("ok", new[] { "reports:read", "reports:delete" }, "scopes")]
    public async Task Create_Invalid_IsValidationFailed(string name, string[] scopes, string field)
    {
        // SECURITY K3: unknown scopes cannot be granted.
        using var s = Create();
        var user = await s.RegisterAsync();
        var result = await s.Get<ApiKeyService>().CreateAsync(user.Id, name, scopes, null, cancellationToken: Ct);
        result.Error!.Code.Should().Be(SentinelErrorCode.ValidationFailed);
        result.Error.Errors!.Keys.Should().Contain(field);
    }

    [Fact]
    public async Task Create_PastExpiry_IsValidationFailed()
    {
        using var s = Create();
        var user = await s.RegisterAsync();
        var result = await s.Get<ApiKeyService>().CreateAsync(user.Id, "old", ["reports:read"], s.Time.GetUtcNow().AddSeconds(-1), cancellationToken: Ct);
        result.Error!.Errors!.Keys.Should().Contain("expiresAt");
    }

    [Fact]
    public async Task Verify_MalformedKey_IsRefusedWithoutAStoreLookup()
    {
        // SECURITY K2.
        using var s = Create();
        var store = (InMemoryApiKeyStore)s.Get<IApiKeyStore>();
        var service = s.Get<ApiKeyService>();
        var key = ApiKeyFormat.New("sk");
        var typo = key[..10] + (key[10] == 'x' ? 'y' : 'x') + key[11..];

        foreach (var bad in new[] { typo, "sk_short", "", "Bearer abc", key + "0" })
        {
            (await service.VerifyAsync(bad, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Malformed);
        }

        store.HashLookups.Should().Be(0);
        (await service.VerifyAsync(key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.NotFound);
        store.HashLookups.Should().Be(1);
        // SECURITY A5: one event per reason now, the rest counted into one more when the minute is over.
        s.Audit.Events.Count(e => e.Type == AuditEventTypes.ApiKeyRejected).Should().Be(2);
        await s.Get<Sentinel.Audit.AuditRecorder>().FlushRefusalsAsync(all: true, Ct);
        s.Audit.Events.Where(e => e.Type == AuditEventTypes.ApiKeyRejected).Sum(e => int.Parse(e.Details["count"], System.Globalization.CultureInfo.InvariantCulture))
            .Should().Be(6);
    }

    [Fact]
    public async Task Verify_IsServedFromMemoryAfterTheFirstHit_AndRevocationTakesEffectAtOnce()
    {
        // SECURITY K4.
        using var s = Create();
        var user = await s.RegisterAsync();
        var service = s.Get<ApiKeyService>();
        var store = (InMemoryApiKeyStore)s.Get<IApiKeyStore>();
        var created = (await service.CreateAsync(user.Id, "ci", ["reports:read"], null, cancellationToken: Ct)).Value!;

        for (var i = 0; i < 5; i++)
        {
            (await service.VerifyAsync(created.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid);
        }

        store.HashLookups.Should().Be(1, "the key is verified from memory after the first hit");
        (await service.RevokeAsync(user.Id, created.Record.Id, cancellationToken: Ct)).Succeeded.Should().BeTrue();
        (await service.VerifyAsync(created.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Revoked);
    }

    [Fact]
    public async Task Verify_ExpiredKey_IsRefused()
    {
        using var s = Create();
        var user = await s.RegisterAsync();
        var service = s.Get<ApiKeyService>();
        var created = (await service.CreateAsync(user.Id, "short-lived", ["reports:read"], s.Time.GetUtcNow().AddHours(1), cancellationToken: Ct)).Value!;
        (await service.VerifyAsync(created.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid);

        s.Time.Advance(TimeSpan.FromHours(1));

        (await service.VerifyAsync(created.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Expired);
    }

    [Fact]
    public async Task Rotate_OldKeyWorksForTheGracePeriodThenStops()
    {
        using var s = Create();
        var user = await s.RegisterAsync();
        var service = s.Get<ApiKeyService>();
        var old = (await service.CreateAsync(user.Id, "deploy", ["reports:read", "reports:write"], null, cancellationToken: Ct)).Value!;
        await service.VerifyAsync(old.Key, cancellationToken: Ct);

        var rotated = (await service.RotateAsync(user.Id, old.Record.Id, cancellationToken: Ct)).Value!;

        rotated.Key.Should().NotBe(old.Key);
        rotated.Record.Scopes.Should().BeEquivalentTo(old.Record.Scopes);
        rotated.Record.Name.Should().Be("deploy");
        s.Time.Advance(TimeSpan.FromHours(23));
        (await service.VerifyAsync(old.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid, "within the 24 h grace period");
        s.Time.Advance(TimeSpan.FromHours(1));
        (await service.VerifyAsync(old.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Expired);
        (await service.VerifyAsync(rotated.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid);
        s.Audit.Events.Should().Contain(e => e.Type == AuditEventTypes.ApiKeyRotated && e.ApiKeyId == old.Record.Id);
    }

    [Fact]
    public async Task Rotate_WithZeroGrace_StopsTheOldKeyAtOnce()
    {
        using var s = Create(o => o.ApiKeys.RotationGracePeriod = TimeSpan.Zero);
        var user = await s.RegisterAsync();
        var service = s.Get<ApiKeyService>();
        var old = (await service.CreateAsync(user.Id, "deploy", ["reports:read"], null, cancellationToken: Ct)).Value!;
        await service.VerifyAsync(old.Key, cancellationToken: Ct);

        await service.RotateAsync(user.Id, old.Record.Id, cancellationToken: Ct);

        (await service.VerifyAsync(old.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Revoked);
    }

    [Fact]
    public async Task RevokedByAnotherInstance_IsRefusedHere_OnceTheCachedEntryIsOlderThanTheRefreshInterval()
    {
        // SECURITY K4 across instances: another instance revokes the key in the shared store; this one has it cached.
        using var s = Create(o => o.ApiKeys.CacheRefreshInterval = TimeSpan.FromMinutes(1));
        var user = await s.RegisterAsync();
        var service = s.Get<ApiKeyService>();
        var created = (await service.CreateAsync(user.Id, "ci", ["reports:read"], null, cancellationToken: Ct)).Value!;
        (await service.VerifyAsync(created.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid);

        await s.Get<IApiKeyStore>().RevokeAsync(created.Record.Id, s.Time.GetUtcNow(), Ct); // not through this cache
        s.Time.Advance(TimeSpan.FromSeconds(59));
        (await service.VerifyAsync(created.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid, "still served from memory");

        s.Time.Advance(TimeSpan.FromSeconds(2));
        (await service.VerifyAsync(created.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Revoked, "the entry was re-read from the store");
    }

    [Fact]
    public async Task FullCache_MakesRoomForTheNewKey_SoActiveKeysStayInMemory()
    {
        using var s = Create(o => o.ApiKeys.CacheSize = 2);
        var user = await s.RegisterAsync();
        var service = s.Get<ApiKeyService>();
        var cache = s.Get<ApiKeyCache>();
        var keys = new List<CreatedApiKey>();
        for (var i = 0; i < 3; i++)
        {
            keys.Add((await service.CreateAsync(user.Id, $"key {i}", ["reports:read"], null, cancellationToken: Ct)).Value!);
            (await service.VerifyAsync(keys[i].Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid);
        }

        cache.Count.Should().Be(2);
        cache.TryGet(keys[2].Record.Hash.AsSpan(), out _).Should().BeTrue("the newest key is cached even though the cache was full");
        cache.TryGet(keys[0].Record.Hash.AsSpan(), out _).Should().BeFalse("the longest-held key made room");
        (await service.VerifyAsync(keys[0].Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid, "an evicted key is read from the store again");
        cache.TryGet(keys[0].Record.Hash.AsSpan(), out _).Should().BeTrue();
    }

    [Fact]
    public async Task DisablingTheUser_RevokesEveryActiveKey_EvenOnesVerifiedFromMemory()
    {
        // SECURITY K4 and T8: a disabled account acts through its keys no more than through its tokens.
        using var s = Create();
        var user = await s.RegisterAsync();
        var other = await s.RegisterAsync("grace@example.com");
        var service = s.Get<ApiKeyService>();
        var first = (await service.CreateAsync(user.Id, "one", ["reports:read"], null, cancellationToken: Ct)).Value!;
        var second = (await service.CreateAsync(user.Id, "two", ["reports:read"], null, cancellationToken: Ct)).Value!;
        var others = (await service.CreateAsync(other.Id, "theirs", ["reports:read"], null, cancellationToken: Ct)).Value!;
        (await service.VerifyAsync(first.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid); // now cached

        (await s.Users.SetDisabledAsync(user.Id, true, Ct)).Succeeded.Should().BeTrue();

        (await service.VerifyAsync(first.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Revoked);
        (await service.VerifyAsync(second.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Revoked);
        (await service.VerifyAsync(others.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid, "only the disabled user's keys");
        s.Audit.Events.Where(e => e.Type == AuditEventTypes.ApiKeyRevoked && e.UserId == user.Id).Select(e => e.ApiKeyId)
            .Should().BeEquivalentTo([first.Record.Id, second.Record.Id]);

        (await s.Users.SetDisabledAsync(user.Id, false, Ct)).Succeeded.Should().BeTrue();
        (await service.VerifyAsync(first.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Revoked, "enabling does not bring keys back");
    }

    [Fact]
    public async Task RevokeAndRotate_AnotherUsersKey_IsNotFound()
    {
        using var s = Create();
        var owner = await s.RegisterAsync("owner@example.com");
        var other = await s.RegisterAsync("other@example.com");
        var service = s.Get<ApiKeyService>();
        var key = (await service.CreateAsync(owner.Id, "mine", ["reports:read"], null, cancellationToken: Ct)).Value!;

        (await service.RevokeAsync(other.Id, key.Record.Id, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.NotFound);
        (await service.RotateAsync(other.Id, key.Record.Id, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.NotFound);
        (await service.VerifyAsync(key.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid);
    }

    [Fact]
    public async Task RateLimit_RefusesOverTheBudget_WithWhenToRetry()
    {
        // A long window: the bucket's real-time refill must not land inside the test.
        using var s = Create(o => { o.ApiKeys.RateLimitPermits = 3; o.ApiKeys.RateLimitWindow = TimeSpan.FromHours(1); });
        var user = await s.RegisterAsync();
        var service = s.Get<ApiKeyService>();
        var created = (await service.CreateAsync(user.Id, "busy", ["reports:read"], null, cancellationToken: Ct)).Value!;
        var other = (await service.CreateAsync(user.Id, "quiet", ["reports:read"], null, cancellationToken: Ct)).Value!;

        for (var i = 0; i < 3; i++)
        {
            (await service.VerifyAsync(created.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid);
        }

        var limited = await service.VerifyAsync(created.Key, cancellationToken: Ct);
        limited.Outcome.Should().Be(ApiKeyVerificationOutcome.RateLimited);
        limited.RetryAfter.Should().BePositive().And.BeLessThanOrEqualTo(TimeSpan.FromHours(1));
        (await service.VerifyAsync(other.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid, "each key has its own bucket");
        s.Audit.Events.Should().Contain(e => e.Type == AuditEventTypes.RateLimitExceeded && e.ApiKeyId == created.Record.Id);
    }

    [Fact]
    public async Task RateLimit_WindowEnds_AndTheKeyIsServedAgain()
    {
        using var s = Create(o => { o.ApiKeys.RateLimitPermits = 2; o.ApiKeys.RateLimitWindow = TimeSpan.FromMinutes(1); });
        var user = await s.RegisterAsync();
        var service = s.Get<ApiKeyService>();
        var created = (await service.CreateAsync(user.Id, "ci", ["reports:read"], null, cancellationToken: Ct)).Value!;
        (await service.VerifyAsync(created.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid);
        s.Time.Advance(TimeSpan.FromSeconds(20));
        (await service.VerifyAsync(created.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid);

        var limited = await service.VerifyAsync(created.Key, cancellationToken: Ct);
        limited.Outcome.Should().Be(ApiKeyVerificationOutcome.RateLimited);
        limited.RetryAfter.Should().Be(TimeSpan.FromSeconds(40), "the window began with the first request");

        s.Time.Advance(TimeSpan.FromSeconds(40));
        (await service.VerifyAsync(created.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid);
    }

    [Fact]
    public async Task RateLimit_CanBeOverriddenPerKey()
    {
        using var s = Create(o => { o.ApiKeys.RateLimitPermits = 1; o.ApiKeys.RateLimitWindow = TimeSpan.FromHours(1); });
        var user = await s.RegisterAsync();
        var service = s.Get<ApiKeyService>();
        var generous = (await service.CreateAsync(user.Id, "batch job", ["reports:read"], null, cancellationToken: Ct, rateLimitPermits: 5)).Value!;

        for (var i = 0; i < 5; i++)
        {
            (await service.VerifyAsync(generous.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.Valid);
        }

        (await service.VerifyAsync(generous.Key, cancellationToken: Ct)).Outcome.Should().Be(ApiKeyVerificationOutcome.RateLimited);
    }

    [Fact]
    public async Task Usage_IsWrittenInBatches_AtMostOncePerKeyPerInterval_AsOneAggregatedEvent()
    {
        using var s = Create();
        var user = await s.RegisterAsync();
        var service = s.Get<ApiKeyService>();
        var store = s.Get<IApiKeyStore>();
        var created = (await service.CreateAsync(user.Id, "ci", ["reports:read"], null, cancellationToken: Ct)).Value!;

        for (var i = 0; i < 25; i++)
        {
            await service.VerifyAsync(created.Key, cancellationToken: Ct);
        }

        (await store.FindByIdAsync(created.Record.Id, Ct))!.LastUsedAt.Should().BeNull("nothing is written per request");
        (await service.FlushUsageAsync(cancellationToken: Ct)).Should().Be(1);
        (await store.FindByIdAsync(created.Record.Id, Ct))!.LastUsedAt.Should().Be(TestServices.Start);
        var used = s.Audit.Events.Single(e => e.Type == AuditEventTypes.ApiKeyUsed);
        used.Details["count"].Should().Be("25");

        s.Time.Advance(TimeSpan.FromSeconds(30));
        await service.VerifyAsync(created.Key, cancellationToken: Ct);
        (await service.FlushUsageAsync(cancellationToken: Ct)).Should().Be(0, "at most once per key per minute");
        s.Time.Advance(TimeSpan.FromSeconds(30));
        (await service.FlushUsageAsync(cancellationToken: Ct)).Should().Be(1);
        (await store.FindByIdAsync(created.Record.Id, Ct))!.LastUsedAt.Should().Be(TestServices.Start.AddSeconds(30));
    }

    [Fact]
    public void Options_RefuseBadPrefixAndUndeclaredGrants()
    {
        var services = new ServiceCollection();
        services.AddSentinelCore(o =>
        {
            o.ApiKeys.Prefix = "sk-live";
            o.ApiKeys.DefaultUserScopes.Add("nope:read");
        }).AddInMemoryStores();
        using var provider = services.BuildServiceProvider();
        var act = () => provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<SentinelOptions>>().Value;
        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>()
            .Which.Message.Should().Contain("Sentinel:ApiKeys:Prefix").And.Contain("nope:read");
    }
}
