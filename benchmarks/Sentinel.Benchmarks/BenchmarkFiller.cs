using System.Security.Cryptography;
using Sentinel.ApiKeys;
using Sentinel.Sessions;

namespace Sentinel.Benchmarks;

/// <summary>Fills Sentinel's in-memory state with stand-ins, for benchmarks that measure against its size.</summary>
internal static class BenchmarkFiller
{
    private static readonly IReadOnlySet<string> Scopes = new HashSet<string>(["reports:read"]);

    /// <summary>
    /// The sizes up to <c>SENTINEL_SCALE_MAX</c> (default 1,000,000), so that a smoke run (CI sets 10,000) does not
    /// fill millions of entries per benchmark case.
    /// </summary>
    public static IEnumerable<int> SizesUpToScaleMax(params int[] sizes)
    {
        var max = int.TryParse(Environment.GetEnvironmentVariable("SENTINEL_SCALE_MAX"), out var m) ? m : 1_000_000;
        return sizes.Where(n => n <= max);
    }

    /// <summary>Adds <paramref name="count"/> keys; they need only distinct hashes, so random 256-bit values stand in.</summary>
    public static void AddKeys(ApiKeyCache cache, int count)
    {
        var random = new byte[32];
        for (var i = 0; i < count; i++)
        {
            RandomNumberGenerator.Fill(random);
            cache.Add(new VerifiedApiKey(Guid.NewGuid(), Guid.NewGuid(), "filler", System.Buffers.Text.Base64Url.EncodeToString(random), Scopes, null, null, null));
        }
    }

    /// <summary>Revokes <paramref name="count"/> sessions that do not exist, as now.</summary>
    public static void RevokeSessions(RevocationList revocations, int count)
    {
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            revocations.RevokeSession(Guid.NewGuid(), now);
        }
    }
}
