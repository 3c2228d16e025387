using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sentinel.ApiKeys;
using Sentinel.Audit;
using Sentinel.EntityFramework;
using Sentinel.Sessions;

namespace Sentinel.AspNetCore.Tests;

/// <summary>
/// A bounded load test over real sockets on loopback (Kestrel, real SQLite file): many users at once register,
/// sign in, refresh and call an endpoint with an API key. Small numbers in CI; set SENTINEL_LOAD_USERS (and
/// SENTINEL_LOAD_REFRESHES, SENTINEL_LOAD_KEY_CALLS) to run it large by hand, with SENTINEL_LOAD_RATE_LIMITS=off so
/// that one test address is not limited. Asserts no error but the expected
/// 429s, no lost audit event (each is counted), and every refresh chain consistent afterwards.
/// </summary>
public sealed class LoadTests
{
    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    [Fact]
    public async Task ManyConcurrentUsers_LoseNoEvent_AndKeepEveryRefreshChainConsistent()
    {
        var users = Setting("SENTINEL_LOAD_USERS", 24);
        var refreshes = Setting("SENTINEL_LOAD_REFRESHES", 5);
        var keyCalls = Setting("SENTINEL_LOAD_KEY_CALLS", 10);
        var ct = TestContext.Current.CancellationToken;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromMinutes(Math.Max(2, users / 50)));
        var path = Path.Combine(Path.GetTempPath(), $"sentinel-load-{Guid.NewGuid():N}.db");

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSentinelAuth(o =>
        {
            o.Passwords.Argon2MemoryKiB = 64;
            o.Passwords.Argon2Iterations = 1;
            o.ApiKeys.Scopes.Add("reports:read", "Read reports");
            o.RateLimits.Global.PermitLimit = 100_000; // one address here: the per-endpoint limits stay at their defaults
            o.RateLimits.Enabled = Environment.GetEnvironmentVariable("SENTINEL_LOAD_RATE_LIMITS") != "off";
        }).AddSqliteStores($"Data Source={path}");
        var app = builder.Build();
        app.UseSentinelAuth();
        app.MapSentinelAuth("/auth");
        app.MapGet("/reports", () => TypedResults.Ok("reports")).RequireAuthorization(p => p.RequireScope("reports:read"));
        await app.Services.MigrateSentinelDatabaseAsync(ct);
        await app.StartAsync(ct);
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            var statuses = new System.Collections.Concurrent.ConcurrentBag<(string Step, HttpStatusCode Status)>();

            async Task<HttpResponseMessage> SendAsync(string step, HttpMethod method, string uri, object? body = null, string? bearer = null, string? apiKey = null)
            {
                using var request = new HttpRequestMessage(method, uri) { Content = body is null ? null : JsonContent.Create(body) };
                if (bearer is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
                }

                if (apiKey is not null)
                {
                    request.Headers.Add("X-Api-Key", apiKey);
                }

                var response = await client.SendAsync(request, deadline.Token);
                statuses.Add((step, response.StatusCode));
                return response;
            }

            var completed = await Task.WhenAll(Enumerable.Range(0, users).Select(i => Task.Run<(int Refreshed, int KeyCalls)>(async () =>
            {
                var email = $"load-{i}-{Guid.NewGuid():N}@example.com";
                if ((await SendAsync("register", HttpMethod.Post, "/auth/register", new { email, password = SentinelTestHost.Password })).StatusCode != HttpStatusCode.Created)
                {
                    return (0, 0);
                }

                var login = await SendAsync("login", HttpMethod.Post, "/auth/login", new { email, password = SentinelTestHost.Password });
                if (!login.IsSuccessStatusCode)
                {
                    return (0, 0);
                }

                var tokens = (await login.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>(deadline.Token))!;
                var refreshed = 0;
                for (var r = 0; r < refreshes; r++)
                {
                    var next = await SendAsync("refresh", HttpMethod.Post, "/auth/refresh", new { refreshToken = tokens.RefreshToken });
                    if (next.IsSuccessStatusCode)
                    {
                        tokens = (await next.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>(deadline.Token))!;
                        refreshed++;
                    }
                }

                var created = await SendAsync("create key", HttpMethod.Post, "/auth/api-keys", new { name = "load", scopes = new[] { "reports:read" } }, bearer: tokens.AccessToken);
                var key = (await created.Content.ReadFromJsonAsync<JsonElement>(deadline.Token)).GetProperty("key").GetString()!;
                var calls = 0;
                for (var c = 0; c < keyCalls; c++)
                {
                    if ((await SendAsync("key call", HttpMethod.Get, "/reports", apiKey: key)).StatusCode == HttpStatusCode.OK)
                    {
                        calls++;
                    }
                }

                return (refreshed, calls);
            }, deadline.Token)));

            statuses.Where(s => (int)s.Status >= 300 && s.Status != HttpStatusCode.TooManyRequests)
                .Should().BeEmpty("under load every request succeeds or is rate limited");
            var registered = statuses.Count(s => s.Step == "register" && s.Status == HttpStatusCode.Created);
            var signedIn = statuses.Count(s => s.Step == "login" && s.Status == HttpStatusCode.OK);
            registered.Should().BePositive();

            // Every decision's event is stored: none lost between the request and the database.
            await using (var scope = app.Services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<ApiKeyService>().FlushUsageAsync(cancellationToken: deadline.Token);
            }

