using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Spead2.Internal;

namespace Spead2.Protocol;

/// <summary>
/// Describes an item: its ID, name, description, shape and type. The type is either a numpy
/// <see cref="Dtype"/> (sent as a numpy header) or a legacy SPEAD <see cref="Format"/>, never both.
/// Validation follows spead2's rules; encoding (<see cref="ToRaw"/>) produces exactly the descriptor
/// sub-packet spead2 sends.
/// </summary>
public class Descriptor
{
    /// <summary>The shape value that marks a variable (unknown) dimension, Python's <c>None</c>.</summary>
    public const long VariableDimension = -1;

    private readonly long[] _shape;
    private readonly FormatField[]? _format;
    private EncodedCache? _encoded;

    /// <summary>Creates a descriptor, validating it as spead2 does.</summary>
    /// <param name="id">Item ID, greater than 0 (checked against the flavour's ID bits when encoded).</param>
    /// <param name="name">ASCII name.</param>
    /// <param name="description">ASCII description.</param>
    /// <param name="shape">Dimensions; <see cref="VariableDimension"/> marks at most one variable dimension (format only).</param>
    /// <param name="dtype">A numpy dtype such as <c>&lt;f4</c>, <c>&gt;u8</c>, <c>|u1</c> or <c>?</c>.</param>
    /// <param name="order">Memory order; <see cref="ArrayOrder.Fortran"/> needs a dtype.</param>
    /// <param name="format">A SPEAD format, e.g. <c>[('u', 8), ('f', 32)]</c>.</param>
    /// <exception cref="ArgumentException">The combination is one spead2 rejects.</exception>
    public Descriptor(long id, string name, string description, IReadOnlyList<long> shape,
        string? dtype = null, ArrayOrder order = ArrayOrder.C, IReadOnlyList<FormatField>? format = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(shape);
        if (id <= 0)
            throw new ArgumentOutOfRangeException(nameof(id), id, "Item ID must be greater than 0.");
        CheckAscii(name, nameof(name));
        CheckAscii(description, nameof(description));
        if (dtype is not null && format is not null)
            throw new ArgumentException("Only one of dtype and format can be specified.", nameof(format));
        if (dtype is null && format is null)
            throw new ArgumentException("One of dtype and format must be specified.", nameof(dtype));
        if (order is not (ArrayOrder.C or ArrayOrder.Fortran))
            throw new ArgumentOutOfRangeException(nameof(order), order, "Order must be C or Fortran.");
        if (order == ArrayOrder.Fortran && format is not null)
            throw new ArgumentException("Fortran order is only allowed with a dtype, not with a format.", nameof(order));

        _shape = new long[shape.Count];
        int variable = 0;
        for (int i = 0; i < _shape.Length; i++)
        {
            long d = shape[i];
            if (d == VariableDimension)
                variable++;
            else if (d < 0)
                throw new ArgumentOutOfRangeException(nameof(shape), d, $"Shape dimension {i} is negative; use Descriptor.VariableDimension (-1) for a variable dimension.");
            _shape[i] = d;
        }
        if (variable > 1)
            throw new ArgumentException("At most one dimension of a shape may be variable.", nameof(shape));

        if (dtype is not null)
        {
            NumpyType = DType.Parse(dtype);
            if (variable > 0)
                throw new ArgumentException("A variable dimension is not allowed with a dtype; use a format.", nameof(shape));
        }
        else
        {
            if (format!.Count == 0)
                throw new ArgumentException("The format must have at least one field.", nameof(format));
            _format = new FormatField[format.Count];
            for (int i = 0; i < _format.Length; i++)
            {
                format[i].Validate(nameof(format));
                _format[i] = format[i];
            }
        }
        Id = id;
        Name = name;
        Description = description;
        Order = order;
    }

    /// <summary>Copies another descriptor.</summary>
    protected Descriptor(Descriptor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Id = other.Id;
        Name = other.Name;
        Description = other.Description;
        _shape = other._shape;
        NumpyType = other.NumpyType;
        Order = other.Order;
        _format = other._format;
    }

    /// <summary>The item ID.</summary>
    public long Id { get; }

    /// <summary>The item name.</summary>
    public string Name { get; }

    /// <summary>The item description.</summary>
    public string Description { get; }

    /// <summary>The dimensions; <see cref="VariableDimension"/> marks a variable one.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>The numpy dtype as numpy's <c>dtype.str</c> writes it, or null for a format-described item.</summary>
    public string? Dtype => NumpyType?.Descr;

