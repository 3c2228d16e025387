namespace Sentinel;

/// <summary>
/// The closed set of expected failures. Each value maps 1:1 onto a <c>code</c> in the HTTP contract
/// (see <see cref="SentinelErrorCodes.ToCode(SentinelErrorCode)"/>).
/// </summary>
public enum SentinelErrorCode
{
    /// <summary><c>validation_failed</c>: the input breaks a rule; <see cref="SentinelError.Errors"/> says which.</summary>
    ValidationFailed,
    /// <summary><c>email_taken</c>: an account with this email exists.</summary>
    EmailTaken,
    /// <summary><c>invalid_credentials</c>: unknown email, wrong password or disabled account (never said which).</summary>
    InvalidCredentials,
    /// <summary><c>mfa_required</c>: the password was right; a second factor is needed.</summary>
    MfaRequired,
    /// <summary><c>invalid_mfa_code</c>: the TOTP or recovery code is wrong, replayed or used.</summary>
    InvalidMfaCode,
    /// <summary><c>invalid_mfa_token</c>: the MFA challenge token is unknown, expired or spent.</summary>
    InvalidMfaToken,
    /// <summary><c>mfa_already_enabled</c>.</summary>
    MfaAlreadyEnabled,
    /// <summary><c>no_pending_setup</c>: there is no MFA enrolment to confirm.</summary>
    NoPendingSetup,
    /// <summary><c>email_not_confirmed</c>: the password was right but the email is not confirmed.</summary>
    EmailNotConfirmed,
    /// <summary><c>invalid_refresh_token</c>: unknown, expired, revoked or reused refresh token.</summary>
    InvalidRefreshToken,
    /// <summary><c>invalid_token</c>: an access, confirmation or reset token is not valid.</summary>
    InvalidToken,
    /// <summary><c>invalid_api_key</c>.</summary>
    InvalidApiKey,
    /// <summary><c>insufficient_scope</c>.</summary>
    InsufficientScope,
    /// <summary><c>forbidden</c>.</summary>
    Forbidden,
    /// <summary><c>not_found</c>.</summary>
    NotFound,
    /// <summary><c>locked_out</c>: too many failures; <see cref="SentinelError.RetryAfter"/> says when to retry.</summary>
    LockedOut,
    /// <summary><c>rate_limited</c>: too many requests; <see cref="SentinelError.RetryAfter"/> says when to retry.</summary>
    RateLimited,
    /// <summary><c>service_unavailable</c>: a store is down.</summary>
    ServiceUnavailable,
    /// <summary><c>reauthentication_required</c>: the operation needs a more recent sign-in (SECURITY T11).</summary>
    ReauthenticationRequired,
    /// <summary><c>invalid_passkey</c>: a passkey response did not verify, or its ceremony is unknown, spent or expired (SECURITY W1–W4).</summary>
    InvalidPasskey,
}

/// <summary>Maps <see cref="SentinelErrorCode"/> onto the wire codes of the HTTP contract.</summary>
public static class SentinelErrorCodes
{
    private static readonly string[] Codes =
    [
        "validation_failed", "email_taken", "invalid_credentials", "mfa_required", "invalid_mfa_code",
        "invalid_mfa_token", "mfa_already_enabled", "no_pending_setup", "email_not_confirmed",
        "invalid_refresh_token", "invalid_token", "invalid_api_key", "insufficient_scope", "forbidden",
        "not_found", "locked_out", "rate_limited", "service_unavailable", "reauthentication_required",
        "invalid_passkey",
    ];

    /// <summary>The snake_case code sent as the problem details <c>code</c> extension.</summary>
    public static string ToCode(this SentinelErrorCode code) => Codes[(int)code];

    /// <summary>Every wire code, in enum order.</summary>
    public static IReadOnlyList<string> All => Codes;
}
