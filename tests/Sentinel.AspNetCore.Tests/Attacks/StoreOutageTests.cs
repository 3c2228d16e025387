using System.Net;
using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.Audit;
using Sentinel.EntityFramework;

namespace Sentinel.AspNetCore.Tests;

/// <summary>SECURITY I2 and A4: a store that goes away gives 503s, not 500s, and audit events of that time are kept.</summary>
public sealed class StoreOutageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StoreGone_Answers503WithoutDetails_KeepsAuditEvents_AndRecovers()
    {
        await using var host = await SentinelTestHost.StartAsync(o =>
        {
            o.Audit.RetryDelay = TimeSpan.FromMilliseconds(10);
            o.Audit.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
        });
        var (email, tokens) = await host.SignUpAndLoginAsync();
        await host.AuditAsync();

        // The database file disappears (a volume unmounted, a file deleted): every new connection finds no tables.
        File.Delete(host.DatabasePath);
        SqliteConnection.ClearAllPools();

        var login = await host.PostAsync("/auth/login", new { email, password = SentinelTestHost.Password });
        var problem = await login.ShouldBeProblemAsync(503, "service_unavailable");
        login.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(5));
        problem.ToString().Should().NotContain("Exception").And.NotContain("sentinel_", "no SQL, table or stack trace leaks");
        await (await host.PostAsync("/auth/refresh", new { refreshToken = tokens.RefreshToken })).ShouldBeProblemAsync(503, "service_unavailable");

        // Decisions that need no store are still made and audited; their events wait in the queue.
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/protected/keys-too") { Headers = { { "X-Api-Key", "sk_not_a_real_key" } } })
        {
            (await host.Client.SendAsync(request, Ct)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        var writer = (AuditWriter)host.Service<IAuditLog>();
        writer.QueueDepth.Should().BePositive("the rejection's event cannot be stored yet");

        // The store comes back (here: recreated); the queued events are written without a restart.
        await host.App.Services.MigrateSentinelDatabaseAsync(Ct);
        var flushed = writer.FlushAsync(Ct).AsTask();
        for (var i = 0; i < 300 && !flushed.IsCompleted; i++)
        {
            host.Time.Advance(TimeSpan.FromMilliseconds(100)); // the writer's retry backoff runs on the host's (fake) clock
            await Task.WhenAny(flushed, Task.Delay(20, Ct));
        }

        await flushed.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        (await host.AuditAsync()).Should().Contain(e => e.Type == AuditEventTypes.ApiKeyRejected);
        (await host.PostAsync("/auth/register", new { email, password = SentinelTestHost.Password })).StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task StoreGone_AKeyVerifiedBefore_KeepsWorkingFromMemory()
    {
        // A request authenticated by a cached key touches no store, so it is served during an outage.
        await using var host = await SentinelTestHost.StartAsync(o => o.ApiKeys.Scopes.Add("reports:read", "Read reports"));
        var (_, tokens) = await host.SignUpAndLoginAsync();
        var created = await (await host.PostAsync("/auth/api-keys", new { name = "ci", scopes = new[] { "reports:read" } }, tokens.AccessToken))
            .Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct);
        var key = created.GetProperty("key").GetString()!;
        async Task<HttpStatusCode> CallAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/protected/keys-too") { Headers = { { "X-Api-Key", key } } };
            return (await host.Client.SendAsync(request, Ct)).StatusCode;
        }

        (await CallAsync()).Should().Be(HttpStatusCode.OK);

        File.Delete(host.DatabasePath);
        SqliteConnection.ClearAllPools();

        (await CallAsync()).Should().Be(HttpStatusCode.OK, "the key is verified from memory");
        await (await host.PostAsync("/auth/login", new { email = "x@example.com", password = SentinelTestHost.Password })).ShouldBeProblemAsync(503, "service_unavailable");
    }

    [Fact]
    public async Task LostDataProtectionKeys_MfaSignInAnswers503_NotA500()
    {
        // The TOTP secret was encrypted with a key ring the host no longer has (not persisted, not shared).
        using var protector = new LosableProtector();
        await using var host = await SentinelTestHost.StartAsync(services: s => s.AddSingleton<Sentinel.Secrets.ISecretProtector>(protector));
        var (email, tokens) = await host.SignUpAndLoginAsync();
        var setup = await (await host.PostAsync("/auth/mfa/totp/setup", null, tokens.AccessToken)).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct);
        var secret = OtpNet.Base32Encoding.ToBytes(setup.GetProperty("sharedKey").GetString());
        string Code() => new OtpNet.Totp(secret).ComputeTotp(host.Time.GetUtcNow().UtcDateTime);
        (await host.PostAsync("/auth/mfa/totp/confirm", new { code = Code() }, tokens.AccessToken)).StatusCode.Should().Be(HttpStatusCode.OK);

        protector.Lost = true;
        host.Time.Advance(TimeSpan.FromSeconds(30));
        var login = await host.PostAsync("/auth/login", new { email, password = SentinelTestHost.Password, twoFactorCode = Code() });

        var problem = await login.ShouldBeProblemAsync(503, "service_unavailable");
        problem.ToString().Should().NotContain("Cryptographic").And.NotContain("key ring", "the operator's log says why, not the client");
    }

    /// <summary>A working protector whose keys can be "lost": then nothing it protected can be read back.</summary>
    private sealed class LosableProtector : Sentinel.Secrets.ISecretProtector, IDisposable
    {
        private readonly Sentinel.Secrets.EphemeralSecretProtector _inner = new();

        public bool Lost { get; set; }

        public byte[] Protect(string purpose, ReadOnlySpan<byte> plaintext) => _inner.Protect(purpose, plaintext);

        public byte[] Unprotect(string purpose, byte[] protectedData) =>
            Lost ? throw new System.Security.Cryptography.CryptographicException("The key was not found in the key ring.") : _inner.Unprotect(purpose, protectedData);

        public void Dispose() => _inner.Dispose();
    }
}
