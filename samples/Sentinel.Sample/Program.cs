using Microsoft.AspNetCore.DataProtection;
using Sentinel.EntityFramework;
using Sentinel.Sample;

var builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://localhost:5080"); // --urls or ASPNETCORE_URLS override this
}

// The two lines a host adds: Sentinel, and where it keeps its data (a SQLite file by default).
var sentinel = builder.Services.AddSentinelAuth(o =>
    {
        builder.Configuration.GetSection("Sentinel").Bind(o);
        o.ApiKeys.Scopes.Add("reports:read", "Read reports").Add("reports:write", "Create reports");
        // The sample grants both scopes to every signed-in user; API keys get only the scopes they were given.
        o.ApiKeys.DefaultUserScopes.Add("reports:read");
        o.ApiKeys.DefaultUserScopes.Add("reports:write");
        // Links in the emails the sample writes to its mail folder point back at the sample's page.
        o.Email.ConfirmEmailUrl ??= "http://localhost:5080/?confirm={token}";
        o.Email.ResetPasswordUrl ??= "http://localhost:5080/?reset={token}";
    });

// SQLite by default; Sentinel__Sample__Database=PostgreSQL with a PostgreSQL connection string for a real server.
var connectionString = builder.Configuration.GetConnectionString("Sentinel") ?? "Data Source=sentinel-sample.db";
if (string.Equals(builder.Configuration["Sentinel:Sample:Database"], "PostgreSQL", StringComparison.OrdinalIgnoreCase))
{
    sentinel.AddPostgreSqlStores(connectionString);
}
else
{
    sentinel.AddSqliteStores(connectionString);
}

// Several instances behind a load balancer: ConnectionStrings__Redis=localhost:6379 (and PostgreSQL above) makes a
// sign-out or a revoked key on one instance count on every other at once, and shares the rate limits.
if (builder.Configuration.GetConnectionString("Redis") is { Length: > 0 } redis)
{
    sentinel.AddRedis(redis, o => builder.Configuration.GetSection("Sentinel:Redis").Bind(o));
}

// Signing keys are encrypted with Data Protection: keep its key ring where the data is, so restarts keep tokens valid.
if (builder.Configuration["Sentinel:Sample:KeysFolder"] is { Length: > 0 } keysFolder)
{
    builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keysFolder));
}

builder.Services.AddSingleton<Sentinel.Email.ISentinelEmailSender>(sp => new FolderEmailSender(
    Path.Combine(builder.Environment.ContentRootPath, builder.Configuration["Sentinel:Sample:MailFolder"] ?? "mail"),
    sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Sentinel.SentinelOptions>>().Value.Email.PasswordResetTokenLifetime,
    sp.GetRequiredService<ILogger<FolderEmailSender>>()));

var app = builder.Build();

await app.Services.MigrateSentinelDatabaseAsync();
await SampleSeed.SeedAdminAsync(app.Services, app.Configuration);

app.UseDefaultFiles();
app.UseStaticFiles();
app.UseSentinelAuth();
app.MapSentinelAuth("/auth");
app.MapSampleApi();
app.MapHealthChecks("/health"); // sentinel_store, and sentinel_redis with Redis

await app.RunAsync();

/// <summary>Entry point; public so that tests can host the sample with WebApplicationFactory.</summary>
public partial class Program;
