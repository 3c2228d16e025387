using System.Globalization;
using System.Security.Cryptography;
using OtpNet;
using QRCoder;

namespace Sentinel.Mfa;

/// <summary>
/// RFC 6238 TOTP through Otp.NET: 160-bit secrets from a CSPRNG, verification that returns the matched time step
/// (for replay blocking) within a ±window, the Key Uri Format, and its QR code.
/// </summary>
public static class Totp
{
    /// <summary>Secret size: 160 bits, the HMAC-SHA1 block-friendly size RFC 4226 recommends (SECURITY M2).</summary>
    public const int SecretBytes = 20;

    /// <summary>A new random secret.</summary>
    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(SecretBytes);

    /// <summary>The code for <paramref name="time"/>.</summary>
    public static string ComputeCode(byte[] secret, DateTimeOffset time, MfaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Create(secret, options).ComputeTotp(time.UtcDateTime);
    }

    /// <summary>
    /// The time step <paramref name="code"/> matches within the window around <paramref name="now"/> (server time
    /// only), or null. Compares in constant time.
    /// </summary>
    public static long? Verify(byte[] secret, string? code, DateTimeOffset now, MfaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        code = code?.Replace(" ", "", StringComparison.Ordinal);
        if (code is null || code.Length != options.Digits || !code.All(char.IsAsciiDigit))
        {
            return null;
        }

        var window = new VerificationWindow(previous: options.Window, future: options.Window);
        return Create(secret, options).VerifyTotp(now.UtcDateTime, code, out var step, window) ? step : null;
    }

    /// <summary>The secret as authenticator apps take it: Base32 without padding.</summary>
    public static string ToBase32(byte[] secret) => Base32Encoding.ToString(secret).TrimEnd('=');

    /// <summary>
    /// The Key Uri Format: <c>otpauth://totp/{Issuer}:{account}?secret=…&amp;issuer=…&amp;algorithm=…&amp;digits=…&amp;period=…</c>.
    /// </summary>
    public static string KeyUri(byte[] secret, string account, MfaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var issuer = Uri.EscapeDataString(options.Issuer);
        return string.Create(CultureInfo.InvariantCulture,
            $"otpauth://totp/{issuer}:{Uri.EscapeDataString(account)}?secret={ToBase32(secret)}&issuer={issuer}&algorithm={AlgorithmName(options.Algorithm)}&digits={options.Digits}&period={(int)options.Period.TotalSeconds}");
    }

    /// <summary>A PNG QR code (QRCoder, no System.Drawing) that encodes exactly <paramref name="text"/>.</summary>
    public static byte[] QrCodePng(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        return new PngByteQRCode(data).GetGraphic(6);
    }

    private static OtpNet.Totp Create(byte[] secret, MfaOptions options) =>
        new(secret, (int)options.Period.TotalSeconds, options.Algorithm switch
        {
            TotpAlgorithm.Sha256 => OtpHashMode.Sha256,
            TotpAlgorithm.Sha512 => OtpHashMode.Sha512,
            _ => OtpHashMode.Sha1,
        }, options.Digits);

    private static string AlgorithmName(TotpAlgorithm algorithm) => algorithm switch
    {
        TotpAlgorithm.Sha256 => "SHA256",
        TotpAlgorithm.Sha512 => "SHA512",
        _ => "SHA1",
    };
}
