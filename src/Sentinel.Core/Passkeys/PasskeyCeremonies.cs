using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Fido2NetLib.Serialization;
using Microsoft.Extensions.Options;

namespace Sentinel.Passkeys;

/// <summary>
/// The WebAuthn ceremonies, verified by the Fido2 library (fido2-net-lib): options in the WebAuthn JSON forms,
/// their challenges stored through <see cref="IPasskeyStore"/> so that any instance finishes what another began
/// (SECURITY W1), and responses read leniently (unknown fields and transports ignored) and verified strictly
/// (origin, type, <c>rpIdHash</c>, user presence and verification, signature and counter, W2). It decides nothing
/// about accounts: the services that call it do.
/// </summary>
internal sealed class PasskeyCeremonies
{
    /// <summary>The largest credential JSON read; real ones are a few kilobytes.</summary>
    private const int MaxResponseChars = 64 * 1024;

    private static readonly HashSet<string> KnownTransports = new(StringComparer.Ordinal) { "usb", "nfc", "ble", "smart-card", "hybrid", "internal" };

    // ES256, RS256 and EdDSA, the algorithms of the contract; Fido2 refuses a key of any other at registration.
    private static readonly IReadOnlyList<PubKeyCredParam> Algorithms = [PubKeyCredParam.ES256, PubKeyCredParam.RS256, PubKeyCredParam.Ed25519];

    private readonly PasskeyOptions _options;
    private readonly IPasskeyStore _store;
    private readonly TimeProvider _time;
    private readonly PasskeyRelyingParty _relyingParty;

    public PasskeyCeremonies(IOptions<SentinelOptions> options, PasskeyRelyingParty relyingParty, IPasskeyStore store, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value.Passkeys;
        _relyingParty = relyingParty;
        _store = store;
        _time = time;
    }

    /// <summary>The answer when passkeys are not configured.</summary>
    public static readonly SentinelError NotConfigured =
        new(SentinelErrorCode.NotFound, "Passkeys are not configured on this server (Sentinel:Passkeys:RelyingPartyId).");

    /// <summary>True when <c>Sentinel:Passkeys:RelyingPartyId</c> is set.</summary>
    public bool Enabled => _options.Enabled;

    /// <summary>Whether the authenticator must verify the user.</summary>
    public bool RequiresUserVerification => _options.UserVerification == PasskeyUserVerification.Required;

    private Fido2 Fido2 => _relyingParty.Fido2 ?? throw new InvalidOperationException("Passkeys are not configured.");

    private UserVerificationRequirement Verification =>
        RequiresUserVerification ? UserVerificationRequirement.Required : UserVerificationRequirement.Preferred;

