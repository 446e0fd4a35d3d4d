using System.Collections;

namespace Spead2.Send;

/// <summary>
/// An immutable list of <see cref="HeapReference"/> for sending the same group repeatedly: build it once,
/// send it (or slices of it) many times. Slicing shares the storage, so it allocates only the small view.
/// </summary>
/// <remarks>The heaps it refers to may be refilled between sends; the list keeps only the references and settings.</remarks>
public sealed class HeapReferenceList : IReadOnlyList<HeapReference>
{
    private readonly HeapReference[] _items;
    private readonly int _start;

    /// <summary>Copies <paramref name="heaps"/> into a new list.</summary>
    /// <exception cref="ArgumentException">An element is a default <see cref="HeapReference"/> (no heap).</exception>
    public HeapReferenceList(IEnumerable<HeapReference> heaps)
    {
        ArgumentNullException.ThrowIfNull(heaps);
        _items = [.. heaps];
        for (int i = 0; i < _items.Length; i++)
        {
            if (_items[i].Heap is null)
            {
                throw new ArgumentException($"Element {i} has no heap (a default HeapReference).", nameof(heaps));
            }
        }
        _start = 0;
        Count = _items.Length;
    }

    private HeapReferenceList(HeapReference[] items, int start, int count)
    {
        _items = items;
        _start = start;
        Count = count;
    }

    /// <summary>Number of heaps.</summary>
    public int Count { get; }

    /// <summary>The heap reference at <paramref name="index"/>.</summary>
    public HeapReference this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"The index must be less than {Count}.");
            }
            return _items[_start + index];
        }
    }

    /// <summary>A view of <paramref name="length"/> elements from <paramref name="start"/>, sharing storage
    /// (also what C# ranges such as <c>list[2..5]</c> call).</summary>
    public HeapReferenceList Slice(int start, int length)
    {
        if ((uint)start > (uint)Count || (uint)length > (uint)(Count - start))
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"The slice [{start}, {start}+{length}) is outside a list of {Count}.");
        }
        return new HeapReferenceList(_items, _start + start, length);
    }

    /// <summary>The elements as a span.</summary>
    public ReadOnlySpan<HeapReference> AsSpan() => new(_items, _start, Count);

    /// <summary>Enumerates the heap references.</summary>
    public ArraySegment<HeapReference>.Enumerator GetEnumerator() => new ArraySegment<HeapReference>(_items, _start, Count).GetEnumerator();

    IEnumerator<HeapReference> IEnumerable<HeapReference>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
