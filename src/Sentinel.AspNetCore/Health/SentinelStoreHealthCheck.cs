using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sentinel.Users;

namespace Sentinel.AspNetCore.Health;

/// <summary>
/// Whether Sentinel's store answers: one indexed lookup of a user id that does not exist. Unhealthy while the
/// database is unreachable (sign-in, refresh and key creation then answer 503; cached tokens and keys keep working).
/// Registered by <c>AddSentinelAuth()</c> as <c>sentinel_store</c>; map it with <c>app.MapHealthChecks("/health")</c>.
/// </summary>
internal sealed class SentinelStoreHealthCheck(IServiceScopeFactory scopes) : IHealthCheck
{
    public const string Name = "sentinel_store";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var scope = scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                await scope.ServiceProvider.GetRequiredService<IUserStore>().FindByIdAsync(Guid.Empty, cancellationToken).ConfigureAwait(false);
            }

            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The exception's type only: a driver's message can carry a connection string.
            return HealthCheckResult.Unhealthy("Sentinel's store did not answer: " + e.GetType().Name);
        }
    }
}
