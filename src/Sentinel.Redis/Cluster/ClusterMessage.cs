using System.Globalization;
using Sentinel.Cluster;

namespace Sentinel.Redis.Cluster;

/// <summary>
/// The wire form of a <see cref="ClusterChange"/>: <c>1|origin|kind|id|atTicks|sentUnixMs|keyHash</c>, plain ASCII.
/// The origin is the sending instance, so that it ignores its own messages; the send time gives the propagation lag.
/// </summary>
internal static class ClusterMessage
{
    private const string Version = "1";

    public static string Format(Guid origin, ClusterChange change, DateTimeOffset sentAt) => string.Join('|',
        Version,
        origin.ToString("N"),
        ((int)change.Kind).ToString(CultureInfo.InvariantCulture),
        change.Id.ToString("N"),
        change.At.UtcTicks.ToString(CultureInfo.InvariantCulture),
        sentAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        change.KeyHash ?? "");

    /// <summary>Reads a message; false for anything malformed or of another version (it is ignored, never applied in part).</summary>
    public static bool TryParse(string? text, out Guid origin, out ClusterChange change, out DateTimeOffset sentAt)
    {
        origin = Guid.Empty;
        change = default;
        sentAt = default;
        var parts = text?.Split('|');
        if (parts is not { Length: 7 } || parts[0] != Version
            || !Guid.TryParseExact(parts[1], "N", out origin)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var kind)
            || !Guid.TryParseExact(parts[3], "N", out var id)
            || !long.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var atTicks)
            || atTicks > DateTimeOffset.MaxValue.UtcTicks
            || !long.TryParse(parts[5], NumberStyles.None, CultureInfo.InvariantCulture, out var sentMs)
            || sentMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            || parts[6].Length > 128)
        {
            return false;
        }

        change = new ClusterChange((ClusterChangeKind)kind, id, new DateTimeOffset(atTicks, TimeSpan.Zero), parts[6].Length == 0 ? null : parts[6]);
        sentAt = DateTimeOffset.FromUnixTimeMilliseconds(sentMs);
        return true;
    }
}
