using Microsoft.EntityFrameworkCore;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.ApiKeys;
using Sentinel.EntityFramework;
using Sentinel.Audit;
using Sentinel.Sessions;
using Sentinel.Tokens;
using Sentinel.Users;

namespace Sentinel.Benchmarks;

/// <summary>
/// How the request path's cost grows with what Sentinel holds in memory: a bearer token validated from the cache
/// (still checked for expiry and revocation) against N revoked sessions, and a warm API key verification against
/// N keys in the cache. Both are hash lookups, so the time must stay flat. <c>dotnet run -- chart</c> plots it.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[JsonExporterAttribute.Brief]
public class ScaleBenchmarks
{
    private ServiceProvider _provider = null!;
    private IServiceScope _scope = null!;
    private AccessTokenService _tokens = null!;
    private ApiKeyService _keys = null!;
    private string _token = "";
    private string _key = "";

    [ParamsSource(nameof(EntryCounts))]
    public int Entries { get; set; }

    public static IEnumerable<int> EntryCounts() => BenchmarkFiller.SizesUpToScaleMax(1_000, 10_000, 100_000, 1_000_000);

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IAuditLog, DiscardingAuditLog>();
        services.AddSentinelCore(o =>
        {
            o.Tokens.Issuer = "https://api.example.test";
            o.ApiKeys.Scopes.Add("reports:read", "Read reports");
            o.ApiKeys.RateLimitPermits = 0;
            o.Passwords.Argon2MemoryKiB = 64;
            o.Passwords.Argon2Iterations = 1;
        }).AddInMemoryStores();
        _provider = services.BuildServiceProvider();
        _scope = _provider.CreateScope();
        _tokens = _scope.ServiceProvider.GetRequiredService<AccessTokenService>();
        _keys = _scope.ServiceProvider.GetRequiredService<ApiKeyService>();

        var user = (await _scope.ServiceProvider.GetRequiredService<UserService>().RegisterAsync("bench@example.com", "correct horse battery")).Value!;
        _token = (await _scope.ServiceProvider.GetRequiredService<SessionService>().StartAsync(user, ["pwd"], null)).AccessToken;
        _key = (await _keys.CreateAsync(user.Id, "bench", ["reports:read"], null)).Value!.Key;

        BenchmarkFiller.RevokeSessions(_provider.GetRequiredService<RevocationList>(), Entries);
        BenchmarkFiller.AddKeys(_provider.GetRequiredService<ApiKeyCache>(), Entries);

        if (!(await _tokens.ValidateAsync(_token)).Succeeded || (await _keys.VerifyAsync(_key)).Outcome != ApiKeyVerificationOutcome.Valid)
        {
            throw new InvalidOperationException("The benchmark token or key does not verify.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _scope.Dispose();
        _provider.Dispose();
    }

    [Benchmark(Description = "Bearer validation, cached, N revoked sessions")]
    [BenchmarkCategory("Bearer")]
    public async Task<bool> ValidateCached() => (await _tokens.ValidateAsync(_token)).Succeeded;

    [Benchmark(Description = "API key verification, warm, N keys cached")]
    [BenchmarkCategory("ApiKey")]
    public async Task<ApiKeyVerificationOutcome> VerifyWarm() => (await _keys.VerifyAsync(_key)).Outcome;
}

/// <summary>
/// Audit queries against the table's size: the newest page of one user's events and the newest page of one event
/// type and outcome, on SQLite and (with <c>SENTINEL_TEST_POSTGRES</c>) PostgreSQL. Keyset queries on indexes, so
/// the time must grow no worse than logarithmically. Sizes up to <c>SENTINEL_SCALE_MAX</c> events (default
/// 1,000,000; 10,000,000 takes several minutes to load per store).
/// </summary>
[MemoryDiagnoser]
[JsonExporterAttribute.Brief]
public class AuditQueryScaleBenchmarks
{
    // Every case of one store and size queries the same table: it is filled once (10,000,000 events take minutes)
    // and dropped by Program after the run, see DropFilledTables.
    private const string SqlitePrefix = "sentinel-audit-scale-";
    private const string PostgresPrefix = "sentinel_scale_";
    private static readonly Guid User = new("019ad000-0000-7000-8000-000000000001");
    private ServiceProvider _provider = null!;

