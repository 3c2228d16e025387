namespace Sentinel.Passkeys;

/// <summary>A registered passkey: a WebAuthn public key credential of one user (SECURITY W1–W4).</summary>
public sealed class PasskeyCredential
{
    /// <summary>Sentinel's id for it (the <c>id</c> of the HTTP contract).</summary>
    public Guid Id { get; set; }

    /// <summary>Whose it is.</summary>
    public Guid UserId { get; set; }

    /// <summary>The authenticator's credential id; registers once across all users.</summary>
    public byte[] CredentialId { get; set; } = [];

    /// <summary>The credential's public key, COSE-encoded as the authenticator sent it.</summary>
    public byte[] PublicKey { get; set; } = [];

    /// <summary>The last signature counter seen; a counter that goes backwards (when not zero) is refused.</summary>
    public long SignCount { get; set; }

    /// <summary>The transports the browser reported (<c>internal</c>, <c>hybrid</c>, <c>usb</c>, …).</summary>
    public List<string> Transports { get; set; } = [];

    /// <summary>The backup-eligible flag (BE) at registration: a synced passkey.</summary>
    public bool IsBackupEligible { get; set; }

    /// <summary>The backed-up flag (BS), as of the last use.</summary>
    public bool IsBackedUp { get; set; }

    /// <summary>The authenticator model's AAGUID (all zeros when the authenticator does not say).</summary>
    public Guid AaGuid { get; set; }

    /// <summary>The attestation statement format registration sent (<c>none</c>, <c>packed</c>, …).</summary>
    public string AttestationFormat { get; set; } = "none";

    /// <summary>The name the user sees (by default the authenticator's, from its AAGUID, else "Passkey").</summary>
    public string Name { get; set; } = "Passkey";

    /// <summary>When it was registered.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When it last signed a user in; null until then.</summary>
    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <summary>What a passkey challenge is for.</summary>
public enum PasskeyCeremony
{
    /// <summary>A signed-in user adds a passkey.</summary>
    Registration = 1,

    /// <summary>Someone signs in (or re-authenticates) with a passkey.</summary>
    Authentication = 2,

    /// <summary>A new account is created with a passkey and no password.</summary>
    SignUp = 3,
}

/// <summary>
/// A ceremony's challenge, stored so that any instance can finish a ceremony another began: found again from the
/// <c>challenge</c> inside <c>clientDataJSON</c> (by its SHA-256), single use, expiring.
/// </summary>
public sealed class PasskeyChallenge
{
    /// <summary>The record's id.</summary>
    public Guid Id { get; set; }

    /// <summary>Base64url SHA-256 of the challenge bytes: the lookup key.</summary>
    public string ChallengeHash { get; set; } = "";

    /// <summary>What it is for.</summary>
    public PasskeyCeremony Ceremony { get; set; }

    /// <summary>The user of a registration (or of a re-authentication); null for a sign-in or a sign-up.</summary>
    public Guid? UserId { get; set; }

    /// <summary>The user's security stamp when it began (SECURITY T12); empty when there is no user yet.</summary>
    public string SecurityStamp { get; set; } = "";

    /// <summary>The options sent to the browser, as JSON: the verifier checks the response against them.</summary>
    public string OptionsJson { get; set; } = "";

    /// <summary>When it was issued.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When it stops working.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>When it was answered; null until then.</summary>
    public DateTimeOffset? UsedAt { get; set; }
}
