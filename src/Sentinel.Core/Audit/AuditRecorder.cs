using System.Collections.Frozen;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sentinel.Diagnostics;

namespace Sentinel.Audit;

/// <summary>
/// Builds audit events with id, time, client and trace filled in, so services state only what happened; counts
/// each on the <c>Sentinel</c> meter and logs it with a stable event id per type (3000 + its position in
/// <see cref="AuditEventTypes.All"/>, named after the type): refusals at Information, lockouts and refresh-token
/// reuse at Warning, successes at Debug. Only ids and closed-set reasons are logged (SECURITY A2).
/// </summary>
public sealed partial class AuditRecorder
{
    /// <summary>Longest string kept in an audit field; longer values are cut (they are data, never interpreted).</summary>
    public const int MaxFieldLength = 512;

    /// <summary>Most entries kept in an event's details; more are a bug in the caller and are cut.</summary>
    public const int MaxDetails = 16;

    private readonly IAuditLog _log;
    private readonly TimeProvider _time;
    private readonly SentinelMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IAuditObserver[] _observers;
    private readonly RefusalAggregator _refusals;

    /// <summary>The window refusals are aggregated over (<see cref="AuditOptions.RefusalWindow"/>).</summary>
    internal TimeSpan RefusalWindow { get; }

    /// <summary>Creates a recorder over <paramref name="log"/>; each of <paramref name="observers"/> sees every event as it is recorded (security notices are one).</summary>
    public AuditRecorder(
        IAuditLog log, TimeProvider time, SentinelMetrics metrics, ILogger<AuditRecorder>? logger = null, IEnumerable<IAuditObserver>? observers = null,
        Microsoft.Extensions.Options.IOptions<SentinelOptions>? options = null)
    {
        _log = log;
        _time = time;
        _metrics = metrics;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _observers = observers?.ToArray() ?? [];
        RefusalWindow = options?.Value.Audit.RefusalWindow ?? TimeSpan.FromMinutes(1);
        _refusals = new RefusalAggregator(time, RefusalWindow);
    }

    /// <summary>
    /// Records a refusal that anyone can cause without credentials (<c>apikey.rejected</c>, <c>rate_limit.exceeded</c>),
    /// aggregated per client network, reason and minute (SECURITY A5): the first of its minute is recorded now with
    /// <c>count</c> 1, the rest are counted (and on the meter at once) and written as one event with their
    /// <c>count</c> by <see cref="FlushRefusalsAsync"/>.
    /// </summary>
    public ValueTask RecordRefusalAsync(
        string type, string reason, Guid? userId, ClientInfo? client, Guid? apiKeyId = null, CancellationToken cancellationToken = default)
    {
        if (_refusals.CountFirst(type, reason, client, userId, apiKeyId))
        {
            return RecordAsync(type, AuditOutcome.Failure, userId, client, cancellationToken, reason, apiKeyId: apiKeyId, details: CountOne);
        }

        _metrics.SecurityEvent(type, AuditOutcome.Failure);
        return ValueTask.CompletedTask;
    }

