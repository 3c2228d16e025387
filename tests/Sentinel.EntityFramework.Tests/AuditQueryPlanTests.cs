using System.Data.Common;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Sentinel.Audit;
using Sentinel.EntityFramework.Audit;

namespace Sentinel.EntityFramework.Tests;

/// <summary>
/// The audit queries of API.md ("one user's history", "every event of a type", newest first with a cursor) are
/// answered from the indexes, in index order: SQLite's plan for each names an index and sorts nothing, so a query
/// reads about as many rows as it returns however large the log grows.
/// </summary>
public sealed class AuditQueryPlanTests(SqliteTestDatabase sqlite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string?> Queries => new()
    {
        { "user", "IX_sentinel_audit_events_UserId_Sequence" },
        { "user, after a cursor", "IX_sentinel_audit_events_UserId_Sequence" },
        { "type", "IX_sentinel_audit_events_Type_Sequence" },
        { "type and outcome", "IX_sentinel_audit_events_Type_Sequence" },
        { "outcome only", null }, // newest first along the primary key, filtered, stopping at the limit
        { "everything", null },
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task AuditQuery_ReadsInIndexOrder_AndSortsNothing(string name, string? index)
    {
        var query = name switch
        {
            "user" => new AuditQuery { UserId = Guid.NewGuid() },
            "user, after a cursor" => new AuditQuery { UserId = Guid.NewGuid(), BeforeSequence = 1_000 },
            "type" => new AuditQuery { Type = AuditEventTypes.LoginFailed },
            "type and outcome" => new AuditQuery { Type = AuditEventTypes.LoginFailed, Outcome = AuditOutcome.Failure },
            "outcome only" => new AuditQuery { Outcome = AuditOutcome.Failure },
            _ => new AuditQuery(),
        };
        var sql = new CapturedCommands();
        await using (var context = new SentinelSqliteDbContext(new DbContextOptionsBuilder<SentinelSqliteDbContext>()
            .UseSqlite(sqlite.ConnectionString).AddInterceptors(sql).Options))
        {
            await new EntityFrameworkAuditStore<SentinelSqliteDbContext>(context).QueryAsync(query, Ct);
        }

        var plan = await PlanAsync(sql.Last!);
        plan.Should().NotContain(d => d.Contains("TEMP B-TREE", StringComparison.Ordinal), "rows come in index order; nothing is sorted");
        if (index is not null)
        {
            plan.Should().Contain(d => d.Contains(index, StringComparison.Ordinal), "the query for {0} searches its index", name);
        }
    }

    private async Task<List<string>> PlanAsync(DbCommand captured)
    {
        await using var connection = new SqliteConnection(sqlite.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + captured.CommandText;
        foreach (DbParameter p in captured.Parameters)
        {
            explain.Parameters.AddWithValue(p.ParameterName, p.Value ?? DBNull.Value);
        }

        var details = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            details.Add(reader.GetString(3));
        }

        return details;
    }

    private sealed class CapturedCommands : DbCommandInterceptor
    {
        public DbCommand? Last { get; private set; }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Last = command;
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}
