using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Sentinel.EntityFramework.Sessions;
using Sentinel.EntityFramework.Tokens;
using Sentinel.EntityFramework.Users;
using Sentinel.Sessions;
using Sentinel.Specification;
using Sentinel.Tokens;
using Sentinel.Users;

namespace Sentinel.EntityFramework.Tests;

/// <summary>Hands out stores over fresh contexts of one database and disposes the contexts after the test.</summary>
internal sealed class ContextPool<TContext>(Func<TContext> create) : IDisposable where TContext : DbContext
{
    private readonly List<TContext> _contexts = [];

    public TContext Next()
    {
        var context = create();
        lock (_contexts)
        {
            _contexts.Add(context);
        }

        return context;
    }

    public void Dispose() => _contexts.ForEach(c => c.Dispose());
}

/// <summary>The user store conformance suite on a real, migrated SQLite file.</summary>
public sealed class SqliteUserStoreTests(SqliteTestDatabase database) : UserStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelSqliteDbContext> _pool = new(database.CreateContext);

    protected override ValueTask<IUserStore> CreateStoreAsync() =>
        ValueTask.FromResult<IUserStore>(new EntityFrameworkUserStore<SentinelSqliteDbContext>(_pool.Next()));

    public void Dispose() => _pool.Dispose();
}

/// <summary>The user store conformance suite on a real, migrated PostgreSQL database.</summary>
public sealed class PostgresUserStoreTests(PostgresTestDatabase database) : UserStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelPostgreSqlDbContext> _pool = new(database.CreateContext);

    protected override ValueTask<IUserStore> CreateStoreAsync()
    {
        database.RequireServer();
        return ValueTask.FromResult<IUserStore>(new EntityFrameworkUserStore<SentinelPostgreSqlDbContext>(_pool.Next()));
    }

    public void Dispose() => _pool.Dispose();
}

/// <summary>The session store conformance suite on SQLite, including the concurrent-spend fact (T9).</summary>
public sealed class SqliteSessionStoreTests(SqliteTestDatabase database) : SessionStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelSqliteDbContext> _pool = new(database.CreateContext);

    protected override ValueTask<ISessionStore> CreateStoreAsync() =>
        ValueTask.FromResult<ISessionStore>(new EntityFrameworkSessionStore<SentinelSqliteDbContext>(_pool.Next()));

    public void Dispose() => _pool.Dispose();
}

/// <summary>The session store conformance suite on PostgreSQL, including the concurrent-spend fact (T9).</summary>
public sealed class PostgresSessionStoreTests(PostgresTestDatabase database) : SessionStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelPostgreSqlDbContext> _pool = new(database.CreateContext);

    protected override ValueTask<ISessionStore> CreateStoreAsync()
    {
        database.RequireServer();
        return ValueTask.FromResult<ISessionStore>(new EntityFrameworkSessionStore<SentinelPostgreSqlDbContext>(_pool.Next()));
    }

    public void Dispose() => _pool.Dispose();
}

/// <summary>The signing key store conformance suite on SQLite.</summary>
public sealed class SqliteSigningKeyStoreTests(SqliteTestDatabase database) : SigningKeyStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelSqliteDbContext> _pool = new(database.CreateContext);

    protected override ValueTask<ISigningKeyStore> CreateStoreAsync() =>
        ValueTask.FromResult<ISigningKeyStore>(new EntityFrameworkSigningKeyStore<SentinelSqliteDbContext>(_pool.Next()));

    public void Dispose() => _pool.Dispose();
}

/// <summary>The signing key store conformance suite on PostgreSQL.</summary>
public sealed class PostgresSigningKeyStoreTests(PostgresTestDatabase database) : SigningKeyStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelPostgreSqlDbContext> _pool = new(database.CreateContext);

    protected override ValueTask<ISigningKeyStore> CreateStoreAsync()
    {
        database.RequireServer();
        return ValueTask.FromResult<ISigningKeyStore>(new EntityFrameworkSigningKeyStore<SentinelPostgreSqlDbContext>(_pool.Next()));
    }

    public void Dispose() => _pool.Dispose();
}

