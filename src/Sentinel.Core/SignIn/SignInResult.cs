using Sentinel.Sessions;
using Sentinel.Users;

namespace Sentinel.SignIn;

/// <summary>
/// What a sign-in came to: one of a closed set of cases, so a caller (an endpoint, a host's own UI) handles each
/// with a <c>switch</c> and none is forgotten.
/// </summary>
public abstract record SignInResult
{
    private static readonly SentinelError SecondFactorError = new(SentinelErrorCode.MfaRequired, "RequiresTwoFactor");
    private static readonly SentinelError EmailError = new(SentinelErrorCode.EmailNotConfirmed, "Confirm your email address first; a new confirmation link can be requested.");

    private SignInResult()
    {
    }

    /// <summary>True for <see cref="Success"/>.</summary>
    public bool Succeeded => this is Success;

    /// <summary>Why the user is not signed in (yet), as the error the HTTP contract answers with; null on success.</summary>
    public SentinelError? Error => this switch
    {
        Success => null,
        SecondFactorRequired => SecondFactorError,
        LockedOut locked => SignInAttempts.LockedOut(locked.RetryAfter),
        EmailNotConfirmed => EmailError,
        Failure failure => failure.Reason,
        _ => throw new InvalidOperationException("Unknown sign-in result."),
    };

    /// <summary>Signed in: a new session and its first token pair.</summary>
    /// <param name="User">The user.</param>
    /// <param name="Tokens">The session's access and refresh tokens.</param>
    /// <param name="Methods">How the user authenticated (<c>amr</c>: <c>pwd</c>, then <c>otp</c> or <c>rc</c>).</param>
    public sealed record Success(SentinelUser User, TokenPair Tokens, IReadOnlyList<string> Methods) : SignInResult
    {
        /// <summary>
        /// The token that recognises this device at its next sign-in (<c>deviceToken</c> of the token response; null
        /// when device tokens are off or for a re-authentication). Keep it on the device, beside no other credential.
        /// </summary>
        public string? DeviceToken { get; init; }
    }

    /// <summary>The password was right and the account has two-factor on: redeem the challenge with a code.</summary>
    /// <param name="User">The user.</param>
    /// <param name="MfaToken">The challenge token, for <see cref="SignInService.CompleteSecondFactorAsync"/>.</param>
    public sealed record SecondFactorRequired(SentinelUser User, string MfaToken) : SignInResult;

    /// <summary>Too many failed attempts; nothing is checked until the lockout ends.</summary>
    /// <param name="RetryAfter">How long until it does (at least a second).</param>
    public sealed record LockedOut(TimeSpan RetryAfter) : SignInResult;

    /// <summary>The password was right, but the address must be confirmed first (<c>RequireConfirmedEmail</c>).</summary>
    public sealed record EmailNotConfirmed : SignInResult;

    /// <summary>Not signed in: wrong credentials, a wrong code or a challenge that cannot be redeemed.</summary>
    /// <param name="Reason">The error (<see cref="SentinelErrorCode.InvalidCredentials"/>, <see cref="SentinelErrorCode.InvalidMfaCode"/>, <see cref="SentinelErrorCode.InvalidMfaToken"/>).</param>
    public sealed record Failure(SentinelError Reason) : SignInResult;

    /// <summary>The case an error from the sign-in gate stands for.</summary>
    internal static SignInResult From(SentinelError error) => error.Code switch
    {
        SentinelErrorCode.LockedOut => new LockedOut(error.RetryAfter ?? TimeSpan.FromSeconds(1)),
        SentinelErrorCode.EmailNotConfirmed => new EmailNotConfirmed(),
        _ => new Failure(error),
    };
}

/// <summary>The second factor sent with a sign-in: a TOTP code or a recovery code (the code wins when both are sent).</summary>
/// <param name="Code">A TOTP code.</param>
/// <param name="RecoveryCode">A recovery code.</param>
public readonly record struct SecondFactorCode(string? Code, string? RecoveryCode)
{
    /// <summary>True when neither was sent.</summary>
    public bool IsEmpty => string.IsNullOrEmpty(Code) && string.IsNullOrEmpty(RecoveryCode);

    /// <summary>What is checked: the TOTP code if one was sent, otherwise the recovery code.</summary>
    public CredentialMethod Method => string.IsNullOrEmpty(Code) && !string.IsNullOrEmpty(RecoveryCode) ? CredentialMethod.RecoveryCode : CredentialMethod.Totp;
}
