using Spead2.Send;

namespace Spead2.Typed;

/// <summary>
/// A type whose values are SPEAD heaps with a fixed set of items. Implemented by the source generator for
/// records with <see cref="SpeadItemAttribute"/> members; use it through <see cref="HeapGenerator{T}"/>.
/// </summary>
/// <typeparam name="TSelf">The implementing type.</typeparam>
public interface ISpeadHeap<TSelf>
    where TSelf : ISpeadHeap<TSelf>
{
    /// <summary>One descriptor per item, in send order, built once.</summary>
    static abstract IReadOnlyList<Descriptor> Descriptors { get; }

    /// <summary>Adds the value of every item to <paramref name="heap"/>, in send order, without allocating.</summary>
    /// <param name="value">The value to send; arrays are referenced, not copied, so leave them unchanged until the heap is sent.</param>
    /// <param name="heap">The heap to add to.</param>
    static abstract void AddItems(in TSelf value, Heap heap);

    /// <summary>Adds the value of one item, <paramref name="index"/> being its position in <see cref="Descriptors"/>.</summary>
    /// <param name="value">The value to send.</param>
    /// <param name="index">Position of the item in <see cref="Descriptors"/>.</param>
    /// <param name="heap">The heap to add to.</param>
    static abstract void AddItem(in TSelf value, int index, Heap heap);
}
