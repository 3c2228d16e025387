using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Sentinel.EntityFramework;

/// <summary>
/// Stores instants as UTC ticks (a 64-bit integer) on every provider, so that SQLite can compare and sort them
/// (it cannot compare DateTimeOffset text) and values round-trip exactly.
/// </summary>
internal sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
    value => value.UtcTicks,
    ticks => new DateTimeOffset(ticks, TimeSpan.Zero));
