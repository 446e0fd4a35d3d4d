using Spead2.Protocol;
using Spead2.Send;

namespace Spead2.Typed;

/// <summary>
/// Builds heaps from values of a generated <see cref="ISpeadHeap{T}"/> type and tracks which descriptors
/// were sent, the way spead2's <c>HeapGenerator</c> does for an item group: a descriptor goes out the
/// first time, again every <see cref="DescriptorFrequency"/> calls if set, and always or never on request.
/// </summary>
/// <remarks>
/// Items appear as descriptor(A), value(A), descriptor(B), value(B)… exactly as spead2 orders them. Unlike
/// spead2's item group, a record value has no version: every call adds every item's value (a null array or
/// string is "no value" and is skipped, like an item whose value is None). Not thread-safe, like spead2's.
/// </remarks>
/// <typeparam name="T">The record type.</typeparam>
public sealed class HeapWriter<T>
    where T : ISpeadHeap<T>
{
    // Call count at which each item's descriptor was last added; -1 = never.
    private readonly long[] _descriptorSentAt;
    // Descriptors added by the call in progress, committed only once every value was added without error,
    // so that a bad value (say a non-ASCII string) does not mark descriptors sent that never left.
    private readonly bool[] _pending;
    // Heaps reused by the send extensions: one per send in flight, so steady state allocates none.
    private readonly Stack<Heap> _spareHeaps = new();
    private readonly SpeadLayout _layout;
    private long _calls;

    /// <summary>Creates a writer for a type whose shapes are all fixed at compile time.</summary>
    /// <param name="descriptorFrequency">If set, resend each descriptor once every this many heaps; null sends each once.</param>
    /// <param name="flavour">The flavour of the heaps this writer creates; <see cref="Flavour.Default"/> if null.</param>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> has <see cref="SpeadDimension.RunTime"/> dimensions (the message names the member): use the constructor that takes <see cref="SpeadShapes"/>.</exception>
    public HeapWriter(int? descriptorFrequency = null, Flavour? flavour = null)
        : this(T.Layout.WithShapes(null), descriptorFrequency, flavour)
    {
    }

    /// <summary>
    /// Creates a writer for a type with <see cref="SpeadDimension.RunTime"/> dimensions: <paramref name="shapes"/>
    /// gives them once, the descriptors carry the concrete shapes, and every value is checked against them.
    /// </summary>
    /// <param name="shapes">The full shape of each member with run-time dimensions (copied: later changes have no effect).</param>
    /// <param name="descriptorFrequency">If set, resend each descriptor once every this many heaps; null sends each once.</param>
    /// <param name="flavour">The flavour of the heaps this writer creates; <see cref="Flavour.Default"/> if null.</param>
    /// <exception cref="ArgumentException">A run-time dimension is left unset, or a shape does not fit its declaration; the message names <c>Record.Member</c>.</exception>
    public HeapWriter(SpeadShapes shapes, int? descriptorFrequency = null, Flavour? flavour = null)
        : this(T.Layout.WithShapes(shapes ?? throw new ArgumentNullException(nameof(shapes))), descriptorFrequency, flavour)
    {
    }

    private HeapWriter(SpeadLayout layout, int? descriptorFrequency, Flavour? flavour)
    {
        if (descriptorFrequency is { } frequency)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(frequency, 1, nameof(descriptorFrequency));
        }

        _layout = layout;
        DescriptorFrequency = descriptorFrequency;
        Flavour = flavour ?? Flavour.Default;
        _descriptorSentAt = new long[layout.Count];
        _pending = new bool[_descriptorSentAt.Length];
        Array.Fill(_descriptorSentAt, -1L);
    }

    /// <summary>The flavour of heaps created by <see cref="GetHeap"/>, <see cref="GetStart"/> and <see cref="GetEnd"/>.</summary>
    public Flavour Flavour { get; }

    /// <summary>
    /// Whether the heaps this writer builds for values (<see cref="GetHeap"/> and the send extensions) repeat every
    /// item pointer in every packet (<see cref="Heap.RepeatPointers"/>), as katgpucbf's data heaps do so that each
    /// packet can be placed on its own. False by default, like spead2.
    /// </summary>
    public bool RepeatPointers { get; init; }

    /// <summary>Resend period of descriptors in heaps, or null to send each descriptor once.</summary>
    public int? DescriptorFrequency { get; }

    /// <summary>The descriptors of <typeparamref name="T"/>, in send order, with the concrete shapes.</summary>
    public IReadOnlyList<Descriptor> Descriptors => _layout.Descriptors;

    /// <summary>The resolved layout of <typeparamref name="T"/> this writer checks values against.</summary>
    public SpeadLayout Layout => _layout;

    /// <summary>Creates a new heap holding the value and the descriptors due. Allocates the heap: reuse one with <see cref="AddToHeap"/> on hot paths.</summary>
    /// <param name="value">The value.</param>
    /// <param name="descriptors">Which descriptors to add.</param>
    /// <returns>The new heap.</returns>
    public Heap GetHeap(in T value, HeapContents descriptors = HeapContents.Stale)
    {
        var heap = new Heap(Flavour) { RepeatPointers = RepeatPointers };
        AddToHeap(value, heap, descriptors);
        return heap;
    }

    /// <summary>Adds the descriptors due and every item value to <paramref name="heap"/>, without allocating.</summary>
    /// <param name="value">The value; its arrays are referenced, so leave them unchanged until the heap is sent.</param>
    /// <param name="heap">The heap (usually cleared and reused).</param>
    /// <param name="descriptors"><see cref="HeapContents.Stale"/>: only descriptors not yet sent or due again; <see cref="HeapContents.All"/>; <see cref="HeapContents.None"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> (a record class) or <paramref name="heap"/> is null.</exception>
    /// <exception cref="ArgumentException">A value does not fit its item (array length or shape, non-ASCII string, integer
    /// wider than its bits); the message names <c>Record.Member</c>, and for arrays the expected and actual shapes. The heap then holds the items added before it: clear it before reuse. The descriptor
    /// tracking is left as it was, so the descriptors stay due.</exception>
    public void AddToHeap(in T value, Heap heap, HeapContents descriptors = HeapContents.Stale)
    {
        if (value is null)
        {
            // A record class passed as null (or default): say so here rather than fail inside generated code.
            throw new ArgumentNullException(nameof(value), $"There is no {typeof(T).Name} to send: the value is null.");
        }
        ArgumentNullException.ThrowIfNull(heap);
        var list = _layout.Descriptors;
        for (var i = 0; i < list.Count; i++)
        {
            var due = IsDue(i, descriptors);
            _pending[i] = due;
            if (due)
            {
                heap.AddDescriptor(list[i]);
            }

            T.AddItem(value, i, heap, _layout);
        }

        Commit();
    }

    /// <summary>Adds only descriptors (no values) to <paramref name="heap"/>, e.g. for a descriptor heap at stream start. Counts as a heap for <see cref="DescriptorFrequency"/>.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="descriptors">Which descriptors to add; <see cref="HeapContents.All"/> by default.</param>
    public void AddDescriptorsToHeap(Heap heap, HeapContents descriptors = HeapContents.All)
    {
        ArgumentNullException.ThrowIfNull(heap);
        var list = _layout.Descriptors;
        for (var i = 0; i < list.Count; i++)
        {
            var due = IsDue(i, descriptors);
            _pending[i] = due;
            if (due)
            {
                heap.AddDescriptor(list[i]);
            }
        }

        Commit();
    }

    private void Commit()
    {
        for (var i = 0; i < _pending.Length; i++)
        {
            if (_pending[i])
            {
                _descriptorSentAt[i] = _calls;
            }
        }

        _calls++;
    }

    /// <summary>A cleared heap of <see cref="Flavour"/> from the spares, or a new one; give it back with <see cref="ReturnHeap"/>.</summary>
    internal Heap RentHeap()
    {
        lock (_spareHeaps)
        {
            if (_spareHeaps.TryPop(out var heap))
            {
                heap.RepeatPointers = RepeatPointers;
                return heap;
            }
        }

        return new Heap(Flavour) { RepeatPointers = RepeatPointers };
    }

    /// <summary>Clears a heap (dropping its references to user arrays) and keeps it for the next send.</summary>
    internal void ReturnHeap(Heap heap)
    {
        heap.Clear();
        lock (_spareHeaps)
        {
            _spareHeaps.Push(heap);
        }
    }

    /// <summary>A heap holding only the stream-start control item.</summary>
    /// <returns>The new heap.</returns>
    public Heap GetStart()
    {
        var heap = new Heap(Flavour);
        heap.AddStart();
        return heap;
    }

    /// <summary>A heap holding only the stream-stop control item (never put data in it: receivers discard it).</summary>
    /// <returns>The new heap.</returns>
    public Heap GetEnd()
    {
        var heap = new Heap(Flavour);
        heap.AddEnd();
        return heap;
    }

    private bool IsDue(int index, HeapContents descriptors) => descriptors switch
    {
        HeapContents.All => true,
        HeapContents.None => false,
        HeapContents.Stale => _descriptorSentAt[index] < 0
            || (DescriptorFrequency is { } frequency && _calls - _descriptorSentAt[index] >= frequency),
        _ => throw new ArgumentOutOfRangeException(nameof(descriptors), descriptors, "Expected Stale, All or None."),
    };
}
