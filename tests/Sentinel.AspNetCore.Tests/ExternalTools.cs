using System.Diagnostics;

namespace Sentinel.AspNetCore.Tests;

/// <summary>
/// Independent command-line tools from Debian (zbarimg from zbar-tools, oathtool) that check Sentinel's output the
/// way another implementation would. `.ci/run` installs them; elsewhere the tests that need them are skipped with
/// the reason, except under CI, where they fail.
/// </summary>
internal static class ExternalTools
{
    public static async Task<string> RunAsync(string tool, params string[] arguments)
    {
        Require(tool);
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} exited {process.ExitCode}: {error}");
        }

        return output.Trim();
    }

    private static void Require(string tool)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, tool)));
        if (found)
        {
            return;
        }

        var reason = $"{tool} is not installed (Debian packages zbar-tools and oathtool; `bash .ci/run` installs them).";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("Under CI this test must run: " + reason);
        }

        Assert.Skip(reason);
    }
}
