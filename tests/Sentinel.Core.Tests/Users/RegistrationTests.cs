using FluentAssertions;
using Sentinel.Audit;

namespace Sentinel.Tests.Users;

public sealed class RegistrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Register_ValidInput_CreatesUserWithNormalisedEmailAndArgon2Hash()
    {
        using var s = new TestServices();
        var result = await s.Users.RegisterAsync("  Ada.Lovelace@Example.COM ", "correct horse battery", cancellationToken: Ct);

        result.Succeeded.Should().BeTrue();
        var user = result.Value!;
        user.Email.Should().Be("Ada.Lovelace@Example.COM");
        user.NormalizedEmail.Should().Be("ADA.LOVELACE@EXAMPLE.COM");
        user.Id.Version.Should().Be(7, "user ids are time-ordered GUID v7");
        user.CreatedAt.Should().Be(TestServices.Start);
        user.UpdatedAt.Should().Be(TestServices.Start);
        user.PasswordHash.Should().StartWith("$argon2id$").And.NotContain("correct horse battery");
        user.IsDisabled.Should().BeFalse();
        user.Roles.Should().BeEmpty();

        var stored = await s.Store.FindByIdAsync(user.Id, Ct);
        stored.Should().BeEquivalentTo(user);
        s.Audit.Events.Should().ContainSingle(e => e.Type == AuditEventTypes.UserRegistered && e.UserId == user.Id && e.Outcome == AuditOutcome.Success);
    }

    [Theory]
    [InlineData("ada@example.com")]
    [InlineData("ADA@EXAMPLE.COM")]
    [InlineData(" ada@Example.com ")]
    public async Task Register_SameEmailInAnyCase_IsEmailTaken(string again)
    {
        using var s = new TestServices();
        await s.RegisterAsync("ada@example.com");

        var result = await s.Users.RegisterAsync(again, "another good passphrase", cancellationToken: Ct);

        result.Error!.Code.Should().Be(SentinelErrorCode.EmailTaken);
        result.Error.Code.ToCode().Should().Be("email_taken");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-an-email")]
    [InlineData("ada@")]
    [InlineData("@example.com")]
    [InlineData("ada@@example.com")]
    [InlineData("ada lovelace@example.com")]
    [InlineData("ada@localhost")]
    [InlineData("ada\u0000@example.com")]
    public async Task Register_BadEmail_IsValidationFailedOnEmail(string? email)
    {
        using var s = new TestServices();
        var result = await s.Users.RegisterAsync(email, "correct horse battery", cancellationToken: Ct);

        result.Error!.Code.Should().Be(SentinelErrorCode.ValidationFailed);
        result.Error.Errors!.Keys.Should().BeEquivalentTo(["email"]);
    }

    [Fact]
    public async Task Register_TooLongEmail_IsValidationFailed()
    {
        using var s = new TestServices();
        var email = new string('a', 250) + "@example.com";
        var result = await s.Users.RegisterAsync(email, "correct horse battery", cancellationToken: Ct);

        result.Error!.Errors!["email"].Should().ContainSingle().Which.Should().Contain("254");
    }

    [Fact]
    public async Task Register_WeakPassword_IsValidationFailedWithEveryReason_AndCreatesNothing()
    {
        // SECURITY P1: refusals say why.
        using var s = new TestServices();
        var result = await s.Users.RegisterAsync("bad-email", "password", cancellationToken: Ct);

        result.Error!.Code.Should().Be(SentinelErrorCode.ValidationFailed);
        result.Error.Errors!.Keys.Should().BeEquivalentTo(["email", "password"]);
        result.Error.Errors["password"].Should().ContainSingle().Which.Should().Contain("common");
        s.Audit.Events.Should().BeEmpty();
    }

    [Fact]
    public async Task Register_PasswordContainingEmailName_IsRefused()
    {
        using var s = new TestServices();
        var result = await s.Users.RegisterAsync("lovelace@example.com", "lovelace-2026!", cancellationToken: Ct);

        result.Error!.Errors!["password"].Should().Contain(r => r.Contains("email", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Register_ConcurrentSameEmail_ExactlyOneSucceeds()
    {
        using var s = new TestServices();
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            Task.Run(() => s.Users.RegisterAsync("race@example.com", "correct horse battery", cancellationToken: Ct), Ct)));

        attempts.Count(r => r.Succeeded).Should().Be(1);
        attempts.Where(r => !r.Succeeded).Should().OnlyContain(r => r.Error!.Code == SentinelErrorCode.EmailTaken);
    }
}
