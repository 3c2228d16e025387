using System.Buffers.Binary;
using System.Buffers.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sentinel.Audit;

/// <summary>Reads the audit chain: queries with keyset pagination, verification from the anchor, retention pruning.</summary>
public sealed partial class AuditService
{
    private const int VerifyPageSize = 1000;
    private static readonly TimeSpan ReadYourWritesWait = TimeSpan.FromSeconds(2);

    private readonly IAuditStore _store;
    private readonly IAuditLog _log;
    private readonly AuditOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the service.</summary>
    public AuditService(IAuditStore store, IAuditLog log, IOptions<SentinelOptions> options, TimeProvider time, ILogger<AuditService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _log = log;
        _options = options.Value.Audit;
        _time = time;
        _logger = logger ?? (ILogger)Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>
    /// One page of events matching <paramref name="filter"/>, newest first. <paramref name="cursor"/> is the
    /// <see cref="AuditPage.NextCursor"/> of the previous page; <paramref name="limit"/> is 1 to 500 (default 50).
    /// Events recorded just before the call are included: the queue is flushed first (briefly).
    /// </summary>
    public async ValueTask<SentinelResult<AuditPage>> QueryAsync(AuditQuery filter, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var size = limit ?? _options.DefaultPageSize;
        if (size is < 1 or > AuditOptions.MaxPageSize)
        {
            errors["limit"] = [$"Must be between 1 and {AuditOptions.MaxPageSize}."];
        }

        long? before = null;
        if (cursor is not null)
        {
            if (TryDecodeCursor(cursor, out var sequence))
            {
                before = sequence;
            }
            else
            {
                errors["cursor"] = ["Is not a cursor this API returned."];
            }
        }

        if (filter.Type is { } type && !AuditEventTypes.All.Contains(type, StringComparer.Ordinal))
        {
            errors["type"] = ["Is not an audit event type."];
        }

        if (filter is { From: { } from, To: { } to } && from > to)
        {
            errors["from"] = ["Must not be after 'to'."];
        }

        if (errors.Count > 0)
        {
            return SentinelResult.Failure<AuditPage>(SentinelError.Validation(errors));
        }

        await FlushBrieflyAsync(cancellationToken).ConfigureAwait(false);
        var rows = await _store.QueryAsync(filter with { BeforeSequence = before, Limit = size + 1 }, cancellationToken).ConfigureAwait(false);
        var items = rows.Count > size ? rows.Take(size).ToArray() : [.. rows];
        var next = rows.Count > size ? EncodeCursor(items[^1].Sequence) : null;
        return SentinelResult.Success(new AuditPage(items, next));
    }

    /// <summary>
    /// Walks the chain from its anchor to the newest entry and reports the first entry whose sequence, link to the
    /// previous hash, or own hash does not match (SECURITY A3).
    /// </summary>
    public ValueTask<AuditVerification> VerifyAsync(CancellationToken cancellationToken) => VerifyAsync(null, cancellationToken);

    /// <summary>
    /// The chain's newest entry (its sequence and hash; the anchor's, or the genesis, when there is none). The hash
    /// holds no secret. Kept where the database's writers cannot change it (the host logs it as event 1413), it lets
    /// <see cref="VerifyAsync(AuditChainHead?, CancellationToken)"/> catch what the chain alone cannot: deleted newest
    /// events, and an edit whose author recomputed every later hash.
    /// </summary>
    public async ValueTask<AuditChainHead> GetHeadAsync(CancellationToken cancellationToken)
    {
        await FlushBrieflyAsync(cancellationToken).ConfigureAwait(false);
        return await _store.GetHeadAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// As <see cref="VerifyAsync(CancellationToken)"/>, and checks that the chain still holds <paramref name="witness"/>,
    /// a head read earlier with <see cref="GetHeadAsync"/>: the entry at its sequence must exist and keep its hash.
    /// When the entry was deleted (the chain now ends before it), the result is invalid with no
    /// <see cref="AuditVerification.FirstInvalidId"/>; when its hash changed, the entry is named. A witness that
    /// retention has already pruned cannot be checked and is passed.
    /// </summary>
    public async ValueTask<AuditVerification> VerifyAsync(AuditChainHead? witness, CancellationToken cancellationToken)
    {
        await FlushBrieflyAsync(cancellationToken).ConfigureAwait(false);
        var anchor = await _store.GetAnchorAsync(cancellationToken).ConfigureAwait(false);
        var sequence = anchor?.Sequence ?? 0;
        var previous = anchor?.Hash ?? AuditEntry.GenesisHash.ToArray();
        long checkedCount = 0;
        while (true)
        {
            var page = await _store.ReadChainAsync(sequence, VerifyPageSize, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page)
            {
                checkedCount++;
                if (entry.Sequence != sequence + 1 || !entry.PreviousHash.AsSpan().SequenceEqual(previous) || !entry.ComputeHash().AsSpan().SequenceEqual(entry.Hash)
                    || (entry.Sequence == witness?.Sequence && !entry.Hash.AsSpan().SequenceEqual(witness.Hash)))
                {
                    ChainBroken(_logger, entry.Id, entry.Sequence);
                    return new AuditVerification(false, checkedCount, entry.Id);
                }

                sequence = entry.Sequence;
                previous = entry.Hash;
            }

            if (page.Count < VerifyPageSize)
            {
                if (witness is not null && sequence < witness.Sequence)
                {
                    ChainTruncated(_logger, sequence, witness.Sequence);
                    return new AuditVerification(false, checkedCount, null);
                }

                return new AuditVerification(true, checkedCount, null);
            }
        }
    }

    /// <summary>
    /// Deletes events older than <see cref="AuditOptions.Retention"/> and moves the anchor to the last deleted
    /// one, so the remaining chain still verifies. Returns how many were deleted (0 when retention is off).
    /// </summary>
    public async ValueTask<int> PruneAsync(CancellationToken cancellationToken)
    {
        if (_options.Retention is not { } retention)
        {
            return 0;
        }

        var now = _time.GetUtcNow();
        var last = await _store.FindNewestBeforeAsync(now - retention, cancellationToken).ConfigureAwait(false);
        if (last is null)
        {
            return 0;
        }

        var deleted = await _store.PruneAsync(last.Sequence, new AuditAnchor { Sequence = last.Sequence, Hash = last.Hash, PrunedAt = now }, cancellationToken).ConfigureAwait(false);
        Pruned(_logger, deleted, last.Sequence);
        return deleted;
    }

    private async ValueTask FlushBrieflyAsync(CancellationToken cancellationToken)
    {
        // Read-your-writes for "what did I just do", bounded so that a store outage cannot hang a read.
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(ReadYourWritesWait);
        try
        {
            await _log.FlushAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Cursors are opaque: a version byte and the sequence to continue below, base64url.</summary>
    internal static string EncodeCursor(long sequence)
    {
        Span<byte> bytes = stackalloc byte[9];
        bytes[0] = 1;
        BinaryPrimitives.WriteInt64BigEndian(bytes[1..], sequence);
        return Base64Url.EncodeToString(bytes);
    }

    internal static bool TryDecodeCursor(string cursor, out long sequence)
    {
        sequence = 0;
        Span<byte> bytes = stackalloc byte[12];
        if (cursor.Length != 12 || !Base64Url.TryDecodeFromChars(cursor, bytes, out var written) || written != 9 || bytes[0] != 1)
        {
            return false;
        }

        sequence = BinaryPrimitives.ReadInt64BigEndian(bytes[1..]);
        return sequence > 0;
    }

    [LoggerMessage(1411, LogLevel.Error, "Audit chain verification failed at event {EventId} (sequence {Sequence}): it was edited, or an event before it was deleted.")]
    private static partial void ChainBroken(ILogger logger, Guid eventId, long sequence);

    [LoggerMessage(1414, LogLevel.Error, "Audit chain verification failed: the chain ends at sequence {Sequence}, before the recorded head {WitnessSequence}; newer events were deleted.")]
    private static partial void ChainTruncated(ILogger logger, long sequence, long witnessSequence);

    [LoggerMessage(1412, LogLevel.Information, "Pruned {Count} audit events past retention; the chain's anchor is now sequence {Sequence}.")]
    private static partial void Pruned(ILogger logger, int count, long sequence);
}

/// <summary>A page of audit entries, newest first.</summary>
/// <param name="Items">The entries.</param>
/// <param name="NextCursor">Pass it back to read the next (older) page; <c>null</c> on the last page.</param>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, string? NextCursor);

/// <summary>The result of walking the chain.</summary>
/// <param name="Valid">Whether every entry from the anchor to the newest matched.</param>
/// <param name="Checked">How many entries were checked (up to and including the first invalid one).</param>
/// <param name="FirstInvalidId">The id of the first entry that did not match, when one did not.</param>
public sealed record AuditVerification(bool Valid, long Checked, Guid? FirstInvalidId);
