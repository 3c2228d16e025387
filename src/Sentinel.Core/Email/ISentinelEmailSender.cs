namespace Sentinel.Email;

/// <summary>
/// Sends Sentinel's emails. The host provides it (Sentinel ships none that talks SMTP): register one with
/// <c>services.AddSingleton&lt;ISentinelEmailSender, MySender&gt;()</c>. Without one, confirmation, reset and notice
/// emails are not sent (a warning is logged once) and the endpoints still answer the same.
/// </summary>
public interface ISentinelEmailSender
{
    /// <summary>Sends <paramref name="message"/>. Called from a background worker, never on the request path.</summary>
    Task SendAsync(SentinelEmailMessage message, CancellationToken cancellationToken);
}

/// <summary>An email Sentinel sends; the concrete type says which one.</summary>
/// <param name="To">The recipient's address, as the user registered it.</param>
public abstract record SentinelEmailMessage(string To);

/// <summary>
/// "Confirm your email address": carries a single-use token for <c>POST /auth/email/confirm</c>, and the link built
/// from <see cref="EmailOptions.ConfirmEmailUrl"/> when one is set. The token is a secret: never log it.
/// </summary>
/// <param name="To">The recipient.</param>
/// <param name="Token">The confirmation token.</param>
/// <param name="Link">The confirmation link, when <see cref="EmailOptions.ConfirmEmailUrl"/> is set.</param>
public sealed record ConfirmEmailMessage(string To, string Token, string? Link) : SentinelEmailMessage(To)
{
    /// <summary>Shows the recipient only: the token is a secret.</summary>
    public override string ToString() => $"{nameof(ConfirmEmailMessage)} {{ To = {To} }}";
}

/// <summary>
/// "Reset your password": carries a single-use token for <c>POST /auth/password/reset</c>, and the link built
/// from <see cref="EmailOptions.ResetPasswordUrl"/> when one is set. The token is a secret: never log it.
/// </summary>
/// <param name="To">The recipient.</param>
/// <param name="Token">The reset token.</param>
/// <param name="Link">The reset link, when <see cref="EmailOptions.ResetPasswordUrl"/> is set.</param>
public sealed record ResetPasswordMessage(string To, string Token, string? Link) : SentinelEmailMessage(To)
{
    /// <summary>Shows the recipient only: the token is a secret.</summary>
    public override string ToString() => $"{nameof(ResetPasswordMessage)} {{ To = {To} }}";
}

/// <summary>
/// A security notice: something changed on the account that its owner should know about, with when and from
/// where, so that an owner who did not do it can react.
/// </summary>
/// <param name="To">The recipient.</param>
/// <param name="EventType">What happened: <c>password.changed</c>, <c>password.reset</c>, <c>mfa.enabled</c>,
/// <c>mfa.disabled</c>, <c>apikey.created</c> or <c>token.reuse_detected</c>.</param>
/// <param name="At">When it happened.</param>
/// <param name="IpAddress">The client's address, when known.</param>
/// <param name="UserAgent">The client's user agent, when known.</param>
public sealed record SecurityNoticeMessage(string To, string EventType, DateTimeOffset At, string? IpAddress, string? UserAgent) : SentinelEmailMessage(To);
