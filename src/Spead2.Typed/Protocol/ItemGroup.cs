using System.Diagnostics.CodeAnalysis;

namespace Spead2.Protocol;

/// <summary>
/// Items looked up by ID and by name, iterated in insertion order, with spead2's replacement rules: adding an item
/// whose descriptor equals an existing one just transfers the value; otherwise it replaces the items that share its
/// ID or its name.
/// </summary>
public class ItemGroup : IReadOnlyCollection<Item>
{
    private readonly Dictionary<long, Item> _byId = [];
    // spead2 iterates its name map in insertion order; a replaced item is removed and the new one appended.
    private readonly OrderedDictionary<string, Item> _byName = new(StringComparer.Ordinal);

    /// <summary>Number of items.</summary>
    public int Count => _byName.Count;

    /// <summary>The item called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such item.</exception>
    public Item this[string name] => _byName.TryGetValue(name, out var item) ? item : throw new KeyNotFoundException($"No item is named '{name}'.");

    /// <summary>The item with ID <paramref name="id"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such item.</exception>
    public Item this[long id] => _byId.TryGetValue(id, out var item) ? item : throw new KeyNotFoundException($"No item has ID 0x{id:X}.");

    /// <summary>Item IDs.</summary>
    public IEnumerable<long> Ids => _byId.Keys;

    /// <summary>Item names, in iteration order.</summary>
    public IEnumerable<string> Names => _byName.Keys;

    /// <summary>Looks an item up by ID.</summary>
    public bool TryGetValue(long id, [MaybeNullWhen(false)] out Item item) => _byId.TryGetValue(id, out item);

    /// <summary>Looks an item up by name.</summary>
    public bool TryGetValue(string name, [MaybeNullWhen(false)] out Item item) => _byName.TryGetValue(name, out item);

    /// <summary>Whether an item has this ID.</summary>
    public bool ContainsId(long id) => _byId.ContainsKey(id);

    /// <summary>Whether an item has this name.</summary>
    public bool ContainsName(string name) => _byName.ContainsKey(name);

    /// <summary>
    /// Creates and adds an item. With <paramref name="id"/> null, the first free ID from 0x1000 up is used.
    /// Returns the item now in the group (an existing one when only its value was transferred).
    /// </summary>
    public Item AddItem(long? id, string name, string description, IReadOnlyList<long> shape,
        string? dtype = null, ArrayOrder order = ArrayOrder.C, IReadOnlyList<FormatField>? format = null, object? value = null)
    {
        long chosen = id ?? NextFreeId();
        return Add(new Item(chosen, name, description, shape, dtype, order, format, value));
    }

    /// <summary>Adds an existing item under spead2's replacement rules and returns the item now in the group.</summary>
    public Item Add(Item item)
    {
        ArgumentNullException.ThrowIfNull(item);
        _byId.TryGetValue(item.Id, out var old);
        _byName.TryGetValue(item.Name, out var oldByName);
        if (old is not null && SameDescription(old, item))
        {
            if (item.Value is not null)
                old.Value = item.Value;
            return old;
        }
        // As spead2: the replacement's version is above both replaced items' versions, so that a consumer who only
        // checks versions (by name or by ID) sees the change; then both replaced items go entirely.
        long version = item.Version;
        if (old is not null)
            version = Math.Max(version, old.Version + 1);
        if (oldByName is not null)
            version = Math.Max(version, oldByName.Version + 1);
        item.Version = version;
        if (old is not null)
            RemoveItem(old);
        if (oldByName is not null && !ReferenceEquals(oldByName, old))
            RemoveItem(oldByName);
        _byId[item.Id] = item;
        _byName[item.Name] = item;
        return item;
    }

    private void RemoveItem(Item item)
    {
        _byId.Remove(item.Id);
        _byName.Remove(item.Name);
    }

    /// <summary>Removes the item with this ID; returns whether there was one.</summary>
    public bool Remove(long id)
    {
        if (!_byId.Remove(id, out var item))
            return false;
        _byName.Remove(item.Name);
        return true;
    }

    /// <summary>Enumerates the items in insertion order (spead2's order for heaps).</summary>
    public IEnumerator<Item> GetEnumerator() => _byName.Values.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    internal static bool SameDescription(Descriptor a, Descriptor b) =>
        a.Id == b.Id && a.Name == b.Name && a.Description == b.Description && a.Order == b.Order
        && a.ShapeArray.AsSpan().SequenceEqual(b.ShapeArray) && a.NumpyType == b.NumpyType
        && (a.FormatArray is null ? b.FormatArray is null : b.FormatArray is not null && a.FormatArray.AsSpan().SequenceEqual(b.FormatArray));

    private long NextFreeId()
    {
        long id = ItemIds.FirstUnreserved;
        while (_byId.ContainsKey(id))
            id++;
        return id;
    }
}
