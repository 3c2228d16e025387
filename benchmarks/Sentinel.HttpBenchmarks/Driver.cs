using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Sentinel.HttpBenchmarks;

/// <summary>How long and how hard to load each app.</summary>
internal sealed record DriverOptions(int Rounds, int Seconds, int Connections, int SignInConnections)
{
    public static DriverOptions Parse(string[] args)
    {
        var options = new DriverOptions(Rounds: 3, Seconds: 5, Connections: 32, SignInConnections: 4);
        for (var i = 0; i < args.Length; i++)
        {
            options = args[i] switch
            {
                "--rounds" => options with { Rounds = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--seconds" => options with { Seconds = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                "--connections" => options with { Connections = int.Parse(args[++i], CultureInfo.InvariantCulture) },
                // CI's smoke run: everything starts, answers and is loaded once, briefly.
                "--smoke" => options with { Rounds = 1, Seconds = 1 },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }

        return options;
    }
}

/// <summary>
/// Starts the four apps as separate processes on loopback, prepares a user, tokens and an API key on each, checks
/// that every request to be measured answers 200, then loads them with wrk in alternation (round after round, so
/// drift on the machine hits every app alike) and prints requests per second and p50/p99 latency with the ratios.
/// </summary>
internal static class Driver
{
    private const string Email = "bench@example.com";
    private const string Password = "Correct-Horse-Battery-9"; // passes Identity's default composition rules too

    public static async Task<int> RunAsync(DriverOptions options)
    {
        if (Wrk.Find() is not { } wrk)
        {
            Console.Error.WriteLine("wrk is not installed (Debian package wrk: apt-get install wrk).");
            return 1;
        }

        var data = Directory.CreateTempSubdirectory("sentinel-http-bench-");
        var apps = new List<AppProcess>();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

            var sentinel = await AppProcess.StartAsync("sentinel", data.FullName, apps, http);
            await PostAsync(http, sentinel.Url + "/auth/register", new { email = Email, password = Password }, HttpStatusCode.Created);
            var sentinelToken = (await PostAsync(http, sentinel.Url + "/auth/login", new { email = Email, password = Password }, HttpStatusCode.OK)).GetProperty("accessToken").GetString()!;
            var apiKey = (await PostAsync(http, sentinel.Url + "/auth/api-keys", new { name = "bench", scopes = new[] { "reports:read" } }, HttpStatusCode.Created, sentinelToken)).GetProperty("key").GetString()!;
            var jwksFile = Path.Combine(data.FullName, "jwks.json");
            await File.WriteAllTextAsync(jwksFile, await http.GetStringAsync(sentinel.Url + "/.well-known/jwks.json"));

            var bare = await AppProcess.StartAsync("bare", data.FullName, apps, http, $"apiKey={apiKey}");
            var jwtBearer = await AppProcess.StartAsync("jwtbearer", data.FullName, apps, http, $"jwks={jwksFile}");
            var identity = await AppProcess.StartAsync("identity", data.FullName, apps, http);
            await PostAsync(http, identity.Url + "/register", new { email = Email, password = Password }, HttpStatusCode.OK);
            var identityToken = (await PostAsync(http, identity.Url + "/login", new { email = Email, password = Password }, HttpStatusCode.OK)).GetProperty("accessToken").GetString()!;

            var signInBody = JsonSerializer.Serialize(new { email = Email, password = Password });
            var scenarios = new[]
            {
                new Scenario("Bearer: GET /api/profile", options.Connections,
                [
                    new Target("bare (no authentication)", bare.Url + "/api/profile", null, null),
                    new Target("JwtBearer (ES256)", jwtBearer.Url + "/api/profile", $"Authorization: Bearer {sentinelToken}", null),
                    new Target("Identity bearer (MapIdentityApi)", identity.Url + "/api/profile", $"Authorization: Bearer {identityToken}", null),
                    new Target("Sentinel bearer (ES256)", sentinel.Url + "/api/profile", $"Authorization: Bearer {sentinelToken}", null),
                ]),
                new Scenario("API key: GET /api/reports", options.Connections,
                [
                    new Target("hand-written dictionary check", bare.Url + "/api/reports", $"X-Api-Key: {apiKey}", null),
                    // The same endpoint with Sentinel's bearer token: the API key path should cost about as much.
                    new Target("Sentinel bearer, same endpoint", sentinel.Url + "/api/reports", $"Authorization: Bearer {sentinelToken}", null),
                    new Target("Sentinel API key", sentinel.Url + "/api/reports", $"X-Api-Key: {apiKey}", null),
                ]),
                new Scenario("Sign-in: POST login", options.SignInConnections,
                [
                    new Target("Identity /login (PBKDF2 100k)", identity.Url + "/login", null, signInBody),
                    new Target("Sentinel /auth/login (Argon2id 19 MiB)", sentinel.Url + "/auth/login", null, signInBody),
                ]),
            };

            // Every measured request must succeed: a 401 or 429 is fast and would flatter the figures.
            foreach (var target in scenarios.SelectMany(s => s.Targets))
            {
                await target.CheckAsync(http);
            }

            var report = new StringBuilder();
            report.AppendLine(CultureInfo.InvariantCulture, $"wrk, 1 thread, {options.Rounds} rounds of {options.Seconds} s per app in alternation; median of the rounds. {Environment.ProcessorCount} cores, .NET {Environment.Version}.");
            var failed = false;
            foreach (var scenario in scenarios)
            {
                var results = scenario.Targets.ToDictionary(t => t, _ => new List<WrkResult>());
                foreach (var target in scenario.Targets)
                {
                    await Wrk.RunAsync(wrk, target, scenario.Connections, 1, data.FullName); // warm-up (JIT, caches, pools)
                }

                for (var round = 0; round < options.Rounds; round++)
                {
                    foreach (var target in scenario.Targets)
                    {
                        results[target].Add(await Wrk.RunAsync(wrk, target, scenario.Connections, options.Seconds, data.FullName));
                    }
                }

                report.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"### {scenario.Name} ({scenario.Connections} connections)").AppendLine()
                    .AppendLine("| app | requests/s | p50 | p99 | errors |").AppendLine("|---|---:|---:|---:|---:|");
                foreach (var (target, runs) in results)
                {
                    var errors = runs.Sum(r => r.Errors);
                    failed |= errors > 0 || runs.Any(r => r.RequestsPerSecond <= 0);
                    report.AppendLine(CultureInfo.InvariantCulture,
                        $"| {target.Name} | {Median(runs, r => r.RequestsPerSecond):N0} | {Median(runs, r => r.P50Ms):0.00} ms | {Median(runs, r => r.P99Ms):0.00} ms | {errors} |");
                }

                var sentinelRuns = results.Last().Value;
                report.AppendLine();
                foreach (var (target, runs) in results.SkipLast(1))
                {
                    report.AppendLine(CultureInfo.InvariantCulture,
                        $"- Sentinel / {target.Name}: throughput {Median(sentinelRuns, r => r.RequestsPerSecond) / Median(runs, r => r.RequestsPerSecond):0.00}×, p99 {Median(sentinelRuns, r => r.P99Ms) / Median(runs, r => r.P99Ms):0.00}×");
                }
            }

            return Report(report, failed);
        }
        finally
        {
            StopAll(apps, data);
        }
    }

