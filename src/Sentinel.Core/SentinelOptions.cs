using Sentinel.ApiKeys;
using Sentinel.Audit;
using Sentinel.Cluster;
using Sentinel.Email;
using Sentinel.Mfa;
using Sentinel.Passwords;
using Sentinel.RateLimiting;
using Sentinel.Tokens;
using Sentinel.SignIn;
using Sentinel.Users;

namespace Sentinel;

/// <summary>Every Sentinel setting, validated at start-up by <see cref="SentinelOptionsValidator"/>.</summary>
public sealed class SentinelOptions
{
    /// <summary>Password hashing and policy.</summary>
    public PasswordOptions Passwords { get; } = new();

    /// <summary>Account lockout after consecutive failures.</summary>
    public LockoutOptions Lockout { get; } = new();

    /// <summary>Access tokens, refresh tokens, sessions and signing keys.</summary>
    public TokenOptions Tokens { get; } = new();

    /// <summary>TOTP two-factor and MFA sign-in.</summary>
    public MfaOptions Mfa { get; } = new();

    /// <summary>API keys for service-to-service calls.</summary>
    public ApiKeyOptions ApiKeys { get; } = new();

    /// <summary>The audit log: queue, batching, retries, retention and who may read it.</summary>
    public AuditOptions Audit { get; } = new();

    /// <summary>Email confirmation, password reset and security notices.</summary>
    public EmailOptions Email { get; } = new();

    /// <summary>Per-client-address request limits on Sentinel's endpoints.</summary>
    public RateLimitOptions RateLimits { get; } = new();

    /// <summary>How instances learn of each other's revocations.</summary>
    public ClusterOptions Cluster { get; } = new();

    /// <summary>Recent authentication: how fresh a sign-in the sensitive operations need.</summary>
    public StepUpOptions StepUp { get; } = new();

    /// <summary>Passkeys (WebAuthn): the relying party, its origins and the ceremonies' challenges.</summary>
    public Passkeys.PasskeyOptions Passkeys { get; } = new();
}
