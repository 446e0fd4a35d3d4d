using System.Diagnostics.CodeAnalysis;

namespace Spead2.Typed;

/// <summary>
/// A record read from a stream that carries several record types (<see cref="HeapDispatcher"/>), with the cnt
/// of the heap it came from. Match on <see cref="Value"/> with <c>switch</c> / <c>is</c>, or deconstruct it:
/// <code>
/// await foreach (var (record, cnt) in stream.ReadAllAsync(dispatcher))
///     switch (record)
///     {
///         case XengDump dump: ...; break;
///         case BeamHeap beam: ...; break;
///     }
/// </code>
/// </summary>
/// <remarks>
/// <see cref="Value"/> is the record itself, owned by the caller (nothing in it refers to the heap's buffer), so
/// it stays valid after later heaps are read. A record <em>struct</em> is boxed once per heap to be held here.
/// </remarks>
public readonly struct ReceivedRecord : IEquatable<ReceivedRecord>
{
    /// <summary>Wraps a record read from the heap with cnt <paramref name="cnt"/>.</summary>
    /// <param name="value">The record (not null).</param>
    /// <param name="cnt">The heap cnt.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public ReceivedRecord(object value, long cnt)
    {
        ArgumentNullException.ThrowIfNull(value);
        Value = value;
        Cnt = cnt;
    }

    /// <summary>The record: an instance of one of the types added to the <see cref="HeapDispatcher"/>.</summary>
    /// <remarks>Null only for <c>default(ReceivedRecord)</c>, which no reader returns.</remarks>
    public object Value { get; }

    /// <summary>The cnt (heap ID) of the heap the record was read from.</summary>
    public long Cnt { get; }

    /// <summary>Whether the record is a <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">A record type.</typeparam>
    /// <returns>True when <see cref="Value"/> is a <typeparamref name="T"/>.</returns>
    public bool Is<T>() => Value is T;

    /// <summary>Gets the record as a <typeparamref name="T"/> if it is one.</summary>
    /// <typeparam name="T">A record type.</typeparam>
    /// <param name="value">The record when the method returns true.</param>
    /// <returns>Whether the record is a <typeparamref name="T"/>.</returns>
    public bool TryGet<T>([MaybeNullWhen(false)] out T value)
    {
        if (Value is T typed)
        {
            value = typed;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Deconstructs into the record and the heap cnt: <c>var (record, cnt) = received;</c>.</summary>
    /// <param name="value">The record.</param>
    /// <param name="cnt">The heap cnt.</param>
    public void Deconstruct(out object value, out long cnt)
    {
        value = Value;
        cnt = Cnt;
    }

    /// <inheritdoc/>
    public bool Equals(ReceivedRecord other) => Cnt == other.Cnt && Equals(Value, other.Value);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ReceivedRecord other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Value, Cnt);

    /// <summary>Whether two received records hold equal values from heaps with the same cnt.</summary>
    /// <param name="left">The first record.</param>
    /// <param name="right">The second record.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(ReceivedRecord left, ReceivedRecord right) => left.Equals(right);

    /// <summary>Whether two received records differ in value or heap cnt.</summary>
    /// <param name="left">The first record.</param>
    /// <param name="right">The second record.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(ReceivedRecord left, ReceivedRecord right) => !left.Equals(right);

    /// <inheritdoc/>
    public override string ToString() => $"heap {Cnt}: {Value}";
}

/// <summary>A record of type <typeparamref name="T"/> with the cnt of the heap it was read from.</summary>
/// <typeparam name="T">The record type.</typeparam>
/// <param name="Value">The record.</param>
/// <param name="Cnt">The cnt (heap ID) of the heap it was read from.</param>
public readonly record struct ReceivedRecord<T>(T Value, long Cnt);
