using System.Globalization;
using Microsoft.Extensions.Options;
using Sentinel.Audit;

namespace Sentinel.ApiKeys;

/// <summary>
/// API keys for service-to-service calls: create (the key is returned once), list, revoke, rotate with a grace
/// period, and verify: a malformed key is refused before any lookup, a known key is served from memory, every
/// key has a token-bucket rate limit, and use is recorded in batches (SECURITY K1–K4).
/// </summary>
public sealed class ApiKeyService
{
    private const int MaxNameLength = 100;

    private readonly IApiKeyStore _store;
    private readonly ApiKeyCache _cache;
    private readonly AuditRecorder _audit;
    private readonly ApiKeyOptions _options;
    private readonly TimeProvider _time;
    private readonly ApiKeyVerifier _verifier;

    /// <summary>Creates the service; normally resolved from DI.</summary>
    internal ApiKeyService(
        IApiKeyStore store, ApiKeyCache cache, AuditRecorder audit, IOptions<SentinelOptions> options, TimeProvider time, ApiKeyVerifier? verifier = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _cache = cache;
        _audit = audit;
        _options = options.Value.ApiKeys;
        _time = time;
        _verifier = verifier ?? new ApiKeyVerifier(cache, audit, options, time); // DI passes the singleton, with shared limits and metrics
    }

    /// <summary>
    /// Creates a key for <paramref name="userId"/>. Fails with <see cref="SentinelErrorCode.ValidationFailed"/> for
    /// an empty name, an undeclared scope (SECURITY K3) or an expiry in the past. <paramref name="rateLimitPermits"/>
    /// overrides <see cref="ApiKeyOptions.RateLimitPermits"/> for this key.
    /// </summary>
    public async Task<SentinelResult<CreatedApiKey>> CreateAsync(
        Guid userId,
        string? name,
        IReadOnlyList<string>? scopes,
        DateTimeOffset? expiresAt,
        ClientInfo? client = null,
        int? rateLimitPermits = null,
        CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        name = name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            errors["name"] = [$"A name is 1 to {MaxNameLength} characters without control characters."];
        }

        scopes ??= [];
        if (scopes.Count == 0)
        {
            // SECURITY K5: a key authenticates only where a scope is asked for, so a key without one opens nothing.
            errors["scopes"] = ["A key needs at least one scope."];
        }

        var unknown = scopes.Where(s => s is null || !_options.Scopes.Contains(s)).ToList();
        if (unknown.Count > 0)
        {
            errors["scopes"] = [$"Unknown scope(s): {string.Join(", ", unknown.Select(u => u ?? "null"))}. Declared: {string.Join(", ", _options.Scopes.All.Keys)}."];
        }

        if (expiresAt is { } expiry && expiry <= now)
        {
            errors["expiresAt"] = ["The expiry must be in the future."];
        }

        if (rateLimitPermits is < 0)
        {
            errors["rateLimitPermits"] = ["Must be 0 (no limit) or more."];
        }

        if (errors.Count > 0)
        {
            return SentinelError.Validation(errors);
        }

        if (await AtCapAsync(userId, now, cancellationToken).ConfigureAwait(false) is { } full)
        {
            return full;
        }

