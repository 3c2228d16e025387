using System.Globalization;
using System.Net.Mail;
using System.Text;

namespace Sentinel.Users;

/// <summary>
/// Validates email addresses and normalises them for lookups, so that one mailbox is one account (SECURITY P6): the
/// address is put in Unicode NFKC form (full-width and compatibility characters become their plain forms), the local
/// part is case-folded, and the domain is converted to its IDNA A-label (<see cref="IdnMapping"/>). <c>ｂob@Example.com</c>,
/// <c>BOB@EXAMPLE.COM</c> and <c>bob@example.com</c> normalise alike. The address itself is stored as typed.
/// </summary>
public static class EmailNormalizer
{
    /// <summary>RFC 5321 limits a forward path to 254 characters.</summary>
    public const int MaxLength = 254;

    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    /// <summary>
    /// The lookup form of <paramref name="email"/>: trimmed, NFKC, the local part case-folded, the domain as its
    /// A-label, all upper-case (so an ASCII address normalises as it did before P6). Never throws for bad input: an
    /// address whose domain is no valid IDNA name keeps its NFKC domain, which no registered address can equal.
    /// </summary>
    public static string Normalize(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        var trimmed = email.Trim();
        var text = Nfkc(trimmed) ?? trimmed;
        var at = text.LastIndexOf('@');
        if (at < 0)
        {
            return Fold(text);
        }

        return Fold(text[..at]) + "@" + (AsciiDomain(text[(at + 1)..]) ?? Fold(text[(at + 1)..]));
    }

    // Null for text that is not valid UTF-16 (a lone surrogate), which NFKC refuses.
    private static string? Nfkc(string text)
    {
        try
        {
            return text.IsNormalized(NormalizationForm.FormKC) ? text : text.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    // Lower then upper: the invariant culture's simple case mappings, so that (for example) final and medial sigma
    // fold alike; ASCII comes out as ToUpperInvariant always gave.
    private static string Fold(string text) => text.ToLowerInvariant().ToUpperInvariant();

    private static string? AsciiDomain(string domain)
    {
        if (domain.Length == 0)
        {
            return null;
        }

        try
        {
            return Idn.GetAscii(domain).ToUpperInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }
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
            || !email.AsSpan(at + 1).Contains('.') || email.EndsWith('.')
            || Nfkc(email) is null || AsciiDomain(Nfkc(email[(at + 1)..])!) is null)
        {
            return "Email is not a valid address.";
        }

        return null;
    }
}