    /// <summary>The parsed numpy dtype, or null for a format-described item.</summary>
    public DType? NumpyType { get; }

    /// <summary>The memory order of multi-dimensional values.</summary>
    public ArrayOrder Order { get; }

    /// <summary>The legacy SPEAD format, or null for a dtype-described item.</summary>
    public IReadOnlyList<FormatField>? Format => _format;

    /// <summary>Whether one dimension is variable.</summary>
    public bool IsVariableSize => Array.IndexOf(_shape, VariableDimension) >= 0;

    /// <summary>
    /// Whether spead2 would let a small value of this item travel as an immediate: the shape is fixed and the
    /// element size is a whole number of bytes (always true for a dtype).
    /// </summary>
    public bool AllowImmediate
    {
        get
        {
            if (IsVariableSize)
                return false;
            if (_format is null)
                return true;
            long bits = 0;
            foreach (var f in _format)
                bits += f.Bits;
            return bits % 8 == 0;
        }
    }

    internal long[] ShapeArray => _shape;

    internal FormatField[]? FormatArray => _format;

    /// <summary>
    /// The numpy header spead2 sends for a dtype, order and shape: Python's repr of
    /// <c>{'descr': ..., 'fortran_order': ..., 'shape': ...}</c>, e.g.
    /// <c>{'descr': '&lt;u2', 'fortran_order': False, 'shape': (2, 3)}</c>.
    /// </summary>
    public static string MakeNumpyHeader(string dtype, ArrayOrder order, IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var sb = new StringBuilder(64);
        sb.Append("{'descr': '").Append(DType.Parse(dtype).Descr).Append("', 'fortran_order': ")
          .Append(order == ArrayOrder.Fortran ? "True" : "False").Append(", 'shape': (");
        for (int i = 0; i < shape.Count; i++)
        {
            if (shape[i] < 0)
                throw new ArgumentOutOfRangeException(nameof(shape), shape[i], "A numpy shape cannot have a variable dimension.");
            if (i > 0)
                sb.Append(", ");
            sb.Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }
        if (shape.Count == 1)
            sb.Append(',');
        return sb.Append(")}").ToString();
    }

    /// <summary>The numpy header this descriptor sends under <paramref name="bugCompat"/>, or null for a format.</summary>
    public string? GetNumpyHeader(BugCompat bugCompat = BugCompat.None)
    {
        if (NumpyType is not { } t)
            return null;
        if ((bugCompat & BugCompat.SwapEndian) != 0)
            t = t.SwapByteOrder();
        return MakeNumpyHeader(t.Descr, Order, _shape);
    }

    /// <summary>
    /// Encodes the descriptor as spead2 does: one complete SPEAD packet of <paramref name="flavour"/> with HEAP_CNT 1,
    /// pointers ID, NAME, DESCRIPTION, FORMAT, SHAPE and (for a dtype) DTYPE, and their bytes as payload.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The ID, a shape dimension or the size does not fit the flavour.</exception>
    public byte[] ToRaw(Flavour flavour) => (byte[])GetEncoded(flavour).Clone();

    /// <summary>The encoded form for <paramref name="flavour"/>, cached so that steady-state heaps allocate nothing.</summary>
    internal byte[] GetEncoded(Flavour flavour)
    {
        ArgumentNullException.ThrowIfNull(flavour);
        var cache = Volatile.Read(ref _encoded);
        if (cache is not null && cache.Flavour.Equals(flavour))
            return cache.Bytes;
        var bytes = Encode(flavour);
        Volatile.Write(ref _encoded, new EncodedCache(flavour, bytes));
        return bytes;
    }