        var created = await IssueAsync(userId, name!, scopes.Distinct(StringComparer.Ordinal).ToList(), expiresAt, rateLimitPermits, now, cancellationToken).ConfigureAwait(false);
        await _audit.RecordAsync(AuditEventTypes.ApiKeyCreated, AuditOutcome.Success, userId, client, cancellationToken, apiKeyId: created.Record.Id).ConfigureAwait(false);
        return SentinelResult.Success(created);
    }

    /// <summary>The user's keys, newest first; never a secret.</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(Guid userId, CancellationToken cancellationToken = default) =>
        await _store.ListByUserAsync(userId, cancellationToken).ConfigureAwait(false);

    /// <summary>Revokes one of the user's keys; it stops working at once (SECURITY K4).</summary>
    public async Task<SentinelResult> RevokeAsync(Guid userId, Guid keyId, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var key = await _store.FindByIdAsync(keyId, cancellationToken).ConfigureAwait(false);
        if (key is null || key.UserId != userId)
        {
            return SentinelResult.Failure(NotFound());
        }

        await _store.RevokeAsync(keyId, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        _cache.Evict(key.Id, key.Hash);
        await _audit.RecordAsync(AuditEventTypes.ApiKeyRevoked, AuditOutcome.Success, userId, client, cancellationToken, apiKeyId: keyId).ConfigureAwait(false);
        return SentinelResult.Success();
    }

    /// <summary>
    /// Revokes every active key of a user (when the account is disabled): each stops working at once and is audited
    /// as <c>apikey.revoked</c> with <paramref name="reason"/>. Returns how many were revoked.
    /// </summary>
    internal async Task<int> RevokeAllAsync(Guid userId, string reason, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var revoked = 0;
        foreach (var key in await _store.ListByUserAsync(userId, cancellationToken).ConfigureAwait(false))
        {
            if (key.RevokedAt is not null || key.ExpiresAt <= now)
            {
                continue;
            }

            await _store.RevokeAsync(key.Id, now, cancellationToken).ConfigureAwait(false);
            _cache.Evict(key.Id, key.Hash);
            await _audit.RecordAsync(AuditEventTypes.ApiKeyRevoked, AuditOutcome.Success, userId, null, cancellationToken, reason, apiKeyId: key.Id).ConfigureAwait(false);
            revoked++;
        }

        return revoked;
    }

    /// <summary>
    /// Replaces a key with a new one (same name, scopes and expiry); the old one keeps working for
    /// <see cref="ApiKeyOptions.RotationGracePeriod"/>, then stops.
    /// </summary>
    public async Task<SentinelResult<CreatedApiKey>> RotateAsync(Guid userId, Guid keyId, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var old = await _store.FindByIdAsync(keyId, cancellationToken).ConfigureAwait(false);
        // A replaced key is working out its grace period: rotating it again would chain live keys without end.
        if (old is null || old.UserId != userId || old.RevokedAt is not null || old.ExpiresAt <= now)
        {
            return NotFound();
        }

        if (old.ReplacedAt is not null)
        {
            return new SentinelError(SentinelErrorCode.NotFound, "This key was already rotated; rotate the key that replaced it.");
        }

        // The old key lives on through its grace period, so the new one must fit under the cap beside it (SECURITY K5).
        if (_options.RotationGracePeriod > TimeSpan.Zero && await AtCapAsync(userId, now, cancellationToken).ConfigureAwait(false) is { } full)
        {
            return full;
        }

        // Claim the old key first: of two rotations at once, one wins and the other issues nothing.
        var claimed = _options.RotationGracePeriod <= TimeSpan.Zero
            ? await _store.RevokeAsync(old.Id, now, cancellationToken).ConfigureAwait(false)
            : await _store.TryReplaceAsync(old.Id, now, now + _options.RotationGracePeriod, cancellationToken).ConfigureAwait(false);
        if (!claimed)
        {
            return NotFound();
        }

        var created = await IssueAsync(userId, old.Name, old.Scopes, old.ExpiresAt, old.RateLimitPermits, now, cancellationToken).ConfigureAwait(false);

        _cache.Evict(old.Id, old.Hash);
        await _audit.RecordAsync(AuditEventTypes.ApiKeyRotated, AuditOutcome.Success, userId, client, cancellationToken, apiKeyId: old.Id,
            details: new Dictionary<string, string> { ["newKeyId"] = created.Record.Id.ToString() }).ConfigureAwait(false);
        return SentinelResult.Success(created);
    }

    /// <summary>
    /// Verifies a presented key. Malformed keys (bad shape or checksum) are refused without a store lookup
    /// (SECURITY K2); a key seen before is checked from memory, still for revocation, expiry and its rate limit.
    /// </summary>
    public ValueTask<ApiKeyVerification> VerifyAsync(string? presented, ClientInfo? client = null, CancellationToken cancellationToken = default) =>
        _verifier.VerifyAsync(presented, client, _store, null, cancellationToken);

    /// <summary>
    /// Writes the usage gathered since the last call: <c>lastUsedAt</c> for every key used (one batched write) and
    /// one aggregated <c>apikey.used</c> event per key with how many requests it made. Each key is written at most
    /// once per <see cref="ApiKeyOptions.UsageWriteInterval"/> unless <paramref name="all"/> (shutdown).
    /// </summary>
    public async Task<int> FlushUsageAsync(bool all = false, CancellationToken cancellationToken = default)
    {
        var due = _cache.TakeDueUsage(all);
        if (due.Count == 0)
        {
            return 0;
        }

        await _store.RecordLastUsedAsync(due.Select(d => KeyValuePair.Create(d.KeyId, d.LastSeen)).ToList(), cancellationToken).ConfigureAwait(false);
        foreach (var (keyId, userId, _, count) in due)
        {
            await _audit.RecordAsync(AuditEventTypes.ApiKeyUsed, AuditOutcome.Success, userId, null, cancellationToken, apiKeyId: keyId,
                details: new Dictionary<string, string> { ["count"] = count.ToString(CultureInfo.InvariantCulture) }).ConfigureAwait(false);
        }

        return due.Count;
    }

    private async Task<SentinelError?> AtCapAsync(Guid userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var existing = await _store.ListByUserAsync(userId, cancellationToken).ConfigureAwait(false);
        return existing.Count(k => k.RevokedAt is null && (k.ExpiresAt is null || k.ExpiresAt > now)) >= _options.MaxKeysPerUser
            ? SentinelError.Validation("name", string.Create(CultureInfo.InvariantCulture, $"A user may hold at most {_options.MaxKeysPerUser} keys; revoke one first."))
            : null;
    }

    private async Task<CreatedApiKey> IssueAsync(
        Guid userId, string name, List<string> scopes, DateTimeOffset? expiresAt, int? permits, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var key = ApiKeyFormat.New(_options.Prefix);
        var record = new ApiKeyRecord
        {
            Id = Guid.CreateVersion7(now),
            UserId = userId,
            Name = name,
            Hash = ApiKeyFormat.Hash(key),
            DisplayPrefix = key[..ApiKeyFormat.DisplayLength(_options.Prefix)],
            Scopes = [.. scopes],
            CreatedAt = now,
            ExpiresAt = expiresAt,
            RateLimitPermits = permits,
        };
        await _store.CreateAsync(record, cancellationToken).ConfigureAwait(false);
        return new CreatedApiKey(record, key);
    }

    private static SentinelError NotFound() => new(SentinelErrorCode.NotFound, "No such API key.");
}

