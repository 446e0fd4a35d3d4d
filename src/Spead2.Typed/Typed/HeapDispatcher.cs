using System.Diagnostics.CodeAnalysis;
using Spead2.Protocol;
using Spead2.Recv;

namespace Spead2.Typed;

/// <summary>
/// Reads a stream that carries several record types: each heap with values is read as the record type whose
/// items it carries, judged by the descriptors received so far, whatever order the types first appear in.
/// <see cref="TypedReceiveExtensions.ReadAllAsync(ReceiveStream, HeapDispatcher, CancellationToken)"/> is this in an
/// <c>await foreach</c> loop.
/// </summary>
/// <remarks>
/// <para>How a heap is matched to a type (<see cref="TryRead"/>):</para>
/// <list type="number">
/// <item>The heap's descriptors are applied to <see cref="Descriptors"/> (spead2's replacement rules).</item>
/// <item>A heap with a value for an item ID that a registered type declares but that has no descriptor yet is skipped
/// and counted in <see cref="HeapsBeforeDescriptors"/> (a receiver joining a running stream waits for the sender's
/// next descriptors; reading it meanwhile as a smaller type that shares the described items would be wrong).</item>
/// <item>An item of a type is <em>carried</em> by the heap when the heap has a value with its ID and the descriptor
/// received for that ID has the type's name for it. A type whose items are all carried is a full match; among full
/// matches the type with the most items wins (a heap of <c>{timestamp, frequency, xeng_raw}</c> is the
/// three-item type, not a two-item <c>{timestamp, frequency}</c> type). The winner is read, and a descriptor that
/// differs from its declaration (shape, format, dtype) is an <see cref="InvalidDataException"/>.</item>
/// <item>With no full match, the types that carry some of their items are tried (a nullable member's item may be
/// absent); the one that reads and carries the most items wins.</item>
/// <item>Otherwise the heap is skipped and counted in <see cref="UnmatchedHeaps"/> (a type nobody registered).</item>
/// </list>
/// <para>Heaps without values (descriptors only, start, stop) and incomplete heaps are skipped. Two types that both
/// match a heap equally well are an <see cref="InvalidDataException"/> naming both, never a silent choice; two
/// types with the same item IDs and names cannot be added at all.</para>
/// <para>Not thread-safe: one dispatcher reads one stream.</para>
/// </remarks>
/// <example>
/// <code>
/// var dispatcher = new HeapDispatcher().Add&lt;FengHeap&gt;().Add&lt;XengDump&gt;();
/// await foreach (var (record, cnt) in stream.ReadAllAsync(dispatcher))
///     switch (record)
///     {
///         case FengHeap f: Console.WriteLine($"heap {cnt}: F-engine {f.FengId}"); break;
///         case XengDump x: Console.WriteLine($"heap {cnt}: visibilities at {x.Timestamp}"); break;
///     }
/// </code>
/// </example>
public sealed class HeapDispatcher
{
    private readonly ItemGroup _descriptors = new();
    private Func<long, bool>? _isRegistered;
    private readonly List<Entry> _entries = [];

    /// <summary>The descriptors received so far, of every type (values are never set in it).</summary>
    public ItemGroup Descriptors => _descriptors;

    /// <summary>The record types added, in the order they were added (which does not affect matching).</summary>
    public IReadOnlyList<Type> RecordTypes
    {
        get
        {
            var types = new Type[_entries.Count];
            for (var i = 0; i < types.Length; i++)
            {
                types[i] = _entries[i].RecordType;
            }

            return types;
        }
    }

    /// <summary>Heaps skipped because they were incomplete (delivered only with <see cref="ReceiveStreamConfig.DeliverIncompleteHeaps"/>).</summary>
    public long IncompleteHeaps { get; private set; }

    /// <summary>
    /// Heaps with values skipped because an item ID of a registered type had no descriptor yet: a receiver that joins
    /// a running stream waits for the sender's next descriptors, as spead2 ignores values it has no descriptor for.
    /// </summary>
    public long HeapsBeforeDescriptors { get; private set; }

    /// <summary>Heaps with values that match no registered type (another sender's records, say).</summary>
    public long UnmatchedHeaps { get; private set; }

    /// <summary>Adds a record type whose shapes are all fixed at compile time.</summary>
    /// <typeparam name="T">A record type with <see cref="SpeadItemAttribute"/> members.</typeparam>
    /// <returns>This dispatcher, so that calls chain.</returns>
    /// <exception cref="ArgumentException">
    /// <typeparamref name="T"/> has <see cref="SpeadDimension.RunTime"/> dimensions (use <see cref="Add{T}(SpeadShapes)"/>),
    /// was already added, has no items, or declares the same item IDs and names as a type already added (no heap could
    /// tell them apart).
    /// </exception>
    public HeapDispatcher Add<T>()
        where T : ISpeadHeap<T> =>
        Add(new Entry<T>(T.Layout.WithShapes(null)));

