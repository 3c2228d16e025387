namespace Sentinel.Passwords;

/// <summary>Password hashing and policy settings (NIST SP 800-63B, OWASP Password Storage).</summary>
public sealed class PasswordOptions
{
    /// <summary>Minimum length in Unicode code points. Default 8 (NIST 800-63B floor).</summary>
    public int MinimumLength { get; set; } = 8;

    /// <summary>Maximum length in code points; must be at least 64. Default 256. Nothing is ever truncated.</summary>
    public int MaximumLength { get; set; } = 256;

    /// <summary>Refuse passwords on the shipped list of the 10,000 most common passwords. Default true.</summary>
    public bool BlockCommonPasswords { get; set; } = true;

    /// <summary>The algorithm new hashes use. Default Argon2id; PBKDF2-HMAC-SHA512 for FIPS deployments.</summary>
    public PasswordHashAlgorithm Algorithm { get; set; } = PasswordHashAlgorithm.Argon2id;

    /// <summary>Argon2id memory in KiB. Default 19,456 (19 MiB, OWASP). Parallelism is always 1 (libsodium).</summary>
    public int Argon2MemoryKiB { get; set; } = 19 * 1024;

    /// <summary>Argon2id passes. Default 2 (OWASP).</summary>
    public int Argon2Iterations { get; set; } = 2;

    /// <summary>PBKDF2-HMAC-SHA512 iterations. Default 220,000 (OWASP 2023); at least 220,000 outside tests.</summary>
    public int Pbkdf2Iterations { get; set; } = 220_000;

    /// <summary>Adds what is wrong with these settings to <paramref name="result"/>, each with its configuration key and how to fix it.</summary>
    internal void Validate(Microsoft.Extensions.Options.ValidateOptionsResultBuilder result)
    {
        var p = this;
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

        if (p.Argon2MemoryKiB < SentinelOptionsValidator.MinimumArgon2MemoryKiB || p.Argon2MemoryKiB > 4 * 1024 * 1024)
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
    }
}

/// <summary>Algorithms Sentinel hashes new passwords with.</summary>
public enum PasswordHashAlgorithm
{
    /// <summary>Argon2id through libsodium, stored as a PHC string.</summary>
    Argon2id,
    /// <summary>PBKDF2-HMAC-SHA512, stored as a PHC-style string; FIPS 140 approved.</summary>
    Pbkdf2Sha512,
}
