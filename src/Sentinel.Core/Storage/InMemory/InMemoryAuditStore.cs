using Sentinel.Audit;

namespace Sentinel.Storage.InMemory;

/// <summary>The audit chain in process memory: for tests, demos and single-process prototypes. Lost on restart.</summary>
public sealed class InMemoryAuditStore : IAuditStore
{
    private readonly Lock _gate = new();
    private readonly List<AuditEntry> _entries = []; // ascending by sequence
    private AuditAnchor? _anchor;

    /// <inheritdoc />
    public ValueTask<AuditChainHead> GetHeadAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_entries.Count > 0
                ? new AuditChainHead(_entries[^1].Sequence, _entries[^1].Hash, _entries[^1].Id)
                : _anchor is { } anchor ? new AuditChainHead(anchor.Sequence, anchor.Hash, null) : new AuditChainHead(0, AuditEntry.GenesisHash.ToArray(), null));
        }
    }

    /// <inheritdoc />
    public ValueTask AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        lock (_gate)
        {
            var last = _entries.Count > 0 ? _entries[^1].Sequence : _anchor?.Sequence ?? 0;
            for (var i = 0; i < entries.Count; i++)
            {
                if (entries[i].Sequence != last + 1 + i)
                {
                    throw new InvalidOperationException($"Audit sequence {entries[i].Sequence} is taken or out of order; the chain ends at {last}.");
                }
            }

            _entries.AddRange(entries);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_gate)
        {
            IReadOnlyList<AuditEntry> page = [.. Enumerable.Reverse(_entries)
                .Where(e => query.BeforeSequence is not { } before || e.Sequence < before)
                .Where(e => query.UserId is not { } user || e.UserId == user)
                .Where(e => query.Type is not { } type || string.Equals(e.Type, type, StringComparison.Ordinal))
                .Where(e => query.Outcome is not { } outcome || e.Outcome == outcome)
                .Where(e => query.From is not { } from || e.Timestamp >= from)
                .Where(e => query.To is not { } to || e.Timestamp < to)
                .Take(query.Limit)];
            return ValueTask.FromResult(page);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AuditEntry>> ReadChainAsync(long afterSequence, int count, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<AuditEntry> page = [.. _entries.Where(e => e.Sequence > afterSequence).Take(count)];
            return ValueTask.FromResult(page);
        }
    }

    /// <inheritdoc />
    public ValueTask<AuditAnchor?> GetAnchorAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_anchor);
        }
    }

    /// <inheritdoc />
    public ValueTask<int> PruneAsync(long throughSequence, AuditAnchor anchor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        lock (_gate)
        {
            var removed = _entries.RemoveAll(e => e.Sequence <= throughSequence);
            _anchor = anchor;
            return ValueTask.FromResult(removed);
        }
    }

    /// <inheritdoc />
    public ValueTask<AuditEntry?> FindNewestBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_entries.LastOrDefault(e => e.Timestamp < before));
        }
    }

    /// <summary>Replaces a stored entry as an attacker with database access would (tests of SECURITY A3 only).</summary>
    internal void Tamper(long sequence, Func<AuditEntry, AuditEntry?> change)
    {
        lock (_gate)
        {
            var index = _entries.FindIndex(e => e.Sequence == sequence);
            if (change(_entries[index]) is { } changed)
            {
                _entries[index] = changed;
            }
            else
            {
                _entries.RemoveAt(index);
            }
        }
    }
}
