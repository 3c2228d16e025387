using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Sentinel.Tests;

/// <summary>Keeps every log line (message and state) and its event id, so tests can assert what was logged and what never is.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public List<string> Lines { get; } = [];

    public List<EventId> EventIds { get; } = [];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.Lines)
            {
                owner.Lines.Add(formatter(state, exception) + " " + JsonSerializer.Serialize(state?.ToString()));
                owner.EventIds.Add(eventId);
            }
        }
    }
}
