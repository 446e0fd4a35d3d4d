using System.Collections.ObjectModel;
using System.ComponentModel;
using System.Globalization;
using System.Text;
using Spead2.Protocol;

namespace Spead2.Typed;

/// <summary>
/// How one member of a record travels: its item ID, name, shape and encoding. Built by generated code; a layout
/// whose shape has <see cref="SpeadDimension.RunTime"/> dimensions is <em>unresolved</em> (no descriptor) until
/// <see cref="SpeadLayout.WithShapes"/> gives them.
/// </summary>
public sealed class SpeadItemLayout
{
    private readonly long[] _shape;

    private SpeadItemLayout(long id, string name, string description, string memberName, long[] shape,
        bool isFormat, char code, int bits, SpeadByteOrder byteOrder, ArrayOrder order)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(memberName);
        ArgumentNullException.ThrowIfNull(shape);
        Id = id;
        Name = name;
        Description = description;
        MemberName = memberName;
        _shape = (long[])shape.Clone();
        IsFormat = isFormat;
        Code = code;
        Bits = bits;
        ByteOrder = byteOrder;
        Order = order;
        long elements = 1;
        foreach (long d in _shape)
        {
            if (d == SpeadDimension.RunTime)
                HasRunTimeDimensions = true;
            else if (d == Descriptor.VariableDimension)
                HasVariableDimension = true;
            else
                elements = checked(elements * d);
        }
        Elements = elements;
        ElementBits = isFormat ? bits : bits * 8;
        // Format fields are big-endian; a dtype is in its stated order. Swapping applies to whole multi-byte elements.
        bool bigEndianOnWire = isFormat || byteOrder == SpeadByteOrder.BigEndian
            || (byteOrder == SpeadByteOrder.Native && !BitConverter.IsLittleEndian);
        SwapBytes = ElementBits > 8 && ElementBits % 8 == 0 && bigEndianOnWire == BitConverter.IsLittleEndian;
        if (!HasRunTimeDimensions)
        {
            Descriptor = isFormat
                ? new Descriptor(id, name, description, _shape, format: [new FormatField(code, bits)])
                : new Descriptor(id, name, description, _shape, dtype: DtypeText(code, bits, byteOrder), order: order);
        }
    }

    /// <summary>An item on spead2's format path with the single field <c>(code, bits)</c> (big-endian, MSB first).</summary>
    /// <param name="id">Item ID.</param>
    /// <param name="name">Item name.</param>
    /// <param name="description">Item description.</param>
    /// <param name="memberName">The record member, for messages.</param>
    /// <param name="shape">Declared shape: -1 for the variable dimension, <see cref="SpeadDimension.RunTime"/> for one given at run time.</param>
    /// <param name="code">Format code: <c>u</c>, <c>i</c>, <c>f</c>, <c>b</c> or <c>c</c>.</param>
    /// <param name="bits">Field width in bits.</param>
    /// <returns>The item layout.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static SpeadItemLayout Format(long id, string name, string description, string memberName, long[] shape, char code, int bits) =>
        new(id, name, description, memberName, shape, isFormat: true, code, bits, SpeadByteOrder.Native, ArrayOrder.C);

    /// <summary>An item on the numpy dtype path.</summary>
    /// <param name="id">Item ID.</param>
    /// <param name="name">Item name.</param>
    /// <param name="description">Item description.</param>
    /// <param name="memberName">The record member, for messages.</param>
    /// <param name="shape">Declared shape: <see cref="SpeadDimension.RunTime"/> for a dimension given at run time.</param>
    /// <param name="kind">numpy kind letter: <c>u</c>, <c>i</c>, <c>f</c>, <c>b</c> or <c>c</c>.</param>
    /// <param name="size">Element size in bytes.</param>
    /// <param name="byteOrder">Byte order of the elements on the wire.</param>
    /// <param name="order">Memory order of multi-dimensional values.</param>
    /// <returns>The item layout.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static SpeadItemLayout Dtype(long id, string name, string description, string memberName, long[] shape, char kind, int size,
        SpeadByteOrder byteOrder = SpeadByteOrder.Native, ArrayOrder order = ArrayOrder.C) =>
        new(id, name, description, memberName, shape, isFormat: false, kind, size, byteOrder, order);

    /// <summary>The item ID.</summary>
    public long Id { get; }

    /// <summary>The item name.</summary>
    public string Name { get; }

    /// <summary>The item description.</summary>
    public string Description { get; }

    /// <summary>The record member that holds the value.</summary>
    public string MemberName { get; }

    /// <summary>The shape: -1 for the variable dimension, <see cref="SpeadDimension.RunTime"/> while unresolved.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>Whether some dimension still waits for its run-time value (then <see cref="Descriptor"/> is null).</summary>
    public bool HasRunTimeDimensions { get; }

    /// <summary>Whether one dimension is variable.</summary>
    public bool HasVariableDimension { get; }

    /// <summary>The descriptor sent for the item, or null while <see cref="HasRunTimeDimensions"/>.</summary>
    public Descriptor? Descriptor { get; }

    /// <summary>The byte order of a dtype item.</summary>
    public SpeadByteOrder ByteOrder { get; }

    /// <summary>The memory order of a multi-dimensional dtype item.</summary>
    public ArrayOrder Order { get; }

    internal bool IsFormat { get; }

    internal char Code { get; }

    /// <summary>Format width in bits, or dtype size in bytes.</summary>
    internal int Bits { get; }

    /// <summary>Bits of one element on the wire.</summary>
    internal int ElementBits { get; }

    /// <summary>Product of the non-variable dimensions (the element count when none is variable).</summary>
    internal long Elements { get; }

    /// <summary>Whether a value's elements are stored in the opposite byte order on the wire.</summary>
    internal bool SwapBytes { get; }

    internal long[] ShapeArray => _shape;

    /// <summary>Elements narrower than a byte, packed MSB first like spead2's bit writer.</summary>
    internal bool IsPacked => IsFormat && Bits < 8;

    /// <summary>A Fortran-order item of more than one dimension: a flat value's order would be ambiguous.</summary>
    internal bool NeedsTransposition => Order == ArrayOrder.Fortran && _shape.Length > 1;

    internal SpeadItemLayout Resolve(string typeName, long[] given)
    {
        var subject = typeName + "." + MemberName;
        if (given.Length != _shape.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{subject}: the shape {ShapeText(given)} given for it has {given.Length} dimensions, but the declared shape {ShapeText(_shape)} has {_shape.Length}."), "shapes");
        }

        long bytes = 1;
        for (int i = 0; i < given.Length; i++)
        {
            long declared = _shape[i];
            long value = given[i];
            bool ok = declared == SpeadDimension.RunTime ? value >= 0 : value == declared;
            if (!ok)
            {
                var expected = declared == SpeadDimension.RunTime ? "a size of at least 0"
                    : declared == Descriptor.VariableDimension ? "-1 (variable, as declared)" : declared.ToString(CultureInfo.InvariantCulture) + " (as declared)";
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{subject}: dimension {i} of the shape {ShapeText(given)} given for it is {value}, but must be {expected}; the declared shape is {ShapeText(_shape)}."), "shapes");
            }
            if (value > 0)
            {
                // Keep byte counts representable; spead2 cannot address more than 2^56 bytes anyway.
                if (bytes > (1L << 56) / value)
                    throw new ArgumentException($"{subject}: the shape {ShapeText(given)} given for it is too large.", "shapes");
                bytes *= value;
            }
        }
        return new SpeadItemLayout(Id, Name, Description, MemberName, given, IsFormat, Code, Bits, ByteOrder, Order);
    }

    /// <summary>numpy-style shape text; <c>?</c> for a dimension set at run time, <c>None</c> for the variable one.</summary>
    internal static string ShapeText(IReadOnlyList<long> shape)
    {
        var sb = new StringBuilder("(");
        for (int i = 0; i < shape.Count; i++)
        {
            if (i > 0)
                sb.Append(", ");
            sb.Append(shape[i] switch
            {
                SpeadDimension.RunTime => "?",
                Descriptor.VariableDimension => "None",
                var d => d.ToString(CultureInfo.InvariantCulture),
            });
        }
        return sb.Append(shape.Count == 1 ? ",)" : ")").ToString();
    }

    private static string DtypeText(char kind, int size, SpeadByteOrder byteOrder)
    {
        var order = size == 1 || kind == 'b' ? '|' : byteOrder switch
        {
            SpeadByteOrder.LittleEndian => '<',
            SpeadByteOrder.BigEndian => '>',
            _ => BitConverter.IsLittleEndian ? '<' : '>',
        };
        return string.Create(CultureInfo.InvariantCulture, $"{order}{kind}{size}");
    }
}

