using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OtpNet;
using Sentinel.EntityFramework;

namespace Sentinel.AspNetCore.Tests;

/// <summary>
/// Issue 18, point 7: the Data Protection key ring that encrypts signing keys and TOTP secrets survives a restart
/// (kept in Sentinel's database by the EF stores), an unpersisted ring stops a Production host, and an instance whose
/// ring or application name differs still validates the others' tokens and says so in health.
/// </summary>
public sealed class DataProtectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(byte[] Secret, SentinelTestHost.Tokens Tokens, string Email)> EnrolAsync(SentinelTestHost host)
    {
        var (email, tokens) = await host.SignUpAndLoginAsync();
        return (await host.EnrolTotpAsync(tokens.AccessToken), tokens, email);
    }

    private static async Task<HttpResponseMessage> SignInWithCodeAsync(SentinelTestHost host, string email, byte[] secret)
    {
        var challenge = await (await host.PostAsync("/auth/login", new { email, password = SentinelTestHost.Password })).ShouldBeProblemAsync(401, "mfa_required");
        var code = new Totp(secret).ComputeTotp(host.Time.GetUtcNow().UtcDateTime.AddSeconds(30)); // the next step: the last one is spent
        return await host.PostAsync("/auth/login/mfa", new { mfaToken = challenge.GetProperty("mfaToken").GetString(), code });
    }

    [Fact]
    public async Task ARestartedHost_KeepsItsKeyRingInSentinelsDatabase_SoTokensAndTheSameTotpSecretStillWork()
    {
        var path = SentinelTestHost.NewDatabasePath();
        try
        {
            byte[] secret;
            SentinelTestHost.Tokens tokens;
            string email;
            await using (var first = await SentinelTestHost.StartAsync(sqlitePath: path))
            {
                first.Service<IOptions<KeyManagementOptions>>().Value.XmlRepository
                    .Should().BeOfType<EntityFrameworkCoreXmlRepository<SentinelSqliteDbContext>>("the EF stores keep the ring in Sentinel's database");
                (secret, tokens, email) = await EnrolAsync(first);
            }

            await using (var connection = new SqliteConnection($"Data Source={path}"))
            {
                await connection.OpenAsync(Ct);
                await using var count = new SqliteCommand("SELECT COUNT(*) FROM sentinel_data_protection_keys", connection);
                ((long)(await count.ExecuteScalarAsync(Ct))!).Should().BeGreaterThan(0, "the key ring is a table of Sentinel's database");
            }

            // A new process in effect: a new container, new Data Protection, the same database.
            await using var second = await SentinelTestHost.StartAsync(sqlitePath: path);
            second.Time.Advance(TimeSpan.FromSeconds(30));
            (await second.GetAsync("/auth/me", tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK, "the signing key still decrypts");
            var signedIn = await SignInWithCodeAsync(second, email, secret);
            signedIn.StatusCode.Should().Be(HttpStatusCode.OK, "the TOTP secret still decrypts: " + await signedIn.Content.ReadAsStringAsync(Ct));
            (await second.Service<HealthCheckService>().CheckHealthAsync(Ct)).Status.Should().Be(HealthStatus.Healthy);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }

    [Fact]
    public async Task InProduction_AnUnpersistedKeyRing_StopsTheHost_NamingTheFix()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Services.AddSentinelAuth().AddInMemoryStores();
        await using var app = builder.Build();

        var start = () => app.StartAsync(Ct);

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should()
            .Contain("not persisted").And.Contain("PersistKeysTo").And.Contain("AddSqliteStores").And.Contain("SetApplicationName");
    }

    [Theory]
    [InlineData("Development", false)]
    [InlineData("Production", true)]
    public async Task APersistedRing_OrDevelopment_Starts(string environment, bool persist)
    {
        var folder = Directory.CreateTempSubdirectory("sentinel-ring-");
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
            builder.WebHost.UseTestServer();
            if (persist)
            {
                builder.Services.AddDataProtection().PersistKeysToFileSystem(folder);
            }

            builder.Services.AddSentinelAuth().AddInMemoryStores();
            await using var app = builder.Build();
            await app.StartAsync(Ct);
            await app.StopAsync(Ct);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task TheHostsOwnKeyRingLocation_WinsOverSentinelsDatabase()
    {
        var folder = Directory.CreateTempSubdirectory("sentinel-ring-");
        try
        {
            await using var host = await SentinelTestHost.StartAsync(services: s => s.AddDataProtection().PersistKeysToFileSystem(folder));
            await host.SignUpAndLoginAsync();
            host.Service<IOptions<KeyManagementOptions>>().Value.XmlRepository.Should().BeOfType<Microsoft.AspNetCore.DataProtection.Repositories.FileSystemXmlRepository>();
            folder.GetFiles("key-*.xml").Should().NotBeEmpty();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AnInstanceWithAnotherApplicationName_ValidatesTheOthersTokens_AndReportsDegradedNamingTheFix()
    {
        // Two instances over one database and one persisted ring, as two installs in different folders are when no
        // application name is set (the default name is the content root).
        var path = SentinelTestHost.NewDatabasePath();
        try
        {
            await using var a = await SentinelTestHost.StartAsync(sqlitePath: path, services: s => s.AddDataProtection().SetApplicationName("/srv/app-blue"));
            var (secret, tokensOfA, email) = await EnrolAsync(a);
            await using var b = await SentinelTestHost.StartAsync(sqlitePath: path, services: s => s.AddDataProtection().SetApplicationName("/srv/app-green"));

            (await b.GetAsync("/auth/me", tokensOfA.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK, "validation needs only the public key");
            var (_, tokensOfB) = await b.SignUpAndLoginAsync();
            (await a.GetAsync("/auth/me", tokensOfB.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK, "A reads B's new key from the store");
            var jwks = await (await b.Client.GetAsync("/.well-known/jwks.json", Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
            jwks.GetProperty("keys").GetArrayLength().Should().Be(2, "each instance's key is published by both");

            var health = await b.Service<HealthCheckService>().CheckHealthAsync(Ct);
            health.Status.Should().Be(HealthStatus.Degraded);
            health.Entries["sentinel_data_protection"].Description.Should().Contain("1 signing key").And.Contain("SetApplicationName");

            // The TOTP secret A protected does not decrypt on B: the sign-in fails with 503, and health says so.
            b.Time.Advance(TimeSpan.FromSeconds(30));
            (await SignInWithCodeAsync(b, email, secret)).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            (await b.Service<HealthCheckService>().CheckHealthAsync(Ct)).Entries["sentinel_data_protection"].Description.Should().Contain("secret");
            (await a.Service<HealthCheckService>().CheckHealthAsync(Ct)).Entries["sentinel_data_protection"].Status.Should().Be(HealthStatus.Degraded, "A cannot decrypt B's key either");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }
}