    /// <summary>Adds a record type with <see cref="SpeadDimension.RunTime"/> dimensions, expecting the given shapes.</summary>
    /// <typeparam name="T">A record type with <see cref="SpeadItemAttribute"/> members.</typeparam>
    /// <param name="shapes">The full shape of each member with run-time dimensions (copied), as for <see cref="HeapReader{T}(SpeadShapes)"/>.</param>
    /// <returns>This dispatcher, so that calls chain.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shapes"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// A run-time dimension is left unset or a shape does not fit its declaration (the message names <c>Record.Member</c>),
    /// or as for <see cref="Add{T}()"/>.
    /// </exception>
    public HeapDispatcher Add<T>(SpeadShapes shapes)
        where T : ISpeadHeap<T>
    {
        ArgumentNullException.ThrowIfNull(shapes);
        return Add(new Entry<T>(T.Layout.WithShapes(shapes)));
    }

    private HeapDispatcher Add(Entry entry)
    {
        var name = entry.RecordType.Name;
        if (entry.Declared.Count == 0)
        {
            throw new ArgumentException($"{name} declares no items, so no heap can be read as one.", "T");
        }

        foreach (var other in _entries)
        {
            if (other.RecordType == entry.RecordType)
            {
                throw new ArgumentException($"{name} was already added.", "T");
            }

            if (SameItems(other.Declared, entry.Declared))
            {
                throw new ArgumentException(
                    $"{name} declares the same items as {other.RecordType.Name} ({Describe(entry.Declared)}): " +
                    "a heap cannot say which of the two it is.", "T");
            }
        }

        _entries.Add(entry);
        return this;
    }

    /// <summary>
    /// Applies the heap's descriptors and, if the heap carries values that match a registered type, reads that
    /// record (see the remarks on <see cref="HeapDispatcher"/> for the rules).
    /// </summary>
    /// <param name="heap">A received heap; it is only read, and may be disposed afterwards.</param>
    /// <param name="record">The record and the heap cnt when the method returns true.</param>
    /// <returns>Whether the heap was read as a record.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="heap"/> is null.</exception>
    /// <exception cref="InvalidOperationException">No record type was added.</exception>
    /// <exception cref="InvalidDataException">
    /// The heap matches a type whose descriptor differs from the declaration (the message names the member, the item
    /// and what differs), two types match equally well, or a registered type's descriptor cannot be decoded.
    /// </exception>
    public bool TryRead(ReceivedHeap heap, out ReceivedRecord record)
    {
        ArgumentNullException.ThrowIfNull(heap);
        if (_entries.Count == 0)
        {
            throw new InvalidOperationException("Add the record types to read (Add<T>()) before reading heaps.");
        }

        record = default;
        // An item no registered type reads that cannot be read does not matter: spead2 would only warn.
        DescriptorIntake.Apply(heap, _descriptors, _isRegistered ??= IsRegistered, "The descriptor");
        if (!heap.IsComplete)
        {
            IncompleteHeaps++;
            return false;
        }

        if (!HasValues(heap))
        {
            return false;
        }

        if (HasUndescribedValues(heap))
        {
            // Some of the heap's items belong to a registered type but are not described yet: what the heap is cannot
            // be known (a smaller type would take a bigger type's heap), so wait for the sender's descriptors.
            HeapsBeforeDescriptors++;
            return false;
        }

        // Full matches: every item carried. The most specific one wins; a tie between different item sets is ambiguous.
        Entry? best = null;
        Entry? tie = null;
        foreach (var entry in _entries)
        {
            if (Carried(entry, heap) != entry.Declared.Count)
            {
                continue;
            }

            if (best is null || entry.Declared.Count > best.Declared.Count)
            {
                best = entry;
                tie = null;
            }
            else if (entry.Declared.Count == best.Declared.Count)
            {
                tie = entry;
            }
        }

        if (best is not null)
        {
            if (tie is not null)
            {
                throw Ambiguous(heap, best, tie);
            }

            if (!best.TryRead(heap, _descriptors, out var value, out var error))
            {
                throw new InvalidDataException(error);
            }

            record = new ReceivedRecord(value, heap.Cnt);
            return true;
        }

        return TryReadPartial(heap, out record);
    }

