namespace Sentinel.Mfa;

/// <summary>TOTP two-factor settings (RFC 6238) and the MFA sign-in challenge.</summary>
public sealed class MfaOptions
{
    /// <summary>The issuer shown in authenticator apps (the <c>otpauth://</c> label and <c>issuer</c>). Default <c>Sentinel</c>.</summary>
    public string Issuer { get; set; } = "Sentinel";

    /// <summary>The TOTP hash. Default SHA1, the one every authenticator app supports.</summary>
    public TotpAlgorithm Algorithm { get; set; } = TotpAlgorithm.Sha1;

    /// <summary>Code length, 6 or 8. Default 6.</summary>
    public int Digits { get; set; } = 6;

    /// <summary>Time step. Default 30 seconds.</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Steps accepted either side of now. Default 1 (SECURITY M4); at most 2.</summary>
    public int Window { get; set; } = 1;

    /// <summary>How long an MFA challenge token lives. Default 5 minutes.</summary>
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Wrong codes after which a challenge token dies. Default 5.</summary>
    public int MaxChallengeAttempts { get; set; } = 5;

    /// <summary>Recovery codes per set. Default 10.</summary>
    public int RecoveryCodeCount { get; set; } = 10;

    /// <summary>Adds what is wrong with these settings to <paramref name="result"/>, each with its configuration key and how to fix it.</summary>
    internal void Validate(Microsoft.Extensions.Options.ValidateOptionsResultBuilder result)
    {
        var m = this;
        if (string.IsNullOrWhiteSpace(m.Issuer) || m.Issuer.Contains(':', StringComparison.Ordinal))
        {
            result.AddError("must be set and must not contain ':' (it is the otpauth:// label prefix).", "Sentinel:Mfa:Issuer");
        }

        if (m.Digits is not (6 or 8))
        {
            result.AddError("must be 6 or 8.", "Sentinel:Mfa:Digits");
        }

        if (m.Period < TimeSpan.FromSeconds(15) || m.Period > TimeSpan.FromMinutes(5) || m.Period.Milliseconds != 0)
        {
            result.AddError("must be whole seconds between 15 and 300 (default 30).", "Sentinel:Mfa:Period");
        }

        if (m.Window is < 0 or > 2)
        {
            result.AddError("must be 0, 1 (the default, SECURITY M4) or 2.", "Sentinel:Mfa:Window");
        }

        if (m.ChallengeLifetime < TimeSpan.FromSeconds(30) || m.ChallengeLifetime > TimeSpan.FromMinutes(30))
        {
            result.AddError("must be between 00:00:30 and 00:30:00 (default 00:05:00).", "Sentinel:Mfa:ChallengeLifetime");
        }

        if (m.MaxChallengeAttempts is < 1 or > 20)
        {
            result.AddError("must be between 1 and 20 (default 5).", "Sentinel:Mfa:MaxChallengeAttempts");
        }

        if (m.RecoveryCodeCount is < 1 or > 50)
        {
            result.AddError("must be between 1 and 50 (default 10).", "Sentinel:Mfa:RecoveryCodeCount");
        }    }
}

/// <summary>TOTP HMAC algorithms.</summary>
public enum TotpAlgorithm
{
    /// <summary>HMAC-SHA1 (the default of every authenticator app).</summary>
    Sha1,
    /// <summary>HMAC-SHA256.</summary>
    Sha256,
    /// <summary>HMAC-SHA512.</summary>
    Sha512,
}
