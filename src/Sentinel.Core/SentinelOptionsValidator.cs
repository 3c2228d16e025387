using Microsoft.Extensions.Options;
using Sentinel.Passwords;

namespace Sentinel;

/// <summary>Checks <see cref="SentinelOptions"/> as a whole at start-up and says how to fix each problem.</summary>
public sealed class SentinelOptionsValidator : IValidateOptions<SentinelOptions>
{
    /// <summary>The smallest Argon2id memory Sentinel accepts, in KiB (libsodium's floor is 8 KiB).</summary>
    public const int MinimumArgon2MemoryKiB = 8;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SentinelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new ValidateOptionsResultBuilder();
        var p = options.Passwords;
        if (p.MinimumLength < 1)
        {
            result.AddError("must be at least 1; NIST 800-63B recommends 8 or more.", "Sentinel:Passwords:MinimumLength");
        }

        if (p.MaximumLength < 64)
        {
            result.AddError("must be at least 64 so that long passphrases are accepted (NIST 800-63B).", "Sentinel:Passwords:MaximumLength");
        }

        if (p.MaximumLength < p.MinimumLength)
        {
            result.AddError("must not be below MinimumLength.", "Sentinel:Passwords:MaximumLength");
        }

        if (!Enum.IsDefined(p.Algorithm))
        {
            result.AddError("must be Argon2id or Pbkdf2Sha512.", "Sentinel:Passwords:Algorithm");
        }

        if (p.Argon2MemoryKiB < MinimumArgon2MemoryKiB || p.Argon2MemoryKiB > 4 * 1024 * 1024)
        {
            result.AddError("must be between 8 KiB and 4 GiB; OWASP recommends 19456 (19 MiB) with 2 iterations.", "Sentinel:Passwords:Argon2MemoryKiB");
        }

        if (p.Argon2Iterations < 1)
        {
            result.AddError("must be at least 1; OWASP recommends 2 with 19 MiB.", "Sentinel:Passwords:Argon2Iterations");
        }

        if (p.Pbkdf2Iterations < 1)
        {
            result.AddError("must be at least 1; OWASP recommends 220000 for PBKDF2-HMAC-SHA512.", "Sentinel:Passwords:Pbkdf2Iterations");
        }

        var l = options.Lockout;
        if (l.MaxFailedAttempts < 1 || l.MaxFailedAttempts > 100)
        {
            result.AddError("must be between 1 and 100 (SECURITY P4: lock well under 100 attempts).", "Sentinel:Lockout:MaxFailedAttempts");
        }

        if (l.LockoutDuration <= TimeSpan.Zero)
        {
            result.AddError("must be positive, for example 00:05:00.", "Sentinel:Lockout:LockoutDuration");
        }

        if (l.MaxLockoutDuration < l.LockoutDuration)
        {
            result.AddError("must be at least LockoutDuration.", "Sentinel:Lockout:MaxLockoutDuration");
        }

        return result.Build();
    }
}
