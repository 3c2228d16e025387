using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Sentinel.Audit;
using Sentinel.Diagnostics;
using Sentinel.Secrets;

namespace Sentinel.Tokens;

/// <summary>
/// The signing keys in memory: the one that signs now, the ones tokens may still be signed with, and the next one,
/// published ahead of use. Validation looks keys up here only, never in a store (SECURITY T5). Keys are
/// generated on first start, rotated on schedule and dropped once the last token they signed has expired.
/// </summary>
public sealed class SigningKeyRing : IDisposable
{
    /// <summary>The Data Protection purpose the private keys are encrypted under.</summary>
    public const string ProtectorPurpose = "Sentinel.SigningKeys.v1";
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMinutes(5);

    private readonly IServiceScopeFactory _scopes;
    private readonly ISecretProtector _protector;
    private readonly TokenOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Cluster.IClusterChannel _cluster;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private long _unknownKeyReloadNotBefore;

    /// <summary>Creates the ring; keys load on first use or at host start.</summary>
    public SigningKeyRing(
        IServiceScopeFactory scopes,
        ISecretProtector protector,
        IOptions<SentinelOptions> options,
        TimeProvider time,
        ILogger<SigningKeyRing>? logger = null,
        Cluster.IClusterChannel? cluster = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cluster = cluster ?? new Cluster.SingleInstanceChannel();
        _scopes = scopes;
        _protector = protector;
        _options = options.Value.Tokens;
        _time = time;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>True once keys have been loaded.</summary>
    public bool IsLoaded => !ReferenceEquals(_snapshot, Snapshot.Empty);

    /// <summary>
    /// The ids of loaded keys this instance cannot sign with, because it cannot decrypt them (they validate and are
    /// published): a sign that its Data Protection key ring or application name differs from another instance's.
    /// </summary>
    public IReadOnlyList<string> ValidationOnlyKeyIds => _snapshot.ValidationOnly;

    /// <summary>Finds a key by <c>kid</c> in memory; null for an unknown id.</summary>
    public RingKey? Find(string? keyId) =>
        keyId is not null && _snapshot.ById.TryGetValue(keyId, out var key) ? key : null;

    /// <summary>The public keys of every key a valid token may be signed with, and the next one (JWKS).</summary>
    public async ValueTask<IReadOnlyList<JsonWebKey>> GetPublishedKeysAsync(CancellationToken cancellationToken)
    {
        var snapshot = await CurrentAsync(cancellationToken).ConfigureAwait(false);
        return snapshot.Published;
    }

    /// <summary>The key that signs now, refreshing and rotating first when due.</summary>
    public async ValueTask<RingKey> GetSigningKeyAsync(CancellationToken cancellationToken)
    {
        var snapshot = await CurrentAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        return snapshot.SigningKey(now)
            ?? (await RefreshAsync(cancellationToken).ConfigureAwait(false)).SigningKey(now)
            ?? throw new InvalidOperationException("No signing key is active after rotation; check the signing key store.");
    }

    /// <summary>
    /// Reads the store again for a token whose <paramref name="keyId"/> the ring does not hold: another instance's new
    /// key, before the next scheduled read or a cluster message brings it. At most once every
    /// <see cref="UnknownKeyReloadInterval"/>, so tokens with made-up key ids cost no more than that. True when the
    /// key is known afterwards.
    /// </summary>
    internal async ValueTask<bool> TryLoadUnknownKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var notBefore = Interlocked.Read(ref _unknownKeyReloadNotBefore);
        if (now < notBefore || Interlocked.CompareExchange(ref _unknownKeyReloadNotBefore, now + UnknownKeyReloadInterval.Ticks, notBefore) != notBefore)
        {
            return false;
        }

        await RefreshAsync(cancellationToken).ConfigureAwait(false); // or another caller's read that ran meanwhile
        return Find(keyId) is not null;
    }

    /// <summary>The least time between two reads for an unknown key id.</summary>
    internal static readonly TimeSpan UnknownKeyReloadInterval = TimeSpan.FromSeconds(10);

