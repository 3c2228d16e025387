using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Sentinel.Sample.Tests;

/// <summary>
/// The sample's admin seed grants the role only to an account it created or whose password is the configured one:
/// someone who registered the admin's address (or a look-alike of it, SECURITY P6) first does not become admin.
/// </summary>
public sealed class SampleSeedTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAccountRegisteredFirstUnderTheAdminAddress_DoesNotBecomeAdmin()
    {
        var folder = Directory.CreateTempSubdirectory("sentinel-seed-").FullName;
        const string admin = "root@example.com";
        try
        {
            WebApplicationFactory<Program> Site(string? adminPassword) => new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
            {
                b.UseSetting("ConnectionStrings:Sentinel", $"Data Source={Path.Combine(folder, "sample.db")}")
                    .UseSetting("Sentinel:Sample:MailFolder", Path.Combine(folder, "mail"))
                    .UseSetting("Sentinel:Passwords:Argon2MemoryKiB", "64")
                    .UseSetting("Sentinel:Passwords:Argon2Iterations", "1");
                if (adminPassword is not null)
                {
                    b.UseSetting("Sentinel:Sample:AdminEmail", admin).UseSetting("Sentinel:Sample:AdminPassword", adminPassword);
                }
            });

            // Before the operator configures the seed, an attacker registers a look-alike of the address.
            await using (var before = Site(adminPassword: null))
            {
                var client = before.CreateClient();
                (await client.PostAsJsonAsync("/auth/register", new { email = "\uFF52oot@example.com", password = "attacker chosen phrase" }, Ct))
                    .StatusCode.Should().Be(System.Net.HttpStatusCode.Created);
            }

            await using var seeded = Site(adminPassword: "the operator's passphrase");
            var http = seeded.CreateClient();
            var login = await http.PostAsJsonAsync("/auth/login", new { email = "\uFF52oot@example.com", password = "attacker chosen phrase" }, Ct);
            var token = (await login.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("accessToken").GetString();
            using var me = new HttpRequestMessage(HttpMethod.Get, "/auth/me") { Headers = { { "Authorization", $"Bearer {token}" } } };
            var roles = (await (await http.SendAsync(me, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("roles");
            roles.EnumerateArray().Select(r => r.GetString()).Should().NotContain("admin");

            // And the operator's password does not open that account either: there is no admin to sign in as.
            (await http.PostAsJsonAsync("/auth/login", new { email = admin, password = "the operator's passphrase" }, Ct)).StatusCode
                .Should().Be(System.Net.HttpStatusCode.Unauthorized);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
