using System.Diagnostics;
using System.Globalization;

namespace Sentinel.Redis.Tests;

/// <summary>
/// A PostgreSQL server of the test's own (Debian's binaries, a fresh data folder, a free loopback port), so that a
/// test can stop and restart it without touching the server other test projects use. As root it runs as the
/// <c>postgres</c> user, as PostgreSQL requires.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _data;
    private bool _running;

    private PostgresServer(string bin, string data, int port)
    {
        _bin = bin;
        _data = data;
        Port = port;
    }

    public int Port { get; }

    // Keepalive 1 s (AddPostgreSqlStores defaults to 5): a test that follows the restart test finds no connection the
    // restart broke still in an instance's pool.
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=sentinel;Password=sentinel;Database={database};Timeout=5;Command Timeout=10;Keepalive=1";

    /// <summary>The newest installed PostgreSQL's bin folder, or null.</summary>
    public static string? Find() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin"))
                .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            : null;

    public static async Task<PostgresServer> StartAsync(string bin, string folder)
    {
        var data = Path.Combine(folder, "data");
        Directory.CreateDirectory(folder);
        var server = new PostgresServer(bin, data, SampleCluster.FreePort());
        if (IsRoot)
        {
            await RunAsync("chown", "-R", "postgres", folder);
        }

        await server.AsServerUserAsync("initdb", "-D", data, "-U", "sentinel", "--auth=trust", "-E", "UTF8", "--no-sync");
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        await AsServerUserAsync("pg_ctl", "-D", _data, "-l", Path.Combine(_data, "server.log"), "-w", "-t", "30",
            "-o", $"-p {Port.ToString(CultureInfo.InvariantCulture)} -k {_data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start");
        _running = true;
    }

    /// <summary>Stops it at once, as a crash or a failover would (no clean shutdown of the sessions).</summary>
    public async Task StopAsync()
    {
        await AsServerUserAsync("pg_ctl", "-D", _data, "-m", "immediate", "-w", "stop");
        _running = false;
    }

    public async ValueTask DisposeAsync()
    {
        if (_running)
        {
            await StopAsync();
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task AsServerUserAsync(string tool, params string[] arguments) =>
        IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. arguments]) : RunAsync(Path.Combine(_bin, tool), arguments);

    private static async Task RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} exited {process.ExitCode}: {await error}{await output}");
        }
    }
}
