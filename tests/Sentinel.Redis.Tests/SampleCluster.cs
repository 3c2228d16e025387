using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sentinel.Redis.Tests;

/// <summary>
/// Three instances of the sample app (A, B, C), each its own process on its own loopback port and installed in a
/// folder of its own (its content root, which is Data Protection's default application name), sharing one new
/// PostgreSQL server and one Redis server (both started here, on their own ports, so that a test can stop and
/// restart them); the Data Protection key ring is in the database and the sample sets one application name: what a
/// deployment behind a load balancer looks like. Needs Debian's postgresql and redis-server packages;
/// `bash .ci/run` installs both. Without them the tests are skipped, except under CI.
/// </summary>
public sealed class SampleCluster : IAsyncLifetime
{
    /// <summary>How often an instance reads revocations from the store while Redis is down, in these tests.</summary>
    public static readonly TimeSpan DisconnectedReloadInterval = TimeSpan.FromSeconds(2);

    /// <summary>Each API key's budget per minute, in these tests.</summary>
    public const int ApiKeyPermits = 30;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "sentinel-cluster-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<SampleInstance> _instances = [];
    private string? _missing;
    public RedisServer Redis { get; private set; } = null!;

    public PostgresServer Postgres { get; private set; } = null!;

    public const string AdminEmail = "admin@example.com";

    public const string AdminPassword = "purple horse battery staple";

    public SampleInstance A => _instances[0];

    public SampleInstance B => _instances[1];

    public SampleInstance C => _instances[2];

    public IReadOnlyList<SampleInstance> Instances => _instances;

    public async ValueTask InitializeAsync()
    {
        var postgresBin = PostgresServer.Find();
        var redisServer = RedisServer.Find();
        if (postgresBin is null || redisServer is null)
        {
            _missing = "Needs PostgreSQL's and Redis's servers (Debian packages postgresql and redis-server); `bash .ci/run` installs both.";
            return;
        }

        Directory.CreateDirectory(_root);
        Redis = await RedisServer.StartAsync(redisServer, Path.Combine(_root, "redis"));
        Postgres = await PostgresServer.StartAsync(postgresBin, Path.Combine(_root, "postgres"));

        _prefix = "sentinel-test-" + Guid.NewGuid().ToString("N")[..8];
        foreach (var name in new[] { "A", "B", "C" })
        {
            _instances.Add(NewInstance(name));
        }

        // A creates and migrates the database first; B and C start against it together.
        await A.StartAsync();
        await Task.WhenAll(B.StartAsync(), C.StartAsync());
    }

    private string _prefix = "";

