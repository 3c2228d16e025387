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

    /// <summary>
    /// The script of the Node checker in tests/<paramref name="folder"/> (verify.mjs), once its npm packages are
    /// installed there (<c>npm ci</c>; .ci/run does it); skipped with the reason otherwise, except under CI.
    /// </summary>
    public static string RequireNodeCheck(string folder, string package)
    {
        Require("node");
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "tests", folder, "package.json")))
        {
            directory = directory.Parent;
        }

        var root = directory is null ? null : Path.Combine(directory.FullName, "tests", folder);
        if (root is not null && Directory.Exists(Path.Combine(root, "node_modules", package)))
        {
            return Path.Combine(root, "verify.mjs");
        }

        Fail($"the npm package {package} is not installed in tests/{folder} (`npm ci --prefix tests/{folder}`; `bash .ci/run` does it).");
        return "";
    }

    private static void Fail(string reason)
    {
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("Under CI this test must run: " + reason);
        }

        Assert.Skip(reason);
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
