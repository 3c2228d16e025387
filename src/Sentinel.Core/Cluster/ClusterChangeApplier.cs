using Sentinel.ApiKeys;
using Sentinel.Diagnostics;
using Sentinel.Sessions;
using Sentinel.Tokens;

namespace Sentinel.Cluster;

/// <summary>
/// Applies a change received from another instance to what this one holds in memory, and catches up from the stores
/// for a transport that was not listening.
/// </summary>
internal sealed class ClusterChangeApplier : IClusterChangeReceiver
{
    private readonly RevocationSync _sync;
    private readonly RevocationList _revocations;
    private readonly ApiKeyCache _keys;
    private readonly SigningKeyRing _signingKeys;
    private readonly SentinelMetrics _metrics;
    private readonly TimeProvider _time;

    public ClusterChangeApplier(RevocationSync sync, RevocationList revocations, ApiKeyCache keys, SigningKeyRing signingKeys, SentinelMetrics metrics, TimeProvider time)
    {
        _sync = sync;
        _revocations = revocations;
        _keys = keys;
        _signingKeys = signingKeys;
        _metrics = metrics;
        _time = time;
    }

    public async ValueTask CatchUpAsync(CancellationToken cancellationToken = default) =>
        await _sync.ReadAsync(full: false, cancellationToken).ConfigureAwait(false);

    public async ValueTask ApplyAsync(ClusterChange change, DateTimeOffset? sentAt = null, CancellationToken cancellationToken = default)
    {
        switch (change.Kind)
        {
            case ClusterChangeKind.SessionRevoked:
                _revocations.HoldSession(change.Id, change.At);
                break;
            case ClusterChangeKind.UserTokensRevoked:
                _revocations.HoldUserValidAfter(change.Id, change.At);
                break;
            case ClusterChangeKind.ApiKeyChanged when change.KeyHash is { Length: > 0 } hash:
                _keys.Forget(hash);
                break;
            case ClusterChangeKind.SigningKeysChanged:
                await _signingKeys.RefreshNowAsync(cancellationToken).ConfigureAwait(false);
                break;
            default:
                return;
        }

        if (sentAt is { } sent)
        {
            _metrics.ClusterChangeApplied(change.Kind, _time.GetUtcNow() - sent);
        }
    }
}