    /// <summary>
    /// An instance of the cluster, not started, installed in a folder of its own (<paramref name="name"/>'s); with
    /// <paramref name="environment"/> overriding or adding settings.
    /// </summary>
    public SampleInstance NewInstance(string name, IReadOnlyDictionary<string, string>? environment = null)
    {
        var settings = new Dictionary<string, string>
            {
                ["ConnectionStrings__Sentinel"] = Postgres.ConnectionString("sentinel"),
                ["Sentinel__Sample__Database"] = "PostgreSQL",
                ["Sentinel__Sample__MailFolder"] = Path.Combine(_root, "mail-" + name),
                ["ConnectionStrings__Redis"] = $"127.0.0.1:{Redis.Port}",
                ["Sentinel__Redis__Prefix"] = _prefix,
                ["Sentinel__Redis__DisconnectedReloadInterval"] = DisconnectedReloadInterval.ToString(),
                // Cheap hashing: these tests are about instances agreeing, not about Argon2's cost.
                ["Sentinel__Passwords__Argon2MemoryKiB"] = "1024",
                ["Sentinel__Passwords__Argon2Iterations"] = "1",
                ["Sentinel__Sample__AdminEmail"] = AdminEmail,
                ["Sentinel__Sample__AdminPassword"] = AdminPassword,
                // A store outage in these tests lasts seconds: retry audit writes every second at most.
                ["Sentinel__Audit__MaxRetryDelay"] = "00:00:01",
                ["Sentinel__Audit__RefusalWindow"] = "00:00:02", // aggregated refusals are written within seconds
                ["Sentinel__ApiKeys__RateLimitPermits"] = ApiKeyPermits.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        return new SampleInstance(name, settings, InstallFolder(name));
    }

    /// <summary>A copy of the sample's content (settings and page) in a folder of its own, as an install on another path is.</summary>
    private string InstallFolder(string name)
    {
        var folder = Path.Combine(_root, "app-" + name);
        var sample = Path.Combine(RepositoryRoot(), "samples", "Sentinel.Sample");
        CopyDirectory(Path.Combine(sample, "wwwroot"), Path.Combine(folder, "wwwroot"));
        File.Copy(Path.Combine(sample, "appsettings.json"), Path.Combine(folder, "appsettings.json"), overwrite: true);
        return folder;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }

        foreach (var directory in Directory.GetDirectories(from))
        {
            CopyDirectory(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }

    /// <summary>Skips the test (fails it under CI) when PostgreSQL or Redis is not available.</summary>
    public void Require()
    {
        if (_missing is null)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("Under CI the scale-out tests must run: " + _missing);
        }

        Assert.Skip(_missing);
    }

    /// <summary>Waits until every instance's <c>/health</c> reports <paramref name="status"/> (Healthy, Degraded).</summary>
    public async Task WaitForHealthAsync(string status, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        foreach (var instance in _instances)
        {
            while ((await instance.HealthAsync()) != status)
            {
                if (deadline.Elapsed > within)
                {
                    throw new TimeoutException($"Instance {instance.Name} did not report {status} within {within}. Its log:\n{instance.Log}");
                }

                await Task.Delay(100);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }

        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }

        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sentinel.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("The repository root (Sentinel.sln) was not found above the test's folder.");
    }
}

[CollectionDefinition(nameof(SampleClusterGroup))]
public sealed class SampleClusterGroup : ICollectionFixture<SampleCluster>;

/// <summary>One sample app process.</summary>
public sealed class SampleInstance(string name, IReadOnlyDictionary<string, string> environment, string contentRoot) : IAsyncDisposable
{
    private readonly StringBuilder _log = new();
    private readonly List<HttpClient> _clients = [];
    private Process? _process;

    public string Name { get; } = name;

    /// <summary>The folder the instance's sample sender writes emails to.</summary>
    public string MailFolder => environment["Sentinel__Sample__MailFolder"];

    public Uri BaseAddress { get; private set; } = null!;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task StartAsync()
    {
        var root = SampleCluster.RepositoryRoot();
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(root, "samples", "Sentinel.Sample", "bin", configuration, "net10.0", "Sentinel.Sample.dll");
        var port = SampleCluster.FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--contentRoot");
        start.ArgumentList.Add(contentRoot);
        start.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString();
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Instance {Name} exited with {_process.ExitCode}. Its log:\n{Log}");
            }

            try
            {
                if ((await probe.GetAsync("/health")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (waited.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"Instance {Name} did not answer /health within 60 s. Its log:\n{Log}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// A client whose connections come from <paramref name="sourceAddress"/> (any 127.x.y.z is loopback on Linux), so
    /// that a test has its own per-address rate-limit partitions.
    /// </summary>
    public HttpClient Client(string sourceAddress = "127.0.0.1")
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(sourceAddress), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    /// <summary>The overall status <c>/health</c> reports (Healthy, Degraded, Unhealthy), or "down".</summary>
    public async Task<string> HealthAsync()
    {
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            return await (await probe.GetAsync("/health")).Content.ReadAsStringAsync();
        }
        catch (HttpRequestException)
        {
            return "down";
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }
}

/// <summary>A redis-server process of the test's own, on a free loopback port, with no persistence.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _executable;
    private readonly string _folder;
    private Process? _process;

    private RedisServer(string executable, string folder, int port)
    {
        _executable = executable;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public static string? Find() =>
        new[] { Environment.GetEnvironmentVariable("SENTINEL_REDIS_SERVER"), "/usr/bin/redis-server", "/usr/local/bin/redis-server" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    public static async Task<RedisServer> StartAsync(string executable, string folder)
    {
        Directory.CreateDirectory(folder);
        var server = new RedisServer(executable, folder, SampleCluster.FreePort());
        await server.StartAsync();
        return server;
    }

    /// <summary>Starts it (again) on the same port.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(_executable) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder };
        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", _folder })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (waited.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Freezes it (SIGSTOP): connections stay open and commands get no answer, as on a stalled network.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>Lets a frozen server go on (SIGCONT).</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [signal, _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    /// <summary>Kills it, as a crash would.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await KillAsync();
}
