using System.Diagnostics;
using FluentAssertions;

namespace Sentinel.AspNetCore.Tests;

/// <summary>Runs alone: other tests' disk writes would time their own I/O, not Sentinel's.</summary>
[CollectionDefinition(nameof(SerialTimingGroup), DisableParallelization = true)]
public sealed class SerialTimingGroup;

/// <summary>SECURITY P3 measured from outside: unknown email and wrong password take the same time, within noise.</summary>
[Collection(nameof(SerialTimingGroup))]
public sealed class SignInTimingTests
{
    [Fact]
    public async Task UnknownEmail_AndWrongPassword_TakeTheSameTime_OverManyAttempts()
    {
        // Real hashing cost (OWASP Argon2id), so the comparison is the one an attacker would make.
        await using var host = await SentinelTestHost.StartAsync(o =>
        {
            o.Passwords.Argon2MemoryKiB = 19456;
            o.Passwords.Argon2Iterations = 2;
            o.Lockout.MaxFailedAttempts = 100;
        });
        var known = await host.RegisterAsync();
        var knownTimes = new List<double>();
        var unknownTimes = new List<double>();
        for (var i = 0; i < 30; i++)
        {
            var watch = Stopwatch.StartNew();
            await (await host.PostAsync("/auth/login", new { email = known, password = "wrong horse battery" })).ShouldBeProblemAsync(401, "invalid_credentials");
            knownTimes.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            await (await host.PostAsync("/auth/login", new { email = SentinelTestHost.NewEmail(), password = "wrong horse battery" })).ShouldBeProblemAsync(401, "invalid_credentials");
            unknownTimes.Add(watch.Elapsed.TotalMilliseconds);
        }

        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        var (k, u) = (Median(knownTimes), Median(unknownTimes));
        // Both paths pay one Argon2id verification; the known one also writes the failure count (one UPDATE, 1-10 ms
        // here depending on disk load), and the unknown one waits as long as those writes have recently taken. The
        // bound catches a path that skips or doubles the hashing, or an unpadded write under load.
        Math.Abs(k - u).Should().BeLessThan(Math.Max(5, 0.2 * Math.Max(k, u)), "known {0:F1} ms, unknown {1:F1} ms", k, u);
    }
}
