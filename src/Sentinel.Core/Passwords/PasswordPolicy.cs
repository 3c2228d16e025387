using System.Globalization;
using Microsoft.Extensions.Options;

namespace Sentinel.Passwords;

/// <summary>
/// NIST SP 800-63B password rules: a minimum length in code points, a generous maximum, no composition rules,
/// no common or context-specific (the user's email) passwords. Every refusal says why.
/// </summary>
public sealed class PasswordPolicy
{
    private readonly PasswordOptions _options;

    /// <summary>Creates the policy from the configured options.</summary>
    public PasswordPolicy(IOptions<SentinelOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value.Passwords;
    }

    /// <summary>Returns the reasons <paramref name="password"/> is refused for the account <paramref name="email"/>; empty when it is accepted.</summary>
    public IReadOnlyList<string> Validate(string? password, string? email)
    {
        if (string.IsNullOrEmpty(password))
        {
            return ["Password is required."];
        }

        var reasons = new List<string>();
        var length = CountCodePoints(password);
        if (length < _options.MinimumLength)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"Password must be at least {_options.MinimumLength} characters."));
        }

        if (length > _options.MaximumLength)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"Password must be at most {_options.MaximumLength} characters."));
        }

        if (_options.BlockCommonPasswords && CommonPasswords.Contains(password))
        {
            reasons.Add("Password is one of the most common passwords; choose another.");
        }

        if (!string.IsNullOrWhiteSpace(email) && ResemblesEmail(password, email.Trim()))
        {
            reasons.Add("Password must not contain your email address or its name part.");
        }

        return reasons;
    }

    private static int CountCodePoints(string value)
    {
        var count = 0;
        foreach (var _ in value.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    private static bool ResemblesEmail(string password, string email)
    {
        if (password.Contains(email, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var at = email.IndexOf('@', StringComparison.Ordinal);
        var local = at > 0 ? email[..at] : email;
        // Very short name parts ("jo@…") would refuse too many good passwords; compare whole for those.
        return local.Length >= 4
            ? password.Contains(local, StringComparison.OrdinalIgnoreCase)
            : string.Equals(password, local, StringComparison.OrdinalIgnoreCase);
    }
}
