using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sentinel.AspNetCore.Endpoints.Contracts;

/// <summary>Writes instants as the HTTP contract shows them: ISO 8601 UTC to the second (<c>2026-11-28T14:40:03Z</c>).</summary>
internal sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
}
