using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sentinel.Diagnostics;

namespace Sentinel.AspNetCore.Tests;

/// <summary>
/// What one test host logs (every level) and measures on its own <c>Sentinel</c> meter, so a test can assert what
/// is logged and counted, and what never is (SECURITY A2). Other hosts running in parallel are not heard: the
/// listener takes only instruments from this host's <see cref="IMeterFactory"/>.
/// </summary>
internal sealed class HostTelemetry : ILoggerProvider
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<Measurement> _measurements = new();

    public IReadOnlyList<string> LogLines => [.. _lines];

    public IReadOnlyList<Measurement> Measurements => [.. _measurements];

    /// <summary>Adds this provider to the host's logging, at every level (for this provider only).</summary>
    public void Attach(IServiceCollection services)
    {
        services.AddSingleton<ILoggerProvider>(this);
        // A rule for this provider only: the host's other providers keep their level.
        services.Configure<LoggerFilterOptions>(o => o.Rules.Add(new LoggerFilterRule(typeof(HostTelemetry).FullName, null, LogLevel.Trace, null)));
    }

    /// <summary>Starts hearing the host's <c>Sentinel</c> meter.</summary>
    public void Listen(IServiceProvider services)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SentinelMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => _measurements.Enqueue(new(i.Name, value, tags.ToArray())));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => _measurements.Enqueue(new(i.Name, value, tags.ToArray())));
        _listener.Start();
    }

    /// <summary>Reads the observable instruments (the audit queue depth) now.</summary>
    public void RecordObservables() => _listener.RecordObservableInstruments();

    /// <summary>The sum of <paramref name="instrument"/>'s measurements whose tags include every one of <paramref name="tags"/>.</summary>
    public double Sum(string instrument, params (string Key, string Value)[] tags) => Measurements
        .Where(m => m.Instrument == instrument && tags.All(t => m.Tags.Any(k => k.Key == t.Key && Equals(k.Value, t.Value))))
        .Sum(m => m.Value);

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() => _listener.Dispose();

    internal sealed record Measurement(string Instrument, double Value, KeyValuePair<string, object?>[] Tags);

    private sealed class Logger(HostTelemetry owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{eventId.Id} {formatter(state, exception)} {exception}");
    }
}
