using System.Net;
using FluentAssertions;
using Xunit;

namespace Sentinel.AspNetCore.Tests.Attacks;

/// <summary>
/// The lockout must not tell who has an account (SECURITY P3 with P4): wrong passwords to an unknown address meet
/// the same answers, 401s and then 429 <c>locked_out</c> with a <c>Retry-After</c>, as to a real account.
/// </summary>
public sealed class LockoutEnumerationTests
{
    [Fact]
    public async Task P3_P4_WrongPasswords_ToAKnownAndAnUnknownAddress_GetTheSameAnswers()
    {
        await using var host = await SentinelTestHost.StartAsync();
        var known = await host.RegisterAsync();
        var unknown = SentinelTestHost.NewEmail();

        async Task<List<string>> TryAsync(string email)
        {
            var answers = new List<string>();
            for (var i = 0; i < 7; i++)
            {
                var response = await host.PostAsync("/auth/login", new { email, password = "not the password" });
                var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                var code = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("code").GetString();
                answers.Add($"{(int)response.StatusCode} {code} retry-after={response.Headers.RetryAfter?.Delta?.TotalSeconds}");
            }

            return answers;
        }

        var fromKnown = await TryAsync(known);
        var fromUnknown = await TryAsync(unknown);

        fromKnown.Should().Contain(a => a.StartsWith("429 locked_out", StringComparison.Ordinal), "the real account locks");
        fromUnknown.Should().Equal(fromKnown, "an unknown address is locked out in the same way and at the same attempt");
        (await host.PostAsync("/auth/login", new { email = known, password = SentinelTestHost.Password })).StatusCode
            .Should().Be(HttpStatusCode.TooManyRequests, "the real account is locked, right password or not");
    }
}
