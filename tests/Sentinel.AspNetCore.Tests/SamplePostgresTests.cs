using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sentinel.EntityFramework;

namespace Sentinel.AspNetCore.Tests;

/// <summary>
/// The sample as the container runs it: PostgreSQL chosen by configuration and the Data Protection keys in a folder,
/// so a restarted instance still accepts the tokens the first one issued. Needs SENTINEL_TEST_POSTGRES.
/// </summary>
public sealed class SamplePostgresTests
{
    [Fact]
    public async Task Sample_OnPostgreSql_WithPersistedKeys_SurvivesARestart()
    {
        var server = Environment.GetEnvironmentVariable("SENTINEL_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(server))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException("Under CI the PostgreSQL tests must run; `bash .ci/run` sets SENTINEL_TEST_POSTGRES.");
            }

            Assert.Skip("Needs SENTINEL_TEST_POSTGRES (an Npgsql connection string); `bash .ci/run` sets it up.");
        }

        var ct = TestContext.Current.CancellationToken;
        var connection = new NpgsqlConnectionStringBuilder(server) { Database = $"sentinel_sample_{Guid.NewGuid():N}"[..40] }.ConnectionString;
        var folder = Path.Combine(Path.GetTempPath(), $"sentinel-sample-data-{Guid.NewGuid():N}");
        WebApplicationFactory<Program> Start() => new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseSetting("Sentinel:Sample:Database", "PostgreSQL")
            .UseSetting("ConnectionStrings:Sentinel", connection)
            .UseSetting("Sentinel:Sample:KeysFolder", Path.Combine(folder, "keys"))
            .UseSetting("Sentinel:Sample:MailFolder", Path.Combine(folder, "mail"))
            .UseSetting("Sentinel:Passwords:Argon2MemoryKiB", "64")
            .UseSetting("Sentinel:Passwords:Argon2Iterations", "1"));
        try
        {
            string accessToken;
            await using (var first = Start())
            {
                await using (var firstScope = first.Services.CreateAsyncScope())
                {
                    firstScope.ServiceProvider.GetRequiredService<SentinelDbContext>().Database.ProviderName.Should().Contain("Npgsql");
                }

                var client = first.CreateClient();
                var body = new { email = "ada@example.com", password = "correct horse battery" };
                (await client.PostAsJsonAsync("/auth/register", body, ct)).StatusCode.Should().Be(HttpStatusCode.Created);
                var login = await client.PostAsJsonAsync("/auth/login", body, ct);
                accessToken = (await login.Content.ReadFromJsonAsync<SentinelTestHost.Tokens>(ct))!.AccessToken;
            }

            await using var second = Start();
            var again = second.CreateClient();
            again.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            (await again.GetAsync("/api/profile", ct)).StatusCode.Should().Be(HttpStatusCode.OK, "the restarted instance reads the same keys and database");

            await using var scope = second.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<SentinelDbContext>().Database.EnsureDeletedAsync(ct);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
