namespace Sentinel.Secrets;

/// <summary>
/// Encrypts secrets Sentinel keeps at rest (signing private keys, TOTP secrets). ASP.NET Core hosts get ASP.NET
/// Core Data Protection behind it; other hosts get <see cref="EphemeralSecretProtector"/> unless they register one.
/// </summary>
public interface ISecretProtector
{
    /// <summary>Encrypts and authenticates <paramref name="plaintext"/> for <paramref name="purpose"/>.</summary>
    byte[] Protect(string purpose, ReadOnlySpan<byte> plaintext);

    /// <summary>Decrypts what <see cref="Protect"/> made for the same purpose; throws <see cref="System.Security.Cryptography.CryptographicException"/> when it cannot.</summary>
    byte[] Unprotect(string purpose, byte[] protectedData);
}
