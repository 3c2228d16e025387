using FluentAssertions;
using Sentinel.Audit;
using Microsoft.Extensions.DependencyInjection;
using Sentinel.Passwords;
using Sentinel.Storage.InMemory;
using Sentinel.Users;

namespace Sentinel.Tests.Users;

public sealed class SignInTests
{
    private const string Password = "correct horse battery";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SignIn_RightPassword_AnyEmailCase_Succeeds()
    {
        using var s = new TestServices();
        var user = await s.RegisterAsync("ada@example.com", Password);

        var result = await s.SignIn.PasswordSignInAsync(" ADA@example.com", Password, new ClientInfo("203.0.113.9", "tests/1.0"), Ct);

        result.Should().BeOfType<Sentinel.SignIn.SignInResult.Success>().Which.User.Id.Should().Be(user.Id);
        s.Audit.Events.Should().ContainSingle(e => e.Type == AuditEventTypes.LoginSucceeded
            && e.UserId == user.Id && e.IpAddress == "203.0.113.9" && e.UserAgent == "tests/1.0");
    }

    [Fact]
    public async Task SignIn_UnknownEmailAndWrongPassword_GiveTheSameError()
    {
        // SECURITY P3: same status and body for unknown email and wrong password.
        using var s = new TestServices();
        await s.RegisterAsync("ada@example.com", Password);

        var unknown = await s.SignIn.PasswordSignInAsync("nobody@example.com", Password, cancellationToken: Ct);
        var wrong = await s.SignIn.PasswordSignInAsync("ada@example.com", "wrong horse battery", cancellationToken: Ct);

        unknown.Error.Should().Be(wrong.Error);
        unknown.Error!.Code.Should().Be(SentinelErrorCode.InvalidCredentials);
    }

    [Fact]
    public async Task SignIn_UnknownEmail_SpendsOneVerificationAgainstAHashOfTheCurrentParameters()
    {
        // SECURITY P3: an unknown email costs the same hashing time as a wrong password.
        var counting = new CountingHasher();
        using var s = new TestServices(wrapHasher: inner => counting.Wrap(inner));
        var user = await s.RegisterAsync("ada@example.com", Password);
        var realParameters = PhcParameters(user.PasswordHash);

        counting.Verified.Clear();
        await s.SignIn.PasswordSignInAsync("nobody@example.com", Password, cancellationToken: Ct);
        await s.SignIn.PasswordSignInAsync("", Password, cancellationToken: Ct);
        counting.Verified.Should().HaveCount(2).And.OnlyContain(h => PhcParameters(h) == realParameters);

        counting.Verified.Clear();
        await s.SignIn.PasswordSignInAsync("ada@example.com", "wrong horse battery", cancellationToken: Ct);
        counting.Verified.Should().ContainSingle().Which.Should().Be(user.PasswordHash);
    }

