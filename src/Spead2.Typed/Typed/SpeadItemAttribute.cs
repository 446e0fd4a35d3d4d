using Spead2.Protocol;

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
    /// Dimensions of an array, <c>Memory</c> or string item. <see cref="SpeadDimension.Variable"/> (-1) marks the
    /// (single) variable dimension, sent on spead2's format path; <see cref="SpeadDimension.RunTime"/> marks a
    /// dimension fixed for a stream but given at run time (<see cref="SpeadShapes"/>). Arrays default to one
    /// variable dimension, strings too; a rectangular array (<c>T[,]</c>) needs a shape of its rank.
    /// </summary>
    public int[]? Shape { get; set; }

    /// <summary>
    /// Width in bits: of an integer or enum scalar, narrower than its type (e.g. 48 for 48-bit timestamps); or, from
    /// 1 to 7, of each element of a <c>byte</c>/<c>sbyte</c> array, which then travels packed MSB first as format
    /// <c>[('u'|'i', Bits)]</c> (e.g. 4 for two signed 4-bit samples per byte), as spead2 packs it.
    /// </summary>
    public int Bits { get; set; }

    /// <summary>
    /// Byte order of a dtype item's multi-byte elements on the wire (e.g. <see cref="SpeadByteOrder.LittleEndian"/>
    /// for katgpucbf's <c>&lt;i4</c>); <see cref="SpeadByteOrder.Native"/> by default. Not for items on the format
    /// path (a variable dimension, or <see cref="Bits"/>), which are big-endian by definition.
    /// </summary>
    public SpeadByteOrder ByteOrder { get; set; }

    /// <summary>
    /// Memory order of a multi-dimensional dtype item; <see cref="ArrayOrder.C"/> by default. A Fortran-order item
    /// of more than one dimension must be a rectangular array member (<c>T[,]</c>, indexed like numpy), which is
    /// transposed on the way out and in.
    /// </summary>
    public ArrayOrder Order { get; set; }
}