    /// <summary>
    /// Password sign-in of this build against another build of the same program (for example a <c>git worktree</c> of
    /// an earlier commit, built in Release), both started fresh on empty SQLite files and loaded in alternation in
    /// one run, so a change to the sign-in path is measured against what it replaced.
    /// </summary>
    public static async Task<int> CompareSignInAsync(string otherBuild, DriverOptions options)
    {
        if (Wrk.Find() is not { } wrk)
        {
            Console.Error.WriteLine("wrk is not installed (Debian package wrk: apt-get install wrk).");
            return 1;
        }

        var data = Directory.CreateTempSubdirectory("sentinel-http-compare-");
        var apps = new List<AppProcess>();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var signInBody = JsonSerializer.Serialize(new { email = Email, password = Password });
            var targets = new List<Target>();
            foreach (var (name, program) in new[] { ("before (other build)", Path.GetFullPath(otherBuild)), ("this build", (string?)null) })
            {
                var folder = Directory.CreateDirectory(Path.Combine(data.FullName, targets.Count.ToString(CultureInfo.InvariantCulture))).FullName;
                var app = await AppProcess.StartAsync(program, "sentinel", folder, apps, http);
                await PostAsync(http, app.Url + "/auth/register", new { email = Email, password = Password }, HttpStatusCode.Created);
                targets.Add(new Target($"{name} /auth/login", app.Url + "/auth/login", null, signInBody));
            }

            foreach (var target in targets)
            {
                await target.CheckAsync(http);
                await Wrk.RunAsync(wrk, target, options.SignInConnections, 2, data.FullName); // warm-up
            }

            var results = targets.ToDictionary(t => t, _ => new List<WrkResult>());
            for (var round = 0; round < options.Rounds; round++)
            {
                foreach (var target in round % 2 == 0 ? targets : Enumerable.Reverse(targets))
                {
                    results[target].Add(await Wrk.RunAsync(wrk, target, options.SignInConnections, options.Seconds, data.FullName));
                }
            }

            var report = new StringBuilder()
                .AppendLine(CultureInfo.InvariantCulture, $"Password sign-in, wrk -t1 -c{options.SignInConnections}, {options.Rounds} rounds of {options.Seconds} s in alternation; median of the rounds. {Environment.ProcessorCount} cores, .NET {Environment.Version}.")
                .AppendLine().AppendLine("| build | requests/s | p50 | p99 | errors | each round (requests/s) |").AppendLine("|---|---:|---:|---:|---:|---|");
            foreach (var (target, runs) in results)
            {
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| {target.Name} | {Median(runs, r => r.RequestsPerSecond):N1} | {Median(runs, r => r.P50Ms):0.0} ms | {Median(runs, r => r.P99Ms):0.0} ms | {runs.Sum(r => r.Errors)} | {string.Join(", ", runs.Select(r => r.RequestsPerSecond.ToString("N1", CultureInfo.InvariantCulture)))} |");
            }

            var (before, after) = (results[targets[0]], results[targets[1]]);
            report.AppendLine().AppendLine(CultureInfo.InvariantCulture,
                $"This build / before: throughput {Median(after, r => r.RequestsPerSecond) / Median(before, r => r.RequestsPerSecond):0.000}×, p50 {Median(after, r => r.P50Ms) / Median(before, r => r.P50Ms):0.00}×");
            return Report(report, results.Values.Any(runs => runs.Any(r => r.Errors > 0 || r.RequestsPerSecond <= 0)));
        }
        finally
        {
            StopAll(apps, data);
        }
    }

    /// <summary>Prints the report; any failed request makes the run fail, since a 401 or 429 is fast and flatters.</summary>
    private static int Report(StringBuilder report, bool failed)
    {
        Console.WriteLine(report);
        if (failed)
        {
            Console.Error.WriteLine("Some requests failed (non-2xx or socket errors): the figures above are not valid.");
        }

        return failed ? 1 : 0;
    }

    private static void StopAll(List<AppProcess> apps, DirectoryInfo data)
    {
        foreach (var app in apps)
        {
            app.Dispose();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        data.Delete(recursive: true);
    }

    private static double Median(List<WrkResult> runs, Func<WrkResult, double> value) =>
        runs.Select(value).Order().ElementAt(runs.Count / 2);

    private static async Task<JsonElement> PostAsync(HttpClient http, string url, object body, HttpStatusCode expected, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new("Bearer", bearer);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"POST {url} answered {(int)response.StatusCode}, expected {(int)expected}: {text}");
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}