/// <summary>The MFA store conformance suite on SQLite.</summary>
public sealed class SqliteMfaStoreTests(SqliteTestDatabase database) : MfaStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelSqliteDbContext> _pool = new(database.CreateContext);

    protected override ValueTask<Sentinel.Mfa.IMfaStore> CreateStoreAsync() =>
        ValueTask.FromResult<Sentinel.Mfa.IMfaStore>(new Sentinel.EntityFramework.Mfa.EntityFrameworkMfaStore<SentinelSqliteDbContext>(_pool.Next()));

    public void Dispose() => _pool.Dispose();
}

/// <summary>The MFA store conformance suite on PostgreSQL.</summary>
public sealed class PostgresMfaStoreTests(PostgresTestDatabase database) : MfaStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelPostgreSqlDbContext> _pool = new(database.CreateContext);

    protected override ValueTask<Sentinel.Mfa.IMfaStore> CreateStoreAsync()
    {
        database.RequireServer();
        return ValueTask.FromResult<Sentinel.Mfa.IMfaStore>(new Sentinel.EntityFramework.Mfa.EntityFrameworkMfaStore<SentinelPostgreSqlDbContext>(_pool.Next()));
    }

    public void Dispose() => _pool.Dispose();
}

/// <summary>The API key store conformance suite on SQLite.</summary>
public sealed class SqliteApiKeyStoreTests(SqliteTestDatabase database) : ApiKeyStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelSqliteDbContext> _pool = new(database.CreateContext);

    protected override ValueTask<Sentinel.ApiKeys.IApiKeyStore> CreateStoreAsync() =>
        ValueTask.FromResult<Sentinel.ApiKeys.IApiKeyStore>(new Sentinel.EntityFramework.ApiKeys.EntityFrameworkApiKeyStore<SentinelSqliteDbContext>(_pool.Next()));

    public void Dispose() => _pool.Dispose();
}

/// <summary>The API key store conformance suite on PostgreSQL.</summary>
public sealed class PostgresApiKeyStoreTests(PostgresTestDatabase database) : ApiKeyStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelPostgreSqlDbContext> _pool = new(database.CreateContext);

    protected override ValueTask<Sentinel.ApiKeys.IApiKeyStore> CreateStoreAsync()
    {
        database.RequireServer();
        return ValueTask.FromResult<Sentinel.ApiKeys.IApiKeyStore>(new Sentinel.EntityFramework.ApiKeys.EntityFrameworkApiKeyStore<SentinelPostgreSqlDbContext>(_pool.Next()));
    }

    public void Dispose() => _pool.Dispose();
}

/// <summary>The audit store conformance suite on SQLite, tampering by SQL (SECURITY A3).</summary>
public sealed class SqliteAuditStoreTests(SqliteTestDatabase database) : AuditStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelSqliteDbContext> _pool = new(database.CreateContext);

    protected override async ValueTask<Sentinel.Audit.IAuditStore> CreateEmptyStoreAsync()
    {
        var context = _pool.Next();
        await context.Database.ExecuteSqlRawAsync("DELETE FROM sentinel_audit_events; DELETE FROM sentinel_audit_anchor;", TestContext.Current.CancellationToken);
        return new Sentinel.EntityFramework.Audit.EntityFrameworkAuditStore<SentinelSqliteDbContext>(context);
    }

    protected override ValueTask<Sentinel.Audit.IAuditStore> CreateStoreAsync() =>
        ValueTask.FromResult<Sentinel.Audit.IAuditStore>(new Sentinel.EntityFramework.Audit.EntityFrameworkAuditStore<SentinelSqliteDbContext>(_pool.Next()));

    protected override async ValueTask EditTypeAsync(long sequence, string type) =>
        (await _pool.Next().Database.ExecuteSqlAsync($"UPDATE sentinel_audit_events SET \"Type\" = {type} WHERE \"Sequence\" = {sequence}", TestContext.Current.CancellationToken)).Should().Be(1);

    protected override async ValueTask DeleteAsync(long sequence) =>
        (await _pool.Next().Database.ExecuteSqlAsync($"DELETE FROM sentinel_audit_events WHERE \"Sequence\" = {sequence}", TestContext.Current.CancellationToken)).Should().Be(1);

    public void Dispose() => _pool.Dispose();
}

