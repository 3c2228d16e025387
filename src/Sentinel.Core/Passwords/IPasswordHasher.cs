namespace Sentinel.Passwords;

/// <summary>Hashes passwords and verifies them against stored hashes of any supported format.</summary>
public interface IPasswordHasher
{
    /// <summary>Hashes <paramref name="password"/> with the configured algorithm and parameters.</summary>
    string Hash(string password);

    /// <summary>Verifies <paramref name="password"/> against <paramref name="hash"/> in time independent of where they differ.</summary>
    PasswordVerification Verify(string hash, string password);
}

/// <summary>The outcome of a password verification.</summary>
public enum PasswordVerification
{
    /// <summary>The password does not match (or the hash is not in a known format).</summary>
    Failed,
    /// <summary>The password matches and the hash uses the current algorithm and parameters.</summary>
    Success,
    /// <summary>The password matches but the hash is weaker or of another format; store a new one.</summary>
    SuccessRehashNeeded,
}
