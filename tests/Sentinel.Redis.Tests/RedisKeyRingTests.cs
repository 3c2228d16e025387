using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sentinel.Tokens;
using StackExchange.Redis;

namespace Sentinel.Redis.Tests;

/// <summary>
/// Issue 18, point 7: with <c>PersistDataProtectionKeys</c> the key ring that encrypts signing keys and TOTP secrets
/// lives in Redis, so a Production host starts (its ring is persisted) and a second host reads the first one's keys.
/// </summary>
[Collection(nameof(SampleClusterGroup))]
public sealed class RedisKeyRingTests(SampleCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private WebApplication Host(string prefix, Sentinel.Storage.InMemory.InMemorySigningKeyStore keys)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton<ISigningKeyStore>(keys);
        builder.Services.AddSentinelAuth().AddInMemoryStores()
            .AddRedis($"127.0.0.1:{cluster.Redis.Port}", o => { o.Prefix = prefix; o.PersistDataProtectionKeys = true; });
        return builder.Build();
    }

    [Fact]
    public async Task TheKeyRingInRedis_LetsAProductionHostStart_AndASecondHostReadTheFirstOnesSigningKey()
    {
        cluster.Require();
        var prefix = "ring-" + Guid.NewGuid().ToString("N")[..8];
        var keys = new Sentinel.Storage.InMemory.InMemorySigningKeyStore(); // one signing key store, as one database would be

        await using var first = Host(prefix, keys);
        await first.StartAsync(Ct); // Production: refused if the ring were not persisted
        first.Services.GetRequiredService<IOptions<KeyManagementOptions>>().Value.XmlRepository.Should().BeOfType<RedisXmlRepository>();
        var kid = (await first.Services.GetRequiredService<SigningKeyRing>().GetSigningKeyAsync(Ct)).Id;

        await using (var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{cluster.Redis.Port}"))
        {
            (await redis.GetDatabase().ListLengthAsync(prefix + ":data-protection-keys")).Should().BeGreaterThan(0);
        }

        await using var second = Host(prefix, keys);
        await second.StartAsync(Ct);
        var ring = second.Services.GetRequiredService<SigningKeyRing>();
        (await ring.GetSigningKeyAsync(Ct)).Id.Should().Be(kid, "the second host decrypts the first one's key with the ring from Redis");
        ring.ValidationOnlyKeyIds.Should().BeEmpty();
        await second.StopAsync(Ct);
        await first.StopAsync(Ct);
    }
}
