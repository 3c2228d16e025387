using System.Reflection;
using System.Runtime.CompilerServices;
using FluentAssertions;

namespace Sentinel.Redis.Tests;

/// <summary>Which way the packages depend: Sentinel.Redis needs Sentinel.Core only, and no package opens its internals to another.</summary>
public sealed class PackageReferencesTests
{
    private static readonly string[] Packages = ["Sentinel.Core", "Sentinel.EntityFramework", "Sentinel.AspNetCore", "Sentinel.Redis"];

    [Fact]
    public void SentinelRedis_ReferencesSentinelCore_AndNothingOfAspNetCore()
    {
        var references = typeof(SentinelRedisOptions).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        references.Should().Contain("Sentinel.Core");
        // Data Protection ships as plain packages that a worker host uses too; the web framework does not.
        references.Should().NotContain(n => n == "Sentinel.AspNetCore"
            || (n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) && !n.StartsWith("Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal)),
            "a worker host scales out with Redis without ASP.NET Core");
    }

    [Fact]
    public void NoPackage_OpensItsInternalsToAnotherPackage()
    {
        foreach (var package in Packages)
        {
            var friends = Assembly.Load(package).GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName.Split(',')[0]).ToList();
            friends.Should().NotIntersectWith(Packages, $"{package} is used through its public API only");
            friends.Where(f => !f.EndsWith(".Tests", StringComparison.Ordinal) && f != "Sentinel.Benchmarks")
                .Should().BeEmpty($"{package} opens its internals to tests and benchmarks only");
        }
    }
}
