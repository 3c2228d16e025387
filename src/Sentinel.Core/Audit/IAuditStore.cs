namespace Sentinel.Audit;

/// <summary>
/// Where the audit chain is kept. Only <see cref="AuditWriter"/> appends; everything else reads. Calls may come
/// from several instances: <see cref="AppendAsync"/> must refuse a sequence number that is already taken.
/// </summary>
public interface IAuditStore
{
    /// <summary>
    /// The newest entry's sequence, hash and id; when the store holds no entry, the anchor's; when it was never
    /// pruned either, sequence 0 and <see cref="AuditEntry.GenesisHash"/>.
    /// </summary>
    ValueTask<AuditChainHead> GetHeadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="entries"/> (consecutive sequence numbers, already chained) all or none. Throws when
    /// a sequence number or an id is already stored, so two writers can never fork the chain.
    /// </summary>
    ValueTask AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken);

    /// <summary>Entries matching <paramref name="query"/>, newest (highest sequence) first, at most <see cref="AuditQuery.Limit"/>.</summary>
    ValueTask<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery query, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="count"/> entries with a sequence above <paramref name="afterSequence"/>, oldest first (for verification).</summary>
    ValueTask<IReadOnlyList<AuditEntry>> ReadChainAsync(long afterSequence, int count, CancellationToken cancellationToken);

    /// <summary>Where verification starts: the last pruned entry's sequence and hash, or <c>null</c> if nothing was ever pruned.</summary>
    ValueTask<AuditAnchor?> GetAnchorAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the entries up to and including sequence <paramref name="throughSequence"/> and, in the same
    /// transaction, records that entry as the anchor (<paramref name="anchor"/>). Returns how many were deleted.
    /// </summary>
    ValueTask<int> PruneAsync(long throughSequence, AuditAnchor anchor, CancellationToken cancellationToken);

    /// <summary>The highest sequence among entries older than <paramref name="before"/>, or <c>null</c> when there is none.</summary>
    ValueTask<AuditEntry?> FindNewestBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken);
}

/// <summary>The end of the chain that the next entry links to.</summary>
/// <param name="Sequence">The newest sequence number (0 before the first entry).</param>
/// <param name="Hash">That entry's hash.</param>
/// <param name="Id">That entry's event id; <c>null</c> when the head is the anchor or the genesis.</param>
public sealed record AuditChainHead(long Sequence, byte[] Hash, Guid? Id);

/// <summary>The last pruned entry: verification starts after it and checks the next entry links to its hash.</summary>
public sealed class AuditAnchor
{
    /// <summary>The last pruned entry's sequence number.</summary>
    public required long Sequence { get; init; }

    /// <summary>The last pruned entry's hash.</summary>
    public required byte[] Hash { get; init; }

    /// <summary>When the prune ran.</summary>
    public required DateTimeOffset PrunedAt { get; init; }
}

/// <summary>Filters for <see cref="IAuditStore.QueryAsync"/>; every filter is optional and they combine with AND.</summary>
public sealed record AuditQuery
{
    /// <summary>Only this user's events.</summary>
    public Guid? UserId { get; init; }

    /// <summary>Only events of this type (one of <see cref="AuditEventTypes"/>).</summary>
    public string? Type { get; init; }

    /// <summary>Only events with this outcome.</summary>
    public AuditOutcome? Outcome { get; init; }

    /// <summary>Only events at or after this instant.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only events before this instant.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Keyset cursor: only entries with a sequence below this one.</summary>
    public long? BeforeSequence { get; init; }

    /// <summary>The most entries to return.</summary>
    public int Limit { get; init; } = 50;
}
