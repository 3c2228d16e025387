using System.Text;
using FluentAssertions;
using Sentinel.Mfa;

namespace Sentinel.Tests.Mfa;

/// <summary>SECURITY M1 (RFC 6238 Appendix B, RFC 4226 Appendix D) and M4 (window).</summary>
public sealed class TotpTests
{
    private static readonly byte[] Sha1Seed = Encoding.ASCII.GetBytes("12345678901234567890");
    private static readonly byte[] Sha256Seed = Encoding.ASCII.GetBytes("12345678901234567890123456789012");
    private static readonly byte[] Sha512Seed = Encoding.ASCII.GetBytes("1234567890123456789012345678901234567890123456789012345678901234");

    [Theory]
    [InlineData(59L, "94287082", "46119246", "90693936")]
    [InlineData(1111111109L, "07081804", "68084774", "25091201")]
    [InlineData(1111111111L, "14050471", "67062674", "99943326")]
    [InlineData(1234567890L, "89005924", "91819424", "93441116")]
    [InlineData(2000000000L, "69279037", "90698825", "38618901")]
    [InlineData(20000000000L, "65353130", "77737706", "47863826")]
    public void Rfc6238AppendixB_Vectors(long unixTime, string sha1, string sha256, string sha512)
    {
        var time = DateTimeOffset.FromUnixTimeSeconds(unixTime);
        Totp.ComputeCode(Sha1Seed, time, Options(TotpAlgorithm.Sha1, 8)).Should().Be(sha1);
        Totp.ComputeCode(Sha256Seed, time, Options(TotpAlgorithm.Sha256, 8)).Should().Be(sha256);
        Totp.ComputeCode(Sha512Seed, time, Options(TotpAlgorithm.Sha512, 8)).Should().Be(sha512);

        Totp.Verify(Sha256Seed, sha256, time, Options(TotpAlgorithm.Sha256, 8)).Should().Be(unixTime / 30);
    }

    [Theory]
    [InlineData(0, "755224")]
    [InlineData(1, "287082")]
    [InlineData(2, "359152")]
    [InlineData(3, "969429")]
    [InlineData(4, "338314")]
    [InlineData(5, "254676")]
    [InlineData(6, "287922")]
    [InlineData(7, "162583")]
    [InlineData(8, "399871")]
    [InlineData(9, "520489")]
    public void Rfc4226AppendixD_Vectors(long counter, string expected)
    {
        // TOTP is HOTP over the time step: at t = counter × 30 s the step is the counter.
        Totp.ComputeCode(Sha1Seed, DateTimeOffset.FromUnixTimeSeconds(counter * 30), Options(TotpAlgorithm.Sha1, 6)).Should().Be(expected);
    }

    [Fact]
    public void Window_IsPlusMinusOneStep_TwoStepsAwayFail()
    {
        // SECURITY M4.
        var options = Options(TotpAlgorithm.Sha1, 6);
        var secret = Totp.NewSecret();
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_015);
        var step = now.ToUnixTimeSeconds() / 30;

        foreach (var offset in new[] { -1, 0, 1 })
        {
            var code = Totp.ComputeCode(secret, now.AddSeconds(offset * 30), options);
            Totp.Verify(secret, code, now, options).Should().Be(step + offset, $"offset {offset}");
        }

        foreach (var offset in new[] { -2, 2 })
        {
            var code = Totp.ComputeCode(secret, now.AddSeconds(offset * 30), options);
            if (code != Totp.ComputeCode(secret, now, options))
            {
                Totp.Verify(secret, code, now, options).Should().BeNull($"offset {offset}");
            }
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12a456")]
    [InlineData("١٢٣٤٥٦")]
    public void Verify_MalformedCode_IsNull(string? code)
    {
        Totp.Verify(Totp.NewSecret(), code, DateTimeOffset.UnixEpoch.AddYears(56), Options(TotpAlgorithm.Sha1, 6)).Should().BeNull();
    }

    [Fact]
    public void Secrets_Are160RandomBits()
    {
        // SECURITY M2.
        var a = Totp.NewSecret();
        a.Should().HaveCount(20);
        a.Should().NotEqual(Totp.NewSecret());
        Totp.ToBase32(a).Should().MatchRegex("^[A-Z2-7]{32}$");
    }

    [Fact]
    public void KeyUri_FollowsTheKeyUriFormat()
    {
        var secret = Sha1Seed;
        var uri = Totp.KeyUri(secret, "ada@example.com", new MfaOptions { Issuer = "Acme Co" });
        uri.Should().Be("otpauth://totp/Acme%20Co:ada%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Co&algorithm=SHA1&digits=6&period=30");
    }

    [Fact]
    public void RecoveryCodes_AreReadableAndNormalised()
    {
        var code = RecoveryCodes.New();
        code.Should().MatchRegex("^[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}$");
        RecoveryCodes.Normalize(code.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal)).Should().Be(code);
        RecoveryCodes.Normalize("O0OOO-IIIII").Should().BeNull("look-alike characters are not in the alphabet");
        RecoveryCodes.Normalize("ABCDE-FGH").Should().BeNull();
        Enumerable.Range(0, 50).Select(_ => RecoveryCodes.New()).Distinct().Should().HaveCount(50);
    }

    private static MfaOptions Options(TotpAlgorithm algorithm, int digits) => new() { Algorithm = algorithm, Digits = digits };
}
