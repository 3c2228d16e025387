using FluentAssertions;
using Sentinel.SignIn;

namespace Sentinel.Tests.SignIn;

/// <summary>The per-account lock of the sign-in gate (SECURITY M8): one holder per key, and nothing kept after.</summary>
public sealed class KeyedLockTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneHolderPerKey_OtherKeysDoNotWait_AndNoEntryOutlivesItsHolders()
    {
        var locks = new KeyedLock<string>();
        var first = await locks.AcquireAsync("ada", Ct);
        var second = locks.AcquireAsync("ada", Ct).AsTask();
        var other = await locks.AcquireAsync("grace", Ct); // another account is not held up

        await Task.Delay(50, Ct);
        second.IsCompleted.Should().BeFalse("the key is held");
        locks.Count.Should().Be(2);

        first.Dispose();
        first.Dispose(); // releasing twice releases once
        using (await second)
        {
            locks.Count.Should().Be(2);
        }

        other.Dispose();
        locks.Count.Should().Be(0, "an entry lives only while someone holds or waits for it");
    }

    [Fact]
    public async Task AWaiterThatGivesUp_LeavesNoEntry()
    {
        var locks = new KeyedLock<string>();
        var held = await locks.AcquireAsync("ada", Ct);
        using var cancel = new CancellationTokenSource();
        var waiting = locks.AcquireAsync("ada", cancel.Token).AsTask();
        await cancel.CancelAsync();

        await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<OperationCanceledException>();
        held.Dispose();
        locks.Count.Should().Be(0);
    }
}
