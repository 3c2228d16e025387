using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Sentinel.SignIn;

/// <summary>
/// The device token's format: <c>dev_</c> and 256 random bits (base64url), stored only as its SHA-256 (a
/// <see cref="Email.OneTimeTokenPurpose.DeviceRecognition"/> one-time token, replaced at each sign-in).
/// </summary>
internal static class DeviceTokens
{
    private const string Prefix = "dev_";
    private const int Length = 4 + 43;

    /// <summary>A new token and the hash to store.</summary>
    public static (string Token, string Hash) Create()
    {
        var token = Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (token, Hash(token));
    }

    /// <summary>The hash of a well-formed token; null for anything else (nothing is looked up for it).</summary>
    public static string? HashOf(string? token) =>
        token is { Length: Length } && token.StartsWith(Prefix, StringComparison.Ordinal) && Base64Url.IsValid(token.AsSpan(Prefix.Length))
            ? Hash(token)
            : null;

    private static string Hash(string token) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
}
