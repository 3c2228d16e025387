using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Sentinel.Sessions;

namespace Sentinel.EntityFramework.Tests;

/// <summary>SECURITY T11 on an upgraded database: sessions from before get their creation as their sign-in time.</summary>
public sealed class SessionAuthenticatedAtMigrationTests(PostgresTestDatabase postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task T11_ExistingSessions_AreAuthenticatedWhenTheyWereCreated_OnSqlite()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sentinel-t11-{Guid.NewGuid():N}.db");
        try
        {
            await using var context = new SentinelSqliteDbContext(new DbContextOptionsBuilder<SentinelSqliteDbContext>().UseSqlite($"Data Source={path}").Options);
            await RunAsync(context);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }

    [Fact]
    public async Task T11_ExistingSessions_AreAuthenticatedWhenTheyWereCreated_OnPostgres()
    {
        postgres.RequireServer();
        var connection = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable(PostgresTestDatabase.Variable))
        {
            Database = $"sentinel_t11_{Guid.NewGuid():N}"[..40],
        }.ConnectionString;
        await using var context = new SentinelPostgreSqlDbContext(new DbContextOptionsBuilder<SentinelPostgreSqlDbContext>().UseNpgsql(connection).Options);
        try
        {
            await RunAsync(context);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await context.Database.EnsureDeletedAsync(Ct);
        }
    }

    private static async Task RunAsync(SentinelDbContext context)
    {
        await context.Database.MigrateAsync(Ct);
        var created = new DateTimeOffset(2026, 11, 30, 8, 15, 0, TimeSpan.Zero);
        var session = new SentinelSession
        {
            Id = Guid.CreateVersion7(), UserId = Guid.CreateVersion7(), CreatedAt = created, LastUsedAt = created.AddHours(3),
            ExpiresAt = created.AddDays(30), AuthenticatedAt = created.AddHours(3), AuthenticationMethods = ["pwd"],
        };
        context.Set<SentinelSession>().Add(session);
        await context.SaveChangesAsync(Ct);

        // Back to the schema before the column, then forward again, as an upgrade from the previous version runs.
        var all = context.Database.GetMigrations().ToList();
        var index = all.FindIndex(m => m.EndsWith("_SessionAuthenticatedAt", StringComparison.Ordinal));
        var migrator = context.GetService<IMigrator>();
        await migrator.MigrateAsync(all[index - 1], Ct);
        await migrator.MigrateAsync(cancellationToken: Ct);
        context.ChangeTracker.Clear();

        (await context.Set<SentinelSession>().AsNoTracking().SingleAsync(s => s.Id == session.Id, Ct)).AuthenticatedAt.Should().Be(created);
    }
}
