using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using FluentAssertions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Sentinel.AspNetCore.Tests;

/// <summary>docs/API.md: <c>GET /.well-known/jwks.json</c>, as a resource server that only knows the JWKS would use it.</summary>
public sealed class JwksEndpointTests : IAsyncLifetime
{
    private SentinelTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await SentinelTestHost.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Jwks_PublishesThePublicSigningKey_ThatValidatesIssuedTokens()
    {
        var (_, tokens) = await _host.SignUpAndLoginAsync();

        var response = await _host.Client.GetAsync("/.well-known/jwks.json", TestContext.Current.CancellationToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var text = await response.Content.ReadAsStringAsync();
        var key = JsonDocument.Parse(text).RootElement.GetProperty("keys").EnumerateArray().Single();
        key.GetProperty("kty").GetString().Should().Be("EC");
        key.GetProperty("alg").GetString().Should().Be("ES256");
        key.GetProperty("use").GetString().Should().Be("sig");
        key.GetProperty("crv").GetString().Should().Be("P-256");
        key.GetProperty("kid").GetString().Should().Be(new JsonWebToken(tokens.AccessToken).Kid);
        key.TryGetProperty("d", out _).Should().BeFalse("the private part is never published");

        // An independent resource server: the stock handler with only the JWKS validates Sentinel's token.
        var set = new JsonWebKeySet(text);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(tokens.AccessToken, new TokenValidationParameters
        {
            ValidIssuer = "https://api.example.test",
            ValidAudience = "https://api.example.test",
            IssuerSigningKeys = set.GetSigningKeys(),
            ValidTypes = ["at+jwt"],
            LifetimeValidator = (_, _, _, _) => true,
        });
        result.IsValid.Should().BeTrue(result.Exception?.Message);
    }
}
