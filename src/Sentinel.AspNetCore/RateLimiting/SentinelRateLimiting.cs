using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sentinel.AspNetCore.Http;
using Sentinel.Audit;

namespace Sentinel.AspNetCore.RateLimiting;

/// <summary>
/// Sentinel's policies on ASP.NET Core's rate limiting middleware, partitioned by client IP address (IPv6 by its
/// /64, so one host cannot rotate through its own addresses). Rejections answer 429 <c>rate_limited</c> problem
/// details with <c>Retry-After</c> and write a <c>rate_limit.exceeded</c> audit event.
/// </summary>
public static class SentinelRateLimiting
{
    /// <summary>The policy on <c>POST /email/resend</c> and <c>POST /password/forgot</c> (<see cref="Email.EmailOptions.MaxRequestsPerIpPerHour"/>).</summary>
    public const string EmailPolicy = "Sentinel.Email";

    internal static void Configure(RateLimiterOptions options)
    {
        options.AddPolicy(EmailPolicy, http =>
        {
            var limit = http.RequestServices.GetRequiredService<IOptions<SentinelOptions>>().Value.Email.MaxRequestsPerIpPerHour;
            return RateLimitPartition.GetFixedWindowLimiter(PartitionKey(http), _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limit,
                Window = TimeSpan.FromHours(1),
                QueueLimit = 0,
            });
        });
        options.OnRejected ??= OnRejectedAsync;
    }

    /// <summary>The client's address, IPv6 cut to its /64 network.</summary>
    internal static string PartitionKey(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            address = new IPAddress(bytes);
            return address + "/64";
        }

        return address.ToString();
    }

    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        TimeSpan? retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : null;
        var audit = http.RequestServices.GetRequiredService<AuditRecorder>();
        await audit.RecordAsync(AuditEventTypes.RateLimitExceeded, AuditOutcome.Failure, null, http.ClientInfo(), cancellationToken, "ip").ConfigureAwait(false);
        await SentinelProblems.WriteAsync(http, StatusCodes.Status429TooManyRequests, SentinelErrorCode.RateLimited,
            "Too many requests from this address; try again later.", retryAfter ?? TimeSpan.FromMinutes(1)).ConfigureAwait(false);
    }
}
