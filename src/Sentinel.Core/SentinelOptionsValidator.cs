using Microsoft.Extensions.Options;
using Sentinel.Passwords;

namespace Sentinel;

/// <summary>Checks <see cref="SentinelOptions"/> as a whole at start-up and says how to fix each problem.</summary>
public sealed class SentinelOptionsValidator : IValidateOptions<SentinelOptions>
{
    /// <summary>The smallest Argon2id memory Sentinel accepts, in KiB (libsodium's floor is 8 KiB).</summary>
    public const int MinimumArgon2MemoryKiB = 8;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SentinelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new ValidateOptionsResultBuilder();
        var p = options.Passwords;
        if (p.MinimumLength < 1)
        {
            result.AddError("must be at least 1; NIST 800-63B recommends 8 or more.", "Sentinel:Passwords:MinimumLength");
        }

        if (p.MaximumLength < 64)
        {
            result.AddError("must be at least 64 so that long passphrases are accepted (NIST 800-63B).", "Sentinel:Passwords:MaximumLength");
        }

        if (p.MaximumLength < p.MinimumLength)
        {
            result.AddError("must not be below MinimumLength.", "Sentinel:Passwords:MaximumLength");
        }

        if (!Enum.IsDefined(p.Algorithm))
        {
            result.AddError("must be Argon2id or Pbkdf2Sha512.", "Sentinel:Passwords:Algorithm");
        }

        if (p.Argon2MemoryKiB < MinimumArgon2MemoryKiB || p.Argon2MemoryKiB > 4 * 1024 * 1024)
        {
            result.AddError("must be between 8 KiB and 4 GiB; OWASP recommends 19456 (19 MiB) with 2 iterations.", "Sentinel:Passwords:Argon2MemoryKiB");
        }

        if (p.Argon2Iterations < 1)
        {
            result.AddError("must be at least 1; OWASP recommends 2 with 19 MiB.", "Sentinel:Passwords:Argon2Iterations");
        }

        if (p.Pbkdf2Iterations < 1)
        {
            result.AddError("must be at least 1; OWASP recommends 220000 for PBKDF2-HMAC-SHA512.", "Sentinel:Passwords:Pbkdf2Iterations");
        }

        var l = options.Lockout;
        if (l.MaxFailedAttempts < 1 || l.MaxFailedAttempts > 100)
        {
            result.AddError("must be between 1 and 100 (SECURITY P4: lock well under 100 attempts).", "Sentinel:Lockout:MaxFailedAttempts");
        }

        if (l.LockoutDuration <= TimeSpan.Zero)
        {
            result.AddError("must be positive, for example 00:05:00.", "Sentinel:Lockout:LockoutDuration");
        }

        if (l.MaxLockoutDuration < l.LockoutDuration)
        {
            result.AddError("must be at least LockoutDuration.", "Sentinel:Lockout:MaxLockoutDuration");
        }

        ValidateTokens(options.Tokens, result);
        ValidateMfa(options.Mfa, result);
        ValidateApiKeys(options.ApiKeys, result);
        ValidateAudit(options.Audit, result);
        ValidateEmail(options.Email, result);
        foreach (var (ruleName, rule) in options.RateLimits.All)
        {
            if (rule.PermitLimit < 1 || rule.Window <= TimeSpan.Zero)
            {
                result.AddError("needs PermitLimit of at least 1 and a positive Window; set RateLimits.Enabled = false to turn limits off.", "Sentinel:RateLimits:" + ruleName);
            }
        }

        if (options.Cluster.ReloadInterval <= TimeSpan.Zero || options.Cluster.ReloadInterval > TimeSpan.FromHours(1))
        {
            result.AddError("must be positive and at most an hour, for example 00:01:00: it bounds how long another instance's revocation can go unseen.", "Sentinel:Cluster:ReloadInterval");
        }

