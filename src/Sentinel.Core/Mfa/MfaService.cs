using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sentinel.Audit;
using Sentinel.Passwords;
using Sentinel.Secrets;
using Sentinel.SignIn;
using Sentinel.Storage;
using Sentinel.Users;

namespace Sentinel.Mfa;

/// <summary>
/// TOTP two-factor: enrolment with a QR code that stays pending until a first code confirms it, codes that work
/// once (the last accepted step is stored), and recovery codes stored as salted slow hashes (SECURITY M1–M7).
/// Every check of an enrolled factor goes through <see cref="SignInAttempts"/>, so a wrong code on any route counts
/// toward the lockout and is audited (M5, M8); the sign-in's second step is <see cref="SignInService"/>'s.
/// </summary>
public sealed class MfaService
{
    private const string SecretPurpose = "Sentinel.Mfa.TotpSecret.v1";

    private readonly IMfaStore _store;
    private readonly IUserStore _users;
    private readonly SignInAttempts _attempts;
    private readonly IPasswordHasher _hasher;
    private readonly ISecretProtector _protector;
    private readonly AuditRecorder _audit;
    private readonly MfaOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the service; normally resolved from DI.</summary>
    public MfaService(
        IMfaStore store,
        IUserStore users,
        SignInAttempts attempts,
        IPasswordHasher hasher,
        ISecretProtector protector,
        AuditRecorder audit,
        IOptions<SentinelOptions> options,
        TimeProvider time,
        ILogger<MfaService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _users = users;
        _attempts = attempts;
        _hasher = hasher;
        _protector = protector;
        _audit = audit;
        _options = options.Value.Mfa;
        _time = time;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Whether MFA is on, a setup is pending, and how many recovery codes are left.</summary>
    public async Task<MfaStatus> GetStatusAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        var registration = await _store.FindAsync(userId, cancellationToken).ConfigureAwait(false);
        var left = registration?.IsEnabled == true
            ? (await _store.ListUnusedRecoveryCodesAsync(userId, cancellationToken).ConfigureAwait(false)).Count
            : 0;
        return new MfaStatus(registration?.IsEnabled == true, registration?.PendingProtectedSecret is not null, left);
    }

    /// <summary>True when the user has MFA on.</summary>
    public async Task<bool> IsEnabledAsync(Guid userId, CancellationToken cancellationToken = default) =>
        (await _store.FindAsync(userId, cancellationToken).ConfigureAwait(false))?.IsEnabled == true;

