namespace Sentinel.Passkeys;

/// <summary>Whether a passkey ceremony requires the authenticator to verify the user (PIN, biometrics).</summary>
public enum PasskeyUserVerification
{
    /// <summary>Required (the default): a passkey alone is then two factors, possession and the user's verification.</summary>
    Required,

    /// <summary>Asked for but not required; a passkey sign-in without it is one factor and does not satisfy MFA.</summary>
    Preferred,
}

/// <summary>
/// Passkeys (WebAuthn Level 3), bound from <c>Sentinel:Passkeys</c>. Off until <see cref="RelyingPartyId"/> is set:
/// the relying party is the site's domain, and credentials made for one domain never work on another.
/// </summary>
public sealed class PasskeyOptions
{
    /// <summary>
    /// The relying party id: the registrable domain the passkeys belong to, for example <c>example.com</c> (the
    /// sample: <c>localhost</c>). No scheme, port or path. Null (the default) turns passkeys off.
    /// </summary>
    public string? RelyingPartyId { get; set; }

    /// <summary>The name authenticators show beside the account. Default <c>Sentinel</c>; set your product's name.</summary>
    public string RelyingPartyName { get; set; } = "Sentinel";

    /// <summary>
    /// The origins a ceremony may come from, for example <c>https://app.example.com</c>: each one's host is the
    /// relying party id or under it, https (http only for <c>localhost</c>), with no path.
    /// </summary>
    public IList<string> Origins { get; } = new List<string>();

    /// <summary>How long a ceremony's challenge can be answered. Default 5 minutes.</summary>
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether the authenticator must verify the user. Default <see cref="PasskeyUserVerification.Required"/>.</summary>
    public PasskeyUserVerification UserVerification { get; set; } = PasskeyUserVerification.Required;

    /// <summary>True when passkeys are configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(RelyingPartyId);

    /// <summary>Adds what is wrong with these settings to <paramref name="result"/>, each with its configuration key and how to fix it.</summary>
    internal void Validate(Microsoft.Extensions.Options.ValidateOptionsResultBuilder result)
    {
        if (ChallengeLifetime < TimeSpan.FromSeconds(30) || ChallengeLifetime > TimeSpan.FromMinutes(10))
        {
            result.AddError("must be between 00:00:30 and 00:10:00 (default 00:05:00).", "Sentinel:Passkeys:ChallengeLifetime");
        }

        if (!Enabled)
        {
            if (Origins.Count > 0)
            {
                result.AddError("must be set when Origins are: the domain the passkeys belong to, for example example.com.", "Sentinel:Passkeys:RelyingPartyId");
            }

            return;
        }

        var rpId = RelyingPartyId!.Trim();
        if (Uri.CheckHostName(rpId) != UriHostNameType.Dns || rpId.Contains(':', StringComparison.Ordinal) || !string.Equals(rpId, rpId.ToLowerInvariant(), StringComparison.Ordinal))
        {
            result.AddError($"must be a lower-case domain with no scheme, port or path, for example example.com (it is '{rpId}').", "Sentinel:Passkeys:RelyingPartyId");
            return;
        }

        if (string.IsNullOrWhiteSpace(RelyingPartyName))
        {
            result.AddError("must not be empty: authenticators show it beside the account.", "Sentinel:Passkeys:RelyingPartyName");
        }

        if (Origins.Count == 0)
        {
            result.AddError($"must list at least one origin, for example https://{rpId}.", "Sentinel:Passkeys:Origins");
        }

        foreach (var origin in Origins)
        {
            if (OriginProblem(origin, rpId) is { } problem)
            {
                result.AddError($"'{origin}' {problem}", "Sentinel:Passkeys:Origins");
            }
        }
    }

    /// <summary>Why <paramref name="origin"/> cannot serve the relying party <paramref name="rpId"/>, or null when it can.</summary>
    internal static string? OriginProblem(string origin, string rpId)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            return "is not an http(s) origin such as https://app.example.com.";
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            return "must be an origin only: scheme, host and port, no path.";
        }

        var host = uri.IdnHost;
        if (!string.Equals(host, rpId, StringComparison.OrdinalIgnoreCase) && !host.EndsWith("." + rpId, StringComparison.OrdinalIgnoreCase))
        {
            return $"is not on the relying party's domain: its host must be {rpId} or under it (WebAuthn refuses the ceremony otherwise).";
        }

        if (uri.Scheme == "http" && !string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return "must use https: browsers allow passkeys over http only on localhost.";
        }

        return null;
    }
}
