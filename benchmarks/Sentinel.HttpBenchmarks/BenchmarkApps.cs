using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using Sentinel.EntityFramework;

namespace Sentinel.HttpBenchmarks;

/// <summary>
/// The apps under test, each the way a team would write it, each serving <c>GET /api/profile</c> to an
/// authenticated caller:
/// bare (no authentication; plus a hand-written API key check against a dictionary on <c>/api/reports</c>),
/// jwtbearer (ASP.NET Core's JwtBearer validating Sentinel's ES256 tokens with the public key from its JWKS),
/// sentinel (Sentinel's bearer and API key schemes with revocation checks and the audit log on, SQLite),
/// identity (ASP.NET Core Identity's <c>MapIdentityApi</c> with its defaults, SQLite).
/// </summary>
internal static class BenchmarkApps
{
    public const string Issuer = "https://bench.sentinel.example";

    private static readonly object[] Reports = [new { id = 1, title = "Sign-ins this week" }];

    public static async Task<int> RunAsync(string name, string url, string data, string[] settings)
    {
        var values = settings.Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders(); // the same for every app: no console logging on the hot path

        WebApplication app;
        switch (name)
        {
            case "bare":
                app = builder.Build();
                // A hand-written API key check: the key (given on the command line) in a dictionary, compared as is.
                var keys = new Dictionary<string, string[]>(StringComparer.Ordinal) { [values["apiKey"]] = ["reports:read"] };
                app.MapGet("/api/profile", () => Results.Ok(new { userId = "anonymous" }));
                app.MapGet("/api/reports", (HttpContext context) =>
                    context.Request.Headers.TryGetValue("X-Api-Key", out var presented)
                    && keys.TryGetValue(presented.ToString(), out var scopes) && scopes.Contains("reports:read")
                        ? Results.Ok(Reports)
                        : Results.Unauthorized());
                break;

            case "jwtbearer":
                var jwks = new JsonWebKeySet(await File.ReadAllTextAsync(values["jwks"]));
                builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
                {
                    o.MapInboundClaims = false;
                    o.TokenValidationParameters = new TokenValidationParameters
                    {
                        ValidIssuer = Issuer,
                        ValidAudience = Issuer,
                        IssuerSigningKeys = jwks.GetSigningKeys(),
                        ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
                    };
                });
                builder.Services.AddAuthorization();
                app = builder.Build();
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapGet("/api/profile", (ClaimsPrincipal user) => Results.Ok(new { userId = user.FindFirstValue("sub") })).RequireAuthorization();
                break;

            case "sentinel":
                var sentinelBuilder = builder.Services.AddSentinelAuth(o =>
                {
                    o.Tokens.Issuer = Issuer;
                    o.RateLimits.Enabled = false; // all load comes from one address; the per-IP limits would refuse it
                    o.ApiKeys.RateLimitPermits = 1_000_000_000; // likewise the per-key limit
                    o.ApiKeys.Scopes.Add("reports:read", "Read reports");
                    o.ApiKeys.DefaultUserScopes.Add("reports:read"); // so a bearer user may call /api/reports too
                });
                if (values.TryGetValue("postgres", out var postgres))
                {
                    sentinelBuilder.AddPostgreSqlStores(postgres);
                }
                else
                {
                    sentinelBuilder.AddSqliteStores($"Data Source={Path.Combine(data, "sentinel.db")}");
                }

                app = builder.Build();
                await app.Services.MigrateSentinelDatabaseAsync();
                app.UseSentinelAuth();
                app.MapSentinelAuth("/auth");
                app.MapGet("/api/profile", (ClaimsPrincipal user) => Results.Ok(new { userId = user.FindFirstValue("sub") })).RequireAuthorization();
                app.MapGet("/api/reports", () => Results.Ok(Reports)).RequireAuthorization(p => p.RequireScope("reports:read"));
                break;

            case "identity":
                builder.Services.AddDbContext<IdentityBenchmarkDbContext>(o => o.UseSqlite($"Data Source={Path.Combine(data, "identity.db")}"));
                builder.Services.AddAuthorization();
                builder.Services.AddIdentityApiEndpoints<IdentityUser>().AddEntityFrameworkStores<IdentityBenchmarkDbContext>();
                app = builder.Build();
                await using (var scope = app.Services.CreateAsyncScope())
                {
                    await scope.ServiceProvider.GetRequiredService<IdentityBenchmarkDbContext>().Database.EnsureCreatedAsync();
                }

                app.UseAuthentication();
                app.UseAuthorization();
                app.MapIdentityApi<IdentityUser>();
                app.MapGet("/api/profile", (ClaimsPrincipal user) => Results.Ok(new { userId = user.FindFirstValue(ClaimTypes.NameIdentifier) })).RequireAuthorization();
                break;

            default:
                Console.Error.WriteLine($"Unknown app '{name}': bare, jwtbearer, sentinel or identity.");
                return 2;
        }

        app.MapGet("/ping", () => "ok");
        await app.RunAsync();
        return 0;
    }
}

/// <summary>Identity's own tables, as a team using <c>MapIdentityApi</c> would have them.</summary>
internal sealed class IdentityBenchmarkDbContext(DbContextOptions<IdentityBenchmarkDbContext> options) : IdentityDbContext<IdentityUser>(options);
