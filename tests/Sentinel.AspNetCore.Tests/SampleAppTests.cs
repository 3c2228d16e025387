using System.Net;
using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.Users;

namespace Sentinel.AspNetCore.Tests;

/// <summary>The sample host as a user runs it: a real SQLite file, migrated at start-up.</summary>
public sealed class SampleAppTests : IAsyncLifetime
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"sentinel-sample-{Guid.NewGuid():N}.db");
    private readonly HostTelemetry _telemetry = new();
    private WebApplicationFactory<Program> _factory = null!;

    private readonly string _mail = Path.Combine(Path.GetTempPath(), $"sentinel-sample-mail-{Guid.NewGuid():N}");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseSetting("ConnectionStrings:Sentinel", $"Data Source={_path}")
            .UseSetting("Sentinel:Sample:AdminEmail", "admin@example.com")
            .UseSetting("Sentinel:Sample:AdminPassword", "sample owner passphrase")
            .UseSetting("Sentinel:Passwords:Argon2MemoryKiB", "64")
            .UseSetting("Sentinel:Passwords:Argon2Iterations", "1")
            .UseSetting("Sentinel:Sample:MailFolder", _mail)
            .ConfigureServices(_telemetry.Attach));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        _telemetry.Dispose();
        SqliteConnection.ClearAllPools();
        File.Delete(_path);
        if (Directory.Exists(_mail))
        {
            Directory.Delete(_mail, recursive: true);
        }
    }

    [Fact]
    public async Task Hello_IsPublic()
    {
        var client = _factory.CreateClient();
        var hello = await client.GetFromJsonAsync<Sample.Hello>("/api/hello", Ct);
        hello!.Message.Should().Contain("Sentinel sample");
    }

    [Fact]
    public async Task RegisterLoginAndCallTheDemoApi_AsANewUserWould()
    {
        var client = _factory.CreateClient();
        (await client.PostAsJsonAsync("/auth/register", new { email = "new.user@example.com", password = "a fine long passphrase" }, Ct))
            .StatusCode.Should().Be(HttpStatusCode.Created);
        var login = await client.PostAsJsonAsync("/auth/login", new { email = "new.user@example.com", password = "a fine long passphrase" }, Ct);
        login.StatusCode.Should().Be(HttpStatusCode.OK);
        var tokens = await login.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct);
        var accessToken = tokens.GetProperty("accessToken").GetString();

        (await client.GetAsync("/api/profile", Ct)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        (await client.GetAsync("/api/profile", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetAsync("/api/reports", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.PostAsJsonAsync("/api/reports", new { id = 3, title = "New" }, Ct)).StatusCode.Should().Be(HttpStatusCode.Created);
        (await client.GetAsync("/.well-known/jwks.json", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);

        // An API key passes only for the scopes it was given.
        var created = await client.PostAsJsonAsync("/auth/api-keys", new { name = "reader", scopes = new[] { "reports:read" } }, Ct);
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var key = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct)).GetProperty("key").GetString();
        using var keyClient = _factory.CreateClient();
        keyClient.DefaultRequestHeaders.Add("X-Api-Key", key);
        (await keyClient.GetAsync("/api/reports", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await keyClient.PostAsJsonAsync("/api/reports", new { id = 4, title = "No" }, Ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task SeededAdmin_CanSignInAndSeesTheAdminRole()
    {
        var client = _factory.CreateClient();
        var login = await client.PostAsJsonAsync("/auth/login", new { email = "admin@example.com", password = "sample owner passphrase" }, Ct);
        var accessToken = (await login.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct)).GetProperty("accessToken").GetString();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);

        var meResponse = await client.GetAsync("/auth/me", Ct);
        meResponse.StatusCode.Should().Be(HttpStatusCode.OK, login.StatusCode + " " + accessToken + " " + meResponse.Headers.WwwAuthenticate + await meResponse.Content.ReadAsStringAsync(Ct));
        var me = await meResponse.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct);
        me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).Should().Contain("admin");

        // The admin reads the whole audit log and verifies its chain, stored in the sample's SQLite file.
        var audit = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/auth/audit?type=login.succeeded", Ct);
        audit.GetProperty("items").EnumerateArray().Should().Contain(e => e.GetProperty("userId").GetString() == me.GetProperty("id").GetString());
        var verify = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/auth/audit/verify", Ct);
        verify.GetProperty("valid").GetBoolean().Should().BeTrue();
        verify.GetProperty("checked").GetInt64().Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task ForgotPassword_WritesTheResetEmailToTheMailFolder_WithALinkToThePage()
    {
        var client = _factory.CreateClient();
        await client.PostAsJsonAsync("/auth/register", new { email = "ada@example.com", password = "correct horse battery" }, Ct);
        (await client.PostAsJsonAsync("/auth/password/forgot", new { email = "ada@example.com" }, Ct)).StatusCode.Should().Be(HttpStatusCode.Accepted);
        await _factory.Services.GetRequiredService<Sentinel.Email.EmailSendQueue>().FlushAsync(Ct);

        var mail = Directory.GetFiles(_mail, "*ResetPasswordMessage.txt").Should().ContainSingle().Subject;
        var text = await File.ReadAllTextAsync(mail, Ct);
        text.Should().StartWith("To: ada@example.com").And.Contain("http://localhost:5080/?reset=").And.Contain("for 30 minutes");

        // The log points a person at the file, and never holds the link's token.
        var token = text[(text.IndexOf("?reset=", StringComparison.Ordinal) + 7)..].Split('\n')[0].Trim();
        token.Should().HaveLength(43);
        _telemetry.LogLines.Should().Contain(l => l.StartsWith("10 ", StringComparison.Ordinal) && l.Contains(Path.GetFileName(mail), StringComparison.Ordinal));
        _telemetry.LogLines.Should().Contain(l => l.StartsWith("1512 Sent a ResetPasswordMessage email to user ", StringComparison.Ordinal));
        _telemetry.LogLines.Should().NotContain(l => l.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task HomePage_IsServed()
    {
        // The page and what it loads; the browser tests (Sentinel.Sample.Tests) drive it in Chromium.
        var client = _factory.CreateClient();
        var response = await client.GetAsync("/", Ct);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(Ct)).Should().Contain("<title>Sentinel sample</title>")
            .And.Contain("/css/site.css").And.Contain("/js/app.js");
        (await client.GetAsync("/css/site.css", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetAsync("/js/app.js", Ct)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Startup_MigratesTheDatabase_AndSeedsTheAdmin_WithConfiguredOptions()
    {
        _ = _factory.CreateClient();
        await using var scope = _factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserService>();

        var admin = await users.FindByEmailAsync("ADMIN@example.com", Ct);
        admin!.Roles.Should().Contain("admin");
        admin.PasswordHash.Should().StartWith("$argon2id$v=19$m=64,t=1,p=1$", "Sentinel options bind from configuration");
        (await scope.ServiceProvider.GetRequiredService<Sentinel.SignIn.SignInService>().PasswordSignInAsync("admin@example.com", "sample owner passphrase", cancellationToken: Ct)).Succeeded.Should().BeTrue();
        File.Exists(_path).Should().BeTrue();
    }
}
