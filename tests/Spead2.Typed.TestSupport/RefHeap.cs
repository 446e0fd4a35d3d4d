namespace Spead2.TestSupport;

/// <summary>
/// A heap as the test's reference encoder sees it (spead-protocol.md §3.1): an ordered list of items, each either
/// a byte buffer (immediate when allowed and short enough, otherwise addressed) or an inline integer.
/// Deliberately independent of the library's Heap (the test project converts with ToHeap).
/// </summary>
public sealed class RefHeap(int heapAddressBits)
{
    /// <summary>HAB of the flavour (8..56).</summary>
    public int Hab { get; } = heapAddressBits;

    /// <summary>spead2's <c>repeat_pointers</c>.</summary>
    public bool RepeatPointers { get; set; }

    /// <summary>Items in insertion order.</summary>
    public List<RefItem> Items { get; } = [];

    /// <summary>Adds a buffer item.</summary>
    public RefHeap Add(long id, byte[] value, bool allowImmediate = true)
    {
        Items.Add(new RefItem(id, value, allowImmediate, null));
        return this;
    }

    /// <summary>Adds an inline immediate (the integer is the pointer's value field).</summary>
    public RefHeap AddInline(long id, ulong value)
    {
        Items.Add(new RefItem(id, null, true, value));
        return this;
    }
}

/// <summary>One reference item: <paramref name="Value"/> for a buffer, <paramref name="Inline"/> for an inline integer.</summary>
public sealed record RefItem(long Id, byte[]? Value, bool AllowImmediate, ulong? Inline)
{
    /// <summary>
    /// Immediate or addressed, as our sender decides: inline items always; buffers when allowed and 1..HAB/8 bytes.
    /// An empty buffer is addressed (spead2 would send a 0-byte immediate its own receiver cannot decode, §10 T15).
    /// </summary>
    public bool IsImmediate(int hab) => Inline is not null || (AllowImmediate && Value!.Length >= 1 && Value.Length <= hab / 8);
}
