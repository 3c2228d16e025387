using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Sentinel.EntityFramework.Tests;

public sealed class RegistrationTests
{
    [Theory]
    [InlineData("Host=db;Database=app;Username=app", "5")]
    [InlineData("Host=db;Database=app;Username=app;Keepalive=30", "30")]
    [InlineData("Host=db;Database=app;Username=app;keepalive=0", "0")]
    public void PostgreSql_ProbesIdleConnections_UnlessTheConnectionStringSaysOtherwise(string connectionString, string keepAlive)
    {
        // Without the probe, each pooled connection a database restart broke fails one request with 503 afterwards.
        var services = new ServiceCollection();
        services.AddSentinelCore().AddPostgreSqlStores(connectionString);
        using var provider = services.BuildServiceProvider();
        using var scope = provider.CreateScope();

        var used = new Npgsql.NpgsqlConnectionStringBuilder(scope.ServiceProvider.GetRequiredService<SentinelDbContext>().Database.GetConnectionString());

        used.KeepAlive.ToString(System.Globalization.CultureInfo.InvariantCulture).Should().Be(keepAlive);
        used.Host.Should().Be("db");
    }
}
