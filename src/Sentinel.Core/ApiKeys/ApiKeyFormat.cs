using System.Buffers.Text;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace Sentinel.ApiKeys;

/// <summary>
/// The key format: <c>{prefix}_{43 random base62}{6 base62 CRC32}</c>. 43 base62 characters carry 256 random
/// bits (SECURITY K1); the CRC32 of everything before it lets a mistyped or made-up key be refused without a
/// store lookup (SECURITY K2) and lets secret scanners recognise leaked keys. The regular expression for the default
/// prefix is <c>\bsk_[0-9A-Za-z]{49}\b</c>.
/// </summary>
public static class ApiKeyFormat
{
    /// <summary>Random characters.</summary>
    public const int RandomLength = 43;

    /// <summary>Checksum characters.</summary>
    public const int ChecksumLength = 6;

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>How many characters of a key are shown back (<c>displayPrefix</c>).</summary>
    public static int DisplayLength(string prefix) => (prefix?.Length ?? 0) + 1 + 6;

    /// <summary>A new key with <paramref name="prefix"/>.</summary>
    public static string New(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var chars = new char[prefix.Length + 1 + RandomLength + ChecksumLength];
        prefix.CopyTo(chars);
        chars[prefix.Length] = '_';
        var random = chars.AsSpan(prefix.Length + 1, RandomLength);
        for (var i = 0; i < random.Length; i++)
        {
            random[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }

        WriteChecksum(chars.AsSpan(0, chars.Length - ChecksumLength), chars.AsSpan(chars.Length - ChecksumLength));
        return new string(chars);
    }

    /// <summary>True when <paramref name="key"/> has the shape and a correct checksum. Costs no allocation.</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> key, string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (key.Length != prefix.Length + 1 + RandomLength + ChecksumLength
            || !key.StartsWith(prefix, StringComparison.Ordinal) || key[prefix.Length] != '_')
        {
            return false;
        }

        foreach (var c in key[(prefix.Length + 1)..])
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        Span<char> expected = stackalloc char[ChecksumLength];
        WriteChecksum(key[..^ChecksumLength], expected);
        return key[^ChecksumLength..].SequenceEqual(expected);
    }

    /// <summary>The store key: base64url SHA-256 of the whole key.</summary>
    public static string Hash(ReadOnlySpan<char> key)
    {
        Span<char> hash = stackalloc char[HashLength];
        WriteHash(key, hash);
        return new string(hash);
    }

    /// <summary>Length of <see cref="Hash"/>: 32 bytes in unpadded base64url.</summary>
    internal const int HashLength = 43;

    /// <summary>Writes <see cref="Hash"/> into <paramref name="destination"/> (<see cref="HashLength"/> chars), allocating nothing.</summary>
    internal static void WriteHash(ReadOnlySpan<char> key, Span<char> destination)
    {
        Span<byte> ascii = stackalloc byte[key.Length];
        Encoding.ASCII.GetBytes(key, ascii);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(ascii, digest);
        Base64Url.EncodeToChars(digest, destination);
    }

    private static void WriteChecksum(ReadOnlySpan<char> body, Span<char> destination)
    {
        Span<byte> ascii = stackalloc byte[body.Length];
        Encoding.ASCII.GetBytes(body, ascii);
        var crc = Crc32.HashToUInt32(ascii);
        for (var i = ChecksumLength - 1; i >= 0; i--)
        {
            destination[i] = Alphabet[(int)(crc % 62)];
            crc /= 62;
        }
    }
}
