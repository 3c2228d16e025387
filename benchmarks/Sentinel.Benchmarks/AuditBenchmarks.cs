using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.Audit;
using Sentinel.EntityFramework;

namespace Sentinel.Benchmarks;

/// <summary>
/// The request path's cost of an audit event, one call at a time: <see cref="AuditRecorder.RecordAsync"/> (id,
/// clock, trace, metric, log check, enqueue), the recorder building the event alone, and
/// <see cref="AuditWriter.WriteAsync"/> alone, against the bare baseline of writing the event into an unbounded
/// <see cref="Channel{T}"/>. The writer's loop drains into a store that keeps nothing.
/// </summary>
[MemoryDiagnoser]
public class AuditEnqueueBenchmarks
{
    private readonly AuditFixture _fixture = new();

    [GlobalSetup]
    public void Setup() => _fixture.Setup();

    [GlobalCleanup]
    public Task CleanupAsync() => _fixture.CleanupAsync();

    // No [IterationCleanup] here: it would make BenchmarkDotNet run one call per iteration. Both queues are
    // drained continuously by their single reader instead, as in a running host.
    [Benchmark(Baseline = true, Description = "Channel<T>.TryWrite (bare, drained by one reader)")]
    public bool BareChannel() => _fixture.Channel.Writer.TryWrite(_fixture.Event);

    [Benchmark(Description = "AuditWriter.WriteAsync")]
    public ValueTask WriterEnqueue() => _fixture.Writer.WriteAsync(_fixture.Event, CancellationToken.None);

    [Benchmark(Description = "AuditRecorder.RecordAsync, building only (no queue)")]
    public ValueTask RecorderAlone() => _fixture.RecordAlone();

    [Benchmark(Description = "AuditRecorder.RecordAsync (whole event)")]
    public ValueTask RecorderRecord() => _fixture.Record();
}

/// <summary>
/// The same with two threads writing at once (each writes 20,000 events; Mean is per event per thread), to show
/// that the writer takes no lock (the Lock Contentions column, from <see cref="ThreadingDiagnoser"/>). The "loop
/// held" row holds the writer's loop in its store, so only the enqueue is measured, without the loop's chaining and
/// hashing competing for the machine's two cores.
/// </summary>
[MemoryDiagnoser]
[ThreadingDiagnoser]
public class AuditEnqueueContentionBenchmarks
{
    private const int EventsPerThread = 20_000;
    private readonly AuditFixture _fixture = new();
    private readonly AuditFixture _held = new(holdLoop: true);

    [GlobalSetup]
    public void Setup()
    {
        _fixture.Setup();
        _held.Setup();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _fixture.CleanupAsync();
        await _held.CleanupAsync();
    }

    [IterationCleanup]
    public void Drain()
    {
        _fixture.Drain();
        _held.Drain();
    }

    // One dedicated thread plus the calling one, started together: Parallel.For's second worker comes from the
    // thread pool and can start late, which made the two "concurrent" loops partly run one after the other.
    private static void OnTwoThreads(Action body)
    {
        using var start = new Barrier(2);
        void Loop()
        {
            start.SignalAndWait();
            for (var i = 0; i < EventsPerThread; i++)
            {
                body();
            }
        }

        var other = new Thread(Loop);
        other.Start();
        Loop();
        other.Join();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = EventsPerThread, Description = "Channel<T>.TryWrite (bare), 2 threads")]
    public void BareChannel() => OnTwoThreads(() => _fixture.Channel.Writer.TryWrite(_fixture.Event));

    [Benchmark(OperationsPerInvoke = EventsPerThread, Description = "AuditWriter.WriteAsync, 2 threads")]
    public void WriterEnqueue() => OnTwoThreads(() => AuditFixture.Complete(_fixture.Writer.WriteAsync(_fixture.Event, CancellationToken.None)));

    [Benchmark(OperationsPerInvoke = EventsPerThread, Description = "AuditWriter.WriteAsync, 2 threads, loop held (enqueue alone)")]
    public void WriterEnqueueAlone() => OnTwoThreads(() => AuditFixture.Complete(_held.Writer.WriteAsync(_held.Event, CancellationToken.None)));

    [Benchmark(OperationsPerInvoke = EventsPerThread, Description = "AuditRecorder.RecordAsync, building only (no queue), 2 threads")]
    public void RecorderBuildOnly() => OnTwoThreads(() => AuditFixture.Complete(_fixture.RecordAlone()));

    [Benchmark(OperationsPerInvoke = EventsPerThread, Description = "AuditRecorder.RecordAsync (whole event), 2 threads")]
    public void RecorderRecord() => OnTwoThreads(() => AuditFixture.Complete(_fixture.Record()));

    [Benchmark(OperationsPerInvoke = EventsPerThread, Description = "AuditRecorder.RecordAsync (whole event), 2 threads, loop held")]
    public void RecorderRecordAlone() => OnTwoThreads(() => AuditFixture.Complete(_held.Record()));
}

