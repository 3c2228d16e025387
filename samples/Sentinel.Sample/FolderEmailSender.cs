using System.Globalization;
using System.Text;
using Sentinel.Email;

namespace Sentinel.Sample;

/// <summary>
/// The sample's "mail server": each message becomes a text file in a folder (default <c>mail/</c> beside the
/// sample), and the log says which file, so a person running the sample can open it and follow the link. The log
/// line names the file, never the token. A real host sends through its email provider instead.
/// </summary>
internal sealed partial class FolderEmailSender(string folder, TimeSpan resetLifetime, ILogger<FolderEmailSender> logger) : ISentinelEmailSender
{
    public async Task SendAsync(SentinelEmailMessage message, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var (subject, body) = message switch
        {
            ConfirmEmailMessage m => ("Confirm your email address", $"Open this link to confirm your address:\n{m.Link ?? m.Token}\n"),
            ResetPasswordMessage m => ("Reset your password", $"Open this link to choose a new password (it works once, for {resetLifetime.TotalMinutes.ToString("0", CultureInfo.InvariantCulture)} minutes):\n{m.Link ?? m.Token}\n\nIf you did not ask for this, ignore this email.\n"),
            SecurityNoticeMessage m => ($"Security notice: {m.EventType}", $"On {m.At.ToString("u", CultureInfo.InvariantCulture)} from {m.IpAddress ?? "an unknown address"} ({m.UserAgent ?? "unknown client"}): {m.EventType}.\nIf this was not you, reset your password and review your sessions and API keys.\n"),
            _ => ("Sentinel", message.GetType().Name),
        };
        var file = Path.Combine(folder, $"{DateTime.UtcNow:yyyyMMdd-HHmmss-fffffff}-{message.GetType().Name}.txt");
        await File.WriteAllTextAsync(file, $"To: {message.To}\nSubject: {subject}\n\n{body}", Encoding.UTF8, cancellationToken);
        Written(logger, subject, message.To, file);
    }

    [LoggerMessage(10, LogLevel.Information, "Email \"{Subject}\" to {To} written to {File}; open it to follow the link.")]
    private static partial void Written(ILogger logger, string subject, string to, string file);
}
