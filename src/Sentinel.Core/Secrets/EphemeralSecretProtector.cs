using System.Security.Cryptography;
using System.Text;

namespace Sentinel.Secrets;

/// <summary>
/// AES-256-GCM with a random key that lives only as long as the process: what it protects cannot be read after a
/// restart. Fine for in-memory stores and tests; durable stores need a durable protector (ASP.NET Core hosts get one).
/// </summary>
public sealed class EphemeralSecretProtector : ISecretProtector, IDisposable
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly AesGcm _aes = new(RandomNumberGenerator.GetBytes(32), TagSize);

    /// <inheritdoc />
    public byte[] Protect(string purpose, ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        _aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(purpose));
        return output;
    }

    /// <inheritdoc />
    public byte[] Unprotect(string purpose, byte[] protectedData)
    {
        ArgumentNullException.ThrowIfNull(protectedData);
        if (protectedData.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The protected data is too short.");
        }

        var plaintext = new byte[protectedData.Length - NonceSize - TagSize];
        _aes.Decrypt(protectedData.AsSpan(0, NonceSize), protectedData.AsSpan(NonceSize + TagSize), protectedData.AsSpan(NonceSize, TagSize), plaintext, Encoding.UTF8.GetBytes(purpose));
        return plaintext;
    }

    /// <inheritdoc />
    public void Dispose() => _aes.Dispose();
}