/// <summary>
/// A writer over a store that keeps nothing, a recorder over it, and a bare channel. With
/// <paramref name="holdLoop"/>, the store holds the writer's loop until <see cref="Drain"/>, so events only queue.
/// </summary>
internal sealed class AuditFixture(bool holdLoop = false)
{
    private readonly DiscardingAuditStore _store = new();
    private ServiceProvider _provider = null!;
    private AuditRecorder _recorder = null!;
    private AuditRecorder _recorderAlone = null!;
    private ClientInfo _client = null!;
    private readonly Guid _userId = Guid.CreateVersion7();

    public AuditWriter Writer { get; private set; } = null!;

    public Channel<AuditEvent> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<AuditEvent>(new UnboundedChannelOptions { SingleReader = true });

    public AuditEvent Event { get; private set; } = null!;

    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IAuditStore>(_store);
        if (holdLoop)
        {
            _store.Hold();
        }

        services.AddSentinelCore(o => o.Audit.QueueCapacity = 100_000_000);
        _provider = services.BuildServiceProvider();
        _recorder = _provider.GetRequiredService<AuditRecorder>();
        Writer = _provider.GetRequiredService<AuditWriter>();
        _recorderAlone = new AuditRecorder(new NullAuditLog(), TimeProvider.System, _provider.GetRequiredService<Sentinel.Diagnostics.SentinelMetrics>());
        _client = new ClientInfo("203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64) Sentinel-bench");
        Event = new AuditEvent { Id = Guid.CreateVersion7(), Timestamp = DateTimeOffset.UtcNow, Type = AuditEventTypes.LoginSucceeded, Outcome = AuditOutcome.Success, UserId = _userId };
        _ = Task.Run(async () =>
        {
            while (await Channel.Reader.WaitToReadAsync())
            {
                while (Channel.Reader.TryRead(out _))
                {
                }
            }
        });
    }

    public async Task CleanupAsync()
    {
        _store.Release();
        Channel.Writer.TryComplete();
        await _provider.DisposeAsync();
    }

    public void Drain()
    {
        while (Channel.Reader.TryRead(out _))
        {
        }

        _store.Release();
        Writer.FlushAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        if (holdLoop)
        {
            _store.Hold();
        }
    }

    public ValueTask Record() =>
        _recorder.RecordAsync(AuditEventTypes.LoginFailed, AuditOutcome.Failure, _userId, _client, CancellationToken.None, reason: "wrong_password");

    public ValueTask RecordAlone() =>
        _recorderAlone.RecordAsync(AuditEventTypes.LoginFailed, AuditOutcome.Failure, _userId, _client, CancellationToken.None, reason: "wrong_password");

    public static void Complete(ValueTask write)
    {
        // The enqueue completes synchronously unless the queue is full (it never is here).
        if (!write.IsCompletedSuccessfully)
        {
            write.AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Takes events and does nothing: isolates building an event from queueing and writing it.</summary>
    private sealed class NullAuditLog : IAuditLog
    {
        public ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>Accepts every batch and keeps nothing; while held, an append waits until released.</summary>
    private sealed class DiscardingAuditStore : IAuditStore
    {
        private TaskCompletionSource? _held;

        public void Hold() => Volatile.Write(ref _held, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public void Release() => Interlocked.Exchange(ref _held, null)?.TrySetResult();

        public ValueTask<AuditChainHead> GetHeadAsync(CancellationToken cancellationToken) => ValueTask.FromResult(new AuditChainHead(0, new byte[32], null));

        public ValueTask AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken) =>
            Volatile.Read(ref _held) is { } held ? new ValueTask(held.Task) : ValueTask.CompletedTask;

        public ValueTask<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery query, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<AuditEntry>>([]);

        public ValueTask<IReadOnlyList<AuditEntry>> ReadChainAsync(long afterSequence, int count, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<AuditEntry>>([]);

        public ValueTask<AuditAnchor?> GetAnchorAsync(CancellationToken cancellationToken) => ValueTask.FromResult<AuditAnchor?>(null);

        public ValueTask<int> PruneAsync(long throughSequence, AuditAnchor anchor, CancellationToken cancellationToken) => ValueTask.FromResult(0);

        public ValueTask<AuditEntry?> FindNewestBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken) => ValueTask.FromResult<AuditEntry?>(null);
    }
}

/// <summary>
/// Sustained write throughput: 20,000 events through the real <see cref="AuditWriter"/> (chaining and hashing
/// included) into a real SQLite file, and into PostgreSQL when <c>SENTINEL_TEST_POSTGRES</c> is set, by batch size.
/// One operation is one event: events per second = 1 s / Mean. The baseline is batch size 100 on the same store.
/// </summary>
[MemoryDiagnoser]
public class AuditThroughputBenchmarks
{
    private const int Events = 20_000;
    private readonly string _dbPath = Path.Combine(Path.GetTempPath(), $"sentinel-audit-bench-{Guid.NewGuid():N}.db");
    private ServiceProvider _provider = null!;
    private AuditWriter _writer = null!;
    private AuditEvent[] _events = [];

    [ParamsSource(nameof(Stores))]
    public string Store { get; set; } = "";

    [Params(100, 500, 2000)]
    public int BatchSize { get; set; }

    public static IEnumerable<string> Stores() =>
        string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("SENTINEL_TEST_POSTGRES")) ? ["SQLite"] : ["SQLite", "PostgreSQL"];

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _provider = AuditBenchmarkStores.Build(Store, _dbPath, BatchSize);
        await _provider.MigrateSentinelDatabaseAsync();
        _writer = _provider.GetRequiredService<AuditWriter>();
        var client = new ClientInfo("203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64) Sentinel-bench");
        _events = [.. Enumerable.Range(0, Events).Select(i => new AuditEvent
        {
            Id = Guid.CreateVersion7(),
            Timestamp = DateTimeOffset.UtcNow,
            Type = i % 3 == 0 ? AuditEventTypes.LoginFailed : AuditEventTypes.LoginSucceeded,
            Outcome = i % 3 == 0 ? AuditOutcome.Failure : AuditOutcome.Success,
            UserId = Guid.CreateVersion7(),
            SessionId = Guid.CreateVersion7(),
            IpAddress = client.IpAddress,
            UserAgent = client.UserAgent,
            Details = i % 3 == 0 ? new Dictionary<string, string> { ["reason"] = "wrong_password" } : new Dictionary<string, string>(),
        })];
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await AuditBenchmarkStores.DropAsync(_provider, Store, _dbPath);

    [Benchmark(OperationsPerInvoke = Events, Description = "AuditWriter → store, per event")]
    public async Task WriteAndFlush()
    {
        foreach (var e in _events)
        {
            await _writer.WriteAsync(e with { Id = Guid.CreateVersion7() }, CancellationToken.None);
        }

        await _writer.FlushAsync(CancellationToken.None);
    }
}

/// <summary>The audit benchmarks' stores: a fresh SQLite file, or a fresh PostgreSQL database, and their removal.</summary>
internal static class AuditBenchmarkStores
{
    public static ServiceProvider Build(string store, string sqlitePath, int batchSize, string? database = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddSentinelCore(o => o.Audit.BatchSize = batchSize);
        if (store == "SQLite")
        {
            builder.AddSqliteStores($"Data Source={sqlitePath}");
        }
        else
        {
            var server = new Npgsql.NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("SENTINEL_TEST_POSTGRES")) { Database = database ?? $"sentinel_bench_{Guid.NewGuid():N}"[..30] };
            builder.AddPostgreSqlStores(server.ConnectionString);
        }

        return services.BuildServiceProvider();
    }

    public static async Task DropAsync(ServiceProvider provider, string store, string sqlitePath)
    {
        string? postgres = null;
        if (store != "SQLite")
        {
            await using var scope = provider.CreateAsyncScope();
            postgres = scope.ServiceProvider.GetRequiredService<SentinelDbContext>().Database.GetConnectionString();
        }

        // Stop the audit writer and close every pooled connection first: a session still open on the database would
        // make the drop fail (or need the right to end other sessions).
        await provider.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(sqlitePath);
        if (postgres is not null)
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            var database = new Npgsql.NpgsqlConnectionStringBuilder(postgres).Database;
            await using var admin = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(postgres) { Database = "postgres", Pooling = false }.ConnectionString);
            await admin.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\"", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Drops every database whose name starts with <paramref name="prefix"/> on the server of <paramref name="connectionString"/>.</summary>
    public static async Task DropPostgresDatabasesAsync(string connectionString, string prefix)
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await using var admin = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString);
        await admin.OpenAsync();
        var names = new List<string>();
        await using (var list = new Npgsql.NpgsqlCommand("SELECT datname FROM pg_database WHERE starts_with(datname, @prefix)", admin))
        {
            list.Parameters.AddWithValue("prefix", prefix);
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }
        }

        foreach (var name in names)
        {
            await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\"", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