        return result.Build();
    }

    private static void ValidateTokens(Tokens.TokenOptions t, ValidateOptionsResultBuilder result)
    {
        if (string.IsNullOrWhiteSpace(t.Issuer))
        {
            result.AddError("must be set, usually to the API's base URL (https://api.example.com).", "Sentinel:Tokens:Issuer");
        }

        if (string.IsNullOrWhiteSpace(t.ClientId))
        {
            result.AddError("must be set; it becomes the client_id claim.", "Sentinel:Tokens:ClientId");
        }

        if (t.AccessTokenLifetime < TimeSpan.FromSeconds(30) || t.AccessTokenLifetime > TimeSpan.FromDays(1))
        {
            result.AddError("must be between 00:00:30 and 1.00:00:00; short is safer (default 00:15:00).", "Sentinel:Tokens:AccessTokenLifetime");
        }

        if (t.ClockSkew < TimeSpan.Zero || t.ClockSkew > TimeSpan.FromMinutes(5))
        {
            result.AddError("must be between 0 and 00:05:00 (default 00:00:30).", "Sentinel:Tokens:ClockSkew");
        }

        if (t.SessionIdleTimeout <= TimeSpan.Zero || t.SessionAbsoluteLifetime < t.SessionIdleTimeout)
        {
            result.AddError("must be positive and at most SessionAbsoluteLifetime.", "Sentinel:Tokens:SessionIdleTimeout");
        }

        if (t.RefreshTokenReuseLeeway < TimeSpan.Zero || t.RefreshTokenReuseLeeway > TimeSpan.FromMinutes(1))
        {
            result.AddError("must be between 0 (the default: every replay revokes the session) and 00:01:00.", "Sentinel:Tokens:RefreshTokenReuseLeeway");
        }

        if (t.KeyRotationInterval < TimeSpan.FromHours(1) || t.KeyPublicationLeadTime < TimeSpan.Zero || t.KeyPublicationLeadTime >= t.KeyRotationInterval)
        {
            result.AddError("KeyRotationInterval must be at least 01:00:00 and KeyPublicationLeadTime between 0 and KeyRotationInterval.", "Sentinel:Tokens:KeyRotationInterval");
        }

        if (t.ValidatedTokenCacheSize < 0)
        {
            result.AddError("must be 0 (off) or more.", "Sentinel:Tokens:ValidatedTokenCacheSize");
        }

        if (!Enum.IsDefined(t.SigningAlgorithm))
        {
            result.AddError("must be ES256, RS256 or HS256.", "Sentinel:Tokens:SigningAlgorithm");
        }
        else if (t.SigningAlgorithm == Tokens.SigningAlgorithm.HS256)
        {
            // SECURITY T6: an HMAC secret shorter than 256 bits is refused at start-up.
            var bytes = new byte[((t.HmacSecret?.Length ?? 0) * 3 / 4) + 3];
            if (t.HmacSecret is null || !Convert.TryFromBase64String(t.HmacSecret, bytes, out var length) || length < 32)
            {
                result.AddError("must be base64 of at least 32 random bytes (256 bits) for HS256; generate one with `openssl rand -base64 32`.", "Sentinel:Tokens:HmacSecret");
            }
        }
    }

    private static void ValidateMfa(Mfa.MfaOptions m, ValidateOptionsResultBuilder result)
    {
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
        }
    }

    private static void ValidateApiKeys(ApiKeys.ApiKeyOptions k, ValidateOptionsResultBuilder result)
    {
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
        }
    }

    private static void ValidateAudit(Audit.AuditOptions a, ValidateOptionsResultBuilder result)
    {
        if (a.QueueCapacity < 100)
        {
            result.AddError("must be at least 100 (default 100000): a full queue makes requests wait.", "Sentinel:Audit:QueueCapacity");
        }

        if (a.BatchSize < 1 || a.BatchSize > 10_000)
        {
            result.AddError("must be between 1 and 10000 (default 500).", "Sentinel:Audit:BatchSize");
        }

        if (a.EnqueueTimeout < TimeSpan.Zero)
        {
            result.AddError("must be zero or positive (default 00:00:02).", "Sentinel:Audit:EnqueueTimeout");
        }

        if (a.RetryDelay <= TimeSpan.Zero || a.MaxRetryDelay < a.RetryDelay)
        {
            result.AddError("RetryDelay must be positive and MaxRetryDelay not below it (defaults 00:00:00.2 and 00:00:30).", "Sentinel:Audit:RetryDelay");
        }

        if (a.Retention is { } retention && retention < TimeSpan.FromDays(1))
        {
            result.AddError("must be at least 1.00:00:00, or null to keep events forever (default 365.00:00:00).", "Sentinel:Audit:Retention");
        }

        if (string.IsNullOrWhiteSpace(a.AdminRole))
        {
            result.AddError("must name a role (default admin).", "Sentinel:Audit:AdminRole");
        }

        if (a.DefaultPageSize < 1 || a.DefaultPageSize > Audit.AuditOptions.MaxPageSize)
        {
            result.AddError("must be between 1 and 500 (default 50).", "Sentinel:Audit:DefaultPageSize");
        }
    }

    private static void ValidateEmail(Email.EmailOptions e, ValidateOptionsResultBuilder result)
    {
        if (e.ConfirmationTokenLifetime < TimeSpan.FromMinutes(5) || e.ConfirmationTokenLifetime > TimeSpan.FromDays(30))
        {
            result.AddError("must be between 00:05:00 and 30.00:00:00 (default 1.00:00:00).", "Sentinel:Email:ConfirmationTokenLifetime");
        }

        if (e.PasswordResetTokenLifetime < TimeSpan.FromMinutes(1) || e.PasswordResetTokenLifetime > TimeSpan.FromDays(1))
        {
            result.AddError("must be between 00:01:00 and 1.00:00:00 (default 00:30:00); reset links are short-lived.", "Sentinel:Email:PasswordResetTokenLifetime");
        }

        foreach (var (url, key) in new[] { (e.ConfirmEmailUrl, "ConfirmEmailUrl"), (e.ResetPasswordUrl, "ResetPasswordUrl") })
        {
            if (url is not null && (!url.Contains("{token}", StringComparison.Ordinal) || !Uri.TryCreate(url.Replace("{token}", "t", StringComparison.Ordinal), UriKind.Absolute, out _)))
            {
                result.AddError("must be an absolute URL with {token} where the token goes, for example https://app.example.com/reset?token={token}.", "Sentinel:Email:" + key);
            }
        }

        if (e.MaxEmailsPerAddressPerHour < 1)
        {
            result.AddError("must be at least 1 (default 5).", "Sentinel:Email:MaxEmailsPerAddressPerHour");
        }
    }
}
