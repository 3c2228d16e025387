using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Sentinel.Secrets;

namespace Sentinel.AspNetCore.Hosting;

/// <summary>
/// <see cref="ISecretProtector"/> over ASP.NET Core Data Protection (keys persist with the host's key ring). Counts
/// what it could not decrypt, by purpose, for the <c>sentinel_data_protection</c> health check: secrets another
/// instance protected are unreadable here when the instances' key rings or application names differ.
/// </summary>
internal sealed class DataProtectionSecretProtector(IDataProtectionProvider provider) : ISecretProtector
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _failures = new(StringComparer.Ordinal);

    /// <summary>How many times each purpose failed to decrypt since start.</summary>
    public IReadOnlyDictionary<string, long> Failures => _failures;

    public byte[] Protect(string purpose, ReadOnlySpan<byte> plaintext) => provider.CreateProtector(purpose).Protect(plaintext.ToArray());

    public byte[] Unprotect(string purpose, byte[] protectedData)
    {
        try
        {
            return provider.CreateProtector(purpose).Unprotect(protectedData);
        }
        catch (CryptographicException)
        {
            _failures.AddOrUpdate(purpose, 1, (_, n) => n + 1);
            throw;
        }
    }
}
