using Microsoft.Extensions.Options;
using Sentinel.Audit;
using Sentinel.Diagnostics;
using Sentinel.Mfa;
using Sentinel.Sessions;
using Sentinel.Users;

namespace Sentinel.SignIn;

/// <summary>
/// Signing in, after ASP.NET Core Identity's <c>SignInManager</c>: a password sign-in either starts a session or
/// asks for the second factor, and <see cref="CompleteSecondFactorAsync"/> finishes it. Every credential is checked
/// by <see cref="SignInAttempts"/>, the one gate that counts, locks and audits; this service decides what a sign-in
/// needs and starts the session once it has it. Later sign-in methods (passkeys, external providers,
/// re-authentication) plug in here the same way.
/// </summary>
public sealed class SignInService
{
    private static readonly string[] PasswordOnly = [CredentialMethod.Password.AmrValue()];

    private readonly SignInAttempts _attempts;
    private readonly MfaService _mfa;
    private readonly IMfaStore _mfaStore;
    private readonly IUserStore _users;
    private readonly SessionService _sessions;
    private readonly AuditRecorder _audit;
    private readonly SentinelMetrics _metrics;
    private readonly Email.IOneTimeTokenStore _deviceTokens;
    private readonly Passkeys.PasskeyCeremonies _passkeyCeremonies;
    private readonly Passkeys.IPasskeyStore _passkeys;
    private readonly MfaOptions _options;
    private readonly LockoutOptions _lockout;
    private readonly TimeProvider _time;

    /// <summary>Creates the service; normally resolved from DI.</summary>
    internal SignInService(
        SignInAttempts attempts,
        MfaService mfa,
        IMfaStore mfaStore,
        IUserStore users,
        SessionService sessions,
        AuditRecorder audit,
        SentinelMetrics metrics,
        Email.IOneTimeTokenStore deviceTokens,
        Passkeys.PasskeyCeremonies passkeyCeremonies,
        Passkeys.IPasskeyStore passkeys,
        IOptions<SentinelOptions> options,
        TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _passkeyCeremonies = passkeyCeremonies;
        _passkeys = passkeys;
        _deviceTokens = deviceTokens;
        _lockout = options.Value.Lockout;
        _attempts = attempts;
        _mfa = mfa;
        _mfaStore = mfaStore;
        _users = users;
        _sessions = sessions;
        _audit = audit;
        _metrics = metrics;
        _options = options.Value.Mfa;
        _time = time;
    }

    /// <summary>
    /// Signs in with an email and password: <see cref="SignInResult.Success"/> with a new session, or
    /// <see cref="SignInResult.SecondFactorRequired"/> with a challenge when the account has two-factor on.
    /// </summary>
    public Task<SignInResult> PasswordSignInAsync(
        string? email, string? password, ClientInfo? client = null, CancellationToken cancellationToken = default) =>
        PasswordSignInAsync(email, password, default, client, cancellationToken);

    /// <summary>
    /// Signs in with an email, a password and, in the same request, the second factor (the one-step form that
    /// ASP.NET Core Identity's <c>/login</c> takes). Without a code, an account with two-factor on gets
    /// <see cref="SignInResult.SecondFactorRequired"/>.
    /// </summary>
    public Task<SignInResult> PasswordSignInAsync(
        string? email, string? password, SecondFactorCode secondFactor, ClientInfo? client = null, CancellationToken cancellationToken = default) =>
        PasswordSignInAsync(email, password, secondFactor, client, null, cancellationToken);