/// <summary>
/// The items of a record type, in send order, with their shapes. <c>T.Layout</c> (generated) is the declared
/// layout; when it has <see cref="SpeadDimension.RunTime"/> dimensions, <see cref="WithShapes"/> resolves it with
/// the stream's shapes. <see cref="HeapWriter{T}"/> and <see cref="HeapReader{T}"/> do this at construction, so
/// a dimension left unset fails there, naming the member.
/// </summary>
public sealed class SpeadLayout
{
    private readonly SpeadItemLayout[] _items;
    private readonly string[] _members;
    private readonly ReadOnlyCollection<Descriptor>? _descriptors;

    private SpeadLayout(string typeName, SpeadItemLayout[] items, SpeadLayout? declared)
    {
        TypeName = typeName;
        Declared = declared ?? this;
        _items = items;
        _members = new string[items.Length];
        var descriptors = new Descriptor[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            _members[i] = items[i].MemberName;
            if (items[i].Descriptor is { } d)
                descriptors[i] = d;
            else
                HasRunTimeDimensions = true;
        }
        if (!HasRunTimeDimensions)
            _descriptors = new ReadOnlyCollection<Descriptor>(descriptors);
        Items = new ReadOnlyCollection<SpeadItemLayout>(items);
    }

    /// <summary>Creates the declared layout of a record type (called by generated code).</summary>
    /// <param name="typeName">The record's name, for messages.</param>
    /// <param name="items">The items in send order.</param>
    /// <returns>The layout.</returns>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static SpeadLayout Create(string typeName, params SpeadItemLayout[] items)
    {
        ArgumentNullException.ThrowIfNull(typeName);
        ArgumentNullException.ThrowIfNull(items);
        return new SpeadLayout(typeName, (SpeadItemLayout[])items.Clone(), null);
    }

