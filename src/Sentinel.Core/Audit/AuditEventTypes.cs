namespace Sentinel.Audit;

/// <summary>The closed set of audit event types of the HTTP contract.</summary>
public static class AuditEventTypes
{
#pragma warning disable CS1591 // The names are the documentation: each is the wire value.
    public const string UserRegistered = "user.registered";
    public const string LoginSucceeded = "login.succeeded";
    public const string LoginFailed = "login.failed";
    public const string LoginLockedOut = "login.locked_out";
    public const string MfaChallengeIssued = "mfa.challenge_issued";
    public const string MfaSucceeded = "mfa.succeeded";
    public const string MfaFailed = "mfa.failed";
    public const string MfaEnabled = "mfa.enabled";
    public const string MfaDisabled = "mfa.disabled";
    public const string MfaRecoveryCodeUsed = "mfa.recovery_code_used";
    public const string MfaRecoveryCodesRegenerated = "mfa.recovery_codes_regenerated";
    public const string TokenRefreshed = "token.refreshed";
    public const string TokenReuseDetected = "token.reuse_detected";
    public const string SessionRevoked = "session.revoked";
    public const string Logout = "logout";
    public const string LogoutAll = "logout.all";
    public const string PasswordChanged = "password.changed";
    public const string ApiKeyCreated = "apikey.created";
    public const string ApiKeyUsed = "apikey.used";
    public const string ApiKeyRejected = "apikey.rejected";
    public const string ApiKeyRevoked = "apikey.revoked";
    public const string ApiKeyRotated = "apikey.rotated";
    public const string RateLimitExceeded = "rate_limit.exceeded";
    public const string SigningKeyRotated = "signing_key.rotated";
    public const string EmailConfirmed = "email.confirmed";
    public const string PasswordResetRequested = "password.reset_requested";
    public const string PasswordReset = "password.reset";
    public const string Reauthenticated = "reauthenticated";
    public const string PasskeyRegistered = "passkey.registered";
    public const string PasskeyRemoved = "passkey.removed";
#pragma warning restore CS1591

    /// <summary>Every type, in contract order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        UserRegistered, LoginSucceeded, LoginFailed, LoginLockedOut, MfaChallengeIssued, MfaSucceeded, MfaFailed,
        MfaEnabled, MfaDisabled, MfaRecoveryCodeUsed, MfaRecoveryCodesRegenerated, TokenRefreshed, TokenReuseDetected,
        SessionRevoked, Logout, LogoutAll, PasswordChanged, ApiKeyCreated, ApiKeyUsed, ApiKeyRejected, ApiKeyRevoked,
        ApiKeyRotated, RateLimitExceeded, SigningKeyRotated, EmailConfirmed, PasswordResetRequested, PasswordReset,
        Reauthenticated, PasskeyRegistered, PasskeyRemoved,
    ];
}
