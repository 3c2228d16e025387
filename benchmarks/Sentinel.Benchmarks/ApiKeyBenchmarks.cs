using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.ApiKeys;
using Sentinel.Audit;
using Sentinel.EntityFramework;

namespace Sentinel.Benchmarks;

/// <summary>
/// API key verification: warm (served from memory), cold (a lookup in a real SQLite file) and a malformed key
/// (refused on the checksum), against a bare SHA-256 of the key as the baseline, with 1,000 and 1,000,000 keys in
/// memory. Rate limiting is off here so that the figure is the verification itself.
/// </summary>
[MemoryDiagnoser]
public class ApiKeyBenchmarks
{
    private readonly string _dbPath = Path.Combine(Path.GetTempPath(), $"sentinel-bench-{Guid.NewGuid():N}.db");
    private ServiceProvider _provider = null!;
    private IServiceScope _scope = null!;
    private ApiKeyService _service = null!;
    private ApiKeyCache _cache = null!;
    private string _key = "";
    private string _hash = "";
    private Guid _keyId;
    private string _malformed = "";

    [ParamsSource(nameof(KeyCounts))]
    public int KeysInMemory { get; set; }

    public static IEnumerable<int> KeyCounts() => BenchmarkFiller.SizesUpToScaleMax(1_000, 1_000_000);

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IAuditLog, DiscardingAuditLog>();
        services.AddSentinelCore(o =>
        {
            o.ApiKeys.Scopes.Add("reports:read", "Read reports");
            o.ApiKeys.RateLimitPermits = 0;
            o.Passwords.Argon2MemoryKiB = 64;
            o.Passwords.Argon2Iterations = 1;
        }).AddSqliteStores($"Data Source={_dbPath}");
        _provider = services.BuildServiceProvider();
        await _provider.MigrateSentinelDatabaseAsync();
        _scope = _provider.CreateScope();
        _service = _scope.ServiceProvider.GetRequiredService<ApiKeyService>();
        _cache = _provider.GetRequiredService<ApiKeyCache>();

        var created = (await _service.CreateAsync(Guid.CreateVersion7(), "bench", ["reports:read"], null)).Value!;
        _key = created.Key;
        _hash = created.Record.Hash;
        _keyId = created.Record.Id;
        _malformed = _key[..^1] + (_key[^1] == '0' ? '1' : '0');

        BenchmarkFiller.AddKeys(_cache, KeysInMemory - 1);

        if ((await _service.VerifyAsync(_key)).Outcome != ApiKeyVerificationOutcome.Valid)
        {
            throw new InvalidOperationException("The benchmark key does not verify.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _scope.Dispose();
        _provider.Dispose();
        SqliteConnection.ClearAllPools();
        File.Delete(_dbPath);
    }

    [Benchmark(Baseline = true, Description = "SHA-256 of the key (bare)")]
    public byte[] BareHash() => SHA256.HashData(Encoding.ASCII.GetBytes(_key));

    [Benchmark(Description = "Sentinel verify, warm")]
    public async Task<ApiKeyVerificationOutcome> Warm() => (await _service.VerifyAsync(_key)).Outcome;

    [Benchmark(Description = "Sentinel verify, cold (SQLite)")]
    public async Task<ApiKeyVerificationOutcome> Cold()
    {
        _cache.Evict(_keyId, _hash);
        return (await _service.VerifyAsync(_key)).Outcome;
    }

    [Benchmark(Description = "Checksum check alone, malformed")]
    public bool Checksum() => ApiKeyFormat.IsWellFormed(_malformed, "sk");

    [Benchmark(Description = "Sentinel verify, malformed")]
    public async Task<ApiKeyVerificationOutcome> Malformed() => (await _service.VerifyAsync(_malformed)).Outcome;
}

/// <summary>Keeps a benchmark about verification: audit events are dropped here.</summary>
internal sealed class DiscardingAuditLog : IAuditLog
{
    public ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
