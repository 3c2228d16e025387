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
        var e = auditEvent;
        return new AuditEntry
        {
            Sequence = sequence,
            Id = e.Id,
            Timestamp = e.Timestamp,
            Type = e.Type,
            Outcome = e.Outcome,
            UserId = e.UserId,
            ApiKeyId = e.ApiKeyId,
            SessionId = e.SessionId,
            IpAddress = e.IpAddress,
            UserAgent = e.UserAgent,
            TraceId = e.TraceId,
            Details = e.Details,
            PreviousHash = previousHash,
            Hash = HashOf(previousHash, sequence, e.Id, e.Timestamp, e.Type, e.Outcome, e.UserId, e.ApiKeyId, e.SessionId, e.IpAddress, e.UserAgent, e.TraceId, e.Details),
        };
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
    public byte[] ComputeHash() =>
        HashOf(PreviousHash, Sequence, Id, Timestamp, Type, Outcome, UserId, ApiKeyId, SessionId, IpAddress, UserAgent, TraceId, Details);

    [ThreadStatic]
    private static byte[]? t_buffer;

    private static byte[] HashOf(
        byte[] previousHash, long sequence, Guid id, DateTimeOffset timestamp, string type, AuditOutcome outcome,
        Guid? userId, Guid? apiKeyId, Guid? sessionId, string? ipAddress, string? userAgent, string? traceId,
        IReadOnlyDictionary<string, string> details)
    {
        // The canonical bytes go into one reused per-thread buffer and are hashed in one call: no allocation but the hash.
        var writer = new CanonicalWriter(t_buffer ??= new byte[4096]);
        writer.Bytes(previousHash);
        writer.Int64(sequence);
        writer.Guid(id);
        writer.Int64(timestamp.UtcTicks);
        writer.String(type);
        writer.Byte((byte)outcome);
        writer.Guid(userId);
        writer.Guid(apiKeyId);
        writer.Guid(sessionId);
        writer.String(ipAddress);
        writer.String(userAgent);
        writer.String(traceId);
        writer.Int32(details.Count);
        if (details.Count == 1)
        {
            var (key, value) = details.First();
            writer.String(key);
            writer.String(value);
        }
        else if (details.Count > 1)
        {
            foreach (var (key, value) in details.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                writer.String(key);
                writer.String(value);
            }
        }

        var hash = SHA256.HashData(writer.Written);
        t_buffer = writer.Buffer; // keep a grown buffer for next time
        return hash;
    }

    /// <summary>Appends the canonical encoding, growing its buffer when a field does not fit.</summary>
    private ref struct CanonicalWriter(byte[] buffer)
    {
        private int _length;

        public byte[] Buffer { get; private set; } = buffer;

        public readonly ReadOnlySpan<byte> Written => Buffer.AsSpan(0, _length);

        public void Bytes(ReadOnlySpan<byte> value) => value.CopyTo(Take(value.Length));

        public void Byte(byte value) => Take(1)[0] = value;

        public void Int32(int value) => BinaryPrimitives.WriteInt32BigEndian(Take(4), value);

        public void Int64(long value) => BinaryPrimitives.WriteInt64BigEndian(Take(8), value);

        public void Guid(Guid? value)
        {
            Byte(value.HasValue ? (byte)1 : (byte)0);
            if (value.HasValue)
            {
                value.Value.TryWriteBytes(Take(16), bigEndian: true, out _);
            }
        }

        public void String(string? value)
        {
            if (value is null)
            {
                Byte(0);
                return;
            }

            Byte(1);
            var length = Encoding.UTF8.GetByteCount(value);
            Int32(length);
            Encoding.UTF8.GetBytes(value, Take(length));
        }

        private Span<byte> Take(int count)
        {
            if (_length + count > Buffer.Length)
            {
                var grown = new byte[Math.Max(Buffer.Length * 2, _length + count)];
                Buffer.AsSpan(0, _length).CopyTo(grown);
                Buffer = grown;
            }

            var span = Buffer.AsSpan(_length, count);
            _length += count;
            return span;
        }
    }
}
