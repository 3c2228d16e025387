namespace Sentinel.Tokens;

/// <summary>A persisted signing key. The private key is stored only as <see cref="ProtectedPrivateKey"/>.</summary>
public sealed class SigningKeyRecord
{
    /// <summary>The key id, the <c>kid</c> header of what it signs (random, base64url).</summary>
    public string Id { get; set; } = "";

    /// <summary><c>ES256</c> or <c>RS256</c>.</summary>
    public string Algorithm { get; set; } = "";

    /// <summary>When it was made (and published in JWKS).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When it starts signing.</summary>
    public DateTimeOffset ActivatesAt { get; set; }

    /// <summary>When it stops signing.</summary>
    public DateTimeOffset RetiresAt { get; set; }

    /// <summary>When the last token it signed has expired; it leaves JWKS and the store then.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The PKCS#8 private key, encrypted by the <see cref="Secrets.ISecretProtector"/>.</summary>
    public byte[] ProtectedPrivateKey { get; set; } = [];

    /// <summary>
    /// The public key in clear (DER SubjectPublicKeyInfo). An instance that cannot decrypt
    /// <see cref="ProtectedPrivateKey"/> (its Data Protection key ring or application name differs) still validates
    /// and publishes with it, and never signs with the key. Empty for keys stored before it was kept.
    /// </summary>
    public byte[] PublicKey { get; set; } = [];
}

/// <summary>Persists signing keys. Small and rarely written: a few keys per rotation interval.</summary>
public interface ISigningKeyStore
{
    /// <summary>Every stored key.</summary>
    ValueTask<IReadOnlyList<SigningKeyRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Adds a key.</summary>
    ValueTask AddAsync(SigningKeyRecord key, CancellationToken cancellationToken);

    /// <summary>Deletes keys whose <see cref="SigningKeyRecord.ExpiresAt"/> is at or before <paramref name="now"/>.</summary>
    ValueTask<int> DeleteExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
