using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Sentinel.AspNetCore.Tests;

public sealed class StartupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BadOptions_StopTheHostAtStart_WithAnActionableMessage()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Services.AddSentinelAuth(o => o.Passwords.MaximumLength = 10).AddInMemoryStores();
        await using var app = builder.Build();

        var start = () => app.StartAsync(Ct);

        (await start.Should().ThrowAsync<OptionsValidationException>())
            .Which.Message.Should().Contain("Sentinel:Passwords:MaximumLength").And.Contain("at least 64");
    }

    [Fact]
    public async Task APasskeyOriginOffTheRelyingPartysDomain_StopsTheHost_NamingIt()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Services.AddSentinelAuth(o =>
        {
            o.Passkeys.RelyingPartyId = "example.com";
            o.Passkeys.Origins.Add("https://evil.example.net");
        }).AddInMemoryStores();
        await using var app = builder.Build();

        var start = () => app.StartAsync(Ct);

        (await start.Should().ThrowAsync<OptionsValidationException>())
            .Which.Message.Should().Contain("Sentinel:Passkeys:Origins").And.Contain("https://evil.example.net").And.Contain("example.com");
    }

    [Fact]
    public async Task GoodOptions_StartTheHost()
    {
        // Development: in Production, in-memory stores with an unpersisted key ring refuse to start (DataProtectionTests).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Services.AddSentinelAuth().AddInMemoryStores();
        await using var app = builder.Build();

        await app.StartAsync(Ct);

        app.Services.GetRequiredService<IOptions<SentinelOptions>>().Value.Passwords.MinimumLength.Should().Be(8);
        await app.StopAsync(Ct);
    }
}
