using FluentAssertions;
using Microsoft.Extensions.Options;
using Sentinel.Passkeys;

namespace Sentinel.Tests.Passkeys;

/// <summary>Issue 19: <c>Sentinel:Passkeys</c> is checked at start-up; an origin off the relying party's domain stops the host with a message.</summary>
public sealed class PasskeyOptionsTests
{
    private static List<string> Errors(string? rpId, params string[] origins)
    {
        var options = new PasskeyOptions { RelyingPartyId = rpId };
        foreach (var origin in origins)
        {
            options.Origins.Add(origin);
        }

        var builder = new ValidateOptionsResultBuilder();
        options.Validate(builder);
        return builder.Build().Failures?.ToList() ?? [];
    }

    [Theory]
    [InlineData("example.com", "https://example.com")]
    [InlineData("example.com", "https://app.example.com")]
    [InlineData("example.com", "https://app.example.com:8443")]
    [InlineData("localhost", "http://localhost:5080")]
    public void AnOriginOnTheRelyingPartysDomain_IsAccepted(string rpId, string origin) =>
        Errors(rpId, origin).Should().BeEmpty();

    [Theory]
    [InlineData("example.com", "https://evil.com", "not on the relying party's domain")]
    [InlineData("example.com", "https://notexample.com", "not on the relying party's domain")]
    [InlineData("example.com", "http://app.example.com", "must use https")]
    [InlineData("example.com", "https://app.example.com/login", "no path")]
    [InlineData("example.com", "app.example.com", "not an http(s) origin")]
    public void AnOriginOffTheDomain_OrNotAnOrigin_IsRefused_Naming(string rpId, string origin, string reason) =>
        Errors(rpId, origin).Should().ContainSingle().Which.Should().Contain("Sentinel:Passkeys:Origins").And.Contain(reason);

    [Theory]
    [InlineData("https://example.com")]
    [InlineData("example.com:443")]
    [InlineData("Example.com")]
    public void ARelyingPartyIdThatIsNotABareDomain_IsRefused(string rpId) =>
        Errors(rpId, "https://example.com").Should().Contain(e => e.Contains("Sentinel:Passkeys:RelyingPartyId"));

    [Fact]
    public void OffByDefault_ButOriginsWithoutARelyingParty_OrNoOrigins_AreRefused()
    {
        Errors(null).Should().BeEmpty();
        new PasskeyOptions().Enabled.Should().BeFalse();
        Errors(null, "https://example.com").Should().ContainSingle().Which.Should().Contain("Sentinel:Passkeys:RelyingPartyId");
        Errors("example.com").Should().ContainSingle().Which.Should().Contain("Sentinel:Passkeys:Origins");
    }
}
