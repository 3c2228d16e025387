using System.Diagnostics.CodeAnalysis;

namespace Sentinel;

/// <summary>The outcome of an operation that can fail in an expected way.</summary>
public class SentinelResult
{
    private static readonly SentinelResult SuccessInstance = new(null);

    /// <summary>Creates a result; <paramref name="error"/> is null on success.</summary>
    protected SentinelResult(SentinelError? error) => Error = error;

    /// <summary>The failure, or null on success.</summary>
    public SentinelError? Error { get; }

    /// <summary>True when the operation succeeded.</summary>
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Error is null;

    /// <summary>A successful result without a value.</summary>
    public static SentinelResult Success() => SuccessInstance;

    /// <summary>A failed result.</summary>
    public static SentinelResult Failure(SentinelError error) => new(error ?? throw new ArgumentNullException(nameof(error)));

    /// <summary>A successful result carrying <paramref name="value"/>.</summary>
    public static SentinelResult<T> Success<T>(T value) => new(value, null);

    /// <summary>A failed result of type <typeparamref name="T"/>.</summary>
    public static SentinelResult<T> Failure<T>(SentinelError error) => new(default, error ?? throw new ArgumentNullException(nameof(error)));
}

/// <summary>The outcome of an operation that yields a value on success.</summary>
/// <typeparam name="T">The value's type.</typeparam>
public sealed class SentinelResult<T> : SentinelResult
{
    internal SentinelResult(T? value, SentinelError? error) : base(error) => Value = value;

    /// <summary>The value; set when <see cref="SentinelResult.Succeeded"/> is true.</summary>
    public T? Value { get; }

    /// <summary>True when the operation succeeded, with the value.</summary>
    public bool TryGetValue([NotNullWhen(true)] out T? value)
    {
        value = Value;
        return Succeeded && value is not null;
    }

    /// <summary>Converts an error into a failed result.</summary>
    public static implicit operator SentinelResult<T>(SentinelError error) => new(default, error);
}
