using System.Diagnostics.CodeAnalysis;
using Spead2.Protocol;
using Spead2.Recv;

namespace Spead2.Typed;

/// <summary>
/// The receive-side counterpart of <see cref="HeapWriter{T}"/>: keeps the descriptors a stream has sent
/// and reads one <typeparamref name="T"/> from each heap that carries item values, straight from the
/// heap's bytes (<see cref="ISpeadHeap{TSelf}.TryRead(ReceivedHeap, ItemGroup, out TSelf, out string?)"/>).
/// <see cref="TypedReceiveExtensions.ReadAllAsync{T}"/> is this in an <c>await foreach</c> loop.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
/// <remarks>
/// Each value heap must carry every item of <typeparamref name="T"/>, as <see cref="HeapWriter{T}"/> sends
/// them. For a sender that resends only changed values (spead2's <c>data='stale'</c>), apply every heap to
/// an <see cref="ItemGroup"/> with <see cref="ItemGroupReceiveExtensions.Update"/> and read with
/// <see cref="ISpeadHeap{TSelf}.TryRead(ItemGroup, out TSelf, out string?)"/>: the group keeps earlier values.
/// </remarks>
public sealed class HeapReader<T>
    where T : ISpeadHeap<T>
{
    private readonly ItemGroup _descriptors = new();
    private Func<long, bool>? _isOwnItem;

    // Built once: the intake runs for every heap, which must not allocate.
    private static readonly string DescriptorSubject = $"{typeof(T).Name}: the descriptor";
    private readonly SpeadLayout _layout;

    /// <summary>Creates a reader for a type whose shapes are all fixed at compile time.</summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> has <see cref="SpeadDimension.RunTime"/> dimensions (the message names the member): use the constructor that takes <see cref="SpeadShapes"/>.</exception>
    public HeapReader()
        => _layout = T.Layout.WithShapes(null);

    /// <summary>Creates a reader for a type with <see cref="SpeadDimension.RunTime"/> dimensions, expecting the given shapes.</summary>
    /// <param name="shapes">The full shape of each member with run-time dimensions (copied).</param>
    /// <exception cref="ArgumentException">A run-time dimension is left unset, or a shape does not fit its declaration; the message names <c>Record.Member</c>.</exception>
    public HeapReader(SpeadShapes shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        _layout = T.Layout.WithShapes(shapes);
    }

    /// <summary>The resolved layout values are read with (descriptors must match its shapes).</summary>
    public SpeadLayout Layout => _layout;

    /// <summary>The descriptors received so far (values are never set in it).</summary>
    public ItemGroup Descriptors => _descriptors;

    /// <summary>Heaps skipped because they were incomplete (delivered only with <see cref="ReceiveStreamConfig.DeliverIncompleteHeaps"/>).</summary>
    public long IncompleteHeaps { get; private set; }

    /// <summary>
    /// Heaps with values skipped because none of <typeparamref name="T"/>'s descriptors had arrived yet: a receiver
    /// that joins a running stream waits for the sender's next descriptors, as spead2 ignores values it has no
    /// descriptor for.
    /// </summary>
    public long HeapsBeforeDescriptors { get; private set; }

    /// <summary>
    /// Applies the heap's descriptors (spead2's replacement rules) and, if the heap carries item values,
    /// reads a value from it. Heaps without values (descriptors only, start or stop), incomplete heaps and
    /// heaps that arrive before any of <typeparamref name="T"/>'s descriptors give false.
    /// </summary>
    /// <param name="heap">A received heap; it is only read, and may be disposed afterwards.</param>
    /// <param name="value">The value when the method returns true.</param>
    /// <returns>Whether the heap held a value.</returns>
    /// <exception cref="InvalidDataException">
    /// The heap carries values but not one that <typeparamref name="T"/> can be read from: an item is missing, its
    /// descriptor differs from the declared one, its descriptor could not be decoded, or its bytes are too short.
    /// The message names the member, the item and what differs.
    /// </exception>
    public bool TryRead(ReceivedHeap heap, [MaybeNullWhen(false)] out T value)
    {
        ArgumentNullException.ThrowIfNull(heap);
        value = default;
        if (!Accept(heap))
            return false;
        if (!T.TryRead(heap, _descriptors, _layout, out value, out var error))
            throw new InvalidDataException(error);
        return true;
    }

    /// <summary>
    /// Like <see cref="TryRead"/>, but fills the buffers <paramref name="value"/> already holds instead of allocating:
    /// scalars are replaced and every array, <c>Memory</c> and rectangular-array member is overwritten in place
    /// (strings are still new strings). For a record struct without strings nothing is allocated per heap.
    /// </summary>
    /// <remarks>
    /// Ownership: the buffers stay the caller's. The reader copies into them and keeps no reference; the heap may be
    /// disposed as soon as this returns. Each buffer must have exactly the received shape: a wrong size or a null
    /// buffer throws <see cref="ArgumentException"/> naming <c>Record.Member</c> (nothing is resized or allocated
    /// behind your back). The next call overwrites the same buffers: copy what you keep, or rotate several values.
    /// When this returns false, <paramref name="value"/> is unchanged.
    /// </remarks>
    /// <param name="heap">A received heap.</param>
    /// <param name="value">In: the buffers. Out: the value read into them.</param>
    /// <returns>Whether the heap held a value.</returns>
    /// <exception cref="ArgumentException">A buffer is null or has another shape than the received value.</exception>
    /// <exception cref="InvalidDataException">As for <see cref="TryRead"/>.</exception>
    public bool TryReadInto(ReceivedHeap heap, ref T value)
    {
        ArgumentNullException.ThrowIfNull(heap);
        if (!Accept(heap))
            return false;
        if (!T.TryReadInto(heap, _descriptors, _layout, ref value, out var error))
            throw new InvalidDataException(error);
        return true;
    }

    private bool Accept(ReceivedHeap heap)
    {
        // Another type's item that cannot be read does not matter: reading T does not need it.
        DescriptorIntake.Apply(heap, _descriptors, _isOwnItem ??= IsOwnItem, DescriptorSubject);
        if (!heap.IsComplete)
        {
            IncompleteHeaps++;
            return false;
        }
        if (!HasValues(heap))
            return false;
        if (!HasAnyDescriptor())
        {
            HeapsBeforeDescriptors++;
            return false;
        }
        return true;
    }

    private bool IsOwnItem(long id)
    {
        for (int i = 0; i < _layout.Count; i++)
        {
            if (_layout.Items[i].Id == id)
                return true;
        }
        return false;
    }

    private bool HasAnyDescriptor()
    {
        for (int i = 0; i < _layout.Count; i++)
        {
            if (_descriptors.ContainsId(_layout.Items[i].Id))
                return true;
        }
        return false;
    }

    private static bool HasValues(ReceivedHeap heap)
    {
        foreach (ref readonly var item in heap.ItemSpan)
        {
            if (item.Id > ItemIds.StreamCtrl)
                return true;
        }
        return false;
    }
}
