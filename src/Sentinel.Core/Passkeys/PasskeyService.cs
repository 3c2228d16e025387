using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sentinel.Audit;
using Sentinel.Diagnostics;
using Sentinel.Sessions;
using Sentinel.SignIn;
using Sentinel.Storage;
using Sentinel.Users;

namespace Sentinel.Passkeys;

/// <summary>
/// A user's passkeys: adding one (two steps, options then the browser's response), listing, renaming and removing
/// them, and creating an account with a passkey and no password. Signing in and re-authenticating with a passkey are
/// <see cref="SignInService"/>'s, through the sign-in gate. Each step works on any instance: the ceremony's
/// challenge is in the store (SECURITY W1). Fails with <see cref="SentinelErrorCode.InvalidPasskey"/>,
/// <see cref="SentinelErrorCode.NotFound"/> (also when passkeys are not configured) or
/// <see cref="SentinelErrorCode.ValidationFailed"/>.
/// </summary>
public sealed class PasskeyService
{
    /// <summary>The longest passkey name.</summary>
    public const int MaxNameLength = 64;

    /// <summary>Bytes in a user handle: the most WebAuthn allows, random (SECURITY W3).</summary>
    internal const int UserHandleBytes = 64;

    private readonly PasskeyCeremonies _ceremonies;
    private readonly IPasskeyStore _store;
    private readonly IUserStore _users;
    private readonly SessionService _sessions;
    private readonly AuditRecorder _audit;
    private readonly SentinelMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    internal PasskeyService(
        PasskeyCeremonies ceremonies,
        IPasskeyStore store,
        IUserStore users,
        SessionService sessions,
        AuditRecorder audit,
        SentinelMetrics metrics,
        TimeProvider time,
        ILogger<PasskeyService>? logger = null)
    {
        _ceremonies = ceremonies;
        _store = store;
        _users = users;
        _sessions = sessions;
        _audit = audit;
        _metrics = metrics;
        _time = time;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>True when passkeys are configured (<c>Sentinel:Passkeys:RelyingPartyId</c>).</summary>
    public bool Enabled => _ceremonies.Enabled;

    /// <summary>
    /// Begins adding a passkey to a signed-in user's account: the creation options
    /// (<c>PublicKeyCredentialCreationOptionsJSON</c>), with the user's passkeys excluded. The account gets its
    /// random user handle the first time. The ceremony is bound to the user and to their security stamp (SECURITY T12).
    /// </summary>
    public async Task<SentinelResult<string>> BeginRegistrationAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        if (!_ceremonies.Enabled)
        {
            return PasskeyCeremonies.NotConfigured;
        }

        var withHandle = await EnsureUserHandleAsync(userId, cancellationToken).ConfigureAwait(false);
        if (!withHandle.TryGetValue(out var user))
        {
            return withHandle.Error!;
        }

        var existing = await _store.ListAsync(userId, cancellationToken).ConfigureAwait(false);
        return SentinelResult.Success(await _ceremonies.BeginRegistrationAsync(
            PasskeyCeremony.Registration, user.Id, user.SecurityStamp, user.PasskeyUserHandle!, user.Email, existing, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Finishes adding a passkey: verifies the browser's <c>RegistrationResponseJSON</c> against the options this
    /// user was given (attestation <c>none</c>, or <c>packed</c> verified; ES256, RS256 or EdDSA) and stores it, named
    /// <paramref name="name"/> or after its authenticator. Audited as <c>passkey.registered</c>.
    /// </summary>
    public async Task<SentinelResult<PasskeyCredential>> CompleteRegistrationAsync(
        Guid userId, string? credentialJson, string? name = null, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        if (!_ceremonies.Enabled)
        {
            return PasskeyCeremonies.NotConfigured;
        }

        if (ValidateName(name, required: false) is { } nameError)
        {
            return nameError;
        }

        var read = await _ceremonies.ReadRegistrationAsync(credentialJson, PasskeyCeremony.Registration, cancellationToken).ConfigureAwait(false);
        if (!read.TryGetValue(out var registration))
        {
            return read.Error!;
        }

        // Another user's ceremony (W1), or one begun before a reset, logout everywhere or disable (T12).
        var user = await _users.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false);
        if (registration.Challenge.UserId != userId || user is null || user.IsDisabled
            || !string.Equals(user.SecurityStamp, registration.Challenge.SecurityStamp, StringComparison.Ordinal))
        {
            return ForeignCeremony;
        }

        return await AddAsync(user, registration, name, client, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Begins creating an account with a passkey and no password: checks the address as registration does
    /// (<see cref="SentinelErrorCode.ValidationFailed"/>, <see cref="SentinelErrorCode.EmailTaken"/>) and returns
    /// creation options for a new, random user handle. Nothing is stored but the challenge until the passkey verifies.
    /// </summary>
    public async Task<SentinelResult<string>> BeginSignUpAsync(string? email, CancellationToken cancellationToken = default)
    {
        if (!_ceremonies.Enabled)
        {
            return PasskeyCeremonies.NotConfigured;
        }

        var trimmed = email?.Trim() ?? "";
        if (EmailNormalizer.Validate(trimmed) is { } emailError)
        {
            return SentinelError.Validation(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["email"] = [emailError] });
        }

        if (await _users.FindByNormalizedEmailAsync(EmailNormalizer.Normalize(trimmed), cancellationToken).ConfigureAwait(false) is not null)
        {
            return EmailTaken;
        }

        return SentinelResult.Success(await _ceremonies.BeginRegistrationAsync(
            PasskeyCeremony.SignUp, null, "", RandomNumberGenerator.GetBytes(UserHandleBytes), trimmed, [], cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Finishes a passkey sign-up: verifies the passkey, creates the account (no password; it may add one later or
    /// set one by email) with the passkey, and starts its first session. The passkey is both factors, as at a
    /// passkey sign-in (<c>amr</c> <c>hwk</c>, <c>mfa</c>). Audited as <c>user.registered</c>, <c>passkey.registered</c>
    /// and <c>login.succeeded</c>. Fails with <see cref="SentinelErrorCode.InvalidPasskey"/> or
    /// <see cref="SentinelErrorCode.EmailTaken"/> (the address was taken since the options).
    /// </summary>
    public async Task<SignInResult> CompleteSignUpAsync(string? credentialJson, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        if (!_ceremonies.Enabled)
        {
            return new SignInResult.Failure(PasskeyCeremonies.NotConfigured);
        }

        var read = await _ceremonies.ReadRegistrationAsync(credentialJson, PasskeyCeremony.SignUp, cancellationToken).ConfigureAwait(false);
        if (!read.TryGetValue(out var registration))
        {
            return new SignInResult.Failure(read.Error!);
        }

        var verified = await _ceremonies.VerifyRegistrationAsync(registration, IsUnusedAsync, cancellationToken).ConfigureAwait(false);
        if (!verified.TryGetValue(out var credential))
        {
            return new SignInResult.Failure(verified.Error!);
        }

        var email = credential.User.Name;
        var now = _time.GetUtcNow();
        var user = new SentinelUser
        {
            Id = Guid.CreateVersion7(now),
            Email = email,
            NormalizedEmail = EmailNormalizer.Normalize(email),
            PasswordHash = "", // no password: nothing verifies against an empty hash
            CreatedAt = now,
            UpdatedAt = now,
            SecurityValidAfter = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()),
            SecurityStamp = SecurityStamps.New(),
            PasskeyUserHandle = credential.User.Id,
        };
        if (await _users.CreateAsync(user, cancellationToken).ConfigureAwait(false) != StoreWriteResult.Success)
        {
            _metrics.Registration(false);
            return new SignInResult.Failure(EmailTaken);
        }

        var passkey = NewPasskey(user.Id, credential, registration.Transports, null, now);
        if (!await _store.TryAddAsync(passkey, cancellationToken).ConfigureAwait(false))
        {
            // The same credential registered meanwhile elsewhere (W3): the account must not stay without a credential.
            await _users.UpdateUserAsync(user.Id, fresh => { fresh.IsDisabled = true; return null; }, _logger, cancellationToken).ConfigureAwait(false);
            return new SignInResult.Failure(Duplicate);
        }

        _metrics.Registration(true);
        await _audit.RecordAsync(AuditEventTypes.UserRegistered, AuditOutcome.Success, user.Id, client, cancellationToken, details: PasskeyDetails).ConfigureAwait(false);
        await _audit.RecordAsync(AuditEventTypes.PasskeyRegistered, AuditOutcome.Success, user.Id, client, cancellationToken).ConfigureAwait(false);
        await _audit.RecordAsync(AuditEventTypes.LoginSucceeded, AuditOutcome.Success, user.Id, client, cancellationToken, details: PasskeyDetails).ConfigureAwait(false);
        string[] methods = [CredentialMethod.Passkey.AmrValue(), "mfa"];
        var tokens = await _sessions.StartAsync(user, methods, client, cancellationToken).ConfigureAwait(false);
        return new SignInResult.Success(user, tokens, methods);
    }

    /// <summary>The user's passkeys, oldest first.</summary>
    public async Task<IReadOnlyList<PasskeyCredential>> ListAsync(Guid userId, CancellationToken cancellationToken = default) =>
        await _store.ListAsync(userId, cancellationToken).ConfigureAwait(false);

    /// <summary>Renames one of the user's passkeys (1–64 characters). Fails with <see cref="SentinelErrorCode.NotFound"/> or <see cref="SentinelErrorCode.ValidationFailed"/>.</summary>
    public async Task<SentinelResult<PasskeyCredential>> RenameAsync(Guid userId, Guid passkeyId, string? name, CancellationToken cancellationToken = default)
    {
        if (ValidateName(name, required: true) is { } nameError)
        {
            return nameError;
        }

        if (!await _store.RenameAsync(userId, passkeyId, name!.Trim(), cancellationToken).ConfigureAwait(false))
        {
            return NotFound;
        }

        var renamed = (await _store.ListAsync(userId, cancellationToken).ConfigureAwait(false)).FirstOrDefault(p => p.Id == passkeyId);
        return renamed is null ? NotFound : SentinelResult.Success(renamed);
    }

    /// <summary>
    /// Removes one of the user's passkeys; its next assertion is refused on every instance, since each sign-in reads
    /// the store (SECURITY W4). An account without a password keeps its last passkey
    /// (<see cref="SentinelErrorCode.ValidationFailed"/>): it would have no way to sign in. Audited as <c>passkey.removed</c>.
    /// </summary>
    public async Task<SentinelResult> DeleteAsync(Guid userId, Guid passkeyId, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var passkeys = await _store.ListAsync(userId, cancellationToken).ConfigureAwait(false);
        if (!passkeys.Any(p => p.Id == passkeyId))
        {
            return SentinelResult.Failure(NotFound);
        }

        var user = await _users.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return SentinelResult.Failure(NotFound);
        }

        if (passkeys.Count == 1 && user.PasswordHash.Length == 0)
        {
            return SentinelResult.Failure(LastPasskey);
        }

        if (!await _store.DeleteAsync(userId, passkeyId, cancellationToken).ConfigureAwait(false))
        {
            return SentinelResult.Failure(NotFound);
        }

        await _audit.RecordAsync(AuditEventTypes.PasskeyRemoved, AuditOutcome.Success, userId, client, cancellationToken).ConfigureAwait(false);
        return SentinelResult.Success();
    }

    /// <summary>
    /// Verifies a registration (a credential id registers once across all users, W3) and stores the passkey.
    /// </summary>
    private async Task<SentinelResult<PasskeyCredential>> AddAsync(
        SentinelUser user, PasskeyCeremonies.Registration registration, string? name, ClientInfo? client, CancellationToken cancellationToken)
    {
        var verified = await _ceremonies.VerifyRegistrationAsync(registration, IsUnusedAsync, cancellationToken).ConfigureAwait(false);
        if (!verified.TryGetValue(out var credential))
        {
            return verified.Error!;
        }

        var passkey = NewPasskey(user.Id, credential, registration.Transports, name, _time.GetUtcNow());
        if (!await _store.TryAddAsync(passkey, cancellationToken).ConfigureAwait(false))
        {
            return Duplicate;
        }

        await _audit.RecordAsync(AuditEventTypes.PasskeyRegistered, AuditOutcome.Success, user.Id, client, cancellationToken).ConfigureAwait(false);
        return SentinelResult.Success(passkey);
    }

    private async Task<bool> IsUnusedAsync(byte[] credentialId, CancellationToken cancellationToken) =>
        await _store.FindByCredentialIdAsync(credentialId, cancellationToken).ConfigureAwait(false) is null;

    private static PasskeyCredential NewPasskey(
        Guid userId, Fido2NetLib.Objects.RegisteredPublicKeyCredential credential, IReadOnlyList<string> transports, string? name, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        UserId = userId,
        CredentialId = credential.Id,
        PublicKey = credential.PublicKey,
        SignCount = credential.SignCount,
        Transports = [.. transports],
        IsBackupEligible = credential.IsBackupEligible,
        IsBackedUp = credential.IsBackedUp,
        AaGuid = credential.AaGuid,
        AttestationFormat = credential.AttestationFormat ?? "none",
        Name = string.IsNullOrWhiteSpace(name) ? AuthenticatorNames.For(credential.AaGuid) : name.Trim(),
        CreatedAt = now,
    };

    /// <summary>The user, with a random user handle made and stored the first time (concurrent first calls agree on one).</summary>
    private async Task<SentinelResult<SentinelUser>> EnsureUserHandleAsync(Guid userId, CancellationToken cancellationToken)
    {
        var user = await _users.FindByIdAsync(userId, cancellationToken).ConfigureAwait(false);
        if (user is null || user.IsDisabled)
        {
            return NotFound;
        }

        if (user.PasskeyUserHandle is { Length: > 0 })
        {
            return SentinelResult.Success(user);
        }

        var handle = RandomNumberGenerator.GetBytes(UserHandleBytes);
        return await _users.UpdateUserAsync(userId, fresh =>
        {
            fresh.PasskeyUserHandle ??= handle;
            return null;
        }, _logger, cancellationToken).ConfigureAwait(false);
    }

    private static SentinelError? ValidateName(string? name, bool required)
    {
        if (name is null && !required)
        {
            return null;
        }

        var trimmed = name?.Trim() ?? "";
        return trimmed.Length is 0 or > MaxNameLength || trimmed.Any(char.IsControl)
            ? SentinelError.Validation(new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                ["name"] = [$"A passkey's name is 1 to {MaxNameLength} characters, without control characters."],
            })
            : null;
    }

    private static readonly IReadOnlyDictionary<string, string> PasskeyDetails = SignInAttempts.DetailsOf(CredentialMethod.Passkey);

    private static readonly SentinelError NotFound = new(SentinelErrorCode.NotFound, "The passkey does not exist.");

    private static readonly SentinelError EmailTaken = new(SentinelErrorCode.EmailTaken, "An account with this email already exists.");

    private static readonly SentinelError Duplicate = new(SentinelErrorCode.InvalidPasskey, "This passkey is registered already.");

    private static readonly SentinelError ForeignCeremony =
        new(SentinelErrorCode.InvalidPasskey, "The passkey ceremony was not started by this account, or the account changed since; start it again.");

    private static readonly SentinelError LastPasskey = SentinelError.Validation(new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["passkey"] = ["This is the account's only way to sign in: set a password (or add another passkey) before removing it."],
    });
}
