using FluentAssertions;
using Sentinel.Passkeys;

namespace Sentinel.Tests.Passkeys;

/// <summary>Issue 19, point 6: a passkey's default name comes from its AAGUID where the provider is known, else "Passkey".</summary>
public sealed class AuthenticatorNamesTests
{
    [Theory]
    [InlineData("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4", "Google Password Manager")]
    [InlineData("fbfc3007-154e-4ecc-8c0b-6e020557d7bd", "Apple Passwords")]
    [InlineData("08987058-cadc-4b81-b6e1-30de50dcbe96", "Windows Hello")]
    [InlineData("bada5566-a7aa-401f-bd96-45619a55120d", "1Password")]
    public void AKnownProvider_IsNamed(string aaGuid, string name) => AuthenticatorNames.For(Guid.Parse(aaGuid)).Should().Be(name);

    [Fact]
    public void AnUnknownOrUnstatedModel_IsAPasskey()
    {
        AuthenticatorNames.For(Guid.Empty).Should().Be("Passkey", "authenticators that state no model send zeros");
        AuthenticatorNames.For(Guid.NewGuid()).Should().Be("Passkey");
    }
}
