using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Spead2.Protocol;
using Spead2.Send;

namespace Spead2.Typed;

/// <summary>
/// The value encodings used by generated <see cref="ISpeadHeap{TSelf}"/> code, one method per item kind.
/// Each writes exactly the bytes spead2's Python <c>Item</c> would send for the same descriptor, and none
/// allocates: scalars go through a stack buffer into <see cref="Heap.AddItemCopy"/>, arrays are referenced.
/// Hidden from IntelliSense like <see cref="SpeadReader"/>: only generated code calls it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SpeadCodec
{
    /// <summary>A descriptor on the legacy format path with a single field <c>(code, bits)</c>.</summary>
    /// <param name="id">Item ID.</param>
    /// <param name="name">Item name.</param>
    /// <param name="description">Item description.</param>
    /// <param name="shape">Shape, -1 for a variable dimension.</param>
    /// <param name="code">Format code: <c>u</c>, <c>i</c>, <c>f</c>, <c>b</c> or <c>c</c>.</param>
    /// <param name="bits">Field width in bits.</param>
    /// <returns>The descriptor.</returns>
    public static Descriptor FormatDescriptor(long id, string name, string description, long[] shape, char code, int bits) =>
        new(id, name, description, shape, format: [new FormatField(code, bits)]);

    /// <summary>A descriptor on the numpy dtype path, the dtype in this machine's byte order (<see cref="NativeDtype"/>).</summary>
    /// <param name="id">Item ID.</param>
    /// <param name="name">Item name.</param>
    /// <param name="description">Item description.</param>
    /// <param name="shape">Shape (no variable dimension: numpy dtypes cannot have one).</param>
    /// <param name="kind">numpy kind letter: <c>u</c>, <c>i</c>, <c>f</c>, <c>b</c> or <c>c</c>.</param>
    /// <param name="size">Item size in bytes.</param>
    /// <returns>The descriptor.</returns>
    public static Descriptor DtypeDescriptor(long id, string name, string description, long[] shape, char kind, int size) =>
        new(id, name, description, shape, dtype: NativeDtype(kind, size));

    /// <summary>
    /// numpy's <c>dtype.str</c> for data in this machine's byte order: <c>|u1</c> for one-byte types (no
    /// byte order), else <c>&lt;</c> (little-endian) or <c>&gt;</c> followed by the kind and size, e.g. <c>&lt;f4</c>.
    /// </summary>
    /// <param name="kind">numpy kind letter.</param>
    /// <param name="size">Item size in bytes.</param>
    /// <returns>The dtype string.</returns>
    public static string NativeDtype(char kind, int size)
    {
        var order = size == 1 ? '|' : BitConverter.IsLittleEndian ? '<' : '>';
        return string.Create(CultureInfo.InvariantCulture, $"{order}{kind}{size}");
    }

    /// <summary>Adds an unsigned integer as format <c>('u', bits)</c>: big-endian, MSB first, padded to whole bytes.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="id">Item ID.</param>
    /// <param name="value">The value; it must fit in <paramref name="bits"/> (spead2 would silently truncate it; we refuse).</param>
    /// <param name="bits">Field width, 1 to 64.</param>
    public static void AddUnsigned(Heap heap, long id, ulong value, int bits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, 64);
        if (bits < 64 && (value >> bits) != 0)
        {
            ThrowDoesNotFit(id, bits, unsigned: true);
        }

        AddField(heap, id, value, bits);
    }

    /// <summary>Adds a signed integer as format <c>('i', bits)</c>: two's complement in <paramref name="bits"/> bits, big-endian.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="id">Item ID.</param>
    /// <param name="value">The value; it must fit in <paramref name="bits"/>.</param>
    /// <param name="bits">Field width, 1 to 64.</param>
    public static void AddSigned(Heap heap, long id, long value, int bits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, 64);
        if (bits < 64)
        {
            var limit = 1L << (bits - 1);
            if (value < -limit || value >= limit)
            {
                ThrowDoesNotFit(id, bits, unsigned: false);
            }
        }

        AddField(heap, id, unchecked((ulong)value), bits);
    }

    /// <summary>
    /// Writes the low <paramref name="bits"/> bits MSB first. For whole bytes this is spead2's "last bits/8
    /// bytes of the big-endian 64-bit value"; otherwise it is its bit packer's output (low bits of the last
    /// byte zero), which spead2 never sends as an immediate.
    /// </summary>
    private static void AddField(Heap heap, long id, ulong value, int bits)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(buffer, bits == 64 ? value : value << (64 - bits));
        heap.AddItemCopy(id, buffer[..((bits + 7) / 8)], allowImmediate: bits % 8 == 0);
    }

    /// <summary>Adds a bool as format <c>('b', 8)</c>: one byte, 1 or 0.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="id">Item ID.</param>
    /// <param name="value">The value.</param>
    public static void AddBoolean(Heap heap, long id, bool value)
    {
        Span<byte> buffer = [value ? (byte)1 : (byte)0];
        heap.AddItemCopy(id, buffer);
    }

    /// <summary>Adds a float as format <c>('f', 32)</c>: IEEE big-endian.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="id">Item ID.</param>
    /// <param name="value">The value.</param>
    public static void AddSingle(Heap heap, long id, float value)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteSingleBigEndian(buffer, value);
        heap.AddItemCopy(id, buffer);
    }

    /// <summary>Adds a double as format <c>('f', 64)</c>: IEEE big-endian.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="id">Item ID.</param>
    /// <param name="value">The value.</param>
    public static void AddDouble(Heap heap, long id, double value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(buffer, value);
        heap.AddItemCopy(id, buffer);
    }

    /// <summary>Adds a Half as dtype <c>f2</c> in machine byte order (format 'f' allows only 32 or 64 bits).</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="id">Item ID.</param>
    /// <param name="value">The value.</param>
    public static void AddHalf(Heap heap, long id, Half value)
    {
        Span<byte> buffer = stackalloc byte[2];
        MemoryMarshal.Write(buffer, in value);
        heap.AddItemCopy(id, buffer);
    }

    /// <summary>Adds a Complex as dtype <c>c16</c> in machine byte order: the real part, then the imaginary part.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="id">Item ID.</param>
    /// <param name="value">The value.</param>
    public static void AddComplex(Heap heap, long id, Complex value)
    {
        Span<byte> buffer = stackalloc byte[16];
        var real = value.Real;
        var imaginary = value.Imaginary;
        MemoryMarshal.Write(buffer, in real);
        MemoryMarshal.Write(buffer[8..], in imaginary);
        heap.AddItemCopy(id, buffer);
    }

    /// <summary>
    /// Adds an ASCII string as format <c>('c', 8)</c>. A null string is not sent (spead2 skips items whose
    /// value is None); a non-ASCII character or a wrong fixed length throws.
    /// </summary>
    /// <param name="heap">The heap.</param>
    /// <param name="id">Item ID.</param>
    /// <param name="value">The string, or null for "no value".</param>
    /// <param name="length">The fixed length from the item's shape, or -1 for a variable-length string.</param>
    public static void AddString(Heap heap, long id, string? value, int length)
    {
        if (value is null)
        {
            return;
        }

        if (length >= 0 && value.Length != length)
        {
            ThrowStringLength(id, length, value.Length);
        }

        if (!Ascii.IsValid(value))
        {
            ThrowNotAscii(id);
        }

        // Encode straight into the heap's own reusable storage: no intermediate buffer, no allocation.
        // A variable dimension can never be an immediate: its length is recovered from addresses.
        var storage = heap.AddItemStorage(id, value.Length, allowImmediate: length >= 0);
        Ascii.FromUtf16(value, storage, out _);
    }

    /// <summary>
    /// Adds a fixed-shape array on the dtype path, referencing its memory (zero copy: keep it unchanged until sent).
    /// </summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="heap">The heap.</param>
    /// <param name="id">Item ID.</param>
    /// <param name="data">The elements, C order.</param>
    /// <param name="elements">The element count the shape requires.</param>
    public static void AddArray<T>(Heap heap, long id, ReadOnlyMemory<T> data, long elements)
        where T : unmanaged
    {
        if (data.Length != elements)
        {
            ThrowArrayLength(id, elements, data.Length);
        }

        heap.AddItem(id, data);
    }

    /// <summary>
    /// Adds a one-byte-element array with a variable dimension on the format path, referencing its memory.
    /// </summary>
    /// <typeparam name="T">Element type (one byte).</typeparam>
    /// <param name="heap">The heap.</param>
    /// <param name="id">Item ID.</param>
    /// <param name="data">The elements, C order.</param>
    /// <param name="fixedElements">Product of the fixed dimensions: the length must be a multiple of it.</param>
    public static void AddVariableArray<T>(Heap heap, long id, ReadOnlyMemory<T> data, long fixedElements)
        where T : unmanaged
    {
        if (fixedElements == 0 ? data.Length != 0 : data.Length % fixedElements != 0)
        {
            ThrowVariableLength(id, fixedElements, data.Length);
        }

        heap.AddItem(id, data, allowImmediate: false);
    }

    /// <summary>Throws unless <paramref name="layout"/> is <paramref name="declared"/> or resolved from it (called by generated code).</summary>
    /// <param name="layout">The layout given to a generated member.</param>
    /// <param name="declared">The type's own declared layout.</param>
    /// <returns><paramref name="layout"/>.</returns>
    public static SpeadLayout CheckLayout(SpeadLayout layout, SpeadLayout declared)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (!ReferenceEquals(layout.Declared, declared))
            throw new ArgumentException($"The layout is {layout.TypeName}'s, not {declared.TypeName}'s: pass {declared.TypeName}.Layout or one resolved from it with WithShapes.", nameof(layout));
        return layout.RequireShapes();
    }

    /// <summary>Adds integer item <paramref name="index"/> of <paramref name="layout"/> as format <c>('u', bits)</c>.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="layout">The record's resolved layout.</param>
    /// <param name="index">The item's position in the layout.</param>
    /// <param name="value">The value; it must fit the item's bits.</param>
    public static void AddUnsigned(Heap heap, SpeadLayout layout, int index, ulong value)
    {
        var item = layout[index];
        if (item.Bits < 64 && (value >> item.Bits) != 0)
            ThrowMemberDoesNotFit(layout, index, unchecked((long)value), unsigned: true);
        AddField(heap, item.Id, value, item.Bits);
    }

    /// <summary>Adds integer item <paramref name="index"/> of <paramref name="layout"/> as format <c>('i', bits)</c>.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="layout">The record's resolved layout.</param>
    /// <param name="index">The item's position in the layout.</param>
    /// <param name="value">The value; it must fit the item's bits.</param>
    public static void AddSigned(Heap heap, SpeadLayout layout, int index, long value)
    {
        var item = layout[index];
        if (item.Bits < 64)
        {
            var limit = 1L << (item.Bits - 1);
            if (value < -limit || value >= limit)
                ThrowMemberDoesNotFit(layout, index, value, unsigned: false);
        }
        AddField(heap, item.Id, unchecked((ulong)value), item.Bits);
    }

    /// <summary>Adds bool item <paramref name="index"/> of <paramref name="layout"/>.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="layout">The record's resolved layout.</param>
    /// <param name="index">The item's position in the layout.</param>
    /// <param name="value">The value.</param>
    public static void AddBoolean(Heap heap, SpeadLayout layout, int index, bool value) => AddBoolean(heap, layout[index].Id, value);

    /// <summary>Adds float item <paramref name="index"/> of <paramref name="layout"/>.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="layout">The record's resolved layout.</param>
    /// <param name="index">The item's position in the layout.</param>
    /// <param name="value">The value.</param>
    public static void AddSingle(Heap heap, SpeadLayout layout, int index, float value) => AddSingle(heap, layout[index].Id, value);

    /// <summary>Adds double item <paramref name="index"/> of <paramref name="layout"/>.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="layout">The record's resolved layout.</param>
    /// <param name="index">The item's position in the layout.</param>
    /// <param name="value">The value.</param>
    public static void AddDouble(Heap heap, SpeadLayout layout, int index, double value) => AddDouble(heap, layout[index].Id, value);

    /// <summary>Adds Half item <paramref name="index"/> of <paramref name="layout"/> as dtype <c>f2</c> in the item's byte order.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="layout">The record's resolved layout.</param>
    /// <param name="index">The item's position in the layout.</param>
    /// <param name="value">The value.</param>
    public static void AddHalf(Heap heap, SpeadLayout layout, int index, Half value)
    {
        var item = layout[index];
        Span<byte> buffer = stackalloc byte[2];
        MemoryMarshal.Write(buffer, in value);
        if (item.SwapBytes)
            buffer.Reverse();
        heap.AddItemCopy(item.Id, buffer);
    }

    /// <summary>Adds Complex item <paramref name="index"/> of <paramref name="layout"/> as dtype <c>c16</c> in the item's byte order.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="layout">The record's resolved layout.</param>
    /// <param name="index">The item's position in the layout.</param>
    /// <param name="value">The value.</param>
    public static void AddComplex(Heap heap, SpeadLayout layout, int index, Complex value)
    {
        var item = layout[index];
        Span<byte> buffer = stackalloc byte[16];
        var real = value.Real;
        var imaginary = value.Imaginary;
        MemoryMarshal.Write(buffer, in real);
        MemoryMarshal.Write(buffer[8..], in imaginary);
        if (item.SwapBytes)
        {
            buffer[..8].Reverse();
            buffer[8..].Reverse();
        }
        heap.AddItemCopy(item.Id, buffer);
    }

    /// <summary>Adds string item <paramref name="index"/> of <paramref name="layout"/> as format <c>('c', 8)</c>; null is not sent.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="layout">The record's resolved layout.</param>
    /// <param name="index">The item's position in the layout.</param>
    /// <param name="value">The string, or null for "no value".</param>
    public static void AddString(Heap heap, SpeadLayout layout, int index, string? value)
    {
        if (value is null)
            return;
        var item = layout[index];
        var length = item.HasVariableDimension ? -1 : item.ShapeArray[0];
        if (length >= 0 && value.Length != length)
        {
            ThrowMember(layout, index, string.Create(CultureInfo.InvariantCulture,
                $"it is a fixed-length string of {length} characters, but the value has {value.Length}"), "value");
        }

        if (!Ascii.IsValid(value))
            ThrowMember(layout, index, "the string contains a non-ASCII character; SPEAD strings are ASCII ('c', 8)", "value");
        var storage = heap.AddItemStorage(item.Id, value.Length, allowImmediate: length >= 0);
        Ascii.FromUtf16(value, storage, out _);
    }

    /// <summary>
    /// Adds array item <paramref name="index"/> of <paramref name="layout"/> from a flat C-order array or memory,
    /// checked against the item's shape. Referenced (zero copy: keep it unchanged until sent) when the wire bytes
    /// are the memory's; copied into the heap when the item's byte order is not this machine's or its elements are
    /// packed sub-byte fields.
    /// </summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="heap">The heap.</param>
    /// <param name="layout">The record's resolved layout.</param>
    /// <param name="index">The item's position in the layout.</param>
    /// <param name="data">The elements in C order.</param>
    /// <exception cref="ArgumentException">The element count does not fit the shape, or the item is a multi-dimensional
    /// Fortran-order one (pass a rectangular array); the message names <c>Record.Member</c>.</exception>
    public static void AddArray<T>(Heap heap, SpeadLayout layout, int index, ReadOnlyMemory<T> data)
        where T : unmanaged
    {
        var item = layout[index];
        if (item.NeedsTransposition)
        {
            ThrowMember(layout, index, string.Create(CultureInfo.InvariantCulture,
                $"it is a Fortran-order item of shape {SpeadItemLayout.ShapeText(item.ShapeArray)}, and a flat array does not say which order its elements are in; declare the member as a rectangular array {typeof(T).Name}[{new string(',', item.ShapeArray.Length - 1)}] indexed like the numpy array (value[i, j]) and it is sent in Fortran order"), "data");
        }

        CheckCount(layout, index, item, data.Length, null);
        if (!item.SwapBytes && !item.IsPacked)
        {
            heap.AddItem(item.Id, data, allowImmediate: item.Descriptor!.AllowImmediate);
            return;
        }
        var storage = heap.AddItemStorage(item.Id, checked((int)WireBytes(item, data.Length)), item.Descriptor!.AllowImmediate);
        WriteElements(layout, index, item, data.Span, storage, null);
    }

    /// <summary>
    /// Adds array item <paramref name="index"/> of <paramref name="layout"/> from a rectangular array (<c>T[,]</c>...),
    /// whose dimensions must be the item's shape. Copied into the heap (transposed for a Fortran-order item).
    /// </summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="heap">The heap.</param>
    /// <param name="layout">The record's resolved layout.</param>
    /// <param name="index">The item's position in the layout.</param>
    /// <param name="data">The array, or null for "no value".</param>
    /// <exception cref="ArgumentException">The array's shape is not the item's; the message names <c>Record.Member</c>.</exception>
    public static void AddRectangular<T>(Heap heap, SpeadLayout layout, int index, Array? data)
        where T : unmanaged
    {
        if (data is null)
            return;
        var item = layout[index];
        if (data.GetType().GetElementType() != typeof(T))
            ThrowMember(layout, index, $"the value is a {data.GetType().Name}, not an array of {typeof(T).Name}", "data");
        var shape = item.ShapeArray;
        bool fits = data.Rank == shape.Length;
        for (int d = 0; fits && d < shape.Length; d++)
            fits = shape[d] == Descriptor.VariableDimension || data.GetLength(d) == shape[d];
        if (!fits)
            ThrowMember(layout, index, $"expected shape {SpeadItemLayout.ShapeText(shape)}, but the value has shape {ArrayShapeText(data)}", "data");
        var source = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(data)), data.Length);
        var storage = heap.AddItemStorage(item.Id, checked((int)WireBytes(item, data.Length)), item.Descriptor!.AllowImmediate);
        WriteElements(layout, index, item, source, storage, item.NeedsTransposition ? data : null);
    }

    private static long WireBytes(SpeadItemLayout item, long elements) => (elements * item.ElementBits + 7) / 8;

    private static void CheckCount(SpeadLayout layout, int index, SpeadItemLayout item, long count, Array? array)
    {
        if (item.HasVariableDimension)
        {
            if (item.Elements == 0 ? count != 0 : count % item.Elements != 0)
            {
                ThrowMember(layout, index, string.Create(CultureInfo.InvariantCulture,
                    $"its shape {SpeadItemLayout.ShapeText(item.ShapeArray)} takes a multiple of {item.Elements} elements, but the value has {count}"), "data");
            }
        }
        else if (count != item.Elements)
        {
            ThrowMember(layout, index, string.Create(CultureInfo.InvariantCulture,
                $"expected shape {SpeadItemLayout.ShapeText(item.ShapeArray)} = {item.Elements} elements, but the value has {(array is null ? count + " elements" : "shape " + ArrayShapeText(array))}"), "data");
        }
    }

    /// <summary>The value's wire bytes: packed MSB first, or transposed to Fortran order and/or byte-swapped.</summary>
    private static void WriteElements<T>(SpeadLayout layout, int index, SpeadItemLayout item, ReadOnlySpan<T> source, Span<byte> destination, Array? transposeFrom)
        where T : unmanaged
    {
        if (item.IsPacked)
        {
            PackBits(layout, index, item, MemoryMarshal.AsBytes(source), destination);
            return;
        }
        var elements = MemoryMarshal.Cast<byte, T>(destination);
        if (transposeFrom is not null)
            ArrayTransposition.CToFortran(source, elements, ArrayTransposition.Lengths(transposeFrom, stackalloc long[transposeFrom.Rank]));
        else
            source.CopyTo(elements);
        if (item.SwapBytes)
            SpeadReader.SwapEndianness(destination, Unsafe.SizeOf<T>());
    }

    /// <summary>spead2's bit writer: each element's low <c>bits</c> bits, MSB first, the last byte padded with zeros.</summary>
    private static void PackBits(SpeadLayout layout, int index, SpeadItemLayout item, ReadOnlySpan<byte> values, Span<byte> destination)
    {
        int bits = item.Bits;
        bool signed = item.Code == 'i';
        int mask = (1 << bits) - 1;
        int current = 0;
        int have = 0;
        int position = 0;
        for (int i = 0; i < values.Length; i++)
        {
            int v = signed ? (sbyte)values[i] : values[i];
            if (signed ? v < -(1 << (bits - 1)) || v >= 1 << (bits - 1) : v > mask)
                ThrowElementDoesNotFit(layout, index, i, v, bits, signed);
            current = (current << bits) | (v & mask);
            have += bits;
            while (have >= 8)
            {
                destination[position++] = (byte)(current >> (have - 8));
                have -= 8;
                current &= (1 << have) - 1;
            }
        }
        if (have > 0)
            destination[position] = (byte)(current << (8 - have));
    }

    internal static string ArrayShapeText(Array array)
    {
        var lengths = new long[array.Rank];
        for (int d = 0; d < lengths.Length; d++)
            lengths[d] = array.GetLength(d);
        return SpeadItemLayout.ShapeText(lengths);
    }

    private static string Subject(SpeadLayout layout, int index)
    {
        var item = layout[index];
        return string.Create(CultureInfo.InvariantCulture, $"{layout.TypeName}.{item.MemberName} (item '{item.Name}', 0x{item.Id:X})");
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowMember(SpeadLayout layout, int index, string message, string parameter) =>
        throw new ArgumentException($"{Subject(layout, index)}: {message}.", parameter);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowMemberDoesNotFit(SpeadLayout layout, int index, long value, bool unsigned) =>
        throw new ArgumentOutOfRangeException("value", string.Create(CultureInfo.InvariantCulture,
            $"{Subject(layout, index)}: the value {(unsigned ? ((ulong)value).ToString(CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture))} does not fit in {layout[index].Bits} {(unsigned ? "unsigned" : "signed")} bits; spead2 would truncate it silently."));

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowElementDoesNotFit(SpeadLayout layout, int index, int element, int value, int bits, bool signed) =>
        throw new ArgumentOutOfRangeException("data", string.Create(CultureInfo.InvariantCulture,
            $"{Subject(layout, index)}: element {element} is {value}, which does not fit in {bits} {(signed ? "signed" : "unsigned")} bits ({(signed ? -(1 << (bits - 1)) : 0)} to {(signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1)})."));

    /// <summary>Throws for an item index outside the type's items (called by generated code).</summary>
    /// <param name="index">The index given.</param>
    /// <param name="count">The number of items.</param>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowItemIndex(int index, int count) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"The type has {count} items: index must be from 0 to {count - 1}.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDoesNotFit(long id, int bits, bool unsigned) =>
        throw new ArgumentOutOfRangeException("value",
            $"Item 0x{id:x}: the value does not fit in {bits} {(unsigned ? "unsigned" : "signed")} bits; spead2 would truncate it silently.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowStringLength(long id, int length, int actual) =>
        throw new ArgumentException($"Item 0x{id:x} is a fixed-length string of {length} characters, but the value has {actual}.", "value");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotAscii(long id) =>
        throw new ArgumentException($"Item 0x{id:x}: the string contains a non-ASCII character; SPEAD strings are ASCII ('c', 8).", "value");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowArrayLength(long id, long elements, int actual) =>
        throw new ArgumentException($"Item 0x{id:x}: its shape requires {elements} elements, but the value has {actual}.", "data");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowVariableLength(long id, long fixedElements, int actual) =>
        throw new ArgumentException(
            $"Item 0x{id:x}: the value has {actual} elements, which is not a multiple of the {fixedElements} elements of its fixed dimensions.", "data");
}
