using System.Globalization;

namespace Spead2.Protocol;

/// <summary>
/// Bugs of older SPEAD implementations that a flavour can reproduce for compatibility. These bits never
/// appear on the wire: sender and receiver must agree on them out of band.
/// </summary>
[Flags]
public enum BugCompat
{
    /// <summary>No compatibility quirks (spead2's default).</summary>
    None = 0,

    /// <summary>Descriptor format records are 4 bytes and shape records 8 bytes, whatever the address width.</summary>
    DescriptorWidths = 1,

    /// <summary>A variable shape dimension is flagged with <c>0x02</c> instead of <c>0x01</c>.</summary>
    ShapeBit1 = 2,

    /// <summary>The numpy header states the opposite byte order to the data it describes.</summary>
    SwapEndian = 4,

    /// <summary>All of the above: compatibility with PySPEAD 0.5.2.</summary>
    PySpead052 = DescriptorWidths | ShapeBit1 | SwapEndian,
}

/// <summary>
/// A SPEAD flavour: protocol version 4 with 64-bit item pointers, of which <see cref="HeapAddressBits"/> bits hold
/// an address or immediate value and the rest (less the mode bit) the item ID. The default, SPEAD-64-40, is spead2's.
/// </summary>
public sealed class Flavour : IEquatable<Flavour>
{
    /// <summary>The flavour spead2 uses by default: SPEAD-64-40 without bug compatibility.</summary>
    public static Flavour Default { get; } = new();

    /// <summary>Creates a flavour, validating it the way spead2 does.</summary>
    /// <param name="version">Protocol version; only 4 exists.</param>
    /// <param name="itemPointerBits">Bits per item pointer; spead2 supports only 64.</param>
    /// <param name="heapAddressBits">Bits of the address/immediate field: a multiple of 8 from 8 to 56.</param>
    /// <param name="bugCompat">Compatibility quirks (not carried on the wire).</param>
    public Flavour(int version = 4, int itemPointerBits = 64, int heapAddressBits = 40, BugCompat bugCompat = BugCompat.None)
    {
        if (version != 4)
            throw new ArgumentOutOfRangeException(nameof(version), version, "Only SPEAD version 4 is supported.");
        if (itemPointerBits != 64)
            throw new ArgumentOutOfRangeException(nameof(itemPointerBits), itemPointerBits, "Only 64-bit item pointers are supported.");
        if (heapAddressBits <= 0 || heapAddressBits >= 64)
            throw new ArgumentOutOfRangeException(nameof(heapAddressBits), heapAddressBits, "heapAddressBits must be between 8 and 56.");
        if (heapAddressBits % 8 != 0)
            throw new ArgumentOutOfRangeException(nameof(heapAddressBits), heapAddressBits, "heapAddressBits must be a multiple of 8.");
        if ((bugCompat & ~BugCompat.PySpead052) != 0)
            throw new ArgumentOutOfRangeException(nameof(bugCompat), bugCompat, "Unknown bug-compatibility bits.");
        Version = version;
        ItemPointerBits = itemPointerBits;
        HeapAddressBits = heapAddressBits;
        BugCompat = bugCompat;
    }

    /// <summary>Protocol version (always 4).</summary>
    public int Version { get; }

    /// <summary>Bits per item pointer (always 64).</summary>
    public int ItemPointerBits { get; }

    /// <summary>Bits of the address/immediate field (HAB).</summary>
    public int HeapAddressBits { get; }

    /// <summary>Compatibility quirks.</summary>
    public BugCompat BugCompat { get; }

    /// <summary>The largest value an immediate item can carry, in bytes (<c>HeapAddressBits / 8</c>).</summary>
    public int ImmediateBytes => HeapAddressBits / 8;

    /// <summary>Bits available for an item ID (the pointer less the mode bit and the address field).</summary>
    public int ItemIdBits => ItemPointerBits - 1 - HeapAddressBits;

    /// <summary>The largest item ID this flavour can carry.</summary>
    public long MaxItemId => (1L << ItemIdBits) - 1;

    /// <summary>The largest heap address, heap length, immediate value or heap cnt this flavour can carry.</summary>
    public long MaxHeapAddress => (long)((1UL << HeapAddressBits) - 1);

    /// <inheritdoc />
    public bool Equals(Flavour? other) =>
        other is not null && other.Version == Version && other.ItemPointerBits == ItemPointerBits
        && other.HeapAddressBits == HeapAddressBits && other.BugCompat == BugCompat;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Flavour);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Version, ItemPointerBits, HeapAddressBits, BugCompat);

    /// <summary>Flavours are equal when all four fields are.</summary>
    public static bool operator ==(Flavour? left, Flavour? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Flavours differ when any field does.</summary>
    public static bool operator !=(Flavour? left, Flavour? right) => !(left == right);

    /// <summary>The spead2-style name, e.g. <c>SPEAD-64-40</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"SPEAD-{ItemPointerBits}-{HeapAddressBits}{(BugCompat == BugCompat.None ? "" : $" (bug compat {BugCompat})")}");
}