    [Fact]
    public async Task SignIn_UnknownEmail_WaitsAsLongAsAFailureCountWrite()
    {
        // SECURITY P3: a wrong password for a known account writes its failure count; an unknown email has nothing
        // to write, so it waits as long as those writes take. A store whose writes take 40 ms makes the gap visible.
        using var s = new TestServices(configureServices: services =>
            services.AddSingleton<IUserStore>(new SlowWritingUserStore(new InMemoryUserStore(), TimeSpan.FromMilliseconds(40))));
        await s.RegisterAsync("ada@example.com", Password);
        for (var i = 0; i < 3; i++)
        {
            await s.SignIn.PasswordSignInAsync("ada@example.com", "wrong horse battery", cancellationToken: Ct);
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var unknown = await s.SignIn.PasswordSignInAsync("nobody@example.com", Password, cancellationToken: Ct);

        unknown.Error!.Code.Should().Be(SentinelErrorCode.InvalidCredentials);
        watch.Elapsed.Should().BeGreaterThan(TimeSpan.FromMilliseconds(30), "the unknown path pads to the typical failure write");
    }

    [Fact]
    public async Task SignIn_DisabledUser_IsInvalidCredentials()
    {
        using var s = new TestServices();
        var user = await s.RegisterAsync("ada@example.com", Password);
        s.Time.Advance(TimeSpan.FromMinutes(1));
        var disabled = await s.Users.SetDisabledAsync(user.Id, true, Ct);

        disabled.Value!.SecurityValidAfter.Should().Be(TestServices.Start.AddMinutes(1), "disabling revokes what was issued before");
        (await s.SignIn.PasswordSignInAsync("ada@example.com", Password, cancellationToken: Ct)).Error!.Code
            .Should().Be(SentinelErrorCode.InvalidCredentials);

        await s.Users.SetDisabledAsync(user.Id, false, Ct);
        (await s.SignIn.PasswordSignInAsync("ada@example.com", Password, cancellationToken: Ct)).Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task SignIn_StoredIdentityV3Hash_IsUpgradedToArgon2id()
    {
        // SECURITY P2: a weaker stored hash (here ASP.NET Core Identity v3) is upgraded on the next sign-in.
        using var s = new TestServices();
        var user = await s.RegisterAsync("ada@example.com", Password);
        var stored = (await s.Store.FindByIdAsync(user.Id, Ct))!;
        stored.PasswordHash = new Microsoft.AspNetCore.Identity.PasswordHasher<object>().HashPassword(new object(), Password);
        await s.Store.UpdateAsync(stored, Ct);

        (await s.SignIn.PasswordSignInAsync("ada@example.com", Password, cancellationToken: Ct)).Succeeded.Should().BeTrue();

        var upgraded = (await s.Store.FindByIdAsync(user.Id, Ct))!.PasswordHash;
        upgraded.Should().StartWith("$argon2id$v=19$m=64,t=1,p=1$");
        s.Hasher.Verify(upgraded, Password).Should().Be(PasswordVerification.Success);
    }

    [Fact]
    public async Task SignIn_AfterParametersGrow_UpgradesTheHash()
    {
        using var s = new TestServices(o => { o.Passwords.Argon2MemoryKiB = 128; o.Passwords.Argon2Iterations = 2; });
        var user = await s.RegisterAsync("ada@example.com", Password);
        var stored = (await s.Store.FindByIdAsync(user.Id, Ct))!;
        var weakOptions = new SentinelOptions();
        weakOptions.Passwords.Argon2MemoryKiB = 64;
        weakOptions.Passwords.Argon2Iterations = 1;
        stored.PasswordHash = new PasswordHasher(Microsoft.Extensions.Options.Options.Create(weakOptions)).Hash(Password);
        await s.Store.UpdateAsync(stored, Ct);

        (await s.SignIn.PasswordSignInAsync("ada@example.com", Password, cancellationToken: Ct)).Succeeded.Should().BeTrue();

        (await s.Store.FindByIdAsync(user.Id, Ct))!.PasswordHash.Should().StartWith("$argon2id$v=19$m=128,t=2,p=1$");
    }

    [Fact]
    public async Task SignIn_WithNullOrHugeInput_FailsCleanly()
    {
        using var s = new TestServices();
        await s.RegisterAsync("ada@example.com", Password);

        (await s.SignIn.PasswordSignInAsync(null, null, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidCredentials);
        (await s.SignIn.PasswordSignInAsync(new string('a', 10_000), Password, cancellationToken: Ct)).Error!.Code.Should().Be(SentinelErrorCode.InvalidCredentials);
    }

    private static string PhcParameters(string hash) => hash.Split('$')[3];

    /// <summary>A real in-memory store whose writes take a fixed time, like a database commit.</summary>
    private sealed class SlowWritingUserStore(IUserStore inner, TimeSpan writeTime) : IUserStore
    {
        public ValueTask<SentinelUser?> FindByIdAsync(Guid id, CancellationToken cancellationToken) => inner.FindByIdAsync(id, cancellationToken);

        public ValueTask<SentinelUser?> FindByNormalizedEmailAsync(string normalizedEmail, CancellationToken cancellationToken) =>
            inner.FindByNormalizedEmailAsync(normalizedEmail, cancellationToken);

        public ValueTask<StoreWriteResult> CreateAsync(SentinelUser user, CancellationToken cancellationToken) => inner.CreateAsync(user, cancellationToken);

        public async ValueTask<StoreWriteResult> UpdateAsync(SentinelUser user, CancellationToken cancellationToken)
        {
            await Task.Delay(writeTime, cancellationToken);
            return await inner.UpdateAsync(user, cancellationToken);
        }

        public ValueTask<IReadOnlyList<(Guid UserId, DateTimeOffset ValidAfter)>> ListSecurityValidAfterSinceAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
            inner.ListSecurityValidAfterSinceAsync(since, cancellationToken);
    }

    private sealed class CountingHasher
    {
        public List<string> Verified { get; } = [];

        public IPasswordHasher Wrap(IPasswordHasher inner) => new Wrapper(inner, this);

        private sealed class Wrapper(IPasswordHasher inner, CountingHasher owner) : IPasswordHasher
        {
            public string Hash(string password) => inner.Hash(password);

            public PasswordVerification Verify(string hash, string password)
            {
                lock (owner.Verified)
                {
                    owner.Verified.Add(hash);
                }

                return inner.Verify(hash, password);
            }
        }
    }
}
