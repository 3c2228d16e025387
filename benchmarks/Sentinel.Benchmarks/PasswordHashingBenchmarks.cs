using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Sentinel;
using SentinelHasher = Sentinel.Passwords.PasswordHasher;

namespace Sentinel.Benchmarks;

/// <summary>
/// Sentinel's default (Argon2id, m=19 MiB, t=2, p=1, memory-hard) against ASP.NET Core Identity's default
/// (PBKDF2-HMAC-SHA512, 100,000 iterations), hash and verify, in one process. Ratios are per category.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class PasswordHashingBenchmarks
{
    private const string Password = "correct horse battery staple";
    private readonly PasswordHasher<object> _identity = new();
    private readonly SentinelHasher _sentinel = new(Options.Create(new SentinelOptions()));
    private readonly object _user = new();
    private string _identityHash = "";
    private string _sentinelHash = "";

    [GlobalSetup]
    public void Setup()
    {
        _identityHash = _identity.HashPassword(_user, Password);
        _sentinelHash = _sentinel.Hash(Password);
    }

    [Benchmark(Baseline = true, Description = "Identity PBKDF2-SHA512 100k")]
    [BenchmarkCategory("Verify")]
    public PasswordVerificationResult IdentityVerify() => _identity.VerifyHashedPassword(_user, _identityHash, Password);

    [Benchmark(Description = "Sentinel Argon2id 19MiB t=2")]
    [BenchmarkCategory("Verify")]
    public Sentinel.Passwords.PasswordVerification SentinelVerify() => _sentinel.Verify(_sentinelHash, Password);

    [Benchmark(Baseline = true, Description = "Identity PBKDF2-SHA512 100k")]
    [BenchmarkCategory("Hash")]
    public string IdentityHash() => _identity.HashPassword(_user, Password);

    [Benchmark(Description = "Sentinel Argon2id 19MiB t=2")]
    [BenchmarkCategory("Hash")]
    public string SentinelHash() => _sentinel.Hash(Password);
}
