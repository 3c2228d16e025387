using System.Diagnostics.Metrics;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sentinel.Audit;
using Sentinel.Diagnostics;
using Sentinel.Storage.InMemory;

namespace Sentinel.Tests.Audit;

/// <summary>The queued, batching, retrying writer (SECURITY A4) and the reads over what it wrote.</summary>
public sealed class AuditWriterTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly CapturingLoggerProvider _logs = new();
    private readonly ControllableAuditStore _store = new();
    private readonly ServiceProvider _provider;

    public AuditWriterTests()
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(_logs));
        services.AddSingleton<IAuditStore>(_store);
        services.AddSentinelCore(o =>
        {
            o.Audit.QueueCapacity = 100;
            o.Audit.BatchSize = 50;
            o.Audit.RetryDelay = TimeSpan.FromMilliseconds(1); // real time, but only a yield: retries are counted, not timed
            o.Audit.MaxRetryDelay = TimeSpan.FromMilliseconds(5);
            o.Audit.EnqueueTimeout = TimeSpan.FromSeconds(10);
        });
        _provider = services.BuildServiceProvider();
    }

    private AuditWriter Writer => _provider.GetRequiredService<AuditWriter>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static AuditEvent NewEvent(string type = AuditEventTypes.LoginSucceeded) => new()
    {
        Id = Guid.CreateVersion7(),
        Timestamp = DateTimeOffset.UtcNow,
        Type = type,
        Outcome = AuditOutcome.Success,
        UserId = Guid.CreateVersion7(),
    };

    private async Task<AuditVerification> VerifyAsync()
    {
        await using var scope = _provider.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AuditService>().VerifyAsync(Ct);
    }

    [Fact]
    public async Task Events_AreStoredInOrder_AsOneVerifiableChain_AndFlushWaitsForThem()
    {
        var events = Enumerable.Range(0, 120).Select(_ => NewEvent()).ToList();
        foreach (var e in events)
        {
            await Writer.WriteAsync(e, Ct);
        }

        await Writer.FlushAsync(Ct).AsTask().WaitAsync(Patience, Ct);

        _store.Entries.Select(e => e.Id).Should().Equal(events.Select(e => e.Id));
        _store.Entries.Select(e => e.Sequence).Should().Equal(Enumerable.Range(1, 120).Select(i => (long)i));
        _store.LargestBatch.Should().BeLessThanOrEqualTo(50);
        (await VerifyAsync()).Should().Be(new AuditVerification(true, 120, null));
        Writer.QueueDepth.Should().Be(0);
    }

    [Fact]
    public async Task TwoConcurrentWriters_LoseNothing_AndTheChainStaysWhole()
    {
        var writes = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                await Writer.WriteAsync(NewEvent(), Ct);
            }
        }, Ct));
        await Task.WhenAll(writes);

        await Writer.FlushAsync(Ct).AsTask().WaitAsync(Patience, Ct);

        _store.Entries.Should().HaveCount(4_000);
        _store.Entries.Select(e => e.Id).Should().OnlyHaveUniqueItems();
        (await VerifyAsync()).Valid.Should().BeTrue();
    }

    [Fact]
    public async Task StoreOutage_KeepsEvents_RetriesWithBackoff_AndWritesThemWhenItReturns()
    {
        // SECURITY A4: a store outage does not lose events; it is logged and counted, not silent.
        using var failures = new MetricCollector("sentinel.audit.write_failures");
        _store.FailNext(5);
        var events = Enumerable.Range(0, 10).Select(_ => NewEvent()).ToList();
        foreach (var e in events)
        {
            await Writer.WriteAsync(e, Ct);
        }

        await Writer.FlushAsync(Ct).AsTask().WaitAsync(Patience, Ct);

        _store.Entries.Select(e => e.Id).Should().Equal(events.Select(e => e.Id));
        _store.FailedAttempts.Should().Be(5);
        failures.Total.Should().Be(5);
        _logs.EventIds.Select(e => e.Id).Should().Contain(1401).And.Contain(1402);
        (await VerifyAsync()).Valid.Should().BeTrue();
    }

    [Fact]
    public async Task StoreOutage_RetryDelays_DoubleFromRetryDelay_UpToMaxRetryDelay()
    {
        // SECURITY A4 without hammering a store that is down: after one immediate retry (a stale chain head is the
        // likeliest cause), the writer waits RetryDelay, then twice that, and so on up to MaxRetryDelay.
        var time = new TimerCountingTimeProvider();
        _store.Clock = time;
        await using var provider = BuildWith(o =>
        {
            o.Audit.RetryDelay = TimeSpan.FromMilliseconds(200);
            o.Audit.MaxRetryDelay = TimeSpan.FromMilliseconds(500);
        }, time);
        var writer = provider.GetRequiredService<AuditWriter>();
        _store.FailNext(5);

        await writer.WriteAsync(NewEvent(), Ct);
        await WaitForAttemptsAsync(2);
        var wait = 0;
        foreach (var (delay, attempts) in new[] { (200, 3), (400, 4), (500, 5), (500, 6) })
        {
            await WaitUntilAsync(() => time.TimersCreated > wait); // the writer is waiting (it started its timer)
            wait++;
            time.Advance(TimeSpan.FromMilliseconds(delay - 1));
            await Task.Delay(100, Ct); // a retry due earlier would have run by now
            _store.AttemptTimes.Should().HaveCount(attempts - 1, "no retry before {0} ms", delay);
            time.Advance(TimeSpan.FromMilliseconds(1));
            await WaitForAttemptsAsync(attempts);
        }

        await writer.FlushAsync(Ct).AsTask().WaitAsync(Patience, Ct);
        _store.AttemptTimes.Select(t => (t - DateTimeOffset.UnixEpoch).TotalMilliseconds).Should().Equal(0, 0, 200, 600, 1100, 1600);
        _store.Entries.Should().HaveCount(1);
    }

    private Task WaitForAttemptsAsync(int count) => WaitUntilAsync(() => _store.AttemptTimes.Count >= count);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        patience.CancelAfter(Patience);
        while (!condition())
        {
            await Task.Delay(5, patience.Token);
        }
    }

    /// <summary>A fake clock that counts the timers started on it, so a test advances it only once a wait has begun.</summary>
    private sealed class TimerCountingTimeProvider() : Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch)
    {
        private int _timers;

        public int TimersCreated => Volatile.Read(ref _timers);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            // Counted once the timer is registered at its due time: counted before, a test could advance the clock
            // between the count and the registration, and the timer would then be due a step later than the test expects.
            var timer = base.CreateTimer(callback, state, dueTime, period);
            Interlocked.Increment(ref _timers);
            return timer;
        }
    }

    [Fact]
    public async Task AFailedWriteThatDidCommit_IsNotWrittenTwice()
    {
        _store.CommitThenFailNext(1);
        await Writer.WriteAsync(NewEvent(), Ct);
        await Writer.WriteAsync(NewEvent(), Ct);
        await Writer.FlushAsync(Ct).AsTask().WaitAsync(Patience, Ct);
        await Writer.WriteAsync(NewEvent(), Ct);
        await Writer.FlushAsync(Ct).AsTask().WaitAsync(Patience, Ct);

        _store.Entries.Select(e => e.Id).Should().OnlyHaveUniqueItems().And.HaveCount(3);
        (await VerifyAsync()).Should().Be(new AuditVerification(true, 3, null));
    }

    [Fact]
    public async Task Shutdown_WritesEverythingQueued_BeforeReturning()
    {
        // SECURITY A4: events queued at shutdown are written, not dropped.
        _store.Block();
        var events = Enumerable.Range(0, 90).Select(_ => NewEvent()).ToList();
        foreach (var e in events)
        {
            await Writer.WriteAsync(e, Ct);
        }

        Writer.QueueDepth.Should().Be(90);
        var complete = Writer.CompleteAsync(Ct);
        _store.Unblock();
        await complete.WaitAsync(Patience, Ct);

        _store.Entries.Select(e => e.Id).Should().Equal(events.Select(e => e.Id));
        Writer.QueueDepth.Should().Be(0);
        _store.LargestBatch.Should().Be(50, "what queued while the store was busy goes in batches of BatchSize, not one by one");

        // An event after shutdown (a request still finishing) is written directly.
        var late = NewEvent(AuditEventTypes.Logout);
        await Writer.WriteAsync(late, Ct);
        _store.Entries[^1].Id.Should().Be(late.Id);
    }

    [Fact]
    public async Task ShutdownSentinel_WritesTheQueue_BeforeTheProviderIsDisposed()
    {
        _store.Block();
        for (var i = 0; i < 10; i++)
        {
            await Writer.WriteAsync(NewEvent(), Ct);
        }

        var shutdown = _provider.ShutdownSentinelAsync(Ct);
        _store.Unblock();
        await shutdown.WaitAsync(Patience, Ct);

        _store.Entries.Should().HaveCount(10);
    }

    [Fact]
    public async Task ADisposedProvider_GivesTheQueueUpAtOnce_AndSaysHowMany()
    {
        using var dropped = new MetricCollector("sentinel.audit.dropped");
        await using var provider = BuildWith(_ => { });
        var writer = provider.GetRequiredService<AuditWriter>();
        _store.Block();
        for (var i = 0; i < 3; i++)
        {
            await writer.WriteAsync(NewEvent(), Ct);
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var dispose = provider.DisposeAsync().AsTask();
        _store.Unblock();
        await dispose.WaitAsync(Patience, Ct);

        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), "no 30-second retry against a provider that is gone");
        (_store.Entries.Count + dropped.Total).Should().Be(3, "every event is either stored or counted as dropped");
    }

    [Fact]
    public async Task Shutdown_WithTheStoreDown_GivesUpAtTheDeadline_AndSaysHowMany()
    {
        // SECURITY A4: nothing is dropped silently: a log line and a metric say how many.
        using var dropped = new MetricCollector("sentinel.audit.dropped");
        _store.FailNext(int.MaxValue);
        for (var i = 0; i < 7; i++)
        {
            await Writer.WriteAsync(NewEvent(), Ct);
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Writer.CompleteAsync(deadline.Token).WaitAsync(Patience, Ct);

        dropped.Total.Should().Be(7);
        dropped.Tags.Should().OnlyContain(t => t == "store_unavailable");
        // However the loop batched them, the log lines add up to every event given up.
        _logs.Lines.Select(l => System.Text.RegularExpressions.Regex.Match(l, "^Gave up (\\d+) audit events"))
            .Where(m => m.Success).Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Should().Be(7);
        Writer.QueueDepth.Should().Be(0);
    }

    [Fact]
    public async Task FullQueue_MakesWritersWait_ThenAcceptsWhenThereIsRoom()
    {
        _store.Block();
        for (var i = 0; i < 100; i++)
        {
            await Writer.WriteAsync(NewEvent(), Ct);
        }

        var waiting = Writer.WriteAsync(NewEvent(AuditEventTypes.Logout), Ct).AsTask();
        waiting.IsCompleted.Should().BeFalse("the queue is full: the caller waits rather than the event being dropped");

        _store.Unblock();
        await waiting.WaitAsync(Patience, Ct);
        await Writer.FlushAsync(Ct).AsTask().WaitAsync(Patience, Ct);
        _store.Entries.Should().HaveCount(101);
        _store.Entries[^1].Type.Should().Be(AuditEventTypes.Logout);
    }

    [Fact]
    public async Task FullQueue_PastTheWait_DropsWithALogLineAndAMetric()
    {
        using var dropped = new MetricCollector("sentinel.audit.dropped");
        await using var provider = BuildWith(o => o.Audit.EnqueueTimeout = TimeSpan.Zero);
        var writer = provider.GetRequiredService<AuditWriter>();
        _store.Block();
        for (var i = 0; i < 100; i++)
        {
            await writer.WriteAsync(NewEvent(), Ct);
        }

        await writer.WriteAsync(NewEvent(), Ct).AsTask().WaitAsync(Patience, Ct);

        dropped.Total.Should().Be(1);
        dropped.Tags.Should().Equal("queue_full");
        _logs.EventIds.Select(e => e.Id).Should().Contain(1403);
        _store.Unblock();
        await writer.FlushAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Ct);
        _store.Entries.Should().HaveCount(100, "the 100 that fitted were all written");
    }

    [Fact]
    public async Task Query_PagesNewestFirst_WithAnOpaqueCursor()
    {
        var user = Guid.CreateVersion7();
        for (var i = 0; i < 7; i++)
        {
            await Writer.WriteAsync(NewEvent() with { UserId = user }, Ct);
            await Writer.WriteAsync(NewEvent(AuditEventTypes.LoginFailed), Ct);
        }

        await using var scope = _provider.CreateAsyncScope();
        var audit = scope.ServiceProvider.GetRequiredService<AuditService>();
        var seen = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = (await audit.QueryAsync(new AuditQuery { UserId = user }, cursor, 3, Ct)).Value!;
            seen.AddRange(page.Items.Select(e => e.Sequence));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        pages.Should().Be(3);
        seen.Should().Equal(13, 11, 9, 7, 5, 3, 1);

        (await audit.QueryAsync(new AuditQuery(), "not-a-cursor", null, Ct)).Error!.Errors!.Keys.Should().Equal("cursor");
        (await audit.QueryAsync(new AuditQuery(), null, 501, Ct)).Error!.Errors!.Keys.Should().Equal("limit");
        (await audit.QueryAsync(new AuditQuery { Type = "login.hacked" }, null, null, Ct)).Error!.Errors!.Keys.Should().Equal("type");
    }

    private ServiceProvider BuildWith(Action<SentinelOptions> configure, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddLogging(b => b.AddProvider(_logs));
        services.AddSingleton<IAuditStore>(_store);
        services.AddSentinelCore(o =>
        {
            o.Audit.QueueCapacity = 100;
            configure(o);
        });
        return services.BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        _store.Unblock();
        await _provider.DisposeAsync();
    }

    /// <summary>An in-memory store that can fail, block, or commit and then report failure.</summary>
    private sealed class ControllableAuditStore : IAuditStore
    {
        private readonly InMemoryAuditStore _inner = new();
        private readonly Lock _gate = new();
        private TaskCompletionSource _open = Open();
        private int _failNext;
        private int _commitThenFailNext;
        private readonly List<DateTimeOffset> _attemptTimes = [];

        public int FailedAttempts { get; private set; }

        public int LargestBatch { get; private set; }

        /// <summary>When set, the time of each append attempt is kept in <see cref="AttemptTimes"/>.</summary>
        public TimeProvider? Clock { get; set; }

        public List<DateTimeOffset> AttemptTimes
        {
            get
            {
                lock (_gate)
                {
                    return [.. _attemptTimes];
                }
            }
        }

        public IReadOnlyList<AuditEntry> Entries => _inner.ReadChainAsync(0, int.MaxValue, default).AsTask().Result;

        public void FailNext(int count) => _failNext = count;

        public void CommitThenFailNext(int count) => _commitThenFailNext = count;

        public void Block() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Unblock() => _open.TrySetResult();

        public ValueTask<AuditChainHead> GetHeadAsync(CancellationToken cancellationToken) => _inner.GetHeadAsync(cancellationToken);

        public async ValueTask AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
        {
            await _open.Task.WaitAsync(cancellationToken);
            lock (_gate)
            {
                if (Clock is not null)
                {
                    _attemptTimes.Add(Clock.GetUtcNow());
                }

                if (_failNext > 0)
                {
                    _failNext--;
                    FailedAttempts++;
                    throw new TimeoutException("The store is down.");
                }
            }

            await _inner.AppendAsync(entries, cancellationToken);
            LargestBatch = Math.Max(LargestBatch, entries.Count);
            if (Interlocked.Decrement(ref _commitThenFailNext) >= 0)
            {
                throw new TimeoutException("Committed, but the answer was lost.");
            }
        }

        public ValueTask<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery query, CancellationToken cancellationToken) => _inner.QueryAsync(query, cancellationToken);

        public ValueTask<IReadOnlyList<AuditEntry>> ReadChainAsync(long afterSequence, int count, CancellationToken cancellationToken) => _inner.ReadChainAsync(afterSequence, count, cancellationToken);

        public ValueTask<AuditAnchor?> GetAnchorAsync(CancellationToken cancellationToken) => _inner.GetAnchorAsync(cancellationToken);

        public ValueTask<int> PruneAsync(long throughSequence, AuditAnchor anchor, CancellationToken cancellationToken) => _inner.PruneAsync(throughSequence, anchor, cancellationToken);

        public ValueTask<AuditEntry?> FindNewestBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken) => _inner.FindNewestBeforeAsync(before, cancellationToken);

        private static TaskCompletionSource Open()
        {
            var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            open.SetResult();
            return open;
        }
    }

    /// <summary>Sums one counter of the Sentinel meter and keeps its <c>reason</c> tags.</summary>
    private sealed class MetricCollector : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _total;

        public MetricCollector(string instrument)
        {
            _listener.InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name == SentinelMetrics.MeterName && i.Name == instrument)
                {
                    l.EnableMeasurementEvents(i);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                Interlocked.Add(ref _total, value);
                foreach (var tag in tags)
                {
                    if (tag.Key == "reason")
                    {
                        lock (Tags)
                        {
                            Tags.Add((string)tag.Value!);
                        }
                    }
                }
            });
            _listener.Start();
        }

        public long Total => Interlocked.Read(ref _total);

        public List<string> Tags { get; } = [];

        public void Dispose() => _listener.Dispose();
    }
}
