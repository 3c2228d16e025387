using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Sentinel.Mfa;

/// <summary>
/// MFA challenge tokens are opaque: 256 random bits, and the store keeps only a hash of them as the challenge's id.
/// Not a JWT, so nothing that verifies from the published JWKS can take one for a sign-in (SECURITY T10); the
/// challenge row makes it single use, expiring and limited in wrong codes (M5).
/// </summary>
internal static class MfaChallengeTokens
{
    private const string Prefix = "mfa_";
    private const int RandomBytes = 32;
    private static readonly int TokenLength = Prefix.Length + Base64UrlLength(RandomBytes);

    /// <summary>A new token and the id its challenge is stored under.</summary>
    public static (string Token, Guid ChallengeId) Create()
    {
        var token = Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(RandomBytes));
        return (token, ChallengeIdOf(token));
    }

    /// <summary>The id of the challenge <paramref name="token"/> stands for; false for anything not shaped as one.</summary>
    public static bool TryRead(string? token, out Guid challengeId)
    {
        challengeId = default;
        if (token is null || token.Length != TokenLength || !token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        challengeId = ChallengeIdOf(token);
        return true;
    }

    // The first 128 bits of SHA-256: a database read of the ids gives nothing that redeems a challenge.
    private static Guid ChallengeIdOf(string token)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.ASCII.GetBytes(token), hash);
        return new Guid(hash[..16]);
    }

    private static int Base64UrlLength(int bytes) => ((bytes * 4) + 2) / 3;
}
