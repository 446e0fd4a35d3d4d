namespace Spead2.Protocol;

/// <summary>
/// A descriptor with a value. Every assignment of <see cref="Value"/> increments <see cref="Version"/>, which is how a
/// <see cref="Send.HeapGenerator"/> knows the value is stale. Changing an array in place is not noticed (as in spead2).
/// </summary>
public sealed class Item : Descriptor
{
    private object? _value;

    /// <summary>Creates an item; see <see cref="Descriptor(long, string, string, IReadOnlyList{long}, string?, ArrayOrder, IReadOnlyList{FormatField}?)"/>.</summary>
    /// <param name="id">Item ID.</param>
    /// <param name="name">ASCII name.</param>
    /// <param name="description">ASCII description.</param>
    /// <param name="shape">Dimensions (-1 for one variable dimension, format only).</param>
    /// <param name="dtype">numpy dtype, or null with a format.</param>
    /// <param name="order">Memory order.</param>
    /// <param name="format">SPEAD format, or null with a dtype.</param>
    /// <param name="value">Initial value, or null for none yet.</param>
    public Item(long id, string name, string description, IReadOnlyList<long> shape,
        string? dtype = null, ArrayOrder order = ArrayOrder.C, IReadOnlyList<FormatField>? format = null, object? value = null)
        : base(id, name, description, shape, dtype, order, format)
    {
        if (value is not null)
            Validate(value);
        _value = value;
        Version = 1;
    }

    /// <summary>Creates an item with the description of <paramref name="descriptor"/>.</summary>
    public Item(Descriptor descriptor, object? value = null)
        : base(descriptor)
    {
        if (value is not null)
            Validate(value);
        _value = value;
        Version = 1;
    }

    /// <summary>
    /// The value: a scalar, an array (any rank; multi-dimensional arrays are read in row-major order and must match
    /// the shape), a string for character items, or tuples for multi-field formats. Null means "no value yet";
    /// assigning null is refused, as in spead2.
    /// </summary>
    /// <exception cref="ArgumentNullException">Assigning null.</exception>
    /// <exception cref="ArgumentException">The value does not fit the item's shape or type.</exception>
    public object? Value
    {
        get => _value;
        set
        {
            if (value is null)
                throw new ArgumentNullException(nameof(value), "An item value cannot be set to null.");
            Validate(value);
            _value = value;
            Version++;
        }
    }

    /// <summary>
    /// Starts at 1 and increases by one with every assignment of <see cref="Value"/>; an item that replaces another in an
    /// <see cref="ItemGroup"/> gets a version above the replaced one's.
    /// </summary>
    public long Version { get; internal set; }

    /// <summary>The bytes spead2 would send for the current value.</summary>
    /// <exception cref="InvalidOperationException">The item has no value.</exception>
    public byte[] ToBuffer() =>
        _value is null
            ? throw new InvalidOperationException($"Item '{Name}' has no value.")
            : ItemValueEncoder.Encode(this, _value);

    // Encoding checks the shape, the element types and the ranges, so a bad value fails where it is set.
    private void Validate(object value) => ItemValueEncoder.Encode(this, value);
}
