using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Sentinel.EntityFramework;
using Sentinel.Mfa;
using Sentinel.Tokens;

namespace Sentinel.EntityFramework.Tests;

/// <summary>
/// A worker host with only Sentinel.Core and Sentinel.EntityFramework (no ASP.NET Core) on the generic host gets the
/// same lifecycle as a web app: keys and revocations loaded at start, maintenance on schedule, the flush at stop.
/// </summary>
public sealed class WorkerHostTests
{
    [Fact]
    public async Task AGenericHostWithCoreAndEfOnly_LoadsKeysAtStart_AndRunsMaintenanceOnSchedule()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(Path.GetTempPath(), $"sentinel-worker-{Guid.NewGuid():N}.db");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero));
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSentinelCore(o =>
        {
            o.Passwords.Argon2MemoryKiB = 64;
            o.Passwords.Argon2Iterations = 1;
        }).AddSqliteStores($"Data Source={path}");
        using var host = builder.Build();
        try
        {
            await host.Services.MigrateSentinelDatabaseAsync(ct);
            var spent = new MfaChallenge { Id = Guid.CreateVersion7(), UserId = Guid.CreateVersion7(), CreatedAt = time.GetUtcNow(), ExpiresAt = time.GetUtcNow().AddMinutes(5) };
            await using (var scope = host.Services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<IMfaStore>().CreateChallengeAsync(spent, ct);
            }

            await host.StartAsync(ct);
            await using (var scope = host.Services.CreateAsyncScope())
            {
                (await scope.ServiceProvider.GetRequiredService<ISigningKeyStore>().ListAsync(ct)).Should().ContainSingle("start-up made the first signing key");
            }

            // Two days on, the next maintenance round deletes the challenge (expired more than a day ago).
            time.Advance(TimeSpan.FromDays(2));
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
            patience.CancelAfter(TimeSpan.FromSeconds(20));
            while (true)
            {
                await using var scope = host.Services.CreateAsyncScope();
                if (await scope.ServiceProvider.GetRequiredService<IMfaStore>().FindChallengeAsync(spent.Id, patience.Token) is null)
                {
                    break;
                }

                await Task.Delay(20, patience.Token);
            }

            AppDomain.CurrentDomain.GetAssemblies().Should().NotContain(a => a.GetName().Name == "Sentinel.AspNetCore");
            await host.StopAsync(ct);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }
}
