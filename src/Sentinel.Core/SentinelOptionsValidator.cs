using Microsoft.Extensions.Options;

namespace Sentinel;

/// <summary>
/// Checks <see cref="SentinelOptions"/> at start-up and says how to fix each problem: each options class checks its own
/// settings (its <c>Validate</c>, beside its properties), and this collects them.
/// </summary>
internal sealed class SentinelOptionsValidator : IValidateOptions<SentinelOptions>
{
    /// <summary>The smallest Argon2id memory Sentinel accepts, in KiB (libsodium's floor is 8 KiB).</summary>
    public const int MinimumArgon2MemoryKiB = 8;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SentinelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new ValidateOptionsResultBuilder();
        options.Passwords.Validate(result);
        options.Lockout.Validate(result);
        options.Tokens.Validate(result);
        options.Mfa.Validate(result);
        options.ApiKeys.Validate(result);
        options.Audit.Validate(result);
        options.Email.Validate(result);
        options.RateLimits.Validate(result);
        options.Cluster.Validate(result);
        options.StepUp.Validate(result);
        options.Passkeys.Validate(result);
        return result.Build();
    }
}
