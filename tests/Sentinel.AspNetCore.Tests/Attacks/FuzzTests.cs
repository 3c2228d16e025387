using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.EntityFramework;

namespace Sentinel.AspNetCore.Tests;

/// <summary>
/// SECURITY I1 by random testing (CsCheck): random bytes and random JSON thrown at every endpoint that takes a
/// body, signed in and not. Never a 500, and a refused request leaves the accounts, sessions, keys and two-factor
/// state as they were.
/// </summary>
public sealed class FuzzTests
{
    private static readonly (string Path, bool SignedIn)[] Endpoints =
    [
        ("/auth/register", false), ("/auth/login", false), ("/auth/login/mfa", false), ("/auth/refresh", false),
        ("/auth/password", true), ("/auth/email/confirm", false), ("/auth/email/resend", false),
        ("/auth/password/forgot", false), ("/auth/password/reset", false), ("/auth/mfa/totp/confirm", true),
        ("/auth/mfa/totp/disable", true), ("/auth/mfa/recovery-codes", true), ("/auth/api-keys", true),
    ];

    private static readonly Gen<string> Names = Gen.OneOf(
        "email", "password", "refreshToken", "token", "newPassword", "currentPassword", "code", "recoveryCode", "mfaToken",
        "name", "scopes", "expiresAt", "twoFactorCode", "twoFactorRecoveryCode", "Email", "", "__proto__");

    private static readonly Gen<string> Values = Gen.OneOf(
        Gen.String.Select(s => JsonSerializer.Serialize(s)),
        Gen.Char.Array[0, 40].Select(cs => JsonSerializer.Serialize(new string(cs))),
        Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.Double.Select(d => double.IsFinite(d) ? d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "1e999"),
        Gen.OneOf("null", "true", "false", "[]", "{}", "[\"reports:read\"]", "\"ada@example.com\"", "\"correct horse battery\"",
            "\"2026-11-28T14:40:03Z\"", "\"" + new string('x', 70_000) + "\"", "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]"));

    private static readonly Gen<byte[]> Bodies = Gen.OneOf(
        Gen.Byte.Array[0, 3000],
        Gen.Select(Names, Values).Array[0, 6].Select(fields => Encoding.UTF8.GetBytes("{" + string.Join(",", fields.Select(f => JsonSerializer.Serialize(f.Item1) + ":" + f.Item2)) + "}")),
        Gen.Select(Names, Values).Array[0, 6].Select(fields => Encoding.UTF8.GetBytes("{" + string.Join(",", fields.Select(f => "\"" + f.Item1 + "\":" + f.Item2)))));

    [Fact]
    public async Task RandomBodies_NeverCauseA500_AndRefusedOnesChangeNothing()
    {
        await using var host = await SentinelTestHost.StartAsync();
        var (_, tokens) = await host.SignUpAndLoginAsync();

        await Gen.Select(Gen.Int[0, Endpoints.Length - 1], Bodies).SampleAsync(async sample =>
        {
            var (index, body) = sample;
            var (path, signedIn) = Endpoints[index];
            var before = await SnapshotAsync(host);
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (signedIn)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.AccessToken);
            }

            var response = await host.Client.SendAsync(request);
            var status = (int)response.StatusCode;
            status.Should().BeLessThan(500, "{0} with {1} bytes answered {2}", path, body.Length, await response.Content.ReadAsStringAsync());
            if (status is >= 400 and not 429)
            {
                (await SnapshotAsync(host)).Should().Be(before, "a refused request to {0} changes nothing", path);
            }
        }, iter: 400, threads: 1);
    }

    /// <summary>What a refused request must not change (failure counters and audit events may change).</summary>
    private static async Task<string> SnapshotAsync(SentinelTestHost host)
    {
        await using var scope = host.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SentinelDbContext>();
        var users = await db.Users.AsNoTracking().OrderBy(u => u.Id).Select(u => u.Id + u.Email + u.PasswordHash + u.EmailConfirmed + u.IsDisabled).ToListAsync();
        var sessions = await db.Sessions.AsNoTracking().CountAsync(s => s.RevokedAt == null);
        var keys = await db.Set<Sentinel.ApiKeys.ApiKeyRecord>().AsNoTracking().CountAsync();
        var mfa = await db.Set<Sentinel.Mfa.MfaRegistration>().AsNoTracking().CountAsync();
        return $"{string.Join("|", users)}#{sessions}#{keys}#{mfa}";
    }
}
