using FluentAssertions;
using Base32Encoding = OtpNet.Base32Encoding;
using Sentinel.Mfa;
using Sentinel.Passwords;
using Sentinel.Sessions;
using Sentinel.SignIn;
using Sentinel.Users;

namespace Sentinel.Tests.SignIn;

/// <summary>SECURITY T12: a credential change ends what was begun before it: MFA challenges and racing sign-ins.</summary>
public sealed class CredentialChangeTests
{
    private const string Password = "correct horse battery";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(SentinelUser User, byte[] Secret)> EnrolAsync(TestServices s)
    {
        var user = await s.RegisterAsync("ada@example.com", Password);
        var mfa = s.Get<MfaService>();
        var secret = Base32Encoding.ToBytes((await mfa.BeginSetupAsync(user.Id, Ct)).Value!.SharedKey);
        (await mfa.ConfirmSetupAsync(user.Id, new OtpNet.Totp(secret).ComputeTotp(s.Time.GetUtcNow().UtcDateTime), cancellationToken: Ct)).Succeeded.Should().BeTrue();
        s.Time.Advance(TimeSpan.FromSeconds(30));
        return (user, secret);
    }

    public static TheoryData<string> Changes => ["logout_everywhere", "password_change", "disable_and_enable"];

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task T12_AChallengeIssuedBeforeAChange_CannotBeCompletedAfterIt(string change)
    {
        using var s = new TestServices();
        var (user, secret) = await EnrolAsync(s);
        var challenge = (await s.SignIn.PasswordSignInAsync(user.Email, Password, cancellationToken: Ct)).Should().BeOfType<SignInResult.SecondFactorRequired>().Which.MfaToken;

        switch (change)
        {
            case "logout_everywhere":
                await s.Get<SessionService>().RevokeEverywhereAsync(user.Id, "logout_all", Ct);
                break;
            case "password_change":
                (await s.Users.ChangePasswordAsync(user.Id, Password, "a brand new passphrase", cancellationToken: Ct)).Succeeded.Should().BeTrue();
                break;
            default:
                (await s.Users.SetDisabledAsync(user.Id, true, Ct)).Succeeded.Should().BeTrue();
                (await s.Users.SetDisabledAsync(user.Id, false, Ct)).Succeeded.Should().BeTrue();
                break;
        }

        var late = await s.SignIn.CompleteSecondFactorAsync(challenge, new OtpNet.Totp(secret).ComputeTotp(s.Time.GetUtcNow().UtcDateTime), null, cancellationToken: Ct);
        late.Error!.Code.Should().Be(SentinelErrorCode.InvalidMfaToken, $"the challenge began before the {change}");

        // A challenge begun after the change works.
        var password = change == "password_change" ? "a brand new passphrase" : Password;
        var fresh = (await s.SignIn.PasswordSignInAsync(user.Email, password, cancellationToken: Ct)).Should().BeOfType<SignInResult.SecondFactorRequired>().Which.MfaToken;
        s.Time.Advance(TimeSpan.FromSeconds(30));
        (await s.SignIn.CompleteSecondFactorAsync(fresh, new OtpNet.Totp(secret).ComputeTotp(s.Time.GetUtcNow().UtcDateTime), null, cancellationToken: Ct)).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task T12_ASignInRacingALogoutEverywhere_DoesNotKeepItsSession()
    {
        // The logout everywhere lands after this sign-in checked the password and before its session exists: the
        // hasher stands in for that moment.
        TestServices? services = null;
        var race = 0;
        using var s = services = new TestServices(wrapHasher: inner => new RacingHasher(inner, () =>
        {
            if (Interlocked.Exchange(ref race, 0) == 1)
            {
                var user = services!.Users.FindByEmailAsync("ada@example.com", Ct).AsTask().GetAwaiter().GetResult()!;
                services.Get<SessionService>().RevokeEverywhereAsync(user.Id, "logout_all", Ct).GetAwaiter().GetResult();
            }
        }));
        var user = await s.RegisterAsync("ada@example.com", Password);

        Interlocked.Exchange(ref race, 1);
        var raced = await s.SignIn.PasswordSignInAsync(user.Email, Password, cancellationToken: Ct);
        raced.Error!.Code.Should().Be(SentinelErrorCode.InvalidCredentials);
        (await s.Get<ISessionStore>().ListActiveAsync(user.Id, s.Time.GetUtcNow(), Ct)).Should().BeEmpty("the session it started was revoked at once");

        (await s.SignIn.PasswordSignInAsync(user.Email, Password, cancellationToken: Ct)).Succeeded.Should().BeTrue("without a race, signing in works");
    }

    private sealed class RacingHasher(IPasswordHasher inner, Action afterVerify) : IPasswordHasher
    {
        public string Hash(string password) => inner.Hash(password);

        public PasswordVerification Verify(string hash, string password)
        {
            var result = inner.Verify(hash, password);
            afterVerify();
            return result;
        }
    }
}
