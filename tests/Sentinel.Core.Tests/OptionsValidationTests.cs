using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Sentinel.Tests;

public sealed class OptionsValidationTests
{
    private static OptionsValidationException? Validate(Action<SentinelOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddSentinelCore(configure).AddInMemoryStores();
        using var provider = services.BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IOptions<SentinelOptions>>().Value;
            return null;
        }
        catch (OptionsValidationException e)
        {
            return e;
        }
    }

    [Fact]
    public void Defaults_AreValid()
    {
        Validate(_ => { }).Should().BeNull();
    }

    [Fact]
    public void AuditAndEmailProblems_NameTheSettingAndTheFix()
    {
        var error = Validate(o =>
        {
            o.Audit.BatchSize = 0;
            o.Audit.Retention = TimeSpan.FromHours(1);
            o.Audit.AdminRole = " ";
            o.Email.ResetPasswordUrl = "https://app.example.com/reset";
            o.Email.PasswordResetTokenLifetime = TimeSpan.FromDays(2);
        });

        error!.Failures.Should().HaveCount(5);
        error.Message.Should().Contain("Sentinel:Audit:BatchSize").And.Contain("Sentinel:Audit:Retention").And.Contain("Sentinel:Audit:AdminRole")
            .And.Contain("Sentinel:Email:ResetPasswordUrl").And.Contain("{token}").And.Contain("Sentinel:Email:PasswordResetTokenLifetime");
    }

    [Fact]
    public void EveryProblem_IsReportedWithTheSettingAndTheFix()
    {
        var error = Validate(o =>
        {
            o.Passwords.MaximumLength = 32;
            o.Passwords.Argon2MemoryKiB = 1;
            o.Lockout.MaxFailedAttempts = 0;
            o.Lockout.MaxLockoutDuration = TimeSpan.FromSeconds(1);
        });

        error.Should().NotBeNull();
        error!.Failures.Should().HaveCount(4);
        error.Message.Should().Contain("Sentinel:Passwords:MaximumLength").And.Contain("at least 64")
            .And.Contain("Sentinel:Passwords:Argon2MemoryKiB").And.Contain("19456")
            .And.Contain("Sentinel:Lockout:MaxFailedAttempts")
            .And.Contain("Sentinel:Lockout:MaxLockoutDuration");
    }

    [Fact]
    public void AddSentinelCore_Twice_IsHarmless()
    {
        var services = new ServiceCollection();
        services.AddSentinelCore().AddInMemoryStores();
        var count = services.Count;
        services.AddSentinelCore().AddInMemoryStores();

        services.Count(d => d.ServiceType == typeof(IValidateOptions<SentinelOptions>)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(Sentinel.Users.UserService)).Should().Be(1);
        services.Count.Should().BeLessThan(count + 5, "only the options plumbing may repeat");
    }

    [Fact]
    public void EachOptionsClass_ChecksItsOwnSettings_WithTheirKeys()
    {
        // Validation sits beside each options class; SentinelOptionsValidator only collects it.
        static IEnumerable<string> Errors(Action<ValidateOptionsResultBuilder> validate)
        {
            var builder = new ValidateOptionsResultBuilder();
            validate(builder);
            return builder.Build().Failures ?? [];
        }

        Errors(new Sentinel.Cluster.ClusterOptions { ReloadInterval = TimeSpan.Zero }.Validate).Should().ContainSingle().Which.Should().Contain("Sentinel:Cluster:ReloadInterval");
        Errors(new Sentinel.SignIn.LockoutOptions { MaxFailedAttempts = 0 }.Validate).Should().ContainSingle().Which.Should().Contain("Sentinel:Lockout:MaxFailedAttempts");
        Errors(new Sentinel.Passwords.PasswordOptions { MinimumLength = 0 }.Validate).Should().ContainSingle().Which.Should().Contain("Sentinel:Passwords:MinimumLength");
        Errors(new Sentinel.SignIn.LockoutOptions { DeviceTokenLifetime = TimeSpan.FromDays(-1) }.Validate).Should().ContainSingle().Which.Should().Contain("Sentinel:Lockout:DeviceTokenLifetime");
        Errors(new Sentinel.SignIn.LockoutOptions { DeviceTokenLifetime = TimeSpan.Zero }.Validate).Should().BeEmpty("zero turns device tokens off");
        Errors(new Sentinel.SignIn.StepUpOptions { MaxAge = TimeSpan.Zero }.Validate).Should().ContainSingle().Which.Should().Contain("Sentinel:StepUp:MaxAge");
        Errors(new Sentinel.SignIn.StepUpOptions { MaxAge = TimeSpan.FromDays(2) }.Validate).Should().ContainSingle().Which.Should().Contain("Sentinel:StepUp:MaxAge");
        Errors(new SentinelOptions().StepUp.Validate).Should().BeEmpty("the default (10 minutes) is valid");
        Errors(new SentinelOptions().Tokens.Validate).Should().BeEmpty("the defaults are valid");
    }
}
