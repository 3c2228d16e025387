using FluentAssertions;
using Sentinel.Audit;

namespace Sentinel.Tests.Users;

/// <summary>SECURITY P4: consecutive failures lock the account with growing delays.</summary>
public sealed class LockoutTests
{
    private const string Email = "ada@example.com";
    private const string Password = "correct horse battery";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<Sentinel.SignIn.SignInResult> FailAsync(TestServices s, int times)
    {
        Sentinel.SignIn.SignInResult? last = null;
        for (var i = 0; i < times; i++)
        {
            last = await s.SignIn.PasswordSignInAsync(Email, "wrong horse battery", cancellationToken: Ct);
        }

        return last!;
    }

    [Fact]
    public async Task FiveFailures_LockForFiveMinutes_AndTheRightPasswordIsRefused()
    {
        using var s = new TestServices();
        var user = await s.RegisterAsync(Email, Password);

        (await FailAsync(s, 4)).Error!.Code.Should().Be(SentinelErrorCode.InvalidCredentials);
        var fifth = await FailAsync(s, 1);
        fifth.Error!.Code.Should().Be(SentinelErrorCode.LockedOut);
        fifth.Error.RetryAfter.Should().Be(TimeSpan.FromMinutes(5));

        s.Time.Advance(TimeSpan.FromMinutes(4));
        var during = await s.SignIn.PasswordSignInAsync(Email, Password, cancellationToken: Ct);
        during.Error!.Code.Should().Be(SentinelErrorCode.LockedOut, "the right password during a lockout is still refused");
        during.Error.RetryAfter.Should().Be(TimeSpan.FromMinutes(1));

        s.Time.Advance(TimeSpan.FromMinutes(1));
        (await s.SignIn.PasswordSignInAsync(Email, Password, cancellationToken: Ct)).Succeeded.Should().BeTrue();
        var stored = (await s.Store.FindByIdAsync(user.Id, Ct))!;
        stored.AccessFailedCount.Should().Be(0);
        stored.LockoutCount.Should().Be(0);
        stored.LockoutEnd.Should().BeNull();
        s.Audit.Events.Should().Contain(e => e.Type == AuditEventTypes.LoginLockedOut && e.UserId == user.Id);
    }

    [Fact]
    public async Task FurtherLockouts_DoubleUpToOneHour()
    {
        using var s = new TestServices();
        await s.RegisterAsync(Email, Password);
        var expected = new[] { 5, 10, 20, 40, 60, 60 };

        foreach (var minutes in expected)
        {
            var locked = await FailAsync(s, 5);
            locked.Error!.Code.Should().Be(SentinelErrorCode.LockedOut);
            locked.Error.RetryAfter.Should().Be(TimeSpan.FromMinutes(minutes));
            s.Time.Advance(TimeSpan.FromMinutes(minutes));
        }
    }

    [Fact]
    public async Task FailuresDuringALockout_DoNotExtendIt()
    {
        using var s = new TestServices();
        await s.RegisterAsync(Email, Password);
        await FailAsync(s, 5);

        s.Time.Advance(TimeSpan.FromMinutes(2));
        (await FailAsync(s, 10)).Error!.RetryAfter.Should().Be(TimeSpan.FromMinutes(3));
    }

    [Fact]
    public async Task Success_ResetsTheCount()
    {
        using var s = new TestServices();
        await s.RegisterAsync(Email, Password);

        await FailAsync(s, 4);
        (await s.SignIn.PasswordSignInAsync(Email, Password, cancellationToken: Ct)).Succeeded.Should().BeTrue();
        (await FailAsync(s, 4)).Error!.Code.Should().Be(SentinelErrorCode.InvalidCredentials, "the count restarted at zero");
        (await s.SignIn.PasswordSignInAsync(Email, Password, cancellationToken: Ct)).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task OtherAccounts_AreUnaffected()
    {
        using var s = new TestServices();
        await s.RegisterAsync(Email, Password);
        await s.RegisterAsync("grace@example.com", "another good passphrase");

        await FailAsync(s, 5);

        (await s.SignIn.PasswordSignInAsync("grace@example.com", "another good passphrase", cancellationToken: Ct)).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task ConcurrentFailures_AreAllCounted()
    {
        using var s = new TestServices(o => o.Lockout.MaxFailedAttempts = 20);
        var user = await s.RegisterAsync(Email, Password);

        await Task.WhenAll(Enumerable.Range(0, 12).Select(_ =>
            Task.Run(() => s.SignIn.PasswordSignInAsync(Email, "wrong horse battery", cancellationToken: Ct), Ct)));

        (await s.Store.FindByIdAsync(user.Id, Ct))!.AccessFailedCount.Should().Be(12, "optimistic concurrency retries lose no failure");
    }

    [Fact]
    public async Task Options_AreHonoured()
    {
        using var s = new TestServices(o =>
        {
            o.Lockout.MaxFailedAttempts = 3;
            o.Lockout.LockoutDuration = TimeSpan.FromMinutes(1);
            o.Lockout.MaxLockoutDuration = TimeSpan.FromMinutes(3);
        });
        await s.RegisterAsync(Email, Password);

        (await FailAsync(s, 3)).Error!.RetryAfter.Should().Be(TimeSpan.FromMinutes(1));
        s.Time.Advance(TimeSpan.FromMinutes(1));
        (await FailAsync(s, 3)).Error!.RetryAfter.Should().Be(TimeSpan.FromMinutes(2));
        s.Time.Advance(TimeSpan.FromMinutes(2));
        (await FailAsync(s, 3)).Error!.RetryAfter.Should().Be(TimeSpan.FromMinutes(3));
    }

    [Fact]
    public async Task Disabled_NeverLocks()
    {
        using var s = new TestServices(o => o.Lockout.Enabled = false);
        await s.RegisterAsync(Email, Password);

        (await FailAsync(s, 50)).Error!.Code.Should().Be(SentinelErrorCode.InvalidCredentials);
        (await s.SignIn.PasswordSignInAsync(Email, Password, cancellationToken: Ct)).Succeeded.Should().BeTrue();
    }
}
