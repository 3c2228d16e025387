using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sentinel.ApiKeys;
using Sentinel.Audit;
using Sentinel.Diagnostics;
using Sentinel.Mfa;
using Sentinel.Passwords;
using Sentinel.Sessions;

namespace Sentinel.Users;

/// <summary>
/// Account policy: registration, password sign-in with lockout, password change, disable, roles. Expected
/// failures come back as <see cref="SentinelResult"/> with a closed <see cref="SentinelErrorCode"/>; exceptions
/// mean bugs or infrastructure faults. Every decision is audited.
/// </summary>
public sealed class UserService
{
    private const int MaxWriteAttempts = 10;
    private const int MaxRoleLength = 64;

    private readonly IUserStore _store;
    private readonly IMfaStore _mfa;
    private readonly SessionService _sessions;
    private readonly ApiKeyService _apiKeys;
    private readonly RevocationList _revocations;
    private readonly IPasswordHasher _hasher;
    private readonly PasswordPolicy _policy;
    private readonly AuditRecorder _audit;
    private readonly SentinelOptions _options;
    private readonly TimeProvider _time;
    private readonly SentinelMetrics _metrics;
    private readonly ILogger _logger;
    // One dummy hash per hasher (a singleton), not per request: computing it costs a whole hash, which would make
    // unknown emails slower than known ones (SECURITY P3).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPasswordHasher, string> DummyHashes = [];
    // One timing per host (its options are a singleton), whatever the lifetime of this service.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SentinelOptions, FailureWriteTiming> FailureTimings = [];

    /// <summary>Creates the service; normally resolved from DI.</summary>
    public UserService(
        IUserStore store,
        IMfaStore mfa,
        SessionService sessions,
        ApiKeyService apiKeys,
        RevocationList revocations,
        IPasswordHasher hasher,
        PasswordPolicy policy,
        AuditRecorder audit,
        IOptions<SentinelOptions> options,
        TimeProvider time,
        SentinelMetrics metrics,
        ILogger<UserService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _mfa = mfa;
        _sessions = sessions;
        _apiKeys = apiKeys;
        _revocations = revocations;
        _hasher = hasher;
        _policy = policy;
        _audit = audit;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger ?? (ILogger)Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    private FailureWriteTiming FailureTiming => FailureTimings.GetValue(_options, static _ => new FailureWriteTiming());

    private string DummyHash => DummyHashes.GetValue(_hasher, static h => h.Hash(Guid.NewGuid().ToString("N")));

    /// <summary>Finds a user by id.</summary>
    public ValueTask<SentinelUser?> FindByIdAsync(Guid id, CancellationToken cancellationToken = default) =>
        _store.FindByIdAsync(id, cancellationToken);

    /// <summary>Finds a user by email, ignoring case and surrounding spaces.</summary>
    public ValueTask<SentinelUser?> FindByEmailAsync(string email, CancellationToken cancellationToken = default) =>
        _store.FindByNormalizedEmailAsync(EmailNormalizer.Normalize(email), cancellationToken);

    /// <summary>
    /// Creates an account. Fails with <see cref="SentinelErrorCode.ValidationFailed"/> (errors keyed <c>email</c>
    /// and <c>password</c>) or <see cref="SentinelErrorCode.EmailTaken"/>.
    /// </summary>
    public async Task<SentinelResult<SentinelUser>> RegisterAsync(
        string? email, string? password, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var trimmed = email?.Trim() ?? "";
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (EmailNormalizer.Validate(trimmed) is { } emailError)
        {
            errors["email"] = [emailError];
        }

        var passwordErrors = _policy.Validate(password, trimmed);
        if (passwordErrors.Count > 0)
        {
            errors["password"] = [.. passwordErrors];
        }

        if (errors.Count > 0)
        {
            _metrics.Registration(false);
            return SentinelError.Validation(errors);
        }

        var normalized = EmailNormalizer.Normalize(trimmed);
        if (await _store.FindByNormalizedEmailAsync(normalized, cancellationToken).ConfigureAwait(false) is not null)
        {
            _metrics.Registration(false);
            return EmailTaken();
        }

        var now = _time.GetUtcNow();
        var user = new SentinelUser
        {
            Id = Guid.CreateVersion7(now),
            Email = trimmed,
            NormalizedEmail = normalized,
            PasswordHash = _hasher.Hash(password!),
            CreatedAt = now,
            UpdatedAt = now,
            // Whole seconds: token iat is in whole seconds, and a token issued later in this second must pass.
            SecurityValidAfter = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()),
        };

        if (await _store.CreateAsync(user, cancellationToken).ConfigureAwait(false) != StoreWriteResult.Success)
        {
            _metrics.Registration(false);
            return EmailTaken(); // lost a race with a concurrent registration of the same email
        }

        _metrics.Registration(true);
        Log.UserRegistered(_logger, user.Id);
        await _audit.RecordAsync(AuditEventTypes.UserRegistered, AuditOutcome.Success, user.Id, client, cancellationToken).ConfigureAwait(false);
        return SentinelResult.Success(user);

        static SentinelError EmailTaken() => new(SentinelErrorCode.EmailTaken, "An account with this email already exists.");
    }