    /// <summary>
    /// As the other overloads, from a device that presents the <paramref name="deviceToken"/> an earlier sign-in to
    /// this account returned (<see cref="SignInResult.Success.DeviceToken"/>): its attempts are counted and locked
    /// against that device, so a lockout others caused from elsewhere does not refuse it (OWASP "device cookies").
    /// An unknown, spent, expired or other account's token counts for nothing: the sign-in is an ordinary one.
    /// </summary>
    public async Task<SignInResult> PasswordSignInAsync(
        string? email, string? password, SecondFactorCode secondFactor, ClientInfo? client, string? deviceToken, CancellationToken cancellationToken = default)
    {
        var device = await _attempts.RecognizeAsync(email, deviceToken, cancellationToken).ConfigureAwait(false);
        var checkedPassword = await _attempts.CheckPasswordAsync(email, password, device, client, cancellationToken).ConfigureAwait(false);
        if (!checkedPassword.TryGetValue(out var user))
        {
            return SignInResult.From(checkedPassword.Error!);
        }

        _metrics.LoginAttempt(SignInOutcome.Success);
        await _audit.RecordAsync(AuditEventTypes.LoginSucceeded, AuditOutcome.Success, user.Id, client, cancellationToken,
            details: SignInAttempts.DetailsOf(CredentialMethod.Password)).ConfigureAwait(false);

        // The one two-factor lookup of this sign-in; the verifier below works from it.
        var registration = await _mfaStore.FindAsync(user.Id, cancellationToken).ConfigureAwait(false);
        if (registration is not { IsEnabled: true })
        {
            user = await _attempts.RecordSignInCompletedAsync(user, device, cancellationToken).ConfigureAwait(false);
            return await StartAsync(user, PasswordOnly, client, device, cancellationToken).ConfigureAwait(false);
        }

        if (secondFactor.IsEmpty)
        {
            // With two-factor on the password is half a sign-in: the failure count is cleared only after the code
            // (otherwise whoever has the password could try codes forever, SECURITY M5).
            return new SignInResult.SecondFactorRequired(user, await IssueChallengeAsync(user, device, client, cancellationToken).ConfigureAwait(false));
        }

        var second = await _mfa.CheckSecondFactorAsync(user, registration, secondFactor, client, cancellationToken, device).ConfigureAwait(false);
        return second.TryGetValue(out var signedIn)
            ? await StartAsync(signedIn, MethodsWith(secondFactor.Method), client, device, cancellationToken).ConfigureAwait(false)
            : SignInResult.From(second.Error!);
    }

    /// <summary>
    /// Finishes a sign-in that asked for the second factor: redeems the challenge token with a TOTP or recovery
    /// code, once, before it expires and before its wrong codes reach <see cref="MfaOptions.MaxChallengeAttempts"/>
    /// (SECURITY M5). A wrong code also counts toward the account lockout.
    /// </summary>
    public async Task<SignInResult> CompleteSecondFactorAsync(
        string? mfaToken, string? code, string? recoveryCode, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var challenge = MfaChallengeTokens.TryRead(mfaToken, out var challengeId)
            ? await _mfaStore.FindChallengeAsync(challengeId, cancellationToken).ConfigureAwait(false)
            : null;
        if (challenge is null || ChecksLeft(challenge) <= 0)
        {
            return InvalidChallenge;
        }

        // T12: a reset, a logout everywhere, a password change or a disable since the password was checked ends it.
        var user = await _users.FindByIdAsync(challenge.UserId, cancellationToken).ConfigureAwait(false);
        if (user is null || user.IsDisabled || !string.Equals(user.SecurityStamp, challenge.SecurityStamp, StringComparison.Ordinal))
        {
            return InvalidChallenge;
        }

        var registration = await _mfaStore.FindAsync(user.Id, cancellationToken).ConfigureAwait(false);
        var factor = new SecondFactorCode(code, recoveryCode);
        // The device the password step came from, if it is still recognised: the code counts against it too.
        var device = await _attempts.RecognizeRecordedAsync(challenge.DeviceTokenHash, user.Id, cancellationToken).ConfigureAwait(false);
        var second = await _attempts.CheckSecondFactorAsync(
            user,
            factor.Method,
            async ct =>
            {
                // Read again when the check is reserved: the challenge's own limit holds under parallel guesses.
                return (ChecksLeft(await _mfaStore.FindChallengeAsync(challenge.Id, ct).ConfigureAwait(false)), InvalidChallenge.Reason);
            },
            async (fresh, ct) =>
            {
                if (!await _mfa.VerifyCodeAsync(fresh.Id, registration, factor, client, ct).ConfigureAwait(false))
                {
                    await _mfaStore.RecordChallengeFailureAsync(challenge.Id, ct).ConfigureAwait(false);
                    return MfaService.WrongCode;
                }

                return await _mfaStore.TryRedeemChallengeAsync(challenge.Id, _time.GetUtcNow(), _options.MaxChallengeAttempts, ct).ConfigureAwait(false)
                    ? null
                    : InvalidChallenge.Reason;
            },
            client,
            device,
            cancellationToken).ConfigureAwait(false);

        return second.TryGetValue(out var signedIn)
            ? await StartAsync(signedIn, MethodsWith(factor.Method), client, device, cancellationToken).ConfigureAwait(false)
            : SignInResult.From(second.Error!);
    }

