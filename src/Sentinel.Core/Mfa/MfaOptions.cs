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
