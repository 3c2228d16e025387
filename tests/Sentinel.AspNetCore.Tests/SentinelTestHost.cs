using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Sentinel.Audit;
using Sentinel.EntityFramework;
using Sentinel.Users;

namespace Sentinel.AspNetCore.Tests;

/// <summary>
/// A real ASP.NET Core host on the test server: Sentinel over a real SQLite file, a fake clock, cheap Argon2id
/// parameters. What it answers is what a client of docs/API.md sees.
/// </summary>
public sealed class SentinelTestHost : IAsyncDisposable
{
    public const string Password = "correct horse battery";
    public const string ClientIpHeader = "X-Test-Client-Ip";
    public static readonly DateTimeOffset Start = new(2026, 11, 28, 14, 40, 3, TimeSpan.Zero);

    private readonly string _path;
    private readonly bool _ownsFile;
    private string? _postgres; // the test's own PostgreSQL database, dropped at the end

    private SentinelTestHost(string? sqlitePath)
    {
        _ownsFile = sqlitePath is null;
        _path = sqlitePath ?? Path.Combine(Path.GetTempPath(), $"sentinel-api-{Guid.NewGuid():N}.db");
    }

    /// <summary>A SQLite file for hosts a test starts one after another (a restart); the test deletes it.</summary>
    public static string NewDatabasePath() => Path.Combine(Path.GetTempPath(), $"sentinel-api-{Guid.NewGuid():N}.db");

    public WebApplication App { get; private set; } = null!;

    public string DatabasePath => _path;

    public HttpClient Client { get; private set; } = null!;

    public FakeTimeProvider Time { get; } = new(Start);

