using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sentinel.Secrets;

namespace Sentinel.AspNetCore.Hosting;

/// <summary>
/// Stops a Production host whose Data Protection key ring is not persisted anywhere it chose (issue 18, point 7).
/// Sentinel encrypts signing keys and TOTP secrets with the ring; Data Protection's default keeps it in memory or in
/// the user profile, which a container loses on restart, after which every issued token is refused and every
/// two-factor user gets 503 for good. Checked only when Sentinel's secrets go through Data Protection (a host that
/// registered its own <see cref="ISecretProtector"/> answers for it), and not in Development.
/// </summary>
/// <param name="environment">The host's environment, if any.</param>
/// <param name="secretsUseDataProtection">
/// Whether the registered <see cref="ISecretProtector"/> is Sentinel's Data Protection one: read from the service
/// registrations, because resolving the protector here would build Data Protection from the options being validated.
/// </param>
internal sealed class PersistentKeyRingValidator(IHostEnvironment? environment, Func<bool> secretsUseDataProtection) : IValidateOptions<KeyManagementOptions>
{
    internal const string Message =
        "Sentinel encrypts signing keys and TOTP secrets with ASP.NET Core Data Protection, and its key ring is not persisted: "
        + "Data Protection's default keeps it in memory or in the user profile, which a container loses on restart (every token "
        + "and every authenticator would then stop working). Use Sentinel's EF stores (AddSqliteStores or AddPostgreSqlStores keep "
        + "the ring in Sentinel's database), AddRedis(…, o => o.PersistDataProtectionKeys = true), or "
        + "services.AddDataProtection().PersistKeysTo…(…); and with several instances, also .SetApplicationName(\"…\") with one name on every instance.";

    public ValidateOptionsResult Validate(string? name, KeyManagementOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.XmlRepository is not null || environment is null || !environment.IsProduction() || !secretsUseDataProtection())
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(Message);
    }
}
