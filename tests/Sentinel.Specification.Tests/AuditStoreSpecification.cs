using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sentinel.Audit;
using Sentinel.Storage.InMemory;
using Xunit;

namespace Sentinel.Specification;

/// <summary>
/// The facts every <see cref="IAuditStore"/> must satisfy. The chain is one per store, so each fact starts from
/// an empty store (facts of one class run one after another).
/// </summary>
public abstract class AuditStoreSpecification
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 14, 40, 3, TimeSpan.Zero);

    /// <summary>A store over empty audit tables.</summary>
    protected abstract ValueTask<IAuditStore> CreateEmptyStoreAsync();

    /// <summary>Another store over the same data (a new context), to prove entries round-trip through the database.</summary>
    protected abstract ValueTask<IAuditStore> CreateStoreAsync();

    /// <summary>Changes the stored type of entry <paramref name="sequence"/> as an attacker with database access would (SQL for databases).</summary>
    protected abstract ValueTask EditTypeAsync(long sequence, string type);

    /// <summary>Deletes entry <paramref name="sequence"/> behind the store's back (SQL for databases).</summary>
    protected abstract ValueTask DeleteAsync(long sequence);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static AuditEvent NewEvent(int minute, string type = AuditEventTypes.LoginSucceeded, Guid? userId = null, AuditOutcome outcome = AuditOutcome.Success) => new()
    {
        Id = Guid.CreateVersion7(Now.AddMinutes(minute)),
        Timestamp = Now.AddMinutes(minute).AddTicks(1234567),
        Type = type,
        Outcome = outcome,
        UserId = userId,
        SessionId = Guid.CreateVersion7(),
        IpAddress = "2001:db8::1",
        // Quotes, a forged log line, SQL and template syntax: stored and read back as data, byte for byte.
        UserAgent = "curl/8.5 \"quoted\" \u00e9\u4e2d\U0001F600\r\nforged: entry'; DROP TABLE sentinel_audit_events; -- {0} ${x}",
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        Details = new Dictionary<string, string> { ["reason"] = "wrong_password", ["b"] = "2\n\"}", ["a"] = "1" },
    };

    private static async Task<List<AuditEntry>> AppendAsync(IAuditStore store, params AuditEvent[] events)
    {
        var head = await store.GetHeadAsync(Ct);
        var entries = new List<AuditEntry>();
        var previous = head.Hash;
        foreach (var e in events)
        {
            var entry = AuditEntry.Link(e, head.Sequence + 1 + entries.Count, previous);
            previous = entry.Hash;
            entries.Add(entry);
        }

        await store.AppendAsync(entries, Ct);
        return entries;
    }

    private static AuditService Service(IAuditStore store, DateTimeOffset? now = null)
    {
        var options = new SentinelOptions();
        options.Audit.Retention = TimeSpan.FromDays(30);
        return new AuditService(store, new InMemoryAuditLog(), Options.Create(options), new FixedTime(now ?? Now), NullLogger<AuditService>.Instance);
    }

    [Fact]
    public async Task EmptyStore_HeadIsGenesis_AndNoAnchor()
    {
        var store = await CreateEmptyStoreAsync();
        var head = await store.GetHeadAsync(Ct);
        head.Sequence.Should().Be(0);
        head.Hash.Should().Equal(new byte[32]);
        head.Id.Should().BeNull();
        (await store.GetAnchorAsync(Ct)).Should().BeNull();
        (await store.ReadChainAsync(0, 10, Ct)).Should().BeEmpty();
    }

    [Fact]
    public async Task Append_RoundTripsEveryField_AndTheHashStillMatches()
    {
        var store = await CreateEmptyStoreAsync();
        var sparse = NewEvent(2) with { UserId = null, SessionId = null, ApiKeyId = null, IpAddress = null, UserAgent = null, TraceId = null, Details = new Dictionary<string, string>() };
        var written = await AppendAsync(store, NewEvent(1, userId: Guid.CreateVersion7()) with { ApiKeyId = Guid.CreateVersion7() }, sparse);

        var other = await CreateStoreAsync();
        var read = await other.ReadChainAsync(0, 10, Ct);
        read.Should().BeEquivalentTo(written, o => o.WithStrictOrdering());
        read.Should().OnlyContain(e => Enumerable.SequenceEqual(e.ComputeHash(), e.Hash));
        var head = await other.GetHeadAsync(Ct);
        (head.Sequence, head.Id).Should().Be((2L, sparse.Id));
        head.Hash.Should().Equal(written[1].Hash);
    }

    [Fact]
    public async Task Append_ALargeBatch_IsStoredWhole_AndVerifies()
    {
        var store = await CreateEmptyStoreAsync();
        var written = await AppendAsync(store, [.. Enumerable.Range(0, 1_000).Select(i => NewEvent(i % 60))]);

        var read = await (await CreateStoreAsync()).ReadChainAsync(0, 2_000, Ct);
        read.Select(e => e.Id).Should().Equal(written.Select(e => e.Id));
        (await Service(await CreateStoreAsync()).VerifyAsync(Ct)).Should().Be(new AuditVerification(true, 1_000, null));
    }

    [Fact]
    public async Task Append_TakenSequence_Throws_AndStoresNothingOfThatBatch()
    {
        var store = await CreateEmptyStoreAsync();
        var first = await AppendAsync(store, NewEvent(1));
        var fork = new[]
        {
            AuditEntry.Link(NewEvent(2), 2, first[0].Hash),
            AuditEntry.Link(NewEvent(3), 1, first[0].Hash), // a second writer that read an old head
        };

        var append = async () => await (await CreateStoreAsync()).AppendAsync(fork, Ct);
        await append.Should().ThrowAsync<Exception>();
        (await (await CreateStoreAsync()).ReadChainAsync(0, 10, Ct)).Select(e => e.Id).Should().Equal(first[0].Id);
    }

    [Fact]
    public async Task Query_Filters_NewestFirst_WithKeyset()
    {
        var store = await CreateEmptyStoreAsync();
        var ada = Guid.CreateVersion7();
        var bob = Guid.CreateVersion7();
        await AppendAsync(store,
            NewEvent(1, AuditEventTypes.LoginSucceeded, ada),
            NewEvent(2, AuditEventTypes.LoginFailed, ada, AuditOutcome.Failure),
            NewEvent(3, AuditEventTypes.LoginSucceeded, bob),
            NewEvent(4, AuditEventTypes.ApiKeyCreated, ada),
            NewEvent(5, AuditEventTypes.LoginFailed, null, AuditOutcome.Failure));
        var reader = await CreateStoreAsync();

        async Task<long[]> Sequences(AuditQuery q) => [.. (await reader.QueryAsync(q, Ct)).Select(e => e.Sequence)];
        (await Sequences(new AuditQuery { Limit = 10 })).Should().Equal(5, 4, 3, 2, 1);
        (await Sequences(new AuditQuery { UserId = ada, Limit = 10 })).Should().Equal(4, 2, 1);
        (await Sequences(new AuditQuery { Type = AuditEventTypes.LoginFailed, Limit = 10 })).Should().Equal(5, 2);
        (await Sequences(new AuditQuery { Outcome = AuditOutcome.Failure, UserId = ada, Limit = 10 })).Should().Equal(2);
        (await Sequences(new AuditQuery { From = Now.AddMinutes(2), To = Now.AddMinutes(4), Limit = 10 })).Should().Equal(3, 2);
        (await Sequences(new AuditQuery { BeforeSequence = 4, Limit = 2 })).Should().Equal(3, 2);
    }

    [Fact]
    public async Task Prune_DeletesThroughSequence_MovesAnchor_AndTheRestStillVerifies()
    {
        var store = await CreateEmptyStoreAsync();
        var written = await AppendAsync(store, NewEvent(-60 * 24 * 40), NewEvent(-60 * 24 * 35), NewEvent(-60 * 24 * 2), NewEvent(0));
        (await store.FindNewestBeforeAsync(Now.AddDays(-30), Ct))!.Sequence.Should().Be(2);

        var deleted = await Service(await CreateStoreAsync()).PruneAsync(Ct);

        deleted.Should().Be(2);
        var reader = await CreateStoreAsync();
        var anchor = await reader.GetAnchorAsync(Ct);
        anchor!.Sequence.Should().Be(2);
        anchor.Hash.Should().Equal(written[1].Hash);
        (await reader.ReadChainAsync(0, 10, Ct)).Select(e => e.Sequence).Should().Equal(3, 4);
        (await Service(reader).VerifyAsync(Ct)).Should().Be(new AuditVerification(true, 2, null));

        // With everything pruned, the next entry links to the anchor and the head says so.
        await Service(reader, Now.AddDays(60)).PruneAsync(Ct);
        var head = await (await CreateStoreAsync()).GetHeadAsync(Ct);
        (head.Sequence, head.Id).Should().Be((4L, (Guid?)null));
        head.Hash.Should().Equal(written[3].Hash);
        await AppendAsync(await CreateStoreAsync(), NewEvent(1));
        (await Service(await CreateStoreAsync()).VerifyAsync(Ct)).Should().Be(new AuditVerification(true, 1, null));
    }

    [Fact]
    public async Task Verify_IntactChain_IsValid()
    {
        var store = await CreateEmptyStoreAsync();
        await AppendAsync(store, [.. Enumerable.Range(0, 30).Select(i => NewEvent(i))]);
        await AppendAsync(store, NewEvent(31), NewEvent(32));

        (await Service(await CreateStoreAsync()).VerifyAsync(Ct)).Should().Be(new AuditVerification(true, 32, null));
    }

    [Fact]
    public async Task Verify_EditedRow_ReportsThatEvent()
    {
        // SECURITY A3: editing an event in the database makes verify report the first broken id.
        var store = await CreateEmptyStoreAsync();
        var written = await AppendAsync(store, NewEvent(1), NewEvent(2, AuditEventTypes.LoginFailed, outcome: AuditOutcome.Failure), NewEvent(3));

        await EditTypeAsync(2, AuditEventTypes.LoginSucceeded);

        (await Service(await CreateStoreAsync()).VerifyAsync(Ct)).Should().Be(new AuditVerification(false, 2, written[1].Id));
    }

    [Fact]
    public async Task Verify_DeletedRow_ReportsTheEventAfterTheGap()
    {
        // SECURITY A3: deleting an event makes verify report the first broken id: the one that linked to it.
        var store = await CreateEmptyStoreAsync();
        var written = await AppendAsync(store, NewEvent(1), NewEvent(2), NewEvent(3), NewEvent(4));

        await DeleteAsync(2);

        (await Service(await CreateStoreAsync()).VerifyAsync(Ct)).Should().Be(new AuditVerification(false, 2, written[2].Id));
    }

    [Fact]
    public async Task Verify_DeletedFirstRow_IsCaughtAgainstTheGenesis()
    {
        var store = await CreateEmptyStoreAsync();
        var written = await AppendAsync(store, NewEvent(1), NewEvent(2));

        await DeleteAsync(1);

        (await Service(await CreateStoreAsync()).VerifyAsync(Ct)).Should().Be(new AuditVerification(false, 1, written[1].Id));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
