using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;

namespace Sentinel.Redis.Tests;

/// <summary>
/// The promises of one instance, kept by three: what API.md and SECURITY.md say, checked over HTTP against separate
/// processes that share PostgreSQL and Redis.
/// </summary>
[Collection(nameof(SampleClusterGroup))]
public sealed class ScaleOutTests(SampleCluster cluster)
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(1);
    private static int _nextAddress = 10;

    // Each test signs in from its own client address: the per-address limits are shared by all three instances
    // (that is the point), so tests sharing one address would spend each other's budget.
    private readonly string _address = NextAddress();

    [Fact]
    public async Task T8_SignOutOnA_IsRefusedOnBAndC_WithinOneSecond()
    {
        cluster.Require();
        var (a, b, c) = (cluster.A.Client(_address), cluster.B.Client(_address), cluster.C.Client(_address));
        var (email, password) = await RegisterAsync(a);
        var times = new List<TimeSpan>();
        for (var round = 0; round < 10; round++)
        {
            var tokens = await LoginAsync(a, email, password);
            // B and C have validated (and cached) the token before it is revoked on A.
            (await GetProfileAsync(b, tokens.AccessToken)).Should().Be(HttpStatusCode.OK);
            (await GetProfileAsync(c, tokens.AccessToken)).Should().Be(HttpStatusCode.OK);

            (await SendAsync(a, HttpMethod.Post, "/auth/logout", tokens.AccessToken, new { })).StatusCode.Should().Be(HttpStatusCode.NoContent);
            times.Add(await TimeUntilRefusedAsync(b, tokens.AccessToken, TimeSpan.FromSeconds(10)));
            (await GetProfileAsync(c, tokens.AccessToken)).Should().Be(HttpStatusCode.Unauthorized);
        }

        times.Sort();
        Report($"sign-out on A refused on B after: median {Ms(times[times.Count / 2])}, max {Ms(times[^1])} (10 rounds)");
        times[^1].Should().BeLessThan(Propagation);
    }

    [Fact]
    public async Task T8_SignOutEverywhereOnB_IsRefusedOnA_WithinOneSecond()
    {
        cluster.Require();
        var (a, b) = (cluster.A.Client(_address), cluster.B.Client(_address));
        var (email, password) = await RegisterAsync(a);
        var first = await LoginAsync(a, email, password);
        var second = await LoginAsync(b, email, password);
        (await GetProfileAsync(a, first.AccessToken)).Should().Be(HttpStatusCode.OK);

        (await SendAsync(b, HttpMethod.Post, "/auth/logout/all", second.AccessToken, null)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        (await TimeUntilRefusedAsync(a, first.AccessToken, TimeSpan.FromSeconds(10))).Should().BeLessThan(Propagation);
    }

    [Fact]
    public async Task K4_AKeyRevokedOnB_FailsOnC_WithinOneSecond()
    {
        cluster.Require();
        var (a, b, c) = (cluster.A.Client(_address), cluster.B.Client(_address), cluster.C.Client(_address));
        var (email, password) = await RegisterAsync(a);
        var tokens = await LoginAsync(a, email, password);
        using var created = await SendAsync(a, HttpMethod.Post, "/auth/api-keys", tokens.AccessToken, new { name = "reports", scopes = new[] { "reports:read" } });
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var key = await created.Content.ReadFromJsonAsync<JsonElement>();
        var (id, secret) = (key.GetProperty("id").GetString(), key.GetProperty("key").GetString()!);
        (await GetReportsAsync(c, secret)).Should().Be(HttpStatusCode.OK); // verified and cached on C

        (await SendAsync(b, HttpMethod.Delete, $"/auth/api-keys/{id}", tokens.AccessToken, null)).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var waited = Stopwatch.StartNew();
        while (await GetReportsAsync(c, secret) == HttpStatusCode.OK && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(5);
        }

        Report($"key revoked on B refused on C after {Ms(waited.Elapsed)}");
        waited.Elapsed.Should().BeLessThan(Propagation);
        (await GetReportsAsync(c, secret)).Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task P4_FailuresOnAAndB_LockTheAccountEverywhere()
    {
        cluster.Require();
        var address = NextAddress();
        var (a, b, c) = (cluster.A.Client(address), cluster.B.Client(address), cluster.C.Client(address));
        var (email, password) = await RegisterAsync(a);

        // Five wrong passwords (the default limit), alternating between A and B: four are refused as wrong, and the
        // fifth locks the account wherever it lands.
        for (var i = 0; i < 5; i++)
        {
            using var failed = await PostAsync(i % 2 == 0 ? a : b, "/auth/login", new { email, password = "wrong " + password });
            failed.StatusCode.Should().Be(i < 4 ? HttpStatusCode.Unauthorized : HttpStatusCode.TooManyRequests);
        }

        // The right password on C is refused: the count was kept in the shared database, not per instance.
        using var locked = await PostAsync(c, "/auth/login", new { email, password });
        locked.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        (await Problem(locked)).GetProperty("code").GetString().Should().Be("locked_out");
    }

    [Fact]
    public async Task T7_RefreshTokenReusedOnC_AfterUseOnB_RevokesTheSessionEverywhere()
    {
        cluster.Require();
        var (a, b, c) = (cluster.A.Client(_address), cluster.B.Client(_address), cluster.C.Client(_address));
        var (email, password) = await RegisterAsync(a);
        var first = await LoginAsync(a, email, password);

        using var refreshed = await PostAsync(b, "/auth/refresh", new { refreshToken = first.RefreshToken });
        refreshed.StatusCode.Should().Be(HttpStatusCode.OK);
        var second = (await refreshed.Content.ReadFromJsonAsync<TokenResponse>())!;
        (await GetProfileAsync(a, second.AccessToken)).Should().Be(HttpStatusCode.OK);

        using var reused = await PostAsync(c, "/auth/refresh", new { refreshToken = first.RefreshToken });
        reused.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await Problem(reused)).GetProperty("code").GetString().Should().Be("invalid_refresh_token");

        // Reuse revoked the whole session: its newest tokens stop working on every instance.
        (await TimeUntilRefusedAsync(a, second.AccessToken, TimeSpan.FromSeconds(10))).Should().BeLessThan(Propagation);
        using var again = await PostAsync(a, "/auth/refresh", new { refreshToken = second.RefreshToken });
        again.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SignInRateLimit_CountsAcrossInstances()
    {
        cluster.Require();
        var address = NextAddress();
        var clients = cluster.Instances.Select(i => i.Client(address)).ToList();
        var statuses = new List<HttpStatusCode>();
        // 30 sign-ins from one address, spread over the three instances: the limit is 20 a minute per address in all.
        for (var i = 0; i < 30; i++)
        {
            using var response = await PostAsync(clients[i % 3], "/auth/login", new { email = $"nobody{i}@example.com", password = "not the password" });
            statuses.Add(response.StatusCode);
        }

        var accepted = statuses.Count(s => s != HttpStatusCode.TooManyRequests);
        Report($"sign-ins answered before 429, from one address over 3 instances: {accepted} of 30 (limit 20)");
        accepted.Should().Be(20, "the per-address count is shared in Redis, not kept per instance (3 × 20)");
        statuses.Skip(20).Should().AllSatisfy(s => s.Should().Be(HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task ApiKeyRateLimit_CountsAcrossInstances()
    {
        cluster.Require();
        var (email, password) = await RegisterAsync(cluster.A.Client(_address));
        var tokens = await LoginAsync(cluster.A.Client(_address), email, password);
        using var created = await SendAsync(cluster.A.Client(_address), HttpMethod.Post, "/auth/api-keys", tokens.AccessToken, new { name = "busy", scopes = new[] { "reports:read" } });
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        var clients = cluster.Instances.Select(i => i.Client(_address)).ToList();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < SampleCluster.ApiKeyPermits + 15; i++)
        {
            statuses.Add(await GetReportsAsync(clients[i % 3], secret));
        }

        var accepted = statuses.Count(s => s == HttpStatusCode.OK);
        Report($"requests with one key answered before 429, over 3 instances: {accepted} of {statuses.Count} (limit {SampleCluster.ApiKeyPermits})");
        accepted.Should().Be(SampleCluster.ApiKeyPermits, "the key's budget is counted in Redis, not per instance");
        statuses.Skip(SampleCluster.ApiKeyPermits).Should().AllSatisfy(s => s.Should().Be(HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task MailboxLimit_CountsAcrossInstances()
    {
        cluster.Require();
        var clients = cluster.Instances.Select(i => i.Client(NextAddress())).ToList();
        var email = $"user-{Guid.NewGuid():N}@example.com";
        string userId;
        using (var registered = await PostAsync(clients[0], "/auth/register", new { email, password = "cluster " + Guid.NewGuid().ToString("N") }))
        {
            registered.StatusCode.Should().Be(HttpStatusCode.Created); // its confirmation email is the mailbox's first of 5 this hour
            userId = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        }

        // 9 "forgot password" requests for one mailbox, spread over the three instances.
        for (var i = 0; i < 9; i++)
        {
            using var response = await PostAsync(clients[i % 3], "/auth/password/forgot", new { email });
            response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        }

        // Each request is decided in the background and audited: wait until all 9 are.
        var admin = await LoginAsync(cluster.A.Client(_address), SampleCluster.AdminEmail, SampleCluster.AdminPassword);
        var watch = Stopwatch.StartNew();
        List<JsonElement> requests;
        do
        {
            using var page = await SendAsync(cluster.A.Client(_address), HttpMethod.Get, $"/auth/audit?type=password.reset_requested&userId={userId}&limit=500", admin.AccessToken, null);
            requests = [.. (await page.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray()];
        }
        while (requests.Count < 9 && watch.Elapsed < TimeSpan.FromSeconds(30) && await Delay());

        var sent = cluster.Instances.SelectMany(i => Directory.Exists(i.MailFolder) ? Directory.GetFiles(i.MailFolder, "*ResetPasswordMessage.txt") : [])
            .Count(f => File.ReadAllText(f).StartsWith($"To: {email}\n", StringComparison.Ordinal));
        Report($"reset emails sent for 9 requests over 3 instances, mailbox limit 5 an hour (1 used by the confirmation email): {sent}");
        requests.Should().HaveCount(9);
        sent.Should().Be(4, "the mailbox's hourly count is shared in Redis, not kept per instance (up to 3 × 5)");
        requests.Count(e => e.GetProperty("details").TryGetProperty("reason", out var r) && r.GetString() == "too_many_emails").Should().Be(5);
    }

    [Fact]
    public async Task RedisDown_InstancesKeepServing_ReadRevocationsFromTheStore_AndRecover()
    {
        cluster.Require();
        var (a, b) = (cluster.A.Client(_address), cluster.B.Client(_address));
        var (email, password) = await RegisterAsync(a);
        await cluster.Redis.KillAsync();
        try
        {
            await cluster.WaitForHealthAsync("Degraded", TimeSpan.FromSeconds(15));

            // Sign-in, validation and sign-out still work on every instance.
            var tokens = await LoginAsync(a, email, password);
            (await GetProfileAsync(b, tokens.AccessToken)).Should().Be(HttpStatusCode.OK);
            (await SendAsync(a, HttpMethod.Post, "/auth/logout", tokens.AccessToken, new { })).StatusCode.Should().Be(HttpStatusCode.NoContent);

            // Without Redis, B reads the revocation from the database: within the configured interval (plus the request).
            var refused = await TimeUntilRefusedAsync(b, tokens.AccessToken, TimeSpan.FromSeconds(15));
            Report($"with Redis down, sign-out on A refused on B after {Ms(refused)} (bound {Ms(SampleCluster.DisconnectedReloadInterval)})");
            refused.Should().BeLessThan(SampleCluster.DisconnectedReloadInterval + TimeSpan.FromSeconds(1));
        }
        finally
        {
            await cluster.Redis.StartAsync();
        }

        // Redis back: every instance reconnects by itself, and revocations travel through it again.
        await cluster.WaitForHealthAsync("Healthy", TimeSpan.FromSeconds(30));
        var after = await LoginAsync(a, email, password);
        (await GetProfileAsync(b, after.AccessToken)).Should().Be(HttpStatusCode.OK);
        (await SendAsync(a, HttpMethod.Post, "/auth/logout", after.AccessToken, new { })).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await TimeUntilRefusedAsync(b, after.AccessToken, TimeSpan.FromSeconds(10))).Should().BeLessThan(Propagation);
    }

    [Fact]
    public async Task RedisStalled_RequestsNeitherFailNorWaitLong()
    {
        cluster.Require();
        var a = cluster.A.Client(NextAddress());
        var (email, password) = await RegisterAsync(a);
        var tokens = await LoginAsync(a, email, password);
        using var created = await SendAsync(a, HttpMethod.Post, "/auth/api-keys", tokens.AccessToken, new { name = "stall", scopes = new[] { "reports:read" } });
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;

        // Frozen, Redis still looks connected: each rate-limit check would wait for it. After one timeout (1 s) the
        // instance counts in its own memory for a few seconds instead.
        await cluster.Redis.PauseAsync();
        var waited = Stopwatch.StartNew();
        try
        {
            using var signIn = await PostAsync(a, "/auth/login", new { email, password });
            signIn.StatusCode.Should().Be(HttpStatusCode.OK);
            (await GetReportsAsync(a, secret)).Should().Be(HttpStatusCode.OK);
            using var again = await PostAsync(a, "/auth/login", new { email, password });
            again.StatusCode.Should().Be(HttpStatusCode.OK);
            waited.Stop();
            (await cluster.A.HealthAsync()).Should().Be("Degraded");
        }
        finally
        {
            await cluster.Redis.ResumeAsync();
        }

        Report($"Redis frozen: two sign-ins and a key request answered in {Ms(waited.Elapsed)} together");
        waited.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(4));
        await cluster.WaitForHealthAsync("Healthy", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task I2_A4_PostgresRestart_Answers503_LosesNoAuditEvent_AndRecoversWithoutARestart()
    {
        cluster.Require();
        var address = NextAddress();
        var (a, b) = (cluster.A.Client(address), cluster.B.Client(address));
        var admin = await LoginAsync(cluster.A.Client(_address), SampleCluster.AdminEmail, SampleCluster.AdminPassword);
        var (email, password) = await RegisterAsync(cluster.A.Client(_address));
        var user = await LoginAsync(cluster.A.Client(_address), email, password);
        (await GetProfileAsync(b, user.AccessToken)).Should().Be(HttpStatusCode.OK);

        await cluster.Postgres.StopAsync();
        int limited;
        try
        {
            // What needs the database answers 503 problem details; a token B has validated keeps working.
            using var signIn = await PostAsync(a, "/auth/login", new { email, password });
            signIn.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            (await Problem(signIn)).GetProperty("code").GetString().Should().Be("service_unavailable");
            (await GetProfileAsync(b, user.AccessToken)).Should().Be(HttpStatusCode.OK);

            // Security events still happen during the outage (sign-ins refused by the rate limit, which Redis counts);
            // they wait in the audit queue.
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 25; i++)
            {
                using var attempt = await PostAsync(i % 2 == 0 ? a : b, "/auth/login", new { email = $"outage{i}@example.com", password = "not the password" });
                statuses.Add(attempt.StatusCode);
            }

            statuses.Should().OnlyContain(s => s == HttpStatusCode.ServiceUnavailable || s == HttpStatusCode.TooManyRequests);
            limited = statuses.Count(s => s == HttpStatusCode.TooManyRequests);
            limited.Should().BeGreaterThan(0);
        }
        finally
        {
            await cluster.Postgres.StartAsync();
        }

        // Back without restarting any instance: sign-in works again on every one within seconds (each drops the
        // connections the restart broke: Npgsql's keepalive probe, which AddPostgreSqlStores turns on).
        var back = Stopwatch.StartNew();
        var recovered = new List<string>();
        foreach (var instance in cluster.Instances)
        {
            HttpStatusCode status;
            do
            {
                using var again = await PostAsync(instance.Client(_address), "/auth/login", new { email, password });
                status = again.StatusCode;
            }
            while (status != HttpStatusCode.OK && back.Elapsed < TimeSpan.FromSeconds(20) && await Delay());
            status.Should().Be(HttpStatusCode.OK, $"instance {instance.Name} recovers without a restart");
            recovered.Add($"{instance.Name} {Ms(back.Elapsed)}");
        }

        Report($"PostgreSQL restarted: sign-in answered 200 again on {string.Join(", ", recovered)} after the server was back");

        var waited = Stopwatch.StartNew();
        // A4, A5: every rate-limit refusal of the outage reached the database once it was back, aggregated per
        // instance and window into events whose counts add up.
        var stored = 0;
        while (waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            using var page = await SendAsync(cluster.A.Client(_address), HttpMethod.Get, "/auth/audit?type=rate_limit.exceeded&limit=500", admin.AccessToken, null);
            page.StatusCode.Should().Be(HttpStatusCode.OK);
            var items = (await page.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray();
            stored = items.Where(e => e.GetProperty("ipAddress").GetString() == address)
                .Sum(e => int.Parse(e.GetProperty("details").GetProperty("count").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
            if (stored >= limited)
            {
                break;
            }

            await Task.Delay(200);
        }

        stored.Should().Be(limited);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(200);
        return true;
    }

    private static string NextAddress() => $"127.0.{Interlocked.Increment(ref _nextAddress)}.{Random.Shared.Next(2, 250)}";

    private static async Task<(string Email, string Password)> RegisterAsync(HttpClient client)
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        var password = "cluster " + Guid.NewGuid().ToString("N");
        using var response = await PostAsync(client, "/auth/register", new { email, password });
        response.StatusCode.Should().Be(HttpStatusCode.Created);
        return (email, password);
    }

    private static async Task<TokenResponse> LoginAsync(HttpClient client, string email, string password)
    {
        using var response = await PostAsync(client, "/auth/login", new { email, password });
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<TokenResponse>())!;
    }

    private static async Task<HttpStatusCode> GetProfileAsync(HttpClient client, string accessToken)
    {
        using var response = await SendAsync(client, HttpMethod.Get, "/api/profile", accessToken, null);
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> GetReportsAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/reports");
        request.Headers.Add("X-Api-Key", key);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<TimeSpan> TimeUntilRefusedAsync(HttpClient client, string accessToken, TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        while (await GetProfileAsync(client, accessToken) == HttpStatusCode.OK && waited.Elapsed < limit)
        {
            await Task.Delay(5);
        }

        var elapsed = waited.Elapsed;
        (await GetProfileAsync(client, accessToken)).Should().Be(HttpStatusCode.Unauthorized);
        return elapsed;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, object body) => client.PostAsJsonAsync(path, body);

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string accessToken, object? body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await client.SendAsync(request);
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    private static string Ms(TimeSpan time) => time.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    // The figures go to the test log and, under CI, to artifacts/cluster-propagation.txt.
    private static void Report(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (Environment.GetEnvironmentVariable("SENTINEL_ARTIFACTS") is { Length: > 0 } artifacts)
        {
            Directory.CreateDirectory(artifacts);
            File.AppendAllText(Path.Combine(artifacts, "cluster-propagation.txt"), line + Environment.NewLine);
        }
    }

    private sealed record TokenResponse(string AccessToken, string RefreshToken);
}
