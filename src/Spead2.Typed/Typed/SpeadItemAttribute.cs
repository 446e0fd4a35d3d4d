namespace Spead2.Typed;

/// <summary>
/// Marks a positional parameter or property of a <c>partial record</c> (class or struct) as a SPEAD item.
/// The Spead2.Typed source generator then makes the record implement <see cref="ISpeadHeap{TSelf}"/>:
/// a descriptor per item and an allocation-free method that adds a value's items to a heap.
/// </summary>
/// <remarks>
/// Supported member types: <see cref="bool"/>, the eight integer types and enums of them, <see cref="float"/>,
/// <see cref="double"/>, <see cref="System.Half"/>, <see cref="System.Numerics.Complex"/>, <see cref="string"/>
/// (ASCII), and arrays, <see cref="System.Memory{T}"/> or <see cref="System.ReadOnlyMemory{T}"/> of the
/// non-string types. The analyzers (SPEAD0001…) report anything else at compile time.
/// </remarks>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class SpeadItemAttribute : Attribute
{
    /// <summary>Marks the member as the item with the given SPEAD ID.</summary>
    /// <param name="id">Item ID; spead2's automatic IDs start at 0x1000, and 0x00–0x06 and 0x10–0x15 are reserved by the protocol.</param>
    public SpeadItemAttribute(long id) => Id = id;

    /// <summary>The SPEAD item ID.</summary>
    public long Id { get; }

    /// <summary>Item name sent in the descriptor (ASCII); defaults to the member name in snake_case.</summary>
    public string? Name { get; set; }

    /// <summary>Item description sent in the descriptor (ASCII); defaults to empty.</summary>
    public string? Description { get; set; }

    /// <summary>
    /// Dimensions of an array, <c>Memory</c> or string item; -1 marks the (single) variable dimension.
    /// Required for arrays of multi-byte elements; one-byte element arrays and strings default to one variable dimension.
    /// </summary>
    public int[]? Shape { get; set; }

    /// <summary>Width in bits of an integer or enum scalar, narrower than its type (e.g. 48 for 48-bit timestamps).</summary>
    public int Bits { get; set; }
}
