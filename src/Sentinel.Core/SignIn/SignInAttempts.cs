using System.Collections.Frozen;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sentinel.Audit;
using Sentinel.Diagnostics;
using Sentinel.Passwords;
using Sentinel.Storage;
using Sentinel.Users;

namespace Sentinel.SignIn;

/// <summary>
/// The one gate every credential check passes through, on every route: a password at sign-in or again for a
/// sensitive change, a TOTP code, a recovery code. It owns what each check must do and no route may skip:
/// <list type="bullet">
/// <item>equal work for unknown accounts (one hash at the current parameters, and the time of a failure write, SECURITY P3);</item>
/// <item>the lockout: a locked account is refused before anything is checked, and each wrong guess counts (P4, M5);</item>
/// <item>no more checks in parallel than in sequence (SECURITY M8): an attempt reserves its check first, reading the
/// account's counters afresh, and starts only while the failures so far plus the checks under way leave room;
/// otherwise it waits for one to end (<see cref="AttemptBudgets"/>). The checks themselves run in parallel;</item>
/// <item>the audit event of each attempt (<c>login.failed</c>, <c>mfa.failed</c>, <c>mfa.succeeded</c>,
/// <c>login.locked_out</c>) with <c>details.method</c>, and the sign-in metrics.</item>
/// </list>
/// A singleton: its state (the dummy hash, the typical failure-write time, the checks under way per account) is per host.
/// </summary>
/// <remarks>
/// The checks under way are counted in this process. With several instances, attempts on one account that reach
/// different instances are not counted against each other until their failures are written, so each other
/// instance can add up to the lockout's budget in the same moment; the counters themselves are written with
/// optimistic concurrency and lose no failure.
/// </remarks>
public sealed class SignInAttempts
{
    private static readonly FrozenDictionary<CredentialMethod, IReadOnlyDictionary<string, string>> MethodDetails =
        Enum.GetValues<CredentialMethod>().ToFrozenDictionary(
            m => m,
            m => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(StringComparer.Ordinal) { ["method"] = m.AuditValue() }.ToFrozenDictionary(StringComparer.Ordinal));

    private static readonly SentinelError WrongCredentials = new(SentinelErrorCode.InvalidCredentials, "The email or password is not correct.");
    private static readonly SentinelError WrongPassword = new(SentinelErrorCode.InvalidCredentials, "The password is not correct.");
    private static readonly SentinelError WrongPasskey = new(SentinelErrorCode.InvalidPasskey, "The passkey is not registered here, or its account cannot sign in.");
    private static readonly SentinelError NoSuchUser = new(SentinelErrorCode.NotFound, "The user does not exist.");

    private readonly IServiceScopeFactory _scopes;
    private readonly IPasswordHasher _hasher;
    private readonly AuditRecorder _audit;
    private readonly SentinelOptions _options;
    private readonly TimeProvider _time;
    private readonly SentinelMetrics _metrics;
    private readonly ILogger _logger;
    private readonly AttemptBudgets _budgets = new();
    private readonly FailureWriteTiming _failureTiming = new();
    private readonly MemoryLockouts _unknownLockouts = new();
    private readonly MemoryLockouts _deviceLockouts = new();
    private readonly MemoryLockouts _passkeyLockouts = new();
    private readonly Lazy<string> _dummyHash;

    /// <summary>Creates the gate; normally resolved from DI as a singleton.</summary>
    public SignInAttempts(
        IServiceScopeFactory scopes,
        IPasswordHasher hasher,
        AuditRecorder audit,
        IOptions<SentinelOptions> options,
        TimeProvider time,
        SentinelMetrics metrics,
        ILogger<SignInAttempts>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(hasher);
        _scopes = scopes;
        _hasher = hasher;
        _audit = audit;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        // One dummy hash per host, made once: computing it costs a whole hash, which would make unknown emails
        // slower than known ones if it were made per request (SECURITY P3).
        _dummyHash = new Lazy<string>(() => _hasher.Hash(Guid.NewGuid().ToString("N")));
    }

    /// <summary>Accounts with an attempt running or waiting now (none once every attempt has finished).</summary>
    internal int AccountsInUse => _budgets.Count;

