using Sentinel.EntityFramework.Users;
using Sentinel.Specification;
using Sentinel.Users;

namespace Sentinel.EntityFramework.Tests;

/// <summary>The store conformance suite on a real, migrated SQLite file.</summary>
public sealed class SqliteUserStoreTests(SqliteTestDatabase database) : UserStoreSpecification, IDisposable
{
    private readonly List<IDisposable> _contexts = [];

    protected override ValueTask<IUserStore> CreateStoreAsync()
    {
        var context = database.CreateContext();
        _contexts.Add(context);
        return ValueTask.FromResult<IUserStore>(new EntityFrameworkUserStore<SentinelSqliteDbContext>(context));
    }

    public void Dispose() => _contexts.ForEach(c => c.Dispose());
}

/// <summary>The store conformance suite on a real, migrated PostgreSQL database.</summary>
public sealed class PostgresUserStoreTests(PostgresTestDatabase database) : UserStoreSpecification, IDisposable
{
    private readonly List<IDisposable> _contexts = [];

    protected override ValueTask<IUserStore> CreateStoreAsync()
    {
        database.RequireServer();
        var context = database.CreateContext();
        _contexts.Add(context);
        return ValueTask.FromResult<IUserStore>(new EntityFrameworkUserStore<SentinelPostgreSqlDbContext>(context));
    }

    public void Dispose() => _contexts.ForEach(c => c.Dispose());
}
