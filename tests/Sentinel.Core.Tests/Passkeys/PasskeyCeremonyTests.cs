using System.Buffers.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using OtpNet;
using Sentinel.Audit;
using Sentinel.Mfa;
using Sentinel.Passkeys;
using Sentinel.SignIn;
using Sentinel.Specification.Passkeys;
using Sentinel.Users;

namespace Sentinel.Tests.Passkeys;

/// <summary>
/// The passkey ceremonies end to end in Core, with the tests' software authenticator (checked against
/// @simplewebauthn/server elsewhere): every algorithm and attestation the contract names, and each refusal of
/// SECURITY W1–W4 and T12.
/// </summary>
public sealed class PasskeyCeremonyTests : IDisposable
{
    private const string Origin = "https://app.example.com";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly TestServices _s = new(o =>
    {
        o.Passkeys.RelyingPartyId = "example.com";
        o.Passkeys.RelyingPartyName = "Example";
        o.Passkeys.Origins.Add(Origin);
    });

    private PasskeyService Passkeys => _s.Get<PasskeyService>();

    public void Dispose() => _s.Dispose();

    [Theory]
    [InlineData(PasskeyAlgorithm.ES256, PasskeyAttestation.None)]
    [InlineData(PasskeyAlgorithm.ES256, PasskeyAttestation.PackedSelf)]
    [InlineData(PasskeyAlgorithm.EdDSA, PasskeyAttestation.None)]
    [InlineData(PasskeyAlgorithm.EdDSA, PasskeyAttestation.PackedSelf)]
    [InlineData(PasskeyAlgorithm.RS256, PasskeyAttestation.None)]
    [InlineData(PasskeyAlgorithm.RS256, PasskeyAttestation.PackedSelf)]
    public async Task APasskeyOfEachAlgorithmAndAttestation_Registers_AndSignsInAsTwoFactors(PasskeyAlgorithm algorithm, PasskeyAttestation attestation)
    {
        var user = await _s.RegisterAsync();
        using var authenticator = new SoftwareAuthenticator(Origin, algorithm, Guid.Parse("fbfc3007-154e-4ecc-8c0b-6e020557d7bd")) { Synced = true };

        var passkey = await AddPasskeyAsync(user, authenticator, attestation);
        passkey.Name.Should().Be("Apple Passwords", "the AAGUID names the authenticator");
        passkey.AttestationFormat.Should().Be(attestation == PasskeyAttestation.None ? "none" : "packed");
        passkey.Transports.Should().Equal("internal", "hybrid");
        passkey.IsBackupEligible.Should().BeTrue();
        passkey.IsBackedUp.Should().BeTrue();

        var signIn = await SignInAsync(authenticator);
        var success = signIn.Should().BeOfType<SignInResult.Success>().Subject;
        success.User.Id.Should().Be(user.Id);
        success.Methods.Should().Equal("hwk", "mfa");
        var stored = (await Passkeys.ListAsync(user.Id, Ct)).Single();
        stored.SignCount.Should().Be(1);
        stored.LastUsedAt.Should().Be(_s.Time.GetUtcNow());
        _s.Audit.Events.Should().Contain(e => e.Type == AuditEventTypes.LoginSucceeded && e.Details.GetValueOrDefault("method") == "passkey");
        _s.Audit.Events.Should().Contain(e => e.Type == AuditEventTypes.PasskeyRegistered && e.UserId == user.Id);
    }