    /// <summary>
    /// Starts (or restarts) enrolment: a new pending secret, returned once as Base32, as an <c>otpauth://</c> URI
    /// and as a QR code of that URI. MFA stays off until <see cref="ConfirmSetupAsync"/>.
    /// </summary>
    public async Task<SentinelResult<TotpSetup>> BeginSetupAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        var user = await _users.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return new SentinelError(SentinelErrorCode.NotFound, "The user does not exist.");
        }

        var secret = Totp.NewSecret();
        var saved = await SaveAsync(userId, registration =>
        {
            if (registration.IsEnabled)
            {
                return new SentinelError(SentinelErrorCode.MfaAlreadyEnabled, "Two-factor authentication is already on; disable it first.");
            }

            registration.PendingProtectedSecret = _protector.Protect(SecretPurpose, secret);
            return null;
        }, cancellationToken).ConfigureAwait(false);
        if (!saved.Succeeded)
        {
            return saved.Error;
        }

        var uri = Totp.KeyUri(secret, user.Email, _options);
        return SentinelResult.Success(new TotpSetup(Totp.ToBase32(secret), uri, Totp.QrCodePng(uri)));
    }

    /// <summary>Confirms enrolment with a first valid code; MFA is on and a set of recovery codes is returned once.</summary>
    public async Task<SentinelResult<IReadOnlyList<string>>> ConfirmSetupAsync(
        Guid userId, string? code, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var registration = await _store.FindAsync(userId, cancellationToken).ConfigureAwait(false);
        if (registration?.PendingProtectedSecret is not { } pending)
        {
            return new SentinelError(SentinelErrorCode.NoPendingSetup, "There is no two-factor setup to confirm; start one first.");
        }

        var now = _time.GetUtcNow();
        if (Totp.Verify(Unprotect(pending), code, now, _options) is not { } step)
        {
            await _audit.RecordAsync(AuditEventTypes.MfaFailed, AuditOutcome.Failure, userId, client, cancellationToken, "setup_code").ConfigureAwait(false);
            return WrongCode;
        }

        var saved = await SaveAsync(userId, fresh =>
        {
            if (fresh.PendingProtectedSecret is null)
            {
                return new SentinelError(SentinelErrorCode.NoPendingSetup, "There is no two-factor setup to confirm; start one first.");
            }

            fresh.ProtectedSecret = fresh.PendingProtectedSecret;
            fresh.PendingProtectedSecret = null;
            fresh.EnabledAt = now;
            fresh.LastUsedStep = step; // the confirming code is spent too
            return null;
        }, cancellationToken).ConfigureAwait(false);
        if (!saved.Succeeded)
        {
            return saved.Error;
        }

        var codes = await ReplaceRecoveryCodesAsync(userId, cancellationToken).ConfigureAwait(false);
        await _audit.RecordAsync(AuditEventTypes.MfaEnabled, AuditOutcome.Success, userId, client, cancellationToken).ConfigureAwait(false);
        return SentinelResult.Success(codes);
    }

    /// <summary>
    /// Turns MFA off: needs the password and a valid TOTP or recovery code (SECURITY M7), both checked by the
    /// sign-in gate (wrong ones count toward the lockout).
    /// </summary>
    public async Task<SentinelResult> DisableAsync(
        Guid userId, string? password, string? code, string? recoveryCode, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var check = await _attempts.CheckPasswordAsync(userId, password, client, cancellationToken).ConfigureAwait(false);
        if (!check.Succeeded)
        {
            return check;
        }

        var verified = await CheckSecondFactorAsync(userId, code, recoveryCode, client, cancellationToken).ConfigureAwait(false);
        if (!verified.Succeeded)
        {
            return verified;
        }

        await _store.DeleteAsync(userId, cancellationToken).ConfigureAwait(false);
        await _audit.RecordAsync(AuditEventTypes.MfaDisabled, AuditOutcome.Success, userId, client, cancellationToken).ConfigureAwait(false);
        return SentinelResult.Success();
    }

    /// <summary>Replaces the recovery codes after a valid TOTP code (SECURITY M6, M7); the old set stops working.</summary>
    public async Task<SentinelResult<IReadOnlyList<string>>> RegenerateRecoveryCodesAsync(
        Guid userId, string? code, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var verified = await CheckSecondFactorAsync(userId, code, null, client, cancellationToken).ConfigureAwait(false);
        if (!verified.Succeeded)
        {
            return verified.Error;
        }

        var codes = await ReplaceRecoveryCodesAsync(userId, cancellationToken).ConfigureAwait(false);
        await _audit.RecordAsync(AuditEventTypes.MfaRecoveryCodesRegenerated, AuditOutcome.Success, userId, client, cancellationToken).ConfigureAwait(false);
        return SentinelResult.Success(codes);
    }

    /// <summary>
    /// Checks the second factor of a signed-in user (a TOTP code, or a recovery code, which is spent) through the
    /// sign-in gate: a wrong one counts toward the lockout and writes <c>mfa.failed</c>, a right one clears the
    /// failure count and writes <c>mfa.succeeded</c> (SECURITY M5, M8). Returns which factor it was. Fails with
    /// <see cref="SentinelErrorCode.InvalidMfaCode"/> (also when MFA is off) or <see cref="SentinelErrorCode.LockedOut"/>.
    /// </summary>
    public async Task<SentinelResult<CredentialMethod>> CheckSecondFactorAsync(
        Guid userId, string? code, string? recoveryCode, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var user = await _users.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return WrongCode;
        }

        var registration = await _store.FindAsync(userId, cancellationToken).ConfigureAwait(false);
        var factor = new SecondFactorCode(code, recoveryCode);
        var checkedFactor = await CheckSecondFactorAsync(user, registration, factor, client, cancellationToken).ConfigureAwait(false);
        return checkedFactor.Succeeded ? SentinelResult.Success(factor.Method) : checkedFactor.Error;
    }

    /// <summary>The check of <see cref="CheckSecondFactorAsync(Guid, string?, string?, ClientInfo?, CancellationToken)"/> with the registration already read (a sign-in reads it once).</summary>
    internal Task<SentinelResult<SentinelUser>> CheckSecondFactorAsync(
        SentinelUser user, MfaRegistration? registration, SecondFactorCode factor, ClientInfo? client, CancellationToken cancellationToken,
        RecognizedDevice? device = null) =>
        _attempts.CheckSecondFactorAsync(
            user,
            factor.Method,
            null,
            async (fresh, ct) => await VerifyCodeAsync(fresh.Id, registration, factor, client, ct).ConfigureAwait(false) ? null : WrongCode,
            client,
            device,
            cancellationToken);

    /// <summary>
    /// The check itself, with no counting: true when <paramref name="factor"/> is a TOTP code of a step newer than
    /// the last accepted one (claimed atomically, SECURITY M3) or an unused recovery code (spent atomically, M6).
    /// Only <see cref="SignInAttempts"/> may call it, through a route's verifier; it is not public for that reason.
    /// </summary>
    internal async ValueTask<bool> VerifyCodeAsync(
        Guid userId, MfaRegistration? registration, SecondFactorCode factor, ClientInfo? client, CancellationToken cancellationToken)
    {
        if (registration is not { IsEnabled: true, ProtectedSecret: { } protectedSecret } || registration.UserId != userId)
        {
            return false;
        }

        if (factor.Method == CredentialMethod.Totp)
        {
            return Totp.Verify(Unprotect(protectedSecret), factor.Code, _time.GetUtcNow(), _options) is { } step
                && step > registration.LastUsedStep
                && await _store.TryAdvanceStepAsync(userId, step, cancellationToken).ConfigureAwait(false);
        }

        if (RecoveryCodes.Normalize(factor.RecoveryCode) is not { } normalized)
        {
            return false;
        }

        foreach (var stored in await _store.ListUnusedRecoveryCodesAsync(userId, cancellationToken).ConfigureAwait(false))
        {
            if (_hasher.Verify(stored.Hash, normalized) != PasswordVerification.Failed)
            {
                if (!await _store.TryUseRecoveryCodeAsync(stored.Id, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
                {
                    return false; // used concurrently
                }

                await _audit.RecordAsync(AuditEventTypes.MfaRecoveryCodeUsed, AuditOutcome.Success, userId, client, cancellationToken).ConfigureAwait(false);
                return true;
            }
        }

        return false;
    }

    private async Task<IReadOnlyList<string>> ReplaceRecoveryCodesAsync(Guid userId, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var codes = Enumerable.Range(0, _options.RecoveryCodeCount).Select(_ => RecoveryCodes.New()).ToArray();
        var records = codes.Select(c => new RecoveryCodeRecord
        {
            Id = Guid.CreateVersion7(now),
            UserId = userId,
            Hash = _hasher.Hash(c), // salted, slow: the codes carry only 50 bits (SECURITY M6)
            CreatedAt = now,
        }).ToList();
        await _store.ReplaceRecoveryCodesAsync(userId, records, cancellationToken).ConfigureAwait(false);
        return codes;
    }

    private async Task<SentinelResult> SaveAsync(Guid userId, Func<MfaRegistration, SentinelError?> change, CancellationToken cancellationToken)
    {
        var saved = await ConcurrentUpdate.RunAsync(
            async ct => await _store.FindAsync(userId, ct).ConfigureAwait(false) ?? new MfaRegistration { UserId = userId },
            change,
            _store.SaveAsync,
            NoSuchRegistration,
            NoSuchRegistration,
            $"The two-factor registration of user {userId}",
            _logger,
            cancellationToken).ConfigureAwait(false);
        return saved.Succeeded ? SentinelResult.Success() : SentinelResult.Failure(saved.Error);
    }

    private static readonly SentinelError NoSuchRegistration = new(SentinelErrorCode.NotFound, "The two-factor registration does not exist.");

    private byte[] Unprotect(byte[] protectedSecret) => _protector.Unprotect(SecretPurpose, protectedSecret);

    /// <summary>A wrong (or missing) second factor: the error the sign-in gate counts toward the lockout.</summary>
    internal static readonly SentinelError WrongCode = new(SentinelErrorCode.InvalidMfaCode, "The code is not valid.");

}

/// <summary>The user's two-factor state.</summary>
/// <param name="Enabled">MFA is on.</param>
/// <param name="PendingSetup">An enrolment awaits its first code.</param>
/// <param name="RecoveryCodesLeft">Unused recovery codes.</param>
public sealed record MfaStatus(bool Enabled, bool PendingSetup, int RecoveryCodesLeft);

/// <summary>What an authenticator app needs, returned once at setup.</summary>
/// <param name="SharedKey">The secret, Base32 without padding.</param>
/// <param name="OtpAuthUri">The Key Uri Format URI.</param>
/// <param name="QrCodePng">A PNG QR code of <paramref name="OtpAuthUri"/>.</param>
public sealed record TotpSetup(string SharedKey, string OtpAuthUri, byte[] QrCodePng);
