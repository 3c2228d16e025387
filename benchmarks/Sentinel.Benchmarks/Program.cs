using BenchmarkDotNet.Running;
using Sentinel.Benchmarks;

// Two helpers beside the benchmarks: `chart` plots the scale benchmarks' last results, `memory` measures the
// memory held per revoked session and per cached key.
switch (args)
{
    case ["chart", ..]:
        return ScaleReport.Chart(Path.Combine("BenchmarkDotNet.Artifacts", "results"), args.Length > 1 ? args[1] : ".");
    case ["memory"]:
        return ScaleReport.Memory();
}

var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args).ToList();
await AuditQueryScaleBenchmarks.DropFilledTables();

// Name what failed last, so the tail of a CI log says why the smoke run failed.
var failed = summaries.SelectMany(s => s.Reports.Where(r => !r.Success).Select(r => r.BenchmarkCase.DisplayInfo)).ToList();
var invalid = summaries.Where(s => s.HasCriticalValidationErrors)
    .SelectMany(s => s.ValidationErrors.Where(e => e.IsCritical).Select(e => e.Message)).ToList();
foreach (var name in failed)
{
    Console.Error.WriteLine($"Benchmark failed: {name}");
}

foreach (var message in invalid)
{
    Console.Error.WriteLine($"Benchmark validation error: {message}");
}

// Fail the process (and CI's smoke run) when nothing ran or any benchmark failed.
if (summaries.Count == 0)
{
    Console.Error.WriteLine("No benchmark ran.");
}

return summaries.Count == 0 || failed.Count > 0 || invalid.Count > 0 ? 1 : 0;
