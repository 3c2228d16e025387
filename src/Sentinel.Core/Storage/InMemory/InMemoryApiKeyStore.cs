using Sentinel.ApiKeys;

namespace Sentinel.Storage.InMemory;

/// <summary>API keys in process memory, behind one lock; hands out copies.</summary>
public sealed class InMemoryApiKeyStore : IApiKeyStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, ApiKeyRecord> _byId = [];
    private readonly Dictionary<string, Guid> _byHash = new(StringComparer.Ordinal);

    /// <summary>How many hash lookups reached this store (tests use it to prove K2).</summary>
    public int HashLookups { get; private set; }

    /// <inheritdoc />
    public ValueTask CreateAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            if (_byHash.ContainsKey(key.Hash))
            {
                throw new InvalidOperationException("An API key with this hash exists.");
            }

            _byId.Add(key.Id, Copy(key));
            _byHash.Add(key.Hash, key.Id);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<ApiKeyRecord?> FindByHashAsync(string hash, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            HashLookups++;
            return ValueTask.FromResult(_byHash.TryGetValue(hash, out var id) ? Copy(_byId[id]) : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<ApiKeyRecord?> FindByIdAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_byId.TryGetValue(id, out var key) ? Copy(key) : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ApiKeyRecord>> ListByUserAsync(Guid userId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<ApiKeyRecord>>(
                _byId.Values.Where(k => k.UserId == userId).OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id).Select(Copy).ToList());
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> RevokeAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(id, out var key) || key.RevokedAt is not null)
            {
                return ValueTask.FromResult(false);
            }

            key.RevokedAt = now;
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TryReplaceAsync(Guid id, DateTimeOffset replacedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(id, out var key) || key.RevokedAt is not null || key.ReplacedAt is not null)
            {
                return ValueTask.FromResult(false);
            }

            key.ReplacedAt = replacedAt;
            if (key.ExpiresAt is null || key.ExpiresAt > expiresAt)
            {
                key.ExpiresAt = expiresAt;
            }

            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask RecordLastUsedAsync(IReadOnlyCollection<KeyValuePair<Guid, DateTimeOffset>> usage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(usage);
        lock (_gate)
        {
            foreach (var (id, at) in usage)
            {
                if (_byId.TryGetValue(id, out var key) && (key.LastUsedAt is null || key.LastUsedAt < at))
                {
                    key.LastUsedAt = at;
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    private static ApiKeyRecord Copy(ApiKeyRecord k) => new()
    {
        Id = k.Id, UserId = k.UserId, Name = k.Name, Hash = k.Hash, DisplayPrefix = k.DisplayPrefix, Scopes = [.. k.Scopes],
        CreatedAt = k.CreatedAt, ExpiresAt = k.ExpiresAt, LastUsedAt = k.LastUsedAt, RevokedAt = k.RevokedAt, RateLimitPermits = k.RateLimitPermits, ReplacedAt = k.ReplacedAt,
    };
}
