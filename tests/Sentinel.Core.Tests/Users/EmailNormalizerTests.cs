using FluentAssertions;
using Sentinel.Users;

namespace Sentinel.Tests.Users;

/// <summary>SECURITY P6: one mailbox, one account, whichever Unicode form the address is typed in.</summary>
public sealed class EmailNormalizerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("bob@company.com")]
    [InlineData("BOB@COMPANY.COM")]
    [InlineData("  Bob@Company.com ")]
    [InlineData("\uFF42ob@company.com")] // full-width b
    [InlineData("\uFF22\uFF2F\uFF22@company.com")] // full-width BOB
    [InlineData("bob\uFF20company.com")] // full-width @
    [InlineData("bob@\uFF43ompany.com")] // full-width c in the domain
    [InlineData("bob@company\uFF0Ecom")] // full-width full stop
    public void P6_LookAlikeForms_NormaliseToTheSameMailbox(string typed) =>
        EmailNormalizer.Normalize(typed).Should().Be("BOB@COMPANY.COM");

    [Theory]
    [InlineData("\uFB01le@example.com", "FILE@EXAMPLE.COM")] // the fi ligature
    [InlineData("\u212Aim@example.com", "KIM@EXAMPLE.COM")] // the Kelvin sign
    [InlineData("user@b\u00FCcher.example", "USER@XN--BCHER-KVA.EXAMPLE")] // IDNA A-label
    [InlineData("USER@B\u00DCCHER.EXAMPLE", "USER@XN--BCHER-KVA.EXAMPLE")]
    [InlineData("user@xn--bcher-kva.example", "USER@XN--BCHER-KVA.EXAMPLE")]
    [InlineData("\u03A3\u03C3\u03C2@example.gr", "\u03A3\u03A3\u03A3@EXAMPLE.GR")] // capital, medial and final sigma fold alike
    public void P6_CompatibilityFormsCaseAndIdna_AreOneAddress(string typed, string normalized) =>
        EmailNormalizer.Normalize(typed).Should().Be(normalized);

    [Fact]
    public void AnAsciiAddress_NormalisesAsItDidBefore_SoStoredRowsStayValid()
    {
        foreach (var email in new[] { "Ada.Lovelace@Example.COM", "x+tag@sub.example.org", "o'brien@example.ie" })
        {
            EmailNormalizer.Normalize(email).Should().Be(email.Trim().ToUpperInvariant());
        }
    }

    [Theory]
    [InlineData("bob@\uD800company.com")] // a lone surrogate
    [InlineData("@")]
    [InlineData("no-at-sign")]
    [InlineData("bob@")]
    [InlineData("bob@-bad-.com")]
    public void BadInput_NeverThrows_AndIsNotAValidAddress(string typed)
    {
        var normalize = () => EmailNormalizer.Normalize(typed);
        normalize.Should().NotThrow();
        EmailNormalizer.Validate(typed).Should().NotBeNull();
    }

    [Fact]
    public async Task P6_ALookAlikeRegistration_IsTaken_AndEitherFormSignsInToTheOneAccount()
    {
        using var s = new TestServices();
        var bob = (await s.Users.RegisterAsync("bob@company.com", "correct horse battery", cancellationToken: Ct)).Value!;

        var twin = await s.Users.RegisterAsync("\uFF42ob@Company.com", "another good passphrase", cancellationToken: Ct);
        twin.Error!.Code.Should().Be(SentinelErrorCode.EmailTaken);

        (await s.Users.FindByEmailAsync("\uFF22\uFF2F\uFF22@company.com", Ct))!.Id.Should().Be(bob.Id);
        (await s.SignIn.PasswordSignInAsync("\uFF42ob@company.com", "correct horse battery", cancellationToken: Ct)).Succeeded.Should().BeTrue();
    }
}
