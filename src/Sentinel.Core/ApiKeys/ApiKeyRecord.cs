namespace Sentinel.ApiKeys;

/// <summary>An API key as stored: the SHA-256 of the whole key, never the key (SECURITY K1).</summary>
public sealed class ApiKeyRecord
{
    /// <summary>Its id (GUID v7).</summary>
    public Guid Id { get; set; }

    /// <summary>The user it belongs to and acts as.</summary>
    public Guid UserId { get; set; }

    /// <summary>A name its owner chose.</summary>
    public string Name { get; set; } = "";

    /// <summary>Base64url SHA-256 of the whole key string (unique).</summary>
    public string Hash { get; set; } = "";

    /// <summary>The first characters of the key, safe to show so owners can tell keys apart.</summary>
    public string DisplayPrefix { get; set; } = "";

    /// <summary>The scopes it holds.</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When it stops working (its own expiry, or the end of a rotation's grace period).</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>When it was last used, written in batches.</summary>
    public DateTimeOffset? LastUsedAt { get; set; }

    /// <summary>When it was revoked.</summary>
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>Its own request budget per window, overriding the default; null uses the default.</summary>
    public int? RateLimitPermits { get; set; }

    /// <summary>When a rotation replaced this key with a new one; a replaced key works out its grace period and is never rotated again.</summary>
    public DateTimeOffset? ReplacedAt { get; set; }
}

/// <summary>Persists API keys.</summary>
public interface IApiKeyStore
{
    /// <summary>Adds a key.</summary>
    ValueTask CreateAsync(ApiKeyRecord key, CancellationToken cancellationToken);

    /// <summary>Finds a key by the hash of its string (exact, ordinal), or null.</summary>
    ValueTask<ApiKeyRecord?> FindByHashAsync(string hash, CancellationToken cancellationToken);

    /// <summary>Finds a key by id, or null.</summary>
    ValueTask<ApiKeyRecord?> FindByIdAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>The user's keys, newest first (revoked and expired ones too).</summary>
    ValueTask<IReadOnlyList<ApiKeyRecord>> ListByUserAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>Sets a key's revocation time if it is not revoked. True when this call revoked it.</summary>
    ValueTask<bool> RevokeAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Marks a key replaced by a rotation at <paramref name="replacedAt"/> and brings its expiry forward to
    /// <paramref name="expiresAt"/> (never later than it was), if it is neither revoked nor replaced already: one
    /// atomic step, so two rotations of one key cannot both succeed. True when this call replaced it.
    /// </summary>
    ValueTask<bool> TryReplaceAsync(Guid id, DateTimeOffset replacedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Records when keys were last used: one batched write for many keys.</summary>
    ValueTask RecordLastUsedAsync(IReadOnlyCollection<KeyValuePair<Guid, DateTimeOffset>> usage, CancellationToken cancellationToken);
}