    [Fact]
    public async Task W3_CreationOptions_AreTheContractsAndCarryARandomUserHandle()
    {
        var user = await _s.RegisterAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        await AddPasskeyAsync(user, authenticator);

        var options = JsonNode.Parse((await Passkeys.BeginRegistrationAsync(user.Id, Ct)).Value!)!;
        options["rp"]!["id"]!.GetValue<string>().Should().Be("example.com");
        options["authenticatorSelection"]!["residentKey"]!.GetValue<string>().Should().Be("required");
        options["authenticatorSelection"]!["userVerification"]!.GetValue<string>().Should().Be("required");
        options["attestation"]!.GetValue<string>().Should().Be("none");
        options["pubKeyCredParams"]!.AsArray().Select(p => p!["alg"]!.GetValue<int>()).Should().Equal(-7, -257, -8);
        options["excludeCredentials"]!.AsArray().Select(c => c!["id"]!.GetValue<string>()).Should().Equal(Base64Url.EncodeToString(authenticator.Credentials[0].Id));
        Base64Url.DecodeFromChars(options["challenge"]!.GetValue<string>()).Should().HaveCount(32, "W1: at least 128 bits");

        var handle = Base64Url.DecodeFromChars(options["user"]!["id"]!.GetValue<string>());
        handle.Should().HaveCount(64);
        handle.Should().Equal((await _s.Store.FindByIdAsync(user.Id, Ct))!.PasskeyUserHandle, "one handle per user, made once");
        handle.Should().NotEqual(user.Id.ToByteArray());
        System.Text.Encoding.UTF8.GetString(handle).Should().NotContain("ada");
    }

    public static TheoryData<string, WebAuthnTweaks> BrokenAssertions => new()
    {
        { "wrong origin", new WebAuthnTweaks { Origin = "https://evil.example.net" } },
        { "wrong type", new WebAuthnTweaks { Type = "webauthn.create" } },
        { "wrong rpIdHash", new WebAuthnTweaks { RpIdForHash = "evil.example.net" } },
        { "no user presence", new WebAuthnTweaks { NoUserPresence = true } },
        { "no user verification", new WebAuthnTweaks { NoUserVerification = true } },
        { "bad signature", new WebAuthnTweaks { CorruptSignature = true } },
        { "another user's handle", new WebAuthnTweaks { UserHandle = new byte[64] } },
    };

