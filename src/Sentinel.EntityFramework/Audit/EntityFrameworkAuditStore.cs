using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Sentinel.Audit;

namespace Sentinel.EntityFramework.Audit;

/// <summary>
/// Maps <see cref="AuditEntry"/> to <c>sentinel_audit_events</c>: the sequence is the key (so two writers can
/// never store the same link), with indexes for the queries (user, type, time) and a unique event id.
/// </summary>
public sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ToTable("sentinel_audit_events");
        builder.HasKey(e => e.Sequence);
        builder.Property(e => e.Sequence).ValueGeneratedNever();
        builder.HasIndex(e => e.Id).IsUnique();
        builder.HasIndex(e => new { e.UserId, e.Sequence });
        builder.HasIndex(e => new { e.Type, e.Sequence });
        builder.HasIndex(e => e.Timestamp);
        builder.Property(e => e.Type).HasMaxLength(64).IsRequired();
        builder.Property(e => e.IpAddress).HasMaxLength(AuditRecorder.MaxFieldLength);
        builder.Property(e => e.UserAgent).HasMaxLength(AuditRecorder.MaxFieldLength);
        builder.Property(e => e.TraceId).HasMaxLength(64);
        builder.Property(e => e.PreviousHash).HasMaxLength(32).IsRequired();
        builder.Property(e => e.Hash).HasMaxLength(32).IsRequired();
        builder.Property(e => e.Details)
            .HasConversion(
                d => JsonSerializer.Serialize(d, (JsonSerializerOptions?)null),
                json => JsonSerializer.Deserialize<Dictionary<string, string>>(json, (JsonSerializerOptions?)null) ?? new Dictionary<string, string>(),
                new ValueComparer<IReadOnlyDictionary<string, string>>(
                    (a, b) => SameDetails(a, b),
                    d => d.Count,
                    d => new Dictionary<string, string>(d)))
            .IsRequired();
    }

    private static bool SameDetails(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.Count == b.Count
            && a.All(p => b.TryGetValue(p.Key, out var v) && string.Equals(v, p.Value, StringComparison.Ordinal)));
}

/// <summary>Maps <see cref="AuditAnchor"/> to <c>sentinel_audit_anchor</c> (one row: the last pruned link).</summary>
public sealed class AuditAnchorConfiguration : IEntityTypeConfiguration<AuditAnchor>
{
    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<AuditAnchor> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ToTable("sentinel_audit_anchor");
        builder.HasKey(a => a.Sequence);
        builder.Property(a => a.Sequence).ValueGeneratedNever();
        builder.Property(a => a.Hash).HasMaxLength(32).IsRequired();
    }
}

/// <summary><see cref="IAuditStore"/> over a context that maps Sentinel.</summary>
/// <typeparam name="TContext">The context.</typeparam>
public sealed class EntityFrameworkAuditStore<TContext>(TContext context) : IAuditStore where TContext : DbContext
{
    private DbSet<AuditEntry> Entries => context.Set<AuditEntry>();

    private DbSet<AuditAnchor> Anchors => context.Set<AuditAnchor>();

    /// <inheritdoc />
    public async ValueTask<AuditChainHead> GetHeadAsync(CancellationToken cancellationToken)
    {
        var newest = await Entries.AsNoTracking().OrderByDescending(e => e.Sequence)
            .Select(e => new { e.Sequence, e.Hash, e.Id }).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (newest is not null)
        {
            return new AuditChainHead(newest.Sequence, newest.Hash, newest.Id);
        }

        var anchor = await GetAnchorAsync(cancellationToken).ConfigureAwait(false);
        return anchor is null ? new AuditChainHead(0, AuditEntry.GenesisHash.ToArray(), null) : new AuditChainHead(anchor.Sequence, anchor.Hash, null);
    }

    /// <inheritdoc />
    public async ValueTask AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        if (!context.Database.IsRelational())
        {
            await context.AddAndSaveAsync(cancellationToken, [.. entries]).ConfigureAwait(false);
            return;
        }

        // Multi-row INSERTs in one transaction: stored whole or not at all, and the key refuses a taken sequence.
        // Change tracking would cost several times more per event than the database does (see the benchmarks).
        await AuditInsertCommand.ExecuteAsync(context, entries, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var entries = Entries.AsNoTracking();
        if (query.BeforeSequence is { } before)
        {
            entries = entries.Where(e => e.Sequence < before);
        }

        if (query.UserId is { } userId)
        {
            entries = entries.Where(e => e.UserId == userId);
        }

        if (query.Type is { } type)
        {
            entries = entries.Where(e => e.Type == type);
        }

        if (query.Outcome is { } outcome)
        {
            entries = entries.Where(e => e.Outcome == outcome);
        }

        if (query.From is { } from)
        {
            entries = entries.Where(e => e.Timestamp >= from);
        }

        if (query.To is { } to)
        {
            entries = entries.Where(e => e.Timestamp < to);
        }

        return await entries.OrderByDescending(e => e.Sequence).Take(query.Limit).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<AuditEntry>> ReadChainAsync(long afterSequence, int count, CancellationToken cancellationToken) =>
        await Entries.AsNoTracking().Where(e => e.Sequence > afterSequence).OrderBy(e => e.Sequence).Take(count)
            .ToListAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<AuditAnchor?> GetAnchorAsync(CancellationToken cancellationToken) =>
        await Anchors.AsNoTracking().OrderByDescending(a => a.Sequence).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<int> PruneAsync(long throughSequence, AuditAnchor anchor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var deleted = await Entries.Where(e => e.Sequence <= throughSequence).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
            await Anchors.ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
            await context.AddAndSaveAsync(cancellationToken, anchor).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return deleted;
        }
    }

    /// <inheritdoc />
    public async ValueTask<AuditEntry?> FindNewestBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        await Entries.AsNoTracking().Where(e => e.Timestamp < before).OrderByDescending(e => e.Sequence)
            .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
}