/// <summary>A new key: its record and the key itself, shown this once.</summary>
/// <param name="Record">What is stored.</param>
/// <param name="Key">The plaintext key; never stored, never logged.</param>
public sealed record CreatedApiKey(ApiKeyRecord Record, string Key);

/// <summary>The closed set of verification outcomes.</summary>
public enum ApiKeyVerificationOutcome
{
    /// <summary>The key is good.</summary>
    Valid,
    /// <summary>Wrong shape or checksum; refused without a lookup.</summary>
    Malformed,
    /// <summary>Well formed but unknown.</summary>
    NotFound,
    /// <summary>Revoked.</summary>
    Revoked,
    /// <summary>Past its expiry (or its rotation grace period).</summary>
    Expired,
    /// <summary>Over its rate limit; see <see cref="ApiKeyVerification.RetryAfter"/>.</summary>
    RateLimited,
    /// <summary>Valid but without the scope the endpoint needs.</summary>
    InsufficientScope,
}

/// <summary>The outcome of <see cref="ApiKeyService.VerifyAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Key">The key, when it was found.</param>
/// <param name="RetryAfter">When rate limited, how long to wait.</param>
public sealed record ApiKeyVerification(ApiKeyVerificationOutcome Outcome, VerifiedApiKey? Key, TimeSpan? RetryAfter);
