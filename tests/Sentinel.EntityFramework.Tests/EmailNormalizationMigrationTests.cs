using System.Collections.Concurrent;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sentinel.Passwords;
using Sentinel.SignIn;
using Sentinel.Users;

namespace Sentinel.EntityFramework.Tests;

/// <summary>
/// SECURITY P6 on a database that holds accounts from before: <c>MigrateSentinelDatabaseAsync</c> re-normalises the
/// stored emails once (NFKC, case folding, IDNA), keeps both accounts when two turn out to share a mailbox, and
/// after it a look-alike form finds the one account.
/// </summary>
public sealed class EmailNormalizationMigrationTests(PostgresTestDatabase postgres)
{
    private const string Password = "correct horse battery";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task P6_TheMigration_RenormalisesStoredEmails_OnSqlite()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sentinel-p6-{Guid.NewGuid():N}.db");
        try
        {
            await RunAsync(b => b.AddSqliteStores($"Data Source={path}"));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }

    [Fact]
    public async Task P6_TheMigration_RenormalisesStoredEmails_OnPostgres()
    {
        postgres.RequireServer();
        var connection = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable(PostgresTestDatabase.Variable))
        {
            Database = $"sentinel_p6_{Guid.NewGuid():N}"[..40],
        }.ConnectionString;
        try
        {
            await RunAsync(b => b.AddPostgreSqlStores(connection));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var context = new SentinelPostgreSqlDbContext(new DbContextOptionsBuilder<SentinelPostgreSqlDbContext>().UseNpgsql(connection).Options);
            await context.Database.EnsureDeletedAsync(Ct);
        }
    }

    private static async Task RunAsync(Action<SentinelBuilder> stores)
    {
        var logs = new CapturingLogs();
        var services = new ServiceCollection();
        services.AddLogging(l => l.AddProvider(logs));
        stores(services.AddSentinelCore(o =>
        {
            o.Passwords.Argon2MemoryKiB = 64;
            o.Passwords.Argon2Iterations = 1;
        }));
        await using var provider = services.BuildServiceProvider();

        // The database as the previous version left it: migrated up to just before the marker, rows normalised the old
        // way (Trim().ToUpperInvariant(), which keeps full-width letters full-width).
        var hasher = provider.GetRequiredService<IPasswordHasher>();
        var twin = User("\uFF42ob@company.com", hasher); // registered first, the look-alike
        var bob = User("bob@company.com", hasher);
        var carol = User("\uFF43arol@example.com", hasher); // only ever typed full-width
        var dave = User("Dave@Example.com", hasher);
        await using (var scope = provider.CreateAsyncScope())
        {
            var context = scope.ServiceProvider.GetRequiredService<SentinelDbContext>();
            // Rows are written with today's model, then the schema is taken back to just before the marker (later
            // migrations' Down keeps the rows), as a database of the previous version would be.
            await context.Database.MigrateAsync(Ct);
            context.Set<SentinelUser>().AddRange(twin, bob, carol, dave);
            await context.SaveChangesAsync(Ct);
            var all = context.Database.GetMigrations().ToList();
            var marker = all.FindIndex(m => m.EndsWith("_EmailNormalization", StringComparison.Ordinal));
            marker.Should().BePositive();
            await context.GetService<IMigrator>().MigrateAsync(all[marker - 1], Ct);
            (await context.Database.GetPendingMigrationsAsync(Ct)).Should().Contain(all[marker]);
        }

        await provider.MigrateSentinelDatabaseAsync(Ct);

        await using (var scope = provider.CreateAsyncScope())
        {
            var context = scope.ServiceProvider.GetRequiredService<SentinelDbContext>();
            (await context.Database.GetPendingMigrationsAsync(Ct)).Should().BeEmpty();
            var stored = await context.Set<SentinelUser>().AsNoTracking().ToDictionaryAsync(u => u.Id, u => u.NormalizedEmail, Ct);
            stored[carol.Id].Should().Be("CAROL@EXAMPLE.COM");
            stored[dave.Id].Should().Be("DAVE@EXAMPLE.COM");
            stored[bob.Id].Should().Be("BOB@COMPANY.COM");
            stored[twin.Id].Should().Be(twin.NormalizedEmail, "the mailbox is taken: the look-alike keeps its old value, and its row");
            logs.Lines.Should().Contain(l => l.EventId == 2302 && l.Message.Contains(bob.Id.ToString()) && l.Message.Contains(twin.Id.ToString()));
            logs.Lines.Should().Contain(l => l.EventId == 2301 && l.Message.Contains("1 accounts"));

            // Any form of Carol's address is her one account now; nobody can register it again.
            var signIn = scope.ServiceProvider.GetRequiredService<SignInService>();
            foreach (var form in new[] { "carol@example.com", "\uFF43arol@example.com", "CAROL@EXAMPLE.COM" })
            {
                (await signIn.PasswordSignInAsync(form, Password, cancellationToken: Ct)).Should().BeOfType<SignInResult.Success>(form);
            }

            var users = scope.ServiceProvider.GetRequiredService<UserService>();
            (await users.RegisterAsync("Carol@Example.com", "another good passphrase", cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.EmailTaken);
            (await users.FindByEmailAsync("\uFF42ob@company.com", Ct))!.Id.Should().Be(bob.Id, "the mailbox is Bob's");
        }

        // Migrating again changes nothing and does not run the pass again.
        var before = logs.Lines.Count(l => l.EventId == 2301);
        await provider.MigrateSentinelDatabaseAsync(Ct);
        logs.Lines.Count(l => l.EventId == 2301).Should().Be(before);
    }

    private static SentinelUser User(string email, IPasswordHasher hasher)
    {
        var now = DateTimeOffset.UtcNow;
        return new SentinelUser
        {
            Id = Guid.CreateVersion7(),
            Email = email,
            NormalizedEmail = email.Trim().ToUpperInvariant(),
            PasswordHash = hasher.Hash(Password),
            CreatedAt = now,
            UpdatedAt = now,
            EmailConfirmed = true,
            SecurityValidAfter = now.AddMinutes(-1),
        };
    }

    private sealed class CapturingLogs : ILoggerProvider
    {
        public ConcurrentQueue<(int EventId, string Message)> Queue { get; } = new();

        public IReadOnlyList<(int EventId, string Message)> Lines => [.. Queue];

        public ILogger CreateLogger(string categoryName) => new Logger(Queue);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<(int, string)> queue) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                queue.Enqueue((eventId.Id, formatter(state, exception)));
        }
    }
}
