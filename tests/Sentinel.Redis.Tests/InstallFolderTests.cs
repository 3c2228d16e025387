using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using OtpNet;

namespace Sentinel.Redis.Tests;

/// <summary>
/// Issue 18, point 7, "instances in different folders": Data Protection's default application name is the content
/// root, so instances installed on different paths could not read each other's secrets. The cluster's instances each
/// run from a folder of their own; with the sample's one application name they share signing keys and TOTP secrets,
/// and an instance without it still validates the others' tokens and reports Degraded.
/// </summary>
[Collection(nameof(SampleClusterGroup))]
public sealed class InstallFolderTests(SampleCluster cluster)
{
    private static async Task<(string Email, string Password, byte[] Secret)> EnrolAsync(HttpClient client)
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        var password = "cluster " + Guid.NewGuid().ToString("N");
        (await client.PostAsJsonAsync("/auth/register", new { email, password })).StatusCode.Should().Be(HttpStatusCode.Created);
        var token = await TokenAsync(await client.PostAsJsonAsync("/auth/login", new { email, password }));
        var setup = await (await SendAsync(client, "/auth/mfa/totp/setup", token, null)).Content.ReadFromJsonAsync<JsonElement>();
        var secret = Base32Encoding.ToBytes(setup.GetProperty("sharedKey").GetString());
        (await SendAsync(client, "/auth/mfa/totp/confirm", token, new { code = new Totp(secret).ComputeTotp() })).StatusCode.Should().Be(HttpStatusCode.OK);
        return (email, password, secret);
    }

    /// <summary>Password, then a code of the step after the one enrolment spent (valid within the ±1 step window).</summary>
    private static async Task<HttpResponseMessage> SignInWithCodeAsync(HttpClient client, string email, string password, byte[] secret)
    {
        var challenge = await (await client.PostAsJsonAsync("/auth/login", new { email, password })).Content.ReadFromJsonAsync<JsonElement>();
        var code = new Totp(secret).ComputeTotp(DateTime.UtcNow.AddSeconds(30));
        return await client.PostAsJsonAsync("/auth/login/mfa", new { mfaToken = challenge.GetProperty("mfaToken").GetString(), code });
    }

    private static async Task<string> TokenAsync(HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string token, object? body)
    {
        using var request = new HttpRequestMessage(body is null && path.EndsWith("profile", StringComparison.Ordinal) ? HttpMethod.Get : HttpMethod.Post, path)
        {
            Content = body is null ? null : JsonContent.Create(body),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> ProfileAsync(HttpClient client, string token) => SendAsync(client, "/api/profile", token, null);

    [Fact]
    public async Task InstancesInDifferentFolders_WithOneApplicationName_ShareSigningKeysAndTotpSecrets()
    {
        cluster.Require();
        var (a, b, c) = (cluster.A.Client("127.0.200.1"), cluster.B.Client("127.0.200.1"), cluster.C.Client("127.0.200.1"));
        var (email, password, secret) = await EnrolAsync(a);

        var signedIn = await SignInWithCodeAsync(b, email, password, secret);
        var token = await TokenAsync(signedIn); // B decrypts the TOTP secret A encrypted
        (await ProfileAsync(c, token)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await ProfileAsync(a, token)).StatusCode.Should().Be(HttpStatusCode.OK);
        foreach (var instance in cluster.Instances)
        {
            (await instance.HealthAsync()).Should().Be("Healthy", $"instance {instance.Name} reads every key. Its log:\n{instance.Log}");
        }
    }

    [Fact]
    public async Task AnInstanceWithoutTheApplicationName_ValidatesTheOthersTokens_AndReportsDegraded()
    {
        cluster.Require();
        // A pair of its own (own database, own Redis prefix): the odd instance's key would make the cluster's
        // instances Degraded too, since they cannot decrypt it either.
        var separate = new Dictionary<string, string>
        {
            ["ConnectionStrings__Sentinel"] = cluster.Postgres.ConnectionString("sentinel_folders"),
            ["Sentinel__Redis__Prefix"] = "folders-" + Guid.NewGuid().ToString("N")[..8],
        };
        await using var green = cluster.NewInstance("green", separate);
        await green.StartAsync();
        await using var blue = cluster.NewInstance("blue", new Dictionary<string, string>(separate) { ["Sentinel__Sample__ApplicationName"] = "" });
        await blue.StartAsync();
        var (g, bl) = (green.Client("127.0.201.1"), blue.Client("127.0.201.1"));

        var (email, password, secret) = await EnrolAsync(g);
        var fromGreen = await TokenAsync(await g.PostAsJsonAsync("/auth/login/mfa", new
        {
            mfaToken = (await (await g.PostAsJsonAsync("/auth/login", new { email, password })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("mfaToken").GetString(),
            code = new Totp(secret).ComputeTotp(DateTime.UtcNow.AddSeconds(30)),
        }));
        (await ProfileAsync(bl, fromGreen)).StatusCode.Should().Be(HttpStatusCode.OK, "blue validates green's token from the public key");
        (await blue.HealthAsync()).Should().Be("Degraded");
        blue.Log.Should().Contain("SetApplicationName");

        // Blue signs with a key of its own, which green learns from the store on the first token that names it.
        var otherEmail = $"user-{Guid.NewGuid():N}@example.com";
        (await bl.PostAsJsonAsync("/auth/register", new { email = otherEmail, password })).StatusCode.Should().Be(HttpStatusCode.Created);
        var fromBlue = await TokenAsync(await bl.PostAsJsonAsync("/auth/login", new { email = otherEmail, password }));
        (await ProfileAsync(g, fromBlue)).StatusCode.Should().Be(HttpStatusCode.OK);

        // Green's TOTP secret does not decrypt on blue: 503, never a 500 or a wrong answer.
        var challenge = await (await bl.PostAsJsonAsync("/auth/login", new { email, password })).Content.ReadFromJsonAsync<JsonElement>();
        var mfa = await bl.PostAsJsonAsync("/auth/login/mfa", new { mfaToken = challenge.GetProperty("mfaToken").GetString(), code = new Totp(secret).ComputeTotp() });
        mfa.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
    }
}
