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
}

/// <summary>Algorithms Sentinel hashes new passwords with.</summary>
public enum PasswordHashAlgorithm
{
    /// <summary>Argon2id through libsodium, stored as a PHC string.</summary>
    Argon2id,
    /// <summary>PBKDF2-HMAC-SHA512, stored as a PHC-style string; FIPS 140 approved.</summary>
    Pbkdf2Sha512,
}
