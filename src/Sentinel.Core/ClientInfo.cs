namespace Sentinel;

/// <summary>Who is calling, as far as the transport knows; recorded on audit events and sessions.</summary>
/// <param name="IpAddress">The client's IP address, if known.</param>
/// <param name="UserAgent">The client's user agent, if known.</param>
public sealed record ClientInfo(string? IpAddress, string? UserAgent)
{
    /// <summary>No transport information (background jobs, tests).</summary>
    public static ClientInfo None { get; } = new(null, null);
}
