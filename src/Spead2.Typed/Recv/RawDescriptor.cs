using System.Globalization;
using System.Text;
using Spead2.Protocol;

namespace Spead2.Recv;

/// <summary>
/// A descriptor as it arrived (spead2's raw descriptor): the fields of the nested descriptor
/// packet, not yet validated. <see cref="ToDescriptor"/> turns it into a <see cref="Descriptor"/>.
/// </summary>
public sealed class RawDescriptor
{
    internal RawDescriptor(long id, byte[] name, byte[] description, long[] shape, (char Code, long Bits)[] format, byte[] numpyHeader)
    {
        Id = id;
        NameBytes = name;
        DescriptionBytes = description;
        Shape = shape;
        RawFormat = format;
        NumpyHeaderBytes = numpyHeader;
    }

    /// <summary>The described item's ID (from the immediate DESCRIPTOR_ID pointer).</summary>
    public long Id { get; }

    /// <summary>The name bytes (ASCII when well-formed).</summary>
    public ReadOnlyMemory<byte> NameBytes { get; }

    /// <summary>The description bytes (ASCII when well-formed).</summary>
    public ReadOnlyMemory<byte> DescriptionBytes { get; }

    /// <summary>The name, each byte taken as one character.</summary>
    public string Name => Encoding.Latin1.GetString(NameBytes.Span);

    /// <summary>The description, each byte taken as one character.</summary>
    public string Description => Encoding.Latin1.GetString(DescriptionBytes.Span);

    /// <summary>
    /// Shape records (empty when a numpy header is present, which overrides them);
    /// <see cref="Descriptor.VariableDimension"/> marks a variable dimension.
    /// </summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Format records as (code, bits), unchecked (empty when a numpy header is present).</summary>
    public IReadOnlyList<(char Code, long Bits)> RawFormat { get; }

    /// <summary>The numpy header bytes, empty if none.</summary>
    public ReadOnlyMemory<byte> NumpyHeaderBytes { get; }

    /// <summary>The numpy header text, or null if none.</summary>
    public string? NumpyHeader => NumpyHeaderBytes.IsEmpty ? null : Encoding.Latin1.GetString(NumpyHeaderBytes.Span);

    /// <summary>
    /// Validates and converts, as spead2's Python <c>Descriptor.from_raw</c> does: a numpy header
    /// gives the dtype, order and shape (the dtype's byte order swapped under
    /// <see cref="BugCompat.SwapEndian"/>); otherwise format and shape are used, in C order.
    /// </summary>
    /// <param name="bugCompat">The receiver's bug-compat bits.</param>
    /// <returns>The descriptor.</returns>
    /// <exception cref="InvalidDataException">The fields are not a descriptor spead2 would accept.</exception>
    public Descriptor ToDescriptor(BugCompat bugCompat = BugCompat.None)
    {
        try
        {
            if (!Ascii.IsValid(NameBytes.Span) || !Ascii.IsValid(DescriptionBytes.Span))
                throw new InvalidDataException($"Descriptor of item 0x{Id:X}: the name or description is not ASCII.");
            if (NumpyHeader is { } header)
            {
                var parsed = NumpyHeaderParser.Parse(header);
                var dtype = parsed.Dtype;
                if ((bugCompat & BugCompat.SwapEndian) != 0)
                    dtype = dtype.SwapByteOrder();
                return new Descriptor(Id, Name, Description, parsed.Shape, dtype.Descr, parsed.Order);
            }
            var format = new FormatField[RawFormat.Count];
            for (int i = 0; i < format.Length; i++)
            {
                var (code, bits) = RawFormat[i];
                if (bits is <= 0 or > int.MaxValue)
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                        $"Descriptor of item 0x{Id:X}: format field {i} has {bits} bits{(bits == 0 ? " (bug-compat mismatch?)" : "")}."));
                }

                format[i] = new FormatField(code, (int)bits);
            }
            return new Descriptor(Id, Name, Description, Shape, format: format);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Descriptor of item 0x{Id:X} is invalid: {e.Message}", e);
        }
    }

    /// <summary>A short text for debugging.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"RawDescriptor(0x{Id:X}, '{Name}', shape ({string.Join(", ", Shape)}), {NumpyHeader ?? string.Join(", ", RawFormat)})");
}
