using System.Diagnostics.Metrics;

namespace Sentinel.Diagnostics;

/// <summary>
/// Sentinel's instruments on the <c>Sentinel</c> meter. Tag values come only from closed sets, never from
/// user input, and never hold a secret (SECURITY A2).
/// </summary>
public sealed class SentinelMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Sentinel";

    private readonly Meter _meter;
    private readonly Counter<long> _loginAttempts;
    private readonly Counter<long> _registrations;

    /// <summary>Creates the instruments through <paramref name="meterFactory"/> when DI has one, else a plain meter.</summary>
    public SentinelMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _loginAttempts = _meter.CreateCounter<long>("sentinel.login.attempts", "{attempt}", "Password sign-in attempts by result.");
        _registrations = _meter.CreateCounter<long>("sentinel.user.registrations", "{registration}", "Account registrations by result.");
    }

    internal void LoginAttempt(SignInOutcome outcome)
    {
        if (!_loginAttempts.Enabled)
        {
            return;
        }

        _loginAttempts.Add(1, new KeyValuePair<string, object?>("result", outcome switch
        {
            SignInOutcome.Success => "success",
            SignInOutcome.LockedOut => "locked_out",
            _ => "invalid_credentials",
        }));
    }

    internal void Registration(bool succeeded)
    {
        if (_registrations.Enabled)
        {
            _registrations.Add(1, new KeyValuePair<string, object?>("result", succeeded ? "success" : "failure"));
        }
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}

internal enum SignInOutcome
{
    Success,
    InvalidCredentials,
    LockedOut,
}
