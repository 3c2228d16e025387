namespace Sentinel.Background;

/// <summary>
/// Counts work a background queue accepted and finished, so that a caller can wait until everything accepted
/// before it has finished (the audit writer's and the email send queue's <c>FlushAsync</c>).
/// </summary>
internal sealed class WorkProgress
{
    private TaskCompletionSource _next = NewSignal();
    private long _accepted;
    private long _finished;

    /// <summary>Completes at the next <see cref="Finish"/>; take it before checking a condition, so none is missed.</summary>
    public Task NextFinish => Volatile.Read(ref _next).Task;

    public void Accept() => Interlocked.Increment(ref _accepted);

    public void Finish(int count = 1)
    {
        Interlocked.Add(ref _finished, count);
        Interlocked.Exchange(ref _next, NewSignal()).TrySetResult();
    }

    /// <summary>Returns when everything accepted before the call has finished.</summary>
    public async ValueTask WaitForAcceptedAsync(CancellationToken cancellationToken)
    {
        var target = Volatile.Read(ref _accepted);
        while (true)
        {
            var signal = NextFinish;
            if (Volatile.Read(ref _finished) >= target)
            {
                return;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
