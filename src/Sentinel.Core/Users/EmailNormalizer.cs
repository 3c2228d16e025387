using System.Net.Mail;

namespace Sentinel.Users;

/// <summary>Validates and normalises email addresses so that lookups are case-insensitive.</summary>
public static class EmailNormalizer
{
    /// <summary>RFC 5321 limits a forward path to 254 characters.</summary>
    public const int MaxLength = 254;

    /// <summary>Trims and upper-cases (invariant) an email for lookups.</summary>
    public static string Normalize(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        return email.Trim().ToUpperInvariant();
    }

    /// <summary>Returns null when <paramref name="email"/> (already trimmed) is a plausible address, else the reason.</summary>
    public static string? Validate(string email)
    {
        if (string.IsNullOrWhiteSpace(email))
        {
            return "Email is required.";
        }

        if (email.Length > MaxLength)
        {
            return $"Email must be at most {MaxLength} characters.";
        }

        foreach (var c in email)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                return "Email must not contain spaces or control characters.";
            }
        }

        var at = email.LastIndexOf('@');
        if (at <= 0 || at == email.Length - 1 || email.IndexOf('@', StringComparison.Ordinal) != at
            || !MailAddress.TryCreate(email, out var parsed) || !string.Equals(parsed.Address, email, StringComparison.Ordinal)
            || !email.AsSpan(at + 1).Contains('.') || email.EndsWith('.'))
        {
            return "Email is not a valid address.";
        }

        return null;
    }
}
