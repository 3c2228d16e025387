using System.Buffers.Binary;
using System.Buffers.Text;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NSec.Cryptography;

namespace Sentinel.Specification.Passkeys;

/// <summary>The signature algorithm of a software authenticator's credentials.</summary>
public enum PasskeyAlgorithm
{
    /// <summary>ECDSA P-256 with SHA-256 (COSE -7), what most authenticators make.</summary>
    ES256 = -7,

    /// <summary>Ed25519 (COSE -8).</summary>
    EdDSA = -8,

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-256 (COSE -257), Windows Hello's.</summary>
    RS256 = -257,
}

/// <summary>The attestation statement a software authenticator sends at registration.</summary>
public enum PasskeyAttestation
{
    /// <summary><c>none</c>: an empty statement (what passkey providers send).</summary>
    None,

    /// <summary><c>packed</c> self-attestation: the new credential's key signs authData and the client data hash.</summary>
    PackedSelf,
}

/// <summary>What to get wrong on purpose, for the negative cases of SECURITY W1–W4.</summary>
public sealed record WebAuthnTweaks
{
    /// <summary>The origin written into clientDataJSON instead of the authenticator's.</summary>
    public string? Origin { get; init; }

    /// <summary>The clientDataJSON type instead of <c>webauthn.create</c>/<c>webauthn.get</c>.</summary>
    public string? Type { get; init; }

    /// <summary>The RP ID whose hash goes into authData instead of the options'.</summary>
    public string? RpIdForHash { get; init; }

    /// <summary>The challenge (base64url) written into clientDataJSON instead of the options'.</summary>
    public string? Challenge { get; init; }

    /// <summary>Clears the user-present flag.</summary>
    public bool NoUserPresence { get; init; }

    /// <summary>Clears the user-verified flag.</summary>
    public bool NoUserVerification { get; init; }

    /// <summary>The signature counter to send instead of the next one.</summary>
    public uint? SignCount { get; init; }

    /// <summary>Flips a bit of the signature.</summary>
    public bool CorruptSignature { get; init; }

    /// <summary>The user handle to send in an assertion instead of the credential's (empty array: none).</summary>
    public byte[]? UserHandle { get; init; }
}

/// <summary>
/// A WebAuthn authenticator in software, for tests: it turns creation and request options (the WebAuthn JSON forms)
/// into <c>RegistrationResponseJSON</c> and <c>AuthenticationResponseJSON</c>, as a browser's
/// <c>credential.toJSON()</c> gives them. It builds CBOR, COSE keys, authenticator data and signatures itself, from
/// the WebAuthn Level 3 and CTAP2 specifications, with nothing of Fido2's; an independent verifier
/// (<c>@simplewebauthn/server</c>, tests/webauthn-check) checks its output, so it does not merely agree with the code under test.
/// </summary>
public sealed class SoftwareAuthenticator(string origin, PasskeyAlgorithm algorithm = PasskeyAlgorithm.ES256, Guid? aaguid = null) : IDisposable
{
    private readonly List<StoredCredential> _credentials = [];

    /// <summary>Whether new credentials say they are backup eligible and backed up (a synced passkey).</summary>
    public bool Synced { get; init; }

    /// <summary>How much the counter grows per assertion: 1 (a security key) or 0 (most passkeys, always 0).</summary>
    public uint CounterStep { get; init; } = 1;

    /// <summary>The origin the authenticator's "browser" runs on.</summary>
    public string Origin => origin;

    /// <summary>The credentials made so far, oldest first.</summary>
    public IReadOnlyList<StoredCredential> Credentials => _credentials;