    /// <summary>
    /// Checks an email and password. Unknown email, wrong password and disabled account all give
    /// <see cref="SentinelErrorCode.InvalidCredentials"/> at the same hashing cost (SECURITY P3); consecutive
    /// failures lock the account (<see cref="SentinelErrorCode.LockedOut"/> with <see cref="SentinelError.RetryAfter"/>,
    /// SECURITY P4). A success resets the failure count and upgrades a weaker stored hash (SECURITY P2).
    /// </summary>
    public async Task<SentinelResult<SentinelUser>> SignInWithPasswordAsync(
        string? email, string? password, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        password ??= "";
        var trimmed = email?.Trim() ?? "";
        var user = trimmed.Length is > 0 and <= EmailNormalizer.MaxLength
            ? await _store.FindByNormalizedEmailAsync(EmailNormalizer.Normalize(trimmed), cancellationToken).ConfigureAwait(false)
            : null;

        if (user is null)
        {
            _hasher.Verify(DummyHash, password);
            await FailureTiming.PadAsync(cancellationToken).ConfigureAwait(false); // no failure count to write
            return await FailAsync(null, "unknown_user").ConfigureAwait(false);
        }

        var now = _time.GetUtcNow();
        if (AccountLockout.IsLockedOut(user, now, out var retryAfter))
        {
            _hasher.Verify(DummyHash, password); // same cost; the right password is still refused
            return await LockedOutAsync(user.Id, retryAfter, "locked").ConfigureAwait(false);
        }

        var verification = _hasher.Verify(user.PasswordHash, password);
        if (verification == PasswordVerification.Failed)
        {
            return await RecordFailedSignInAsync(user.Id, AuditEventTypes.LoginFailed, "wrong_password", client, cancellationToken).ConfigureAwait(false);
        }

        if (user.IsDisabled)
        {
            await FailureTiming.PadAsync(cancellationToken).ConfigureAwait(false); // as slow as a wrong password
            return await FailAsync(user.Id, "disabled").ConfigureAwait(false);
        }

        if (_options.Email.RequireConfirmedEmail && !user.EmailConfirmed)
        {
            // Only after a correct password: otherwise this answer would tell who has an account.
            await _audit.RecordAsync(AuditEventTypes.LoginFailed, AuditOutcome.Failure, user.Id, client, cancellationToken, "email_not_confirmed").ConfigureAwait(false);
            return new SentinelError(SentinelErrorCode.EmailNotConfirmed, "Confirm your email address first; POST /auth/email/resend sends a new link.");
        }

        var storedHash = user.PasswordHash;
        var upgradedHash = verification == PasswordVerification.SuccessRehashNeeded ? _hasher.Hash(password) : null;
        // With MFA on, the password alone is half a sign-in: the failure count is reset only after the code
        // (otherwise a password holder could try codes forever, SECURITY M5).
        var resetLockout = (await _mfa.FindAsync(user.Id, cancellationToken).ConfigureAwait(false))?.IsEnabled != true;
        var hasFailures = user.AccessFailedCount > 0 || user.LockoutCount > 0 || user.LockoutEnd is not null;
        if (upgradedHash is not null || (resetLockout && hasFailures))
        {
            var updated = await UpdateAsync(user.Id, fresh =>
            {
                var changed = resetLockout && AccountLockout.Reset(fresh);
                // Only upgrade the hash we verified: a concurrent password change wins.
                if (upgradedHash is not null && string.Equals(fresh.PasswordHash, storedHash, StringComparison.Ordinal))
                {
                    fresh.PasswordHash = upgradedHash;
                    changed = true;
                }

                if (changed)
                {
                    fresh.UpdatedAt = _time.GetUtcNow();
                }

                return null;
            }, cancellationToken).ConfigureAwait(false);

            if (updated.TryGetValue(out var fresh))
            {
                user = fresh;
                if (upgradedHash is not null && string.Equals(user.PasswordHash, upgradedHash, StringComparison.Ordinal))
                {
                    Log.PasswordRehashed(_logger, user.Id);
                }
            }
        }

        _metrics.LoginAttempt(SignInOutcome.Success);
        await _audit.RecordAsync(AuditEventTypes.LoginSucceeded, AuditOutcome.Success, user.Id, client, cancellationToken).ConfigureAwait(false);
        return SentinelResult.Success(user);

        async Task<SentinelResult<SentinelUser>> FailAsync(Guid? userId, string reason)
        {
            _metrics.LoginAttempt(SignInOutcome.InvalidCredentials);
            Log.SignInFailed(_logger, reason, userId);
            await _audit.RecordAsync(AuditEventTypes.LoginFailed, AuditOutcome.Failure, userId, client, cancellationToken, reason).ConfigureAwait(false);
            return InvalidCredentials();
        }

        async Task<SentinelResult<SentinelUser>> LockedOutAsync(Guid userId, TimeSpan wait, string reason)
        {
            _metrics.LoginAttempt(SignInOutcome.LockedOut);
            await _audit.RecordAsync(AuditEventTypes.LoginLockedOut, AuditOutcome.Failure, userId, client, cancellationToken, reason).ConfigureAwait(false);
            return LockedOut(wait);
        }
    }

