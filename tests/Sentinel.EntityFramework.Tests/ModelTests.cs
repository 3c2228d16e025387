using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.EntityFramework.Users;
using Sentinel.Users;

namespace Sentinel.EntityFramework.Tests;

public sealed class ModelTests(SqliteTestDatabase sqlite, PostgresTestDatabase postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SqliteMigrations_MatchTheModel()
    {
        await using var context = sqlite.CreateContext();
        context.Database.HasPendingModelChanges().Should().BeFalse("run `dotnet ef migrations add` for SQLite after changing the model");
        (await context.Database.GetPendingMigrationsAsync(Ct)).Should().BeEmpty();
    }

    [Fact]
    public async Task PostgresMigrations_MatchTheModel()
    {
        postgres.RequireServer();
        await using var context = postgres.CreateContext();
        context.Database.HasPendingModelChanges().Should().BeFalse("run `dotnet ef migrations add` for PostgreSQL after changing the model");
        (await context.Database.GetPendingMigrationsAsync(Ct)).Should().BeEmpty();
    }

    [Fact]
    public async Task HostContext_WithUseSentinel_StoresUsersBesideItsOwnTables()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sentinel-host-{Guid.NewGuid():N}.db");
        try
        {
            var options = new DbContextOptionsBuilder<HostContext>().UseSqlite($"Data Source={path}").Options;
            await using (var setup = new HostContext(options))
            {
                await setup.Database.EnsureCreatedAsync(Ct);
            }

            await using var context = new HostContext(options);
            var store = new EntityFrameworkUserStore<HostContext>(context);
            var user = new SentinelUser { Id = Guid.CreateVersion7(), Email = "a@example.com", NormalizedEmail = "A@EXAMPLE.COM", PasswordHash = "x" };
            (await store.CreateAsync(user, Ct)).Should().Be(StoreWriteResult.Success);
            context.Orders.Add(new Order { Id = 1, UserId = user.Id });
            await context.SaveChangesAsync(Ct);

            await using var reader = new HostContext(options);
            (await new EntityFrameworkUserStore<HostContext>(reader).FindByNormalizedEmailAsync("A@EXAMPLE.COM", Ct))!.Id.Should().Be(user.Id);
            (await reader.Orders.SingleAsync(Ct)).UserId.Should().Be(user.Id);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Migrate_WithTheHostsOwnContextOrInMemoryStores_DoesNothing_SoTheQuickstartLinesWorkWithAnyStore()
    {
        foreach (var choose in new Action<SentinelBuilder>[]
                 {
                     b => b.AddInMemoryStores(),
                     b => b.AddEntityFrameworkStores<HostContext>(),
                 })
        {
            var services = new ServiceCollection();
            services.AddDbContext<HostContext>(o => o.UseSqlite("Data Source=:memory:"));
            choose(services.AddSentinelCore());
            await using var provider = services.BuildServiceProvider();

            await provider.Invoking(p => p.MigrateSentinelDatabaseAsync(Ct)).Should().NotThrowAsync();
        }
    }

    private sealed class HostContext(DbContextOptions<HostContext> options) : DbContext(options)
    {
        public DbSet<Order> Orders => Set<Order>();

        protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.UseSentinel();
    }

    private sealed class Order
    {
        public int Id { get; set; }

        public Guid UserId { get; set; }
    }
}
