using FluentAssertions;
using Sentinel.Audit;

namespace Sentinel.Tests.Users;

public sealed class AccountManagementTests
{
    private const string Password = "correct horse battery";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ChangePassword_RequiresTheCurrentOne()
    {
        // SECURITY P5: changing the password requires the current one.
        using var s = new TestServices();
        var user = await s.RegisterAsync("ada@example.com", Password);

        var wrong = await s.Users.ChangePasswordAsync(user.Id, "not my password", "a brand new passphrase", cancellationToken: Ct);
        wrong.Error!.Code.Should().Be(SentinelErrorCode.InvalidCredentials);
        (await s.Store.FindByIdAsync(user.Id, Ct))!.PasswordHash.Should().Be(user.PasswordHash);

        var ok = await s.Users.ChangePasswordAsync(user.Id, Password, "a brand new passphrase", cancellationToken: Ct);
        ok.Succeeded.Should().BeTrue();
        (await s.SignIn.PasswordSignInAsync("ada@example.com", Password, cancellationToken: Ct)).Succeeded.Should().BeFalse();
        (await s.SignIn.PasswordSignInAsync("ada@example.com", "a brand new passphrase", cancellationToken: Ct)).Succeeded.Should().BeTrue();
        s.Audit.Events.Should().ContainSingle(e => e.Type == AuditEventTypes.PasswordChanged && e.UserId == user.Id);
    }

    [Fact]
    public async Task ChangePassword_WrongCurrentPassword_CountsTowardLockout()
    {
        using var s = new TestServices();
        var user = await s.RegisterAsync("ada@example.com", Password);

        for (var i = 0; i < 4; i++)
        {
            (await s.Users.ChangePasswordAsync(user.Id, "guess " + i, "a brand new passphrase", cancellationToken: Ct)).Error!.Code
                .Should().Be(SentinelErrorCode.InvalidCredentials);
        }

        (await s.Users.ChangePasswordAsync(user.Id, "guess 5", "a brand new passphrase", cancellationToken: Ct)).Error!.Code
            .Should().Be(SentinelErrorCode.LockedOut);
        (await s.Users.ChangePasswordAsync(user.Id, Password, "a brand new passphrase", cancellationToken: Ct)).Error!.Code
            .Should().Be(SentinelErrorCode.LockedOut);
    }

    [Fact]
    public async Task ChangePassword_WeakNewPassword_IsValidationFailedOnNewPassword()
    {
        using var s = new TestServices();
        var user = await s.RegisterAsync("ada@example.com", Password);

        var result = await s.Users.ChangePasswordAsync(user.Id, Password, "short", cancellationToken: Ct);

        result.Error!.Code.Should().Be(SentinelErrorCode.ValidationFailed);
        result.Error.Errors!.Keys.Should().BeEquivalentTo(["newPassword"]);
        (await s.Store.FindByIdAsync(user.Id, Ct))!.PasswordHash.Should().Be(user.PasswordHash);
    }

    [Fact]
    public async Task Roles_AddAndRemove_AreIdempotentAndValidated()
    {
        using var s = new TestServices();
        var user = await s.RegisterAsync();

        (await s.Users.AddRoleAsync(user.Id, "admin", Ct)).Value!.Roles.Should().Equal("admin");
        (await s.Users.AddRoleAsync(user.Id, "admin", Ct)).Value!.Roles.Should().Equal("admin");
        (await s.Users.AddRoleAsync(user.Id, "auditor", Ct)).Value!.Roles.Should().Equal("admin", "auditor");
        (await s.Users.RemoveRoleAsync(user.Id, "admin", Ct)).Value!.Roles.Should().Equal("auditor");
        (await s.Users.RemoveRoleAsync(user.Id, "admin", Ct)).Value!.Roles.Should().Equal("auditor");
        (await s.Store.FindByIdAsync(user.Id, Ct))!.Roles.Should().Equal("auditor");

        (await s.Users.AddRoleAsync(user.Id, "", Ct)).Error!.Code.Should().Be(SentinelErrorCode.ValidationFailed);
        (await s.Users.AddRoleAsync(user.Id, new string('r', 65), Ct)).Error!.Code.Should().Be(SentinelErrorCode.ValidationFailed);
        (await s.Users.AddRoleAsync(Guid.CreateVersion7(), "admin", Ct)).Error!.Code.Should().Be(SentinelErrorCode.NotFound);
    }

    [Fact]
    public async Task FindByEmail_IgnoresCaseAndSpaces()
    {
        using var s = new TestServices();
        var user = await s.RegisterAsync("ada@example.com");

        (await s.Users.FindByEmailAsync(" ADA@Example.com ", Ct))!.Id.Should().Be(user.Id);
        (await s.Users.FindByIdAsync(user.Id, Ct))!.Email.Should().Be("ada@example.com");
    }
}
