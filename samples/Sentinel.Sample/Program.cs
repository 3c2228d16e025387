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
        // Passkeys belong to a domain: the sample's is localhost, served from its default address
        // (Sentinel__Passkeys__RelyingPartyId and Sentinel__Passkeys__Origins__0 for another).
        o.Passkeys.RelyingPartyId ??= "localhost";
        if (o.Passkeys.Origins.Count == 0)
        {
            o.Passkeys.Origins.Add("http://localhost:5080");
        }
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

// Signing keys and TOTP secrets are encrypted with Data Protection. The EF stores keep its key ring in Sentinel's
// database, so restarts keep tokens and authenticators working; Sentinel:Sample:KeysFolder keeps it in a folder instead.
// One application name on every instance: Data Protection's default is the content root, so instances installed in
// different folders (or a blue-green deploy to a new path) could not read each other's secrets.
var dataProtection = builder.Services.AddDataProtection();
if ((builder.Configuration["Sentinel:Sample:ApplicationName"] ?? "Sentinel.Sample") is { Length: > 0 } applicationName)
{
    dataProtection.SetApplicationName(applicationName);
}

if (builder.Configuration["Sentinel:Sample:KeysFolder"] is { Length: > 0 } keysFolder)
{
    dataProtection.PersistKeysToFileSystem(new DirectoryInfo(keysFolder));
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
