using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace Sentinel.AspNetCore.Http;

/// <summary>
/// Reads JSON request bodies so that every bad input gets a 400 problem details with a reason and changes
/// nothing (SECURITY I1): malformed JSON, wrong types, missing required fields, control characters and bodies
/// over the size limit. (Minimal APIs' own binding answers such requests with an empty 400.)
/// </summary>
internal static class SentinelRequestReader
{
    /// <summary>The largest request body read, 64 KiB.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>The longest string field accepted.</summary>
    public const int MaxStringLength = 4096;

    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo, bool allowEmpty = false)
        where T : class
    {
        var request = context.Request;
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, Invalid("body", $"The request body must be at most {MaxBodyBytes / 1024} KiB."));
        }

        if (request.ContentLength == 0 && allowEmpty)
        {
            return (null, null);
        }

        if (!request.HasJsonContentType())
        {
            return allowEmpty && request.ContentLength is null && !request.Headers.ContainsKey("Content-Type")
                ? (null, null)
                : (null, Invalid("body", "The request body must be JSON (Content-Type: application/json)."));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return (null, Invalid("body", $"The request body must be at most {MaxBodyBytes / 1024} KiB."));
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return allowEmpty ? (null, null) : (null, Invalid("body", "A JSON request body is required."));
        }

        T? value;
        try
        {
            value = JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), typeInfo);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            return (null, Invalid(field, "The request body is not valid JSON of the expected shape (a field is missing, or has the wrong type)."));
        }

        if (value is null)
        {
            return (null, Invalid("body", "A JSON object is required."));
        }

        return (value, null);
    }

    /// <summary>Refuses a string field that is too long or holds control characters.</summary>
    public static IResult? CheckText(string field, string? value, int maxLength = MaxStringLength)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length > maxLength)
        {
            return Invalid(field, $"Must be at most {maxLength} characters.");
        }

        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return Invalid(field, "Must not contain control characters.");
            }
        }

        return null;
    }

    public static IResult Invalid(string field, string reason) =>
        SentinelProblems.ToResult(SentinelError.Validation(field, reason));
}