    /// <summary>
    /// Creation options for a new passkey of the account <paramref name="userHandle"/>, with its passkeys excluded,
    /// and the challenge stored for <paramref name="ceremony"/>. Returns the options' JSON.
    /// </summary>
    public async Task<string> BeginRegistrationAsync(
        PasskeyCeremony ceremony, Guid? userId, string securityStamp, byte[] userHandle, string email,
        IReadOnlyList<PasskeyCredential> existing, CancellationToken cancellationToken)
    {
        var options = Fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            User = new Fido2User { Id = userHandle, Name = email, DisplayName = email },
            ExcludeCredentials = [.. existing.Select(p => new PublicKeyCredentialDescriptor(p.CredentialId))],
            AuthenticatorSelection = new AuthenticatorSelection
            {
                ResidentKey = ResidentKeyRequirement.Required,
                UserVerification = Verification,
            },
            AttestationPreference = AttestationConveyancePreference.None,
            PubKeyCredParams = Algorithms,
        });
        var json = options.ToJson();
        await StoreChallengeAsync(options.Challenge, ceremony, userId, securityStamp, json, cancellationToken).ConfigureAwait(false);
        return json;
    }

    /// <summary>
    /// Request options for a sign-in (or a re-authentication of <paramref name="userId"/>): discoverable credentials,
    /// so <c>allowCredentials</c> is empty and the authenticator offers the user's passkeys itself.
    /// </summary>
    public async Task<string> BeginAuthenticationAsync(Guid? userId, string securityStamp, CancellationToken cancellationToken)
    {
        var options = Fido2.GetAssertionOptions(new GetAssertionOptionsParams { UserVerification = Verification });
        var json = options.ToJson();
        await StoreChallengeAsync(options.Challenge, PasskeyCeremony.Authentication, userId, securityStamp, json, cancellationToken).ConfigureAwait(false);
        return json;
    }

    private async Task StoreChallengeAsync(byte[] challenge, PasskeyCeremony ceremony, Guid? userId, string securityStamp, string optionsJson, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await _store.CreateChallengeAsync(new PasskeyChallenge
        {
            Id = Guid.CreateVersion7(now),
            ChallengeHash = HashOf(challenge),
            Ceremony = ceremony,
            UserId = userId,
            SecurityStamp = securityStamp,
            OptionsJson = optionsJson,
            CreatedAt = now,
            ExpiresAt = now + _options.ChallengeLifetime,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads a <c>RegistrationResponseJSON</c> and spends the challenge inside it, which must be an unanswered,
    /// unexpired one of <paramref name="ceremony"/> (SECURITY W1): the response and its challenge, or the refusal.
    /// </summary>
    public async Task<SentinelResult<Registration>> ReadRegistrationAsync(string? responseJson, PasskeyCeremony ceremony, CancellationToken cancellationToken)
    {
        if (Parse(responseJson, PasskeyJsonContext.Default.AuthenticatorAttestationRawResponse, out var transports) is not { } response
            || response.Response?.ClientDataJson is not { } clientData)
        {
            return Malformed;
        }

        var challenge = await SpendChallengeAsync(clientData, ceremony, cancellationToken).ConfigureAwait(false);
        return challenge.TryGetValue(out var found)
            ? SentinelResult.Success(new Registration(response, found, transports))
            : challenge.Error!;
    }

    /// <summary>
    /// Verifies a registration against the options its challenge was issued with (W2): the new credential, or
    /// <see cref="SentinelErrorCode.InvalidPasskey"/>. <paramref name="isNew"/> says whether a credential id is unused (W3).
    /// </summary>
    public async Task<SentinelResult<RegisteredPublicKeyCredential>> VerifyRegistrationAsync(
        Registration registration, Func<byte[], CancellationToken, Task<bool>> isNew, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        try
        {
            var options = CredentialCreateOptions.FromJson(registration.Challenge.OptionsJson);
            var credential = await Fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = registration.Response,
                OriginalOptions = options,
                IsCredentialIdUniqueToUserCallback = (p, ct) => isNew(p.CredentialId, ct),
            }, cancellationToken).ConfigureAwait(false);
            return SentinelResult.Success(credential);
        }
        catch (Exception e) when (IsVerificationFailure(e))
        {
            return Refused(e is Fido2VerificationException { Code: Fido2NetLib.Exceptions.Fido2ErrorCode.NonUniqueCredentialId }
                ? "This passkey is registered already."
                : "The passkey's registration could not be verified.");
        }
    }

    /// <summary>Reads an <c>AuthenticationResponseJSON</c> and spends its challenge, which must be an authentication one.</summary>
    public async Task<SentinelResult<Assertion>> ReadAssertionAsync(string? responseJson, CancellationToken cancellationToken)
    {
        if (Parse(responseJson, FidoModelSerializerContext.Default.AuthenticatorAssertionRawResponse, out _) is not { } response
            || response.Response?.ClientDataJson is not { } clientData
            || response.RawId is not { Length: > 0 } credentialId)
        {
            return Malformed;
        }

        var challenge = await SpendChallengeAsync(clientData, PasskeyCeremony.Authentication, cancellationToken).ConfigureAwait(false);
        return challenge.TryGetValue(out var found)
            ? SentinelResult.Success(new Assertion(response, found, credentialId))
            : challenge.Error!;
    }

    /// <summary>
    /// Verifies an assertion by <paramref name="passkey"/> of the user whose handle is <paramref name="userHandle"/>
    /// (W2): its new counter and flags, or <see cref="SentinelErrorCode.InvalidPasskey"/>.
    /// </summary>
    public async Task<SentinelResult<VerifiedAssertion>> VerifyAssertionAsync(
        Assertion assertion, PasskeyCredential passkey, byte[]? userHandle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(assertion);
        ArgumentNullException.ThrowIfNull(passkey);
        try
        {
            var result = await Fido2.MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = assertion.Response,
                OriginalOptions = AssertionOptions.FromJson(assertion.Challenge.OptionsJson),
                StoredPublicKey = passkey.PublicKey,
                StoredSignatureCounter = (uint)passkey.SignCount,
                // Only called when the authenticator sent a user handle: it must be this passkey's user's.
                IsUserHandleOwnerOfCredentialIdCallback = (p, _) => Task.FromResult(
                    userHandle is not null && CryptographicOperations.FixedTimeEquals(p.UserHandle, userHandle)),
            }, cancellationToken).ConfigureAwait(false);
            var authenticatorData = assertion.Response.Response.AuthenticatorData;
            var userVerified = authenticatorData.Length > 32 && (authenticatorData[32] & (byte)AuthenticatorFlags.UV) != 0;
            return SentinelResult.Success(new VerifiedAssertion(result.SignCount, result.IsBackedUp, userVerified));
        }
        catch (Fido2VerificationException e) when (e.Code == Fido2NetLib.Exceptions.Fido2ErrorCode.InvalidSignCount)
        {
            // A cloned authenticator, or a replay of an older assertion (W2).
            return Refused("The passkey's signature counter did not grow.");
        }
        catch (Exception e) when (IsVerificationFailure(e))
        {
            return Refused("The passkey's signature could not be verified.");
        }
    }

    /// <summary>
    /// Finds the challenge that <paramref name="clientDataJson"/> answers (by its hash) and spends it: once, before
    /// it expires, for its own ceremony only. Spent before the response is verified, so a failed answer burns it too.
    /// </summary>
    private async Task<SentinelResult<PasskeyChallenge>> SpendChallengeAsync(byte[] clientDataJson, PasskeyCeremony ceremony, CancellationToken cancellationToken)
    {
        if (ChallengeOf(clientDataJson) is not { } challenge)
        {
            return Malformed;
        }

        var found = await _store.FindChallengeAsync(HashOf(challenge), cancellationToken).ConfigureAwait(false);
        if (found is null || found.Ceremony != ceremony)
        {
            return UnknownChallenge;
        }

        return await _store.TrySpendChallengeAsync(found.Id, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false)
            ? SentinelResult.Success(found)
            : UnknownChallenge;
    }

    /// <summary>The challenge bytes inside <c>clientDataJSON</c>, or null when it is not readable.</summary>
    private static byte[]? ChallengeOf(byte[] clientDataJson)
    {
        try
        {
            using var document = JsonDocument.Parse(clientDataJson);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("challenge", out var value)
                || value.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            var text = value.GetString()!;
            return text.Length is > 0 and <= 512 && Base64Url.IsValid(text) ? Base64Url.DecodeFromChars(text) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads a credential from its JSON. Transports the library does not know (a newer browser's) are dropped rather
    /// than failing the ceremony; <paramref name="transports"/> gets the known ones, to store with a new passkey.
    /// </summary>
    private static T? Parse<T>(string? json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, out List<string> transports)
        where T : class
    {
        transports = [];
        if (string.IsNullOrWhiteSpace(json) || json.Length > MaxResponseChars)
        {
            return null;
        }

        try
        {
            if (JsonNode.Parse(json) is not JsonObject root)
            {
                return null;
            }

            if (root["response"] is JsonObject response && response["transports"] is JsonArray listed)
            {
                var known = listed.Select(t => t is JsonValue v && v.TryGetValue<string>(out var s) ? s : null)
                    .Where(s => s is not null && KnownTransports.Contains(s)).Distinct(StringComparer.Ordinal).ToList();
                transports = known!;
                response["transports"] = new JsonArray([.. known.Select(s => (JsonNode?)JsonValue.Create(s))]);
            }

            return root.Deserialize(typeInfo);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Failures Fido2 reports for a response that does not verify (it throws; a bad stored key may throw CBOR or crypto errors).</summary>
    private static bool IsVerificationFailure(Exception e) =>
        e is Fido2VerificationException or ArgumentException or FormatException or InvalidOperationException or InvalidCastException
            or CryptographicException or System.Formats.Cbor.CborContentException or NotSupportedException or KeyNotFoundException
            or OverflowException or JsonException;

    /// <summary>Base64url SHA-256 of a challenge: how it is stored and found.</summary>
    internal static string HashOf(ReadOnlySpan<byte> challenge) => Base64Url.EncodeToString(SHA256.HashData(challenge));

    private static SentinelError Refused(string detail) => new(SentinelErrorCode.InvalidPasskey, detail);

    private static readonly SentinelError Malformed = Refused("The passkey response is not a WebAuthn credential in its JSON form.");

    private static readonly SentinelError UnknownChallenge = Refused("The passkey ceremony has expired, was already answered or was not started here; start it again.");

    /// <summary>A registration response and the challenge it answered.</summary>
    internal sealed record Registration(AuthenticatorAttestationRawResponse Response, PasskeyChallenge Challenge, IReadOnlyList<string> Transports);

    /// <summary>An assertion and the challenge it answered.</summary>
    internal sealed record Assertion(AuthenticatorAssertionRawResponse Response, PasskeyChallenge Challenge, byte[] CredentialId);

    /// <summary>What a verified assertion says: the new counter, the backed-up flag and whether the user was verified.</summary>
    internal readonly record struct VerifiedAssertion(uint SignCount, bool IsBackedUp, bool UserVerified);
}

/// <summary>The relying party's Fido2 verifier, made once per host from <c>Sentinel:Passkeys</c> (null when passkeys are off).</summary>
internal sealed class PasskeyRelyingParty
{
    private readonly Lazy<Fido2?> _fido2;

    public PasskeyRelyingParty(IOptions<SentinelOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var passkeys = options.Value.Passkeys;
        _fido2 = new Lazy<Fido2?>(() => passkeys.Enabled
            ? new Fido2(new Fido2Configuration
            {
                RPID = passkeys.RelyingPartyId!.Trim(),
                RPName = passkeys.RelyingPartyName,
                Origins = passkeys.Origins.Select(o => o.TrimEnd('/')).ToHashSet(StringComparer.OrdinalIgnoreCase),
                ChallengeSize = 32, // 256 bits, twice W1's floor
                Timeout = (uint)passkeys.ChallengeLifetime.TotalMilliseconds,
            })
            : null);
    }

    public Fido2? Fido2 => _fido2.Value;
}

/// <summary>Fido2 ships no source-generated metadata for registration responses; this is it.</summary>
[JsonSerializable(typeof(AuthenticatorAttestationRawResponse))]
internal sealed partial class PasskeyJsonContext : JsonSerializerContext;