    private bool TryReadPartial(ReceivedHeap heap, out ReceivedRecord record)
    {
        // Types that carry only some of their items: reading succeeds when the others are nullable members.
        Entry? best = null;
        Entry? tie = null;
        object? bestValue = null;
        var bestCarried = 0;
        foreach (var entry in _entries)
        {
            var carried = Carried(entry, heap);
            if (carried == 0 || carried < bestCarried || !entry.TryRead(heap, _descriptors, out var value, out _))
            {
                continue;
            }

            if (carried > bestCarried)
            {
                best = entry;
                bestValue = value;
                bestCarried = carried;
                tie = null;
            }
            else
            {
                tie = entry;
            }
        }

        if (best is not null)
        {
            if (tie is not null)
            {
                throw Ambiguous(heap, best, tie);
            }

            record = new ReceivedRecord(bestValue!, heap.Cnt);
            return true;
        }

        UnmatchedHeaps++;
        record = default;
        return false;
    }

    // The number of the type's items that the heap has a value for, described under the type's name.
    private int Carried(Entry entry, ReceivedHeap heap)
    {
        var carried = 0;
        var declared = entry.Declared;
        for (var i = 0; i < declared.Count; i++)
        {
            var id = declared[i].Id;
            if (heap.TryGetItem(id, out _)
                && _descriptors.TryGetValue(id, out var received)
                && string.Equals(received.Name, declared[i].Name, StringComparison.Ordinal))
            {
                carried++;
            }
        }

        return carried;
    }

    private bool HasUndescribedValues(ReceivedHeap heap)
    {
        foreach (ref readonly var item in heap.ItemSpan)
        {
            if (item.Id > ItemIds.StreamCtrl && !_descriptors.ContainsId(item.Id) && IsRegistered(item.Id))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsRegistered(long id)
    {
        foreach (var entry in _entries)
        {
            var declared = entry.Declared;
            for (var i = 0; i < declared.Count; i++)
            {
                if (declared[i].Id == id)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool HasValues(ReceivedHeap heap)
    {
        foreach (ref readonly var item in heap.ItemSpan)
        {
            if (item.Id > ItemIds.StreamCtrl)
            {
                return true;
            }
        }

        return false;
    }

    private static InvalidDataException Ambiguous(ReceivedHeap heap, Entry a, Entry b)
    {
        // Name the two in a fixed order, so that the message does not depend on the order they were added in.
        var (first, second) = string.CompareOrdinal(a.RecordType.FullName, b.RecordType.FullName) <= 0 ? (a, b) : (b, a);
        return new InvalidDataException(
            $"Heap {heap.Cnt} carries the items of both {first.RecordType.Name} ({Describe(first.Declared)}) and " +
            $"{second.RecordType.Name} ({Describe(second.Declared)}), and neither has more items: it cannot be dispatched. " +
            "Give one of the types an item the other lacks.");
    }

    private static bool SameItems(IReadOnlyList<Descriptor> a, IReadOnlyList<Descriptor> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        foreach (var x in a)
        {
            var found = false;
            foreach (var y in b)
            {
                if (x.Id == y.Id && string.Equals(x.Name, y.Name, StringComparison.Ordinal))
                {
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    private static string Describe(IReadOnlyList<Descriptor> declared)
    {
        var parts = new string[declared.Count];
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = $"'{declared[i].Name}' 0x{declared[i].Id:X}";
        }

        return string.Join(", ", parts);
    }

    // One registered type; the generic subclass reaches T's static members without reflection.
    private abstract class Entry
    {
        public abstract Type RecordType { get; }

        public abstract IReadOnlyList<Descriptor> Declared { get; }

        public abstract bool TryRead(ReceivedHeap heap, ItemGroup descriptors, [NotNullWhen(true)] out object? value, [NotNullWhen(false)] out string? error);
    }

    private sealed class Entry<T>(SpeadLayout layout) : Entry
        where T : ISpeadHeap<T>
    {
        // Resolved once: its descriptors carry the concrete shapes the received ones must match.
        private readonly IReadOnlyList<Descriptor> _declared = layout.Descriptors;

        public override Type RecordType => typeof(T);

        public override IReadOnlyList<Descriptor> Declared => _declared;

        public override bool TryRead(ReceivedHeap heap, ItemGroup descriptors, [NotNullWhen(true)] out object? value, [NotNullWhen(false)] out string? error)
        {
            if (T.TryRead(heap, descriptors, layout, out var typed, out error))
            {
                value = typed;
                return true;
            }

            value = null;
            return false;
        }
    }
}
