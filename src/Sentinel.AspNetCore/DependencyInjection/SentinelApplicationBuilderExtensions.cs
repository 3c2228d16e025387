using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds Sentinel's middleware and endpoints to an ASP.NET Core app.</summary>
public static class SentinelApplicationBuilderExtensions
{
    /// <summary>
    /// Store outages as 503 problem details, rate limiting, authentication and authorization, in the right order.
    /// Call after <c>UseRouting</c> (and <c>UseForwardedHeaders</c> behind a proxy) if you call them.
    /// </summary>
    public static IApplicationBuilder UseSentinelAuth(this IApplicationBuilder app) => app.UseSentinelAuth(_ => { });

    /// <summary>As <see cref="UseSentinelAuth(IApplicationBuilder)"/>, with <paramref name="configure"/> adjusting what the middleware does.</summary>
    public static IApplicationBuilder UseSentinelAuth(this IApplicationBuilder app, Action<SentinelAuthMiddlewareOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new SentinelAuthMiddlewareOptions();
        configure(options);
        app.UseMiddleware<Sentinel.AspNetCore.Http.StoreOutageMiddleware>(options.AnswerStoreOutagesEverywhere);
        // The rate limiting middleware runs where a limit can apply: Sentinel's endpoints, endpoints the host gave a
        // policy (RequireRateLimiting), or everything when the host set its own global limiter. Other requests skip
        // it, and with it the lock its partition lookups take on every request.
        var limiterOptions = app.ApplicationServices.GetRequiredService<IOptions<RateLimiterOptions>>().Value;
        if (limiterOptions.GlobalLimiter is Sentinel.AspNetCore.RateLimiting.SentinelEndpointsOnlyLimiter)
        {
            app.UseWhen(NeedsRateLimiter, branch => branch.UseRateLimiter());
        }
        else
        {
            app.UseRateLimiter();
        }

        app.UseAuthentication();
        app.UseAuthorization();
        if (!options.AnswerStoreOutagesEverywhere)
        {
            app.Use(Sentinel.AspNetCore.Http.StoreOutageMiddleware.MarkHostCode);
        }

        return app;
    }

    private static bool NeedsRateLimiter(HttpContext context) =>
        context.GetEndpoint()?.Metadata is { } metadata
        && (metadata.GetMetadata<Sentinel.AspNetCore.RateLimiting.SentinelEndpointMetadata>() is not null
            || metadata.GetMetadata<EnableRateLimitingAttribute>() is not null);
}

/// <summary>What <c>UseSentinelAuth()</c>'s middleware does beyond its defaults.</summary>
public sealed class SentinelAuthMiddlewareOptions
{
    /// <summary>
    /// Answers a store outage (a database error, a timeout, a lost connection, an unreadable secret) with 503
    /// <c>service_unavailable</c> on every endpoint, the host's own too. Default false: Sentinel answers for its own
    /// endpoints and for what it runs before the host's (authentication, rate limiting); a host endpoint's own
    /// database error reaches the host's error handling untouched.
    /// </summary>
    public bool AnswerStoreOutagesEverywhere { get; set; }
}
