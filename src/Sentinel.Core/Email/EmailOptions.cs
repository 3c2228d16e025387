namespace Sentinel.Email;

/// <summary>Email confirmation, password reset and security notices.</summary>
public sealed class EmailOptions
{
    /// <summary>
    /// When <c>true</c>, sign-in with a correct password answers 403 <c>email_not_confirmed</c> until the address is
    /// confirmed (default <c>false</c>). Needs an <see cref="ISentinelEmailSender"/>.
    /// </summary>
    public bool RequireConfirmedEmail { get; set; }

    /// <summary>How long a confirmation token works (default 24 hours).</summary>
    public TimeSpan ConfirmationTokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a password reset token works (default 30 minutes); a newer request replaces it.</summary>
    public TimeSpan PasswordResetTokenLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Whether to email the owner when the password, MFA or API keys change or refresh-token reuse is detected (default <c>true</c>; needs a sender).</summary>
    public bool SendSecurityNotices { get; set; } = true;

    /// <summary>The link put in confirmation emails, with <c>{token}</c> where the token goes, for example <c>https://app.example.com/confirm?token={token}</c>.</summary>
    public string? ConfirmEmailUrl { get; set; }

    /// <summary>The link put in reset emails, with <c>{token}</c> where the token goes, for example <c>https://app.example.com/reset?token={token}</c>.</summary>
    public string? ResetPasswordUrl { get; set; }

    /// <summary>Most confirmation and reset emails sent to one address per hour (default 5), so the endpoints cannot flood a mailbox.</summary>
    public int MaxEmailsPerAddressPerHour { get; set; } = 5;

    /// <summary>
    /// Emails waiting to be sent (default 10,000). Nine tenths of it take requests from the public endpoints; when
    /// those are full, <c>forgot</c> and <c>resend</c> answer 503 with <c>Retry-After</c> instead of losing what was
    /// asked, and the last tenth stays free for security notices.
    /// </summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Adds what is wrong with these settings to <paramref name="result"/>, each with its configuration key and how to fix it.</summary>
    internal void Validate(Microsoft.Extensions.Options.ValidateOptionsResultBuilder result)
    {
        if (QueueCapacity < 10 || QueueCapacity > 1_000_000)
        {
            result.AddError("must be between 10 and 1000000 (default 10000).", "Sentinel:Email:QueueCapacity");
        }

        var e = this;
        if (e.ConfirmationTokenLifetime < TimeSpan.FromMinutes(5) || e.ConfirmationTokenLifetime > TimeSpan.FromDays(30))
        {
            result.AddError("must be between 00:05:00 and 30.00:00:00 (default 1.00:00:00).", "Sentinel:Email:ConfirmationTokenLifetime");
        }

        if (e.PasswordResetTokenLifetime < TimeSpan.FromMinutes(1) || e.PasswordResetTokenLifetime > TimeSpan.FromDays(1))
        {
            result.AddError("must be between 00:01:00 and 1.00:00:00 (default 00:30:00); reset links are short-lived.", "Sentinel:Email:PasswordResetTokenLifetime");
        }

        foreach (var (url, key) in new[] { (e.ConfirmEmailUrl, "ConfirmEmailUrl"), (e.ResetPasswordUrl, "ResetPasswordUrl") })
        {
            if (url is not null && (!url.Contains("{token}", StringComparison.Ordinal) || !Uri.TryCreate(url.Replace("{token}", "t", StringComparison.Ordinal), UriKind.Absolute, out _)))
            {
                result.AddError("must be an absolute URL with {token} where the token goes, for example https://app.example.com/reset?token={token}.", "Sentinel:Email:" + key);
            }
        }

        if (e.MaxEmailsPerAddressPerHour < 1)
        {
            result.AddError("must be at least 1 (default 5).", "Sentinel:Email:MaxEmailsPerAddressPerHour");
        }    }
}
