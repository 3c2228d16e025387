using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using Sentinel.Audit;

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
    private readonly Counter<long> _securityEvents;
    private readonly Counter<long> _lockouts;
    private readonly Counter<long> _mfaVerifications;
    private readonly Counter<long> _refreshes;
    private readonly Counter<long> _reuseDetections;
    private readonly Counter<long> _apiKeyVerifications;
    private readonly Counter<long> _auditWritten;
    private readonly Counter<long> _auditDropped;
    private readonly Counter<long> _auditWriteFailures;
    private readonly Counter<long> _auditQueueFull;
    private readonly Counter<long> _rateLimitRejections;
    private readonly Histogram<double> _clusterLag;
    private readonly Counter<long> _clusterReloads;
    private Func<long>? _auditQueueDepth;

    private static readonly FrozenSet<string> KnownTypes = AuditEventTypes.All.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Creates the instruments through <paramref name="meterFactory"/> when DI has one, else a plain meter.</summary>
    public SentinelMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _loginAttempts = _meter.CreateCounter<long>("sentinel.login.attempts", "{attempt}", "Password sign-in attempts by result.");
        _registrations = _meter.CreateCounter<long>("sentinel.user.registrations", "{registration}", "Account registrations by result.");
        _securityEvents = _meter.CreateCounter<long>("sentinel.audit.events", "{event}", "Security events recorded, by type and outcome.");
        _lockouts = _meter.CreateCounter<long>("sentinel.lockouts", "{lockout}", "Sign-ins refused because the account is locked out.");
        _mfaVerifications = _meter.CreateCounter<long>("sentinel.mfa.verifications", "{verification}", "Second-factor checks by result (success, failure, recovery_code).");
        _refreshes = _meter.CreateCounter<long>("sentinel.token.refreshes", "{refresh}", "Refresh-token exchanges by result.");
        _reuseDetections = _meter.CreateCounter<long>("sentinel.token.reuse_detections", "{detection}", "Spent refresh tokens presented again (the session is revoked).");
        _apiKeyVerifications = _meter.CreateCounter<long>("sentinel.apikey.verifications", "{verification}", "API key verifications by result (valid, rejected, rate_limited): one per key presented.");
        _auditWritten = _meter.CreateCounter<long>("sentinel.audit.written", "{event}", "Audit events stored.");
        _auditDropped = _meter.CreateCounter<long>("sentinel.audit.dropped", "{event}", "Audit events given up, by reason (queue_full, store_unavailable). Each is also logged.");
        _auditWriteFailures = _meter.CreateCounter<long>("sentinel.audit.write_failures", "{failure}", "Failed attempts to write an audit batch (it is retried).");
        _auditQueueFull = _meter.CreateCounter<long>("sentinel.audit.queue_full", "{wait}", "Times a caller had to wait for room in the audit queue.");
        _clusterLag = _meter.CreateHistogram<double>("sentinel.cluster.propagation_lag", "s",
            "From another instance sending a change (a revocation, a key change) to this one applying it, by kind.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _clusterReloads = _meter.CreateCounter<long>("sentinel.cluster.reloads", "{read}",
            "Reads of revocations from the store, by trigger (start, interval, reconnect, disconnected).");
        _rateLimitRejections = _meter.CreateCounter<long>("sentinel.rate_limit.rejections", "{request}", "Requests refused by a per-address limit, by policy (signin, refresh, registration, apikeycreation, accountrecovery, global).");
        _meter.CreateObservableUpDownCounter("sentinel.audit.queue_depth", () => _auditQueueDepth?.Invoke() ?? 0, "{event}", "Audit events accepted and not yet stored.");
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

    /// <summary>Counts one recorded security event, and the decision-specific counter it belongs to.</summary>
    internal void SecurityEvent(string type, AuditOutcome outcome)
    {
        if (!KnownTypes.TryGetValue(type, out var tag))
        {
            return; // tags come from the closed set only
        }

        var result = outcome == AuditOutcome.Success ? "success" : "failure";
        if (_securityEvents.Enabled)
        {
            _securityEvents.Add(1, new KeyValuePair<string, object?>("type", tag), new KeyValuePair<string, object?>("outcome", result));
        }

        switch (tag)
        {
            case AuditEventTypes.LoginLockedOut:
                _lockouts.Add(1);
                break;
            case AuditEventTypes.MfaSucceeded or AuditEventTypes.MfaFailed:
                _mfaVerifications.Add(1, new KeyValuePair<string, object?>("result", result));
                break;
            case AuditEventTypes.MfaRecoveryCodeUsed:
                _mfaVerifications.Add(1, new KeyValuePair<string, object?>("result", "recovery_code"));
                break;
            case AuditEventTypes.TokenRefreshed:
                _refreshes.Add(1, new KeyValuePair<string, object?>("result", result));
                break;
            case AuditEventTypes.TokenReuseDetected:
                _reuseDetections.Add(1);
                break;
        }
    }

    /// <summary>Counts one API key verification; <paramref name="result"/> is one of valid, rejected, rate_limited.</summary>
    internal void ApiKeyVerified(string result)
    {
        if (_apiKeyVerifications.Enabled)
        {
            _apiKeyVerifications.Add(1, new KeyValuePair<string, object?>("result", result));
        }
    }

    internal void ObserveAuditQueue(Func<long> depth) => _auditQueueDepth = depth;

    internal void AuditWritten(int count) => _auditWritten.Add(count);

    internal void AuditDropped(int count, string reason) => _auditDropped.Add(count, new KeyValuePair<string, object?>("reason", reason));

    internal void AuditWriteFailed() => _auditWriteFailures.Add(1);

    internal void AuditQueueFull() => _auditQueueFull.Add(1);

    /// <summary>Counts a request refused by a rate limit; <paramref name="policy"/> is from Sentinel's closed set of policy names.</summary>
    public void RateLimitRejected(string policy) => _rateLimitRejections.Add(1, new KeyValuePair<string, object?>("policy", policy));

    internal void ClusterChangeApplied(Cluster.ClusterChangeKind kind, TimeSpan lag) =>
        _clusterLag.Record(Math.Max(0, lag.TotalSeconds), new KeyValuePair<string, object?>("kind", kind switch
        {
            Cluster.ClusterChangeKind.SessionRevoked => "session_revoked",
            Cluster.ClusterChangeKind.UserTokensRevoked => "user_tokens_revoked",
            Cluster.ClusterChangeKind.ApiKeyChanged => "apikey_changed",
            _ => "signing_keys_changed",
        }));

    /// <summary>Counts a read of revocations from the store; <paramref name="trigger"/> is one of start, interval, reconnect, disconnected.</summary>
    public void ClusterReload(string trigger) => _clusterReloads.Add(1, new KeyValuePair<string, object?>("trigger", trigger));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}

internal enum SignInOutcome
{
    Success,
    InvalidCredentials,
    LockedOut,
}
