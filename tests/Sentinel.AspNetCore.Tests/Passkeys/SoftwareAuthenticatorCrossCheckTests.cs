using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Sentinel.Passkeys;
using Sentinel.Specification.Passkeys;
using Sentinel.Users;

namespace Sentinel.AspNetCore.Tests.Passkeys;

/// <summary>
/// The software authenticator the passkey tests use is checked by a WebAuthn verifier nobody here wrote:
/// <c>@simplewebauthn/server</c> (tests/webauthn-check, installed by .ci/run). Each algorithm and attestation is
/// accepted by it and by Sentinel alike, with the same credential id and COSE key; the broken cases are refused by
/// both (SECURITY W2). So the authenticator does not merely agree with Fido2.
/// </summary>
public sealed class SoftwareAuthenticatorCrossCheckTests
{
    private const string Origin = "https://app.example.test";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task W2_TheSoftwareAuthenticator_IsAcceptedAndRefusedBySimpleWebAuthnAsBySentinel()
    {
        var script = ExternalTools.RequireNodeCheck("webauthn-check", "@simplewebauthn/server");
        await using var host = await SentinelTestHost.StartAsync(PasskeyEndpointTests.WithPasskeys);
        var passkeys = host.App.Services.CreateScopeService<PasskeyService>();
        var users = host.App.Services.CreateScopeService<UserService>();
        var cases = new JsonArray();
        var sentinel = new Dictionary<string, bool>(StringComparer.Ordinal);
        var stored = new Dictionary<string, PasskeyCredential>(StringComparer.Ordinal);
        var authenticators = new List<SoftwareAuthenticator>();
        try
        {
            foreach (var algorithm in Enum.GetValues<PasskeyAlgorithm>())
            {
                foreach (var attestation in Enum.GetValues<PasskeyAttestation>())
                {
                    var name = $"{algorithm}-{attestation}";
                    var user = (await users.RegisterAsync(SentinelTestHost.NewEmail(), SentinelTestHost.Password, cancellationToken: Ct)).Value!;
                    var authenticator = new SoftwareAuthenticator(Origin, algorithm);
                    authenticators.Add(authenticator);
                    var options = (await passkeys.BeginRegistrationAsync(user.Id, Ct)).Value!;
                    var response = authenticator.Register(options, attestation);
                    cases.Add(Case("registration", name, options, response));
                    var added = await passkeys.CompleteRegistrationAsync(user.Id, response, cancellationToken: Ct);
                    sentinel[name] = added.Succeeded;
                    stored[name] = added.Value!;

                    var loginOptions = await PasskeyEndpointTests.LoginOptionsAsync(host);
                    var assertion = authenticator.Assert(loginOptions);
                    cases.Add(Case("authentication", name + "-assert", loginOptions, assertion, added.Value!));
                    var signIn = await host.PostAsync("/auth/passkeys/login", new { credential = JsonNode.Parse(assertion) });
                    sentinel[name + "-assert"] = signIn.IsSuccessStatusCode;

                    var badOptions = await PasskeyEndpointTests.LoginOptionsAsync(host);
                    var bad = authenticator.Assert(badOptions, tweaks: new WebAuthnTweaks { CorruptSignature = true });
                    cases.Add(Case("authentication", name + "-bad-signature", badOptions, bad, added.Value!, counter: 1));
                    sentinel[name + "-bad-signature"] = (await host.PostAsync("/auth/passkeys/login", new { credential = JsonNode.Parse(bad) })).IsSuccessStatusCode;
                }
            }

            var other = (await users.RegisterAsync(SentinelTestHost.NewEmail(), SentinelTestHost.Password, cancellationToken: Ct)).Value!;
            var broken = new SoftwareAuthenticator(Origin);
            authenticators.Add(broken);
            foreach (var (name, tweaks) in new[]
            {
                ("wrong-origin", new WebAuthnTweaks { Origin = "https://evil.example.net" }),
                ("no-user-verification", new WebAuthnTweaks { NoUserVerification = true }),
                ("wrong-rp-id-hash", new WebAuthnTweaks { RpIdForHash = "evil.example.net" }),
            })
            {
                var options = (await passkeys.BeginRegistrationAsync(other.Id, Ct)).Value!;
                var response = broken.Register(options, tweaks: tweaks);
                cases.Add(Case("registration", name, options, response));
                sentinel[name] = (await passkeys.CompleteRegistrationAsync(other.Id, response, cancellationToken: Ct)).Succeeded;
            }

            var file = Path.Combine(Path.GetTempPath(), $"sentinel-webauthn-{Guid.NewGuid():N}.json");
            await File.WriteAllTextAsync(file, cases.ToJsonString(), Ct);
            var output = await ExternalTools.RunAsync("node", script, file);
            File.Delete(file);
            var results = JsonNode.Parse(output)!.AsArray().ToDictionary(r => r!["name"]!.GetValue<string>(), r => r!.AsObject());

            results.Keys.Should().BeEquivalentTo(sentinel.Keys);
            foreach (var (name, accepted) in sentinel)
            {
                var verified = results[name]["verified"]!.GetValue<bool>();
                verified.Should().Be(accepted, $"{name}: Sentinel and @simplewebauthn/server agree ({results[name]["error"]})");
                verified.Should().Be(!name.Contains("bad-signature", StringComparison.Ordinal) && !name.StartsWith("wrong", StringComparison.Ordinal) && !name.StartsWith("no-", StringComparison.Ordinal), name);
                if (stored.TryGetValue(name, out var passkey))
                {
                    results[name]["credentialId"]!.GetValue<string>().Should().Be(Base64Url.EncodeToString(passkey.CredentialId), name);
                    results[name]["publicKey"]!.GetValue<string>().Should().Be(Base64Url.EncodeToString(passkey.PublicKey), name + ": the same COSE key");
                    results[name]["fmt"]!.GetValue<string>().Should().Be(passkey.AttestationFormat, name);
                }
            }
        }
        finally
        {
            authenticators.ForEach(a => a.Dispose());
        }
    }

    private static JsonObject Case(string kind, string name, string options, string response, PasskeyCredential? credential = null, int counter = 0)
    {
        var c = new JsonObject
        {
            ["kind"] = kind,
            ["name"] = name,
            ["challenge"] = JsonNode.Parse(options)!["challenge"]!.GetValue<string>(),
            ["origin"] = Origin,
            ["rpId"] = "example.test",
            ["response"] = JsonNode.Parse(response),
        };
        if (credential is not null)
        {
            c["credentialId"] = Base64Url.EncodeToString(credential.CredentialId);
            c["publicKey"] = Base64Url.EncodeToString(credential.PublicKey);
            c["counter"] = counter;
        }

        return c;
    }
}

internal static class ScopedServices
{
    /// <summary>A scoped service from a scope that lives as long as the host (enough for a test).</summary>
    public static T CreateScopeService<T>(this IServiceProvider services) where T : notnull =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<T>(
            Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.CreateScope(services).ServiceProvider);
}
