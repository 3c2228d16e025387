using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sentinel.Audit;

namespace Sentinel.Tests.Audit;

public sealed class AuditTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EverySignInAttempt_WritesOneEvent()
    {
        // SECURITY A1: every authentication attempt, success and failure, writes one event.
        using var s = new TestServices();
        var user = await s.RegisterAsync("ada@example.com", "correct horse battery");
        await s.Get<Sentinel.Tokens.SigningKeyRing>().RefreshNowAsync(Ct); // the first key's own event, before the sign-ins
        var before = s.Audit.Events.Count;

        await s.SignIn.PasswordSignInAsync("ada@example.com", "correct horse battery", cancellationToken: Ct);
        await s.SignIn.PasswordSignInAsync("ada@example.com", "wrong horse battery", cancellationToken: Ct);
        await s.SignIn.PasswordSignInAsync("nobody@example.com", "wrong horse battery", cancellationToken: Ct);

        var events = s.Audit.Events.Skip(before).ToList();
        events.Select(e => (e.Type, e.Outcome, e.UserId)).Should().Equal(
            (AuditEventTypes.LoginSucceeded, AuditOutcome.Success, user.Id),
            (AuditEventTypes.LoginFailed, AuditOutcome.Failure, user.Id),
            (AuditEventTypes.LoginFailed, AuditOutcome.Failure, (Guid?)null));
        events[1].Details["reason"].Should().Be("wrong_password");
        events[2].Details["reason"].Should().Be("unknown_user");
        events.Should().OnlyContain(e => e.Id.Version == 7 && e.Timestamp == TestServices.Start);
    }

    [Fact]
    public async Task NoPasswordAppearsInAnyEventOrLogLine()
    {
        // SECURITY A2: no password appears in an event or a log line.
        var logs = new CapturingLoggerProvider();
        using var s = new TestServices(configureServices: services => services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace)));
        const string first = "Secret-Passphrase-One-8841";
        const string second = "Secret-Passphrase-Two-5512";
        const string wrong = "Secret-Wrong-Guess-7735";
        var user = await s.RegisterAsync("ada@example.com", first);
        await s.SignIn.PasswordSignInAsync("ada@example.com", first, cancellationToken: Ct);
        for (var i = 0; i < 6; i++)
        {
            await s.SignIn.PasswordSignInAsync("ada@example.com", wrong, cancellationToken: Ct);
        }

        s.Time.Advance(TimeSpan.FromHours(1));
        await s.Users.ChangePasswordAsync(user.Id, first, second, cancellationToken: Ct);
        await s.SignIn.PasswordSignInAsync("nobody@example.com", wrong, cancellationToken: Ct);

        var everything = JsonSerializer.Serialize(s.Audit.Events) + string.Join('\n', logs.Lines);
        logs.Lines.Should().NotBeEmpty("the service logs its decisions");
        everything.Should().NotContain("Secret-");
    }

    [Fact]
    public async Task EachDecision_IsLoggedWithTheStableEventIdOfItsType()
    {
        var logs = new CapturingLoggerProvider();
        using var s = new TestServices(configureServices: services => services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace)));
        await s.RegisterAsync("ada@example.com", "correct horse battery");
        await s.SignIn.PasswordSignInAsync("ada@example.com", "wrong horse battery", cancellationToken: Ct);

        var failed = logs.EventIds.Single(e => e.Name == AuditEventTypes.LoginFailed);
        failed.Id.Should().Be(3002, "login.failed is third in the contract's list: 3000 + 2, stable across releases");
        logs.EventIds.Should().Contain(new EventId(3000, AuditEventTypes.UserRegistered));
    }

    [Fact]
    public async Task EveryEventType_IsLoggedWithTheIdDocsOperationsMdPublishes()
    {
        // Operators alert on these ids: the whole table in docs/operations.md is pinned, so reordering the list of
        // types (which numbers them) fails here instead of silently renumbering a release's log events.
        var documented = System.Text.RegularExpressions.Regex.Matches(
                File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "operations.md")), @"(30\d\d)\s+`([a-z_.]+)`")
            .ToDictionary(m => m.Groups[2].Value, m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        documented.Keys.Should().BeEquivalentTo(AuditEventTypes.All);

        var logs = new CapturingLoggerProvider();
        using var s = new TestServices(configureServices: services => services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace)));
        var recorder = s.Get<AuditRecorder>();
        foreach (var type in AuditEventTypes.All)
        {
            await recorder.RecordAsync(type, AuditOutcome.Success, Guid.NewGuid(), null, Ct);
        }

        logs.EventIds.Where(e => e.Id is >= 3000 and < 3100).Select(e => (e.Name, e.Id)).Should().Equal(AuditEventTypes.All.Select(t => ((string?)t, documented[t])));
    }

    [Fact]
    public void EventIds_AreVersion7_CarryTheirMillisecond_AndSortByTime()
    {
        var earlier = TestServices.Start;
        var ids = Enumerable.Range(0, 1_000).Select(i => AuditRecorder.NewId(earlier.AddMilliseconds(i))).ToList();

        ids.Should().OnlyHaveUniqueItems().And.OnlyContain(id => id.Version == 7 && id.Variant >= 8 && id.Variant < 12);
        ids.Should().BeInAscendingOrder(Comparer<Guid>.Create((a, b) => string.CompareOrdinal(a.ToString("N"), b.ToString("N"))), "the id sorts as the time it was made");
        var bytes = ids[0].ToByteArray(bigEndian: true);
        var milliseconds = ((long)bytes[0] << 40) | ((long)bytes[1] << 32) | ((long)bytes[2] << 24) | ((long)bytes[3] << 16) | ((long)bytes[4] << 8) | bytes[5];
        milliseconds.Should().Be(earlier.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Details_AreCutToSixteen_AndInputStaysData()
    {
        using var s = new TestServices();
        var details = Enumerable.Range(0, 40).ToDictionary(i => $"k{i:D2}", i => i == 0 ? "line\r\nforged: entry'; DROP TABLE x; -- {0} ${{x}}" : "v");
        await s.Get<AuditRecorder>().RecordAsync(AuditEventTypes.LoginFailed, AuditOutcome.Failure, null, null, Ct, details: details);

        var e = s.Audit.Events[^1];
        e.Details.Should().HaveCount(AuditRecorder.MaxDetails);
        e.Details["k00"].Should().Be(details["k00"], "kept as data, byte for byte, never interpreted");

        await s.Get<AuditRecorder>().RecordAsync(AuditEventTypes.LoginFailed, AuditOutcome.Failure, null, null, Ct, reason: "wrong_password", details: details);
        s.Audit.Events[^1].Details.Should().HaveCount(AuditRecorder.MaxDetails, "Sentinel's own reason counts toward the sixteen")
            .And.Contain("reason", "wrong_password");
    }

    [Fact]
    public async Task ClientStrings_AreCut_AndNulOrBrokenSurrogatesReplaced_SoEveryStoreAcceptsThem()
    {
        using var s = new TestServices();
        var recorder = s.Get<AuditRecorder>();
        var client = new ClientInfo("10.0.0.1\0", new string('a', 600));
        await recorder.RecordAsync(AuditEventTypes.LoginFailed, AuditOutcome.Failure, null, client, Ct,
            details: new Dictionary<string, string> { ["note"] = "bad\uD800pair \U0001F600 ok" });

        var e = s.Audit.Events[^1];
        e.IpAddress.Should().Be("10.0.0.1\uFFFD");
        e.UserAgent.Should().HaveLength(AuditRecorder.MaxFieldLength);
        e.Details["note"].Should().Be("bad\uFFFDpair \U0001F600 ok", "a valid pair is kept, a lone half is replaced");
    }

    [Fact]
    public async Task Events_CarryTheTraceIdOfTheCurrentActivity()
    {
        using var s = new TestServices();
        using var activity = new System.Diagnostics.Activity("request").SetIdFormat(System.Diagnostics.ActivityIdFormat.W3C).Start();
        await s.RegisterAsync();

        s.Audit.Events[^1].TraceId.Should().Be(activity.TraceId.ToHexString()).And.HaveLength(32);
    }
}