    [Theory]
    [MemberData(nameof(BrokenAssertions))]
    public async Task W2_ABrokenAssertion_IsRefused_AndAuditedAsAPasskeyFailure(string what, WebAuthnTweaks tweaks)
    {
        var user = await _s.RegisterAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        await AddPasskeyAsync(user, authenticator);

        var result = await SignInAsync(authenticator, tweaks);

        result.Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey, what);
        _s.Audit.Events.Should().Contain(e => e.Type == AuditEventTypes.LoginFailed && e.UserId == user.Id && e.Details.GetValueOrDefault("method") == "passkey", what);
        (await Passkeys.ListAsync(user.Id, Ct)).Single().LastUsedAt.Should().BeNull(what);
    }

    public static TheoryData<string, WebAuthnTweaks> BrokenRegistrations => new()
    {
        { "wrong origin", new WebAuthnTweaks { Origin = "https://evil.example.net" } },
        { "wrong type", new WebAuthnTweaks { Type = "webauthn.get" } },
        { "wrong rpIdHash", new WebAuthnTweaks { RpIdForHash = "evil.example.net" } },
        { "no user presence", new WebAuthnTweaks { NoUserPresence = true } },
        { "no user verification", new WebAuthnTweaks { NoUserVerification = true } },
    };

    [Theory]
    [MemberData(nameof(BrokenRegistrations))]
    public async Task W2_ABrokenRegistration_IsRefused_AndNothingIsStored(string what, WebAuthnTweaks tweaks)
    {
        var user = await _s.RegisterAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        var options = (await Passkeys.BeginRegistrationAsync(user.Id, Ct)).Value!;

        var result = await Passkeys.CompleteRegistrationAsync(user.Id, authenticator.Register(options, tweaks: tweaks), cancellationToken: Ct);

        result.Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey, what);
        (await Passkeys.ListAsync(user.Id, Ct)).Should().BeEmpty(what);
    }

    [Fact]
    public async Task W2_APackedSelfAttestationWithABadSignature_IsRefused()
    {
        var user = await _s.RegisterAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        var options = (await Passkeys.BeginRegistrationAsync(user.Id, Ct)).Value!;

        var result = await Passkeys.CompleteRegistrationAsync(
            user.Id, authenticator.Register(options, PasskeyAttestation.PackedSelf, new WebAuthnTweaks { CorruptSignature = true }), cancellationToken: Ct);

        result.Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
    }

    [Fact]
    public async Task W2_ACounterThatDoesNotGrow_IsRefused()
    {
        var user = await _s.RegisterAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        await AddPasskeyAsync(user, authenticator);
        (await SignInAsync(authenticator)).Succeeded.Should().BeTrue(); // counter 1
        (await SignInAsync(authenticator)).Succeeded.Should().BeTrue(); // counter 2

        var cloned = await SignInAsync(authenticator, new WebAuthnTweaks { SignCount = 2 });

        cloned.Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
        cloned.Error.Message.Should().Contain("counter");
        (await Passkeys.ListAsync(user.Id, Ct)).Single().SignCount.Should().Be(2);
    }

    [Fact]
    public async Task W2_APasskeyWhoseCounterIsAlwaysZero_SignsInAgainAndAgain()
    {
        var user = await _s.RegisterAsync();
        using var authenticator = new SoftwareAuthenticator(Origin) { CounterStep = 0 };
        await AddPasskeyAsync(user, authenticator);

        for (var i = 0; i < 3; i++)
        {
            (await SignInAsync(authenticator)).Succeeded.Should().BeTrue();
        }
    }

    [Fact]
    public async Task W1_AnAnsweredChallenge_CannotBeAnsweredAgain()
    {
        var user = await _s.RegisterAsync();
        using var authenticator = new SoftwareAuthenticator(Origin) { CounterStep = 0 };
        await AddPasskeyAsync(user, authenticator);
        var assertion = authenticator.Assert((await _s.SignIn.BeginPasskeySignInAsync(Ct)).Value!);

        (await _s.SignIn.PasskeySignInAsync(assertion, cancellationToken: Ct)).Succeeded.Should().BeTrue();
        var replay = await _s.SignIn.PasskeySignInAsync(assertion, cancellationToken: Ct);

        replay.Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
    }

    [Fact]
    public async Task W1_AnExpiredChallenge_IsRefused()
    {
        var user = await _s.RegisterAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        await AddPasskeyAsync(user, authenticator);
        var options = (await _s.SignIn.BeginPasskeySignInAsync(Ct)).Value!;

        _s.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));

        (await _s.SignIn.PasskeySignInAsync(authenticator.Assert(options), cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
    }

    [Fact]
    public async Task W1_AChallengeOfAnotherCeremonyOrNeverIssued_IsRefused()
    {
        var user = await _s.RegisterAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        await AddPasskeyAsync(user, authenticator);
        var registrationOptions = JsonNode.Parse((await Passkeys.BeginRegistrationAsync(user.Id, Ct)).Value!)!;
        var loginOptions = (await _s.SignIn.BeginPasskeySignInAsync(Ct)).Value!;

        var withRegistrationChallenge = authenticator.Assert(loginOptions, tweaks: new WebAuthnTweaks { Challenge = registrationOptions["challenge"]!.GetValue<string>() });
        var withMadeUpChallenge = authenticator.Assert(loginOptions, tweaks: new WebAuthnTweaks { Challenge = Base64Url.EncodeToString(new byte[32]) });

        (await _s.SignIn.PasskeySignInAsync(withRegistrationChallenge, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
        (await _s.SignIn.PasskeySignInAsync(withMadeUpChallenge, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
    }

    [Fact]
    public async Task W1_ARegistrationBegunByOneUser_CannotBeFinishedByAnother()
    {
        var ada = await _s.RegisterAsync();
        var eve = await _s.RegisterAsync("eve@example.com");
        using var authenticator = new SoftwareAuthenticator(Origin);
        var adasOptions = (await Passkeys.BeginRegistrationAsync(ada.Id, Ct)).Value!;

        var result = await Passkeys.CompleteRegistrationAsync(eve.Id, authenticator.Register(adasOptions), cancellationToken: Ct);

        result.Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
        (await Passkeys.ListAsync(eve.Id, Ct)).Should().BeEmpty();
        (await Passkeys.ListAsync(ada.Id, Ct)).Should().BeEmpty();
    }

    [Fact]
    public async Task W3_ACredentialRegistersOnceAcrossAllUsers()
    {
        var ada = await _s.RegisterAsync();
        var eve = await _s.RegisterAsync("eve@example.com");
        using var authenticator = new SoftwareAuthenticator(Origin);
        await AddPasskeyAsync(ada, authenticator);

        var options = (await Passkeys.BeginRegistrationAsync(eve.Id, Ct)).Value!;
        var again = await Passkeys.CompleteRegistrationAsync(eve.Id, authenticator.Register(options, reuse: authenticator.Credentials[0]), cancellationToken: Ct);

        again.Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
        (await Passkeys.ListAsync(eve.Id, Ct)).Should().BeEmpty();
    }

    [Fact]
    public async Task W4_ARemovedPasskey_IsRefusedAtItsNextAssertion()
    {
        var user = await _s.RegisterAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        var passkey = await AddPasskeyAsync(user, authenticator);

        (await Passkeys.DeleteAsync(user.Id, passkey.Id, cancellationToken: Ct)).Succeeded.Should().BeTrue();

        (await SignInAsync(authenticator)).Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
        _s.Audit.Events.Should().Contain(e => e.Type == AuditEventTypes.PasskeyRemoved && e.UserId == user.Id);
        _s.Audit.Events.Should().Contain(e => e.Type == AuditEventTypes.LoginFailed && e.Details.GetValueOrDefault("reason") == "unknown_passkey" && e.Details.GetValueOrDefault("method") == "passkey");
    }

    [Fact]
    public async Task W4_ADisabledUsersPasskey_IsRefused()
    {
        var user = await _s.RegisterAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        await AddPasskeyAsync(user, authenticator);

        await _s.Users.SetDisabledAsync(user.Id, true, Ct);

        (await SignInAsync(authenticator)).Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
        _s.Audit.Events.Should().Contain(e => e.Type == AuditEventTypes.LoginFailed && e.Details.GetValueOrDefault("reason") == "disabled" && e.Details.GetValueOrDefault("method") == "passkey");
    }

    [Fact]
    public async Task T12_ARegistrationBegunBeforeAPasswordChange_CannotBeFinished()
    {
        var user = await _s.RegisterAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        var options = (await Passkeys.BeginRegistrationAsync(user.Id, Ct)).Value!;

        (await _s.Users.ChangePasswordAsync(user.Id, "correct horse battery", "another long passphrase", cancellationToken: Ct)).Succeeded.Should().BeTrue();

        (await Passkeys.CompleteRegistrationAsync(user.Id, authenticator.Register(options), cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
    }

    [Fact]
    public async Task WrongAssertions_LockThePasskeyOut_NotTheAccountsPassword()
    {
        var user = await _s.RegisterAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        await AddPasskeyAsync(user, authenticator);

        SignInResult last = null!;
        for (var i = 0; i < 6; i++)
        {
            last = await SignInAsync(authenticator, new WebAuthnTweaks { CorruptSignature = true });
        }

        last.Should().BeOfType<SignInResult.LockedOut>();
        (await SignInAsync(authenticator)).Should().BeOfType<SignInResult.LockedOut>("the right assertion is refused during the lockout too");
        (await _s.SignIn.PasswordSignInAsync("ada@example.com", "correct horse battery", cancellationToken: Ct)).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task APasskeyWithTwoFactorOn_SkipsTheCodeStep()
    {
        var user = await _s.RegisterAsync();
        await EnableTotpAsync(user);
        using var authenticator = new SoftwareAuthenticator(Origin);
        await AddPasskeyAsync(user, authenticator);

        (await SignInAsync(authenticator)).Should().BeOfType<SignInResult.Success>().Which.Methods.Should().Equal("hwk", "mfa");
    }

    [Fact]
    public async Task WithUserVerificationPreferred_APasskeyThatDidNotVerifyTheUser_IsOneFactor()
    {
        using var s = new TestServices(o =>
        {
            o.Passkeys.RelyingPartyId = "example.com";
            o.Passkeys.Origins.Add(Origin);
            o.Passkeys.UserVerification = PasskeyUserVerification.Preferred;
        });
        var user = (await s.Users.RegisterAsync("ada@example.com", "correct horse battery", cancellationToken: Ct)).Value!;
        using var authenticator = new SoftwareAuthenticator(Origin);
        var passkeys = s.Get<PasskeyService>();
        var options = (await passkeys.BeginRegistrationAsync(user.Id, Ct)).Value!;
        (await passkeys.CompleteRegistrationAsync(user.Id, authenticator.Register(options, tweaks: new WebAuthnTweaks { NoUserVerification = true }), cancellationToken: Ct))
            .Succeeded.Should().BeTrue();

        var signIn = await s.SignIn.PasskeySignInAsync(authenticator.Assert((await s.SignIn.BeginPasskeySignInAsync(Ct)).Value!, tweaks: new WebAuthnTweaks { NoUserVerification = true }), cancellationToken: Ct);
        signIn.Should().BeOfType<SignInResult.Success>().Which.Methods.Should().Equal("hwk");

        var mfa = s.Get<MfaService>();
        var secret = Base32Encoding.ToBytes((await mfa.BeginSetupAsync(user.Id, Ct)).Value!.SharedKey);
        (await mfa.ConfirmSetupAsync(user.Id, new OtpNet.Totp(secret).ComputeTotp(s.Time.GetUtcNow().UtcDateTime), cancellationToken: Ct)).Succeeded.Should().BeTrue();
        var withTwoFactor = await s.SignIn.PasskeySignInAsync(authenticator.Assert((await s.SignIn.BeginPasskeySignInAsync(Ct)).Value!, tweaks: new WebAuthnTweaks { NoUserVerification = true }), cancellationToken: Ct);
        withTwoFactor.Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
    }

    [Fact]
    public async Task T11_ReauthenticationWithAPasskey_MovesAuthTime_AndRefusesAnotherUsersPasskey()
    {
        var ada = await _s.RegisterAsync();
        var eve = await _s.RegisterAsync("eve@example.com");
        using var adas = new SoftwareAuthenticator(Origin);
        using var eves = new SoftwareAuthenticator(Origin);
        await AddPasskeyAsync(ada, adas);
        await AddPasskeyAsync(eve, eves);
        var session = (SignInResult.Success)await _s.SignIn.PasswordSignInAsync("ada@example.com", "correct horse battery", cancellationToken: Ct);
        _s.Time.Advance(TimeSpan.FromMinutes(30));

        var withEves = await _s.SignIn.ReauthenticateWithPasskeyAsync(ada.Id, session.Tokens.SessionId, eves.Assert((await _s.SignIn.BeginPasskeySignInAsync(Ct)).Value!), cancellationToken: Ct);
        withEves.Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);

        var withAdas = await _s.SignIn.ReauthenticateWithPasskeyAsync(ada.Id, session.Tokens.SessionId, adas.Assert((await _s.SignIn.BeginPasskeySignInAsync(Ct)).Value!), cancellationToken: Ct);
        var success = withAdas.Should().BeOfType<SignInResult.Success>().Subject;
        success.Tokens.SessionId.Should().Be(session.Tokens.SessionId);
        success.Methods.Should().Equal("hwk", "mfa");
        _s.Audit.Events.Should().Contain(e => e.Type == AuditEventTypes.Reauthenticated && e.Details.GetValueOrDefault("method") == "passkey");
    }

    [Fact]
    public async Task APasswordlessSignUp_MakesAnAccountWithThePasskeyAndNoPassword()
    {
        using var authenticator = new SoftwareAuthenticator(Origin);
        var options = (await Passkeys.BeginSignUpAsync("grace@example.com", Ct)).Value!;
        (await _s.Store.FindByNormalizedEmailAsync(EmailNormalizer.Normalize("grace@example.com"), Ct)).Should().BeNull("nothing is stored until the passkey verifies");

        var signUp = await Passkeys.CompleteSignUpAsync(authenticator.Register(options), cancellationToken: Ct);

        var success = signUp.Should().BeOfType<SignInResult.Success>().Subject;
        success.Methods.Should().Equal("hwk", "mfa");
        success.User.Email.Should().Be("grace@example.com");
        success.User.PasswordHash.Should().BeEmpty();
        (await Passkeys.ListAsync(success.User.Id, Ct)).Should().ContainSingle();
        (await SignInAsync(authenticator)).Succeeded.Should().BeTrue();
        (await _s.SignIn.PasswordSignInAsync("grace@example.com", "", cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidCredentials, "an empty hash verifies nothing");
        _s.Audit.Events.Should().Contain(e => e.Type == AuditEventTypes.UserRegistered && e.UserId == success.User.Id && e.Details.GetValueOrDefault("method") == "passkey");
    }

    [Fact]
    public async Task APasswordlessAccount_KeepsItsLastPasskeyUntilItHasAPassword()
    {
        using var authenticator = new SoftwareAuthenticator(Origin);
        var signUp = (SignInResult.Success)await Passkeys.CompleteSignUpAsync(authenticator.Register((await Passkeys.BeginSignUpAsync("grace@example.com", Ct)).Value!), cancellationToken: Ct);
        var passkey = (await Passkeys.ListAsync(signUp.User.Id, Ct)).Single();

        var refused = await Passkeys.DeleteAsync(signUp.User.Id, passkey.Id, cancellationToken: Ct);
        refused.Error!.Code.Should().Be(SentinelErrorCode.ValidationFailed);
        refused.Error.Errors!.Should().ContainKey("passkey");

        (await _s.Users.AddPasswordAsync(signUp.User.Id, "a brand new passphrase", cancellationToken: Ct)).Succeeded.Should().BeTrue();
        (await _s.Users.AddPasswordAsync(signUp.User.Id, "yet another passphrase", cancellationToken: Ct)).Error!.Errors!.Should().ContainKey("currentPassword");
        (await _s.SignIn.PasswordSignInAsync("grace@example.com", "a brand new passphrase", cancellationToken: Ct)).Succeeded.Should().BeTrue();
        (await Passkeys.DeleteAsync(signUp.User.Id, passkey.Id, cancellationToken: Ct)).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task APasskeySignUp_ForATakenOrBadAddress_IsRefused()
    {
        await _s.RegisterAsync();

        (await Passkeys.BeginSignUpAsync("ADA@example.com", Ct)).Error!.Code.Should().Be(SentinelErrorCode.EmailTaken);
        (await Passkeys.BeginSignUpAsync("not an address", Ct)).Error!.Code.Should().Be(SentinelErrorCode.ValidationFailed);
    }

    [Fact]
    public async Task APasskeySignUp_WhoseAddressWasTakenMeanwhile_IsRefused()
    {
        using var authenticator = new SoftwareAuthenticator(Origin);
        var options = (await Passkeys.BeginSignUpAsync("ada@example.com", Ct)).Value!;
        await _s.RegisterAsync();

        (await Passkeys.CompleteSignUpAsync(authenticator.Register(options), cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.EmailTaken);
    }

    [Fact]
    public async Task Passkeys_AreRenamedAndListed_OnlyByTheirOwner()
    {
        var ada = await _s.RegisterAsync();
        var eve = await _s.RegisterAsync("eve@example.com");
        using var authenticator = new SoftwareAuthenticator(Origin);
        var passkey = await AddPasskeyAsync(ada, authenticator, name: "Work laptop");
        passkey.Name.Should().Be("Work laptop");

        (await Passkeys.RenameAsync(ada.Id, passkey.Id, "  Phone  ", Ct)).Value!.Name.Should().Be("Phone");
        (await Passkeys.RenameAsync(eve.Id, passkey.Id, "Mine now", Ct)).Error!.Code.Should().Be(SentinelErrorCode.NotFound);
        (await Passkeys.DeleteAsync(eve.Id, passkey.Id, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.NotFound);
        (await Passkeys.RenameAsync(ada.Id, passkey.Id, new string('x', 65), Ct)).Error!.Code.Should().Be(SentinelErrorCode.ValidationFailed);
        (await Passkeys.ListAsync(ada.Id, Ct)).Single().Name.Should().Be("Phone");
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("[1,2]")]
    [InlineData("{\"id\":\"x\",\"rawId\":\"x\",\"type\":\"public-key\",\"response\":{\"clientDataJSON\":\"not base64url!\"}}")]
    public async Task AMalformedResponse_IsInvalidPasskey_NeverAnException(string json)
    {
        var user = await _s.RegisterAsync();

        (await _s.SignIn.PasskeySignInAsync(json, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
        (await Passkeys.CompleteRegistrationAsync(user.Id, json, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
        (await Passkeys.CompleteSignUpAsync(json, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidPasskey);
    }

    [Fact]
    public async Task WithoutARelyingParty_PasskeysAreOff()
    {
        using var s = new TestServices();
        var user = (await s.Users.RegisterAsync("ada@example.com", "correct horse battery", cancellationToken: Ct)).Value!;

        (await s.Get<PasskeyService>().BeginRegistrationAsync(user.Id, Ct)).Error!.Code.Should().Be(SentinelErrorCode.NotFound);
        (await s.SignIn.BeginPasskeySignInAsync(Ct)).Error!.Code.Should().Be(SentinelErrorCode.NotFound);
    }

    private async Task<PasskeyCredential> AddPasskeyAsync(
        SentinelUser user, SoftwareAuthenticator authenticator, PasskeyAttestation attestation = PasskeyAttestation.None, string? name = null)
    {
        var options = (await Passkeys.BeginRegistrationAsync(user.Id, Ct)).Value!;
        var added = await Passkeys.CompleteRegistrationAsync(user.Id, authenticator.Register(options, attestation), name, cancellationToken: Ct);
        return added.Value ?? throw new InvalidOperationException("Registration failed: " + added.Error);
    }

    private async Task<SignInResult> SignInAsync(SoftwareAuthenticator authenticator, WebAuthnTweaks? tweaks = null)
    {
        var options = (await _s.SignIn.BeginPasskeySignInAsync(Ct)).Value!;
        return await _s.SignIn.PasskeySignInAsync(authenticator.Assert(options, tweaks: tweaks), cancellationToken: Ct);
    }

    private async Task EnableTotpAsync(SentinelUser user)
    {
        var mfa = _s.Get<MfaService>();
        var secret = Base32Encoding.ToBytes((await mfa.BeginSetupAsync(user.Id, Ct)).Value!.SharedKey);
        (await mfa.ConfirmSetupAsync(user.Id, new OtpNet.Totp(secret).ComputeTotp(_s.Time.GetUtcNow().UtcDateTime), cancellationToken: Ct)).Succeeded.Should().BeTrue();
    }
}
