using FluentAssertions;
using OtpNet;
using Sentinel.Audit;
using Sentinel.Mfa;
using Sentinel.SignIn;
using Sentinel.Users;

namespace Sentinel.Tests.Mfa;

/// <summary>SECURITY M2, M3, M5, M6, M7 on the service, with a fake clock.</summary>
public sealed class MfaServiceTests
{
    private const string Password = "correct horse battery";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(TestServices S, SentinelUser User, byte[] Secret, IReadOnlyList<string> RecoveryCodes)> EnrolledAsync()
    {
        var s = new TestServices();
        var user = await s.RegisterAsync("ada@example.com", Password);
        var mfa = s.Get<MfaService>();
        var setup = (await mfa.BeginSetupAsync(user.Id, Ct)).Value!;
        var secret = Base32Encoding.ToBytes(setup.SharedKey);
        var codes = (await mfa.ConfirmSetupAsync(user.Id, Code(s, secret), cancellationToken: Ct)).Value!;
        s.Time.Advance(TimeSpan.FromSeconds(30)); // the confirming step is spent
        return (s, user, secret, codes);
    }

    private static async Task<string> ChallengeAsync(TestServices s, string email) =>
        (await s.SignIn.PasswordSignInAsync(email, Password, cancellationToken: Ct)).Should().BeOfType<SignInResult.SecondFactorRequired>().Which.MfaToken;

    private static string Code(TestServices s, byte[] secret, int stepOffset = 0) =>
        new OtpNet.Totp(secret).ComputeTotp(s.Time.GetUtcNow().UtcDateTime.AddSeconds(stepOffset * 30));

    [Fact]
    public async Task Setup_StaysPendingUntilConfirmed_AndAgainReplacesThePendingSecret()
    {
        using var s = new TestServices();
        var user = await s.RegisterAsync();
        var mfa = s.Get<MfaService>();

        var first = (await mfa.BeginSetupAsync(user.Id, Ct)).Value!;
        (await mfa.GetStatusAsync(user.Id, Ct)).Should().Be(new MfaStatus(false, true, 0));
        first.OtpAuthUri.Should().Contain("secret=" + first.SharedKey);
        first.QrCodePng.Take(8).Should().Equal(0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A);

        var second = (await mfa.BeginSetupAsync(user.Id, Ct)).Value!;
        second.SharedKey.Should().NotBe(first.SharedKey);
        (await mfa.ConfirmSetupAsync(user.Id, Code(s, Base32Encoding.ToBytes(first.SharedKey)), cancellationToken: Ct)).Error!.Code
            .Should().Be(SentinelErrorCode.InvalidMfaCode, "the first pending secret was replaced");

        var codes = (await mfa.ConfirmSetupAsync(user.Id, Code(s, Base32Encoding.ToBytes(second.SharedKey)), cancellationToken: Ct)).Value!;
        codes.Should().HaveCount(10).And.OnlyHaveUniqueItems();
        (await mfa.GetStatusAsync(user.Id, Ct)).Should().Be(new MfaStatus(true, false, 10));
        (await mfa.BeginSetupAsync(user.Id, Ct)).Error!.Code.Should().Be(SentinelErrorCode.MfaAlreadyEnabled);
        s.Audit.Events.Should().ContainSingle(e => e.Type == AuditEventTypes.MfaEnabled);
    }

