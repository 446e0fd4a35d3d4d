namespace Spead2.Recv;

/// <summary>
/// One item of a received heap: its ID and raw value bytes. The bytes belong to the heap and
/// stay valid until the heap is disposed.
/// </summary>
public readonly struct ReceivedItem
{
    internal ReceivedItem(long id, bool isImmediate, long immediateValue, ReadOnlyMemory<byte> value)
    {
        Id = id;
        IsImmediate = isImmediate;
        ImmediateValue = immediateValue;
        Value = value;
    }

    /// <summary>The item ID.</summary>
    public long Id { get; }

    /// <summary>
    /// True if the value came inside the item pointer. Such a value is always HAB/8 bytes long
    /// (5 in SPEAD-64-40) and right-aligned: a shorter value sits in its last bytes.
    /// </summary>
    public bool IsImmediate { get; }

    /// <summary>For an immediate item, the pointer's value field as an unsigned integer; 0 otherwise.</summary>
    public long ImmediateValue { get; }

    /// <summary>
    /// The value bytes: for an addressed item, from its address to the next addressed item's
    /// address (or the end of the heap); for an immediate, the HAB/8 bytes of the value field,
    /// big-endian as they were on the wire.
    /// </summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>The value bytes as a span (see <see cref="Value"/>).</summary>
    public ReadOnlySpan<byte> Span => Value.Span;
}
