using Sentinel.Email;

namespace Sentinel.Storage.InMemory;

/// <summary>One-time tokens in process memory, for tests and prototypes.</summary>
public sealed class InMemoryOneTimeTokenStore : IOneTimeTokenStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, OneTimeTokenRecord> _tokens = [];

    /// <inheritdoc />
    public ValueTask CreateAsync(OneTimeTokenRecord token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        lock (_gate)
        {
            if (_tokens.Values.Any(t => string.Equals(t.Hash, token.Hash, StringComparison.Ordinal)))
            {
                throw new InvalidOperationException("A token with this hash exists.");
            }

            _tokens.Add(token.Id, Copy(token));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<OneTimeTokenRecord?> FindAsync(string hash, OneTimeTokenPurpose purpose, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var found = _tokens.Values.FirstOrDefault(t => t.Purpose == purpose && string.Equals(t.Hash, hash, StringComparison.Ordinal));
            return ValueTask.FromResult(found is null ? null : Copy(found));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> SpendAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_tokens.TryGetValue(id, out var token) && token.UsedAt is null && token.ExpiresAt > now)
            {
                token.UsedAt = now;
                return ValueTask.FromResult(true);
            }

            return ValueTask.FromResult(false);
        }
    }

    /// <inheritdoc />
    public ValueTask RevokeAllAsync(Guid userId, OneTimeTokenPurpose purpose, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var token in _tokens.Values.Where(t => t.UserId == userId && t.Purpose == purpose && t.UsedAt is null))
            {
                token.UsedAt = now;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var expired = _tokens.Values.Where(t => t.ExpiresAt < before).Select(t => t.Id).ToList();
            expired.ForEach(id => _tokens.Remove(id));
            return ValueTask.FromResult(expired.Count);
        }
    }

    private static OneTimeTokenRecord Copy(OneTimeTokenRecord t) => new()
    {
        Id = t.Id, UserId = t.UserId, Purpose = t.Purpose, Hash = t.Hash, CreatedAt = t.CreatedAt, ExpiresAt = t.ExpiresAt, UsedAt = t.UsedAt, SecurityStamp = t.SecurityStamp,
    };
}