    /// <summary>The server of the PostgreSQL tests, from <c>SENTINEL_TEST_POSTGRES</c>; skips (under CI: fails) without one.</summary>
    public static string RequirePostgres()
    {
        var server = Environment.GetEnvironmentVariable("SENTINEL_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(server))
        {
            return server;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("Under CI the PostgreSQL tests must run; `bash .ci/run` sets SENTINEL_TEST_POSTGRES.");
        }

        Assert.Skip("Needs SENTINEL_TEST_POSTGRES (an Npgsql connection string); `bash .ci/run` sets it up.");
        return "";
    }

    /// <summary>
    /// Starts a host over SQLite (the default) or, with <paramref name="database"/> <c>"postgres"</c>, over a
    /// PostgreSQL database of its own on the server of <see cref="RequirePostgres"/>.
    /// </summary>
    public static async Task<SentinelTestHost> StartAsync(
        Action<SentinelOptions>? configure = null, Action<WebApplication>? map = null, Action<IServiceCollection>? services = null, string database = "sqlite",
        bool mapSentinel = true, Action<SentinelAuthMiddlewareOptions>? middleware = null, string? sqlitePath = null)
    {
        var host = new SentinelTestHost(sqlitePath);
        if (database == "postgres")
        {
            host._postgres = new Npgsql.NpgsqlConnectionStringBuilder(RequirePostgres()) { Database = $"sentinel_api_{Guid.NewGuid():N}"[..40] }.ConnectionString;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<TimeProvider>(host.Time);
        services?.Invoke(builder.Services);
        var sentinel = builder.Services.AddSentinelAuth(o =>
        {
            o.Tokens.Issuer = "https://api.example.test";
            o.Passwords.Argon2MemoryKiB = 64;
            o.Passwords.Argon2Iterations = 1;
            // Every test client shares one address here, and the limiter keeps real time: limits are off unless a
            // test turns them on (RateLimitTests).
            o.RateLimits.Enabled = false;
            configure?.Invoke(o);
        });
        if (host._postgres is { } postgres)
        {
            sentinel.AddPostgreSqlStores(postgres);
        }
        else
        {
            sentinel.AddSqliteStores($"Data Source={host._path}");
        }

        var app = builder.Build();
        // Test-only: lets a test choose the client address that the rate limits partition by.
        app.Use((context, next) =>
        {
            if (context.Request.Headers.TryGetValue(ClientIpHeader, out var ip) && System.Net.IPAddress.TryParse(ip, out var address))
            {
                context.Connection.RemoteIpAddress = address;
            }

            return next(context);
        });
        app.UseSentinelAuth(middleware ?? (_ => { }));
        if (mapSentinel)
        {
            app.MapSentinelAuth("/auth");
        }

        app.MapGet("/protected", () => TypedResults.Ok("ok")).RequireAuthorization();
        app.MapGet("/protected/keys-too", () => TypedResults.Ok("ok")).RequireAuthorization().AcceptApiKeys();
        map?.Invoke(app);
        await app.Services.MigrateSentinelDatabaseAsync();
        await app.StartAsync();
        host.App = app;
        host.Client = app.GetTestClient();
        return host;
    }

    public static string NewEmail() => $"user-{Guid.NewGuid():N}@example.com";

    public async Task<string> RegisterAsync(string? email = null, string password = Password)
    {
        email ??= NewEmail();
        var response = await Client.PostAsJsonAsync("/auth/register", new { email, password });
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return email;
    }

    public async Task<Tokens> LoginAsync(string email, string password = Password, string? userAgent = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login") { Content = JsonContent.Create(new { email, password }) };
        if (userAgent is not null)
        {
            request.Headers.UserAgent.ParseAdd(userAgent);
        }

        var response = await Client.SendAsync(request);
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<Tokens>())!;
    }

    public async Task<(string Email, Tokens Tokens)> SignUpAndLoginAsync()
    {
        var email = await RegisterAsync();
        return (email, await LoginAsync(email));
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? accessToken, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (accessToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> GetAsync(string path, string? accessToken) => SendAsync(HttpMethod.Get, path, accessToken);

    public Task<HttpResponseMessage> PostAsync(string path, object? body, string? accessToken = null) => SendAsync(HttpMethod.Post, path, accessToken, body);

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>Turns TOTP on for the signed-in user (setup, then a first code at the host's time); returns the secret.</summary>
    public async Task<byte[]> EnrolTotpAsync(string accessToken)
    {
        var setup = await (await PostAsync("/auth/mfa/totp/setup", null, accessToken)).Content.ReadFromJsonAsync<JsonElement>();
        var secret = OtpNet.Base32Encoding.ToBytes(setup.GetProperty("sharedKey").GetString());
        var confirm = await PostAsync("/auth/mfa/totp/confirm", new { code = new OtpNet.Totp(secret).ComputeTotp(Time.GetUtcNow().UtcDateTime) }, accessToken);
        confirm.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, await confirm.Content.ReadAsStringAsync());
        return secret;
    }

    /// <summary>Every stored audit entry, oldest first, after the queue was written.</summary>
    public async Task<IReadOnlyList<AuditEntry>> AuditAsync()
    {
        await Service<IAuditLog>().FlushAsync(TestContext.Current.CancellationToken);
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IAuditStore>().ReadChainAsync(0, int.MaxValue, TestContext.Current.CancellationToken);
    }

    /// <summary>Registers a user with <paramref name="role"/> and signs them in (roles travel in the access token).</summary>
    public async Task<(Guid UserId, Tokens Tokens)> SignUpWithRoleAsync(string role)
    {
        var email = await RegisterAsync();
        await using var scope = App.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserService>();
        var user = await scope.ServiceProvider.GetRequiredService<IUserStore>().FindByNormalizedEmailAsync(EmailNormalizer.Normalize(email), TestContext.Current.CancellationToken);
        (await users.AddRoleAsync(user!.Id, role, TestContext.Current.CancellationToken)).Succeeded.Should().BeTrue();
        return (user.Id, await LoginAsync(email));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (_ownsFile)
        {
            File.Delete(_path);
        }
        if (_postgres is not null)
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            var target = new Npgsql.NpgsqlConnectionStringBuilder(_postgres);
            await using var admin = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(_postgres) { Database = "postgres" }.ConnectionString);
            await admin.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"{target.Database}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }

    public sealed record Tokens(string TokenType, string AccessToken, long ExpiresIn, string RefreshToken);
}

/// <summary>Reads problem details the way a client would.</summary>
public static class ProblemAssertions
{
    public static async Task<JsonElement> ShouldBeProblemAsync(this HttpResponseMessage response, int status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).Should().Be(status, text);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var json = JsonDocument.Parse(text).RootElement;
        json.GetProperty("status").GetInt32().Should().Be(status);
        json.GetProperty("title").GetString().Should().NotBeNullOrEmpty();
        json.GetProperty("detail").GetString().Should().NotBeNullOrEmpty();
        json.GetProperty("code").GetString().Should().Be(code);
        return json;
    }
}
