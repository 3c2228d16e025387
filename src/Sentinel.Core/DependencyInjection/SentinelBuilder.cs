namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// The root of Sentinel's fluent configuration: returned by <c>AddSentinelCore()</c> and <c>AddSentinelAuth()</c>,
/// extended by the store packages (<c>AddInMemoryStores()</c>, <c>AddEntityFrameworkStores&lt;TContext&gt;()</c>).
/// </summary>
public sealed class SentinelBuilder
{
    /// <summary>Wraps <paramref name="services"/>.</summary>
    public SentinelBuilder(IServiceCollection services) => Services = services ?? throw new ArgumentNullException(nameof(services));

    /// <summary>The service collection Sentinel registers into.</summary>
    public IServiceCollection Services { get; }
}
