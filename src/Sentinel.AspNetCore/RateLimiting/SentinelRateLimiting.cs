using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sentinel.AspNetCore.Http;
using Sentinel.Audit;
using Sentinel.Diagnostics;
using Sentinel.RateLimiting;

namespace Sentinel.AspNetCore.RateLimiting;

/// <summary>
/// Sentinel's policies on ASP.NET Core's rate limiting middleware (<see cref="RateLimitOptions"/>), partitioned by
/// client IP address (IPv6 by its /64, so one host cannot rotate through its own addresses), plus a global limit
/// over all of Sentinel's endpoints. Rejections answer 429 <c>rate_limited</c> problem details with
/// <c>Retry-After</c>, write a <c>rate_limit.exceeded</c> audit event and count <c>sentinel.rate_limit.rejections</c>.
/// </summary>
public static class SentinelRateLimiting
{
    /// <summary><c>POST /login</c> and <c>POST /login/mfa</c>.</summary>
    public const string SignInPolicy = "Sentinel.SignIn";

    /// <summary><c>POST /refresh</c>.</summary>
    public const string RefreshPolicy = "Sentinel.Refresh";

    /// <summary><c>POST /register</c>.</summary>
    public const string RegistrationPolicy = "Sentinel.Registration";

    /// <summary>API key creation and rotation.</summary>
    public const string ApiKeyCreationPolicy = "Sentinel.ApiKeyCreation";

    /// <summary><c>POST /email/resend</c> and <c>POST /password/forgot</c>.</summary>
    public const string AccountRecoveryPolicy = "Sentinel.AccountRecovery";

    private const string GlobalPolicy = "Sentinel.Global";

    internal static void Configure(RateLimiterOptions options)
    {
        AddPolicy(options, SignInPolicy, o => o.SignIn);
        AddPolicy(options, RefreshPolicy, o => o.Refresh);
        AddPolicy(options, RegistrationPolicy, o => o.Registration);
        AddPolicy(options, ApiKeyCreationPolicy, o => o.ApiKeyCreation);
        AddPolicy(options, AccountRecoveryPolicy, o => o.AccountRecovery);
        // The global limiter sees every request of the host; it counts only those to Sentinel's endpoints.
        options.GlobalLimiter ??= PartitionedRateLimiter.Create<HttpContext, string>(http =>
            http.GetEndpoint()?.Metadata.GetMetadata<SentinelEndpointMetadata>() is null
                ? RateLimitPartition.GetNoLimiter("")
                : Partition(http, GlobalPolicy, o => o.Global));
        options.OnRejected ??= OnRejectedAsync;
    }

    private static void AddPolicy(RateLimiterOptions options, string name, Func<RateLimitOptions, RateLimitRule> rule) =>
        options.AddPolicy(name, http => Partition(http, name, rule));

    private static RateLimitPartition<string> Partition(HttpContext http, string policy, Func<RateLimitOptions, RateLimitRule> select)
    {
        var limits = http.RequestServices.GetRequiredService<IOptions<SentinelOptions>>().Value.RateLimits;
        if (!limits.Enabled)
        {
            return RateLimitPartition.GetNoLimiter(policy);
        }

        var rule = select(limits);
        http.Items[typeof(SentinelRateLimiting)] = policy; // names the policy in the rejection's audit event
        var store = http.RequestServices.GetRequiredService<IRateLimitPartitionStore>();
        var address = PartitionKey(http);
        return RateLimitPartition.Get(policy + "|" + address, _ => store.Create(policy, address, rule));
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
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }

    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var policy = http.Items[typeof(SentinelRateLimiting)] as string ?? "other";
        var reason = policy.StartsWith("Sentinel.", StringComparison.Ordinal) ? policy["Sentinel.".Length..].ToLowerInvariant() : "other";
        TimeSpan? retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : null;
        http.RequestServices.GetRequiredService<SentinelMetrics>().RateLimitRejected(reason);
        var audit = http.RequestServices.GetRequiredService<AuditRecorder>();
        await audit.RecordAsync(AuditEventTypes.RateLimitExceeded, AuditOutcome.Failure, null, http.ClientInfo(), cancellationToken, reason).ConfigureAwait(false);
        await SentinelProblems.WriteAsync(http, StatusCodes.Status429TooManyRequests, SentinelErrorCode.RateLimited,
            "Too many requests from this address; try again later.", retryAfter ?? TimeSpan.FromMinutes(1)).ConfigureAwait(false);
    }
}

/// <summary>Marks Sentinel's endpoints, for the global limit and the no-store filter.</summary>
internal sealed class SentinelEndpointMetadata
{
    public static readonly SentinelEndpointMetadata Instance = new();
}
