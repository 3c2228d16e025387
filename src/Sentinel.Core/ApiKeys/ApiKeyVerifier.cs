using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sentinel.Audit;

namespace Sentinel.ApiKeys;

/// <summary>
/// API key verification, a singleton: a key seen before is verified from <see cref="ApiKeyCache"/> without touching
/// the store, so a request authenticated by a key resolves no store (and no database context) at all; only a cache
/// miss asks the request's <see cref="IApiKeyStore"/>. <see cref="ApiKeyService.VerifyAsync"/> and the API key
/// authentication handler both verify through it; a host's own handler (another header, a gRPC interceptor) can too.
/// </summary>
/// <param name="cache">The verified keys, rate limits and usage counts.</param>
/// <param name="audit">Where rejections and rate-limit hits are recorded.</param>
/// <param name="options">Sentinel's options (the key prefix).</param>
/// <param name="time">The clock for expiry.</param>
/// <param name="sharedLimits">Where the per-key budgets are counted across instances; null counts in this process.</param>
/// <param name="metrics">Where each verification is counted by result (<c>sentinel.apikey.verifications</c>).</param>
public sealed class ApiKeyVerifier(
    ApiKeyCache cache, AuditRecorder audit, IOptions<SentinelOptions> options, TimeProvider time, RateLimiting.IRateLimitCounterStore? sharedLimits = null,
    Diagnostics.SentinelMetrics? metrics = null)
{
    private readonly ApiKeyOptions _options = (options ?? throw new ArgumentNullException(nameof(options))).Value.ApiKeys;

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
        return cache.TryGet(hash, out var key)
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
        cache.Add(key);
        return await Decide(key, client, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask<ApiKeyVerification> Decide(VerifiedApiKey key, ClientInfo? client, CancellationToken cancellationToken)
    {
        if (key.RevokedAt is not null)
        {
            return RejectAsync(ApiKeyVerificationOutcome.Revoked, key, client, cancellationToken);
        }

        if (key.ExpiresAt <= time.GetUtcNow())
        {
            return RejectAsync(ApiKeyVerificationOutcome.Expired, key, client, cancellationToken);
        }

        var permits = key.RateLimitPermits ?? _options.RateLimitPermits;
        if (permits > 0 && sharedLimits is { IsAvailable: true })
        {
            return DecideSharedAsync(key, permits, client, cancellationToken);
        }

        if (cache.TryAcquire(key) is { } retryAfter)
        {
            return RateLimitedAsync(key, retryAfter, client, cancellationToken);
        }

        return new ValueTask<ApiKeyVerification>(Accept(key));
    }

    // Several instances: the budget is counted where they all see it (one round trip to it per request).
    private async ValueTask<ApiKeyVerification> DecideSharedAsync(VerifiedApiKey key, int permits, ClientInfo? client, CancellationToken cancellationToken)
    {
        if (await sharedLimits!.TryAcquireAsync(key.SharedLimitKey, permits, _options.RateLimitWindow, cancellationToken).ConfigureAwait(false) is { } retryAfter)
        {
            return await RateLimitedAsync(key, retryAfter, client, cancellationToken).ConfigureAwait(false);
        }

        return Accept(key);
    }

    // A key within its budget: its use is counted for the aggregated apikey.used event and the metric.
    private ApiKeyVerification Accept(VerifiedApiKey key)
    {
        cache.RecordUse(key);
        metrics?.ApiKeyVerified("valid");
        return new ApiKeyVerification(ApiKeyVerificationOutcome.Valid, key, null);
    }

    private async ValueTask<ApiKeyVerification> RateLimitedAsync(VerifiedApiKey key, TimeSpan retryAfter, ClientInfo? client, CancellationToken cancellationToken)
    {
        metrics?.ApiKeyVerified("rate_limited");
        await audit.RecordAsync(AuditEventTypes.RateLimitExceeded, AuditOutcome.Failure, key.UserId, client, cancellationToken, "api_key", apiKeyId: key.Id).ConfigureAwait(false);
        return new ApiKeyVerification(ApiKeyVerificationOutcome.RateLimited, key, retryAfter);
    }

    private async ValueTask<ApiKeyVerification> RejectAsync(ApiKeyVerificationOutcome outcome, VerifiedApiKey? rejected, ClientInfo? client, CancellationToken cancellationToken)
    {
        metrics?.ApiKeyVerified("rejected");
        await audit.RecordAsync(AuditEventTypes.ApiKeyRejected, AuditOutcome.Failure, rejected?.UserId, client, cancellationToken,
            RejectionReason(outcome), apiKeyId: rejected?.Id).ConfigureAwait(false);
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