    /// <summary>
    /// Makes a credential for the creation options (<c>PublicKeyCredentialCreationOptionsJSON</c>) and returns the
    /// <c>RegistrationResponseJSON</c>. With <paramref name="reuse"/>, registers that credential again instead of a new one.
    /// </summary>
    public string Register(
        string creationOptionsJson, PasskeyAttestation attestation = PasskeyAttestation.None, WebAuthnTweaks? tweaks = null, StoredCredential? reuse = null)
    {
        tweaks ??= new WebAuthnTweaks();
        var options = JsonNode.Parse(creationOptionsJson)!.AsObject();
        var rpId = options["rp"]!["id"]!.GetValue<string>();
        var userHandle = Base64Url.DecodeFromChars(options["user"]!["id"]!.GetValue<string>());
        var challenge = tweaks.Challenge ?? options["challenge"]!.GetValue<string>();

        var credential = reuse ?? StoredCredential.Create(algorithm, rpId, userHandle);
        var clientData = ClientData(tweaks.Type ?? "webauthn.create", challenge, tweaks.Origin ?? origin);
        var flags = Flags(tweaks) | 0x40; // AT: attested credential data follows
        var attested = AttestedCredentialData(aaguid ?? Guid.Empty, credential.Id, credential.CoseKey);
        var authData = AuthenticatorData(tweaks.RpIdForHash ?? rpId, flags, tweaks.SignCount ?? 0, attested);

        var writer = new CborWriter(CborConformanceMode.Ctap2Canonical);
        writer.WriteStartMap(3);
        writer.WriteTextString("fmt");
        writer.WriteTextString(attestation == PasskeyAttestation.None ? "none" : "packed");
        writer.WriteTextString("attStmt");
        if (attestation == PasskeyAttestation.None)
        {
            writer.WriteStartMap(0);
            writer.WriteEndMap();
        }
        else
        {
            var signature = credential.Sign([.. authData, .. SHA256.HashData(clientData)]);
            writer.WriteStartMap(2);
            writer.WriteTextString("alg");
            writer.WriteInt32((int)algorithm);
            writer.WriteTextString("sig");
            writer.WriteByteString(tweaks.CorruptSignature ? Corrupt(signature) : signature);
            writer.WriteEndMap();
        }

        writer.WriteTextString("authData");
        writer.WriteByteString(authData);
        writer.WriteEndMap();

        if (reuse is null)
        {
            _credentials.Add(credential);
        }

        return new JsonObject
        {
            ["id"] = Base64Url.EncodeToString(credential.Id),
            ["rawId"] = Base64Url.EncodeToString(credential.Id),
            ["type"] = "public-key",
            ["authenticatorAttachment"] = "platform",
            ["clientExtensionResults"] = new JsonObject { ["credProps"] = new JsonObject { ["rk"] = true } },
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
                ["attestationObject"] = Base64Url.EncodeToString(writer.Encode()),
                ["transports"] = new JsonArray("internal", "hybrid"),
                ["publicKeyAlgorithm"] = (int)algorithm,
            },
        }.ToJsonString();
    }

    /// <summary>
    /// Signs the request options (<c>PublicKeyCredentialRequestOptionsJSON</c>) with <paramref name="credential"/> (by
    /// default the newest for the options' RP ID) and returns the <c>AuthenticationResponseJSON</c>.
    /// </summary>
    public string Assert(string requestOptionsJson, StoredCredential? credential = null, WebAuthnTweaks? tweaks = null)
    {
        tweaks ??= new WebAuthnTweaks();
        var options = JsonNode.Parse(requestOptionsJson)!.AsObject();
        var rpId = options["rpId"]!.GetValue<string>();
        var challenge = tweaks.Challenge ?? options["challenge"]!.GetValue<string>();
        credential ??= _credentials.LastOrDefault(c => c.RpId == rpId) ?? throw new InvalidOperationException("No credential for " + rpId + ".");

        credential.Counter += CounterStep;
        var clientData = ClientData(tweaks.Type ?? "webauthn.get", challenge, tweaks.Origin ?? origin);
        var authData = AuthenticatorData(tweaks.RpIdForHash ?? rpId, Flags(tweaks), tweaks.SignCount ?? credential.Counter, null);
        var signature = credential.Sign([.. authData, .. SHA256.HashData(clientData)]);
        var userHandle = tweaks.UserHandle ?? credential.UserHandle;
        var response = new JsonObject
        {
            ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
            ["authenticatorData"] = Base64Url.EncodeToString(authData),
            ["signature"] = Base64Url.EncodeToString(tweaks.CorruptSignature ? Corrupt(signature) : signature),
        };
        if (userHandle.Length > 0)
        {
            response["userHandle"] = Base64Url.EncodeToString(userHandle);
        }

        return new JsonObject
        {
            ["id"] = Base64Url.EncodeToString(credential.Id),
            ["rawId"] = Base64Url.EncodeToString(credential.Id),
            ["type"] = "public-key",
            ["authenticatorAttachment"] = "platform",
            ["clientExtensionResults"] = new JsonObject(),
            ["response"] = response,
        }.ToJsonString();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var credential in _credentials)
        {
            credential.Dispose();
        }
    }

    private byte Flags(WebAuthnTweaks tweaks)
    {
        var flags = 0;
        if (!tweaks.NoUserPresence)
        {
            flags |= 0x01; // UP
        }

        if (!tweaks.NoUserVerification)
        {
            flags |= 0x04; // UV
        }

        if (Synced)
        {
            flags |= 0x08 | 0x10; // BE, BS
        }

        return (byte)flags;
    }

    private static byte[] ClientData(string type, string challenge, string origin) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new JsonObject
        {
            ["type"] = type,
            ["challenge"] = challenge,
            ["origin"] = origin,
            ["crossOrigin"] = false,
        }));

    /// <summary>rpIdHash ‖ flags ‖ signCount (big-endian) ‖ attested credential data (WebAuthn §6.1).</summary>
    private static byte[] AuthenticatorData(string rpId, int flags, uint signCount, byte[]? attested)
    {
        var data = new byte[37 + (attested?.Length ?? 0)];
        SHA256.HashData(Encoding.UTF8.GetBytes(rpId)).CopyTo(data, 0);
        data[32] = (byte)flags;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(33), signCount);
        attested?.CopyTo(data, 37);
        return data;
    }

    /// <summary>aaguid ‖ credentialIdLength (big-endian) ‖ credentialId ‖ COSE key (WebAuthn §6.5.1).</summary>
    private static byte[] AttestedCredentialData(Guid aaguid, byte[] credentialId, byte[] coseKey)
    {
        var data = new byte[16 + 2 + credentialId.Length + coseKey.Length];
        aaguid.ToByteArray(bigEndian: true).CopyTo(data, 0);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(16), (ushort)credentialId.Length);
        credentialId.CopyTo(data, 18);
        coseKey.CopyTo(data, 18 + credentialId.Length);
        return data;
    }

    private static byte[] Corrupt(byte[] signature)
    {
        var copy = (byte[])signature.Clone();
        copy[^1] ^= 0x01;
        return copy;
    }

    /// <summary>One credential the authenticator holds: its id, key pair, RP, user handle and counter.</summary>
    public sealed class StoredCredential : IDisposable
    {
        private readonly ECDsa? _ec;
        private readonly RSA? _rsa;
        private readonly Key? _ed;

        private StoredCredential(byte[] id, string rpId, byte[] userHandle, ECDsa? ec, RSA? rsa, Key? ed)
        {
            Id = id;
            RpId = rpId;
            UserHandle = userHandle;
            _ec = ec;
            _rsa = rsa;
            _ed = ed;
            CoseKey = EncodeCoseKey();
        }

        /// <summary>The credential id.</summary>
        public byte[] Id { get; }

        /// <summary>The RP ID it was made for.</summary>
        public string RpId { get; }

        /// <summary>The user handle it was made for.</summary>
        public byte[] UserHandle { get; }

        /// <summary>The public key, COSE-encoded (RFC 9053).</summary>
        public byte[] CoseKey { get; }

        /// <summary>The signature counter (the last one sent).</summary>
        public uint Counter { get; set; }

        internal static StoredCredential Create(PasskeyAlgorithm algorithm, string rpId, byte[] userHandle)
        {
            var id = RandomNumberGenerator.GetBytes(32);
            return algorithm switch
            {
                PasskeyAlgorithm.ES256 => new StoredCredential(id, rpId, userHandle, ECDsa.Create(ECCurve.NamedCurves.nistP256), null, null),
                PasskeyAlgorithm.RS256 => new StoredCredential(id, rpId, userHandle, null, RSA.Create(2048), null),
                PasskeyAlgorithm.EdDSA => new StoredCredential(id, rpId, userHandle, null, null,
                    Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport })),
                _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
            };
        }

        /// <summary>Signs <paramref name="data"/>: ECDSA as DER (WebAuthn §6.5.6), RSA PKCS#1 v1.5, Ed25519 raw.</summary>
        public byte[] Sign(byte[] data) =>
            _ec?.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)
            ?? _rsa?.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            ?? SignatureAlgorithm.Ed25519.Sign(_ed!, data);

        private byte[] EncodeCoseKey()
        {
            var writer = new CborWriter(CborConformanceMode.Ctap2Canonical);
            if (_ec is not null)
            {
                var p = _ec.ExportParameters(false);
                writer.WriteStartMap(5);
                writer.WriteInt32(1); writer.WriteInt32(2);   // kty: EC2
                writer.WriteInt32(3); writer.WriteInt32(-7);  // alg: ES256
                writer.WriteInt32(-1); writer.WriteInt32(1);  // crv: P-256
                writer.WriteInt32(-2); writer.WriteByteString(p.Q.X!);
                writer.WriteInt32(-3); writer.WriteByteString(p.Q.Y!);
            }
            else if (_rsa is not null)
            {
                var p = _rsa.ExportParameters(false);
                writer.WriteStartMap(4);
                writer.WriteInt32(1); writer.WriteInt32(3);     // kty: RSA
                writer.WriteInt32(3); writer.WriteInt32(-257);  // alg: RS256
                writer.WriteInt32(-1); writer.WriteByteString(p.Modulus!);
                writer.WriteInt32(-2); writer.WriteByteString(p.Exponent!);
            }
            else
            {
                writer.WriteStartMap(4);
                writer.WriteInt32(1); writer.WriteInt32(1);   // kty: OKP
                writer.WriteInt32(3); writer.WriteInt32(-8);  // alg: EdDSA
                writer.WriteInt32(-1); writer.WriteInt32(6);  // crv: Ed25519
                writer.WriteInt32(-2); writer.WriteByteString(_ed!.Export(KeyBlobFormat.RawPublicKey));
            }

            writer.WriteEndMap();
            return writer.Encode();
        }

        /// <inheritdoc />
        public void Dispose()
        {
            _ec?.Dispose();
            _rsa?.Dispose();
            _ed?.Dispose();
        }
    }
}