    /// <summary>
    /// The first factor of a sign-in: checks an email and password. Unknown email, wrong password and disabled
    /// account all give <see cref="SentinelErrorCode.InvalidCredentials"/> at the same cost (SECURITY P3); a locked
    /// account gives <see cref="SentinelErrorCode.LockedOut"/> with <see cref="SentinelError.RetryAfter"/> (P4); with
    /// <see cref="Email.EmailOptions.RequireConfirmedEmail"/>, an unconfirmed address gives
    /// <see cref="SentinelErrorCode.EmailNotConfirmed"/>, only after a right password. A right password upgrades a
    /// weaker stored hash (P2). It does not clear the failure count: the sign-in is complete only when
    /// <see cref="RecordSignInCompletedAsync"/> says so (with MFA on, after the second factor, SECURITY M5).
    /// </summary>
    public Task<SentinelResult<SentinelUser>> CheckPasswordAsync(
        string? email, string? password, ClientInfo? client = null, CancellationToken cancellationToken = default) =>
        CheckPasswordAsync(email, password, null, client, cancellationToken);

    /// <summary>
    /// As the public overload, from a recognised <paramref name="device"/> (<see cref="RecognizeAsync"/>): its checks
    /// are counted and locked against the device, so a lockout others caused does not refuse it.
    /// </summary>
    internal async Task<SentinelResult<SentinelUser>> CheckPasswordAsync(
        string? email, string? password, RecognizedDevice? device, ClientInfo? client, CancellationToken cancellationToken)
    {
        password ??= "";
        var normalized = NormalizedEmailOf(email);
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var store = scope.ServiceProvider.GetRequiredService<IUserStore>();
            var (reservation, user, lockedFor, _) = await ReserveAsync(
                normalized, ct => normalized.Length == 0 ? ValueTask.FromResult<SentinelUser?>(null) : store.FindByNormalizedEmailAsync(normalized, ct), null, device, cancellationToken).ConfigureAwait(false);
            if (reservation is null)
            {
                _hasher.Verify(_dummyHash.Value, password); // the same cost as a check; a locked account's right password is refused too
                if (user is null)
                {
                    await _failureTiming.PadAsync(cancellationToken).ConfigureAwait(false); // no failure count to write
                    // The same counts and the same 429 as a real account's (counted in memory): no answer tells them apart.
                    var unknownWait = _unknownLockouts.RecordFailure(normalized, _options.Lockout, _time.GetUtcNow());
                    var refused = await RefuseAsync(null, "unknown_user", WrongCredentials, client, cancellationToken).ConfigureAwait(false);
                    return unknownWait is { } wait ? LockedOut(wait) : refused;
                }

                return await LockedOutAsync(user.Id, lockedFor!.Value, CredentialMethod.Password, client, cancellationToken).ConfigureAwait(false);
            }

            PasswordVerification verification;
            Debug.Assert(user is not null, "a reservation comes with its account");
            using (reservation)
            {
                verification = VerifyPassword(user, password);
                if (verification == PasswordVerification.Failed)
                {
                    return await RecordFailureAsync(store, user.Id, CredentialMethod.Password, "wrong_password", WrongCredentials, client, DeviceOf(device, user), cancellationToken).ConfigureAwait(false);
                }
            }

            if (user.IsDisabled)
            {
                await _failureTiming.PadAsync(cancellationToken).ConfigureAwait(false); // as slow as a wrong password
                return await RefuseAsync(user.Id, "disabled", WrongCredentials, client, cancellationToken).ConfigureAwait(false);
            }

            if (_options.Email.RequireConfirmedEmail && !user.EmailConfirmed)
            {
                // Only after a right password: otherwise this answer would tell who has an account.
                await _audit.RecordAsync(AuditEventTypes.LoginFailed, AuditOutcome.Failure, user.Id, client, cancellationToken, "email_not_confirmed", details: MethodDetails[CredentialMethod.Password]).ConfigureAwait(false);
                return new SentinelError(SentinelErrorCode.EmailNotConfirmed, "Confirm your email address first; a new confirmation link can be requested.");
            }

            return verification == PasswordVerification.SuccessRehashNeeded
                ? await UpgradeHashAsync(store, user, password, cancellationToken).ConfigureAwait(false)
                : SentinelResult.Success(user);
        }
    }

    /// <summary>
    /// Checks a signed-in user's password again, before a sensitive change (a new password, turning MFA off). A wrong
    /// one counts toward the lockout and writes <c>login.failed</c>. Fails with
    /// <see cref="SentinelErrorCode.InvalidCredentials"/> or <see cref="SentinelErrorCode.LockedOut"/>.
    /// </summary>
    public async Task<SentinelResult<SentinelUser>> CheckPasswordAsync(
        Guid userId, string? password, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        password ??= "";
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var store = scope.ServiceProvider.GetRequiredService<IUserStore>();
            var known = await store.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false);
            if (known is null || known.IsDisabled)
            {
                return WrongPassword;
            }

            var (reservation, user, lockedFor, _) = await ReserveAsync(known.NormalizedEmail, ct => store.FindByIdAsync(userId, ct), null, null, cancellationToken).ConfigureAwait(false);
            if (reservation is null)
            {
                return user is null ? WrongPassword : await LockedOutAsync(user.Id, lockedFor!.Value, CredentialMethod.Password, client, cancellationToken).ConfigureAwait(false);
            }

            Debug.Assert(user is not null, "a reservation comes with its account");
            using (reservation)
            {
                return VerifyPassword(user, password) == PasswordVerification.Failed
                    ? await RecordFailureAsync(store, user.Id, CredentialMethod.Password, "wrong_password", WrongPassword, client, null, cancellationToken).ConfigureAwait(false)
                    : SentinelResult.Success(user);
            }
        }
    }

    /// <summary>
    /// Checks a second factor of <paramref name="user"/> with <paramref name="verify"/>, which receives the account
    /// as read when the check was reserved, and returns null when the factor is right,
    /// <see cref="SentinelErrorCode.InvalidMfaCode"/> when it is wrong (counted toward the lockout, <c>mfa.failed</c>)
    /// or any other error to refuse without counting (a challenge that is no longer redeemable, say). A right factor
    /// completes the authentication: the failure count is cleared and <c>mfa.succeeded</c> written.
    /// Fails with <see cref="SentinelErrorCode.InvalidMfaCode"/>, <see cref="SentinelErrorCode.LockedOut"/> or the
    /// error <paramref name="verify"/> returned.
    /// </summary>
    /// <param name="user">The account; its counters are read again when the attempt reserves its check.</param>
    /// <param name="method">What is being checked (<see cref="CredentialMethod.Totp"/> or <see cref="CredentialMethod.RecoveryCode"/>), for the audit event.</param>
    /// <param name="verify">The check itself.</param>
    /// <param name="client">The caller, for the audit event.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    public Task<SentinelResult<SentinelUser>> CheckSecondFactorAsync(
        SentinelUser user,
        CredentialMethod method,
        Func<SentinelUser, CancellationToken, ValueTask<SentinelError?>> verify,
        ClientInfo? client = null,
        CancellationToken cancellationToken = default) =>
        CheckSecondFactorAsync(user, method, null, verify, client, null, cancellationToken);

    /// <summary>
    /// As the public overload, with a limit of the route's own (a challenge's wrong codes, say): <paramref name="limit"/>
    /// runs in the account's turn and says how many checks are left and, when none is, the error to refuse with.
    /// </summary>
    internal async Task<SentinelResult<SentinelUser>> CheckSecondFactorAsync(
        SentinelUser user,
        CredentialMethod method,
        Func<CancellationToken, ValueTask<(int Left, SentinelError Refusal)>>? limit,
        Func<SentinelUser, CancellationToken, ValueTask<SentinelError?>> verify,
        ClientInfo? client,
        RecognizedDevice? device,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(verify);
        device = DeviceOf(device, user);
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var store = scope.ServiceProvider.GetRequiredService<IUserStore>();
            var (reservation, fresh, lockedFor, refusal) = await ReserveAsync(user.NormalizedEmail, ct => store.FindByIdAsync(user.Id, ct), limit, device, cancellationToken).ConfigureAwait(false);
            if (reservation is null)
            {
                return lockedFor is { } wait
                    ? await LockedOutAsync(fresh!.Id, wait, method, client, cancellationToken).ConfigureAwait(false)
                    : refusal ?? NoSuchUser;
            }

            using (reservation)
            {
                if (await verify(fresh!, cancellationToken).ConfigureAwait(false) is { } wrong)
                {
                    return wrong.Code == SentinelErrorCode.InvalidMfaCode
                        ? await RecordFailureAsync(store, fresh!.Id, method, "wrong_code", wrong, client, device, cancellationToken).ConfigureAwait(false)
                        : wrong;
                }
            }

            var signedIn = await ResetAsync(store, fresh!, device, cancellationToken).ConfigureAwait(false);
            await _audit.RecordAsync(AuditEventTypes.MfaSucceeded, AuditOutcome.Success, signedIn.Id, client, cancellationToken, details: MethodDetails[method]).ConfigureAwait(false);
            return SentinelResult.Success(signedIn);
        }
    }

    /// <summary>
    /// Checks a passkey assertion for the credential <paramref name="credentialId"/>: <paramref name="read"/> finds the
    /// account it belongs to (null when no passkey has that id) and <paramref name="verify"/> checks the assertion,
    /// returning null when it verifies or <see cref="SentinelErrorCode.InvalidPasskey"/> when it does not. Failures
    /// count per credential, not against the account: a signature cannot be guessed, so password guesses by others
    /// (which lock the account) do not refuse its owner's passkey, and wrong assertions do not lock the account's
    /// password. Unknown credentials and disabled accounts are refused (SECURITY W4) and audited as
    /// <c>login.failed</c> with <c>details.method = passkey</c>; the per-address limit is the route's rate limit.
    /// </summary>
    internal async Task<SentinelResult<SentinelUser>> CheckPasskeyAsync(
        byte[] credentialId,
        Func<CancellationToken, ValueTask<SentinelUser?>> read,
        Func<SentinelUser, CancellationToken, ValueTask<SentinelError?>> verify,
        ClientInfo? client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(verify);
        // A fixed-length key whatever the credential id's length.
        var key = "passkey:" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(credentialId));
        SentinelUser? user = null;
        TimeSpan? lockedFor = null;
        var (reservation, _) = await _budgets.ReserveAsync<SentinelError?>(key, async ct =>
        {
            user = await read(ct).ConfigureAwait(false);
            lockedFor = _passkeyLockouts.IsLockedOut(key, _time.GetUtcNow(), out var wait) ? wait : null;
            return (user is null || lockedFor is not null ? 0 : _passkeyLockouts.ChecksLeft(key, _options.Lockout), null);
        }, cancellationToken).ConfigureAwait(false);
        if (reservation is null)
        {
            if (lockedFor is { } locked)
            {
                return await LockedOutAsync(user?.Id, locked, CredentialMethod.Passkey, client, cancellationToken).ConfigureAwait(false);
            }

            var unknownWait = _passkeyLockouts.RecordFailure(key, _options.Lockout, _time.GetUtcNow());
            var refused = await RefuseAsync(null, "unknown_passkey", WrongPasskey, client, cancellationToken, CredentialMethod.Passkey).ConfigureAwait(false);
            return unknownWait is { } wait ? LockedOut(wait) : refused;
        }

        using (reservation)
        {
            if (user!.IsDisabled)
            {
                return await RefuseAsync(user.Id, "disabled", WrongPasskey, client, cancellationToken, CredentialMethod.Passkey).ConfigureAwait(false);
            }

            if (await verify(user, cancellationToken).ConfigureAwait(false) is { } wrong)
            {
                if (wrong.Code != SentinelErrorCode.InvalidPasskey)
                {
                    return wrong;
                }

                var wait = _passkeyLockouts.RecordFailure(key, _options.Lockout, _time.GetUtcNow());
                var refused = await RefuseAsync(user.Id, "wrong_passkey", wrong, client, cancellationToken, CredentialMethod.Passkey).ConfigureAwait(false);
                return wait is { } lockedNow ? LockedOut(lockedNow) : refused;
            }
        }

        _passkeyLockouts.Reset(key);
        return SentinelResult.Success(user);
    }

    /// <summary>
    /// Refuses a passkey response before its credential is known (unreadable, or answering no live challenge of its
    /// ceremony): audited as <c>login.failed</c> with <c>details.method = passkey</c>, counted by the route's rate limit.
    /// </summary>
    internal Task<SentinelResult<SentinelUser>> RefusePasskeyAsync(Guid? userId, SentinelError error, ClientInfo? client, CancellationToken cancellationToken) =>
        RefuseAsync(userId, "invalid_ceremony", error, client, cancellationToken, CredentialMethod.Passkey);

    /// <summary>
    /// Clears the failure count once a sign-in is complete (every factor it needs was right): the device's, when it
    /// came from a recognised one (the account's count is others' to clear), else the account's.
    /// </summary>
    internal async Task<SentinelUser> RecordSignInCompletedAsync(SentinelUser user, RecognizedDevice? device, CancellationToken cancellationToken)
    {
        if (DeviceOf(device, user) is { } recognized)
        {
            _deviceLockouts.Reset(recognized.Hash);
            return user;
        }

        if (!HasFailures(user))
        {
            return user; // the common case writes nothing
        }

        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            return await ResetAsync(scope.ServiceProvider.GetRequiredService<IUserStore>(), user, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The device a sign-in to <paramref name="email"/> presented <paramref name="deviceToken"/> for, when the token is
    /// one Sentinel issued to that account (unspent, unexpired, under the account's current security stamp); null
    /// otherwise, and then the sign-in is counted against the account as any other.
    /// </summary>
    internal async Task<RecognizedDevice?> RecognizeAsync(string? email, string? deviceToken, CancellationToken cancellationToken) =>
        DeviceTokens.HashOf(deviceToken) is { } hash && NormalizedEmailOf(email) is { Length: > 0 } normalized
            ? await RecognizeHashAsync(hash, user => string.Equals(user.NormalizedEmail, normalized, StringComparison.Ordinal), cancellationToken).ConfigureAwait(false)
            : null;

    /// <summary>As <see cref="RecognizeAsync"/>, for the device a challenge recorded (its token's hash).</summary>
    internal async Task<RecognizedDevice?> RecognizeRecordedAsync(string? hash, Guid userId, CancellationToken cancellationToken) =>
        hash is null ? null : await RecognizeHashAsync(hash, user => user.Id == userId, cancellationToken).ConfigureAwait(false);

    private async Task<RecognizedDevice?> RecognizeHashAsync(string hash, Func<SentinelUser, bool> owner, CancellationToken cancellationToken)
    {
        if (_options.Lockout.DeviceTokenLifetime <= TimeSpan.Zero)
        {
            return null;
        }

        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var tokens = scope.ServiceProvider.GetRequiredService<Email.IOneTimeTokenStore>();
            var record = await tokens.FindAsync(hash, Email.OneTimeTokenPurpose.DeviceRecognition, cancellationToken).ConfigureAwait(false);
            if (record is null || record.UsedAt is not null || record.ExpiresAt <= _time.GetUtcNow() || !string.Equals(record.Hash, hash, StringComparison.Ordinal))
            {
                return null;
            }

            var user = await scope.ServiceProvider.GetRequiredService<IUserStore>().FindByIdAsync(record.UserId, cancellationToken).ConfigureAwait(false);
            return user is not null && owner(user) && string.Equals(user.SecurityStamp, record.SecurityStamp, StringComparison.Ordinal)
                ? new RecognizedDevice(hash, record.Id, user.Id)
                : null;
        }
    }

    /// <summary>
    /// Checks a password against the account's hash. An account without one (a passkey sign-up) fails at the cost of
    /// a real check, so no answer tells such an account from one with a wrong password (SECURITY P3).
    /// </summary>
    private PasswordVerification VerifyPassword(SentinelUser user, string password)
    {
        if (user.PasswordHash.Length == 0)
        {
            _hasher.Verify(_dummyHash.Value, password);
            return PasswordVerification.Failed;
        }

        return _hasher.Verify(user.PasswordHash, password);
    }

    /// <summary><paramref name="device"/> when it is <paramref name="user"/>'s, else null.</summary>
    private static RecognizedDevice? DeviceOf(RecognizedDevice? device, SentinelUser? user) =>
        device is { } d && user is not null && d.UserId == user.Id ? d : null;

    private static string NormalizedEmailOf(string? email)
    {
        var trimmed = email?.Trim() ?? "";
        return trimmed.Length is > 0 and <= EmailNormalizer.MaxLength ? EmailNormalizer.Normalize(trimmed) : "";
    }

    /// <summary>The <c>details</c> of an event about <paramref name="method"/>: <c>{"method": …}</c>, shared and read-only.</summary>
    internal static IReadOnlyDictionary<string, string> DetailsOf(CredentialMethod method) => MethodDetails[method];

    /// <summary>
    /// Reserves one check on the account under <paramref name="key"/>: reads it afresh (<paramref name="read"/>) in its
    /// turn and refuses when it is gone, locked, or out of checks (the lockout's, and <paramref name="limit"/>'s if
    /// given, whose refusal is then returned).
    /// </summary>
    private async Task<Reserved> ReserveAsync(
        string key,
        Func<CancellationToken, ValueTask<SentinelUser?>> read,
        Func<CancellationToken, ValueTask<(int Left, SentinelError Refusal)>>? limit,
        RecognizedDevice? device,
        CancellationToken cancellationToken)
    {
        SentinelUser? user = null;
        TimeSpan? lockedFor = null;
        // A recognised device has its own turn and its own counters: others' guesses at the account use neither.
        var (reservation, refusal) = await _budgets.ReserveAsync<SentinelError?>(device is { } d ? "device:" + d.Hash : key, async ct =>
        {
            user = await read(ct).ConfigureAwait(false);
            lockedFor = null;
            if (user is null)
            {
                return (0, null);
            }

            var recognized = DeviceOf(device, user);
            var locked = recognized is { } trusted
                ? _deviceLockouts.IsLockedOut(trusted.Hash, _time.GetUtcNow(), out var wait)
                : IsLockedOut(user, out wait);
            if (locked)
            {
                lockedFor = wait;
                return (0, null);
            }

            var left = recognized is { } counted ? _deviceLockouts.ChecksLeft(counted.Hash, _options.Lockout) : ChecksLeft(user);
            if (limit is null)
            {
                return (left, null);
            }

            var (own, ownRefusal) = await limit(ct).ConfigureAwait(false);
            return (Math.Min(own, left), ownRefusal);
        }, cancellationToken).ConfigureAwait(false);
        return new Reserved(reservation, user, lockedFor, refusal);
    }

    /// <summary>A reserved check (or why there is none) and the account as read when it was decided.</summary>
    private readonly record struct Reserved(AttemptBudgets.Reservation? Reservation, SentinelUser? User, TimeSpan? LockedFor, SentinelError? Refusal);

    /// <summary>How many more checks the lockout leaves the account (unbounded when lockout is off).</summary>
    private int ChecksLeft(SentinelUser user) =>
        _options.Lockout.Enabled ? Math.Max(1, _options.Lockout.MaxFailedAttempts - user.AccessFailedCount) : int.MaxValue;

    private bool IsLockedOut(SentinelUser user, out TimeSpan retryAfter) =>
        AccountLockout.IsLockedOut(user, _time.GetUtcNow(), out retryAfter);

    private static bool HasFailures(SentinelUser user) => user.AccessFailedCount > 0 || user.LockoutCount > 0 || user.LockoutEnd is not null;

    private async Task<SentinelUser> ResetAsync(IUserStore store, SentinelUser user, RecognizedDevice? device, CancellationToken cancellationToken)
    {
        if (device is { } recognized)
        {
            _deviceLockouts.Reset(recognized.Hash);
            return user;
        }

        if (!HasFailures(user))
        {
            return user;
        }

        var reset = await store.UpdateUserAsync(user.Id, fresh =>
        {
            if (AccountLockout.Reset(fresh))
            {
                fresh.UpdatedAt = _time.GetUtcNow();
            }

            return null;
        }, _logger, cancellationToken).ConfigureAwait(false);
        return reset.Value ?? user;
    }

    private async Task<SentinelResult<SentinelUser>> UpgradeHashAsync(IUserStore store, SentinelUser user, string password, CancellationToken cancellationToken)
    {
        var verified = user.PasswordHash;
        var upgraded = _hasher.Hash(password);
        var updated = await store.UpdateUserAsync(user.Id, fresh =>
        {
            // Only the hash that was verified is replaced: a concurrent password change wins.
            if (string.Equals(fresh.PasswordHash, verified, StringComparison.Ordinal))
            {
                fresh.PasswordHash = upgraded;
                fresh.UpdatedAt = _time.GetUtcNow();
            }

            return null;
        }, _logger, cancellationToken).ConfigureAwait(false);
        if (!updated.TryGetValue(out var fresh))
        {
            return SentinelResult.Success(user);
        }

        if (string.Equals(fresh.PasswordHash, upgraded, StringComparison.Ordinal))
        {
            Log.PasswordRehashed(_logger, fresh.Id);
        }

        return SentinelResult.Success(fresh);
    }

    /// <summary>
    /// Counts a wrong credential toward the lockout (before the attempt's reservation ends, so that no other attempt
    /// reads the counters without it) and audits it.
    /// Returns <paramref name="wrong"/>, or <see cref="SentinelErrorCode.LockedOut"/> when this failure locked the account.
    /// </summary>
    private async Task<SentinelResult<SentinelUser>> RecordFailureAsync(
        IUserStore store, Guid userId, CredentialMethod method, string reason, SentinelError wrong, ClientInfo? client, RecognizedDevice? device, CancellationToken cancellationToken)
    {
        DateTimeOffset? lockedUntil = null;
        if (device is { } recognized)
        {
            // Counted against the device only: the account's owner is not locked out by what a device of theirs does.
            var now = _time.GetUtcNow();
            lockedUntil = _deviceLockouts.RecordFailure(recognized.Hash, _options.Lockout, now) is { } wait ? now + wait : null;
        }
        else if (_options.Lockout.Enabled)
        {
            var started = Stopwatch.GetTimestamp();
            await store.UpdateUserAsync(userId, fresh =>
            {
                var now = _time.GetUtcNow();
                lockedUntil = AccountLockout.RecordFailure(fresh, _options.Lockout, now) ? fresh.LockoutEnd : null;
                fresh.UpdatedAt = now;
                return null;
            }, _logger, cancellationToken).ConfigureAwait(false);
            _failureTiming.Record(started);
        }

        var auditType = method == CredentialMethod.Password ? AuditEventTypes.LoginFailed : AuditEventTypes.MfaFailed;
        _metrics.LoginAttempt(lockedUntil is null ? SignInOutcome.InvalidCredentials : SignInOutcome.LockedOut);
        Log.SignInFailed(_logger, reason, userId);
        await _audit.RecordAsync(auditType, AuditOutcome.Failure, userId, client, cancellationToken, reason, details: MethodDetails[method]).ConfigureAwait(false);
        if (lockedUntil is not { } end)
        {
            return wrong;
        }

        Log.UserLockedOut(_logger, userId, end);
        await _audit.RecordAsync(AuditEventTypes.LoginLockedOut, AuditOutcome.Failure, userId, client, cancellationToken, "too_many_failures", details: MethodDetails[method]).ConfigureAwait(false);
        return LockedOut(end - _time.GetUtcNow());
    }

    private async Task<SentinelResult<SentinelUser>> RefuseAsync(
        Guid? userId, string reason, SentinelError error, ClientInfo? client, CancellationToken cancellationToken, CredentialMethod method = CredentialMethod.Password)
    {
        _metrics.LoginAttempt(SignInOutcome.InvalidCredentials);
        Log.SignInFailed(_logger, reason, userId);
        await _audit.RecordAsync(AuditEventTypes.LoginFailed, AuditOutcome.Failure, userId, client, cancellationToken, reason, details: MethodDetails[method]).ConfigureAwait(false);
        return error;
    }

    private async Task<SentinelResult<SentinelUser>> LockedOutAsync(Guid? userId, TimeSpan wait, CredentialMethod method, ClientInfo? client, CancellationToken cancellationToken)
    {
        _metrics.LoginAttempt(SignInOutcome.LockedOut);
        await _audit.RecordAsync(AuditEventTypes.LoginLockedOut, AuditOutcome.Failure, userId, client, cancellationToken, "locked", details: MethodDetails[method]).ConfigureAwait(false);
        return LockedOut(wait);
    }

    /// <summary>The lockout error, with when to retry (at least a second).</summary>
    internal static SentinelError LockedOut(TimeSpan retryAfter) =>
        new(SentinelErrorCode.LockedOut, "Too many failed attempts; the account is locked for a while.")
        {
            RetryAfter = retryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : retryAfter,
        };
}

/// <summary>A device token Sentinel issued to the account signing in: its hash, its record and its user.</summary>
/// <param name="Hash">The token's SHA-256, the key of the device's counters.</param>
/// <param name="RecordId">The stored token, spent when the device gets its next one.</param>
/// <param name="UserId">Whose device it is.</param>
internal readonly record struct RecognizedDevice(string Hash, Guid RecordId, Guid UserId);