            await app.Services.GetRequiredService<IAuditLog>().FlushAsync(deadline.Token);
            await using (var scope = app.Services.CreateAsyncScope())
            {
                var audit = await scope.ServiceProvider.GetRequiredService<IAuditStore>().ReadChainAsync(0, int.MaxValue, deadline.Token);
                audit.Count(e => e.Type == AuditEventTypes.UserRegistered).Should().Be(registered);
                audit.Count(e => e.Type == AuditEventTypes.LoginSucceeded).Should().Be(signedIn);
                audit.Count(e => e.Type == AuditEventTypes.TokenRefreshed && e.Outcome == AuditOutcome.Success).Should().Be(completed.Sum(c => c.Refreshed));
                audit.Where(e => e.Type == AuditEventTypes.ApiKeyUsed).Sum(e => int.Parse(e.Details["count"], CultureInfo.InvariantCulture)).Should().Be(completed.Sum(c => c.KeyCalls));
                audit.Count(e => e.Type == AuditEventTypes.TokenReuseDetected).Should().Be(0);
                (await scope.ServiceProvider.GetRequiredService<AuditService>().VerifyAsync(deadline.Token)).Valid.Should().BeTrue();

                // Each session's refresh chain: one token per refresh plus the first, and exactly one left unspent.
                var db = scope.ServiceProvider.GetRequiredService<SentinelDbContext>();
                var chains = await db.Set<RefreshTokenRecord>().AsNoTracking().GroupBy(t => t.SessionId)
                    .Select(g => new { Tokens = g.Count(), Unspent = g.Count(t => t.SpentAt == null) }).ToListAsync(deadline.Token);
                chains.Should().HaveCount(signedIn);
                chains.Should().OnlyContain(c => c.Unspent == 1);
                chains.Sum(c => c.Tokens).Should().Be(signedIn + completed.Sum(c => c.Refreshed));
            }
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }

    /// <summary>
    /// SECURITY A5, measured: a flood of refused requests (unknown API keys where keys are accepted, and requests over
    /// a rate limit) from one address. Prints the audit rows written per 10,000 refused requests (to the test output,
    /// and to <c>$SENTINEL_ARTIFACTS/audit-flood.txt</c>, which <c>.ci/run</c> shows).
    /// </summary>
    [Fact]
    public async Task A5_AFloodOfRefusedRequests_WritesAHandfulOfAuditRows()
    {
        var refused = Setting("SENTINEL_LOAD_FLOOD", 10_000);
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(Path.GetTempPath(), $"sentinel-flood-{Guid.NewGuid():N}.db");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSentinelAuth(o =>
        {
            o.Passwords.Argon2MemoryKiB = 64;
            o.Passwords.Argon2Iterations = 1;
            o.ApiKeys.Scopes.Add("reports:read", "Read reports");
            o.RateLimits.Global.PermitLimit = 1_000_000;
            o.RateLimits.SignIn.PermitLimit = 1;
        }).AddSqliteStores($"Data Source={path}");
        var app = builder.Build();
        app.UseSentinelAuth();
        app.MapSentinelAuth("/auth");
        app.MapGet("/reports", () => TypedResults.Ok("reports")).RequireAuthorization(p => p.RequireScope("reports:read"));
        await app.Services.MigrateSentinelDatabaseAsync(ct);
        await app.StartAsync(ct);
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            async Task<int> RowsAsync()
            {
                foreach (var job in app.Services.GetServices<Sentinel.Hosting.SentinelJob>())
                {
                    await job.FlushAtStopAsync(ct);
                }

                await app.Services.GetRequiredService<IAuditLog>().FlushAsync(ct);
                await using var scope = app.Services.CreateAsyncScope();
                return (await scope.ServiceProvider.GetRequiredService<IAuditStore>().ReadChainAsync(0, int.MaxValue, ct)).Count;
            }

            var before = await RowsAsync();
            var prefix = new ApiKeyOptions().Prefix;
            var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
            await Parallel.ForEachAsync(Enumerable.Range(0, refused), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, token) =>
            {
                using var request = i % 2 == 0
                    ? new HttpRequestMessage(HttpMethod.Get, "/reports") { Headers = { { "X-Api-Key", ApiKeyFormat.New(prefix) } } }
                    : new HttpRequestMessage(HttpMethod.Post, "/auth/login") { Content = JsonContent.Create(new { email = "nobody@example.com", password = "wrong" }) };
                using var response = await client.SendAsync(request, token);
                statuses.Add(response.StatusCode);
            });

            var rows = await RowsAsync() - before;
            var refusals = statuses.Count(s => s is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests);
            refusals.Should().BeGreaterThanOrEqualTo(refused - 2, "all but the one login the limit lets through are refused");
            var perTenThousand = rows * 10_000.0 / refusals;
            var line = string.Create(CultureInfo.InvariantCulture, $"A5 audit growth under a flood: {rows} rows for {refusals} refused requests ({perTenThousand:0.#} rows per 10,000).");
            TestContext.Current.TestOutputHelper?.WriteLine(line);
            if (Environment.GetEnvironmentVariable("SENTINEL_ARTIFACTS") is { Length: > 0 } artifacts)
            {
                Directory.CreateDirectory(artifacts);
                await File.WriteAllTextAsync(Path.Combine(artifacts, "audit-flood.txt"), line + Environment.NewLine, ct);
            }

            // Per type and reason: one event at once and one with the count per minute; the flood may straddle a
            // minute, and the one login let through writes its own failure.
            rows.Should().BeLessThanOrEqualTo(12, line);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }
}
