using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Sentinel.Audit;

/// <summary>
/// An <see cref="AuditEvent"/> as stored: numbered in write order and chained, so that an edit or a deletion
/// breaks the chain at that point (SECURITY A3). <see cref="Hash"/> is SHA-256 over <see cref="PreviousHash"/> and
/// the event's canonical bytes.
/// </summary>
public sealed record AuditEntry
{
    /// <summary>Position in the chain: 1 for the first event ever written, one more for each next event.</summary>
    public required long Sequence { get; init; }

    /// <inheritdoc cref="AuditEvent.Id"/>
    public required Guid Id { get; init; }

    /// <inheritdoc cref="AuditEvent.Timestamp"/>
    public required DateTimeOffset Timestamp { get; init; }

    /// <inheritdoc cref="AuditEvent.Type"/>
    public required string Type { get; init; }

    /// <inheritdoc cref="AuditEvent.Outcome"/>
    public required AuditOutcome Outcome { get; init; }

    /// <inheritdoc cref="AuditEvent.UserId"/>
    public Guid? UserId { get; init; }

    /// <inheritdoc cref="AuditEvent.ApiKeyId"/>
    public Guid? ApiKeyId { get; init; }

    /// <inheritdoc cref="AuditEvent.SessionId"/>
    public Guid? SessionId { get; init; }

    /// <inheritdoc cref="AuditEvent.IpAddress"/>
    public string? IpAddress { get; init; }

    /// <inheritdoc cref="AuditEvent.UserAgent"/>
    public string? UserAgent { get; init; }

    /// <inheritdoc cref="AuditEvent.TraceId"/>
    public string? TraceId { get; init; }

    /// <inheritdoc cref="AuditEvent.Details"/>
    public IReadOnlyDictionary<string, string> Details { get; init; } = AuditEvent.NoDetails;

    /// <summary>The hash of the entry before this one (the anchor's, or 32 zero bytes for the first entry).</summary>
    public required byte[] PreviousHash { get; init; }

    /// <summary>SHA-256 of <see cref="PreviousHash"/> followed by this entry's canonical bytes.</summary>
    public required byte[] Hash { get; init; }

    /// <summary>The hash that precedes the first entry of a chain that was never pruned.</summary>
    public static ReadOnlySpan<byte> GenesisHash => new byte[32];

    /// <summary>Numbers <paramref name="auditEvent"/> as <paramref name="sequence"/> and chains it to <paramref name="previousHash"/>.</summary>
    public static AuditEntry Link(AuditEvent auditEvent, long sequence, byte[] previousHash)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        ArgumentNullException.ThrowIfNull(previousHash);
        var entry = new AuditEntry
        {
            Sequence = sequence,
            Id = auditEvent.Id,
            Timestamp = auditEvent.Timestamp,
            Type = auditEvent.Type,
            Outcome = auditEvent.Outcome,
            UserId = auditEvent.UserId,
            ApiKeyId = auditEvent.ApiKeyId,
            SessionId = auditEvent.SessionId,
            IpAddress = auditEvent.IpAddress,
            UserAgent = auditEvent.UserAgent,
            TraceId = auditEvent.TraceId,
            Details = auditEvent.Details,
            PreviousHash = previousHash,
            Hash = [],
        };
        return entry with { Hash = entry.ComputeHash() };
    }

    /// <summary>The event this entry stores.</summary>
    public AuditEvent ToEvent() => new()
    {
        Id = Id, Timestamp = Timestamp, Type = Type, Outcome = Outcome, UserId = UserId, ApiKeyId = ApiKeyId,
        SessionId = SessionId, IpAddress = IpAddress, UserAgent = UserAgent, TraceId = TraceId, Details = Details,
    };

    /// <summary>
    /// Recomputes the hash from the stored fields: SHA-256 of the previous hash, then each field in a fixed order,
    /// strings length-prefixed in UTF-8, absent values marked, details sorted by key. Any edit changes it.
    /// </summary>
    public byte[] ComputeHash()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(PreviousHash);
        Span<byte> buffer = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(buffer, Sequence);
        sha.AppendData(buffer[..8]);
        AppendGuid(sha, Id, buffer);
        BinaryPrimitives.WriteInt64BigEndian(buffer, Timestamp.UtcTicks);
        sha.AppendData(buffer[..8]);
        AppendString(sha, Type);
        buffer[0] = (byte)Outcome;
        sha.AppendData(buffer[..1]);
        AppendGuid(sha, UserId, buffer);
        AppendGuid(sha, ApiKeyId, buffer);
        AppendGuid(sha, SessionId, buffer);
        AppendString(sha, IpAddress);
        AppendString(sha, UserAgent);
        AppendString(sha, TraceId);
        BinaryPrimitives.WriteInt32BigEndian(buffer, Details.Count);
        sha.AppendData(buffer[..4]);
        foreach (var (key, value) in Details.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            AppendString(sha, key);
            AppendString(sha, value);
        }

        return sha.GetHashAndReset();
    }

    private static void AppendGuid(IncrementalHash sha, Guid? value, Span<byte> buffer)
    {
        buffer[0] = value.HasValue ? (byte)1 : (byte)0;
        sha.AppendData(buffer[..1]);
        if (value.HasValue)
        {
            value.Value.TryWriteBytes(buffer, bigEndian: true, out _);
            sha.AppendData(buffer);
        }
    }

    private static void AppendString(IncrementalHash sha, string? value)
    {
        Span<byte> length = stackalloc byte[5];
        if (value is null)
        {
            length[0] = 0;
            sha.AppendData(length[..1]);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        length[0] = 1;
        BinaryPrimitives.WriteInt32BigEndian(length[1..], bytes.Length);
        sha.AppendData(length);
        sha.AppendData(bytes);
    }
}
