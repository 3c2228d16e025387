using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sentinel.Audit;
using Sentinel.Passwords;
using Sentinel.Storage.InMemory;
using Sentinel.Users;

namespace Sentinel.Tests;

/// <summary>A Sentinel service provider over in-memory stores, a fake clock and cheap Argon2id parameters.</summary>
internal sealed class TestServices : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 28, 14, 40, 3, TimeSpan.Zero);

    private readonly ServiceProvider _provider;
    private readonly IServiceScope _scope;

    public TestServices(
        Action<SentinelOptions>? configure = null,
        Func<IPasswordHasher, IPasswordHasher>? wrapHasher = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var services = new ServiceCollection();
        configureServices?.Invoke(services);
        services.AddSingleton<TimeProvider>(Time);
        // Service tests check which events are recorded: a synchronous log instead of the queued writer.
        services.AddSingleton<InMemoryAuditLog>();
        services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<InMemoryAuditLog>());
        services.AddSentinelCore(o =>
        {
            // Cheap parameters: these tests are about policy, not hashing cost.
            o.Passwords.Argon2MemoryKiB = 64;
            o.Passwords.Argon2Iterations = 1;
            configure?.Invoke(o);
        }).AddInMemoryStores();
        if (wrapHasher is not null)
        {
            services.AddSingleton(sp => wrapHasher(ActivatorUtilities.CreateInstance<PasswordHasher>(sp)));
        }

        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _scope = _provider.CreateScope();
    }

    public FakeTimeProvider Time { get; } = new(Start);

    public UserService Users => _scope.ServiceProvider.GetRequiredService<UserService>();

    public Sentinel.SignIn.SignInService SignIn => _scope.ServiceProvider.GetRequiredService<Sentinel.SignIn.SignInService>();

    public IUserStore Store => _scope.ServiceProvider.GetRequiredService<IUserStore>();

    public InMemoryAuditLog Audit => _provider.GetRequiredService<InMemoryAuditLog>();

    public IPasswordHasher Hasher => _provider.GetRequiredService<IPasswordHasher>();

    public T Get<T>() where T : notnull => _scope.ServiceProvider.GetRequiredService<T>();

    public async Task<SentinelUser> RegisterAsync(string email = "ada@example.com", string password = "correct horse battery")
    {
        var result = await Users.RegisterAsync(email, password, cancellationToken: TestContext.Current.CancellationToken);
        return result.Value ?? throw new InvalidOperationException($"Registration failed: {result.Error}");
    }

    public void Dispose()
    {
        _scope.Dispose();
        _provider.Dispose();
    }
}
