using Microsoft.Extensions.Options;
using Sentinel.Audit;
using Sentinel.Passwords;
using Sentinel.Secrets;
using Sentinel.Users;

namespace Sentinel.Mfa;

/// <summary>
/// TOTP two-factor: enrolment with a QR code that stays pending until a first code confirms it, codes that work
/// once (the last accepted step is stored), recovery codes stored as salted slow hashes, and the second step of
/// sign-in, whose failures count toward the account lockout (SECURITY M1–M7).
/// </summary>
public sealed class MfaService
{
    private const string SecretPurpose = "Sentinel.Mfa.TotpSecret.v1";
    private static readonly string[] OtpMethods = ["pwd", "otp"];
    private static readonly string[] RecoveryMethods = ["pwd", "rc"];

    private readonly IMfaStore _store;
    private readonly IUserStore _users;
    private readonly UserService _userService;
    private readonly IPasswordHasher _hasher;
    private readonly ISecretProtector _protector;
    private readonly MfaTokenService _tokens;
    private readonly AuditRecorder _audit;
    private readonly MfaOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the service; normally resolved from DI.</summary>
    public MfaService(
        IMfaStore store,
        IUserStore users,
        UserService userService,
        IPasswordHasher hasher,
        ISecretProtector protector,
        MfaTokenService tokens,
        AuditRecorder audit,
        IOptions<SentinelOptions> options,
        TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _users = users;
        _userService = userService;
        _hasher = hasher;
        _protector = protector;
        _tokens = tokens;
        _audit = audit;
        _options = options.Value.Mfa;
        _time = time;
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
            return InvalidCode();
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

    /// <summary>Turns MFA off: needs the password and a valid TOTP or recovery code (SECURITY M7).</summary>
    public async Task<SentinelResult> DisableAsync(
        Guid userId, string? password, string? code, string? recoveryCode, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var check = await _userService.CheckPasswordAsync(userId, password, client, cancellationToken).ConfigureAwait(false);
        if (!check.Succeeded)
        {
            return check;
        }

        var verified = await VerifySecondFactorAsync(userId, code, recoveryCode, client, cancellationToken).ConfigureAwait(false);
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
        var verified = await VerifySecondFactorAsync(userId, code, null, client, cancellationToken).ConfigureAwait(false);
        if (!verified.Succeeded)
        {
            return verified.Error;
        }

        var codes = await ReplaceRecoveryCodesAsync(userId, cancellationToken).ConfigureAwait(false);
        await _audit.RecordAsync(AuditEventTypes.MfaRecoveryCodesRegenerated, AuditOutcome.Success, userId, client, cancellationToken).ConfigureAwait(false);
        return SentinelResult.Success(codes);
    }

    /// <summary>
    /// The second step of a sign-in whose password was right: a TOTP code or a recovery code. A wrong code counts
    /// toward the lockout (SECURITY M5). Returns the <c>amr</c> values for the access token.
    /// </summary>
    public async Task<SentinelResult<IReadOnlyList<string>>> CompleteSignInAsync(
        SentinelUser user, string? code, string? recoveryCode, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var fresh = await _users.FindByIdAsync(user.Id, cancellationToken).ConfigureAwait(false) ?? user;
        if (_userService.LockoutError(fresh) is { } locked)
        {
            return locked;
        }

        var verified = await VerifySecondFactorAsync(user.Id, code, recoveryCode, client, cancellationToken).ConfigureAwait(false);
        if (!verified.TryGetValue(out var methods))
        {
            if (verified.Error!.Code != SentinelErrorCode.InvalidMfaCode)
            {
                return verified.Error;
            }

            var counted = await _userService.RecordFailedSignInAsync(user.Id, AuditEventTypes.MfaFailed, "wrong_code", client, cancellationToken).ConfigureAwait(false);
            return counted.Error!.Code == SentinelErrorCode.LockedOut ? counted.Error : InvalidCode();
        }

        await _userService.RecordSuccessfulSignInAsync(user.Id, cancellationToken).ConfigureAwait(false);
        await _audit.RecordAsync(AuditEventTypes.MfaSucceeded, AuditOutcome.Success, user.Id, client, cancellationToken).ConfigureAwait(false);
        return SentinelResult.Success(methods);
    }

    /// <summary>Issues an MFA challenge token for a user whose password was right but who sent no code.</summary>
    public async Task<string> IssueChallengeAsync(SentinelUser user, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var now = _time.GetUtcNow();
        var challenge = new MfaChallenge
        {
            Id = Guid.CreateVersion7(now),
            UserId = user.Id,
            CreatedAt = now,
            ExpiresAt = now + _options.ChallengeLifetime,
        };
        await _store.CreateChallengeAsync(challenge, cancellationToken).ConfigureAwait(false);
        await _audit.RecordAsync(AuditEventTypes.MfaChallengeIssued, AuditOutcome.Success, user.Id, client, cancellationToken).ConfigureAwait(false);
        return await _tokens.IssueAsync(challenge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Redeems an MFA challenge token with a code: once, before it expires, and before its wrong codes reach the
    /// limit (SECURITY M5). Returns the user and the <c>amr</c> values.
    /// </summary>
    public async Task<SentinelResult<(SentinelUser User, IReadOnlyList<string> Methods)>> RedeemChallengeAsync(
        string? mfaToken, string? code, string? recoveryCode, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var read = await _tokens.ReadAsync(mfaToken, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var challenge = read is { } ids ? await _store.FindChallengeAsync(ids.ChallengeId, cancellationToken).ConfigureAwait(false) : null;
        if (challenge is null || challenge.UserId != read!.Value.UserId || challenge.RedeemedAt is not null
            || now >= challenge.ExpiresAt || challenge.FailedAttempts >= _options.MaxChallengeAttempts)
        {
            return InvalidToken();
        }

        var user = await _users.FindByIdAsync(challenge.UserId, cancellationToken).ConfigureAwait(false);
        if (user is null || user.IsDisabled)
        {
            return InvalidToken();
        }

        var completed = await CompleteSignInAsync(user, code, recoveryCode, client, cancellationToken).ConfigureAwait(false);
        if (!completed.TryGetValue(out var methods))
        {
            if (completed.Error!.Code == SentinelErrorCode.InvalidMfaCode)
            {
                await _store.RecordChallengeFailureAsync(challenge.Id, cancellationToken).ConfigureAwait(false);
            }

            return completed.Error;
        }

        if (!await _store.TryRedeemChallengeAsync(challenge.Id, now, _options.MaxChallengeAttempts, cancellationToken).ConfigureAwait(false))
        {
            return InvalidToken();
        }

        return SentinelResult.Success<(SentinelUser, IReadOnlyList<string>)>((user, methods));
    }

    /// <summary>Checks a TOTP code (once per step) or a recovery code (once) for the user.</summary>
    private async Task<SentinelResult<IReadOnlyList<string>>> VerifySecondFactorAsync(
        Guid userId, string? code, string? recoveryCode, ClientInfo? client, CancellationToken cancellationToken)
    {
        var registration = await _store.FindAsync(userId, cancellationToken).ConfigureAwait(false);
        if (registration is not { IsEnabled: true, ProtectedSecret: { } protectedSecret })
        {
            return InvalidCode();
        }

        if (!string.IsNullOrEmpty(code))
        {
            // SECURITY M3: the matched step must be newer than the last accepted one, claimed atomically.
            if (Totp.Verify(Unprotect(protectedSecret), code, _time.GetUtcNow(), _options) is { } step
                && step > registration.LastUsedStep
                && await _store.TryAdvanceStepAsync(userId, step, cancellationToken).ConfigureAwait(false))
            {
                return SentinelResult.Success<IReadOnlyList<string>>(OtpMethods);
            }

            return InvalidCode();
        }

        if (RecoveryCodes.Normalize(recoveryCode) is { } normalized)
        {
            foreach (var stored in await _store.ListUnusedRecoveryCodesAsync(userId, cancellationToken).ConfigureAwait(false))
            {
                if (_hasher.Verify(stored.Hash, normalized) != PasswordVerification.Failed)
                {
                    if (!await _store.TryUseRecoveryCodeAsync(stored.Id, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
                    {
                        break; // used concurrently
                    }

                    await _audit.RecordAsync(AuditEventTypes.MfaRecoveryCodeUsed, AuditOutcome.Success, userId, client, cancellationToken).ConfigureAwait(false);
                    return SentinelResult.Success<IReadOnlyList<string>>(RecoveryMethods);
                }
            }
        }

        return InvalidCode();
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
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var registration = await _store.FindAsync(userId, cancellationToken).ConfigureAwait(false) ?? new MfaRegistration { UserId = userId };
            if (change(registration) is { } error)
            {
                return SentinelResult.Failure(error);
            }

            if (await _store.SaveAsync(registration, cancellationToken).ConfigureAwait(false) == StoreWriteResult.Success)
            {
                return SentinelResult.Success();
            }
        }

        throw new InvalidOperationException("The two-factor registration kept changing under concurrent writes.");
    }

    private byte[] Unprotect(byte[] protectedSecret) => _protector.Unprotect(SecretPurpose, protectedSecret);

    private static SentinelError InvalidCode() => new(SentinelErrorCode.InvalidMfaCode, "The code is not valid.");

    private static SentinelError InvalidToken() => new(SentinelErrorCode.InvalidMfaToken, "The two-factor sign-in has expired or is not valid; sign in again.");
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
