using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Spead2.Internal;
using Spead2.Protocol;

namespace Spead2.Send;

/// <summary>
/// A heap to send: an ordered list of items of one flavour. Insertion order fixes both pointer order and payload
/// order. Items added from arrays or memory are referenced, not copied, so they must not change until the heap has
/// been sent; <see cref="AddItemCopy"/> copies small values into storage the heap owns and reuses after
/// <see cref="Clear"/>, so a reused heap allocates nothing in steady state.
/// </summary>
public sealed class Heap
{
    private HeapEntry[] _entries = new HeapEntry[8];
    private int _count;
    private byte[] _storage = new byte[256];
    private int _storageUsed;

    /// <summary>Creates an empty heap.</summary>
    /// <param name="flavour">The flavour; <see cref="Flavour.Default"/> (SPEAD-64-40) when null.</param>
    public Heap(Flavour? flavour = null) => Flavour = flavour ?? Flavour.Default;

    /// <summary>The heap's flavour.</summary>
    public Flavour Flavour { get; }

    /// <summary>
    /// Whether every packet repeats all the item pointers. The packet size must then fit all of them
    /// (and a possible NULL pointer) besides the four mandatory ones.
    /// </summary>
    public bool RepeatPointers { get; set; }

    /// <summary>Number of items, descriptors and control items added.</summary>
    public int Count => _count;

    /// <summary>Adds an item's current value (encoded now, as spead2 does when the heap is built). No descriptor is added.</summary>
    /// <exception cref="InvalidOperationException">The item has no value.</exception>
    public void AddItem(Item item)
    {
        ArgumentNullException.ThrowIfNull(item);
        CheckId(item.Id);
        if (item.Value is null)
            ThrowHelper.InvalidOperation($"Item '{item.Name}' (0x{item.Id:X}) has no value to add.");
        var bytes = item.ToBuffer();
        AddEntry(item.Id, bytes, 0, bytes.Length, EntryKind.Array, item.AllowImmediate);
    }

    /// <summary>Adds an item whose value is <paramref name="value"/>, referencing that memory (no copy).</summary>
    /// <param name="id">Item ID, from 0 to <see cref="Flavour.MaxItemId"/>.</param>
    /// <param name="value">The value bytes; sent as an immediate when allowed and no longer than <see cref="Flavour.ImmediateBytes"/>.</param>
    /// <param name="allowImmediate">Whether a small value may travel inside its item pointer.</param>
    public void AddItem(long id, ReadOnlyMemory<byte> value, bool allowImmediate = true) => AddItem<byte>(id, value, allowImmediate);

    /// <summary>
    /// Adds an item whose value is the raw memory of <paramref name="value"/> (machine byte order), referencing it:
    /// arrays and <see cref="MemoryManager{T}"/> of bytes are never copied.
    /// </summary>
    /// <typeparam name="T">An unmanaged element type.</typeparam>
    /// <param name="id">Item ID, from 0 to <see cref="Flavour.MaxItemId"/>.</param>
    /// <param name="value">The elements.</param>
    /// <param name="allowImmediate">Whether a small value may travel inside its item pointer.</param>
    public void AddItem<T>(long id, ReadOnlyMemory<T> value, bool allowImmediate = true)
        where T : unmanaged
    {
        CheckId(id);
        int size = Unsafe.SizeOf<T>();
        if (MemoryMarshal.TryGetArray(value, out ArraySegment<T> segment) && segment.Array is not null)
        {
            AddEntry(id, segment.Array, checked(segment.Offset * size), checked(segment.Count * size), EntryKind.Array, allowImmediate);
            return;
        }
        if (typeof(T) == typeof(byte)
            && MemoryMarshal.TryGetMemoryManager(Unsafe.As<ReadOnlyMemory<T>, ReadOnlyMemory<byte>>(ref value), out MemoryManager<byte>? manager, out int start, out int length))
        {
            AddEntry(id, manager, start, length, EntryKind.Manager, allowImmediate);
            return;
        }
        // Other kinds of memory (native memory of a non-byte element type) have no owner we can keep: copy.
        AddItemCopy(id, MemoryMarshal.AsBytes(value.Span), allowImmediate);
    }

    /// <summary>Adds an item whose value is the memory of an array (zero copy); see <see cref="AddItem{T}(long, ReadOnlyMemory{T}, bool)"/>.</summary>
    public void AddItem<T>(long id, T[] value, bool allowImmediate = true)
        where T : unmanaged => AddItem<T>(id, (ReadOnlyMemory<T>)value, allowImmediate);

    /// <summary>
    /// Adds an item whose value is copied into storage owned by the heap (reused after <see cref="Clear"/>, so steady
    /// state allocates nothing). Meant for small values such as encoded scalars.
    /// </summary>
    public void AddItemCopy(long id, ReadOnlySpan<byte> value, bool allowImmediate = true)
    {
        CheckId(id);
        int offset = Reserve(value.Length);
        value.CopyTo(_storage.AsSpan(offset));
        AddEntry(id, null, offset, value.Length, EntryKind.Storage, allowImmediate);
    }

