using Spead2.Protocol;

namespace Spead2.Send;

/// <summary>Which descriptors or values <see cref="HeapGenerator.AddToHeap"/> includes.</summary>
public enum HeapContents
{
    /// <summary>Only those not sent yet, changed since, or due again (spead2's <c>'stale'</c>).</summary>
    Stale,

    /// <summary>All of them (<c>'all'</c>).</summary>
    All,

    /// <summary>None (<c>'none'</c>).</summary>
    None,
}

/// <summary>
/// Builds heaps from an <see cref="ItemGroup"/>, remembering which descriptors and value versions were sent, as
/// spead2's <c>send.HeapWriter</c> does. For each item in the group's order it adds the descriptor (when asked
/// for and stale) and then the value (when it has one and it is asked for or stale).
/// </summary>
public sealed class HeapGenerator
{
    private readonly ItemGroup _itemGroup;
    private readonly int? _descriptorFrequency;
    private readonly Dictionary<long, ItemInfo> _info = [];
    private long _descriptorCnt;

    /// <summary>Creates a generator for <paramref name="itemGroup"/>.</summary>
    /// <param name="itemGroup">The items; iterated in insertion order.</param>
    /// <param name="descriptorFrequency">Resend each descriptor after this many <see cref="AddToHeap"/> calls; null never resends.</param>
    /// <param name="flavour">Flavour of the heaps made by <see cref="GetHeap"/>, <see cref="GetStart"/> and <see cref="GetEnd"/>.</param>
    public HeapGenerator(ItemGroup itemGroup, int? descriptorFrequency = null, Flavour? flavour = null)
    {
        ArgumentNullException.ThrowIfNull(itemGroup);
        if (descriptorFrequency is < 1)
            throw new ArgumentOutOfRangeException(nameof(descriptorFrequency), descriptorFrequency, "The descriptor frequency must be at least 1 (or null for never).");
        _itemGroup = itemGroup;
        _descriptorFrequency = descriptorFrequency;
        Flavour = flavour ?? Flavour.Default;
    }

    /// <summary>Flavour of the heaps this generator creates.</summary>
    public Flavour Flavour { get; }

    /// <summary>
    /// Adds descriptors and values to <paramref name="heap"/>: descriptor(A), value(A), descriptor(B), value(B), ... in
    /// item order, as selected by <paramref name="descriptors"/> and <paramref name="data"/>.
    /// </summary>
    /// <returns><paramref name="heap"/>.</returns>
    public Heap AddToHeap(Heap heap, HeapContents descriptors = HeapContents.Stale, HeapContents data = HeapContents.Stale)
    {
        ArgumentNullException.ThrowIfNull(heap);
        CheckContents(descriptors, nameof(descriptors));
        CheckContents(data, nameof(data));
        foreach (var item in _itemGroup)
        {
            if (!_info.TryGetValue(item.Id, out var info))
            {
                info = new ItemInfo(item);
                _info.Add(item.Id, info);
            }
            if (descriptors == HeapContents.All || (descriptors == HeapContents.Stale && DescriptorStale(item, info)))
            {
                heap.AddDescriptor(item);
                info.DescriptorCnt = _descriptorCnt;
            }
            if (item.Value is not null && (data == HeapContents.All || (data == HeapContents.Stale && info.Version != item.Version)))
            {
                heap.AddItem(item);
                info.Version = item.Version;
            }
        }
        _descriptorCnt++;
        return heap;
    }

    /// <summary>A new heap of <see cref="Flavour"/> filled by <see cref="AddToHeap"/>.</summary>
    public Heap GetHeap(HeapContents descriptors = HeapContents.Stale, HeapContents data = HeapContents.Stale) =>
        AddToHeap(new Heap(Flavour), descriptors, data);

    /// <summary>A heap holding only the start-of-stream item.</summary>
    public Heap GetStart()
    {
        var heap = new Heap(Flavour);
        heap.AddStart();
        return heap;
    }

    /// <summary>A heap holding only the end-of-stream item.</summary>
    public Heap GetEnd()
    {
        var heap = new Heap(Flavour);
        heap.AddEnd();
        return heap;
    }

    private bool DescriptorStale(Item item, ItemInfo info)
    {
        if (info.DescriptorCnt is null)
            return true;
        if (_descriptorFrequency is { } freq && _descriptorCnt - info.DescriptorCnt.Value >= freq)
            return true;
        if (!ReferenceEquals(info.Item, item))
        {
            // The item under this ID was replaced: its value must be sent again too.
            info.Version = null;
            info.Item = item;
            return true;
        }
        return false;
    }

    private static void CheckContents(HeapContents value, string paramName)
    {
        if (value is not (HeapContents.Stale or HeapContents.All or HeapContents.None))
            throw new ArgumentOutOfRangeException(paramName, value, "Expected Stale, All or None.");
    }

    private sealed class ItemInfo(Item item)
    {
        public Item Item { get; set; } = item;

        public long? DescriptorCnt { get; set; }

        public long? Version { get; set; }
    }
}

/// <summary>
/// spead2's convenience <c>send.ItemGroup</c>: an item group that is also its own heap generator.
/// (Named so that it does not clash with <see cref="Spead2.Protocol.ItemGroup"/> when both namespaces are imported.)
/// </summary>
public sealed class SendItemGroup : ItemGroup
{
    private readonly HeapGenerator _generator;

    /// <summary>Creates an empty group.</summary>
    /// <param name="descriptorFrequency">Resend each descriptor after this many heaps; null never resends.</param>
    /// <param name="flavour">Flavour of the heaps made.</param>
    public SendItemGroup(int? descriptorFrequency = null, Flavour? flavour = null) =>
        _generator = new HeapGenerator(this, descriptorFrequency, flavour);

    /// <summary>Flavour of the heaps this group creates.</summary>
    public Flavour Flavour => _generator.Flavour;

    /// <inheritdoc cref="HeapGenerator.AddToHeap"/>
    public Heap AddToHeap(Heap heap, HeapContents descriptors = HeapContents.Stale, HeapContents data = HeapContents.Stale) =>
        _generator.AddToHeap(heap, descriptors, data);

    /// <inheritdoc cref="HeapGenerator.GetHeap"/>
    public Heap GetHeap(HeapContents descriptors = HeapContents.Stale, HeapContents data = HeapContents.Stale) =>
        _generator.GetHeap(descriptors, data);

    /// <inheritdoc cref="HeapGenerator.GetStart"/>
    public Heap GetStart() => _generator.GetStart();

    /// <inheritdoc cref="HeapGenerator.GetEnd"/>
    public Heap GetEnd() => _generator.GetEnd();
}
