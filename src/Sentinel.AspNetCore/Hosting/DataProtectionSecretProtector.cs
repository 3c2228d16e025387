using Microsoft.AspNetCore.DataProtection;
using Sentinel.Secrets;

namespace Sentinel.AspNetCore.Hosting;

/// <summary><see cref="ISecretProtector"/> over ASP.NET Core Data Protection (keys persist with the host's key ring).</summary>
internal sealed class DataProtectionSecretProtector(IDataProtectionProvider provider) : ISecretProtector
{
    public byte[] Protect(string purpose, ReadOnlySpan<byte> plaintext) => provider.CreateProtector(purpose).Protect(plaintext.ToArray());

    public byte[] Unprotect(string purpose, byte[] protectedData) => provider.CreateProtector(purpose).Unprotect(protectedData);
}