    /// <summary>
    /// Counts a failed credential check (a wrong password or a wrong MFA code) toward the lockout and audits it as
    /// <paramref name="auditType"/>. Returns <see cref="SentinelErrorCode.InvalidCredentials"/>, or
    /// <see cref="SentinelErrorCode.LockedOut"/> when this failure locked the account (SECURITY P4, M5).
    /// </summary>
    internal async Task<SentinelResult<SentinelUser>> RecordFailedSignInAsync(
        Guid userId, string auditType, string reason, ClientInfo? client, CancellationToken cancellationToken)
    {
        DateTimeOffset? lockedUntil = null;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await UpdateAsync(userId, fresh =>
        {
            var now = _time.GetUtcNow();
            lockedUntil = AccountLockout.RecordFailure(fresh, _options.Lockout, now) ? fresh.LockoutEnd : null;
            fresh.UpdatedAt = now;
            return null;
        }, cancellationToken).ConfigureAwait(false);
        FailureTiming.Record(started);

        _metrics.LoginAttempt(lockedUntil is null ? SignInOutcome.InvalidCredentials : SignInOutcome.LockedOut);
        Log.SignInFailed(_logger, reason, userId);
        await _audit.RecordAsync(auditType, AuditOutcome.Failure, userId, client, cancellationToken, reason).ConfigureAwait(false);
        if (lockedUntil is not { } end)
        {
            return InvalidCredentials();
        }

        Log.UserLockedOut(_logger, userId, end);
        await _audit.RecordAsync(AuditEventTypes.LoginLockedOut, AuditOutcome.Failure, userId, client, cancellationToken, "too_many_failures").ConfigureAwait(false);
        return LockedOut(end - _time.GetUtcNow());
    }

