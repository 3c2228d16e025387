using System.Security.Claims;

namespace Sentinel.Sample;

/// <summary>A public greeting.</summary>
/// <param name="Message">The text.</param>
public sealed record Hello(string Message);

/// <summary>What <c>GET /api/profile</c> returns.</summary>
/// <param name="UserId">The caller's user id.</param>
/// <param name="Roles">The caller's roles.</param>
public sealed record Profile(string UserId, IReadOnlyList<string> Roles);

/// <summary>A demo report.</summary>
/// <param name="Id">Its number.</param>
/// <param name="Title">Its title.</param>
public sealed record Report(int Id, string Title);

/// <summary>The sample's demo API of docs/API.md, "The sample app".</summary>
internal static class SampleApi
{
    private static readonly Report[] Reports = [new(1, "Sign-ins this week"), new(2, "Failed sign-ins by country")];

    public static void MapSampleApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/hello", () => TypedResults.Ok(new Hello("Hello from the Sentinel sample.")));

        app.MapGet("/api/profile", (ClaimsPrincipal user) =>
                TypedResults.Ok(new Profile(user.FindFirstValue("sub") ?? "", user.FindAll("role").Select(c => c.Value).ToArray())))
            .RequireAuthorization();

        // A bearer token or an API key (X-Api-Key): the key must hold the scope; users hold both (see Program.cs).
        app.MapGet("/api/reports", () => TypedResults.Ok(Reports)).RequireAuthorization(p => p.RequireScope("reports:read"));
        app.MapPost("/api/reports", (Report report) => TypedResults.Created($"/api/reports/{report.Id}", report))
            .RequireAuthorization(p => p.RequireScope("reports:write"));
    }
}
