using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sentinel.Audit;

namespace Sentinel.Email;

/// <summary>
/// An in-memory send queue that takes email work off the request path: "forgot password" and "resend confirmation"
/// answer the same, in the same time, whether or not the account exists, because the lookup, the token and the send
/// all happen in its one background loop (<see cref="EmailDispatcher"/> does each piece). It is not an outbox: what is
/// queued lives in memory, and work that cannot be queued (10,000 waiting) is logged and skipped: mail is best effort.
/// Security notices reach it from recorded events through <see cref="SecurityNotices"/>, an audit observer.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "It is a queue, and its name says so: an in-memory send queue, not an outbox.")]
public sealed partial class EmailSendQueue : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan FullRetryAfter = TimeSpan.FromSeconds(30);

    private readonly Channel<EmailWork> _queue;
    private readonly int _requestCapacity;
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger _logger;
    private readonly bool _hasSender;
    private readonly RateLimiting.IRateLimitCounterStore? _sharedCounts;

    // Per address, sends in the current hour: a mailbox cannot be flooded through the endpoints.
    private readonly RateLimiting.FixedWindowCounter<string> _sendsByAddress;
    private readonly Background.WorkProgress _progress = new();
    private Task? _loop;
    private int _state; // 0 idle, 1 running, 2 completed

    /// <summary>Creates the queue; its loop starts with the first piece of work.</summary>
    public EmailSendQueue(
        IServiceScopeFactory scopes, IEnumerable<ISentinelEmailSender> senders, TimeProvider time, ILogger<EmailSendQueue>? logger = null,
        RateLimiting.IRateLimitCounterStore? sharedCounts = null, Microsoft.Extensions.Options.IOptions<SentinelOptions>? options = null)
    {
        var capacity = (options?.Value ?? new SentinelOptions()).Email.QueueCapacity;
        // Wait mode, so that TryWrite says false when full (DropWrite would say true and drop the item, which then
        // never finishes and FlushAsync waits for ever); nothing here waits: a full queue refuses.
        _queue = Channel.CreateBounded<EmailWork>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _requestCapacity = capacity * 9 / 10;
        _sendsByAddress = new RateLimiting.FixedWindowCounter<string>(time, StringComparer.Ordinal);
        ArgumentNullException.ThrowIfNull(senders);
        _scopes = scopes;
        _sharedCounts = sharedCounts;
        _hasSender = senders.Any();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        if (!_hasSender)
        {
            NoSender(_logger);
        }
    }

    /// <summary>
    /// Queues "send a reset link to this address, if it has an account". Fails with
    /// <see cref="SentinelErrorCode.ServiceUnavailable"/> (and a retry time) when the requests' share of the queue is
    /// full: the request is refused, never accepted and then lost.
    /// </summary>
    public SentinelResult RequestPasswordReset(string email, ClientInfo? client) => Request(new EmailWork(EmailWorkKind.PasswordReset, email, null, null, client, default));

    /// <summary>Queues "send a confirmation link to this address, if it has an unconfirmed account"; fails as <see cref="RequestPasswordReset"/> does.</summary>
    public SentinelResult RequestConfirmation(string email, ClientInfo? client) => Request(new EmailWork(EmailWorkKind.Confirmation, email, null, null, client, default));

    private SentinelResult Request(EmailWork work)
    {
        // Whether the address has an account is decided later, off the request path: a full queue says nothing about it.
        if (_queue.Reader.Count >= _requestCapacity || !Enqueue(work))
        {
            QueueFull(_logger, work.Kind);
            return SentinelResult.Failure(new SentinelError(SentinelErrorCode.ServiceUnavailable, "Too many emails are waiting to be sent; try again shortly.")
            {
                RetryAfter = FullRetryAfter,
            });
        }

        return SentinelResult.Success();
    }

    /// <summary>True when a sender is registered: without one, nothing is queued.</summary>
    internal bool HasSender => _hasSender;

    /// <summary>Returns when every piece of work queued before the call has been done (or failed and was logged).</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken) => _progress.WaitForAcceptedAsync(cancellationToken);

    /// <summary>Stops taking work and finishes what is queued, until <paramref name="deadline"/>.</summary>
    public async Task CompleteAsync(CancellationToken deadline)
    {
        Interlocked.Exchange(ref _state, 2);
        _queue.Writer.TryComplete();
        if (_loop is { IsCompleted: false } loop)
        {
            await loop.WaitAsync(deadline).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await CompleteAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Counts one email to <paramref name="normalizedEmail"/>; <c>false</c> when the address had its hourly share. With
    /// a shared counter store (several instances), the count is shared, under the address's SHA-256 rather than the
    /// address itself.
    /// </summary>
    internal async ValueTask<bool> TryCountSendAsync(string normalizedEmail, int maxPerHour, CancellationToken cancellationToken)
    {
        if (_sharedCounts is { IsAvailable: true } shared)
        {
            var key = "mail:" + System.Buffers.Text.Base64Url.EncodeToString(
                System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(normalizedEmail)));
            return await shared.TryAcquireAsync(key, maxPerHour, TimeSpan.FromHours(1), cancellationToken).ConfigureAwait(false) is null;
        }

        return TryCountSend(normalizedEmail, maxPerHour);
    }

    /// <summary>Counts one email to <paramref name="normalizedEmail"/> in this process' memory.</summary>
    private bool TryCountSend(string normalizedEmail, int maxPerHour)
    {
        if (_sendsByAddress.Count > 100_000)
        {
            _sendsByAddress.Prune(TimeSpan.FromHours(1));
        }

        return _sendsByAddress.TryAcquire(normalizedEmail, maxPerHour, TimeSpan.FromHours(1)) is null;
    }

    /// <summary>For containers disposed synchronously: stops taking work without waiting for what is queued.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _state, 2);
        _queue.Writer.TryComplete();
    }

    /// <summary>Queues one piece of work; false when the queue is full (logged).</summary>
    internal bool Enqueue(EmailWork work)
    {
        if (Volatile.Read(ref _state) == 0 && Interlocked.CompareExchange(ref _state, 1, 0) == 0)
        {
            _loop = Task.Run(RunAsync, CancellationToken.None);
        }

        _progress.Accept();
        if (!_queue.Writer.TryWrite(work))
        {
            _progress.Finish();
            Skipped(_logger, work.Kind);
            return false;
        }

        return true;
    }

    private async Task RunAsync()
    {
        await foreach (var work in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                var scope = _scopes.CreateAsyncScope();
                await using (scope.ConfigureAwait(false))
                {
                    await scope.ServiceProvider.GetRequiredService<EmailDispatcher>().ProcessAsync(work, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                WorkFailed(_logger, e, work.Kind);
            }
            finally
            {
                _progress.Finish();
            }
        }
    }

    [LoggerMessage(1501, LogLevel.Warning, "No ISentinelEmailSender is registered: confirmation, password reset and security notice emails are not sent.")]
    private static partial void NoSender(ILogger logger);

    [LoggerMessage(1504, LogLevel.Warning, "The email queue's share for requests is full; a {Kind} request was refused with 503.")]
    private static partial void QueueFull(ILogger logger, EmailWorkKind kind);

    [LoggerMessage(1502, LogLevel.Warning, "The email queue is full; a {Kind} email was skipped.")]
    private static partial void Skipped(ILogger logger, EmailWorkKind kind);

    [LoggerMessage(1503, LogLevel.Error, "Sending a {Kind} email failed.")]
    private static partial void WorkFailed(ILogger logger, Exception exception, EmailWorkKind kind);
}

/// <summary>What the send queue is asked to do.</summary>
internal enum EmailWorkKind
{
    Confirmation,
    PasswordReset,
    Notice,
}

/// <summary>One piece of email work: by address (requests from the endpoints) or by user (from recorded events).</summary>
internal sealed record EmailWork(EmailWorkKind Kind, string? Email, Guid? UserId, string? EventType, ClientInfo? Client, DateTimeOffset At);
