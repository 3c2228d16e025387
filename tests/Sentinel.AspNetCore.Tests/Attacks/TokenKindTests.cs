using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using OtpNet;
using Sentinel.Email;
using Xunit;

namespace Sentinel.AspNetCore.Tests.Attacks;

/// <summary>
/// SECURITY T10: another service of the same system validates Sentinel's tokens the way most do, with a stock
/// <c>AddJwtBearer</c> configured from the published JWKS, the issuer and the audience (it checks no <c>typ</c>).
/// It must accept access tokens and nothing else Sentinel hands out.
/// </summary>
public sealed class TokenKindTests : IAsyncLifetime
{
    private readonly CapturingEmailSender _mail = new();
    private SentinelTestHost _sentinel = null!;
    private WebApplication _resourceServer = null!;
    private HttpClient _api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _sentinel = await SentinelTestHost.StartAsync(
            o =>
            {
                o.ApiKeys.Scopes.Add("reports:read", "Read");
                o.Email.ConfirmEmailUrl = "https://app.example.test/confirm?token={token}";
                o.Email.ResetPasswordUrl = "https://app.example.test/reset?token={token}";
            },
            services: s => s.AddSingleton<ISentinelEmailSender>(_mail));

        // The stock validator keeps real time: bring Sentinel's clock to now (it only moves forward).
        if (DateTimeOffset.UtcNow > _sentinel.Time.GetUtcNow())
        {
            _sentinel.Time.SetUtcNow(DateTimeOffset.UtcNow);
        }

        var jwks = new JsonWebKeySet(await _sentinel.Client.GetStringAsync("/.well-known/jwks.json", Ct));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = "https://api.example.test",
                ValidAudience = "https://api.example.test",
                IssuerSigningKeys = jwks.GetSigningKeys(),
            };
        });
        builder.Services.AddAuthorization();
        _resourceServer = builder.Build();
        _resourceServer.UseAuthentication();
        _resourceServer.UseAuthorization();
        _resourceServer.MapGet("/orders", (HttpContext http) => http.User.FindFirst("sub")?.Value).RequireAuthorization();
        await _resourceServer.StartAsync(Ct);
        _api = _resourceServer.GetTestClient();
    }

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        await _resourceServer.DisposeAsync();
        await _sentinel.DisposeAsync();
    }

    private async Task<HttpStatusCode> PresentAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _api.SendAsync(request, Ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task T10_AStockJwtBearerFromTheJwks_AcceptsAccessTokens_AndNoOtherTokenSentinelMints()
    {
        var email = SentinelTestHost.NewEmail();
        await _sentinel.RegisterAsync(email);
        var tokens = await _sentinel.LoginAsync(email);

        (await PresentAsync(tokens.AccessToken)).Should().Be(HttpStatusCode.OK, "the resource server is set up as configuration.md says");

        // The MFA challenge token: after the password alone, before the second factor.
        var setup = await (await _sentinel.PostAsync("/auth/mfa/totp/setup", null, tokens.AccessToken)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var secret = Base32Encoding.ToBytes(setup.GetProperty("sharedKey").GetString());
        var code = new Totp(secret).ComputeTotp(_sentinel.Time.GetUtcNow().UtcDateTime);
        var confirm = await _sentinel.PostAsync("/auth/mfa/totp/confirm", new { code }, tokens.AccessToken);
        confirm.StatusCode.Should().Be(HttpStatusCode.OK);
        var recoveryCode = (await confirm.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("recoveryCodes")[0].GetString()!;
        var challenge = await (await _sentinel.PostAsync("/auth/login", new { email, password = SentinelTestHost.Password }))
            .ShouldBeProblemAsync(401, "mfa_required");
        var mfaToken = challenge.GetProperty("mfaToken").GetString()!;

        var key = await (await _sentinel.PostAsync("/auth/api-keys", new { name = "ci", scopes = new[] { "reports:read" } }, tokens.AccessToken))
            .Content.ReadFromJsonAsync<JsonElement>(Ct);

        await _sentinel.PostAsync("/auth/email/resend", new { email });
        await _sentinel.PostAsync("/auth/password/forgot", new { email });
        await _sentinel.Service<EmailSendQueue>().FlushAsync(Ct);
        var confirmToken = _mail.Messages.OfType<ConfirmEmailMessage>().Last().Token;
        var resetToken = _mail.Messages.OfType<ResetPasswordMessage>().Last().Token;

        var others = new Dictionary<string, string>
        {
            ["mfaToken"] = mfaToken,
            ["refreshToken"] = tokens.RefreshToken,
            ["api key"] = key.GetProperty("key").GetString()!,
            ["email confirmation token"] = confirmToken,
            ["password reset token"] = resetToken,
            ["recovery code"] = recoveryCode,
        };
        foreach (var (kind, token) in others)
        {
            (await PresentAsync(token)).Should().Be(HttpStatusCode.Unauthorized, $"a {kind} is no sign-in at another service");
        }

        // And the MFA token still does its own job at Sentinel.
        (await _sentinel.PostAsync("/auth/login/mfa", new { mfaToken, recoveryCode })).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
