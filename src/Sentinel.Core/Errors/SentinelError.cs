namespace Sentinel;

/// <summary>An expected failure: a closed code, a human-readable message, and optional details.</summary>
/// <param name="Code">The closed error code.</param>
/// <param name="Message">A message safe to show a user; it never holds a secret.</param>
public sealed record SentinelError(SentinelErrorCode Code, string Message)
{
    /// <summary>Per-field validation messages (field name to reasons), for <see cref="SentinelErrorCode.ValidationFailed"/>.</summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    /// <summary>How long the caller should wait before retrying, for lockouts and rate limits.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>A validation failure with one or more field errors.</summary>
    public static SentinelError Validation(IReadOnlyDictionary<string, string[]> errors) =>
        new(SentinelErrorCode.ValidationFailed, "One or more fields are not valid.") { Errors = errors };

    /// <summary>A validation failure on a single field.</summary>
    public static SentinelError Validation(string field, params string[] reasons) =>
        Validation(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = reasons });
}
