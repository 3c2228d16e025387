using System.Net;
using System.Net.Sockets;

namespace Sentinel.RateLimiting;

/// <summary>
/// The network a client address counts under, for rate limits and for aggregating refusals in the audit log: an IPv4
/// address by itself, an IPv6 address by its /64 (one host is normally given a whole /64, so counting single IPv6
/// addresses would let it rotate through them).
/// </summary>
public static class ClientNetwork
{
    /// <summary>The key of <paramref name="address"/>'s network: <c>203.0.113.7</c>, <c>2001:db8:1:2::/64</c>, or <c>unknown</c>.</summary>
    public static string Of(IPAddress? address, int ipv6PrefixLength = 64)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        ArgumentOutOfRangeException.ThrowIfNegative(ipv6PrefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ipv6PrefixLength, 128);
        var bytes = address.GetAddressBytes();
        for (var bit = ipv6PrefixLength; bit < 128; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPAddress(bytes) + "/" + ipv6PrefixLength.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>As <see cref="Of(IPAddress?, int)"/> for an address in text (as <see cref="ClientInfo.IpAddress"/> holds it).</summary>
    public static string Of(string? address, int ipv6PrefixLength = 64) =>
        IPAddress.TryParse(address, out var parsed) ? Of(parsed, ipv6PrefixLength) : "unknown";
}