    [Fact]
    public async Task Confirm_WithoutSetup_IsNoPendingSetup()
    {
        using var s = new TestServices();
        var user = await s.RegisterAsync();
        (await s.Get<MfaService>().ConfirmSetupAsync(user.Id, "123456", cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.NoPendingSetup);
    }

    [Fact]
    public async Task Secret_IsEncryptedAtRest_AndNotReturnedAfterSetup()
    {
        // SECURITY M2.
        var (s, user, secret, _) = await EnrolledAsync();
        using var _ = s;
        var stored = (await s.Get<IMfaStore>().FindAsync(user.Id, Ct))!;

        stored.ProtectedSecret.Should().NotBeNull();
        stored.ProtectedSecret!.AsSpan().IndexOf(secret).Should().Be(-1, "the stored bytes do not contain the secret");
        stored.PendingProtectedSecret.Should().BeNull();
    }

    [Fact]
    public async Task Code_WorksOnce_AndOlderStepsNever()
    {
        // SECURITY M3.
        var (s, user, secret, _) = await EnrolledAsync();
        using var _ = s;
        var mfa = s.Get<MfaService>();
        var code = Code(s, secret);

        (await mfa.CheckSecondFactorAsync(user.Id, code, null, cancellationToken: Ct)).Value.Should().Be(CredentialMethod.Totp);
        (await mfa.CheckSecondFactorAsync(user.Id, code, null, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidMfaCode);
        (await mfa.CheckSecondFactorAsync(user.Id, Code(s, secret, -1), null, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidMfaCode, "an older step after a newer one");

        s.Time.Advance(TimeSpan.FromSeconds(30));
        (await mfa.CheckSecondFactorAsync(user.Id, Code(s, secret), null, cancellationToken: Ct)).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task Window_EdgesWithTheFakeClock()
    {
        // SECURITY M4 end to end: ±1 step passes, ±2 fails.
        var (s, user, secret, _) = await EnrolledAsync();
        using var _ = s;
        var mfa = s.Get<MfaService>();
        s.Time.Advance(TimeSpan.FromMinutes(5));

        (await mfa.CheckSecondFactorAsync(user.Id, Code(s, secret, -2), null, cancellationToken: Ct)).Succeeded.Should().BeFalse();
        (await mfa.CheckSecondFactorAsync(user.Id, Code(s, secret, 2), null, cancellationToken: Ct)).Succeeded.Should().BeFalse();
        (await mfa.CheckSecondFactorAsync(user.Id, Code(s, secret, -1), null, cancellationToken: Ct)).Succeeded.Should().BeTrue();
        (await mfa.CheckSecondFactorAsync(user.Id, Code(s, secret, 1), null, cancellationToken: Ct)).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task RecoveryCodes_AreSingleUse_SaltedSlowHashes_AndRegeneratingKillsTheOldSet()
    {
        // SECURITY M6, M7.
        var (s, user, secret, codes) = await EnrolledAsync();
        using var _ = s;
        var mfa = s.Get<MfaService>();
        var stored = await s.Get<IMfaStore>().ListUnusedRecoveryCodesAsync(user.Id, Ct);
        stored.Should().HaveCount(10).And.OnlyContain(c => c.Hash.StartsWith("$argon2id$", StringComparison.Ordinal));
        stored.Select(c => c.Hash).Should().NotIntersectWith(codes);

        (await mfa.CheckSecondFactorAsync(user.Id, null, codes[3].ToLowerInvariant(), cancellationToken: Ct)).Value.Should().Be(CredentialMethod.RecoveryCode);
        (await mfa.CheckSecondFactorAsync(user.Id, null, codes[3], cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidMfaCode);
        (await mfa.GetStatusAsync(user.Id, Ct)).RecoveryCodesLeft.Should().Be(9);

        (await mfa.RegenerateRecoveryCodesAsync(user.Id, "000000", cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidMfaCode);
        var fresh = (await mfa.RegenerateRecoveryCodesAsync(user.Id, Code(s, secret), cancellationToken: Ct)).Value!;
        fresh.Should().HaveCount(10).And.NotIntersectWith(codes);
        (await mfa.CheckSecondFactorAsync(user.Id, null, codes[4], cancellationToken: Ct)).Succeeded.Should().BeFalse("the old set is dead");
        (await mfa.CheckSecondFactorAsync(user.Id, null, fresh[0], cancellationToken: Ct)).Succeeded.Should().BeTrue();
        s.Audit.Events.Should().Contain(e => e.Type == AuditEventTypes.MfaRecoveryCodeUsed).And.Contain(e => e.Type == AuditEventTypes.MfaRecoveryCodesRegenerated);
    }

    [Fact]
    public async Task Disable_NeedsThePasswordAndACode()
    {
        // SECURITY M7.
        var (s, user, secret, codes) = await EnrolledAsync();
        using var _ = s;
        var mfa = s.Get<MfaService>();

        (await mfa.DisableAsync(user.Id, "wrong password!", Code(s, secret), null, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidCredentials);
        (await mfa.DisableAsync(user.Id, Password, "000000", null, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidMfaCode);
        (await mfa.DisableAsync(user.Id, Password, null, null, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidMfaCode);
        (await mfa.IsEnabledAsync(user.Id, Ct)).Should().BeTrue();

        (await mfa.DisableAsync(user.Id, Password, null, codes[0], cancellationToken: Ct)).Succeeded.Should().BeTrue();
        (await mfa.GetStatusAsync(user.Id, Ct)).Should().Be(new MfaStatus(false, false, 0));
        s.Audit.Events.Should().Contain(e => e.Type == AuditEventTypes.MfaDisabled);
    }

    [Fact]
    public async Task Challenge_IsRedeemedOnce_ExpiresAfterFiveMinutes_AndDiesAfterFiveWrongCodes()
    {
        // SECURITY M5.
        var (s, user, secret, _) = await EnrolledAsync();
        using var _ = s;
        var mfa = s.Get<MfaService>();

        var token = await ChallengeAsync(s, user.Email);
        (await s.SignIn.CompleteSecondFactorAsync(token, Code(s, secret), null, cancellationToken: Ct)).Succeeded.Should().BeTrue();
        s.Time.Advance(TimeSpan.FromSeconds(30));
        (await s.SignIn.CompleteSecondFactorAsync(token, Code(s, secret), null, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidMfaToken, "redeemed once");

        var expiring = await ChallengeAsync(s, user.Email);
        s.Time.Advance(TimeSpan.FromMinutes(5));
        (await s.SignIn.CompleteSecondFactorAsync(expiring, Code(s, secret), null, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidMfaToken, "expired");

        using var lenient = new TestServices(o => o.Lockout.MaxFailedAttempts = 50);
        var other = await lenient.RegisterAsync("grace@example.com", Password);
        var otherMfa = lenient.Get<MfaService>();
        var setup = (await otherMfa.BeginSetupAsync(other.Id, Ct)).Value!;
        var otherSecret = Base32Encoding.ToBytes(setup.SharedKey);
        await otherMfa.ConfirmSetupAsync(other.Id, Code(lenient, otherSecret), cancellationToken: Ct);
        lenient.Time.Advance(TimeSpan.FromSeconds(30));
        var limited = await ChallengeAsync(lenient, other.Email);
        for (var i = 0; i < 5; i++)
        {
            (await lenient.SignIn.CompleteSecondFactorAsync(limited, "000000", null, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidMfaCode);
        }

        (await lenient.SignIn.CompleteSecondFactorAsync(limited, Code(lenient, otherSecret), null, cancellationToken: Ct)).Error!.Code
            .Should().Be(SentinelErrorCode.InvalidMfaToken, "five wrong codes kill the challenge");
    }

    [Fact]
    public async Task AccessTokens_AreNotMfaTokens_AndTheOtherWayRound()
    {
        // SECURITY T4.
        var (s, user, _, _) = await EnrolledAsync();
        using var _ = s;
        var mfaToken = await ChallengeAsync(s, user.Email);
        var accessToken = (await s.Get<Sentinel.Sessions.SessionService>().StartAsync(user, ["pwd"], null, Ct)).AccessToken;

        (await s.Get<Sentinel.Tokens.AccessTokenService>().ValidateAsync(mfaToken, Ct)).Succeeded.Should().BeFalse();
        MfaChallengeTokens.TryRead(accessToken, out var notAChallenge).Should().BeFalse();
        MfaChallengeTokens.TryRead(mfaToken, out var challengeId).Should().BeTrue();
        (await s.Get<IMfaStore>().FindChallengeAsync(challengeId, Ct))!.UserId.Should().Be(user.Id);
        (await s.SignIn.CompleteSecondFactorAsync(accessToken, "000000", null, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidMfaToken);
    }

    [Fact]
    public async Task Lockout_CountsPasswordAndCodeFailuresTogether()
    {
        // SECURITY M5: failed codes count toward the account lockout, and a right password does not reset it.
        var (s, user, secret, _) = await EnrolledAsync();
        using var _ = s;
        var mfa = s.Get<MfaService>();

        await s.SignIn.PasswordSignInAsync("ada@example.com", "wrong one", cancellationToken: Ct);
        await s.SignIn.PasswordSignInAsync("ada@example.com", "wrong two", cancellationToken: Ct);
        (await s.SignIn.PasswordSignInAsync("ada@example.com", Password, cancellationToken: Ct)).Should().BeOfType<SignInResult.SecondFactorRequired>();
        var signedIn = user;
        (await mfa.CheckSecondFactorAsync(signedIn.Id, "000000", null, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidMfaCode);
        (await mfa.CheckSecondFactorAsync(signedIn.Id, "111111", null, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidMfaCode);
        var fifth = await mfa.CheckSecondFactorAsync(signedIn.Id, "222222", null, cancellationToken: Ct);

        fifth.Error!.Code.Should().Be(SentinelErrorCode.LockedOut);
        (await mfa.CheckSecondFactorAsync(signedIn.Id, Code(s, secret), null, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.LockedOut);
        s.Audit.Events.Count(e => e.Type == AuditEventTypes.MfaFailed).Should().Be(3);
    }
}
