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
/// client IP address (IPv6 by its /64, so one host cannot rotate through its own addresses, and within budgets per /56
/// and /48 so that a large allocation is not many clients), plus a global limit
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
        // The global limiter sees every request of the host; it counts only those to Sentinel's endpoints, and lets the
        // host's own through without touching the partitioned limiter (whose partition lookup takes a lock).
        options.GlobalLimiter ??= new SentinelEndpointsOnlyLimiter(PartitionedRateLimiter.Create<HttpContext, string>(http =>
            Partition(http, GlobalPolicy, o => o.Global)));
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
        var wider = http.RequestServices.GetRequiredService<WiderNetworkLimiters>();
        var remote = http.Connection.RemoteIpAddress;
        return RateLimitPartition.Get(policy + "|" + address, _ => wider.Chain(store.Create(policy, address, rule), policy, remote, rule, limits));
    }

    /// <summary>The client's address, IPv6 cut to its /64 network.</summary>
    internal static string PartitionKey(HttpContext http) => ClientNetwork.Of(http.Connection.RemoteIpAddress);

    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var policy = http.Items[typeof(SentinelRateLimiting)] as string ?? "other";
        var reason = policy.StartsWith("Sentinel.", StringComparison.Ordinal) ? policy["Sentinel.".Length..].ToLowerInvariant() : "other";
        TimeSpan? retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : null;
        http.RequestServices.GetRequiredService<SentinelMetrics>().RateLimitRejected(reason);
        var audit = http.RequestServices.GetRequiredService<AuditRecorder>();
        await audit.RecordRefusalAsync(AuditEventTypes.RateLimitExceeded, reason, null, http.ClientInfo(), cancellationToken: cancellationToken).ConfigureAwait(false);
        await SentinelProblems.WriteAsync(http, StatusCodes.Status429TooManyRequests, SentinelErrorCode.RateLimited,
            "Too many requests from this address; try again later.", retryAfter ?? TimeSpan.FromMinutes(1)).ConfigureAwait(false);
    }
}

/// <summary>Marks Sentinel's endpoints, for the global limit and the no-store filter.</summary>
internal sealed class SentinelEndpointMetadata
{
    public static readonly SentinelEndpointMetadata Instance = new();
}

/// <summary>
/// The global limiter: requests to Sentinel's endpoints go to <paramref name="inner"/>; every other request of the
/// host gets a shared, always-acquired lease at once, with no lock and no allocation.
/// </summary>
internal sealed class SentinelEndpointsOnlyLimiter(PartitionedRateLimiter<HttpContext> inner) : PartitionedRateLimiter<HttpContext>
{
    private static readonly ValueTask<RateLimitLease> Granted = new(GrantedLease.Instance);

    private static bool IsSentinel(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<SentinelEndpointMetadata>() is not null;

    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => IsSentinel(resource) ? inner.GetStatistics(resource) : null;

    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount) =>
        IsSentinel(resource) ? inner.AttemptAcquire(resource, permitCount) : GrantedLease.Instance;

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken) =>
        IsSentinel(resource) ? inner.AcquireAsync(resource, permitCount, cancellationToken) : Granted;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsyncCore().ConfigureAwait(false);
    }

    /// <summary>
    /// A lease that is always acquired and holds nothing, so one instance serves every request (the base class's
    /// dispose does nothing, so disposing it after a request leaves it usable).
    /// </summary>
    private sealed class GrantedLease : RateLimitLease
    {
        public static readonly GrantedLease Instance = new();

        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