    [ParamsSource(nameof(Stores))]
    public string Store { get; set; } = "";

    [ParamsSource(nameof(Sizes))]
    public int Events { get; set; }

    public static IEnumerable<string> Stores() => AuditThroughputBenchmarks.Stores();

    public static IEnumerable<int> Sizes() => BenchmarkFiller.SizesUpToScaleMax(10_000, 100_000, 1_000_000, 10_000_000);

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _provider = AuditBenchmarkStores.Build(Store, Path.Combine(Path.GetTempPath(), $"{SqlitePrefix}{Events}.db"), batchSize: 5_000, database: $"{PostgresPrefix}{Events}");
        await _provider.MigrateSentinelDatabaseAsync();
        await using (var scope = _provider.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SentinelDbContext>();
            var held = await db.Set<AuditEntry>().LongCountAsync();
            if (held == Events)
            {
                return;
            }

            if (held != 0)
            {
                throw new InvalidOperationException($"The scale table holds {held} events, not {Events}: drop it and run again.");
            }
        }

        var writer = _provider.GetRequiredService<AuditWriter>();
        // One user among many: 50 of the events are theirs, spread through the table.
        var now = DateTimeOffset.UtcNow;
        var spacing = Math.Max(1, Events / 50);
        for (var i = 0; i < Events; i++)
        {
            var failed = i % 4 == 0;
            await writer.WriteAsync(new AuditEvent
            {
                Id = Guid.CreateVersion7(),
                Timestamp = now.AddMilliseconds(i - Events),
                Type = failed ? AuditEventTypes.LoginFailed : AuditEventTypes.LoginSucceeded,
                Outcome = failed ? AuditOutcome.Failure : AuditOutcome.Success,
                UserId = i % spacing == 0 ? User : Guid.CreateVersion7(),
                IpAddress = "203.0.113.7",
                UserAgent = "Mozilla/5.0 (X11; Linux x86_64) Sentinel-bench",
                Details = failed ? new Dictionary<string, string> { ["reason"] = "wrong_password" } : new Dictionary<string, string>(),
            }, CancellationToken.None);
        }

        await writer.FlushAsync(CancellationToken.None);
    }

    /// <summary>Drops the tables the scale cases filled; Program calls it once the benchmarks have run.</summary>
    public static async Task DropFilledTables()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.EnumerateFiles(Path.GetTempPath(), $"{SqlitePrefix}*"))
        {
            File.Delete(file);
        }

        if (Environment.GetEnvironmentVariable("SENTINEL_TEST_POSTGRES") is { Length: > 0 } postgres)
        {
            await AuditBenchmarkStores.DropPostgresDatabasesAsync(postgres, PostgresPrefix);
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _provider.DisposeAsync();

    [Benchmark(Description = "Newest 50 events of one user")]
    public async Task<int> ByUser()
    {
        await using var scope = _provider.CreateAsyncScope();
        var page = await scope.ServiceProvider.GetRequiredService<AuditService>().QueryAsync(new AuditQuery { UserId = User }, null, 50, CancellationToken.None);
        return page.Value!.Items.Count;
    }

    [Benchmark(Description = "Newest 50 failed sign-ins")]
    public async Task<int> ByTypeAndOutcome()
    {
        await using var scope = _provider.CreateAsyncScope();
        var page = await scope.ServiceProvider.GetRequiredService<AuditService>().QueryAsync(
            new AuditQuery { Type = AuditEventTypes.LoginFailed, Outcome = AuditOutcome.Failure }, null, 50, CancellationToken.None);
        return page.Value!.Items.Count;
    }
}
