using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

[assembly: AssemblyFixture(typeof(Sentinel.EntityFramework.Tests.SqliteTestDatabase))]
[assembly: AssemblyFixture(typeof(Sentinel.EntityFramework.Tests.PostgresTestDatabase))]

namespace Sentinel.EntityFramework.Tests;

/// <summary>A real SQLite file, migrated once for the whole test assembly and deleted after.</summary>
public sealed class SqliteTestDatabase : IAsyncLifetime
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"sentinel-ef-tests-{Guid.NewGuid():N}.db");

    public string ConnectionString => $"Data Source={_path};Pooling=True";

    public SentinelSqliteDbContext CreateContext() =>
        new(new DbContextOptionsBuilder<SentinelSqliteDbContext>().UseSqlite(ConnectionString).Options);

    public async ValueTask InitializeAsync()
    {
        await using var context = CreateContext();
        await context.Database.MigrateAsync();
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        File.Delete(_path);
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A real PostgreSQL database, created and migrated once for the whole test assembly and dropped after.
/// The server comes from <c>SENTINEL_TEST_POSTGRES</c> (an Npgsql connection string; <c>.ci/run</c> sets it).
/// Without it the PostgreSQL tests are skipped with that reason, except under CI, where they fail.
/// </summary>
public sealed class PostgresTestDatabase : IAsyncLifetime
{
    public const string Variable = "SENTINEL_TEST_POSTGRES";

    private readonly string? _server = Environment.GetEnvironmentVariable(Variable);

    public string ConnectionString { get; private set; } = "";

    public SentinelPostgreSqlDbContext CreateContext() =>
        new(new DbContextOptionsBuilder<SentinelPostgreSqlDbContext>().UseNpgsql(ConnectionString).Options);

    /// <summary>Call first in every PostgreSQL test: skips (or, under CI, fails) when no server is configured.</summary>
    public void RequireServer()
    {
        if (!string.IsNullOrWhiteSpace(_server))
        {
            return;
        }

        var reason = $"PostgreSQL tests need {Variable} (an Npgsql connection string to a server that may create databases); `bash .ci/run` sets it up.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("Under CI the PostgreSQL tests must run: " + reason);
        }

        Assert.Skip(reason);
    }

    public async ValueTask InitializeAsync()
    {
        if (string.IsNullOrWhiteSpace(_server))
        {
            return;
        }

        var builder = new NpgsqlConnectionStringBuilder(_server)
        {
            Database = $"sentinel_ef_{Environment.ProcessId}_{Guid.NewGuid():N}"[..40],
        };
        ConnectionString = builder.ConnectionString;
        await using var context = CreateContext();
        await context.Database.MigrateAsync(); // creates the database, then applies the shipped migrations
    }

    public async ValueTask DisposeAsync()
    {
        if (ConnectionString.Length == 0)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await using var context = CreateContext();
        await context.Database.EnsureDeletedAsync();
    }
}
