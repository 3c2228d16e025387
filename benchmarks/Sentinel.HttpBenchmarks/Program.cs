using Sentinel.HttpBenchmarks;

// `app <name> <url> <data folder> [key=value…]` runs one app under test; `drive [options]` runs the comparison.
return args switch
{
    ["app", var name, var url, var data, .. var settings] => await BenchmarkApps.RunAsync(name, url, data, settings),
    ["drive", .. var options] => await Driver.RunAsync(DriverOptions.Parse(options)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        Usage:
          dotnet run -c Release --project benchmarks/Sentinel.HttpBenchmarks -- drive [--rounds N] [--seconds S] [--connections C] [--smoke]
        Starts the apps (bare, jwtbearer, sentinel, identity) on loopback and loads them in alternation with wrk.
        """);
    return 2;
}
