using System.Net.Http.Json;
using System.Web;
using Deque.AxeCore.Playwright;
using FluentAssertions;
using Microsoft.Playwright;
using Sentinel.AspNetCore.Tests;
using static Microsoft.Playwright.Assertions;

namespace Sentinel.Sample.Tests;

/// <summary>
/// The sample's page as a new user meets it, in headless Chromium: every step clicks and types in the page, and
/// checks what the page shows. Screenshots of each step are kept (see <see cref="SampleSite.ScreenshotFolder"/>).
/// </summary>
[Collection(nameof(SampleSiteGroup))]
public sealed class SamplePageTests(SampleSite site)
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task NewUser_Registers_ConfirmsEmail_EnrolsFromTheQrCode_AndSignsInWithACode()
    {
        var page = await site.OpenAsync();
        var email = NewEmail();
        await RegisterAsync(page, email);
        await site.SnapAsync(page, "registered");

        // The confirmation email's link, followed in the browser.
        await page.GotoAsync("/" + await site.WaitForLinkAsync(email, "Confirm your email address"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Confirm your email address" })).ToBeVisibleAsync();
        page.Url.Should().NotContain("confirm=", "the page takes the one-time token off the address bar");
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm my email" }).ClickAsync();
        await Expect(page.Locator("#confirm-status")).ToHaveTextAsync("Your email address is confirmed. You can sign in.");
        await site.SnapAsync(page, "email-confirmed");

        await SignInAsync(page, email, Password);
        await Expect(page.Locator("#me-mfa")).ToHaveTextAsync("off");
        await site.SnapAsync(page, "signed-in");

        // Enrol: read the QR code off the screen as a phone camera would (zbarimg), then compute the code from it.
        await page.GetByRole(AriaRole.Button, new() { Name = "Set up an authenticator app" }).ClickAsync();
        var qr = page.GetByRole(AriaRole.Img, new() { Name = "QR code to scan with your authenticator app" });
        await Expect(qr).ToBeVisibleAsync();
        var secret = await ReadSecretFromQrAsync(qr, email);
        (await page.Locator("#mfa-shared-key").InnerTextAsync()).Replace(" ", "", StringComparison.Ordinal).Should().Be(secret);
        await site.SnapAsync(page, "mfa-qr-code");
        await page.GetByLabel("Code from the app").FillAsync(site.CodeFor(secret));
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on two-factor" }).ClickAsync();
        var codes = page.Locator("#recovery-codes li");
        await Expect(codes).ToHaveCountAsync(10);
        var firstCodes = await codes.AllInnerTextsAsync();
        await Expect(page.Locator("#mfa-summary")).ToContainTextAsync("Two-factor is on. 10 recovery codes left.");
        await site.SnapAsync(page, "mfa-recovery-codes");

        // Sign out, then in again: the password alone is not enough now.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await Expect(page.Locator("#flash")).ToHaveTextAsync("You are signed out.");
        site.NextTimeStep();
        await SignInWithCodeAsync(page, email, Password, secret);
        await Expect(page.Locator("#me-mfa")).ToHaveTextAsync("on");
        await site.SnapAsync(page, "signed-in-with-code");

        // Regenerate recovery codes: ten new ones, none of the old.
        site.NextTimeStep();
        var recovery = page.Locator("#recovery-form");
        await recovery.GetByLabel("Authenticator code").FillAsync(site.CodeFor(secret));
        await recovery.GetByRole(AriaRole.Button, new() { Name = "Regenerate recovery codes" }).ClickAsync();
        await Expect(page.Locator("#recovery-status")).ToHaveTextAsync("New recovery codes below; the old ones no longer work.");
        var newCodes = await codes.AllInnerTextsAsync();
        newCodes.Should().HaveCount(10).And.NotIntersectWith(firstCodes);

        // A recovery code also signs in (once).
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await FillSignInAsync(page, email, Password);
        await page.Locator("#mfa-form").GetByLabel("Or a recovery code").FillAsync(newCodes[0]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify", Exact = true }).ClickAsync();
        await Expect(page.Locator("#whoami-email")).ToHaveTextAsync(email);

        // The security history shows what just happened.
        await Expect(page.Locator("#history-body")).ToContainTextAsync("mfa.enabled");
        await Expect(page.Locator("#history-body")).ToContainTextAsync("mfa.recovery_code_used");
        await Expect(page.Locator("#history-body")).ToContainTextAsync("user.registered");
        await site.SnapAsync(page, "security-history");
    }

    [Fact]
    public async Task SignedInUser_ManagesSessions_AndARevokedSessionIsSignedOutOnItsNextCall()
    {
        var email = NewEmail();
        await RegisterOverHttpAsync(email);
        var laptop = await site.OpenAsync();
        await SignInAsync(laptop, email, Password);
        var phone = await site.OpenAsync(390, 844);
        await SignInAsync(phone, email, Password);

        await laptop.Locator("#sessions").GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();
        var rows = laptop.Locator("#sessions-body tr");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(laptop.Locator("#sessions-body")).ToContainTextAsync("This browser");
        await site.SnapAsync(laptop, "sessions");

        // Revoke the phone's session from the laptop: the phone's next call is refused and it is signed out.
        await laptop.Locator("#sessions-body").GetByRole(AriaRole.Button, new() { NameRegex = new("^Revoke the session") }).ClickAsync();
        await Expect(laptop.Locator("#sessions-status")).ToHaveTextAsync("Session revoked: its tokens no longer work.");
        await Expect(rows).ToHaveCountAsync(1);
        await phone.Locator("#sessions").GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();
        await Expect(phone.Locator("#flash")).ToHaveTextAsync("Your session has ended; sign in again.");
        await Expect(phone.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await site.SnapAsync(phone, "revoked-session-signed-out");

        // Change the password: other sessions end; "sign out everywhere" ends this one too.
        var passwordForm = laptop.Locator("#password-form");
        await passwordForm.GetByLabel("Current password").FillAsync(Password);
        await passwordForm.GetByLabel("New password").FillAsync("another horse battery");
        await laptop.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(laptop.Locator("#password-status")).ToHaveTextAsync("Password changed. Your other sessions are signed out.");
        await laptop.GetByRole(AriaRole.Button, new() { Name = "Sign out everywhere" }).ClickAsync();
        await Expect(laptop.Locator("#flash")).ToHaveTextAsync("Every session of your account is signed out.");
        await SignInAsync(laptop, email, "another horse battery");
    }

    [Fact]
    public async Task ApiKeys_CreatedOnce_Copied_UsedOnTheDemoApi_Rotated_AndRevoked()
    {
        var email = NewEmail();
        await RegisterOverHttpAsync(email);
        var page = await site.OpenAsync();
        await SignInAsync(page, email, Password);

        var form = page.Locator("#key-form");
        await form.GetByLabel("Name").FillAsync("reports reader");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await Expect(page.Locator("#key-status")).ToHaveTextAsync("Key \"reports reader\" created.");
        var key = await page.Locator("#new-key").InnerTextAsync();
        key.Should().NotBeNullOrWhiteSpace();
        await Expect(page.Locator("#keys-body tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#keys-body")).Not.ToContainTextAsync(key, new() { Timeout = 1000 }); // the list never shows the secret (K2)
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy key" }).ClickAsync();
        await Expect(page.Locator("#copy-status")).ToHaveTextAsync("Copied to the clipboard.");
        (await page.EvaluateAsync<string>("navigator.clipboard.readText()")).Should().Be(key);
        await site.SnapAsync(page, "api-key-created");

        // The key (read scope only) on the demo API.
        await Expect(page.GetByLabel("API key for the calls below")).ToHaveValueAsync(key);
        await DemoAsync(page, "GET /api/reports with key", "GET /api/reports → 200");
        await DemoAsync(page, "POST /api/reports with key", "POST /api/reports → 403");
        await Expect(page.Locator("#demo-output")).ToContainTextAsync("insufficient_scope");
        await DemoAsync(page, "GET /api/profile with token", "GET /api/profile → 200");
        await site.SnapAsync(page, "demo-api");

        // SECURITY K5: /api/profile is bearer-only by contract; the same valid key gets 401 there.
        using (var http = new HttpClient { BaseAddress = new Uri(site.BaseUrl) })
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/profile") { Headers = { { "X-Api-Key", key } } })
        {
            (await http.SendAsync(request, TestContext.Current.CancellationToken)).StatusCode.Should().Be(System.Net.HttpStatusCode.Unauthorized);
        }

        // Rotate: a new key, which works.
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate key reports reader" }).ClickAsync();
        await Expect(page.Locator("#key-status")).ToContainTextAsync("rotated");
        var rotated = await page.Locator("#new-key").InnerTextAsync();
        rotated.Should().NotBe(key);
        await DemoAsync(page, "GET /api/reports with key", "GET /api/reports → 200");

        // Revoke every active key: the rotated key stops working at once.
        var revoke = page.GetByRole(AriaRole.Button, new() { Name = "Revoke key reports reader" });
        while (await revoke.CountAsync() > 0)
        {
            var before = await revoke.CountAsync();
            await revoke.First.ClickAsync();
            await Expect(revoke).ToHaveCountAsync(before - 1);
        }

        await DemoAsync(page, "GET /api/reports with key", "GET /api/reports → 401");
        await Expect(page.Locator("#demo-output")).ToContainTextAsync("invalid_api_key");
        await site.SnapAsync(page, "api-key-revoked");
    }

    [Fact]
    public async Task StaleSignIn_AsksForThePasswordAgain_BeforeMakingAKey_AndThenMakesIt()
    {
        // SECURITY T11 on the page: a sign-in older than Sentinel:StepUp:MaxAge (10 minutes) cannot make a key until
        // the password is proved again; the page asks for it and retries the same request.
        var email = NewEmail();
        await RegisterOverHttpAsync(email);
        var page = await site.OpenAsync();
        await SignInAsync(page, email, Password);
        (await page.EvaluateAsync<string>("localStorage.getItem('sentinel.deviceToken')")).Should().StartWith("dev_", "the page keeps the device token for the next sign-in");
        site.Time.Advance(TimeSpan.FromMinutes(11));

        var form = page.Locator("#key-form");
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Confirm it is you" });
        await form.GetByLabel("Name").FillAsync("nightly export");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.GetByLabel("Password")).ToBeFocusedAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page.Locator("#key-status")).ToContainTextAsync("Cancelled");
        await Expect(page.Locator("#keys-body tr")).ToHaveCountAsync(0);

        await form.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await dialog.GetByLabel("Password").FillAsync("not my password");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(page.Locator("#reauth-status")).ToContainTextAsync("password is not correct");
        await Expect(dialog).ToBeVisibleAsync();
        await site.SnapAsync(page, "reauthenticate-prompt");

        await dialog.GetByLabel("Password").FillAsync(Password);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page.Locator("#key-status")).ToHaveTextAsync("Key \"nightly export\" created.");
        await Expect(page.Locator("#keys-body tr")).ToHaveCountAsync(1);

        // The fresh sign-in holds for the next sensitive change: no second prompt.
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate key nightly export" }).ClickAsync();
        await Expect(page.Locator("#key-status")).ToContainTextAsync("rotated");
        await Expect(dialog).ToBeHiddenAsync();
    }

    [Fact]
    public async Task ForgottenPassword_ResetFromTheEmailLink_SignsOutEverywhere_AndTheNewPasswordWorks()
    {
        var email = NewEmail();
        await RegisterOverHttpAsync(email);
        var page = await site.OpenAsync();

        await page.GetByText("Forgot your password?").ClickAsync();
        await page.Locator("#forgot-form").GetByLabel("Email").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Email me a reset link" }).ClickAsync();
        await Expect(page.Locator("#forgot-status")).ToContainTextAsync("If an account uses this address");
        await site.SnapAsync(page, "forgot-password");

        await page.GotoAsync("/" + await site.WaitForLinkAsync(email, "Reset your password"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Choose a new password" })).ToBeVisibleAsync();
        page.Url.Should().NotContain("reset=");
        // A password the policy refuses (it contains the email) shows why, and leaves the link usable.
        await page.Locator("#reset-form").GetByLabel("New password").FillAsync(email + "-x");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set new password" }).ClickAsync();
        await Expect(page.Locator("#reset-status")).ToContainTextAsync("newPassword");
        await page.Locator("#reset-form").GetByLabel("New password").FillAsync("brand new horse battery");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set new password" }).ClickAsync();
        await Expect(page.Locator("#reset-status")).ToHaveTextAsync("Your password is changed and every session is signed out. Sign in with the new password.");
        await site.SnapAsync(page, "password-reset");

        await FillSignInAsync(page, email, Password);
        await Expect(page.Locator("#login-status")).ToHaveTextAsync("The email or password is not correct.");
        await SignInAsync(page, email, "brand new horse battery");
    }

    [Fact]
    public async Task Admin_ReadsTheAuditLog_FiltersIt_AndVerifiesTheChain()
    {
        var page = await site.OpenAsync();
        await SignInAsync(page, SampleSite.AdminEmail, SampleSite.AdminPassword);
        await Expect(page.Locator("#me-roles")).ToHaveTextAsync("admin");
        var admin = page.Locator("#admin");
        await Expect(admin).ToBeVisibleAsync();

        await admin.GetByRole(AriaRole.Button, new() { Name = "Verify chain" }).ClickAsync();
        await Expect(page.Locator("#audit-verify-status")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^Chain verified: \d+ events, none altered\.$"));

        await admin.GetByLabel("Event type").SelectOptionAsync("login.succeeded");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        // Retrying assertions: until the filtered page replaces the unfiltered one, whose newest row (the admin's own
        // sign-in) is a login.succeeded too, so checking the first row and then reading them all once could race.
        var types = page.Locator("#audit-body tr td:nth-child(2)");
        await Expect(types.Filter(new() { HasNotTextRegex = new System.Text.RegularExpressions.Regex("^login\\.succeeded$") })).ToHaveCountAsync(0);
        await Expect(types.First).ToHaveTextAsync("login.succeeded");
        (await types.AllInnerTextsAsync()).Should().OnlyContain(t => t == "login.succeeded");
        await site.SnapAsync(page, "admin-audit-log");

        // Someone without the role sees no admin section (and the API would answer 403).
        var other = await site.OpenAsync();
        var email = NewEmail();
        await RegisterOverHttpAsync(email);
        await SignInAsync(other, email, Password);
        await Expect(other.Locator("#admin")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task PhoneSizedScreen_NoSidewaysScrolling_AndNoSeriousAccessibilityViolations()
    {
        var email = NewEmail();
        await RegisterOverHttpAsync(email);
        var page = await site.OpenAsync(390, 844);
        await AssertFitsAndAccessibleAsync(page, "signed out");
        await site.SnapAsync(page, "phone-signed-out");

        await SignInAsync(page, email, Password);
        await AssertFitsAndAccessibleAsync(page, "signed in");
        await site.SnapAsync(page, "phone-signed-in");
    }

    [Fact]
    public async Task KeyboardOnly_ReachesTheSignInForm_SignsIn_AndLandsOnTheAccount()
    {
        var email = NewEmail();
        await RegisterOverHttpAsync(email);
        var page = await site.OpenAsync();

        await page.Keyboard.PressAsync("Tab");
        (await ActiveIdAsync(page)).Should().BeEmpty("the skip link comes first");
        await page.Keyboard.PressAsync("Tab");
        (await ActiveIdAsync(page)).Should().Be("login-email");
        await page.Keyboard.TypeAsync(email);
        await page.Keyboard.PressAsync("Tab");
        (await ActiveIdAsync(page)).Should().Be("login-password");
        await page.Keyboard.TypeAsync(Password);
        await page.Keyboard.PressAsync("Enter");

        await Expect(page.Locator("#whoami-email")).ToHaveTextAsync(email);
        await Expect(page.Locator("#account-title")).ToBeFocusedAsync(); // focus moves to the signed-in view's heading
    }

    private static string NewEmail() => $"user-{Guid.NewGuid():N}@example.com";

    private async Task RegisterOverHttpAsync(string email)
    {
        using var http = new HttpClient { BaseAddress = new Uri(site.BaseUrl) };
        var response = await http.PostAsJsonAsync("/auth/register", new { email, password = Password }, TestContext.Current.CancellationToken);
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.Created);
    }

    private static async Task RegisterAsync(IPage page, string email)
    {
        var form = page.Locator("#register-form");
        await form.GetByLabel("Email").FillAsync(email);
        await form.GetByLabel("Password").FillAsync(Password);
        await form.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(page.Locator("#register-status")).ToHaveTextAsync($"Account created for {email}. You can sign in now.");
    }

    private static async Task FillSignInAsync(IPage page, string email, string password)
    {
        var form = page.Locator("#login-form");
        await form.GetByLabel("Email").FillAsync(email);
        await form.GetByLabel("Password").FillAsync(password);
        await form.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    private static async Task SignInAsync(IPage page, string email, string password)
    {
        await FillSignInAsync(page, email, password);
        await Expect(page.Locator("#whoami-email")).ToHaveTextAsync(email);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your account" })).ToBeVisibleAsync();
    }

    private async Task SignInWithCodeAsync(IPage page, string email, string password, string secret)
    {
        await FillSignInAsync(page, email, password);
        await Expect(page.Locator("#login-status")).ToHaveTextAsync("Password accepted; now the second factor.");
        await page.Locator("#mfa-form").GetByLabel("Authenticator code").FillAsync(site.CodeFor(secret));
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify", Exact = true }).ClickAsync();
        await Expect(page.Locator("#whoami-email")).ToHaveTextAsync(email);
    }

    private static async Task DemoAsync(IPage page, string button, string expectedFirstLine)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = button }).ClickAsync();
        await Expect(page.Locator("#demo-output")).ToContainTextAsync(expectedFirstLine);
    }

    private static async Task<string> ReadSecretFromQrAsync(ILocator qr, string email)
    {
        var file = Path.Combine(Path.GetTempPath(), $"sentinel-qr-{Guid.NewGuid():N}.png");
        try
        {
            await qr.ScreenshotAsync(new() { Path = file });
            var uri = new Uri(await ExternalTools.RunAsync("zbarimg", "--raw", "-q", file));
            uri.Scheme.Should().Be("otpauth");
            Uri.UnescapeDataString(uri.AbsolutePath).Should().EndWith(":" + email);
            return HttpUtility.ParseQueryString(uri.Query)["secret"]!;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task AssertFitsAndAccessibleAsync(IPage page, string state)
    {
        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
        // Elements past the right edge, to say what to fix: outside a scrolling box, or absolutely positioned (an
        // sr-only label inside a scrolling table escapes it unless the box is its containing block).
        var culprits = await page.EvaluateAsync<string[]>("""
            [...document.querySelectorAll('body *')]
              .filter(e => e.getBoundingClientRect().right + window.scrollX > window.innerWidth + 1
                && (!e.parentElement.closest('.overflow-x-auto, .overflow-auto') || getComputedStyle(e).position === 'absolute'))
              .slice(0, 8).map(e => `${e.tagName.toLowerCase()}#${e.id}.${[...e.classList].slice(0, 3).join('.')} ${Math.round(e.getBoundingClientRect().right + window.scrollX)}`)
            """);
        overflow.Should().BeLessThanOrEqualTo(0, "nothing on the {0} page is wider than a phone's screen ({1})", state, string.Join(", ", culprits));

        var results = await page.RunAxe();
        var serious = results.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => string.Join(" ", n.Target)))})");
        serious.Should().BeEmpty("the {0} page has no serious accessibility violations (axe-core)", state);
    }

    private static Task<string> ActiveIdAsync(IPage page) => page.EvaluateAsync<string>("document.activeElement?.id ?? ''");
}
