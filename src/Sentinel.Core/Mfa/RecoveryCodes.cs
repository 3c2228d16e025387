using System.Security.Cryptography;

namespace Sentinel.Mfa;

/// <summary>
/// Recovery codes: <c>XXXXX-XXXXX</c> from an alphabet without look-alikes (no 0/O, 1/I), 50 random bits each.
/// Input is forgiving: case, spaces and the dash do not matter.
/// </summary>
public static class RecoveryCodes
{
    private const string Alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    private const int Length = 10;

    /// <summary>A new code.</summary>
    public static string New()
    {
        Span<char> chars = stackalloc char[Length];
        for (var i = 0; i < Length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }

        return string.Concat(chars[..5], "-", chars[5..]);
    }

    /// <summary>The canonical form of what a user typed, or null when it cannot be a recovery code.</summary>
    public static string? Normalize(string? input)
    {
        if (input is null || input.Length > 32)
        {
            return null;
        }

        Span<char> chars = stackalloc char[Length];
        var count = 0;
        foreach (var c in input)
        {
            if (c is ' ' or '-')
            {
                continue;
            }

            var upper = char.ToUpperInvariant(c);
            if (count == Length || !Alphabet.Contains(upper, StringComparison.Ordinal))
            {
                return null;
            }

            chars[count++] = upper;
        }

        return count == Length ? string.Concat(chars[..5], "-", chars[5..]) : null;
    }
}
