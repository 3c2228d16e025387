using FluentAssertions;
using Sentinel.Cluster;
using Sentinel.Redis.Cluster;

namespace Sentinel.Redis.Tests;

public sealed class ClusterMessageTests
{
    [Fact]
    public void A_change_survives_the_wire()
    {
        var origin = Guid.NewGuid();
        var change = new ClusterChange(ClusterChangeKind.ApiKeyChanged, Guid.NewGuid(), new DateTimeOffset(2026, 11, 28, 12, 0, 0, 123, TimeSpan.Zero), "abc_DEF-123");
        var sentAt = new DateTimeOffset(2026, 11, 28, 12, 0, 1, 456, TimeSpan.Zero);

        ClusterMessage.TryParse(ClusterMessage.Format(origin, change, sentAt), out var readOrigin, out var read, out var readSentAt).Should().BeTrue();

        readOrigin.Should().Be(origin);
        read.Should().Be(change);
        readSentAt.Should().Be(sentAt);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("2|00000000000000000000000000000000|1|00000000000000000000000000000000|0|0|")]
    [InlineData("1|not-a-guid|1|00000000000000000000000000000000|0|0|")]
    [InlineData("1|00000000000000000000000000000000|1|00000000000000000000000000000000|-5|0|")]
    [InlineData("1|00000000000000000000000000000000|1|00000000000000000000000000000000|99999999999999999999|0|")]
    [InlineData("1|00000000000000000000000000000000|1|00000000000000000000000000000000|0|0")]
    public void Malformed_messages_are_refused_whole(string? text) =>
        ClusterMessage.TryParse(text, out _, out _, out _).Should().BeFalse();
}
