using System.Data.Common;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Sentinel.AspNetCore.Http;

/// <summary>
/// Answers a store that is down or timing out with 503 <c>service_unavailable</c> problem details and
/// <c>Retry-After</c>, never a 500 or a stack trace (SECURITY I2). Audit events of that time wait in the audit
/// queue and are written when the store returns. Secrets that cannot be decrypted (a Data Protection key ring that
/// was lost or not shared between instances) are an operator's fault of the same kind and get the same answer,
/// with their own log line. Other exceptions pass through untouched.
/// It answers for Sentinel's work only: its endpoints, and what runs before a host endpoint (rate limiting,
/// authentication, authorization). A host endpoint's own database error reaches the host's error handling as it
/// would without Sentinel, unless the host opts in for the whole app (<see cref="Microsoft.AspNetCore.Builder.SentinelAuthMiddlewareOptions.AnswerStoreOutagesEverywhere"/>).
/// </summary>
internal sealed partial class StoreOutageMiddleware(RequestDelegate next, ILogger<StoreOutageMiddleware> logger, bool everywhere)
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs after authorization: from here on, a request to an endpoint that is not Sentinel's runs the host's own
    /// code, whose faults are the host's to answer.
    /// </summary>
    public static Task MarkHostCode(HttpContext context, RequestDelegate next)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<SentinelOwnedEndpoint>() is null)
        {
            context.Features.Set(HostCodeRunning.Instance);
        }

        return next(context);
    }

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when ((IsStoreFault(e) || e is CryptographicException) && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested
            && (everywhere || context.Features.Get<HostCodeRunning>() is null))
        {
            if (e is CryptographicException)
            {
                SecretsUnreadable(logger, context.Request.Path);
            }
            else
            {
                StoreUnavailable(logger, e.GetType().Name, context.Request.Path);
            }

            context.Response.Clear();
            await SentinelProblems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, SentinelErrorCode.ServiceUnavailable,
                "The account store is unavailable; try again shortly.", RetryAfter).ConfigureAwait(false);
        }
    }

    /// <summary>A database error, a timeout or a network failure anywhere in the exception's chain.</summary>
    internal static bool IsStoreFault(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException or TimeoutException or SocketException)
            {
                return true;
            }
        }

        return exception is AggregateException aggregate && aggregate.InnerExceptions.Any(IsStoreFault);
    }

    // The exception's type and the path only: its message may quote SQL or a connection string.
    [LoggerMessage(2101, LogLevel.Error, "The store failed ({ExceptionType}) while serving {Path}; answered 503.")]
    private static partial void StoreUnavailable(ILogger logger, string exceptionType, PathString path);

    [LoggerMessage(2102, LogLevel.Error, "A stored secret (signing key or TOTP secret) could not be decrypted while serving {Path}; answered 503. " +
        "The Data Protection key ring is missing or differs from the one that encrypted it: persist it and share it between instances.")]
    private static partial void SecretsUnreadable(ILogger logger, PathString path);
}

/// <summary>Marks an endpoint as Sentinel's own (its groups and the JWKS), whose store faults Sentinel answers.</summary>
internal sealed class SentinelOwnedEndpoint
{
    public static readonly SentinelOwnedEndpoint Instance = new();
}

/// <summary>Set on a request once it has passed Sentinel's middleware on its way to a host endpoint.</summary>
internal sealed class HostCodeRunning
{
    public static readonly HostCodeRunning Instance = new();
}
