using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Sentinel.RateLimiting;

namespace Sentinel.Tests.RateLimiting;

/// <summary>The one fixed-window counter behind per-key budgets, per-mailbox counts and the Redis fallback.</summary>
public sealed class FixedWindowCounterTests
{
    [Fact]
    public void AWindow_StartsWithItsKeysFirstRequest_RefusesPastTheLimit_AndIsReplacedWholeWhenOver()
    {
        var time = new FakeTimeProvider();
        var counter = new FixedWindowCounter<string>(time);
        var window = TimeSpan.FromMinutes(1);

        counter.TryAcquire("a", 2, window).Should().BeNull();
        time.Advance(TimeSpan.FromSeconds(20));
        counter.TryAcquire("a", 2, window).Should().BeNull();
        counter.TryAcquire("a", 2, window).Should().Be(TimeSpan.FromSeconds(40), "the window started with the first request");
        counter.TryAcquire("b", 2, window).Should().BeNull("each key has its own window");
        counter.TryAcquire("b", 2, window, permits: 2).Should().NotBeNull("several permits at once count as several");

        time.Advance(TimeSpan.FromSeconds(40));
        counter.TryAcquire("a", 2, window).Should().BeNull("a new window, counted from zero");
    }

    [Fact]
    public void Prune_DropsWindowsStartedLongEnoughAgo_AndKeepsTheRest()
    {
        var time = new FakeTimeProvider();
        var counter = new FixedWindowCounter<Guid>(time);
        counter.TryAcquire(Guid.NewGuid(), 1, TimeSpan.FromMinutes(1));
        time.Advance(TimeSpan.FromMinutes(2));
        counter.TryAcquire(Guid.NewGuid(), 1, TimeSpan.FromMinutes(1));

        counter.Prune(TimeSpan.FromMinutes(2));

        counter.Count.Should().Be(1);
    }
}
