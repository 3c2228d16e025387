using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using OtpNet;

namespace Sentinel.Sample.Tests;

/// <summary>
/// The sample app on a real loopback port (Kestrel, a SQLite file, its mail folder, a seeded admin) and one headless
/// Chromium for every test. The sample's clock is a <see cref="FakeTimeProvider"/> starting now, so a test moves to the
/// next TOTP time step instead of waiting 30 seconds. Chromium is Debian's (`apt-get install chromium`); `.ci/run`
/// installs it. Without it these tests are skipped with the reason, except under CI, where they fail.
/// </summary>
public sealed partial class SampleSite : IAsyncLifetime
{
    public const string AdminEmail = "admin@example.com";
    public const string AdminPassword = "purple horse battery staple";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"sentinel-sample-page-{Guid.NewGuid():N}");
    private WebApplicationFactory<Program>? _factory;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _missingBrowser;
    private int _screenshots;

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public string BaseUrl { get; private set; } = "";

    public string MailFolder => Path.Combine(_folder, "mail");

    /// <summary>Where screenshots of each step go: SENTINEL_ARTIFACTS (set by `.ci/run`), else beside the tests.</summary>
    public static string ScreenshotFolder =>
        Path.Combine(Environment.GetEnvironmentVariable("SENTINEL_ARTIFACTS") is { Length: > 0 } root ? root : AppContext.BaseDirectory, "screenshots");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        if (Directory.Exists(ScreenshotFolder))
        {
            Directory.Delete(ScreenshotFolder, recursive: true); // only this run's steps
        }

        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseSetting("ConnectionStrings:Sentinel", $"Data Source={Path.Combine(_folder, "sample.db")}")
            .UseSetting("Sentinel:Sample:MailFolder", MailFolder)
            .UseSetting("Sentinel:Sample:AdminEmail", AdminEmail)
            .UseSetting("Sentinel:Sample:AdminPassword", AdminPassword)
            // Cheap hashing: these tests are about the page, not the hash cost.
            .UseSetting("Sentinel:Passwords:Argon2MemoryKiB", "64")
            .UseSetting("Sentinel:Passwords:Argon2Iterations", "1")
            .ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Time)));
        _factory.UseKestrel(0);
        _factory.StartServer();
        BaseUrl = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

        var chromium = FindChromium();
        if (chromium is null)
        {
            _missingBrowser = "Chromium is not installed (Debian package chromium; `bash .ci/run` installs it), or set SENTINEL_CHROMIUM.";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException("Under CI the browser tests must run: " + _missingBrowser);
            }

            return;
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox"], // CI runs as root, where Chromium's sandbox cannot start
        });
    }

    /// <summary>A fresh browser context (its own cookies and clipboard) with one page on the sample.</summary>
    public async Task<IPage> OpenAsync(int width = 1280, int height = 900)
    {
        if (_browser is null)
        {
            Assert.Skip(_missingBrowser!);
        }

        var context = await _browser.NewContextAsync(new()
        {
            BaseURL = BaseUrl,
            ViewportSize = new() { Width = width, Height = height },
        });
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = BaseUrl });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        await page.GotoAsync("/");
        return page;
    }

    /// <summary>Keeps a screenshot of the whole page as a test artifact.</summary>
    public async Task SnapAsync(IPage page, string step)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        var number = Interlocked.Increment(ref _screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, $"{number:00}-{step}.png"), FullPage = true });
    }

    /// <summary>The TOTP code an authenticator app would show now (on the sample's clock).</summary>
    public string CodeFor(string secret) => new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(Time.GetUtcNow().UtcDateTime);

    /// <summary>Moves the sample's clock to the next TOTP time step (a code works once per step, SECURITY M3).</summary>
    public void NextTimeStep() => Time.Advance(TimeSpan.FromSeconds(30));

    /// <summary>Waits for the sample's mail folder to hold a message to <paramref name="to"/> with a link, and returns
    /// the link's query string (the token), as the person reading the email would follow it.</summary>
    public async Task<string> WaitForLinkAsync(string to, string subject, int skip = 0)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var links = Directory.Exists(MailFolder)
                ? Directory.GetFiles(MailFolder).Order(StringComparer.Ordinal)
                    .Select(File.ReadAllText)
                    .Where(text => text.StartsWith($"To: {to}\n", StringComparison.Ordinal) && text.Contains($"Subject: {subject}\n", StringComparison.Ordinal))
                    .Select(text => LinkQuery().Match(text))
                    .Where(match => match.Success)
                    .Select(match => match.Groups[1].Value)
                    .ToList()
                : [];
            if (links.Count > skip)
            {
                return links[skip];
            }

            await Task.Delay(50, TestContext.Current.CancellationToken); // the outbox sends in the background
        }

        throw new TimeoutException($"No \"{subject}\" email to {to} in the sample's mail folder.");
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open; the temporary folder is left behind.
        }
    }

    private static string? FindChromium() =>
        new[] { Environment.GetEnvironmentVariable("SENTINEL_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(path => !string.IsNullOrEmpty(path) && File.Exists(path));

    [GeneratedRegex(@"https?://\S+?(\?(?:confirm|reset)=\S+)")]
    private static partial Regex LinkQuery();
}

[CollectionDefinition(nameof(SampleSiteGroup))]
public sealed class SampleSiteGroup : ICollectionFixture<SampleSite>;
