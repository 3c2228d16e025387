using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sentinel.Audit;
using Sentinel.AspNetCore.Authentication;
using Sentinel.AspNetCore.Endpoints.Contracts;
using Sentinel.AspNetCore.Http;

namespace Sentinel.AspNetCore.Endpoints;

/// <summary>The audit log: <c>GET /audit</c> (admin), <c>GET /audit/me</c>, <c>GET /audit/verify</c> (admin).</summary>
internal static class AuditEndpoints
{
    public static RouteGroupBuilder MapAuditEndpoints(this RouteGroupBuilder group)
    {
        var audit = group.MapGroup("/audit");

        audit.MapGet("/", QueryAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.AdminPolicy)
            .Produces<AuditPageResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithName("SentinelQueryAudit")
            .WithSummary("Everyone's security events, newest first, filtered by userId, type, outcome, from and to; pages by cursor.");

        audit.MapGet("/me", QueryOwnAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.UserPolicy)
            .Produces<AuditPageResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithName("SentinelQueryOwnAudit")
            .WithSummary("The caller's own security events, newest first; pages by cursor.");

        audit.MapGet("/verify", VerifyAsync)
            .RequireAuthorization(SentinelAuthenticationDefaults.AdminPolicy)
            .Produces<AuditVerificationResponse>()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .WithName("SentinelVerifyAudit")
            .WithSummary("Walks the hash chain from its anchor to the newest event and reports the first that does not match.");
        return group;
    }

    private static async Task<IResult> QueryAsync(HttpContext http, AuditService audit)
    {
        var query = http.Request.Query;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var filter = new AuditQuery
        {
            UserId = Parse(query, "userId", errors, v => Guid.TryParse(v, CultureInfo.InvariantCulture, out var g) ? g : (Guid?)null, "Must be a user id."),
            Type = query["type"].ToString() is { Length: > 0 } type ? type : null,
            Outcome = Parse(query, "outcome", errors, v => v switch { "success" => AuditOutcome.Success, "failure" => AuditOutcome.Failure, _ => (AuditOutcome?)null }, "Must be success or failure."),
            From = Parse(query, "from", errors, ParseInstant, "Must be an ISO 8601 instant with an offset, such as 2026-11-28T14:40:03Z."),
            To = Parse(query, "to", errors, ParseInstant, "Must be an ISO 8601 instant with an offset, such as 2026-11-28T14:40:03Z."),
        };
        return await PageAsync(http, audit, filter, errors).ConfigureAwait(false);
    }

    private static Task<IResult> QueryOwnAsync(HttpContext http, AuditService audit) =>
        PageAsync(http, audit, new AuditQuery { UserId = http.User.UserId() }, new Dictionary<string, string[]>(StringComparer.Ordinal));

    private static async Task<IResult> VerifyAsync(HttpContext http, AuditService audit)
    {
        var result = await audit.VerifyAsync(http.RequestAborted).ConfigureAwait(false);
        return TypedResults.Json(new AuditVerificationResponse(result.Valid, result.Checked, result.FirstInvalidId), SentinelJsonContext.Default.AuditVerificationResponse);
    }

    private static async Task<IResult> PageAsync(HttpContext http, AuditService audit, AuditQuery filter, Dictionary<string, string[]> errors)
    {
        var query = http.Request.Query;
        var limit = Parse(query, "limit", errors, v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : (int?)null, $"Must be a whole number from 1 to {AuditOptions.MaxPageSize}.");
        if (errors.Count > 0)
        {
            return SentinelProblems.ToResult(SentinelError.Validation(errors));
        }

        var cursor = query["cursor"].ToString() is { Length: > 0 } c ? c : null;
        var result = await audit.QueryAsync(filter, cursor, limit, http.RequestAborted).ConfigureAwait(false);
        if (!result.TryGetValue(out var page))
        {
            return SentinelProblems.ToResult(result.Error!);
        }

        var items = page.Items.Select(e => new AuditEventResponse(
            e.Id, e.Timestamp, e.Type, e.Outcome == AuditOutcome.Success ? "success" : "failure", e.UserId, e.ApiKeyId, e.SessionId,
            e.IpAddress, e.UserAgent, e.TraceId, e.Details)).ToArray();
        return TypedResults.Json(new AuditPageResponse(items, page.NextCursor), SentinelJsonContext.Default.AuditPageResponse);
    }

    private static T? Parse<T>(IQueryCollection query, string name, Dictionary<string, string[]> errors, Func<string, T?> parse, string message)
        where T : struct
    {
        var values = query[name];
        if (values.Count == 0)
        {
            return null;
        }

        if (values.Count == 1 && parse(values[0]!) is { } value)
        {
            return value;
        }

        errors[name] = [message];
        return null;
    }

    private static DateTimeOffset? ParseInstant(string value) =>
        value.Length <= 40 && (value.EndsWith('Z') || value.LastIndexOfAny(['+', '-']) > 10)
        && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var instant) ? instant : null;
}