/// <summary>The audit store conformance suite on PostgreSQL, tampering by SQL (SECURITY A3).</summary>
public sealed class PostgresAuditStoreTests(PostgresTestDatabase database) : AuditStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelPostgreSqlDbContext> _pool = new(database.CreateContext);

    protected override async ValueTask<Sentinel.Audit.IAuditStore> CreateEmptyStoreAsync()
    {
        database.RequireServer();
        var context = _pool.Next();
        await context.Database.ExecuteSqlRawAsync("DELETE FROM sentinel_audit_events; DELETE FROM sentinel_audit_anchor;", TestContext.Current.CancellationToken);
        return new Sentinel.EntityFramework.Audit.EntityFrameworkAuditStore<SentinelPostgreSqlDbContext>(context);
    }

    protected override ValueTask<Sentinel.Audit.IAuditStore> CreateStoreAsync() =>
        ValueTask.FromResult<Sentinel.Audit.IAuditStore>(new Sentinel.EntityFramework.Audit.EntityFrameworkAuditStore<SentinelPostgreSqlDbContext>(_pool.Next()));

    protected override async ValueTask EditTypeAsync(long sequence, string type) =>
        (await _pool.Next().Database.ExecuteSqlAsync($"UPDATE sentinel_audit_events SET \"Type\" = {type} WHERE \"Sequence\" = {sequence}", TestContext.Current.CancellationToken)).Should().Be(1);

    protected override async ValueTask DeleteAsync(long sequence) =>
        (await _pool.Next().Database.ExecuteSqlAsync($"DELETE FROM sentinel_audit_events WHERE \"Sequence\" = {sequence}", TestContext.Current.CancellationToken)).Should().Be(1);

    public void Dispose() => _pool.Dispose();
}

/// <summary>The one-time token store conformance suite on SQLite, including the concurrent spend.</summary>
public sealed class SqliteOneTimeTokenStoreTests(SqliteTestDatabase database) : OneTimeTokenStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelSqliteDbContext> _pool = new(database.CreateContext);

    protected override ValueTask<Sentinel.Email.IOneTimeTokenStore> CreateStoreAsync() =>
        ValueTask.FromResult<Sentinel.Email.IOneTimeTokenStore>(new Sentinel.EntityFramework.Email.EntityFrameworkOneTimeTokenStore<SentinelSqliteDbContext>(_pool.Next()));

    public void Dispose() => _pool.Dispose();
}

/// <summary>The one-time token store conformance suite on PostgreSQL, including the concurrent spend.</summary>
public sealed class PostgresOneTimeTokenStoreTests(PostgresTestDatabase database) : OneTimeTokenStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelPostgreSqlDbContext> _pool = new(database.CreateContext);

    protected override ValueTask<Sentinel.Email.IOneTimeTokenStore> CreateStoreAsync()
    {
        database.RequireServer();
        return ValueTask.FromResult<Sentinel.Email.IOneTimeTokenStore>(new Sentinel.EntityFramework.Email.EntityFrameworkOneTimeTokenStore<SentinelPostgreSqlDbContext>(_pool.Next()));
    }

    public void Dispose() => _pool.Dispose();
}

/// <summary>The passkey store conformance suite on SQLite, including the concurrent challenge spend.</summary>
public sealed class SqlitePasskeyStoreTests(SqliteTestDatabase database) : PasskeyStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelSqliteDbContext> _pool = new(database.CreateContext);

    protected override ValueTask<Sentinel.Passkeys.IPasskeyStore> CreateStoreAsync() =>
        ValueTask.FromResult<Sentinel.Passkeys.IPasskeyStore>(new Sentinel.EntityFramework.Passkeys.EntityFrameworkPasskeyStore<SentinelSqliteDbContext>(_pool.Next()));

    public void Dispose() => _pool.Dispose();
}

/// <summary>The passkey store conformance suite on PostgreSQL, including the concurrent challenge spend.</summary>
public sealed class PostgresPasskeyStoreTests(PostgresTestDatabase database) : PasskeyStoreSpecification, IDisposable
{
    private readonly ContextPool<SentinelPostgreSqlDbContext> _pool = new(database.CreateContext);

    protected override ValueTask<Sentinel.Passkeys.IPasskeyStore> CreateStoreAsync()
    {
        database.RequireServer();
        return ValueTask.FromResult<Sentinel.Passkeys.IPasskeyStore>(new Sentinel.EntityFramework.Passkeys.EntityFrameworkPasskeyStore<SentinelPostgreSqlDbContext>(_pool.Next()));
    }

    public void Dispose() => _pool.Dispose();
}
