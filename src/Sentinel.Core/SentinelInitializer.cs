using Microsoft.Extensions.DependencyInjection;
using Sentinel.Tokens;

namespace Sentinel;

/// <summary>Brings Sentinel's in-memory state up to date with its stores: signing keys and revocations.</summary>
public static class SentinelInitializer
{
    /// <summary>
    /// Loads (or creates) the signing keys and the revocations whose access tokens may still be alive.
    /// <see cref="Hosting.SentinelMaintenance"/> runs it at start on any generic host; a program without one calls it
    /// once after building the provider.
    /// </summary>
    public static async Task InitializeSentinelAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SentinelOptions>>().Value.Email.RequireConfirmedEmail
            && services.GetService<Email.ISentinelEmailSender>() is null)
        {
            // Checked here rather than by the options validator, which cannot see the registered services.
            throw new InvalidOperationException(
                "Sentinel:Email:RequireConfirmedEmail is on, but no ISentinelEmailSender is registered: no confirmation email could be sent, so nobody could sign in. Register a sender or turn the option off.");
        }

        await services.GetRequiredService<SigningKeyRing>().RefreshNowAsync(cancellationToken).ConfigureAwait(false);

        await services.GetRequiredService<Cluster.RevocationSync>().ReadAsync(full: true, cancellationToken).ConfigureAwait(false);
        services.GetRequiredService<Diagnostics.SentinelMetrics>().ClusterReload("start");
    }

    /// <summary>
    /// Writes what is still queued, before the provider is disposed: the email send queue's work, then every audit
    /// event (SECURITY A4), until <paramref name="cancellationToken"/> fires. ASP.NET Core hosts do this when they
    /// stop; other hosts call it before <c>DisposeAsync()</c> of the provider.
    /// </summary>
    public static async Task ShutdownSentinelAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        await services.GetRequiredService<Email.EmailSendQueue>().CompleteAsync(cancellationToken).ConfigureAwait(false);
        if (services.GetService<Audit.IAuditLog>() is Audit.AuditWriter writer)
        {
            await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