    /// <summary>
    /// Re-authentication within a session (SECURITY T11, RFC 9470): the signed-in user proves the password again and,
    /// with two-factor on, a TOTP or recovery code as well, through the same gate as a sign-in (wrong ones count
    /// toward the lockout, a locked account is refused). Success moves the session's <c>auth_time</c> to now and
    /// returns a new pair for the same session, audited as <c>reauthenticated</c>; the recent operations then pass
    /// for <see cref="StepUpOptions.MaxAge"/>. A missing code with two-factor on fails with
    /// <see cref="SentinelErrorCode.InvalidMfaCode"/> before the password is checked, so it counts nothing.
    /// </summary>
    /// <param name="userId">The signed-in user (the access token's <c>sub</c>).</param>
    /// <param name="sessionId">The session to refresh (the access token's <c>sid</c>).</param>
    /// <param name="password">The password.</param>
    /// <param name="secondFactor">The second factor, needed when the account has two-factor on.</param>
    /// <param name="client">The caller, for the audit events.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    public async Task<SignInResult> ReauthenticateAsync(
        Guid userId, Guid sessionId, string? password, SecondFactorCode secondFactor, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var registration = await _mfaStore.FindAsync(userId, cancellationToken).ConfigureAwait(false);
        var twoFactor = registration is { IsEnabled: true };
        if (twoFactor && secondFactor.IsEmpty)
        {
            return SignInResult.From(CodeNeeded);
        }

        var checkedPassword = await _attempts.CheckPasswordAsync(userId, password, client, cancellationToken).ConfigureAwait(false);
        if (!checkedPassword.TryGetValue(out var user))
        {
            return SignInResult.From(checkedPassword.Error!);
        }

        IReadOnlyList<string> methods = PasswordOnly;
        if (twoFactor)
        {
            var second = await _mfa.CheckSecondFactorAsync(user, registration, secondFactor, client, cancellationToken).ConfigureAwait(false);
            if (!second.TryGetValue(out user))
            {
                return SignInResult.From(second.Error!);
            }

            methods = MethodsWith(secondFactor.Method);
        }
        else
        {
            user = await _attempts.RecordSignInCompletedAsync(user, null, cancellationToken).ConfigureAwait(false);
        }

        var tokens = await _sessions.ReauthenticateAsync(user, sessionId, methods, cancellationToken).ConfigureAwait(false);
        if (!tokens.TryGetValue(out var pair))
        {
            return SignInResult.From(tokens.Error!);
        }

