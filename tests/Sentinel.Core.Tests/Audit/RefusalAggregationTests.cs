using FluentAssertions;
using Sentinel.Audit;
using Sentinel.Hosting;

namespace Sentinel.Tests.Audit;

/// <summary>SECURITY A5: refusals anyone can cause are aggregated per client network, reason and minute.</summary>
public sealed class RefusalAggregationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ClientInfo From(string ip) => new(ip, "flood/1.0");

    private static List<AuditEvent> Refusals(TestServices s) =>
        s.Audit.Events.Where(e => e.Type == AuditEventTypes.ApiKeyRejected).ToList();

    [Fact]
    public async Task A5_AThousandRefusalsInAMinuteFromOneAddress_WriteTwoEvents_WhoseCountsAddUp()
    {
        using var s = new TestServices();
        var audit = s.Get<AuditRecorder>();
        for (var i = 0; i < 1000; i++)
        {
            await audit.RecordRefusalAsync(AuditEventTypes.ApiKeyRejected, "not_found", null, From("203.0.113.7"), cancellationToken: Ct);
        }

        Refusals(s).Should().ContainSingle("the first is recorded at once").Which.Details["count"].Should().Be("1");

        // The minute is not over: nothing more yet. Once it is, the rest are one event.
        (await audit.FlushRefusalsAsync(all: false, Ct)).Should().Be(0);
        s.Time.Advance(TimeSpan.FromMinutes(1));
        await s.Get<IEnumerable<SentinelJob>>().Single(j => j.Name == "refusal_flush").RunOnceAsync(Ct);

        var events = Refusals(s);
        events.Should().HaveCount(2);
        events.Sum(e => int.Parse(e.Details["count"], System.Globalization.CultureInfo.InvariantCulture)).Should().Be(1000);
        events.Should().OnlyContain(e => e.IpAddress == "203.0.113.7" && e.Details["reason"] == "not_found" && e.Outcome == AuditOutcome.Failure);
    }

    [Fact]
    public async Task A5_BucketsAreByNetworkReasonAndMinute_IPv6ByItsSlash64()
    {
        using var s = new TestServices();
        var audit = s.Get<AuditRecorder>();
        foreach (var ip in new[] { "2001:db8:1:2::1", "2001:db8:1:2::ffff", "2001:db8:1:2:aaaa:bbbb:cccc:dddd" })
        {
            await audit.RecordRefusalAsync(AuditEventTypes.ApiKeyRejected, "not_found", null, From(ip), cancellationToken: Ct);
        }

        Refusals(s).Should().HaveCount(1, "one /64 is one client");

        await audit.RecordRefusalAsync(AuditEventTypes.ApiKeyRejected, "not_found", null, From("2001:db8:1:3::1"), cancellationToken: Ct);
        await audit.RecordRefusalAsync(AuditEventTypes.ApiKeyRejected, "malformed", null, From("2001:db8:1:2::1"), cancellationToken: Ct);
        await audit.RecordRefusalAsync(AuditEventTypes.RateLimitExceeded, "login", null, From("2001:db8:1:2::1"), cancellationToken: Ct);
        Refusals(s).Should().HaveCount(3, "another /64 and another reason are buckets of their own");
        s.Audit.Events.Should().ContainSingle(e => e.Type == AuditEventTypes.RateLimitExceeded);

        s.Time.Advance(TimeSpan.FromMinutes(1));
        await audit.RecordRefusalAsync(AuditEventTypes.ApiKeyRejected, "not_found", null, From("2001:db8:1:2::1"), cancellationToken: Ct);
        Refusals(s).Should().HaveCount(4, "a new minute starts a new bucket");
        (await audit.FlushRefusalsAsync(all: true, Ct)).Should().Be(1, "the first bucket had two more");
        Refusals(s)[^1].Details["count"].Should().Be("2");
    }

    [Fact]
    public void A5_AFloodFromMoreNetworksThanTheBound_StillKeepsBoundedBuckets_AndCountsEveryRefusal()
    {
        var aggregator = new RefusalAggregator(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TestServices.Start), TimeSpan.FromMinutes(1), maxBuckets: 100);
        var recordedNow = 0;
        for (var i = 0; i < 150; i++)
        {
            recordedNow += aggregator.CountFirst(AuditEventTypes.ApiKeyRejected, "not_found", From($"10.0.{i >> 8}.{i & 255}"), null, null) ? 1 : 0;
        }

        recordedNow.Should().Be(101, "past the bound, new networks share one bucket");
        var due = aggregator.TakeDue(all: true);
        due.Should().ContainSingle().Which.Count.Should().Be(49);
        (recordedNow + due.Sum(d => d.Count)).Should().Be(150, "every refusal is counted");
    }

    [Fact]
    public async Task A4_CountedRefusals_AreWrittenWhenTheHostStops()
    {
        using var s = new TestServices();
        var audit = s.Get<AuditRecorder>();
        for (var i = 0; i < 3; i++)
        {
            await audit.RecordRefusalAsync(AuditEventTypes.RateLimitExceeded, "login", null, From("198.51.100.1"), cancellationToken: Ct);
        }

        await s.Get<SentinelMaintenance>().StopAsync(Ct);
        s.Audit.Events.Where(e => e.Type == AuditEventTypes.RateLimitExceeded).Select(e => e.Details["count"]).Should().Equal("1", "2");
    }
}
