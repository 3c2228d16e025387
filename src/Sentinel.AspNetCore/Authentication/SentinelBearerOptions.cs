using Microsoft.AspNetCore.Authentication;

namespace Sentinel.AspNetCore.Authentication;

/// <summary>Options of the <see cref="SentinelAuthenticationDefaults.BearerScheme"/> scheme.</summary>
public sealed class SentinelBearerOptions : AuthenticationSchemeOptions
{
    /// <summary>Hooks into the handler's decisions.</summary>
    public new SentinelBearerEvents Events { get; set; } = new();
}

/// <summary>Delegates the host can set to observe or adjust bearer authentication.</summary>
public sealed class SentinelBearerEvents
{
    /// <summary>Runs after a token validated, with the principal about to be signed in; may add claims.</summary>
    public Func<Microsoft.AspNetCore.Http.HttpContext, System.Security.Claims.ClaimsPrincipal, Task> OnTokenValidated { get; set; } = (_, _) => Task.CompletedTask;
}