        await _audit.RecordAsync(AuditEventTypes.Reauthenticated, AuditOutcome.Success, user.Id, client, cancellationToken,
            sessionId: sessionId, details: SignInAttempts.DetailsOf(twoFactor ? secondFactor.Method : CredentialMethod.Password)).ConfigureAwait(false);
        return new SignInResult.Success(user, pair, methods);
    }

    /// <summary>
    /// Signs in with a passkey: verifies the browser's <c>AuthenticationResponseJSON</c> against a sign-in challenge
    /// this server issued (any instance's; <see cref="Passkeys.PasskeyService"/> has none to issue: see
    /// <see cref="BeginPasskeySignInAsync"/>), through the sign-in gate (SECURITY W1, W2, W4). A passkey that verified the
    /// user is two factors, so no TOTP step follows (<c>amr</c> <c>hwk</c>, <c>mfa</c>). Fails with
    /// <see cref="SentinelErrorCode.InvalidPasskey"/> or <see cref="SentinelErrorCode.LockedOut"/>.
    /// </summary>
    public async Task<SignInResult> PasskeySignInAsync(string? credentialJson, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var checkedPasskey = await CheckPasskeyAsync(credentialJson, null, client, cancellationToken).ConfigureAwait(false);
        if (!checkedPasskey.TryGetValue(out var passed))
        {
            return SignInResult.From(checkedPasskey.Error!);
        }

        _metrics.LoginAttempt(SignInOutcome.Success);
        await _audit.RecordAsync(AuditEventTypes.LoginSucceeded, AuditOutcome.Success, passed.User.Id, client, cancellationToken,
            details: SignInAttempts.DetailsOf(CredentialMethod.Passkey)).ConfigureAwait(false);
        var user = await _attempts.RecordSignInCompletedAsync(passed.User, null, cancellationToken).ConfigureAwait(false);
        return await StartAsync(user, passed.Methods, client, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The request options (<c>PublicKeyCredentialRequestOptionsJSON</c>) of a passkey sign-in or re-authentication:
    /// a fresh challenge, the relying party, no <c>allowCredentials</c> (discoverable credentials) and the configured
    /// user verification. Fails with <see cref="SentinelErrorCode.NotFound"/> when passkeys are not configured.
    /// </summary>
    public async Task<SentinelResult<string>> BeginPasskeySignInAsync(CancellationToken cancellationToken = default) =>
        _passkeyCeremonies.Enabled
            ? SentinelResult.Success(await _passkeyCeremonies.BeginAuthenticationAsync(null, "", cancellationToken).ConfigureAwait(false))
            : Passkeys.PasskeyCeremonies.NotConfigured;

    /// <summary>
    /// Re-authentication with a passkey (SECURITY T11): an assertion by one of the signed-in user's passkeys, answering
    /// a challenge from <see cref="BeginPasskeySignInAsync"/>. A passkey that verified the user suffices with two-factor
    /// on. Otherwise as the password form.
    /// </summary>
    public async Task<SignInResult> ReauthenticateWithPasskeyAsync(
        Guid userId, Guid sessionId, string? credentialJson, ClientInfo? client = null, CancellationToken cancellationToken = default)
    {
        var checkedPasskey = await CheckPasskeyAsync(credentialJson, userId, client, cancellationToken).ConfigureAwait(false);
        if (!checkedPasskey.TryGetValue(out var passed))
        {
            return SignInResult.From(checkedPasskey.Error!);
        }

        var user = await _attempts.RecordSignInCompletedAsync(passed.User, null, cancellationToken).ConfigureAwait(false);
        var tokens = await _sessions.ReauthenticateAsync(user, sessionId, passed.Methods, cancellationToken).ConfigureAwait(false);
        if (!tokens.TryGetValue(out var pair))
        {
            return SignInResult.From(tokens.Error!);
        }

        await _audit.RecordAsync(AuditEventTypes.Reauthenticated, AuditOutcome.Success, user.Id, client, cancellationToken,
            sessionId: sessionId, details: SignInAttempts.DetailsOf(CredentialMethod.Passkey)).ConfigureAwait(false);
        return new SignInResult.Success(user, pair, passed.Methods);
    }

    /// <summary>
    /// The passkey check shared by sign-in and re-authentication: reads the response, spends its challenge (an
    /// authentication one, W1) and verifies it through the gate against the stored passkey. With
    /// <paramref name="userId"/>, the passkey must be that user's. A passkey whose authenticator did not verify the user
    /// (possible only with <c>UserVerification = Preferred</c>) is one factor: refused when the account has two-factor on.
    /// </summary>
    private async Task<SentinelResult<(SentinelUser User, IReadOnlyList<string> Methods)>> CheckPasskeyAsync(
        string? credentialJson, Guid? userId, ClientInfo? client, CancellationToken cancellationToken)
    {
        if (!_passkeyCeremonies.Enabled)
        {
            return Passkeys.PasskeyCeremonies.NotConfigured;
        }

        var read = await _passkeyCeremonies.ReadAssertionAsync(credentialJson, cancellationToken).ConfigureAwait(false);
        if (!read.TryGetValue(out var assertion))
        {
            return (await _attempts.RefusePasskeyAsync(userId, read.Error!, client, cancellationToken).ConfigureAwait(false)).Error!;
        }

        Passkeys.PasskeyCredential? passkey = null;
        IReadOnlyList<string> methods = PasskeyBoth;
        var checkedUser = await _attempts.CheckPasskeyAsync(
            assertion.CredentialId,
            async ct =>
            {
                passkey = await _passkeys.FindByCredentialIdAsync(assertion.CredentialId, ct).ConfigureAwait(false);
                // A re-authentication accepts only the caller's own passkeys: any other is as good as unknown.
                return passkey is null || (userId is { } expected && passkey.UserId != expected)
                    ? null
                    : await _users.FindByIdAsync(passkey.UserId, ct).ConfigureAwait(false);
            },
            async (user, ct) =>
            {
                var verified = await _passkeyCeremonies.VerifyAssertionAsync(assertion, passkey!, user.PasskeyUserHandle, ct).ConfigureAwait(false);
                if (!verified.TryGetValue(out var result))
                {
                    return verified.Error;
                }

                // The counter moves only forward, once: of two assertions with one counter value, one wins (W2).
                if (!await _passkeys.TryRecordUseAsync(passkey!.Id, passkey.SignCount, result.SignCount, result.IsBackedUp, _time.GetUtcNow(), ct).ConfigureAwait(false))
                {
                    return PasskeyReplayed;
                }

                if (!result.UserVerified)
                {
                    methods = PasskeyOnly;
                    var registration = await _mfaStore.FindAsync(user.Id, ct).ConfigureAwait(false);
                    if (registration is { IsEnabled: true })
                    {
                        return PasskeyNeedsVerification;
                    }
                }

                return null;
            },
            client,
            cancellationToken).ConfigureAwait(false);
        return checkedUser.TryGetValue(out var signedIn)
            ? SentinelResult.Success<(SentinelUser, IReadOnlyList<string>)>((signedIn, methods))
            : checkedUser.Error!;
    }

    private static readonly string[] PasskeyBoth = [CredentialMethod.Passkey.AmrValue(), "mfa"];

    private static readonly string[] PasskeyOnly = [CredentialMethod.Passkey.AmrValue()];

    private static readonly SentinelError PasskeyReplayed =
        new(SentinelErrorCode.InvalidPasskey, "The passkey's signature counter did not grow.");

    private static readonly SentinelError PasskeyNeedsVerification =
        new(SentinelErrorCode.InvalidPasskey, "Two-factor is on: the passkey must verify you (a PIN or biometrics) to sign in.");

    /// <summary>How many codes the challenge still takes: none once it is gone, redeemed, expired or out of tries.</summary>
    private int ChecksLeft(MfaChallenge? challenge) =>
        challenge is null || challenge.RedeemedAt is not null || _time.GetUtcNow() >= challenge.ExpiresAt
            ? 0
            : _options.MaxChallengeAttempts - challenge.FailedAttempts;

    private async Task<string> IssueChallengeAsync(SentinelUser user, RecognizedDevice? device, ClientInfo? client, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var (token, challengeId) = MfaChallengeTokens.Create();
        var challenge = new MfaChallenge
        {
            Id = challengeId,
            UserId = user.Id,
            SecurityStamp = user.SecurityStamp,
            CreatedAt = now,
            ExpiresAt = now + _options.ChallengeLifetime,
            DeviceTokenHash = device?.Hash,
        };
        await _mfaStore.CreateChallengeAsync(challenge, cancellationToken).ConfigureAwait(false);
        await _audit.RecordAsync(AuditEventTypes.MfaChallengeIssued, AuditOutcome.Success, user.Id, client, cancellationToken).ConfigureAwait(false);
        return token;
    }

    /// <summary>
    /// Starts the session for a user whose credentials were checked, then reads the account again: when its stamp
    /// changed meanwhile (a reset or a logout everywhere raced this sign-in), the new session is revoked at once and
    /// the sign-in fails, so it cannot outlive the change (SECURITY T12).
    /// </summary>
    private async Task<SignInResult> StartAsync(
        SentinelUser user, IReadOnlyList<string> methods, ClientInfo? client, RecognizedDevice? device, CancellationToken cancellationToken)
    {
        var tokens = await _sessions.StartAsync(user, methods, client, cancellationToken).ConfigureAwait(false);
        var now = await _users.FindByIdAsync(user.Id, cancellationToken).ConfigureAwait(false);
        if (now is null || now.IsDisabled || !string.Equals(now.SecurityStamp, user.SecurityStamp, StringComparison.Ordinal))
        {
            await _sessions.RevokeSessionAsync(user.Id, tokens.SessionId, AuditEventTypes.SessionRevoked, client, cancellationToken).ConfigureAwait(false);
            return SignInResult.From(new SentinelError(SentinelErrorCode.InvalidCredentials, "The account changed while signing in; sign in again."));
        }

        return new SignInResult.Success(user, tokens, methods) { DeviceToken = await IssueDeviceTokenAsync(now, device, cancellationToken).ConfigureAwait(false) };
    }

    /// <summary>
    /// The device's next token (OWASP "device cookies"): the one it presented is spent, so each token recognises its
    /// device once; null when device tokens are off. Stored as a hash under the account's current security stamp.
    /// </summary>
    private async Task<string?> IssueDeviceTokenAsync(SentinelUser user, RecognizedDevice? device, CancellationToken cancellationToken)
    {
        if (_lockout.DeviceTokenLifetime <= TimeSpan.Zero)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        if (device is { } presented)
        {
            await _deviceTokens.SpendAsync(presented.RecordId, now, cancellationToken).ConfigureAwait(false);
        }

        var (token, hash) = DeviceTokens.Create();
        await _deviceTokens.CreateAsync(new Email.OneTimeTokenRecord
        {
            Id = Guid.CreateVersion7(now),
            UserId = user.Id,
            Purpose = Email.OneTimeTokenPurpose.DeviceRecognition,
            Hash = hash,
            CreatedAt = now,
            ExpiresAt = now + _lockout.DeviceTokenLifetime,
            SecurityStamp = user.SecurityStamp,
        }, cancellationToken).ConfigureAwait(false);
        return token;
    }

    private static string[] MethodsWith(CredentialMethod second) => [CredentialMethod.Password.AmrValue(), second.AmrValue()];

    private static readonly SentinelError CodeNeeded =
        new(SentinelErrorCode.InvalidMfaCode, "Two-factor is on: send a code from the authenticator (or a recovery code) with the password.");

    private static readonly SignInResult.Failure InvalidChallenge =
        new(new SentinelError(SentinelErrorCode.InvalidMfaToken, "The two-factor sign-in has expired or is not valid; sign in again."));
}
