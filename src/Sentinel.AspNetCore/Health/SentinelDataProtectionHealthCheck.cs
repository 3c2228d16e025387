using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sentinel.AspNetCore.Hosting;
using Sentinel.Secrets;
using Sentinel.Tokens;

namespace Sentinel.AspNetCore.Health;

/// <summary>
/// Whether this instance can decrypt what Sentinel encrypted with Data Protection: Degraded when a signing key is
/// usable for validation only (this instance cannot decrypt its private half) or a TOTP secret failed to decrypt.
/// Both mean that this instance's key ring or application name differs from the instance that wrote them: Data
/// Protection's default application name is the content root, so two instances installed in different folders (or
/// a blue-green deploy to a new path) cannot read each other's secrets. Registered by <c>AddSentinelAuth()</c> as
/// <c>sentinel_data_protection</c>.
/// </summary>
internal sealed class SentinelDataProtectionHealthCheck(SigningKeyRing ring, ISecretProtector protector) : IHealthCheck
{
    public const string Name = "sentinel_data_protection";

    private const string Fix =
        "persist the Data Protection key ring where every instance reads it and call services.AddDataProtection().SetApplicationName(\"…\") with one name on every instance.";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var keys = ring.ValidationOnlyKeyIds.Count;
        var secrets = protector is DataProtectionSecretProtector counted
            ? counted.Failures.Where(f => f.Key != SigningKeyRing.ProtectorPurpose).Sum(f => f.Value)
            : 0;
        if (keys == 0 && secrets == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy());
        }

        // Counts only: no key id, no secret, nothing about a user.
        var what = keys > 0 && secrets > 0 ? $"{keys} signing key(s) and {secrets} secret(s)"
            : keys > 0 ? $"{keys} signing key(s) (they validate, and this instance signs with its own)"
            : $"{secrets} secret(s) (two-factor sign-ins fail here)";
        return Task.FromResult(HealthCheckResult.Degraded($"This instance cannot decrypt {what} another instance protected: {Fix}"));
    }
}
