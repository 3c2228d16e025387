using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sentinel.Sessions;
using Sentinel.Tokens;
using Sentinel.Users;

namespace Sentinel.Benchmarks;

/// <summary>
/// Access-token validation and issuance: Sentinel (signature, typ/iss/aud/claims, lifetime, revocation check
/// against 1,000,000 revoked sessions) against Microsoft's <see cref="JsonWebTokenHandler"/> alone with the same
/// key and algorithm. "uncached" turns Sentinel's validated-token cache off; "cached" is a client presenting the
/// same token again, which is what every request after the first does.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class AccessTokenBenchmarks
{
    private const int RevokedSessions = 1_000_000;

    private ServiceProvider _cachedProvider = null!;
    private ServiceProvider _uncachedProvider = null!;
    private AccessTokenService _cached = null!;
    private AccessTokenService _uncached = null!;
    private SentinelUser _user = null!;
    private string _token = "";
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false, SetDefaultTimesOnTokenCreation = false };
    private TokenValidationParameters _bareParameters = null!;
    private SecurityTokenDescriptor _bareDescriptor = null!;

    [Params(SigningAlgorithm.ES256, SigningAlgorithm.HS256)]
    public SigningAlgorithm Algorithm { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var keyStore = new Sentinel.Storage.InMemory.InMemorySigningKeyStore();
        var protector = new Sentinel.Secrets.EphemeralSecretProtector();
        (_cachedProvider, _cached) = Build(100_000);
        (_uncachedProvider, _uncached) = Build(0);

        using var scope = _cachedProvider.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserService>();
        _user = (await users.RegisterAsync("bench@example.com", "correct horse battery")).Value!;
        _token = (await scope.ServiceProvider.GetRequiredService<SessionService>().StartAsync(_user, ["pwd"], null)).AccessToken;

        foreach (var provider in new[] { _cachedProvider, _uncachedProvider })
        {
            BenchmarkFiller.RevokeSessions(provider.GetRequiredService<RevocationList>(), RevokedSessions);
        }

        if (!(await _cached.ValidateAsync(_token)).Succeeded || !(await _uncached.ValidateAsync(_token)).Succeeded)
        {
            throw new InvalidOperationException("The benchmark token does not validate.");
        }

        var ringKey = await _cachedProvider.GetRequiredService<SigningKeyRing>().GetSigningKeyAsync(CancellationToken.None);
        _bareParameters = new TokenValidationParameters
        {
            ValidIssuer = "https://api.example.test",
            ValidAudience = "https://api.example.test",
            ValidTypes = ["at+jwt"],
            IssuerSigningKey = ringKey.Key,
            ValidAlgorithms = [ringKey.Algorithm],
        };
        _bareDescriptor = new SecurityTokenDescriptor
        {
            Issuer = "https://api.example.test",
            Audience = "https://api.example.test",
            TokenType = "at+jwt",
            IssuedAt = DateTime.UtcNow,
            NotBefore = DateTime.UtcNow,
            Expires = DateTime.UtcNow.AddMinutes(15),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = _user.Id.ToString(), ["client_id"] = "sentinel", ["jti"] = Guid.NewGuid().ToString("N"),
                ["sid"] = Guid.NewGuid().ToString(), ["amr"] = new[] { "pwd" },
            },
            SigningCredentials = new SigningCredentials(ringKey.Key, ringKey.Algorithm),
        };
        if (!(await _handler.ValidateTokenAsync(_token, _bareParameters)).IsValid)
        {
            throw new InvalidOperationException("The bare handler does not accept the benchmark token.");
        }

        (ServiceProvider, AccessTokenService) Build(int cacheSize)
        {
            var services = new ServiceCollection();
            services.AddSingleton<Sentinel.Tokens.ISigningKeyStore>(keyStore);
            services.AddSingleton<Sentinel.Secrets.ISecretProtector>(protector);
            services.AddSentinelCore(o =>
            {
                o.Tokens.Issuer = "https://api.example.test";
                o.Tokens.SigningAlgorithm = Algorithm;
                o.Tokens.HmacSecret = secret;
                o.Tokens.ValidatedTokenCacheSize = cacheSize;
                o.Passwords.Argon2MemoryKiB = 64;
                o.Passwords.Argon2Iterations = 1;
            }).AddInMemoryStores();
            var provider = services.BuildServiceProvider();
            return (provider, provider.GetRequiredService<AccessTokenService>());
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cachedProvider.Dispose();
        _uncachedProvider.Dispose();
    }

    [Benchmark(Baseline = true, Description = "JsonWebTokenHandler.ValidateTokenAsync")]
    [BenchmarkCategory("Validate")]
    public async Task<bool> BareValidate() => (await _handler.ValidateTokenAsync(_token, _bareParameters)).IsValid;

    [Benchmark(Description = "Sentinel validate, uncached")]
    [BenchmarkCategory("Validate")]
    public async Task<bool> SentinelValidateUncached() => (await _uncached.ValidateAsync(_token)).Succeeded;

    [Benchmark(Description = "Sentinel validate, cached")]
    [BenchmarkCategory("Validate")]
    public async Task<bool> SentinelValidateCached() => (await _cached.ValidateAsync(_token)).Succeeded;

    [Benchmark(Baseline = true, Description = "JsonWebTokenHandler.CreateToken")]
    [BenchmarkCategory("Issue")]
    public string BareIssue() => _handler.CreateToken(_bareDescriptor);

    [Benchmark(Description = "Sentinel issue")]
    [BenchmarkCategory("Issue")]
    public async Task<string> SentinelIssue() => (await _cached.IssueAsync(_user, Guid.NewGuid(), ["pwd"], CancellationToken.None)).Token;
}