    private byte[] Encode(Flavour flavour)
    {
        int immBytes = flavour.ImmediateBytes;
        int hab = flavour.HeapAddressBits;
        // The ID must fit an item ID, and also the immediate DESCRIPTOR_ID pointer that carries it (HAB bits),
        // which is the tighter limit in flavours below 64-32 (spead2 checks only the former).
        long maxId = Math.Min(flavour.MaxItemId, flavour.MaxHeapAddress);
        if (Id > maxId)
            throw new ArgumentOutOfRangeException(nameof(Id), Id, $"Item ID out of range for {flavour}: the largest a descriptor can carry is 0x{maxId:X}.");
        bool fixedWidths = (flavour.BugCompat & BugCompat.DescriptorWidths) != 0;
        int formatRecord = fixedWidths ? 4 : 9 - immBytes;
        int shapeRecord = fixedWidths ? 8 : 1 + immBytes;
        byte variableFlag = (flavour.BugCompat & BugCompat.ShapeBit1) != 0 ? (byte)2 : (byte)1;

        string? header = GetNumpyHeader(flavour.BugCompat);
        int formatLength = (_format?.Length ?? 0) * formatRecord;
        int shapeLength = _shape.Length * shapeRecord;
        int headerLength = header?.Length ?? 0;
        long payload = (long)Name.Length + Description.Length + formatLength + shapeLength + headerLength;
        int pointers = header is null ? 9 : 10;
        long total = 8 + 8L * pointers + payload;
        if (payload > flavour.MaxHeapAddress || total > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(Description), payload, $"The descriptor of item 0x{Id:X} is too large for {flavour}.");

        var buf = new byte[total];
        var span = buf.AsSpan();
        Wire.WriteHeader(span, immBytes, pointers);
        int p = 8;
        Wire.WriteImmediate(span[p..], hab, ItemIds.HeapCnt, 1); p += 8;
        Wire.WriteImmediate(span[p..], hab, ItemIds.HeapLength, (ulong)payload); p += 8;
        Wire.WriteImmediate(span[p..], hab, ItemIds.PayloadOffset, 0); p += 8;
        Wire.WriteImmediate(span[p..], hab, ItemIds.PayloadLength, (ulong)payload); p += 8;
        Wire.WriteImmediate(span[p..], hab, ItemIds.DescriptorId, (ulong)Id); p += 8;
        long addr = 0;
        Wire.WriteAddressed(span[p..], hab, ItemIds.DescriptorName, addr); p += 8; addr += Name.Length;
        Wire.WriteAddressed(span[p..], hab, ItemIds.DescriptorDescription, addr); p += 8; addr += Description.Length;
        // spead2 puts FORMAT before SHAPE, in the pointers and the payload, although its ID is higher.
        Wire.WriteAddressed(span[p..], hab, ItemIds.DescriptorFormat, addr); p += 8; addr += formatLength;
        Wire.WriteAddressed(span[p..], hab, ItemIds.DescriptorShape, addr); p += 8; addr += shapeLength;
        if (header is not null)
        {
            Wire.WriteAddressed(span[p..], hab, ItemIds.DescriptorDtype, addr);
            p += 8;
        }

        p += Encoding.ASCII.GetBytes(Name, span[p..]);
        p += Encoding.ASCII.GetBytes(Description, span[p..]);
        if (_format is not null)
        {
            int widthBytes = formatRecord - 1;
            foreach (var f in _format)
            {
                span[p] = (byte)f.Code;
                Wire.WriteBigEndian(span.Slice(p + 1, widthBytes), (ulong)f.Bits);
                p += formatRecord;
            }
        }
        int sizeBytes = shapeRecord - 1;
        ulong maxSize = sizeBytes >= 8 ? ulong.MaxValue : (1UL << (8 * sizeBytes)) - 1;
        for (int i = 0; i < _shape.Length; i++)
        {
            long d = _shape[i];
            if (d == VariableDimension)
            {
                span[p] = variableFlag;
                span.Slice(p + 1, sizeBytes).Clear();
            }
            else
            {
                if ((ulong)d > maxSize)
                    throw new ArgumentOutOfRangeException(nameof(Shape), d, $"Shape dimension {i} does not fit the {sizeBytes}-byte field of {flavour}.");
                span[p] = 0;
                Wire.WriteBigEndian(span.Slice(p + 1, sizeBytes), (ulong)d);
            }
            p += shapeRecord;
        }
        if (header is not null)
            p += Encoding.ASCII.GetBytes(header, span[p..]);
        System.Diagnostics.Debug.Assert(p == buf.Length);
        return buf;
    }

    private static void CheckAscii(string s, string paramName)
    {
        if (!Ascii.IsValid(s))
            throw new ArgumentException($"'{s}' is not ASCII; SPEAD names and descriptions must be ASCII.", paramName);
    }

    /// <summary>A short text for debugging.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"Descriptor(0x{Id:X}, '{Name}', shape ({string.Join(", ", _shape)}), {Dtype ?? (_format is null ? "" : string.Join(", ", _format))})");

    private sealed record EncodedCache(Flavour Flavour, byte[] Bytes);
}
