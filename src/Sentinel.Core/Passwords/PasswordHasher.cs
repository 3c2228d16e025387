using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Sentinel.Passwords;

/// <summary>
/// Sentinel's password hasher: Argon2id (libsodium, PHC string) by default, PBKDF2-HMAC-SHA512 as the FIPS option.
/// Verifies both, plus ASP.NET Core Identity v2 and v3 hashes so apps can migrate; anything not in the current
/// algorithm and parameters verifies as <see cref="PasswordVerification.SuccessRehashNeeded"/>.
/// </summary>
public sealed class PasswordHasher : IPasswordHasher
{
    private const string Pbkdf2Prefix = "$pbkdf2-sha512$";
    private const int Pbkdf2SaltSize = 16;
    private const int Pbkdf2KeySize = 32;

    private readonly PasswordOptions _options;

    /// <summary>Creates a hasher with the configured options.</summary>
    public PasswordHasher(IOptions<SentinelOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value.Passwords;
    }

    /// <inheritdoc />
    public string Hash(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return _options.Algorithm == PasswordHashAlgorithm.Pbkdf2Sha512
            ? HashPbkdf2(password, _options.Pbkdf2Iterations)
            : HashArgon2id(password, _options.Argon2Iterations, _options.Argon2MemoryKiB);
    }

    /// <inheritdoc />
    public PasswordVerification Verify(string hash, string password)
    {
        ArgumentNullException.ThrowIfNull(hash);
        ArgumentNullException.ThrowIfNull(password);

        if (hash.StartsWith("$argon2id$", StringComparison.Ordinal))
        {
            return VerifyArgon2id(hash, password);
        }

        if (hash.StartsWith(Pbkdf2Prefix, StringComparison.Ordinal))
        {
            return VerifyPbkdf2(hash, password);
        }

        // Anything else may be an imported ASP.NET Core Identity hash: always re-hashed after a success.
        return IdentityPasswordHashes.Verify(hash, password) ? PasswordVerification.SuccessRehashNeeded : PasswordVerification.Failed;
    }

    private static string HashArgon2id(string password, int iterations, int memoryKiB)
    {
        var bytes = Utf8(password, out var rented);
        try
        {
            Span<char> encoded = stackalloc char[Geralt.Argon2id.HashSize];
            Geralt.Argon2id.ComputeHash(encoded, bytes, iterations, memoryKiB * 1024);
            return new string(encoded.TrimEnd('\0'));
        }
        finally
        {
            Return(rented, bytes.Length);
        }
    }

    private PasswordVerification VerifyArgon2id(string hash, string password)
    {
        if (hash.Length > Geralt.Argon2id.HashSize || hash.Length < 45)
        {
            return PasswordVerification.Failed;
        }

        var bytes = Utf8(password, out var rented);
        try
        {
            bool ok;
            try
            {
                ok = Geralt.Argon2id.VerifyHash(hash, bytes);
            }
            catch (ArgumentException)
            {
                return PasswordVerification.Failed; // a malformed stored string is a failed match, not a crash
            }

            if (!ok)
            {
                return PasswordVerification.Failed;
            }

            var current = _options.Algorithm == PasswordHashAlgorithm.Argon2id
                && !Geralt.Argon2id.NeedsRehash(hash, _options.Argon2Iterations, _options.Argon2MemoryKiB * 1024);
            return current ? PasswordVerification.Success : PasswordVerification.SuccessRehashNeeded;
        }
        finally
        {
            Return(rented, bytes.Length);
        }
    }

    private static string HashPbkdf2(string password, int iterations)
    {
        Span<byte> salt = stackalloc byte[Pbkdf2SaltSize];
        RandomNumberGenerator.Fill(salt);
        Span<byte> key = stackalloc byte[Pbkdf2KeySize];
        Rfc2898DeriveBytes.Pbkdf2(password, salt, key, iterations, HashAlgorithmName.SHA512);
        return string.Create(CultureInfo.InvariantCulture,
            $"{Pbkdf2Prefix}i={iterations}${ToB64(salt)}${ToB64(key)}");
    }

    private PasswordVerification VerifyPbkdf2(string hash, string password)
    {
        // $pbkdf2-sha512$i=220000$<salt b64>$<key b64>
        var parts = hash.Split('$');
        if (parts.Length != 5 || !parts[2].StartsWith("i=", StringComparison.Ordinal)
            || !int.TryParse(parts[2].AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            || iterations < 1 || iterations > 10_000_000)
        {
            return PasswordVerification.Failed;
        }

        byte[] salt, expected;
        try
        {
            salt = FromB64(parts[3]);
            expected = FromB64(parts[4]);
        }
        catch (FormatException)
        {
            return PasswordVerification.Failed;
        }

        if (salt.Length < 8 || expected.Length < 16)
        {
            return PasswordVerification.Failed;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA512, expected.Length);
        if (!CryptographicOperations.FixedTimeEquals(actual, expected))
        {
            return PasswordVerification.Failed;
        }

        var current = _options.Algorithm == PasswordHashAlgorithm.Pbkdf2Sha512 && iterations >= _options.Pbkdf2Iterations;
        return current ? PasswordVerification.Success : PasswordVerification.SuccessRehashNeeded;
    }

    private static ReadOnlySpan<byte> Utf8(string password, out byte[] rented)
    {
        rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(password.Length));
        var written = Encoding.UTF8.GetBytes(password, rented);
        return rented.AsSpan(0, written);
    }

    private static void Return(byte[] rented, int used)
    {
        CryptographicOperations.ZeroMemory(rented.AsSpan(0, used));
        ArrayPool<byte>.Shared.Return(rented);
    }

    // PHC strings use standard base64 without padding.
    private static string ToB64(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static byte[] FromB64(string text) =>
        Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));
}
