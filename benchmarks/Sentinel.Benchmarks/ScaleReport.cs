using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.ApiKeys;
using Sentinel.Sessions;

namespace Sentinel.Benchmarks;

/// <summary>
/// <c>chart</c>: draws the scale benchmarks' results (BenchmarkDotNet's brief JSON reports) as PNG charts beside this
/// file; <c>memory</c>: measures the memory held per revoked session and per cached API key.
/// </summary>
internal static class ScaleReport
{
    public static int Chart(string resultsFolder, string outputFolder)
    {
        var written = 0;
        if (Read(resultsFolder, "ScaleBenchmarks") is { } requestPath)
        {
            Draw(Path.Combine(outputFolder, "scale-request-path.png"), "Request path against what is held in memory",
                "revoked sessions / cached keys", "time per call (ns)", requestPath, p => p["Entries"], ns => ns);
            written++;
        }

        if (Read(resultsFolder, "AuditQueryScaleBenchmarks") is { } audit)
        {
            Draw(Path.Combine(outputFolder, "scale-audit-query.png"), "Audit query against the table's size",
                "events in the table", "time per query (µs)", audit, p => p["Events"], ns => ns / 1000);
            written++;
        }

        Console.WriteLine(written == 0
            ? $"No scale results in {resultsFolder}: run the benchmarks with --filter '*Scale*' first."
            : $"{written} chart(s) written to {outputFolder}.");
        return written == 0 ? 1 : 0;
    }

    public static int Memory()
    {
        const int Count = 1_000_000;
        var services = new ServiceCollection();
        services.AddSentinelCore().AddInMemoryStores();
        using var provider = services.BuildServiceProvider();
        var revocations = provider.GetRequiredService<RevocationList>();
        var cache = provider.GetRequiredService<ApiKeyCache>();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        BenchmarkFiller.RevokeSessions(revocations, Count);
        var afterSessions = GC.GetTotalMemory(forceFullCollection: true);
        BenchmarkFiller.AddKeys(cache, Count);
        var afterKeys = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Managed memory for {Count:N0} entries each: {(afterSessions - before) / (double)Count:N0} B per revoked session, {(afterKeys - afterSessions) / (double)Count:N0} B per cached API key."));
        GC.KeepAlive(revocations);
        GC.KeepAlive(cache);
        return 0;
    }

    /// <summary>Method → (parameters, mean ns) from the newest brief JSON report of a class.</summary>
    private static Dictionary<string, List<(Dictionary<string, string> Parameters, double MeanNs)>>? Read(string folder, string className)
    {
        var file = Directory.Exists(folder)
            ? Directory.GetFiles(folder, $"*.{className}-report-brief.json").OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            : null;
        if (file is null)
        {
            return null;
        }

        using var json = JsonDocument.Parse(File.ReadAllText(file));
        var series = new Dictionary<string, List<(Dictionary<string, string>, double)>>(StringComparer.Ordinal);
        foreach (var benchmark in json.RootElement.GetProperty("Benchmarks").EnumerateArray())
        {
            var parameters = (benchmark.GetProperty("Parameters").GetString() ?? "").Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            var name = benchmark.GetProperty("MethodTitle").GetString()!.Trim('\'');
            if (parameters.TryGetValue("Store", out var store))
            {
                name = $"{store}: {name}";
            }

            if (!series.TryGetValue(name, out var points))
            {
                series[name] = points = [];
            }

            points.Add((parameters, benchmark.GetProperty("Statistics").GetProperty("Mean").GetDouble()));
        }

        return series;
    }

    private static void Draw(
        string path, string title, string xLabel, string yLabel,
        Dictionary<string, List<(Dictionary<string, string> Parameters, double MeanNs)>> series,
        Func<Dictionary<string, string>, string> x, Func<double, double> y)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (name, points) in series)
        {
            var ordered = points.Select(p => (X: double.Parse(x(p.Parameters), CultureInfo.InvariantCulture), Y: y(p.MeanNs))).OrderBy(p => p.X).ToArray();
            // Sizes grow tenfold per step: plot log10 of the size, label the ticks with the size itself.
            var line = plot.Add.Scatter(ordered.Select(p => Math.Log10(p.X)).ToArray(), ordered.Select(p => p.Y).ToArray());
            line.LegendText = name;
            line.LineWidth = 2;
            line.MarkerSize = 8;
        }

        // A tick at each size measured (they grow tenfold), labelled with the size itself.
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var size in series.Values.SelectMany(p => p).Select(p => double.Parse(x(p.Parameters), CultureInfo.InvariantCulture)).Distinct())
        {
            ticks.AddMajor(Math.Log10(size), size.ToString("N0", CultureInfo.InvariantCulture));
        }

        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(0, plot.Axes.GetLimits().Top * 1.25); // from zero, so a flat line looks flat
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, 900, 480);
    }
}
