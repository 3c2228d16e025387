using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Sentinel.Passwords;

/// <summary>
/// Verifies hashes made by ASP.NET Core Identity's <c>PasswordHasher&lt;TUser&gt;</c> so that users move to
/// Sentinel without resetting passwords. Formats (base64 of):
/// v2 = 0x00 | salt(16) | PBKDF2-HMAC-SHA1, 1,000 iterations, subkey(32);
/// v3 = 0x01 | prf(uint32 BE) | iterations(uint32 BE) | saltLength(uint32 BE) | salt | subkey.
/// </summary>
internal static class IdentityPasswordHashes
{
    private const int MaxIterations = 10_000_000;

    public static bool Verify(string hash, string password)
    {
        if (hash.Length is 0 or > 1024)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[1024];
        if (!Convert.TryFromBase64String(hash, decoded, out var length) || length == 0)
        {
            return false;
        }

        decoded = decoded[..length];
        return decoded[0] switch
        {
            0x00 => VerifyV2(decoded, password),
            0x01 => VerifyV3(decoded, password),
            _ => false,
        };
    }

    private static bool VerifyV2(ReadOnlySpan<byte> decoded, string password)
    {
        const int saltSize = 16, subkeySize = 32;
        if (decoded.Length != 1 + saltSize + subkeySize)
        {
            return false;
        }

        var salt = decoded.Slice(1, saltSize);
        var expected = decoded.Slice(1 + saltSize, subkeySize);
        Span<byte> actual = stackalloc byte[subkeySize];
        Rfc2898DeriveBytes.Pbkdf2(password, salt, actual, 1000, HashAlgorithmName.SHA1);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static bool VerifyV3(ReadOnlySpan<byte> decoded, string password)
    {
        if (decoded.Length < 13)
        {
            return false;
        }

        var prf = BinaryPrimitives.ReadUInt32BigEndian(decoded[1..]);
        var iterations = BinaryPrimitives.ReadUInt32BigEndian(decoded[5..]);
        var saltLength = BinaryPrimitives.ReadUInt32BigEndian(decoded[9..]);
        HashAlgorithmName? algorithm = prf switch
        {
            0 => HashAlgorithmName.SHA1,
            1 => HashAlgorithmName.SHA256,
            2 => HashAlgorithmName.SHA512,
            _ => null,
        };

        if (algorithm is null || iterations is 0 or > MaxIterations || saltLength < 16 || 13 + saltLength >= decoded.Length)
        {
            return false;
        }

        var salt = decoded.Slice(13, (int)saltLength);
        var expected = decoded[(13 + (int)saltLength)..];
        if (expected.Length < 16)
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[expected.Length];
        Rfc2898DeriveBytes.Pbkdf2(password, salt, actual, (int)iterations, algorithm.Value);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