/// <summary>A group of apps loaded alike; the last target is Sentinel, the others its baselines.</summary>
internal sealed record Scenario(string Name, int Connections, Target[] Targets);

/// <summary>One request to measure: a URL, an optional header, an optional JSON body (then it is a POST).</summary>
internal sealed record Target(string Name, string Url, string? Header, string? JsonBody)
{
    public async Task CheckAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(JsonBody is null ? HttpMethod.Get : HttpMethod.Post, Url);
        if (Header?.Split(": ", 2) is [var name, var value])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (JsonBody is not null)
        {
            request.Content = new StringContent(JsonBody, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{Name}: {request.Method} {Url} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}

/// <summary>One app under test, running as a child process of the driver.</summary>
internal sealed class AppProcess : IDisposable
{
    private readonly Process _process;

    private AppProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public static Task<AppProcess> StartAsync(string name, string data, List<AppProcess> started, HttpClient http, params string[] settings) =>
        StartAsync(null, name, data, started, http, settings);

    /// <summary>Starts an app of this program, or of <paramref name="program"/> (another build's dll) when given.</summary>
    public static async Task<AppProcess> StartAsync(string? program, string name, string data, List<AppProcess> started, HttpClient http, params string[] settings)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var start = new ProcessStartInfo(program is null ? Environment.ProcessPath! : "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        // The same program, as an app: `dotnet <dll> app …` when run through dotnet, else the apphost.
        if (program is not null)
        {
            start.ArgumentList.Add(program);
        }
        else if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Driver).Assembly.Location);
        }

        foreach (var argument in new[] { "app", name, url, data }.Concat(settings))
        {
            start.ArgumentList.Add(argument);
        }

        var app = new AppProcess(Process.Start(start)!, url);
        started.Add(app);
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (app._process.HasExited)
            {
                throw new InvalidOperationException($"The {name} app exited: {await app._process.StandardError.ReadToEndAsync()}");
            }

            try
            {
                if ((await http.GetAsync(url + "/ping")).IsSuccessStatusCode)
                {
                    return app;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The {name} app did not answer on {url} within 30 s.");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
