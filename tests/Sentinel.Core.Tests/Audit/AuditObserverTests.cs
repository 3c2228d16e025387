using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sentinel.Audit;

namespace Sentinel.Tests.Audit;

/// <summary>Audit observers: a host sees every recorded event; the recorder itself sends no mail.</summary>
public sealed class AuditObserverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class SiemFeed : IAuditObserver
    {
        public List<AuditEvent> Seen { get; } = [];

        public KeyValuePair<string, string>? OnRecording(AuditEvent auditEvent)
        {
            lock (Seen)
            {
                Seen.Add(auditEvent);
            }

            return new KeyValuePair<string, string>("siem", "forwarded");
        }
    }

    private sealed class BrokenObserver : IAuditObserver
    {
        public KeyValuePair<string, string>? OnRecording(AuditEvent auditEvent) => throw new InvalidOperationException("webhook down");
    }

    [Fact]
    public async Task AHostsObserver_SeesEveryEvent_AndItsEntryIsRecorded_WhileAFailingOneIsLoggedAndSkipped()
    {
        var feed = new SiemFeed();
        var logs = new CapturingLoggerProvider();
        using var s = new TestServices(configureServices: services => services
            .AddLogging(b => b.AddProvider(logs))
            .AddSingleton<IAuditObserver>(new BrokenObserver())
            .AddSingleton<IAuditObserver>(feed));
        var user = await s.RegisterAsync();
        await s.SignIn.PasswordSignInAsync(user.Email, "wrong horse battery", cancellationToken: Ct);

        feed.Seen.Select(e => e.Type).Should().Equal(AuditEventTypes.UserRegistered, AuditEventTypes.LoginFailed);
        s.Audit.Events.Should().HaveCount(2).And.OnlyContain(e => e.Details["siem"] == "forwarded");
        s.Audit.Events[^1].Details["reason"].Should().Be("wrong_password");
        logs.EventIds.Count(e => e.Id == 1415).Should().Be(2, "the broken observer is logged for each event, which is still recorded");
    }

    [Fact]
    public async Task AnObserversEntry_AndTheReason_KeepTheirPlace_WithinSixteenDetails()
    {
        using var s = new TestServices(configureServices: services => services.AddSingleton<IAuditObserver>(new SiemFeed()));
        var details = Enumerable.Range(0, 40).ToDictionary(i => $"k{i:D2}", _ => "v");

        await s.Get<AuditRecorder>().RecordAsync(AuditEventTypes.LoginFailed, AuditOutcome.Failure, null, null, Ct, reason: "wrong_password", details: details);

        s.Audit.Events[^1].Details.Should().HaveCount(AuditRecorder.MaxDetails)
            .And.Contain("reason", "wrong_password").And.Contain("siem", "forwarded");
    }

    [Fact]
    public void TheRecorder_DependsOnNothingThatSendsMail()
    {
        typeof(AuditRecorder).GetConstructors().SelectMany(c => c.GetParameters())
            .Should().NotContain(p => p.ParameterType.Namespace == "Sentinel.Email", "security notices are an observer of recorded events, not the recorder's work");
    }
}
