using Spead2.Protocol;

namespace Spead2.Recv;

/// <summary>A problem met while applying a heap to an <see cref="ItemGroup"/>.</summary>
/// <param name="Id">The item (or described item) ID.</param>
/// <param name="Message">What went wrong.</param>
public readonly record struct ItemUpdateError(long Id, string Message);

/// <summary>What <see cref="ItemGroupReceiveExtensions.Update"/> did with one heap.</summary>
public sealed class ItemGroupUpdate
{
    internal ItemGroupUpdate(IReadOnlyList<Item> updated, IReadOnlyList<Descriptor> descriptors,
        IReadOnlyList<long> unknownIds, IReadOnlyList<ItemUpdateError> errors)
    {
        Updated = updated;
        Descriptors = descriptors;
        UnknownIds = unknownIds;
        Errors = errors;
    }

    /// <summary>Items whose value the heap set, in heap item order.</summary>
    public IReadOnlyList<Item> Updated { get; }

    /// <summary>Descriptors the heap carried and that were applied (added, replaced or identical).</summary>
    public IReadOnlyList<Descriptor> Descriptors { get; }

    /// <summary>IDs of values that arrived without a known descriptor (ignored, as spead2 does after a warning).</summary>
    public IReadOnlyList<long> UnknownIds { get; }

    /// <summary>Descriptors that could not be read and values that could not be decoded (skipped).</summary>
    public IReadOnlyList<ItemUpdateError> Errors { get; }

    /// <summary>Throws if any descriptor or value could not be decoded.</summary>
    /// <exception cref="InvalidDataException">With every error's message.</exception>
    public void ThrowIfErrors()
    {
        if (Errors.Count > 0)
            throw new InvalidDataException(string.Join(Environment.NewLine, Errors.Select(e => e.Message)));
    }
}

/// <summary>Receiving side of <see cref="ItemGroup"/>: applying received heaps.</summary>
public static class ItemGroupReceiveExtensions
{
    /// <summary>
    /// Applies a received heap as spead2's <c>ItemGroup.update</c> does: first its descriptors
    /// (an identical descriptor keeps the existing item; a different one replaces the items with
    /// the same ID or name, value cleared), then its values: every item with an ID above 6 whose
    /// ID the group knows gets the decoded value (see <see cref="ItemValueDecoder"/>). Bad
    /// descriptors or values are skipped and reported in the result, never thrown.
    /// </summary>
    /// <param name="group">The group to update.</param>
    /// <param name="heap">A received heap (its bytes are copied into the values, so it may be
    /// disposed afterwards).</param>
    /// <returns>What changed and what could not be applied.</returns>
    public static ItemGroupUpdate Update(this ItemGroup group, ReceivedHeap heap)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(heap);
        List<ItemUpdateError>? errors = null;
        List<Descriptor>? descriptors = null;
        foreach (var raw in heap.GetRawDescriptors())
        {
            try
            {
                var descriptor = raw.ToDescriptor(heap.Flavour.BugCompat);
                group.Add(new Item(descriptor));
                (descriptors ??= []).Add(descriptor);
            }
            catch (InvalidDataException e)
            {
                (errors ??= []).Add(new ItemUpdateError(raw.Id, e.Message));
            }
        }

        List<Item>? updated = null;
        List<long>? unknown = null;
        foreach (ref readonly var received in heap.ItemSpan)
        {
            if (received.Id <= ItemIds.StreamCtrl)
                continue;   // protocol items, not values
            if (!group.TryGetValue(received.Id, out var item))
            {
                (unknown ??= []).Add(received.Id);
                continue;
            }
            try
            {
                item.Value = ItemValueDecoder.Decode(item, received);
                (updated ??= []).Add(item);
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException)
            {
                (errors ??= []).Add(new ItemUpdateError(received.Id, e.Message));
            }
        }
        return new ItemGroupUpdate(
            updated ?? (IReadOnlyList<Item>)[], descriptors ?? (IReadOnlyList<Descriptor>)[],
            unknown ?? (IReadOnlyList<long>)[], errors ?? (IReadOnlyList<ItemUpdateError>)[]);
    }
}
