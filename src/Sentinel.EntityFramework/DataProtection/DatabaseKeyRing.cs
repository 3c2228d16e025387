using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sentinel.EntityFramework.DataProtection;

/// <summary>
/// Keeps the ASP.NET Core Data Protection key ring in Sentinel's database when the host has not put it anywhere
/// else (issue 18, point 7). The ring encrypts signing keys and TOTP secrets at rest: left to Data Protection's
/// default it lives in memory or the user profile, which a container loses on restart, and every issued token and
/// every authenticator then stops working. A post-configuration, so any <c>PersistKeysTo…</c> of the host wins.
/// </summary>
/// <typeparam name="TContext">The context holding the <c>DataProtectionKeys</c> table.</typeparam>
internal sealed class DatabaseKeyRing<TContext>(IServiceProvider services, ILoggerFactory loggerFactory) : IPostConfigureOptions<KeyManagementOptions>
    where TContext : DbContext, IDataProtectionKeyContext
{
    public void PostConfigure(string? name, KeyManagementOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.XmlRepository ??= new EntityFrameworkCoreXmlRepository<TContext>(services, loggerFactory);
    }
}
