using System.Collections.Frozen;

namespace Sentinel.Passwords;

/// <summary>
/// The 10,000 most common passwords (SecLists, MIT), shipped as an embedded resource and compared
/// case-insensitively. Loaded once, on first use.
/// </summary>
public static class CommonPasswords
{
    private static readonly Lazy<FrozenSet<string>> Set = new(Load);

    /// <summary>How many distinct (case-insensitive) entries the list holds.</summary>
    public static int Count => Set.Value.Count;

    /// <summary>True when <paramref name="password"/> is on the list, ignoring case.</summary>
    public static bool Contains(string password) => Set.Value.Contains(password);

    private static FrozenSet<string> Load()
    {
        using var stream = typeof(CommonPasswords).Assembly.GetManifestResourceStream("Sentinel.Passwords.common-passwords.txt")
            ?? throw new InvalidOperationException("The embedded common-password list is missing from Sentinel.Core.");
        using var reader = new StreamReader(stream);
        var entries = new List<string>(10_000);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                entries.Add(line);
            }
        }

        return entries.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }
}