    /// <summary>Writes the refusals counted in minutes already over (all of them when <paramref name="all"/>, at stop). Returns how many events were written.</summary>
    internal async Task<int> FlushRefusalsAsync(bool all, CancellationToken cancellationToken)
    {
        var due = _refusals.TakeDue(all);
        foreach (var refusal in due)
        {
            // Already counted on the meter one by one: write the event without counting it again.
            var auditEvent = Observe(Build(refusal.Type, AuditOutcome.Failure, refusal.UserId, refusal.Client, refusal.Reason, null, refusal.ApiKeyId,
                new Dictionary<string, string>(StringComparer.Ordinal) { ["count"] = refusal.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
            await _log.WriteAsync(auditEvent, cancellationToken).ConfigureAwait(false);
        }

        return due.Count;
    }

    private static readonly IReadOnlyDictionary<string, string> CountOne =
        new Dictionary<string, string>(StringComparer.Ordinal) { ["count"] = "1" }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>One precompiled log message per event type (what <c>[LoggerMessage]</c> generates, for a closed set of ids).</summary>
    private static readonly FrozenDictionary<string, Action<ILogger, AuditOutcome, Guid?, string?, Exception?>> LogByType =
        AuditEventTypes.All.Select((type, i) => (type, i)).ToFrozenDictionary(
            t => t.type,
            t => LoggerMessage.Define<AuditOutcome, Guid?, string?>(
                t.type is AuditEventTypes.LoginLockedOut or AuditEventTypes.TokenReuseDetected ? LogLevel.Warning
                    : t.type is AuditEventTypes.LoginFailed or AuditEventTypes.MfaFailed or AuditEventTypes.ApiKeyRejected or AuditEventTypes.RateLimitExceeded ? LogLevel.Information
                    : LogLevel.Debug,
                new EventId(3000 + t.i, t.type),
                "Security event " + t.type + ": {Outcome}, user {UserId}, reason {Reason}.",
                new LogDefineOptions { SkipEnabledCheck = false }),
            StringComparer.Ordinal);

    /// <summary>Records an event of <paramref name="type"/>.</summary>
    public ValueTask RecordAsync(
        string type,
        AuditOutcome outcome,
        Guid? userId,
        ClientInfo? client,
        CancellationToken cancellationToken,
        string? reason = null,
        Guid? sessionId = null,
        Guid? apiKeyId = null,
        IReadOnlyDictionary<string, string>? details = null)
    {
        var auditEvent = Observe(Build(type, outcome, userId, client, reason, sessionId, apiKeyId, details));
        _metrics.SecurityEvent(type, outcome);
        if (LogByType.TryGetValue(type, out var log))
        {
            log(_logger, outcome, userId, reason, null);
        }

        return _log.WriteAsync(auditEvent, cancellationToken);
    }

    private AuditEvent Build(
        string type, AuditOutcome outcome, Guid? userId, ClientInfo? client, string? reason, Guid? sessionId, Guid? apiKeyId,
        IReadOnlyDictionary<string, string>? details)
    {
        var now = _time.GetUtcNow();
        return new AuditEvent
        {
            Id = NewId(now),
            Timestamp = now,
            Type = type,
            Outcome = outcome,
            UserId = userId,
            SessionId = sessionId,
            ApiKeyId = apiKeyId,
            IpAddress = Limit(client?.IpAddress),
            UserAgent = Limit(client?.UserAgent),
            TraceId = Activity.Current?.TraceId.ToHexString(),
            Details = Details(reason, details),
        };
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> ReasonOnly = new(StringComparer.Ordinal);

    private static IReadOnlyDictionary<string, string> Details(string? reason, IReadOnlyDictionary<string, string>? details)
    {
        if (details is null)
        {
            // Reasons come from closed sets: share one read-only map per reason instead of allocating per event.
            return reason is null ? AuditEvent.NoDetails : ReasonOnly.GetOrAdd(reason, static r => new Dictionary<string, string>(StringComparer.Ordinal) { ["reason"] = r }.ToFrozenDictionary(StringComparer.Ordinal));
        }

        // The caller's entries, cut so that with Sentinel's own "reason" there are at most MaxDetails.
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in details.Take(MaxDetails - (reason is null ? 0 : 1)))
        {
            map[Limit(key)!] = Limit(value)!;
        }

        if (reason is not null)
        {
            map["reason"] = reason;
        }

        return map;
    }

    /// <summary>
    /// Shows the event to each observer and adds the entries they return. With those, there are still at most
    /// <see cref="MaxDetails"/>: the caller's last entries give way (never <c>reason</c> nor an observer's entry).
    /// </summary>
    private AuditEvent Observe(AuditEvent auditEvent)
    {
        List<KeyValuePair<string, string>>? added = null;
        foreach (var observer in _observers)
        {
            try
            {
                if (observer.OnRecording(auditEvent) is { } entry)
                {
                    (added ??= []).Add(new KeyValuePair<string, string>(Limit(entry.Key)!, Limit(entry.Value)!));
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                ObserverFailed(_logger, e, observer.GetType().Name, auditEvent.Type);
            }
        }

        if (added is null)
        {
            return auditEvent;
        }

        var own = auditEvent.Details.Where(d => !added.Exists(a => a.Key == d.Key)).ToList();
        for (var i = own.Count - 1; i >= 0 && own.Count + added.Count > MaxDetails; i--)
        {
            if (own[i].Key != "reason")
            {
                own.RemoveAt(i);
            }
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in own.Concat(added).Take(MaxDetails))
        {
            map[key] = value;
        }

        return auditEvent with { Details = map };
    }

    [LoggerMessage(1415, LogLevel.Warning, "An audit observer ({Observer}) failed on a {Type} event; the event is recorded without it.")]
    private static partial void ObserverFailed(ILogger logger, Exception exception, string observer, string type);

    /// <summary>
    /// A version 7 GUID (RFC 9562: 48-bit Unix milliseconds, then random bits). The random part comes from
    /// <see cref="Random.Shared"/>, not the OS: an event id must be unique, not secret, and the OS source that
    /// <see cref="Guid.CreateVersion7(DateTimeOffset)"/> uses costs a system call (about 0.5 µs here) on every event.
    /// </summary>
    internal static Guid NewId(DateTimeOffset timestamp)
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes[6..]);
        var milliseconds = timestamp.ToUnixTimeMilliseconds();
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes[..8], (milliseconds << 16) | System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(bytes[6..8]));
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F)); // version 7
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>
    /// Cuts a client-supplied string to <see cref="MaxFieldLength"/> and replaces NUL and unpaired surrogates (which
    /// PostgreSQL text and strict UTF-8 refuse) with U+FFFD; otherwise it is stored as data, never interpreted.
    /// </summary>
    internal static string? Limit(string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length > MaxFieldLength)
        {
            value = value[..MaxFieldLength];
        }

        if (value.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0 && !value.Contains('\0', StringComparison.Ordinal))
        {
            return value; // the common case, checked with vector instructions
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0' || (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))))
            {
                return Clean(value);
            }

            if (char.IsHighSurrogate(c))
            {
                i++;
            }
        }

        return value;
    }

    private static string Clean(string value)
    {
        var chars = value.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (chars[i] == '\0' || char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }
}
