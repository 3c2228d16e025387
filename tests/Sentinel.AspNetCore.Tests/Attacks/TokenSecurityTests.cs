using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sentinel.Tokens;

namespace Sentinel.AspNetCore.Tests;

/// <summary>
/// SECURITY T1–T6 (RFC 8725, RFC 9068) from the outside: forged and tampered tokens presented to a protected
/// endpoint. Each forgery starts from a real token's header and payload and changes one thing.
/// </summary>
public sealed class TokenSecurityTests : IAsyncLifetime
{
    private SentinelTestHost _host = null!;
    private JsonObject _header = null!;
    private JsonObject _payload = null!;
    private ECDsa _key = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await SentinelTestHost.StartAsync();
        var (_, tokens) = await _host.SignUpAndLoginAsync();
        var parts = tokens.AccessToken.Split('.');
        _header = JsonNode.Parse(Base64UrlEncoder.Decode(parts[0]))!.AsObject();
        _payload = JsonNode.Parse(Base64UrlEncoder.Decode(parts[1]))!.AsObject();
        var ringKey = await _host.Service<SigningKeyRing>().GetSigningKeyAsync(TestContext.Current.CancellationToken);
        _key = ((ECDsaSecurityKey)ringKey.Key).ECDsa;

        // The control: a token re-signed from the same header and payload is accepted.
        (await StatusOf(SignEs256(_header, _payload))).Should().Be(HttpStatusCode.OK);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Theory]
    [InlineData("none")]
    [InlineData("None")]
    [InlineData("NONE")]
    [InlineData("nOnE")]
    public async Task T1_AlgNone_IsRejected(string alg)
    {
        var header = Clone(_header);
        header["alg"] = alg;
        (await StatusOf(Encode(header) + "." + Encode(_payload) + ".")).Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task T1_AlgDifferentFromTheKeys_IsRejected()
    {
        var header = Clone(_header);
        header["alg"] = "ES384";
        var input = Encode(header) + "." + Encode(_payload);
        var signature = _key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        (await StatusOf(input + "." + Base64UrlEncoder.Encode(signature))).Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task T2_Hs256SignedWithThePublicKey_IsRejected()
    {
        // Key confusion: the attacker uses the published public key as an HMAC secret.
        var jwks = await _host.Client.GetStringAsync("/.well-known/jwks.json");
        var header = Clone(_header);
        header["alg"] = "HS256";
        foreach (var secret in new[] { Encoding.UTF8.GetBytes(jwks), _key.ExportSubjectPublicKeyInfo(), Encoding.ASCII.GetBytes(_key.ExportSubjectPublicKeyInfoPem()) })
        {
            var input = Encode(header) + "." + Encode(_payload);
            var signature = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input));
            (await StatusOf(input + "." + Base64UrlEncoder.Encode(signature))).Should().Be(HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task T3_BadSignature_IsRejected()
    {
        var token = SignEs256(_header, _payload);
        var tampered = token[..^4] + (token[^4] == 'A' ? 'B' : 'A') + token[^3..];
        (await StatusOf(tampered)).Should().Be(HttpStatusCode.Unauthorized);

        var payload = Clone(_payload);
        payload["role"] = new JsonArray("admin");
        var original = token.Split('.');
        (await StatusOf(original[0] + "." + Encode(payload) + "." + original[2])).Should().Be(HttpStatusCode.Unauthorized, "a payload edit breaks the signature");
    }

    [Theory]
    [InlineData("iss", "https://evil.example")]
    [InlineData("aud", "https://other-api.example")]
    public async Task T3_WrongIssuerOrAudience_IsRejected(string claim, string value)
    {
        var payload = Clone(_payload);
        payload[claim] = value;
        (await StatusOf(SignEs256(_header, payload))).Should().Be(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("iss")]
    [InlineData("exp")]
    [InlineData("aud")]
    [InlineData("sub")]
    [InlineData("client_id")]
    [InlineData("iat")]
    [InlineData("jti")]
    [InlineData("sid")]
    public async Task T3_MissingRequiredClaim_IsRejected(string claim)
    {
        var payload = Clone(_payload);
        payload.Remove(claim).Should().BeTrue();
        (await StatusOf(SignEs256(_header, payload))).Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task T3_ExpiredBeyondSkew_IsRejected_WithinSkew_IsAccepted()
    {
        var now = _host.Time.GetUtcNow().ToUnixTimeSeconds();
        var payload = Clone(_payload);
        payload["exp"] = now - 29;
        (await StatusOf(SignEs256(_header, payload))).Should().Be(HttpStatusCode.OK, "30 s of clock skew are allowed");
        payload["exp"] = now - 31;
        (await StatusOf(SignEs256(_header, payload))).Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task T3_FutureNotBefore_IsRejected()
    {
        var payload = Clone(_payload);
        payload["nbf"] = _host.Time.GetUtcNow().ToUnixTimeSeconds() + 120;
        (await StatusOf(SignEs256(_header, payload))).Should().Be(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("JWT")]
    [InlineData("mfa+jwt")]
    [InlineData("at+jwt+x")]
    [InlineData(null)]
    public async Task T4_OtherTokenTypes_AreRejected(string? typ)
    {
        var header = Clone(_header);
        if (typ is null)
        {
            header.Remove("typ");
        }
        else
        {
            header["typ"] = typ;
        }

        (await StatusOf(SignEs256(header, _payload))).Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task T4_ApplicationAtJwt_IsAccepted()
    {
        var header = Clone(_header);
        header["typ"] = "application/at+jwt";
        (await StatusOf(SignEs256(header, _payload))).Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task T5_UnknownKid_IsRejected_EvenWithAValidSignature()
    {
        foreach (var kid in new[] { "no-such-key", "", "../../etc/passwd" })
        {
            var header = Clone(_header);
            header["kid"] = kid;
            (await StatusOf(SignEs256(header, _payload))).Should().Be(HttpStatusCode.Unauthorized);
        }

        var noKid = Clone(_header);
        noKid.Remove("kid");
        (await StatusOf(SignEs256(noKid, _payload))).Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task T5_EmbeddedJwkJkuAndX5u_AreIgnored()
    {
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var attackerJwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(attacker));
        var header = Clone(_header);
        header["jwk"] = JsonNode.Parse(JsonSerializer.Serialize(new { kty = "EC", crv = "P-256", x = attackerJwk.X, y = attackerJwk.Y }));
        header["jku"] = "https://evil.example/jwks.json";
        header["x5u"] = "https://evil.example/cert.pem";

        (await StatusOf(SignEs256(header, _payload, attacker))).Should().Be(HttpStatusCode.Unauthorized, "the attacker's embedded key is not trusted");
        (await StatusOf(SignEs256(header, _payload))).Should().Be(HttpStatusCode.OK, "the headers are ignored, not followed");
    }

    [Fact]
    public async Task Attack_KidInjection_StrippedSignature_AndJunk_AreRejected()
    {
        foreach (var kid in new[] { "' OR '1'='1", "x\"; DROP TABLE sentinel_users; --", "..\\..\\windows\\win.ini", "%00", new string('k', 5000) })
        {
            var header = Clone(_header);
            header["kid"] = kid;
            (await StatusOf(SignEs256(header, _payload))).Should().Be(HttpStatusCode.Unauthorized);
        }

        var signed = SignEs256(_header, _payload);
        (await StatusOf(signed[..(signed.LastIndexOf('.') + 1)])).Should().Be(HttpStatusCode.Unauthorized, "a stripped signature is no signature");
        (await StatusOf(signed[..signed.LastIndexOf('.')])).Should().Be(HttpStatusCode.Unauthorized);
        foreach (var junk in new[] { "a.b.c", "....", "eyJ", new string('A', 100_000) })
        {
            (await StatusOf(junk)).Should().Be(HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task Attack_ARefreshTokenOrAnMfaToken_IsNotAnAccessToken()
    {
        var (email, tokens) = await _host.SignUpAndLoginAsync();
        (await StatusOf(tokens.RefreshToken)).Should().Be(HttpStatusCode.Unauthorized);

        // A real MFA challenge token (typ mfa+jwt, signed by the same key ring) does not open a protected endpoint.
        var setup = await (await _host.PostAsync("/auth/mfa/totp/setup", null, tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>();
        var secret = OtpNet.Base32Encoding.ToBytes(setup.GetProperty("sharedKey").GetString());
        var code = new OtpNet.Totp(secret).ComputeTotp(_host.Time.GetUtcNow().UtcDateTime);
        (await _host.PostAsync("/auth/mfa/totp/confirm", new { code }, tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
        var challenge = await (await _host.PostAsync("/auth/login", new { email, password = SentinelTestHost.Password })).ShouldBeProblemAsync(401, "mfa_required");
        var mfaToken = challenge.GetProperty("mfaToken").GetString()!;

        (await StatusOf(mfaToken)).Should().Be(HttpStatusCode.Unauthorized);
        (await _host.GetAsync("/auth/me", mfaToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task T6_ShortHmacSecret_StopsTheHost()
    {
        var start = () => SentinelTestHost.StartAsync(o =>
        {
            o.Tokens.SigningAlgorithm = SigningAlgorithm.HS256;
            o.Tokens.HmacSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(31));
        });

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("Sentinel:Tokens:HmacSecret").And.Contain("256 bits");
    }

    [Fact]
    public async Task Hs256_WithA256BitSecret_Works_AndPublishesNoKey()
    {
        await using var host = await SentinelTestHost.StartAsync(o =>
        {
            o.Tokens.SigningAlgorithm = SigningAlgorithm.HS256;
            o.Tokens.HmacSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        });
        var (_, tokens) = await host.SignUpAndLoginAsync();

        new JsonWebToken(tokens.AccessToken).Alg.Should().Be("HS256");
        (await host.GetAsync("/protected", tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
        var jwks = await host.Client.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json", TestContext.Current.CancellationToken);
        jwks.GetProperty("keys").GetArrayLength().Should().Be(0, "a symmetric secret is never published");
    }

    [Fact]
    public async Task Rs256_Works_AndPublishesOnlyThePublicKey()
    {
        await using var host = await SentinelTestHost.StartAsync(o => o.Tokens.SigningAlgorithm = SigningAlgorithm.RS256);
        var (_, tokens) = await host.SignUpAndLoginAsync();

        var jwt = new JsonWebToken(tokens.AccessToken);
        jwt.Alg.Should().Be("RS256");
        (await host.GetAsync("/protected", tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
        var key = (await host.Client.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json", TestContext.Current.CancellationToken)).GetProperty("keys")[0];
        key.GetProperty("kty").GetString().Should().Be("RSA");
        key.GetProperty("kid").GetString().Should().Be(jwt.Kid);
        key.TryGetProperty("n", out _).Should().BeTrue();
        key.TryGetProperty("d", out _).Should().BeFalse();
        key.TryGetProperty("p", out _).Should().BeFalse();
    }

    [Fact]
    public async Task T2_OnAnRs256Host_Hs256SignedWithThePublicRsaKey_IsRejected()
    {
        // HS/RS key confusion: the attacker HMACs with the RSA public key (as JWKS text, DER or PEM).
        await using var host = await SentinelTestHost.StartAsync(o => o.Tokens.SigningAlgorithm = SigningAlgorithm.RS256);
        var (_, tokens) = await host.SignUpAndLoginAsync();
        var parts = tokens.AccessToken.Split('.');
        var header = JsonNode.Parse(Base64UrlEncoder.Decode(parts[0]))!.AsObject();
        header["alg"] = "HS256";
        var ringKey = await host.Service<SigningKeyRing>().GetSigningKeyAsync(TestContext.Current.CancellationToken);
        var rsa = ((RsaSecurityKey)ringKey.Key).Rsa ?? RSA.Create(((RsaSecurityKey)ringKey.Key).Parameters);
        var jwks = await host.Client.GetStringAsync("/.well-known/jwks.json");
        foreach (var secret in new[] { Encoding.UTF8.GetBytes(jwks), rsa.ExportSubjectPublicKeyInfo(), Encoding.ASCII.GetBytes(rsa.ExportSubjectPublicKeyInfoPem()), rsa.ExportRSAPublicKey() })
        {
            var input = Encode(header) + "." + parts[1];
            var signature = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input));
            (await host.GetAsync("/protected", input + "." + Base64UrlEncoder.Encode(signature))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        (await host.GetAsync("/protected", tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK, "the control: the real token passes");
    }

    private async Task<HttpStatusCode> StatusOf(string token) => (await _host.GetAsync("/protected", token)).StatusCode;

    private string SignEs256(JsonObject header, JsonObject payload, ECDsa? key = null)
    {
        var input = Encode(header) + "." + Encode(payload);
        var signature = (key ?? _key).SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return input + "." + Base64UrlEncoder.Encode(signature);
    }

    private static string Encode(JsonObject json) => Base64UrlEncoder.Encode(json.ToJsonString());

    private static JsonObject Clone(JsonObject json) => JsonNode.Parse(json.ToJsonString())!.AsObject();
}
