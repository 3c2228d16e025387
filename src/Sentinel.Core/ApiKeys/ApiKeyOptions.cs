using System.Text.RegularExpressions;

namespace Sentinel.ApiKeys;

/// <summary>API keys: format, the scopes the host declares, rotation, rate limits and usage recording.</summary>
public sealed partial class ApiKeyOptions
{
    /// <summary>The key prefix, <c>{prefix}_…</c>: letters, digits and <c>_</c>. Default <c>sk</c>.</summary>
    public string Prefix { get; set; } = "sk";

    /// <summary>The scopes that exist. A key can hold only these (SECURITY K3).</summary>
    public ApiKeyScopes Scopes { get; } = new();

    /// <summary>Scopes every signed-in (bearer) user holds, whatever their roles. Default none.</summary>
    public IList<string> DefaultUserScopes { get; } = [];

    /// <summary>Scopes a bearer user holds through a role (role name to scopes).</summary>
    public IDictionary<string, string[]> RoleScopes { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal);

    /// <summary>After a rotation the old key keeps working this long. Default 24 hours; zero stops it at once.</summary>
    public TimeSpan RotationGracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Requests a key may make per <see cref="RateLimitWindow"/> (a fixed window from the first request). Default 600; 0 turns limits off.</summary>
    public int RateLimitPermits { get; set; } = 600;

    /// <summary>The length of a key's request window. Default 1 minute.</summary>
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How many verified keys are held in memory (about 300 bytes each). When full, the longest-held key makes room
    /// for the new one and is looked up in the store again at its next use. Default 1,000,000; 0 keeps none (every
    /// verification reads the store).
    /// </summary>
    public int CacheSize { get; set; } = 1_000_000;

    /// <summary>
    /// How long a verified key is served from memory before it is read from the store again. A revocation or rotation
    /// made in this process takes effect at once; one made by another instance sharing the database takes effect
    /// here within this interval (SECURITY K4 across instances). Default 1 minute: one store read per busy key per
    /// minute. 0 never re-reads (one instance only).
    /// </summary>
    public TimeSpan CacheRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often, at most, a key's <c>lastUsedAt</c> and an aggregated <c>apikey.used</c> event are written. Default 1 minute.</summary>
    public TimeSpan UsageWriteInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Keys one user may hold (unrevoked). Default 100.</summary>
    public int MaxKeysPerUser { get; set; } = 100;

    /// <summary>True when <paramref name="prefix"/> is letters, digits and <c>_</c>, 1 to 16 characters.</summary>
    public static bool IsValidPrefix(string? prefix) => prefix is not null && PrefixPattern().IsMatch(prefix);

    [GeneratedRegex("^[A-Za-z0-9_]{1,16}$")]
    private static partial Regex PrefixPattern();

    /// <summary>Adds what is wrong with these settings to <paramref name="result"/>, each with its configuration key and how to fix it.</summary>
    internal void Validate(Microsoft.Extensions.Options.ValidateOptionsResultBuilder result)
    {
        var k = this;
        if (!ApiKeys.ApiKeyOptions.IsValidPrefix(k.Prefix))
        {
            result.AddError("must be 1 to 16 letters, digits or '_' (default sk).", "Sentinel:ApiKeys:Prefix");
        }

        if (k.RotationGracePeriod < TimeSpan.Zero)
        {
            result.AddError("must be zero or positive (default 1.00:00:00).", "Sentinel:ApiKeys:RotationGracePeriod");
        }

        if (k.RateLimitPermits < 0 || k.RateLimitWindow <= TimeSpan.Zero)
        {
            result.AddError("RateLimitPermits must be 0 (off) or more, and RateLimitWindow positive.", "Sentinel:ApiKeys:RateLimitPermits");
        }

        if (k.CacheSize < 0)
        {
            result.AddError("must be 0 (no cache) or more (default 1000000).", "Sentinel:ApiKeys:CacheSize");
        }

        if (k.CacheRefreshInterval < TimeSpan.Zero)
        {
            result.AddError("must be zero (never re-read) or positive (default 00:01:00).", "Sentinel:ApiKeys:CacheRefreshInterval");
        }

        if (k.UsageWriteInterval < TimeSpan.FromSeconds(1))
        {
            result.AddError("must be at least 00:00:01 (default 00:01:00).", "Sentinel:ApiKeys:UsageWriteInterval");
        }

        if (k.MaxKeysPerUser < 1)
        {
            result.AddError("must be at least 1 (default 100).", "Sentinel:ApiKeys:MaxKeysPerUser");
        }

        foreach (var scope in k.DefaultUserScopes.Concat(k.RoleScopes.Values.SelectMany(v => v)).Where(s => !k.Scopes.Contains(s)))
        {
            result.AddError($"grants the undeclared scope '{scope}'; declare it with o.ApiKeys.Scopes.Add(\"{scope}\", \"…\").", "Sentinel:ApiKeys:RoleScopes");
        }    }
}

/// <summary>The scopes a host declares, with descriptions.</summary>
public sealed class ApiKeyScopes
{
    private readonly Dictionary<string, string> _scopes = new(StringComparer.Ordinal);

    /// <summary>Declares a scope such as <c>reports:read</c>.</summary>
    public ApiKeyScopes Add(string name, string description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _scopes[name] = description ?? "";
        return this;
    }

    /// <summary>True when <paramref name="name"/> is declared.</summary>
    public bool Contains(string name) => _scopes.ContainsKey(name);

    /// <summary>Every declared scope and its description.</summary>
    public IReadOnlyDictionary<string, string> All => _scopes;
}
