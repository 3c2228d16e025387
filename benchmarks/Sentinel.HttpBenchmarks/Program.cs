using Sentinel.HttpBenchmarks;

// `app <name> <url> <data folder> [key=value…]` runs one app under test; `drive [options]` runs the comparison.
return args switch
{
    ["app", var name, var url, var data, .. var settings] => await BenchmarkApps.RunAsync(name, url, data, settings),
    ["drive", .. var options] => await Driver.RunAsync(DriverOptions.Parse(options)),
    ["compare", var otherBuild, .. var options] => await Driver.CompareSignInAsync(otherBuild, DriverOptions.Parse(options)),
    ["startup", .. var sizes] => await StartupBenchmark.RunAsync(sizes is [var n] ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : 1_000_000),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        Usage:
          dotnet run -c Release --project benchmarks/Sentinel.HttpBenchmarks -- drive [--rounds N] [--seconds S] [--connections C] [--smoke]
        Starts the apps (bare, jwtbearer, sentinel, identity) on loopback and loads them in alternation with wrk.
          dotnet run -c Release --project benchmarks/Sentinel.HttpBenchmarks -- compare <other build's Sentinel.HttpBenchmarks.dll> [--rounds N] [--seconds S]
        Password sign-in of this build against another build (a git worktree of an earlier commit), in alternation in one run.
          dotnet run -c Release --project benchmarks/Sentinel.HttpBenchmarks -- startup [N]
        Start-up time of the Sentinel app on PostgreSQL (SENTINEL_TEST_POSTGRES), empty and with N revoked sessions and N API keys.
        """);
    return 2;
}
