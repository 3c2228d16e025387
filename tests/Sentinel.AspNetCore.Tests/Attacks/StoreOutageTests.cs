using System.Net;
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
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/protected") { Headers = { { "X-Api-Key", "sk_not_a_real_key" } } })
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
}
