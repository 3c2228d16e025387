using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FluentAssertions;

namespace Sentinel.AspNetCore.Tests;

/// <summary>docs/API.md "Account and tokens": register, me, password, sessions, from the outside.</summary>
public sealed class AccountEndpointTests : IAsyncLifetime
{
    private SentinelTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await SentinelTestHost.StartAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Register_Valid_Returns201WithIdEmailCreatedAt()
    {
        var response = await _host.PostAsync("/auth/register", new { email = " Ada@Example.com ", password = SentinelTestHost.Password });

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Guid.Parse(json.GetProperty("id").GetString()!).Version.Should().Be(7);
        json.GetProperty("email").GetString().Should().Be("Ada@Example.com");
        json.GetProperty("createdAt").GetString().Should().Be("2026-11-28T14:40:03Z");
    }

    [Fact]
    public async Task Register_Twice_Is409EmailTaken()
    {
        var email = await _host.RegisterAsync();
        var response = await _host.PostAsync("/auth/register", new { email = email.ToUpperInvariant(), password = "another fine passphrase" });
        await response.ShouldBeProblemAsync(409, "email_taken");
    }

    [Fact]
    public async Task P6_ALookAlikeOfARegisteredMailbox_Is409_AndSignsInToTheOneAccount()
    {
        var local = $"bob{Guid.NewGuid():N}"[..12];
        await _host.RegisterAsync($"{local}@company.com");

        // Full-width letters in the local part, the domain upper-cased.
        var fullWidth = string.Concat(local.Select(c => char.IsAsciiLetter(c) ? (char)(c - 'a' + '\uFF41') : c)) + "@COMPANY.com";
        await (await _host.PostAsync("/auth/register", new { email = fullWidth, password = "another fine passphrase" })).ShouldBeProblemAsync(409, "email_taken");
        var me = await (await _host.GetAsync("/auth/me", (await _host.LoginAsync(fullWidth)).AccessToken)).Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        me.GetProperty("email").GetString().Should().Be($"{local}@company.com", "the address is shown as it was registered");
    }

    [Fact]
    public async Task Register_WeakPasswordAndBadEmail_Is400WithErrorsMap()
    {
        // SECURITY P1 from the outside: a password on the blocklist is refused with a reason.
        var response = await _host.PostAsync("/auth/register", new { email = "nope", password = "password" });
        var problem = await response.ShouldBeProblemAsync(400, "validation_failed");
        problem.GetProperty("errors").GetProperty("password")[0].GetString().Should().Contain("common");
        problem.GetProperty("errors").GetProperty("email")[0].GetString().Should().NotBeNullOrEmpty();
    }

