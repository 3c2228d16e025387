using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Sentinel.HttpBenchmarks;

/// <summary>
/// Start-up time of the Sentinel app on PostgreSQL: from process start to the first answer, on an empty database
/// and after N revoked (not yet expired) sessions and N API keys are added by SQL. Revoked sessions are loaded into
/// memory at start; keys are not (they are verified from the store on first use).
/// </summary>
internal static class StartupBenchmark
{
    public static async Task<int> RunAsync(int size)
    {
        var server = Environment.GetEnvironmentVariable("SENTINEL_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(server))
        {
            Console.Error.WriteLine("Set SENTINEL_TEST_POSTGRES to an Npgsql connection string for a role that may create databases.");
            return 1;
        }

        var connection = new NpgsqlConnectionStringBuilder(server) { Database = $"sentinel_startup_{Guid.NewGuid():N}"[..36] }.ConnectionString;
        var data = Directory.CreateTempSubdirectory("sentinel-startup-bench-");
        using var http = new HttpClient();
        try
        {
            var first = await TimeStartAsync(data.FullName, connection, http); // creates and migrates the database
            var empty = await TimeStartAsync(data.FullName, connection, http);

            var seeding = Stopwatch.StartNew();
            await SeedAsync(connection, size);
            seeding.Stop();
            var full = await TimeStartAsync(data.FullName, connection, http);
            var again = await TimeStartAsync(data.FullName, connection, http);

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                Sentinel app on PostgreSQL, process start to first answer (includes the .NET runtime's own start):

                | database | start-up |
                |---|---:|
                | new (created and migrated) | {first.TotalSeconds:0.00} s |
                | empty | {empty.TotalSeconds:0.00} s |
                | {size:N0} revoked sessions and {size:N0} API keys | {full.TotalSeconds:0.00} s (again: {again.TotalSeconds:0.00} s) |

                Seeding by SQL took {seeding.Elapsed.TotalSeconds:0} s.
                """));
            return 0;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using (var admin = new NpgsqlConnection(server))
            {
                await admin.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{new NpgsqlConnectionStringBuilder(connection).Database}\" WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
            }

            data.Delete(recursive: true);
        }
    }

    private static async Task<TimeSpan> TimeStartAsync(string data, string connection, HttpClient http)
    {
        var watch = Stopwatch.StartNew();
        var apps = new List<AppProcess>();
        try
        {
            await AppProcess.StartAsync("sentinel", data, apps, http, $"postgres={connection}");
            return watch.Elapsed;
        }
        finally
        {
            foreach (var app in apps)
            {
                app.Dispose();
            }
        }
    }

    private static async Task SeedAsync(string connection, int size)
    {
        // Times are UTC ticks, as Sentinel's EF model stores them; sessions revoked now and expiring in 30 days.
        var now = DateTimeOffset.UtcNow.UtcTicks;
        var expires = DateTimeOffset.UtcNow.AddDays(30).UtcTicks;
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        foreach (var sql in new[]
                 {
                     $"""
                     INSERT INTO sentinel_sessions ("Id", "UserId", "CreatedAt", "LastUsedAt", "ExpiresAt", "AuthenticationMethods", "RevokedAt", "RevokedReason")
                     SELECT gen_random_uuid(), gen_random_uuid(), {now}, {now}, {expires}, ARRAY['pwd'], {now}, 'logout' FROM generate_series(1, {size})
                     """,
                     $"""
                     INSERT INTO sentinel_api_keys ("Id", "UserId", "Name", "Hash", "DisplayPrefix", "Scopes", "CreatedAt")
                     SELECT gen_random_uuid(), gen_random_uuid(), 'key ' || i, md5(i::text) || md5((-i)::text), 'sk_seeded', ARRAY['reports:read'], {now}
                     FROM generate_series(1, {size}) AS i
                     """,
                     "ANALYZE",
                 })
        {
            await using var command = new NpgsqlCommand(sql, db) { CommandTimeout = 900 };
            await command.ExecuteNonQueryAsync();
        }
    }
}
