using System.Text.RegularExpressions;
using FluentAssertions;
using Sentinel.Audit;

namespace Sentinel.Tests;

/// <summary>The closed sets in code match docs/API.md, the HTTP contract, one to one.</summary>
public sealed partial class ContractTests
{
    private static readonly string Api = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "API.md"));

    [Fact]
    public void ErrorCodes_MatchTheContract()
    {
        var section = Api[Api.IndexOf("## Error codes", StringComparison.Ordinal)..];
        var paragraph = section.Split("\n\n")[0]; // the heading and the list, up to the first blank line
        var documented = BacktickedWord().Matches(paragraph).Select(m => m.Groups[1].Value).ToList();

        documented.Should().HaveCount(20);
        SentinelErrorCodes.All.Should().Equal(documented);
        Enum.GetValues<SentinelErrorCode>().Select(c => c.ToCode()).Should().Equal(documented);
    }

    [Fact]
    public void AuditEventTypes_MatchTheContract()
    {
        var start = Api.IndexOf("`type` is one of:", StringComparison.Ordinal);
        var end = Api.IndexOf("`outcome` is", start, StringComparison.Ordinal);
        var documented = BacktickedWord().Matches(Api[start..end]).Select(m => m.Groups[1].Value).Where(t => t != "type").ToList();

        documented.Should().HaveCount(30);
        AuditEventTypes.All.Should().Equal(documented);
    }

    [GeneratedRegex("`([a-z_.]+)`")]
    private static partial Regex BacktickedWord();
}
