using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sentinel.Audit;

namespace Sentinel.ApiKeys;

/// <summary>
/// API key verification, a singleton resolved from DI: a key seen before is verified from an in-process cache without
/// touching the store, so a request authenticated by a key resolves no store (and no database context) at all; only a
/// cache miss asks the request's <see cref="IApiKeyStore"/>. <see cref="ApiKeyService.VerifyAsync"/> and the API key
/// authentication handler both verify through it; a host's own handler (another header, a gRPC interceptor) can too.
/// </summary>
public sealed class ApiKeyVerifier
{
    private readonly ApiKeyCache _cache;
    private readonly AuditRecorder _audit;
    private readonly TimeProvider _time;
    private readonly RateLimiting.IRateLimitCounterStore? _sharedLimits; // null counts the per-key budgets in this process
    private readonly Diagnostics.SentinelMetrics? _metrics;
    private readonly ApiKeyOptions _options;

    internal ApiKeyVerifier(
        ApiKeyCache cache, AuditRecorder audit, IOptions<SentinelOptions> options, TimeProvider time, RateLimiting.IRateLimitCounterStore? sharedLimits = null,
        Diagnostics.SentinelMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cache = cache;
        _audit = audit;
        _time = time;
        _sharedLimits = sharedLimits;
        _metrics = metrics;
        _options = options.Value.ApiKeys;
    }

    /// <summary>
    /// Verifies <paramref name="presented"/> as <see cref="ApiKeyService.VerifyAsync"/> does; on a cache miss the key is
    /// looked up in the <see cref="IApiKeyStore"/> of <paramref name="requestServices"/> (the request's scope).
    /// </summary>
    public ValueTask<ApiKeyVerification> VerifyAsync(string? presented, ClientInfo? client, IServiceProvider requestServices, CancellationToken cancellationToken = default) =>
        VerifyAsync(presented, client, null, requestServices ?? throw new ArgumentNullException(nameof(requestServices)), cancellationToken);

    /// <summary>
    /// Verifies <paramref name="presented"/>. On a cache miss the key is looked up in <paramref name="store"/>, or in the
    /// <see cref="IApiKeyStore"/> of <paramref name="services"/> (the request's scope) when no store is given.
    /// </summary>
    internal ValueTask<ApiKeyVerification> VerifyAsync(
        string? presented, ClientInfo? client, IApiKeyStore? store, IServiceProvider? services, CancellationToken cancellationToken)
    {
        if (presented is null || !ApiKeyFormat.IsWellFormed(presented, _options.Prefix))
        {
            return RejectAsync(ApiKeyVerificationOutcome.Malformed, null, client, cancellationToken);
        }

        // The hot path, a key held in memory, is synchronous and allocates no hash string.
        Span<char> hash = stackalloc char[ApiKeyFormat.HashLength];
        ApiKeyFormat.WriteHash(presented, hash);
        return _cache.TryGet(hash, out var key)
            ? Decide(key, client, cancellationToken)
            : LookUpAsync(new string(hash), client, store, services, cancellationToken);
    }

    private async ValueTask<ApiKeyVerification> LookUpAsync(
        string hash, ClientInfo? client, IApiKeyStore? store, IServiceProvider? services, CancellationToken cancellationToken)
    {
        store ??= services?.GetRequiredService<IApiKeyStore>() ?? throw new ArgumentNullException(nameof(services), "A store or a service provider is needed on a cache miss.");
        var record = await store.FindByHashAsync(hash, cancellationToken).ConfigureAwait(false);
        // Re-compare ordinally: a database collation may match case-insensitively.
        if (record is null || !string.Equals(record.Hash, hash, StringComparison.Ordinal))
        {
            return await RejectAsync(ApiKeyVerificationOutcome.NotFound, null, client, cancellationToken).ConfigureAwait(false);
        }

        var key = VerifiedApiKey.From(record);
        _cache.Add(key);
        return await Decide(key, client, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask<ApiKeyVerification> Decide(VerifiedApiKey key, ClientInfo? client, CancellationToken cancellationToken)
    {
        if (key.RevokedAt is not null)
        {
            return RejectAsync(ApiKeyVerificationOutcome.Revoked, key, client, cancellationToken);
        }

        if (key.ExpiresAt <= _time.GetUtcNow())
        {
            return RejectAsync(ApiKeyVerificationOutcome.Expired, key, client, cancellationToken);
        }

        var permits = key.RateLimitPermits ?? _options.RateLimitPermits;
        if (permits > 0 && _sharedLimits is { IsAvailable: true })
        {
            return DecideSharedAsync(key, permits, client, cancellationToken);
        }

        if (_cache.TryAcquire(key) is { } retryAfter)
        {
            return RateLimitedAsync(key, retryAfter, client, cancellationToken);
        }

        return new ValueTask<ApiKeyVerification>(Accept(key));
    }

    // Several instances: the budget is counted where they all see it (one round trip to it per request).
    private async ValueTask<ApiKeyVerification> DecideSharedAsync(VerifiedApiKey key, int permits, ClientInfo? client, CancellationToken cancellationToken)
    {
        if (await _sharedLimits!.TryAcquireAsync(key.SharedLimitKey, permits, _options.RateLimitWindow, cancellationToken).ConfigureAwait(false) is { } retryAfter)
        {
            return await RateLimitedAsync(key, retryAfter, client, cancellationToken).ConfigureAwait(false);
        }

        return Accept(key);
    }

    // A key within its budget: its use is counted for the aggregated apikey.used event and the metric.
    private ApiKeyVerification Accept(VerifiedApiKey key)
    {
        _cache.RecordUse(key);
        _metrics?.ApiKeyVerified("valid");
        return new ApiKeyVerification(ApiKeyVerificationOutcome.Valid, key, null);
    }

    private async ValueTask<ApiKeyVerification> RateLimitedAsync(VerifiedApiKey key, TimeSpan retryAfter, ClientInfo? client, CancellationToken cancellationToken)
    {
        _metrics?.ApiKeyVerified("rate_limited");
        await _audit.RecordRefusalAsync(AuditEventTypes.RateLimitExceeded, "api_key", key.UserId, client, key.Id, cancellationToken).ConfigureAwait(false);
        return new ApiKeyVerification(ApiKeyVerificationOutcome.RateLimited, key, retryAfter);
    }

    private async ValueTask<ApiKeyVerification> RejectAsync(ApiKeyVerificationOutcome outcome, VerifiedApiKey? rejected, ClientInfo? client, CancellationToken cancellationToken)
    {
        _metrics?.ApiKeyVerified("rejected");
        await _audit.RecordRefusalAsync(AuditEventTypes.ApiKeyRejected, RejectionReason(outcome), rejected?.UserId, client, rejected?.Id, cancellationToken)
            .ConfigureAwait(false);
        return new ApiKeyVerification(outcome, rejected, null);
    }

    private static string RejectionReason(ApiKeyVerificationOutcome outcome) => outcome switch
    {
        ApiKeyVerificationOutcome.Malformed => "malformed",
        ApiKeyVerificationOutcome.NotFound => "not_found",
        ApiKeyVerificationOutcome.Revoked => "revoked",
        ApiKeyVerificationOutcome.Expired => "expired",
        _ => "rejected",
    };
}