    /// <summary>Loads keys from the store, creates the first or next key when due, and drops expired ones.</summary>
    public async ValueTask RefreshNowAsync(CancellationToken cancellationToken) => await RefreshAsync(cancellationToken).ConfigureAwait(false);

    private ValueTask<Snapshot> CurrentAsync(CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        return _time.GetUtcNow() < snapshot.NextCheckAt ? ValueTask.FromResult(snapshot) : new ValueTask<Snapshot>(RefreshAsync(cancellationToken));
    }

    private async Task<Snapshot> RefreshAsync(CancellationToken cancellationToken)
    {
        var before = _snapshot;
        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!ReferenceEquals(before, _snapshot) && _time.GetUtcNow() < _snapshot.NextCheckAt)
            {
                return _snapshot; // another caller refreshed while this one waited
            }

            var snapshot = _options.SigningAlgorithm == SigningAlgorithm.HS256
                ? BuildHmacSnapshot()
                : await LoadAndRotateAsync(cancellationToken).ConfigureAwait(false);
            // Keys that leave the ring are not disposed: a validation may still hold one; the GC reclaims them.
            _snapshot = snapshot;
            return snapshot;
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    private Snapshot BuildHmacSnapshot()
    {
        var secret = Convert.FromBase64String(_options.HmacSecret ?? "");
        var kid = Base64UrlEncoder.Encode(SHA256.HashData(secret).AsSpan(0, 12).ToArray());
        var key = new SymmetricSecurityKey(secret) { KeyId = kid };
        var ringKey = new RingKey(kid, SecurityAlgorithms.HmacSha256, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, key, null);
        return new Snapshot([ringKey], DateTimeOffset.MaxValue);
    }

