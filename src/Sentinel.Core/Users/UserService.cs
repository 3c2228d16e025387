using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sentinel.ApiKeys;
using Sentinel.Audit;
using Sentinel.Diagnostics;
using Sentinel.SignIn;
using Sentinel.Storage;
using Sentinel.Passwords;
using Sentinel.Sessions;

namespace Sentinel.Users;

/// <summary>
/// Accounts, after ASP.NET Core Identity's <c>UserManager</c>: registration, password change, disable and roles.
/// Signing in is <see cref="SignInService"/>'s, and every credential check (the current password of a change too)
/// is <see cref="SignInAttempts"/>'. Expected failures come back as <see cref="SentinelResult"/> with a closed
/// <see cref="SentinelErrorCode"/>; exceptions mean bugs or infrastructure faults. Every decision is audited.
/// </summary>
public sealed class UserService
{
    private const int MaxRoleLength = 64;

    private readonly IUserStore _store;
    private readonly SessionService _sessions;
    private readonly ApiKeyService _apiKeys;
    private readonly RevocationList _revocations;
    private readonly IPasswordHasher _hasher;
    private readonly PasswordPolicy _policy;
    private readonly SignInAttempts _attempts;
    private readonly AuditRecorder _audit;
    private readonly SentinelOptions _options;
    private readonly TimeProvider _time;
    private readonly SentinelMetrics _metrics;
    private readonly ILogger _logger;
    /// <summary>Creates the service; normally resolved from DI.</summary>
    internal UserService(
        IUserStore store,
        SessionService sessions,
        ApiKeyService apiKeys,
        RevocationList revocations,
        IPasswordHasher hasher,
        PasswordPolicy policy,
        SignInAttempts attempts,
        AuditRecorder audit,
        IOptions<SentinelOptions> options,
        TimeProvider time,
        SentinelMetrics metrics,
        ILogger<UserService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _sessions = sessions;
        _apiKeys = apiKeys;
        _revocations = revocations;
        _hasher = hasher;
        _policy = policy;
        _attempts = attempts;
        _audit = audit;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger ?? (ILogger)Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

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
            SecurityStamp = SecurityStamps.New(),
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
    /// Changes a password after checking the current one and revokes every other session of the user, whose
    /// access tokens stop working at once (SECURITY P5, T8). A wrong current password counts toward the lockout. Fails with <see cref="SentinelErrorCode.InvalidCredentials"/>, <see cref="SentinelErrorCode.LockedOut"/>
    /// or <see cref="SentinelErrorCode.ValidationFailed"/> (errors keyed <c>newPassword</c>).
    /// </summary>
    public async Task<SentinelResult<SentinelUser>> ChangePasswordAsync(
        Guid userId, string? currentPassword, string? newPassword, Guid? currentSessionId = null, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var check = await _attempts.CheckPasswordAsync(userId, currentPassword, client, cancellationToken).ConfigureAwait(false);
        if (!check.TryGetValue(out var user))
        {
            return check;
        }

        return await SetPasswordAsync(user, newPassword, _ => null, currentSessionId, client, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Gives an account that has no password (a passkey sign-up) its first one. The caller must have proved a
    /// credential recently (the HTTP route requires a recent sign-in, SECURITY T11), since there is no current password
    /// to check. Other sessions are revoked, as on a change. Fails with <see cref="SentinelErrorCode.ValidationFailed"/>
    /// (errors keyed <c>newPassword</c>, or <c>currentPassword</c> when the account has a password already) or
    /// <see cref="SentinelErrorCode.NotFound"/>.
    /// </summary>
    public async Task<SentinelResult<SentinelUser>> AddPasswordAsync(
        Guid userId, string? newPassword, Guid? currentSessionId = null, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var user = await _store.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false);
        if (user is null || user.IsDisabled)
        {
            return new SentinelError(SentinelErrorCode.NotFound, "The user does not exist.");
        }

        if (user.PasswordHash.Length > 0)
        {
            return HasPassword;
        }

        // Only while it has none: a concurrent request may have set one.
        return await SetPasswordAsync(user, newPassword, fresh => fresh.PasswordHash.Length > 0 ? HasPassword : null, currentSessionId, client, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Checks <paramref name="newPassword"/> against the policy and stores its hash (unless <paramref name="guard"/>
    /// refuses the account as read afresh), with a new security stamp and a clear lockout; then revokes the other
    /// sessions and audits <c>password.changed</c>.
    /// </summary>
    private async Task<SentinelResult<SentinelUser>> SetPasswordAsync(
        SentinelUser user, string? newPassword, Func<SentinelUser, SentinelError?> guard, Guid? currentSessionId, ClientInfo? client, CancellationToken cancellationToken)
    {
        var reasons = _policy.Validate(newPassword, user.Email);
        if (reasons.Count > 0)
        {
            return SentinelError.Validation("newPassword", [.. reasons]);
        }

        var newHash = _hasher.Hash(newPassword!);
        var result = await UpdateAsync(user.Id, fresh =>
        {
            if (guard(fresh) is { } refused)
            {
                return refused;
            }

            fresh.PasswordHash = newHash;
            fresh.SecurityStamp = SecurityStamps.New(); // T12: challenges and reset links begun before end here
            AccountLockout.Reset(fresh);
            fresh.UpdatedAt = _time.GetUtcNow();
            return null;
        }, cancellationToken).ConfigureAwait(false);

        if (result.Succeeded)
        {
            await _sessions.RevokeAllAsync(user.Id, currentSessionId, "password_changed", cancellationToken).ConfigureAwait(false);
            Log.PasswordChanged(_logger, user.Id);
            await _audit.RecordAsync(AuditEventTypes.PasswordChanged, AuditOutcome.Success, user.Id, client, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    private static readonly SentinelError HasPassword = SentinelError.Validation("currentPassword", ["The account has a password: send it as currentPassword to change it."]);

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
                fresh.SecurityStamp = SecurityStamps.New();
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

    private Task<SentinelResult<SentinelUser>> UpdateAsync(Guid userId, Func<SentinelUser, SentinelError?> change, CancellationToken cancellationToken) =>
        _store.UpdateUserAsync(userId, change, _logger, cancellationToken);
}
