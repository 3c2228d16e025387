namespace Sentinel.SignIn;

/// <summary>
/// A kind of credential the sign-in gate checks. Its audit value is the <c>details.method</c> of the attempt's event
/// and its <c>amr</c> value (RFC 8176) goes into the access token.
/// </summary>
public enum CredentialMethod
{
    /// <summary>A password (<c>password</c>, amr <c>pwd</c>).</summary>
    Password,

    /// <summary>A TOTP code from an authenticator app (<c>totp</c>, amr <c>otp</c>).</summary>
    Totp,

    /// <summary>A single-use recovery code (<c>recovery_code</c>, amr <c>rc</c>).</summary>
    RecoveryCode,

    /// <summary>A passkey's assertion (<c>passkey</c>, amr <c>hwk</c>: proof of a key held by the user's device).</summary>
    Passkey,
}

/// <summary>The wire values of <see cref="CredentialMethod"/>.</summary>
public static class CredentialMethods
{
    /// <summary>The <c>details.method</c> value of audit events.</summary>
    public static string AuditValue(this CredentialMethod method) => method switch
    {
        CredentialMethod.Password => "password",
        CredentialMethod.Totp => "totp",
        CredentialMethod.RecoveryCode => "recovery_code",
        CredentialMethod.Passkey => "passkey",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>The access token's <c>amr</c> value.</summary>
    public static string AmrValue(this CredentialMethod method) => method switch
    {
        CredentialMethod.Password => "pwd",
        CredentialMethod.Totp => "otp",
        CredentialMethod.RecoveryCode => "rc",
        CredentialMethod.Passkey => "hwk",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };
}