    private async Task<Snapshot> LoadAndRotateAsync(CancellationToken cancellationToken)
    {
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var store = scope.ServiceProvider.GetRequiredService<ISigningKeyStore>();
            var audit = scope.ServiceProvider.GetRequiredService<AuditRecorder>();
            var now = _time.GetUtcNow();
            await store.DeleteExpiredAsync(now, cancellationToken).ConfigureAwait(false);
            var algorithm = _options.SigningAlgorithm.ToString();
            var records = (await store.ListAsync(cancellationToken).ConfigureAwait(false)).Where(r => r.ExpiresAt > now).ToList();
            var keys = new List<RingKey>();
            var known = _snapshot.ById;
            foreach (var record in records)
            {
                // Reuse loaded keys: no decryption, and their cached signature providers stay warm.
                if ((known.TryGetValue(record.Id, out var loaded) ? loaded : TryLoad(record)) is { } key)
                {
                    keys.Add(key);
                }
            }

            // Only keys this instance can sign with: one it cannot decrypt still validates and is published.
            var usable = keys.Where(k => k.Algorithm == algorithm && k.CanSign).ToList();
            var current = usable.Where(k => k.ActivatesAt <= now && now < k.RetiresAt).MaxBy(k => k.ActivatesAt);
            if (current is null)
            {
                current = await CreateAsync(store, now, now, "initial", audit, cancellationToken).ConfigureAwait(false);
                keys.Add(current);
                usable.Add(current);
            }

            var hasSuccessor = usable.Any(k => k.ActivatesAt >= current.RetiresAt - TimeSpan.FromSeconds(1));
            if (!hasSuccessor && current.RetiresAt - now <= _options.KeyPublicationLeadTime)
            {
                keys.Add(await CreateAsync(store, now, current.RetiresAt, "scheduled", audit, cancellationToken).ConfigureAwait(false));
            }

            var nextCheck = now + CheckInterval;
            foreach (var key in keys)
            {
                // Wake up for the next activation or retirement, whichever comes first.
                if (key.ActivatesAt > now && key.ActivatesAt < nextCheck)
                {
                    nextCheck = key.ActivatesAt;
                }

                if (key.RetiresAt > now && key.RetiresAt - _options.KeyPublicationLeadTime > now && key.RetiresAt - _options.KeyPublicationLeadTime < nextCheck)
                {
                    nextCheck = key.RetiresAt - _options.KeyPublicationLeadTime;
                }
            }

            return new Snapshot(keys, nextCheck);
        }
    }

    private async Task<RingKey> CreateAsync(
        ISigningKeyStore store, DateTimeOffset now, DateTimeOffset activatesAt, string reason, AuditRecorder audit, CancellationToken cancellationToken)
    {
        var kid = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12));
        byte[] pkcs8;
        byte[] publicKey;
        if (_options.SigningAlgorithm == SigningAlgorithm.RS256)
        {
            using var rsa = RSA.Create(2048);
            pkcs8 = rsa.ExportPkcs8PrivateKey();
            publicKey = rsa.ExportSubjectPublicKeyInfo();
        }
        else
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            pkcs8 = ecdsa.ExportPkcs8PrivateKey();
            publicKey = ecdsa.ExportSubjectPublicKeyInfo();
        }

        var retiresAt = activatesAt + _options.KeyRotationInterval;
        var record = new SigningKeyRecord
        {
            Id = kid,
            Algorithm = _options.SigningAlgorithm.ToString(),
            CreatedAt = now,
            ActivatesAt = activatesAt,
            RetiresAt = retiresAt,
            ExpiresAt = retiresAt + _options.AccessTokenLifetime + _options.ClockSkew,
            ProtectedPrivateKey = _protector.Protect(ProtectorPurpose, pkcs8),
            PublicKey = publicKey,
        };
        CryptographicOperations.ZeroMemory(pkcs8);
        await store.AddAsync(record, cancellationToken).ConfigureAwait(false);
        Log.SigningKeyCreated(_logger, kid, record.Algorithm, activatesAt);
        await audit.RecordAsync(AuditEventTypes.SigningKeyRotated, AuditOutcome.Success, null, null, cancellationToken, reason).ConfigureAwait(false);
        // The other instances reload their rings now (they would also on a token with an unknown key id).
        _cluster.Publish(new Cluster.ClusterChange(Cluster.ClusterChangeKind.SigningKeysChanged, Guid.Empty, now));
        return TryLoad(record) ?? throw new InvalidOperationException("A freshly generated signing key could not be loaded.");
    }

    private RingKey? TryLoad(SigningKeyRecord record)
    {
        byte[] pkcs8;
        try
        {
            pkcs8 = _protector.Unprotect(ProtectorPurpose, record.ProtectedPrivateKey);
        }
        catch (CryptographicException)
        {
            // Protected with a key this process does not have: an ephemeral key ring before a restart, or another
            // instance's ring or application name. Validation needs only the public key, when the record has it.
            if (record.PublicKey.Length > 0 && TryLoadPublic(record) is { } validationOnly)
            {
                Log.SigningKeyValidationOnly(_logger, record.Id);
                return validationOnly;
            }

            Log.SigningKeyUnreadable(_logger, record.Id);
            return null;
        }

        try
        {
            AsymmetricSecurityKey key;
            if (record.Algorithm == nameof(SigningAlgorithm.RS256))
            {
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(pkcs8, out _);
                key = new RsaSecurityKey(rsa) { KeyId = record.Id };
            }
            else if (record.Algorithm == nameof(SigningAlgorithm.ES256))
            {
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
                key = new ECDsaSecurityKey(ecdsa) { KeyId = record.Id };
            }
            else
            {
                return null;
            }

            var jwk = key is RsaSecurityKey rsaKey
                ? JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsaKey.Rsa!.ExportParameters(false)) { KeyId = record.Id })
                : JsonWebKeyConverter.ConvertFromECDsaSecurityKey(PublicOnly((ECDsaSecurityKey)key, record.Id));
            return RingKeyOf(record, key, jwk, canSign: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>A key from its stored public half only: it validates and is published, and never signs.</summary>
    private static RingKey? TryLoadPublic(SigningKeyRecord record)
    {
        try
        {
            AsymmetricSecurityKey key;
            JsonWebKey jwk;
            if (record.Algorithm == nameof(SigningAlgorithm.RS256))
            {
                var rsa = RSA.Create();
                rsa.ImportSubjectPublicKeyInfo(record.PublicKey, out _);
                key = new RsaSecurityKey(rsa) { KeyId = record.Id };
                jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = record.Id });
            }
            else if (record.Algorithm == nameof(SigningAlgorithm.ES256))
            {
                var ecdsa = ECDsa.Create();
                ecdsa.ImportSubjectPublicKeyInfo(record.PublicKey, out _);
                key = new ECDsaSecurityKey(ecdsa) { KeyId = record.Id };
                jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey((ECDsaSecurityKey)key);
            }
            else
            {
                return null;
            }

            return RingKeyOf(record, key, jwk, canSign: false);
        }
        catch (CryptographicException)
        {
            return null; // a damaged public key: the key is ignored as before
        }
    }

    private static RingKey RingKeyOf(SigningKeyRecord record, AsymmetricSecurityKey key, JsonWebKey jwk, bool canSign)
    {
        var algorithm = record.Algorithm == nameof(SigningAlgorithm.RS256) ? SecurityAlgorithms.RsaSha256 : SecurityAlgorithms.EcdsaSha256;
        jwk.Alg = algorithm;
        jwk.Use = "sig";
        jwk.Kid = record.Id;
        return new RingKey(record.Id, algorithm, record.ActivatesAt, record.RetiresAt, key, jwk) { CanSign = canSign };
    }

    private static ECDsaSecurityKey PublicOnly(ECDsaSecurityKey key, string kid)
    {
        var ecdsa = ECDsa.Create(key.ECDsa.ExportParameters(false));
        return new ECDsaSecurityKey(ecdsa) { KeyId = kid };
    }

    /// <inheritdoc />
    public void Dispose() => _refreshGate.Dispose();

    /// <summary>One key in memory.</summary>
    /// <param name="Id">The <c>kid</c>.</param>
    /// <param name="Algorithm">The JWS <c>alg</c> it signs with, and the only one it validates.</param>
    /// <param name="ActivatesAt">When it starts signing.</param>
    /// <param name="RetiresAt">When it stops signing.</param>
    /// <param name="Key">The key material.</param>
    /// <param name="PublicJwk">Its public JWK; null for HMAC keys, which are never published.</param>
    public sealed record RingKey(string Id, string Algorithm, DateTimeOffset ActivatesAt, DateTimeOffset RetiresAt, SecurityKey Key, JsonWebKey? PublicJwk)
    {
        internal SigningCredentials Credentials { get; } = new(Key, Algorithm);

        /// <summary>
        /// False for a key this instance could not decrypt, loaded from its public half: it validates tokens and is
        /// published in JWKS, and this instance never signs with it.
        /// </summary>
        public bool CanSign { get; init; } = true;
    }

    private sealed class Snapshot
    {
        public static readonly Snapshot Empty = new([], DateTimeOffset.MinValue);

        public Snapshot(IReadOnlyList<RingKey> keys, DateTimeOffset nextCheckAt)
        {
            Keys = keys;
            NextCheckAt = nextCheckAt;
            ById = keys.ToFrozenDictionary(k => k.Id, StringComparer.Ordinal);
            Published = keys.Where(k => k.PublicJwk is not null).Select(k => k.PublicJwk!).ToArray();
            ValidationOnly = keys.Where(k => !k.CanSign).Select(k => k.Id).ToArray();
        }

        public IReadOnlyList<string> ValidationOnly { get; }

        public IReadOnlyList<RingKey> Keys { get; }

        public DateTimeOffset NextCheckAt { get; }

        public FrozenDictionary<string, RingKey> ById { get; }

        public IReadOnlyList<JsonWebKey> Published { get; }

        public RingKey? SigningKey(DateTimeOffset now) =>
            Keys.Where(k => k.CanSign && k.ActivatesAt <= now && now < k.RetiresAt).MaxBy(k => k.ActivatesAt);
    }
}