    /// <summary>Clears the failure count after a complete sign-in (password and second factor).</summary>
    internal async Task RecordSuccessfulSignInAsync(Guid userId, CancellationToken cancellationToken) =>
        await UpdateAsync(userId, fresh =>
        {
            if (AccountLockout.Reset(fresh))
            {
                fresh.UpdatedAt = _time.GetUtcNow();
            }

            return null;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>When the account is locked now, the error to return (with when to retry); otherwise null.</summary>
    internal SentinelError? LockoutError(SentinelUser user) =>
        AccountLockout.IsLockedOut(user, _time.GetUtcNow(), out var retryAfter) ? LockedOut(retryAfter) : null;

    /// <summary>
    /// Checks a signed-in user's password again (for sensitive changes). A wrong one counts toward the lockout.
    /// Fails with <see cref="SentinelErrorCode.InvalidCredentials"/> or <see cref="SentinelErrorCode.LockedOut"/>.
    /// </summary>
    public async Task<SentinelResult<SentinelUser>> CheckPasswordAsync(
        Guid userId, string? password, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var user = await _store.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false);
        if (user is null || user.IsDisabled)
        {
            return new SentinelError(SentinelErrorCode.InvalidCredentials, "The password is not correct.");
        }

        if (LockoutError(user) is { } locked)
        {
            return locked;
        }

        if (_hasher.Verify(user.PasswordHash, password ?? "") == PasswordVerification.Failed)
        {
            var failed = await RecordFailedSignInAsync(userId, AuditEventTypes.LoginFailed, "wrong_password", client, cancellationToken).ConfigureAwait(false);
            return failed.Error!.Code == SentinelErrorCode.LockedOut
                ? failed
                : new SentinelError(SentinelErrorCode.InvalidCredentials, "The password is not correct.");
        }

        return SentinelResult.Success(user);
    }

    /// <summary>
    /// Changes a password after checking the current one and revokes every other session of the user, whose
    /// access tokens stop working at once (SECURITY P5, T8). A wrong current password counts toward the lockout. Fails with <see cref="SentinelErrorCode.InvalidCredentials"/>, <see cref="SentinelErrorCode.LockedOut"/>
    /// or <see cref="SentinelErrorCode.ValidationFailed"/> (errors keyed <c>newPassword</c>).
    /// </summary>
    public async Task<SentinelResult<SentinelUser>> ChangePasswordAsync(
        Guid userId, string? currentPassword, string? newPassword, Guid? currentSessionId = null, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var check = await CheckPasswordAsync(userId, currentPassword, client, cancellationToken).ConfigureAwait(false);
        if (!check.TryGetValue(out var user))
        {
            return check;
        }

        var reasons = _policy.Validate(newPassword, user.Email);
        if (reasons.Count > 0)
        {
            return SentinelError.Validation("newPassword", [.. reasons]);
        }

        var newHash = _hasher.Hash(newPassword!);
        var result = await UpdateAsync(userId, fresh =>
        {
            fresh.PasswordHash = newHash;
            AccountLockout.Reset(fresh);
            fresh.UpdatedAt = _time.GetUtcNow();
            return null;
        }, cancellationToken).ConfigureAwait(false);

        if (result.Succeeded)
        {
            await _sessions.RevokeAllAsync(userId, currentSessionId, "password_changed", cancellationToken).ConfigureAwait(false);
            Log.PasswordChanged(_logger, userId);
            await _audit.RecordAsync(AuditEventTypes.PasswordChanged, AuditOutcome.Success, userId, client, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>
    /// Disables or re-enables an account. Disabling moves <see cref="SentinelUser.SecurityValidAfter"/> to now,
    /// refuses every access token issued before at once and revokes every session.
    /// </summary>
    public async Task<SentinelResult<SentinelUser>> SetDisabledAsync(Guid userId, bool disabled, CancellationToken cancellationToken = default)
    {
        var result = await UpdateAsync(userId, fresh =>
        {
            var now = _time.GetUtcNow();
            if (disabled && !fresh.IsDisabled)
            {
                fresh.SecurityValidAfter = now;
            }

            fresh.IsDisabled = disabled;
            fresh.UpdatedAt = now;
            return null;
        }, cancellationToken).ConfigureAwait(false);

        if (disabled && result.TryGetValue(out var user))
        {
            // Every access token of the user stops working now (SECURITY T8); refreshes fail on the flag.
            _revocations.RevokeUserTokensBefore(userId, user.SecurityValidAfter);
            await _sessions.RevokeAllAsync(userId, null, "user_disabled", cancellationToken).ConfigureAwait(false);
            // Keys act for the user too: a disabled account's keys are revoked (enabling it again does not bring them back).
            await _apiKeys.RevokeAllAsync(userId, "user_disabled", cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>Adds a role (ordinal; adding one the user has changes nothing).</summary>
    public Task<SentinelResult<SentinelUser>> AddRoleAsync(Guid userId, string role, CancellationToken cancellationToken = default)
    {
        if (ValidateRole(role) is { } error)
        {
            return Task.FromResult<SentinelResult<SentinelUser>>(error);
        }

        return UpdateAsync(userId, fresh =>
        {
            if (!fresh.Roles.Contains(role, StringComparer.Ordinal))
            {
                fresh.Roles.Add(role);
                fresh.UpdatedAt = _time.GetUtcNow();
            }

            return null;
        }, cancellationToken);
    }

    /// <summary>Removes a role (removing one the user lacks changes nothing).</summary>
    public Task<SentinelResult<SentinelUser>> RemoveRoleAsync(Guid userId, string role, CancellationToken cancellationToken = default)
    {
        if (ValidateRole(role) is { } error)
        {
            return Task.FromResult<SentinelResult<SentinelUser>>(error);
        }

        return UpdateAsync(userId, fresh =>
        {
            if (fresh.Roles.RemoveAll(r => string.Equals(r, role, StringComparison.Ordinal)) > 0)
            {
                fresh.UpdatedAt = _time.GetUtcNow();
            }

            return null;
        }, cancellationToken);
    }

    private static SentinelError? ValidateRole(string? role) =>
        string.IsNullOrWhiteSpace(role) || role.Length > MaxRoleLength || role.Any(char.IsControl)
            ? SentinelError.Validation("role", $"A role is 1 to {MaxRoleLength} characters without control characters.")
            : null;

    /// <summary>Reads, changes and writes a user, retrying on optimistic-concurrency conflicts.</summary>
    internal async Task<SentinelResult<SentinelUser>> UpdateAsync(Guid userId, Func<SentinelUser, SentinelError?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxWriteAttempts; attempt++)
        {
            var user = await _store.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false);
            if (user is null)
            {
                return NotFound();
            }

            if (change(user) is { } error)
            {
                return error;
            }

            switch (await _store.UpdateAsync(user, cancellationToken).ConfigureAwait(false))
            {
                case StoreWriteResult.Success:
                    return SentinelResult.Success(user);
                case StoreWriteResult.NotFound:
                    return NotFound();
                case StoreWriteResult.Duplicate:
                    return new SentinelError(SentinelErrorCode.EmailTaken, "An account with this email already exists.");
                case StoreWriteResult.Conflict:
                default:
                    continue;
            }
        }

        Log.UpdateConflict(_logger, userId, MaxWriteAttempts);
        throw new InvalidOperationException($"User {userId} kept changing under concurrent writes; gave up after {MaxWriteAttempts} attempts.");

        static SentinelError NotFound() => new(SentinelErrorCode.NotFound, "The user does not exist.");
    }

    private static SentinelError InvalidCredentials() => new(SentinelErrorCode.InvalidCredentials, "The email or password is not correct.");

    private static SentinelError LockedOut(TimeSpan retryAfter) =>
        new(SentinelErrorCode.LockedOut, "Too many failed attempts; the account is locked for a while.")
        {
            RetryAfter = retryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : retryAfter,
        };
}
