using FluentAssertions;
using Microsoft.Extensions.Options;
using Sentinel.Passwords;

namespace Sentinel.Tests.Passwords;

/// <summary>SECURITY P1 (NIST SP 800-63B 5.1.1.2).</summary>
public sealed class PasswordPolicyTests
{
    private static PasswordPolicy Create(Action<PasswordOptions>? configure = null)
    {
        var options = new SentinelOptions();
        configure?.Invoke(options.Passwords);
        return new PasswordPolicy(Options.Create(options));
    }

    [Fact]
    public void ShorterThanMinimum_IsRefusedWithAReason()
    {
        Create().Validate("Zq7#pLm", "ada@example.com").Should().ContainSingle().Which.Should().Contain("at least 8");
        Create().Validate("Zq7#pLmx", "ada@example.com").Should().BeEmpty();
    }

    [Fact]
    public void MinimumLength_IsConfigurable()
    {
        Create(p => p.MinimumLength = 12).Validate("Zq7#pLmxWv2", null).Should().ContainSingle().Which.Should().Contain("at least 12");
    }

    [Fact]
    public void Length_CountsCodePoints_NotUtf16Units()
    {
        // Four emoji are eight UTF-16 units but four characters.
        Create().Validate("🔐🦊🌵🎲", null).Should().ContainSingle().Which.Should().Contain("at least 8");
        Create().Validate("🔐🦊🌵🎲🚲🧭🪁🫖", null).Should().BeEmpty();
    }

    [Theory]
    [InlineData(64)]
    [InlineData(200)]
    [InlineData(256)]
    public void LongPasswords_AreAccepted(int length)
    {
        var password = string.Concat(Enumerable.Range(0, length).Select(i => (char)('a' + (i * 7 % 26))));
        Create().Validate(password, "ada@example.com").Should().BeEmpty();
    }

    [Fact]
    public void LongerThanMaximum_IsRefusedWithAReason()
    {
        Create().Validate(new string('q', 257) + "Zx", null).Should().ContainSingle().Which.Should().Contain("at most 256");
    }

    [Theory]
    [InlineData("correct horse battery staple")]
    [InlineData("alllowercaseletters")]
    [InlineData("8473920175")]
    public void NoCompositionRules(string password)
    {
        Create().Validate(password, null).Should().BeEmpty();
    }

    [Theory]
    [InlineData("password")]
    [InlineData("PASSWORD")]
    [InlineData("12345678")]
    [InlineData("qwertyuiop")]
    [InlineData("iloveyou")]
    [InlineData("baseball")]
    public void CommonPassword_IsRefusedWithAReason(string password)
    {
        Create().Validate(password, null).Should().ContainSingle().Which.Should().Contain("most common passwords");
    }

    [Fact]
    public void Blocklist_HoldsAtLeastTenThousandDistinctEntries()
    {
        CommonPasswords.Count.Should().BeGreaterThan(9_900, "the shipped list is the SecLists top 10,000 (9,913 distinct ignoring case)");
    }

    [Fact]
    public void Blocklist_CanBeTurnedOff()
    {
        Create(p => p.BlockCommonPasswords = false).Validate("password", null).Should().BeEmpty();
    }

    [Theory]
    [InlineData("ada.lovelace@example.com")]
    [InlineData("ADA.LOVELACE")]
    [InlineData("my-ada.lovelace-pass")]
    public void PasswordResemblingTheEmail_IsRefused(string password)
    {
        Create().Validate(password, "Ada.Lovelace@example.com").Should().Contain(r => r.Contains("email", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_IsRefused()
    {
        Create().Validate(null, null).Should().ContainSingle().Which.Should().Be("Password is required.");
        Create().Validate("", null).Should().ContainSingle();
    }
}
