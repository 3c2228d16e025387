using Sentinel.Passwords;
using Sentinel.Users;

namespace Sentinel.Sample;

/// <summary>Seeds an admin account from configuration (Sentinel__Sample__AdminEmail / Sentinel__Sample__AdminPassword).</summary>
internal static partial class SampleSeed
{
    public static async Task SeedAdminAsync(IServiceProvider services, IConfiguration configuration)
    {
        var email = configuration["Sentinel:Sample:AdminEmail"];
        var password = configuration["Sentinel:Sample:AdminPassword"];
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrEmpty(password))
        {
            return;
        }

        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserService>();
        var logger = scope.ServiceProvider.GetRequiredService<ILogger<Program>>();
        var user = await users.FindByEmailAsync(email);
        if (user is not null && scope.ServiceProvider.GetRequiredService<IPasswordHasher>().Verify(user.PasswordHash, password) == PasswordVerification.Failed)
        {
            // Someone registered this address (or a look-alike of it) first: the role goes only to the account the
            // configured password opens, never to whoever holds the mailbox's name.
            AdminNotGranted(logger, user.Id);
            return;
        }

        if (user is null)
        {
            var created = await users.RegisterAsync(email, password);
            if (!created.TryGetValue(out user))
            {
                throw new InvalidOperationException(
                    $"The sample admin account could not be created: {created.Error!.Message} " +
                    string.Join(" ", created.Error.Errors?.SelectMany(e => e.Value) ?? []));
            }
        }

        await users.AddRoleAsync(user.Id, "admin");
        AdminSeeded(logger, user.Id);
    }

    [LoggerMessage(1, LogLevel.Information, "Sample admin account {UserId} is ready.")]
    private static partial void AdminSeeded(ILogger logger, Guid userId);

    [LoggerMessage(2, LogLevel.Warning,
        "The sample admin email belongs to account {UserId}, whose password is not the configured one: it is not made an admin.")]
    private static partial void AdminNotGranted(ILogger logger, Guid userId);
}