    /// <summary>The record's name.</summary>
    public string TypeName { get; }

    /// <summary>The items, in send order.</summary>
    public IReadOnlyList<SpeadItemLayout> Items { get; }

    /// <summary>The number of items.</summary>
    public int Count => _items.Length;

    /// <summary>Whether some item's shape still has <see cref="SpeadDimension.RunTime"/> dimensions.</summary>
    public bool HasRunTimeDimensions { get; }

    /// <summary>The member name of item <paramref name="index"/>.</summary>
    /// <param name="index">Position in send order.</param>
    /// <returns>The member name.</returns>
    public string GetMemberName(int index) => _members[index];

    /// <summary>The descriptors, in send order, with concrete shapes.</summary>
    /// <exception cref="InvalidOperationException">The layout has unresolved run-time dimensions (the message names the members).</exception>
    public IReadOnlyList<Descriptor> Descriptors => _descriptors ?? throw Unresolved();

    internal string[] MemberNames => _members;

    /// <summary>The declared layout this one was resolved from (itself for a declared layout).</summary>
    internal SpeadLayout Declared { get; }

    /// <summary>The layout with every <see cref="SpeadDimension.RunTime"/> dimension taken from <paramref name="shapes"/>.</summary>
    /// <param name="shapes">The full shape of each member with run-time dimensions; may be null when there are none.</param>
    /// <returns>The resolved layout (this one when there is nothing to resolve).</returns>
    /// <exception cref="ArgumentException">
    /// A member with run-time dimensions has no shape in <paramref name="shapes"/>, a given shape does not fit the
    /// declaration (rank, or a fixed dimension), or <paramref name="shapes"/> names a member without run-time
    /// dimensions. The message names <c>Record.Member</c>.
    /// </exception>
    public SpeadLayout WithShapes(SpeadShapes? shapes)
    {
        if (shapes is not null)
        {
            foreach (var pair in shapes)
            {
                int index = Array.IndexOf(_members, pair.Key);
                if (index < 0)
                    throw new ArgumentException($"{TypeName} has no [SpeadItem] member named '{pair.Key}'.", nameof(shapes));
                if (!_items[index].HasRunTimeDimensions)
                {
                    throw new ArgumentException(
                        $"{TypeName}.{pair.Key}: its shape {SpeadItemLayout.ShapeText(_items[index].Shape)} has no dimension set at run time (SpeadDimension.RunTime), so SpeadShapes must not give one.", nameof(shapes));
                }
            }
        }
        if (!HasRunTimeDimensions)
            return this;
        var resolved = new SpeadItemLayout[_items.Length];
        for (int i = 0; i < _items.Length; i++)
        {
            var item = _items[i];
            if (!item.HasRunTimeDimensions)
            {
                resolved[i] = item;
                continue;
            }
            if (shapes is null || !shapes.TryGetStored(item.MemberName, out var given))
            {
                throw new ArgumentException(
                    $"{TypeName}.{item.MemberName}: {RunTimeDimensionsText(item)} of its shape {SpeadItemLayout.ShapeText(item.Shape)} are set at run time; give its full shape in SpeadShapes (e.g. {{ nameof({TypeName}.{item.MemberName}), ... }}).",
                    nameof(shapes));
            }

            resolved[i] = item.Resolve(TypeName, given);
        }
        return new SpeadLayout(TypeName, resolved, Declared);
    }

