using Microsoft.Extensions.Logging;

namespace Sentinel.Diagnostics;

/// <summary>Every log line Sentinel.Core writes, with stable event ids. Only ids and closed-set reasons: no secrets (A2).</summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Information, "User {UserId} registered.")]
    public static partial void UserRegistered(ILogger logger, Guid userId);

    [LoggerMessage(1002, LogLevel.Information, "Sign-in failed: {Reason}. User {UserId}.")]
    public static partial void SignInFailed(ILogger logger, string reason, Guid? userId);

    [LoggerMessage(1003, LogLevel.Warning, "User {UserId} locked out until {LockoutEnd:O}.")]
    public static partial void UserLockedOut(ILogger logger, Guid userId, DateTimeOffset lockoutEnd);

    [LoggerMessage(1004, LogLevel.Information, "Password hash of user {UserId} upgraded to the current algorithm.")]
    public static partial void PasswordRehashed(ILogger logger, Guid userId);

    [LoggerMessage(1005, LogLevel.Information, "User {UserId} changed their password.")]
    public static partial void PasswordChanged(ILogger logger, Guid userId);

    [LoggerMessage(1006, LogLevel.Warning, "Gave up updating {Row} after {Attempts} concurrent-write conflicts.")]
    public static partial void UpdateConflict(ILogger logger, string row, int attempts);

    [LoggerMessage(1101, LogLevel.Information, "Signing key {KeyId} ({Algorithm}) created; it signs from {ActivatesAt:O}.")]
    public static partial void SigningKeyCreated(ILogger logger, string keyId, string algorithm, DateTimeOffset activatesAt);

    [LoggerMessage(1102, LogLevel.Warning, "Signing key {KeyId} cannot be decrypted with this host's secret protector and is ignored; tokens it signed will be refused. Persist the Data Protection key ring to keep keys across restarts.")]
    public static partial void SigningKeyUnreadable(ILogger logger, string keyId);

    [LoggerMessage(1103, LogLevel.Warning, "Signing key {KeyId} cannot be decrypted by this instance; it validates and is published from its public key, and this instance never signs with it. Its Data Protection key ring or application name differs from the instance that made the key (TOTP secrets will not decrypt either): persist the key ring where every instance reads it and call services.AddDataProtection().SetApplicationName(\"…\") with one name on every instance.")]
    public static partial void SigningKeyValidationOnly(ILogger logger, string keyId);

    [LoggerMessage(1201, LogLevel.Warning, "Refresh token reuse detected on session {SessionId} of user {UserId}; the session is revoked.")]
    public static partial void RefreshTokenReuse(ILogger logger, Guid sessionId, Guid userId);

    [LoggerMessage(1202, LogLevel.Information, "Session {SessionId} of user {UserId} revoked: {Reason}.")]
    public static partial void SessionRevoked(ILogger logger, Guid sessionId, Guid userId, string reason);
}