    /// <summary>
    /// Reserves <paramref name="length"/> bytes of heap-owned storage as the value of a new item and returns them to be
    /// filled in. The span is valid until the next call that adds to the heap.
    /// </summary>
    public Span<byte> AddItemStorage(long id, int length, bool allowImmediate = true)
    {
        CheckId(id);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int offset = Reserve(length);
        AddEntry(id, null, offset, length, EntryKind.Storage, allowImmediate);
        var span = _storage.AsSpan(offset, length);
        span.Clear();
        return span;
    }

    /// <summary>Adds an inline immediate: the integer itself fills the address field of the pointer.</summary>
    /// <param name="id">Item ID.</param>
    /// <param name="value">From 0 to <see cref="Flavour.MaxHeapAddress"/>.</param>
    public void AddImmediate(long id, long value)
    {
        CheckId(id);
        if ((ulong)value > (ulong)Flavour.MaxHeapAddress)
            ThrowHelper.OutOfRange(nameof(value), value, $"An immediate value must be from 0 to {Flavour.MaxHeapAddress} in {Flavour}.");
        Grow();
        _entries[_count++] = new HeapEntry { Id = id, Kind = EntryKind.Inline, InlineValue = (ulong)value };
    }

    /// <summary>Adds a descriptor (item 5, always addressed). Its encoding is cached, so re-adding it allocates nothing.</summary>
    public void AddDescriptor(Descriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var bytes = descriptor.GetEncoded(Flavour);
        AddEntry(ItemIds.Descriptor, bytes, 0, bytes.Length, EntryKind.Array, allowImmediate: false);
    }

    /// <summary>Adds the start-of-stream control item.</summary>
    public void AddStart() => AddImmediate(ItemIds.StreamCtrl, (long)StreamControl.Start);

    /// <summary>Adds the end-of-stream control item. A spead2 receiver drops any other item in the same heap.</summary>
    public void AddEnd() => AddImmediate(ItemIds.StreamCtrl, (long)StreamControl.Stop);

    /// <summary>Removes every item (releasing references to their memory) so that the heap can be reused.</summary>
    public void Clear()
    {
        Array.Clear(_entries, 0, _count);
        _count = 0;
        _storageUsed = 0;
    }

    internal ref readonly HeapEntry GetEntry(int index) => ref _entries[index];

    /// <summary>The value bytes of item <paramref name="index"/> (not meaningful for inline immediates).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ReadOnlySpan<byte> GetItemBytes(int index)
    {
        ref readonly var e = ref _entries[index];
        return e.Kind switch
        {
            EntryKind.Array => MemoryMarshal.CreateReadOnlySpan(
                ref Unsafe.AddByteOffset(ref MemoryMarshal.GetArrayDataReference(Unsafe.As<Array>(e.Owner!)), (nint)e.Offset), e.Length),
            EntryKind.Manager => Unsafe.As<MemoryManager<byte>>(e.Owner!).GetSpan().Slice(e.Offset, e.Length),
            EntryKind.Storage => new ReadOnlySpan<byte>(_storage, e.Offset, e.Length),
            _ => default,
        };
    }

    private void CheckId(long id)
    {
        if ((ulong)id > (ulong)Flavour.MaxItemId)
            ThrowHelper.OutOfRange(nameof(id), id, $"Item ID must be from 0 to 0x{Flavour.MaxItemId:X} in {Flavour}.");
    }

    private void AddEntry(long id, object? owner, int offset, int length, EntryKind kind, bool allowImmediate)
    {
        Grow();
        _entries[_count++] = new HeapEntry
        {
            Id = id,
            Owner = owner,
            Offset = offset,
            Length = length,
            Kind = kind,
            AllowImmediate = allowImmediate,
        };
    }

    private void Grow()
    {
        if (_count == _entries.Length)
            Array.Resize(ref _entries, _entries.Length * 2);
    }

    private int Reserve(int length)
    {
        int offset = _storageUsed;
        int needed = checked(offset + length);
        if (needed > _storage.Length)
            Array.Resize(ref _storage, Math.Max(needed, _storage.Length * 2));
        _storageUsed = needed;
        return offset;
    }
}

/// <summary>Where an item's value lives.</summary>
internal enum EntryKind : byte
{
    /// <summary>The integer is the pointer's value field.</summary>
    Inline,

    /// <summary>Bytes inside a managed array (any unmanaged element type), at a byte offset.</summary>
    Array,

    /// <summary>Bytes inside a <see cref="MemoryManager{T}"/> of bytes.</summary>
    Manager,

    /// <summary>Bytes in the heap's own storage.</summary>
    Storage,
}

/// <summary>One item of a heap.</summary>
internal struct HeapEntry
{
    public long Id;
    public object? Owner;
    public int Offset;
    public int Length;
    public ulong InlineValue;
    public EntryKind Kind;
    public bool AllowImmediate;

    /// <summary>
    /// spead2's rule: inline items, and buffers allowed to be immediate that fit the address field. Zero-length buffers
    /// are sent addressed, unlike spead2, whose own receiver cannot decode a 0-byte immediate (docs/spead2-differences.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool IsImmediate(int immediateBytes) =>
        Kind == EntryKind.Inline || (AllowImmediate && Length <= immediateBytes && Length > 0);
}
