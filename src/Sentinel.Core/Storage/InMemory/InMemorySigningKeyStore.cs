using Sentinel.Tokens;

namespace Sentinel.Storage.InMemory;

/// <summary>Signing keys in process memory: they, and every token they signed, die with the process.</summary>
public sealed class InMemorySigningKeyStore : ISigningKeyStore
{
    private readonly Lock _gate = new();
    private readonly List<SigningKeyRecord> _keys = [];

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<SigningKeyRecord>>(_keys.Select(Copy).ToList());
        }
    }

    /// <inheritdoc />
    public ValueTask AddAsync(SigningKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            _keys.Add(Copy(key));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_keys.RemoveAll(k => k.ExpiresAt <= now));
        }
    }

    private static SigningKeyRecord Copy(SigningKeyRecord k) => new()
    {
        Id = k.Id, Algorithm = k.Algorithm, CreatedAt = k.CreatedAt, ActivatesAt = k.ActivatesAt, RetiresAt = k.RetiresAt,
        ExpiresAt = k.ExpiresAt, ProtectedPrivateKey = [.. k.ProtectedPrivateKey], PublicKey = [.. k.PublicKey],
    };
}
