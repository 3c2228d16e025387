using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Sentinel.AspNetCore.Authentication;

/// <summary>Options of the <see cref="SentinelAuthenticationDefaults.BearerScheme"/> scheme.</summary>
public sealed class SentinelBearerOptions : AuthenticationSchemeOptions
{
    /// <summary>Creates the options with no-op events.</summary>
    public SentinelBearerOptions() => Events = new SentinelBearerEvents();

    /// <summary>
    /// Hooks into the handler's decisions. This is the base class's <see cref="AuthenticationSchemeOptions.Events"/>, so
    /// <see cref="AuthenticationSchemeOptions.EventsType"/> works as with JwtBearer: set it to a subclass of
    /// <see cref="SentinelBearerEvents"/> registered in DI, and an instance is resolved per request.
    /// </summary>
    public new SentinelBearerEvents Events
    {
        get => (SentinelBearerEvents)base.Events!;
        set => base.Events = value;
    }
}

/// <summary>What a host can observe or adjust in bearer authentication: set the delegates, or derive and override.</summary>
public class SentinelBearerEvents
{
    /// <summary>Runs after a token validated, with the principal about to be signed in; may add claims.</summary>
    public Func<HttpContext, ClaimsPrincipal, Task> OnTokenValidated { get; set; } = (_, _) => Task.CompletedTask;

    /// <summary>Runs after a token validated; calls <see cref="OnTokenValidated"/> unless overridden.</summary>
    public virtual Task TokenValidated(HttpContext context, ClaimsPrincipal principal) => OnTokenValidated(context, principal);
}
