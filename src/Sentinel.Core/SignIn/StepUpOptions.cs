namespace Sentinel.SignIn;

/// <summary>
/// Recent authentication (SECURITY T11, RFC 9470): how fresh a sign-in must be for the operations the HTTP contract
/// marks <em>recent</em> (setting up or turning off two-factor, new recovery codes, creating or rotating an API key),
/// so that a stolen access token alone cannot take the account over. Bound from <c>Sentinel:StepUp</c>.
/// </summary>
public sealed class StepUpOptions
{
    /// <summary>
    /// The oldest <c>auth_time</c> a recent operation accepts; older ones answer 401 <c>reauthentication_required</c>
    /// until the user re-authenticates (<c>POST /auth/reauthenticate</c>). Default 10 minutes.
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Adds what is wrong with these settings to <paramref name="result"/>, each with its configuration key and how to fix it.</summary>
    internal void Validate(Microsoft.Extensions.Options.ValidateOptionsResultBuilder result)
    {
        if (MaxAge <= TimeSpan.Zero || MaxAge > TimeSpan.FromDays(1))
        {
            result.AddError("must be positive and at most a day, for example 00:10:00 (SECURITY T11: a sensitive change needs a fresh sign-in).", "Sentinel:StepUp:MaxAge");
        }
    }
}
