using System.Collections.Concurrent;
using Sentinel.Users;

namespace Sentinel.Storage.InMemory;

/// <summary>A thread-safe user store in process memory. Hands out copies so callers never share state.</summary>
public sealed class InMemoryUserStore : IUserStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, SentinelUser> _byId = [];
    private readonly Dictionary<string, Guid> _byEmail = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<SentinelUser?> FindByIdAsync(Guid id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_byId.TryGetValue(id, out var user) ? user.Clone() : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<SentinelUser?> FindByNormalizedEmailAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_byEmail.TryGetValue(normalizedEmail, out var id) ? _byId[id].Clone() : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<StoreWriteResult> CreateAsync(SentinelUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        lock (_gate)
        {
            if (_byId.ContainsKey(user.Id) || _byEmail.ContainsKey(user.NormalizedEmail))
            {
                return ValueTask.FromResult(StoreWriteResult.Duplicate);
            }

            user.ConcurrencyStamp = Guid.NewGuid().ToString("N");
            _byId[user.Id] = user.Clone();
            _byEmail[user.NormalizedEmail] = user.Id;
            return ValueTask.FromResult(StoreWriteResult.Success);
        }
    }

    /// <inheritdoc />
    public ValueTask<StoreWriteResult> UpdateAsync(SentinelUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        lock (_gate)
        {
            if (!_byId.TryGetValue(user.Id, out var stored))
            {
                return ValueTask.FromResult(StoreWriteResult.NotFound);
            }

            if (!string.Equals(stored.ConcurrencyStamp, user.ConcurrencyStamp, StringComparison.Ordinal))
            {
                return ValueTask.FromResult(StoreWriteResult.Conflict);
            }

            if (!string.Equals(stored.NormalizedEmail, user.NormalizedEmail, StringComparison.Ordinal))
            {
                if (_byEmail.ContainsKey(user.NormalizedEmail))
                {
                    return ValueTask.FromResult(StoreWriteResult.Duplicate);
                }

                _byEmail.Remove(stored.NormalizedEmail);
                _byEmail[user.NormalizedEmail] = user.Id;
            }

            user.ConcurrencyStamp = Guid.NewGuid().ToString("N");
            _byId[user.Id] = user.Clone();
            return ValueTask.FromResult(StoreWriteResult.Success);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<(Guid UserId, DateTimeOffset ValidAfter)>> ListSecurityValidAfterSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<(Guid, DateTimeOffset)> list = _byId.Values.Where(u => u.SecurityValidAfter > since).Select(u => (u.Id, u.SecurityValidAfter)).ToList();
            return ValueTask.FromResult(list);
        }
    }
}
