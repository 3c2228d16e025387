namespace Sentinel.RateLimiting;

/// <summary>
/// Per-client-address limits on Sentinel's endpoints (IPv6 counted per /64, within shared budgets per /56 and /48). Per-account protection is the
/// lockout (<see cref="SignIn.LockoutOptions"/>); these catch one address trying many accounts (credential
/// stuffing), flooding registration, or hammering refresh. Behind a proxy, configure ASP.NET Core's forwarded
/// headers with the proxy's address so that the client's address is the one counted.
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Whether the limits apply (default <c>true</c>).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>POST /login</c> and <c>POST /login/mfa</c> (default 20 per minute per address).</summary>
    public RateLimitRule SignIn { get; } = new(20, TimeSpan.FromMinutes(1));

    /// <summary><c>POST /refresh</c> (default 60 per minute per address).</summary>
    public RateLimitRule Refresh { get; } = new(60, TimeSpan.FromMinutes(1));

    /// <summary><c>POST /register</c> (default 20 per hour per address).</summary>
    public RateLimitRule Registration { get; } = new(20, TimeSpan.FromHours(1));

    /// <summary>API key creation and rotation (default 30 per hour per address).</summary>
    public RateLimitRule ApiKeyCreation { get; } = new(30, TimeSpan.FromHours(1));

    /// <summary><c>POST /password/forgot</c> and <c>POST /email/resend</c> (default 20 per hour per address).</summary>
    public RateLimitRule AccountRecovery { get; } = new(20, TimeSpan.FromHours(1));

    /// <summary>Every Sentinel endpoint together (default 600 per minute per address); the host's own endpoints are not counted.</summary>
    public RateLimitRule Global { get; } = new(600, TimeSpan.FromMinutes(1));

    /// <summary>
    /// How many times a rule's per-address budget one IPv6 /56 (256 /64 networks) shares (default 4). A client is counted
    /// per /64; without this, a host holding a /56 would have 256 budgets.
    /// </summary>
    public int Ipv6Slash56Factor { get; set; } = 4;

    /// <summary>How many times a rule's per-address budget one IPv6 /48 (65,536 /64 networks) shares (default 16).</summary>
    public int Ipv6Slash48Factor { get; set; } = 16;

    /// <summary>Every rule, by name, for validation.</summary>
    internal IEnumerable<(string Name, RateLimitRule Rule)> All =>
    [
        (nameof(SignIn), SignIn), (nameof(Refresh), Refresh), (nameof(Registration), Registration),
        (nameof(ApiKeyCreation), ApiKeyCreation), (nameof(AccountRecovery), AccountRecovery), (nameof(Global), Global),
    ];

    /// <summary>Adds what is wrong with these settings to <paramref name="result"/>, each with its configuration key and how to fix it.</summary>
    internal void Validate(Microsoft.Extensions.Options.ValidateOptionsResultBuilder result)
    {
        if (Ipv6Slash56Factor < 1 || Ipv6Slash48Factor < Ipv6Slash56Factor || Ipv6Slash48Factor > 65_536)
        {
            result.AddError("needs 1 <= Ipv6Slash56Factor <= Ipv6Slash48Factor <= 65536 (defaults 4 and 16).", "Sentinel:RateLimits:Ipv6Slash56Factor");
        }

        foreach (var (ruleName, rule) in All)
        {
            if (rule.PermitLimit < 1 || rule.Window <= TimeSpan.Zero)
            {
                result.AddError("needs PermitLimit of at least 1 and a positive Window; set RateLimits.Enabled = false to turn limits off.", "Sentinel:RateLimits:" + ruleName);
            }
        }
    }
}

/// <summary>A fixed window: at most <see cref="PermitLimit"/> requests per <see cref="Window"/>.</summary>
/// <param name="permitLimit">Requests allowed per window.</param>
/// <param name="window">The window's length.</param>
public sealed class RateLimitRule(int permitLimit, TimeSpan window)
{
    /// <summary>Requests allowed per window.</summary>
    public int PermitLimit { get; set; } = permitLimit;

    /// <summary>The window's length.</summary>
    public TimeSpan Window { get; set; } = window;
}
