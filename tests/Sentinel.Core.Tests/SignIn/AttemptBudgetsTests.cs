using FluentAssertions;
using Sentinel.SignIn;

namespace Sentinel.Tests.SignIn;

/// <summary>The sign-in gate's reservations (SECURITY M8): no more checks under way than the budget, and nothing kept after.</summary>
public sealed class AttemptBudgetsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ChecksUnderWay_StayWithinTheBudget_AndAWaiterReadsAgainWhenOneEnds()
    {
        var budgets = new AttemptBudgets();
        var left = 2;
        var reads = 0;
        ValueTask<(int, string)> Budget(CancellationToken _)
        {
            Interlocked.Increment(ref reads);
            return ValueTask.FromResult((Volatile.Read(ref left), "refused"));
        }

        var (first, _) = await budgets.ReserveAsync("ada", Budget, Ct);
        var (second, _) = await budgets.ReserveAsync("ada", Budget, Ct);
        var third = budgets.ReserveAsync("ada", Budget, Ct);
        var (other, _) = await budgets.ReserveAsync("grace", Budget, Ct); // another account has its own budget
        first.Should().NotBeNull();
        second.Should().NotBeNull();
        other.Should().NotBeNull();

        await Task.Delay(50, Ct);
        third.IsCompleted.Should().BeFalse("two checks are under way and the budget is two");

        Volatile.Write(ref left, 1); // the first check failed and its failure was written
        first!.Dispose();
        first.Dispose(); // ending twice ends once
        await Task.Delay(50, Ct);
        third.IsCompleted.Should().BeFalse("one check left, one under way");

        Volatile.Write(ref left, 0); // the second failed too: locked
        second!.Dispose();
        var (refused, reason) = await third;
        refused.Should().BeNull();
        reason.Should().Be("refused");
        reads.Should().BeGreaterThanOrEqualTo(5, "the waiter read the counters again each time a check ended");

        other!.Dispose();
        budgets.Count.Should().Be(0, "an entry lives only while an attempt holds or waits for it");
    }

    [Fact]
    public async Task AWaiterThatGivesUp_LeavesNoEntry()
    {
        var budgets = new AttemptBudgets();
        var (held, _) = await budgets.ReserveAsync("ada", _ => ValueTask.FromResult((1, "")), Ct);
        using var cancel = new CancellationTokenSource();
        var waiting = budgets.ReserveAsync("ada", _ => ValueTask.FromResult((1, "")), cancel.Token);
        await cancel.CancelAsync();

        await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<OperationCanceledException>();
        held!.Dispose();
        budgets.Count.Should().Be(0);
    }
}
