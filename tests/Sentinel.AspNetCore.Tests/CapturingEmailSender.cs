using Sentinel.Email;

namespace Sentinel.AspNetCore.Tests;

/// <summary>Keeps every message, as a test's mailbox.</summary>
public sealed class CapturingEmailSender : ISentinelEmailSender
{
    private readonly List<SentinelEmailMessage> _messages = [];

    public List<SentinelEmailMessage> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>How long each send takes, as a slow mail server would.</summary>
    public TimeSpan Delay { get; set; }

    public async Task SendAsync(SentinelEmailMessage message, CancellationToken cancellationToken)
    {
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, cancellationToken);
        }

        lock (_messages)
        {
            _messages.Add(message);
        }
    }
}