    [Theory]
    [InlineData("{\"email\": \"a@example.com\", \"password\": ")]
    [InlineData("{\"email\": \"a@example.com\"}")]
    [InlineData("{\"email\": 42, \"password\": \"correct horse battery\"}")]
    [InlineData("{\"email\": null, \"password\": \"correct horse battery\"}")]
    [InlineData("[]")]
    [InlineData("")]
    [InlineData("{\"email\": \"a\\u0000b@example.com\", \"password\": \"correct horse battery\"}")]
    public async Task Register_BadBody_Is400ProblemAndCreatesNothing(string body)
    {
        // SECURITY I1: malformed JSON, wrong types, missing fields, control characters: 400, never 500.
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await _host.Client.PostAsync("/auth/register", content);
        await response.ShouldBeProblemAsync(400, "validation_failed");
        var login = await _host.PostAsync("/auth/login", new { email = "a@example.com", password = SentinelTestHost.Password });
        login.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "nothing was created");
    }

    [Fact]
    public async Task Register_OversizedBody_Is400()
    {
        // SECURITY I1: bodies over 64 KiB are refused.
        var response = await _host.PostAsync("/auth/register", new { email = "big@example.com", password = new string('x', 70_000) });
        await response.ShouldBeProblemAsync(400, "validation_failed");
    }

    [Fact]
    public async Task Me_WithToken_ReturnsTheUser()
    {
        var (email, tokens) = await _host.SignUpAndLoginAsync();

        var response = await _host.GetAsync("/auth/me", tokens.AccessToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        json.GetProperty("email").GetString().Should().Be(email);
        json.GetProperty("roles").GetArrayLength().Should().Be(0);
        json.GetProperty("mfaEnabled").GetBoolean().Should().BeFalse();
        json.TryGetProperty("id", out _).Should().BeTrue();
        json.TryGetProperty("createdAt", out _).Should().BeTrue();
    }

    [Fact]
    public async Task Me_WithoutToken_Is401WithBearerChallenge()
    {
        var response = await _host.GetAsync("/auth/me", null);

        await response.ShouldBeProblemAsync(401, "invalid_token");
        response.Headers.WwwAuthenticate.ToString().Should().Be("Bearer");
    }

    [Fact]
    public async Task Me_WithGarbageToken_Is401InvalidToken()
    {
        var response = await _host.GetAsync("/auth/me", "not.a.jwt");

        await response.ShouldBeProblemAsync(401, "invalid_token");
        response.Headers.WwwAuthenticate.ToString().Should().Be("Bearer error=\"invalid_token\"");
    }

    [Fact]
    public async Task ChangePassword_RevokesOtherSessions_KeepsThisOne()
    {
        // SECURITY P5 and T8: the current password is required; every other session stops at once.
        var email = await _host.RegisterAsync();
        var phone = await _host.LoginAsync(email);
        var laptop = await _host.LoginAsync(email);

        var wrong = await _host.PostAsync("/auth/password", new { currentPassword = "not it at all", newPassword = "a brand new passphrase" }, laptop.AccessToken);
        await wrong.ShouldBeProblemAsync(401, "invalid_credentials");

        var weak = await _host.PostAsync("/auth/password", new { currentPassword = SentinelTestHost.Password, newPassword = "short" }, laptop.AccessToken);
        (await weak.ShouldBeProblemAsync(400, "validation_failed")).GetProperty("errors").TryGetProperty("newPassword", out _).Should().BeTrue();

        var ok = await _host.PostAsync("/auth/password", new { currentPassword = SentinelTestHost.Password, newPassword = "a brand new passphrase" }, laptop.AccessToken);
        ok.StatusCode.Should().Be(HttpStatusCode.NoContent);

        (await _host.GetAsync("/auth/me", phone.AccessToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await _host.PostAsync("/auth/refresh", new { refreshToken = phone.RefreshToken })).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await _host.GetAsync("/auth/me", laptop.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await _host.PostAsync("/auth/login", new { email, password = SentinelTestHost.Password })).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        await _host.LoginAsync(email, "a brand new passphrase");
    }

    [Fact]
    public async Task Sessions_ListsActiveSessionsWithCurrentFlag()
    {
        var email = await _host.RegisterAsync();
        var first = await _host.LoginAsync(email, userAgent: "phone/1.0");
        _host.Time.Advance(TimeSpan.FromMinutes(1));
        var second = await _host.LoginAsync(email, userAgent: "laptop/2.0");

        var response = await _host.GetAsync("/auth/sessions", second.AccessToken);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var sessions = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();
        sessions.Should().HaveCount(2);
        sessions[0].GetProperty("userAgent").GetString().Should().Be("laptop/2.0");
        sessions[0].GetProperty("current").GetBoolean().Should().BeTrue();
        sessions[1].GetProperty("userAgent").GetString().Should().Be("phone/1.0");
        sessions[1].GetProperty("current").GetBoolean().Should().BeFalse();
        foreach (var field in new[] { "id", "createdAt", "lastUsedAt", "expiresAt", "ipAddress" })
        {
            sessions[0].TryGetProperty(field, out _).Should().BeTrue(field);
        }

        sessions[1].GetProperty("expiresAt").GetString().Should().Be("2026-12-28T14:40:03Z", "sessions end 30 days after sign-in");
        _ = first;
    }

    [Fact]
    public async Task DeleteSession_RevokesItsTokensAtOnce_AndOthersAreNotFound()
    {
        // SECURITY T7 (a user can revoke any of their sessions) and T8.
        var email = await _host.RegisterAsync();
        var phone = await _host.LoginAsync(email);
        var laptop = await _host.LoginAsync(email);
        var (_, stranger) = await _host.SignUpAndLoginAsync();
        var phoneSession = await SessionIdOf(phone.AccessToken);

        await (await _host.SendAsync(HttpMethod.Delete, $"/auth/sessions/{phoneSession}", stranger.AccessToken)).ShouldBeProblemAsync(404, "not_found");
        (await _host.SendAsync(HttpMethod.Delete, $"/auth/sessions/{Guid.CreateVersion7()}", laptop.AccessToken))
            .StatusCode.Should().Be(HttpStatusCode.NotFound);

        (await _host.SendAsync(HttpMethod.Delete, $"/auth/sessions/{phoneSession}", laptop.AccessToken)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        (await _host.GetAsync("/auth/me", phone.AccessToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await _host.PostAsync("/auth/refresh", new { refreshToken = phone.RefreshToken })).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await _host.GetAsync("/auth/me", laptop.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await _host.GetAsync("/auth/me", stranger.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private async Task<Guid> SessionIdOf(string accessToken)
    {
        var sessions = await (await _host.GetAsync("/auth/sessions", accessToken)).Content.ReadFromJsonAsync<JsonElement>();
        return sessions.EnumerateArray().Single(s => s.GetProperty("current").GetBoolean()).GetProperty("id").GetGuid();
    }
}
