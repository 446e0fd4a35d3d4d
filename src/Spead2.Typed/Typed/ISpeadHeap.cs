using System.Diagnostics.CodeAnalysis;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;

namespace Spead2.Typed;

/// <summary>
/// A type whose values are SPEAD heaps with a fixed set of items. Implemented by the source generator for
/// records with <see cref="SpeadItemAttribute"/> members; use it through <see cref="HeapWriter{T}"/>.
/// </summary>
/// <typeparam name="TSelf">The implementing type.</typeparam>
public interface ISpeadHeap<TSelf>
    where TSelf : ISpeadHeap<TSelf>
{
    /// <summary>
    /// The declared items, in send order. For a type with <see cref="SpeadDimension.RunTime"/> dimensions it is
    /// unresolved: resolve it with <see cref="SpeadLayout.WithShapes"/> (as <see cref="HeapWriter{T}"/> and
    /// <see cref="HeapReader{T}"/> do) and pass the result to the layout-taking members.
    /// </summary>
    static abstract SpeadLayout Layout { get; }

    /// <summary>One descriptor per item, in send order, built once (<c>Layout.Descriptors</c>).</summary>
    /// <exception cref="InvalidOperationException">The type has dimensions set at run time: use a resolved layout's descriptors.</exception>
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

    /// <summary>Adds the value of one item under a resolved layout (the shapes every value is checked against).</summary>
    /// <param name="value">The value to send.</param>
    /// <param name="index">Position of the item in the layout.</param>
    /// <param name="heap">The heap to add to.</param>
    /// <param name="layout"><see cref="Layout"/>, resolved with <see cref="SpeadLayout.WithShapes"/>.</param>
    /// <exception cref="ArgumentException">The value does not fit its item; the message names <c>Record.Member</c>.</exception>
    static abstract void AddItem(in TSelf value, int index, Heap heap, SpeadLayout layout);

    /// <summary>
    /// Reads a value from an <see cref="ItemGroup"/> that received heaps were applied to
    /// (<see cref="ItemGroupReceiveExtensions.Update"/>): the group's descriptor for each item must match
    /// the declared one (see <see cref="SpeadReader"/> for what "match" means), and its decoded value is
    /// converted to the member type. Values persist in a group, so this also reads senders that resend only
    /// changed items.
    /// </summary>
    /// <param name="items">The updated group.</param>
    /// <param name="value">The value read.</param>
    /// <param name="error">Why reading failed (naming the member, the item and what differs), otherwise null.</param>
    /// <returns>Whether every item was there and matched.</returns>
    static abstract bool TryRead(ItemGroup items, [MaybeNullWhen(false)] out TSelf value, [NotNullWhen(false)] out string? error);

    /// <summary>
    /// Reads a value straight from a received heap's item bytes (no boxing, no intermediate arrays), under the
    /// descriptors held by <paramref name="descriptors"/>. The heap must carry a value for every item (a
    /// nullable string or array member whose item is absent reads as null).
    /// </summary>
    /// <param name="heap">The heap; its bytes are copied, so it may be disposed afterwards.</param>
    /// <param name="descriptors">The descriptors received so far (this heap's included); values in it are ignored.</param>
    /// <param name="value">The value read.</param>
    /// <param name="error">Why reading failed (naming the member, the item and what differs), otherwise null.</param>
    /// <returns>Whether every item was there and matched.</returns>
    static abstract bool TryRead(ReceivedHeap heap, ItemGroup descriptors, [MaybeNullWhen(false)] out TSelf value, [NotNullWhen(false)] out string? error);

    /// <summary>Reads a value from an updated <see cref="ItemGroup"/>, checking descriptors against a resolved layout.</summary>
    /// <param name="items">The updated group.</param>
    /// <param name="layout"><see cref="Layout"/>, resolved.</param>
    /// <param name="value">The value read.</param>
    /// <param name="error">Why reading failed, otherwise null.</param>
    /// <returns>Whether every item was there and matched.</returns>
    static abstract bool TryRead(ItemGroup items, SpeadLayout layout, [MaybeNullWhen(false)] out TSelf value, [NotNullWhen(false)] out string? error);

    /// <summary>Reads a value from a received heap's item bytes, checking descriptors against a resolved layout.</summary>
    /// <param name="heap">The heap; its bytes are copied, so it may be disposed afterwards.</param>
    /// <param name="descriptors">The descriptors received so far.</param>
    /// <param name="layout"><see cref="Layout"/>, resolved.</param>
    /// <param name="value">The value read.</param>
    /// <param name="error">Why reading failed, otherwise null.</param>
    /// <returns>Whether every item was there and matched.</returns>
    static abstract bool TryRead(ReceivedHeap heap, ItemGroup descriptors, SpeadLayout layout, [MaybeNullWhen(false)] out TSelf value, [NotNullWhen(false)] out string? error);

    /// <summary>
    /// Reads a value from a received heap into the buffers <paramref name="value"/> already holds: scalars are
    /// replaced, every array, <c>Memory</c> and rectangular-array member is overwritten in place (strings are new).
    /// Nothing is allocated for a record struct without strings.
    /// </summary>
    /// <param name="heap">The heap; its bytes are copied, so it may be disposed afterwards.</param>
    /// <param name="descriptors">The descriptors received so far.</param>
    /// <param name="layout"><see cref="Layout"/>, resolved.</param>
    /// <param name="value">In: the buffers to fill. Out: the value read (the same buffers), unchanged on failure except for buffer contents.</param>
    /// <param name="error">Why reading failed, otherwise null.</param>
    /// <returns>Whether every item was there and matched.</returns>
    /// <exception cref="ArgumentException">A buffer member is null or does not have exactly the received shape; the message names <c>Record.Member</c>.</exception>
    static abstract bool TryReadInto(ReceivedHeap heap, ItemGroup descriptors, SpeadLayout layout, ref TSelf value, [NotNullWhen(false)] out string? error);
}