    /// <summary>Returns this layout if it has no unresolved run-time dimensions (called by generated code).</summary>
    /// <returns>This layout.</returns>
    /// <exception cref="InvalidOperationException">It has some; the message names the members.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public SpeadLayout RequireShapes() => HasRunTimeDimensions ? throw Unresolved() : this;

    internal SpeadItemLayout this[int index] => _items[index];

    private InvalidOperationException Unresolved()
    {
        var names = new StringBuilder();
        int count = 0;
        foreach (var item in _items)
        {
            if (item.HasRunTimeDimensions)
            {
                names.Append(count++ == 0 ? "" : ", ").Append(TypeName).Append('.').Append(item.MemberName)
                    .Append(' ').Append(SpeadItemLayout.ShapeText(item.Shape));
            }
        }
        return new InvalidOperationException(
            $"{names} {(count == 1 ? "has" : "have")} dimensions set at run time: create HeapWriter<{TypeName}> / HeapReader<{TypeName}> with SpeadShapes, or use {TypeName}.Layout.WithShapes(shapes).");
    }

    private static string RunTimeDimensionsText(SpeadItemLayout item)
    {
        var list = new List<string>();
        for (int i = 0; i < item.Shape.Count; i++)
        {
            if (item.Shape[i] == SpeadDimension.RunTime)
                list.Add(i.ToString(CultureInfo.InvariantCulture));
        }
        return list.Count == 1 ? "dimension " + list[0]
            : "dimensions " + string.Join(", ", list.GetRange(0, list.Count - 1)) + " and " + list[^1];
    }
}
