using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sentinel.Diagnostics;

namespace Sentinel.Audit;

/// <summary>
/// The durable <see cref="IAuditLog"/>: the request path pays one lock-free enqueue (a concurrent queue, and a
/// lock-free wake-up when the loop sleeps: a profile under load found the lock of the channel used before contended
/// on every write); a single background loop
/// drains the queue in batches, chains each batch onto the stored head and appends it through
/// <see cref="IAuditStore"/>. A failing store is retried with backoff while events wait in the queue; a full
/// queue makes callers wait (bounded) rather than lose events; <see cref="CompleteAsync"/> (called when the host
/// stops, or on dispose) writes what is queued before returning (SECURITY A4). Events are given up only when a
/// wait or the shutdown deadline runs out, and then a log line and <c>sentinel.audit.dropped</c> say how many.
/// </summary>
public sealed partial class AuditWriter : IAuditLog, IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan DisposeDeadline = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<AuditEvent> _queue = new();
    private readonly Background.LoopWakeUp _wake = new();
    private readonly SemaphoreSlim _appendGate = new(1, 1);
    private readonly CancellationTokenSource _giveUp = new();
    private readonly IServiceScopeFactory _scopes;
    private readonly AuditOptions _options;
    private readonly TimeProvider _time;
    private readonly SentinelMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Background.WorkProgress _progress = new();
    private readonly Func<bool> _hasWork;
    private AuditChainHead? _head;
    private Task? _loop;
    private long _depth;    // accepted into the queue and not yet stored or given up: bounded by QueueCapacity
    private int _state;     // 0 idle, 1 running, 2 completing
    private int _disposed;

    /// <summary>Creates the writer; its loop starts with the first event.</summary>
    public AuditWriter(IServiceScopeFactory scopes, IOptions<SentinelOptions> options, TimeProvider time, SentinelMetrics metrics, ILogger<AuditWriter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        _scopes = scopes;
        _options = options.Value.Audit;
        _time = time;
        _metrics = metrics;
        _logger = logger ?? (ILogger)Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        metrics.ObserveAuditQueue(() => Volatile.Read(ref _depth));
        _hasWork = () => !_queue.IsEmpty || Volatile.Read(ref _state) == 2;
    }

    /// <summary>Events accepted and not yet stored.</summary>
    public long QueueDepth => Volatile.Read(ref _depth);

    /// <inheritdoc />
    public ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        if (Volatile.Read(ref _state) == 0 && Interlocked.CompareExchange(ref _state, 1, 0) == 0)
        {
            _loop = Task.Run(RunAsync, CancellationToken.None);
        }

        return TryEnqueue(auditEvent) switch
        {
            Enqueue.Accepted => ValueTask.CompletedTask,
            Enqueue.Full => WaitForRoomAsync(auditEvent, cancellationToken),
            _ => WriteLateAsync(auditEvent),
        };
    }

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken) => _progress.WaitForAcceptedAsync(cancellationToken);

    /// <summary>
    /// Stops accepting into the queue and writes everything queued, retrying a failing store until
    /// <paramref name="deadline"/> fires; what is still unwritten then is given up, logged and counted.
    /// Events written after this call are stored directly, one at a time.
    /// </summary>
    public async Task CompleteAsync(CancellationToken deadline)
    {
        Interlocked.CompareExchange(ref _state, 2, 0);
        Interlocked.CompareExchange(ref _state, 2, 1);
        _wake.Wake();
        if (_loop is not { } loop || loop.IsCompleted)
        {
            return;
        }

        using var giveUp = deadline.Register(static s => ((CancellationTokenSource)s!).Cancel(), _giveUp);
        await loop.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var deadline = new CancellationTokenSource(DisposeDeadline);
        await CompleteAsync(deadline.Token).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _giveUp.Dispose();
            _appendGate.Dispose();
        }
    }

    /// <summary>
    /// For containers disposed synchronously. Prefer <c>ShutdownSentinelAsync()</c> before disposing the provider:
    /// once the provider is disposed, queued events can no longer reach the store (they are logged as dropped).
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private Enqueue TryEnqueue(AuditEvent auditEvent)
    {
        if (Interlocked.Increment(ref _depth) > _options.QueueCapacity)
        {
            Interlocked.Decrement(ref _depth);
            return Enqueue.Full;
        }

        // Counted before the state is read: a completing loop that sees the count waits for this event, or this
        // writer sees the completion and stores the event directly (both sides use full fences).
        if (Volatile.Read(ref _state) == 2)
        {
            Interlocked.Decrement(ref _depth);
            return Enqueue.Completed;
        }

        _progress.Accept();
        _queue.Enqueue(auditEvent);
        if (_wake.IsSleeping)
        {
            _wake.Wake();
        }

        return Enqueue.Accepted;
    }

    private async ValueTask WaitForRoomAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        _metrics.AuditQueueFull();
        var deadline = _time.GetUtcNow() + _options.EnqueueTimeout;
        while (true)
        {
            var signal = _progress.NextFinish; // taken before trying, so no room made meanwhile is missed
            switch (TryEnqueue(auditEvent))
            {
                case Enqueue.Accepted:
                    return;
                case Enqueue.Completed:
                    await WriteLateAsync(auditEvent).ConfigureAwait(false);
                    return;
            }

            var remaining = deadline - _time.GetUtcNow();
            try
            {
                if (remaining <= TimeSpan.Zero)
                {
                    throw new TimeoutException();
                }

                await signal.WaitAsync(remaining, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                GiveUp(1, DropReason.QueueFull);
                return;
            }
        }
    }

    /// <summary>An event that arrives after <see cref="CompleteAsync"/>: stored directly, once.</summary>
    private async ValueTask WriteLateAsync(AuditEvent auditEvent)
    {
        _progress.Accept();
        try
        {
            await AppendAsync([auditEvent], CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            WriteFailed(_logger, e, 1, 1);
            _metrics.AuditDropped(1, "store_unavailable");
            EventsDropped(_logger, 1, DropReason.StoreUnavailable);
        }
        finally
        {
            _progress.Finish(1); // never in the queue, so not in its depth
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<AuditEvent>(_options.BatchSize);
        var yielded = false;
        while (true)
        {
            while (batch.Count < _options.BatchSize && _queue.TryDequeue(out var auditEvent))
            {
                batch.Add(auditEvent);
            }

            if (batch.Count == 0)
            {
                if (Volatile.Read(ref _state) != 2 && !yielded)
                {
                    // Let the other work on this core run once before sleeping: under load more events arrive
                    // meanwhile, so batches grow and writers rarely have to wake the loop.
                    yielded = true;
                    await Task.Yield();
                }
                else if (Volatile.Read(ref _state) != 2)
                {
                    yielded = false;
                    await _wake.SleepAsync(_hasWork).ConfigureAwait(false);
                }
                else if (Volatile.Read(ref _depth) == 0)
                {
                    return; // completing, and no writer is between counting an event and queueing it
                }
                else
                {
                    await Task.Yield(); // a writer is about to queue (or to give back its count)
                }

                continue;
            }

            yielded = false;
            if (await AppendWithRetryAsync(batch).ConfigureAwait(false))
            {
                Settle(batch.Count);
            }
            else
            {
                GiveUp(batch.Count, DropReason.StoreUnavailable);
            }

            batch.Clear();
        }
    }

    private async Task<bool> AppendWithRetryAsync(List<AuditEvent> batch)
    {
        var delay = _options.RetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await AppendAsync(batch, _giveUp.Token).ConfigureAwait(false);
                if (attempt > 2)
                {
                    StoreRecovered(_logger, attempt);
                }

                return true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _metrics.AuditWriteFailed();
                if (_giveUp.IsCancellationRequested || e is ObjectDisposedException)
                {
                    // Past the deadline, or the service provider is gone (it was disposed before CompleteAsync,
                    // see ShutdownSentinelAsync): retrying cannot help.
                    return false;
                }

                if (attempt == 1)
                {
                    // The likeliest cause is a stale head (another instance appended): re-read it and try at once.
                    continue;
                }

                if (attempt == 2 || attempt % 10 == 0)
                {
                    WriteFailed(_logger, e, batch.Count, attempt);
                }
            }

            try
            {
                await Task.Delay(delay, _time, _giveUp.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
        }
    }

    /// <summary>Chains <paramref name="events"/> onto the stored head and appends them, all or none.</summary>
    private async Task AppendAsync(List<AuditEvent> events, CancellationToken cancellationToken)
    {
        await _appendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var scope = _scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                var store = scope.ServiceProvider.GetRequiredService<IAuditStore>();
                var head = _head;
                if (head is null)
                {
                    head = await store.GetHeadAsync(cancellationToken).ConfigureAwait(false);
                    if (head.Id == events[^1].Id)
                    {
                        _head = head; // the failed attempt did commit: nothing to write again
                        return;
                    }
                }

                var entries = new AuditEntry[events.Count];
                var previous = head.Hash;
                for (var i = 0; i < events.Count; i++)
                {
                    entries[i] = AuditEntry.Link(events[i], head.Sequence + 1 + i, previous);
                    previous = entries[i].Hash;
                }

                _head = null; // unknown until the append is known to have committed
                await store.AppendAsync(entries, cancellationToken).ConfigureAwait(false);
                _head = new AuditChainHead(entries[^1].Sequence, entries[^1].Hash, entries[^1].Id);
                _metrics.AuditWritten(entries.Length);
            }
        }
        finally
        {
            _appendGate.Release();
        }
    }

    private void Settle(int count)
    {
        Interlocked.Add(ref _depth, -count);
        _progress.Finish(count);
    }

    private void GiveUp(int count, DropReason reason)
    {
        _metrics.AuditDropped(count, reason == DropReason.QueueFull ? "queue_full" : "store_unavailable");
        EventsDropped(_logger, count, reason);
        if (reason == DropReason.QueueFull)
        {
            return; // never entered the queue
        }

        Settle(count);
    }

    private enum Enqueue
    {
        Accepted,
        Full,
        Completed,
    }

    private enum DropReason
    {
        QueueFull,
        StoreUnavailable,
    }

    [LoggerMessage(1401, LogLevel.Warning, "Writing {Count} audit events failed (attempt {Attempt}); they stay queued and the write is retried.")]
    private static partial void WriteFailed(ILogger logger, Exception exception, int count, int attempt);

    [LoggerMessage(1402, LogLevel.Information, "The audit store accepted writes again after {Attempts} attempts; no queued event was lost.")]
    private static partial void StoreRecovered(ILogger logger, int attempts);

    [LoggerMessage(1403, LogLevel.Error, "Gave up {Count} audit events ({Reason}); they are not stored.")]
    private static partial void EventsDropped(ILogger logger, int count, DropReason reason);
}
