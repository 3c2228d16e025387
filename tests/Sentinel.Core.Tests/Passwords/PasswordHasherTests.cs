using System.Text;
using FluentAssertions;
using Microsoft.AspNetCore.Identity;
using PasswordOptions = Sentinel.Passwords.PasswordOptions;
using PasswordHasher = Sentinel.Passwords.PasswordHasher;
using Microsoft.Extensions.Options;
using Sentinel.Passwords;

namespace Sentinel.Tests.Passwords;

public sealed class PasswordHasherTests
{
    private const string Password = "correct horse battery staple";

    private static PasswordHasher Create(Action<PasswordOptions>? configure = null)
    {
        var options = new SentinelOptions();
        configure?.Invoke(options.Passwords);
        return new PasswordHasher(Options.Create(options));
    }

    private static PasswordHasher Cheap() => Create(p => { p.Argon2MemoryKiB = 64; p.Argon2Iterations = 1; });

    [Fact]
    public void Hash_DefaultOptions_IsArgon2idPhcWithOwaspParameters()
    {
        // SECURITY P2: Argon2id PHC string, m=19 MiB, t=2, p=1 (OWASP Password Storage Cheat Sheet).
        var hash = Create().Hash(Password);

        hash.Should().StartWith("$argon2id$v=19$m=19456,t=2,p=1$");
        Create().Verify(hash, Password).Should().Be(PasswordVerification.Success);
    }

    [Fact]
    public void Hash_SamePasswordTwice_UsesFreshSalts()
    {
        var hasher = Cheap();
        hasher.Hash(Password).Should().NotBe(hasher.Hash(Password));
    }

    [Fact]
    public void Verify_WrongPassword_Fails()
    {
        var hasher = Cheap();
        var hash = hasher.Hash(Password);

        hasher.Verify(hash, Password + "!").Should().Be(PasswordVerification.Failed);
        hasher.Verify(hash, "").Should().Be(PasswordVerification.Failed);
    }

    [Fact]
    public void Verify_LongPassword_IsNotTruncated()
    {
        // SECURITY P1: nothing is truncated (bcrypt would stop at 72 bytes).
        var hasher = Cheap();
        var longPassword = new string('a', 100) + "X";
        var hash = hasher.Hash(longPassword);

        hasher.Verify(hash, longPassword).Should().Be(PasswordVerification.Success);
        hasher.Verify(hash, new string('a', 100) + "Y").Should().Be(PasswordVerification.Failed);
        hasher.Verify(hash, new string('a', 72)).Should().Be(PasswordVerification.Failed);
    }

    [Fact]
    public void Verify_WeakerArgon2Parameters_AsksForRehash()
    {
        // SECURITY P2: weaker stored hashes are upgraded on the next successful sign-in.
        var weak = Create(p => { p.Argon2MemoryKiB = 64; p.Argon2Iterations = 1; }).Hash(Password);
        var stronger = Create(p => { p.Argon2MemoryKiB = 128; p.Argon2Iterations = 2; });

        stronger.Verify(weak, Password).Should().Be(PasswordVerification.SuccessRehashNeeded);
        stronger.Verify(weak, "wrong password").Should().Be(PasswordVerification.Failed);
    }

    [Fact]
    public void Pbkdf2Option_HashesWithSha512And220000Iterations()
    {
        // SECURITY P2: PBKDF2-HMAC-SHA512 with at least 220,000 iterations as the FIPS option.
        var fips = Create(p => p.Algorithm = PasswordHashAlgorithm.Pbkdf2Sha512);
        var hash = fips.Hash(Password);

        hash.Should().StartWith("$pbkdf2-sha512$i=220000$");
        fips.Verify(hash, Password).Should().Be(PasswordVerification.Success);
        fips.Verify(hash, "wrong password").Should().Be(PasswordVerification.Failed);
    }

    [Fact]
    public void AlgorithmSwitch_VerifiesOldFormatAndAsksForRehash()
    {
        var argonHash = Cheap().Hash(Password);
        var fips = Create(p => { p.Algorithm = PasswordHashAlgorithm.Pbkdf2Sha512; p.Pbkdf2Iterations = 1000; });
        fips.Verify(argonHash, Password).Should().Be(PasswordVerification.SuccessRehashNeeded);

        var pbkdf2Hash = fips.Hash(Password);
        Cheap().Verify(pbkdf2Hash, Password).Should().Be(PasswordVerification.SuccessRehashNeeded);
        Create(p => { p.Algorithm = PasswordHashAlgorithm.Pbkdf2Sha512; p.Pbkdf2Iterations = 2000; })
            .Verify(pbkdf2Hash, Password).Should().Be(PasswordVerification.SuccessRehashNeeded, "fewer iterations than configured");
    }

    [Fact]
    public void IdentityV3Hash_Verifies_AndAsksForRehash()
    {
        // SECURITY P2: ASP.NET Core Identity v3 hashes verify, so apps migrate without password resets.
        var identity = new PasswordHasher<object>();
        var v3 = identity.HashPassword(new object(), Password);

        Convert.FromBase64String(v3)[0].Should().Be(0x01);
        Cheap().Verify(v3, Password).Should().Be(PasswordVerification.SuccessRehashNeeded);
        Cheap().Verify(v3, "wrong password").Should().Be(PasswordVerification.Failed);
    }

    [Fact]
    public void IdentityV2Hash_Verifies_AndAsksForRehash()
    {
        var identity = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions { CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV2 }));
        var v2 = identity.HashPassword(new object(), Password);

        Convert.FromBase64String(v2)[0].Should().Be(0x00);
        Cheap().Verify(v2, Password).Should().Be(PasswordVerification.SuccessRehashNeeded);
        Cheap().Verify(v2, "wrong password").Should().Be(PasswordVerification.Failed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a hash")]
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$broken")]
    [InlineData("$pbkdf2-sha512$i=abc$c2FsdA$aGFzaA")]
    [InlineData("$pbkdf2-sha512$i=1000$!!!$???")]
    [InlineData("AQAAAAEAACcQAAAAEP")]
    [InlineData("$2b$10$abcdefghijklmnopqrstuv")]
    public void Verify_MalformedStoredHash_FailsWithoutThrowing(string stored)
    {
        Cheap().Verify(stored, Password).Should().Be(PasswordVerification.Failed);
    }

    [Fact]
    public void Hash_UnicodePassword_RoundTrips()
    {
        var hasher = Cheap();
        const string password = "pässwörd-密码-🔐🔐";
        var hash = hasher.Hash(password);

        hasher.Verify(hash, password).Should().Be(PasswordVerification.Success);
        hasher.Verify(hash, password.Normalize(NormalizationForm.FormD)).Should().Be(PasswordVerification.Failed,
            "Sentinel hashes the exact code points it is given");
    }
}
