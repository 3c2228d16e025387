using System.Diagnostics;

namespace Sentinel.SignIn;

/// <summary>
/// Keeps "wrong password for a known account" and "unknown email" equally slow (SECURITY P3). Both pay one password
/// hash, but only the known account has a failure count to write, and that write (a database commit) is visible in
/// the response time. Instead of moving the count off the response path, which would let parallel guesses outrun the
/// lockout, the paths that write nothing wait as long as the failure writes have recently taken.
/// </summary>
internal sealed class FailureWriteTiming
{
    // A write slower than this is an outage or a stall, not the typical cost: it is not copied onto other requests.
    private static readonly TimeSpan MaxPadding = TimeSpan.FromMilliseconds(250);
    private const double Weight = 0.2; // exponential moving average: recent writes count most

    private long _averageTicks; // Stopwatch ticks; updated without a lock (a lost update only skews the average briefly)

    /// <summary>Records how long a failure write took, measured from <paramref name="startTimestamp"/>.</summary>
    public void Record(long startTimestamp)
    {
        var elapsed = Stopwatch.GetElapsedTime(startTimestamp);
        if (elapsed > MaxPadding)
        {
            return;
        }

        var previous = Volatile.Read(ref _averageTicks);
        var sample = (long)(elapsed.TotalSeconds * Stopwatch.Frequency);
        Volatile.Write(ref _averageTicks, previous == 0 ? sample : (long)(previous + (Weight * (sample - previous))));
    }

    /// <summary>The typical duration of a failure write; zero before the first one.</summary>
    public TimeSpan Typical => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _averageTicks));

    /// <summary>Waits (in real time) as long as a failure write typically takes.</summary>
    public Task PadAsync(CancellationToken cancellationToken)
    {
        var typical = Typical;
        // Below a tenth of a millisecond the timer's own granularity is larger than the gap.
        return typical < TimeSpan.FromTicks(TimeSpan.TicksPerMillisecond / 10)
            ? Task.CompletedTask
            : Task.Delay(typical, cancellationToken);
    }
}
