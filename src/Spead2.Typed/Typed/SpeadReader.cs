using System.Buffers.Binary;
using System.ComponentModel;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Spead2.Protocol;
using Spead2.Recv;

namespace Spead2.Typed;

/// <summary>
/// The decode side of <see cref="SpeadCodec"/>: what generated <c>TryRead</c> methods call to read one
/// member after another, from either a received heap's raw bytes (with the descriptors an
/// <see cref="ItemGroup"/> holds) or the decoded values of an updated <see cref="ItemGroup"/>.
/// Every read first checks the received descriptor against the record's declaration; the first
/// problem stops the read and is kept in <see cref="Error"/>. Not meant to be used by hand.
/// </summary>
/// <remarks>
/// A received descriptor matches when its ID, name, shape (variable dimensions included) and format
/// fields are the declared ones, or, on the dtype path, when its dtype has the declared kind and size.
/// The dtype's byte order may differ (a big-endian sender's <c>&gt;f4</c> reads as well as
/// <c>&lt;f4</c>: the bytes are swapped), and so may the memory order of one-dimensional items. The
/// description is documentation and is not compared.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct SpeadReader
{
    private readonly ItemGroup _group;
    private readonly ReceivedHeap? _heap;
    private readonly IReadOnlyList<Descriptor> _declared;
    private readonly string _typeName;
    private readonly string[] _members;

    private SpeadReader(ItemGroup group, ReceivedHeap? heap, IReadOnlyList<Descriptor> declared, string typeName, string[] members)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(declared);
        ArgumentNullException.ThrowIfNull(members);
        _group = group;
        _heap = heap;
        _declared = declared;
        _typeName = typeName;
        _members = members;
        Error = null;
    }

    /// <summary>Why the last read failed, or null.</summary>
    public string? Error { get; private set; }

    /// <summary>A reader of the values an updated <see cref="ItemGroup"/> holds (see <see cref="ItemGroupReceiveExtensions.Update"/>).</summary>
    /// <param name="items">The group: its items give both the received descriptors and the decoded values.</param>
    /// <param name="declared">The record's descriptors, in member order.</param>
    /// <param name="typeName">The record's name, for messages.</param>
    /// <param name="members">The members' names, in the order of <paramref name="declared"/>.</param>
    /// <returns>The reader.</returns>
    public static SpeadReader ForItemGroup(ItemGroup items, IReadOnlyList<Descriptor> declared, string typeName, string[] members) =>
        new(items, null, declared, typeName, members);

    /// <summary>A reader of a received heap's raw item bytes, under the descriptors held by <paramref name="descriptors"/>.</summary>
    /// <param name="heap">The heap; only its values are read (apply its descriptors to <paramref name="descriptors"/> first).</param>
    /// <param name="descriptors">The descriptors received so far; item values in it are ignored.</param>
    /// <param name="declared">The record's descriptors, in member order.</param>
    /// <param name="typeName">The record's name, for messages.</param>
    /// <param name="members">The members' names, in the order of <paramref name="declared"/>.</param>
    /// <returns>The reader.</returns>
    public static SpeadReader ForHeap(ReceivedHeap heap, ItemGroup descriptors, IReadOnlyList<Descriptor> declared, string typeName, string[] members)
    {
        ArgumentNullException.ThrowIfNull(heap);
        return new(descriptors, heap, declared, typeName, members);
    }

    /// <summary>A reader of the values an updated <see cref="ItemGroup"/> holds, checked against a resolved layout.</summary>
    /// <param name="items">The group.</param>
    /// <param name="layout">The record's resolved layout.</param>
    /// <returns>The reader.</returns>
    public static SpeadReader ForItemGroup(ItemGroup items, SpeadLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return new(items, null, layout.Descriptors, layout.TypeName, layout.MemberNames);
    }

    /// <summary>A reader of a received heap's raw item bytes, checked against a resolved layout.</summary>
    /// <param name="heap">The heap (apply its descriptors to <paramref name="descriptors"/> first).</param>
    /// <param name="descriptors">The descriptors received so far.</param>
    /// <param name="layout">The record's resolved layout.</param>
    /// <returns>The reader.</returns>
    public static SpeadReader ForHeap(ReceivedHeap heap, ItemGroup descriptors, SpeadLayout layout)
    {
        ArgumentNullException.ThrowIfNull(heap);
        ArgumentNullException.ThrowIfNull(layout);
        return new(descriptors, heap, layout.Descriptors, layout.TypeName, layout.MemberNames);
    }

    /// <summary>Reads an integer item of format <c>('u', bits)</c>.</summary>
    /// <param name="index">The member's position in the record's descriptors.</param>
    /// <param name="value">The value.</param>
    /// <returns>False with <see cref="Error"/> set if the item is missing, described differently or malformed.</returns>
    public bool ReadUnsigned(int index, out ulong value)
    {
        value = 0;
        if (!TryLocateField(index, out ulong raw, out _, out var boxed))
            return false;
        if (_heap is not null)
        {
            value = raw;
            return true;
        }
        switch (boxed)
        {
            case byte b: value = b; return true;
            case ushort s: value = s; return true;
            case uint u: value = u; return true;
            case ulong l: value = l; return true;
            default: return BoxedType(index, boxed);
        }
    }

    /// <summary>Reads an integer item of format <c>('i', bits)</c>, sign-extended.</summary>
    /// <param name="index">The member's position in the record's descriptors.</param>
    /// <param name="value">The value.</param>
    /// <returns>False with <see cref="Error"/> set if the item is missing, described differently or malformed.</returns>
    public bool ReadSigned(int index, out long value)
    {
        value = 0;
        if (!TryLocateField(index, out ulong raw, out int bits, out var boxed))
            return false;
        if (_heap is not null)
        {
            value = bits >= 64 ? (long)raw : (long)(raw << (64 - bits)) >> (64 - bits);
            return true;
        }
        switch (boxed)
        {
            case sbyte b: value = b; return true;
            case short s: value = s; return true;
            case int i: value = i; return true;
            case long l: value = l; return true;
            default: return BoxedType(index, boxed);
        }
    }

    /// <summary>Reads a bool item of format <c>('b', 8)</c>.</summary>
    /// <param name="index">The member's position in the record's descriptors.</param>
    /// <param name="value">The value.</param>
    /// <returns>False with <see cref="Error"/> set if the item is missing, described differently or malformed.</returns>
    public bool ReadBoolean(int index, out bool value) =>
        ReadFixed(index, out value, static (bytes, _) => bytes[0] != 0);

    /// <summary>Reads a float item of format <c>('f', 32)</c>.</summary>
    /// <param name="index">The member's position in the record's descriptors.</param>
    /// <param name="value">The value.</param>
    /// <returns>False with <see cref="Error"/> set if the item is missing, described differently or malformed.</returns>
    public bool ReadSingle(int index, out float value) =>
        ReadFixed(index, out value, static (bytes, _) => BinaryPrimitives.ReadSingleBigEndian(bytes));

    /// <summary>Reads a double item of format <c>('f', 64)</c>.</summary>
    /// <param name="index">The member's position in the record's descriptors.</param>
    /// <param name="value">The value.</param>
    /// <returns>False with <see cref="Error"/> set if the item is missing, described differently or malformed.</returns>
    public bool ReadDouble(int index, out double value) =>
        ReadFixed(index, out value, static (bytes, _) => BinaryPrimitives.ReadDoubleBigEndian(bytes));

    /// <summary>Reads a Half item of dtype <c>f2</c> (either byte order).</summary>
    /// <param name="index">The member's position in the record's descriptors.</param>
    /// <param name="value">The value.</param>
    /// <returns>False with <see cref="Error"/> set if the item is missing, described differently or malformed.</returns>
    public bool ReadHalf(int index, out Half value) =>
        ReadFixed(index, out value, static (bytes, big) => big ? BinaryPrimitives.ReadHalfBigEndian(bytes) : BinaryPrimitives.ReadHalfLittleEndian(bytes));

    /// <summary>Reads a Complex item of dtype <c>c16</c> (either byte order).</summary>
    /// <param name="index">The member's position in the record's descriptors.</param>
    /// <param name="value">The value.</param>
    /// <returns>False with <see cref="Error"/> set if the item is missing, described differently or malformed.</returns>
    public bool ReadComplex(int index, out Complex value) =>
        ReadFixed(index, out value, static (bytes, big) => big
            ? new Complex(BinaryPrimitives.ReadDoubleBigEndian(bytes), BinaryPrimitives.ReadDoubleBigEndian(bytes[8..]))
            : new Complex(BinaryPrimitives.ReadDoubleLittleEndian(bytes), BinaryPrimitives.ReadDoubleLittleEndian(bytes[8..])));

    /// <summary>Reads an ASCII string item of format <c>('c', 8)</c>.</summary>
    /// <param name="index">The member's position in the record's descriptors.</param>
    /// <param name="optional">True for a nullable member: a missing item gives null instead of an error.</param>
    /// <param name="value">The value (null only for a missing optional item).</param>
    /// <returns>False with <see cref="Error"/> set if the item is missing (and not optional), described differently or malformed.</returns>
    public bool ReadString(int index, bool optional, out string? value)
    {
        value = null;
        var state = Locate(index, out var received, out var item, out var boxed, optional);
        if (state == Found.Missing)
            return true;
        if (state != Found.Value)
            return false;
        if (_heap is not null)
        {
            if (!TryBytes(index, received, item, out var bytes))
                return false;
            if (!Ascii.IsValid(bytes))
                return Fail(index, "its characters are not ASCII");
            value = Encoding.ASCII.GetString(bytes);
            return true;
        }
        if (boxed is null)
        {
            value = "";
            return true;
        }
        if (boxed is string s)
        {
            value = s;
            return true;
        }
        return BoxedType(index, boxed);
    }

    /// <summary>
    /// Reads an array item (numpy dtype of either byte order, or one-byte format fields with a variable
    /// dimension) into a new array, elements in C order.
    /// </summary>
    /// <typeparam name="T">Element type; its size is the declared element size.</typeparam>
    /// <param name="index">The member's position in the record's descriptors.</param>
    /// <param name="optional">True for a nullable member: a missing item gives null instead of an error.</param>
    /// <param name="value">A new array (null only for a missing optional item).</param>
    /// <returns>False with <see cref="Error"/> set if the item is missing (and not optional), described differently or malformed.</returns>
    public bool ReadArray<T>(int index, bool optional, out T[]? value)
        where T : unmanaged
    {
        value = null;
        var state = Locate(index, out var received, out var item, out var boxed, optional);
        if (state == Found.Missing)
            return true;
        if (state != Found.Value)
            return false;
        if (_heap is not null)
        {
            if (!TryBytes(index, received, item, out var bytes, out long elements))
                return false;
            var result = new T[elements];
            Decode(received, bytes, result.AsSpan(), default);
            value = result;
            return true;
        }
        return FromBoxedArray(index, boxed, out value);
    }

    /// <summary>
    /// Reads an array item into a new rectangular array (<c>T[,]</c>...) of the received shape, indexed like the
    /// numpy array (a Fortran-order item is transposed).
    /// </summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="index">The member's position in the record's descriptors.</param>
    /// <param name="optional">True for a nullable member: a missing item gives null instead of an error.</param>
    /// <param name="create">Creates the array for given lengths (generated code: <c>static l =&gt; new T[l[0], l[1]]</c>).</param>
    /// <param name="value">A new array (null only for a missing optional item).</param>
    /// <returns>False with <see cref="Error"/> set if the item is missing (and not optional), described differently or malformed.</returns>
    public bool ReadRectangular<T>(int index, bool optional, Func<int[], Array> create, out Array? value)
        where T : unmanaged
    {
        value = null;
        var state = Locate(index, out var received, out var item, out var boxed, optional);
        if (state == Found.Missing)
            return true;
        if (state != Found.Value)
            return false;
        var shape = received.ShapeArray;
        if (_heap is not null)
        {
            if (!TryBytes(index, received, item, out var bytes, out long elements))
                return false;
            var lengths = Lengths(shape, elements);
            var result = create(lengths);
            Decode(received, bytes, ArraySpan<T>(result), received.Order == ArrayOrder.Fortran ? LongLengths(lengths) : default);
            value = result;
            return true;
        }
        if (boxed is null)
        {
            value = create(Lengths(shape, 0));
            return true;
        }
        if (boxed is Array array && array.Rank == shape.Length
            && (array.GetType().GetElementType() == typeof(T) || (typeof(T).IsEnum && array.GetType().GetElementType() == Enum.GetUnderlyingType(typeof(T)))))
        {
            var lengths = new int[array.Rank];
            for (int d = 0; d < lengths.Length; d++)
                lengths[d] = array.GetLength(d);
            var result = create(lengths);
            MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(array), array.Length * Unsafe.SizeOf<T>())
                .CopyTo(MemoryMarshal.AsBytes(ArraySpan<T>(result)));
            value = result;
            return true;
        }
        return BoxedType(index, boxed);
    }

    /// <summary>
    /// Reads an array item from a heap into <paramref name="buffer"/>, which must have exactly the received number of
    /// elements (nothing is allocated).
    /// </summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="index">The member's position in the record's descriptors.</param>
    /// <param name="optional">True for a nullable member: a missing item gives null.</param>
    /// <param name="buffer">The caller's buffer.</param>
    /// <param name="value"><paramref name="buffer"/>, filled (null for a missing optional item).</param>
    /// <returns>False with <see cref="Error"/> set if the item is missing (and not optional), described differently or malformed.</returns>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is null or has another length.</exception>
    public bool ReadInto<T>(int index, bool optional, T[]? buffer, out T[]? value)
        where T : unmanaged
    {
        value = null;
        if (!LocateInto(index, optional, out var received, out var bytes, out long elements, out bool missing))
            return false;
        if (missing)
            return true;
        if (buffer is null)
            ThrowBuffer(index, $"the value holds no buffer (null) for it; give an array of {elements} elements");
        CheckBuffer(index, buffer.Length, elements);
        Decode(received, bytes, buffer.AsSpan(), default);
        value = buffer;
        return true;
    }

    /// <summary>Reads an array item from a heap into <paramref name="buffer"/> (see <see cref="ReadInto{T}(int, bool, T[], out T[])"/>).</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="index">The member's position in the record's descriptors.</param>
    /// <param name="optional">Unused for memory members (they cannot be null).</param>
    /// <param name="buffer">The caller's buffer.</param>
    /// <param name="value"><paramref name="buffer"/>, filled.</param>
    /// <returns>False with <see cref="Error"/> set if the item is missing, described differently or malformed.</returns>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> has another length.</exception>
    public bool ReadInto<T>(int index, bool optional, Memory<T> buffer, out Memory<T> value)
        where T : unmanaged
    {
        value = default;
        if (!LocateInto(index, optional, out var received, out var bytes, out long elements, out bool missing))
            return false;
        if (missing)
            return true;
        CheckBuffer(index, buffer.Length, elements);
        Decode(received, bytes, buffer.Span, default);
        value = buffer;
        return true;
    }

    /// <summary>Reads an array item from a heap into the memory behind <paramref name="buffer"/> (which the caller owns).</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="index">The member's position in the record's descriptors.</param>
    /// <param name="optional">Unused for memory members (they cannot be null).</param>
    /// <param name="buffer">The caller's buffer, written through <see cref="MemoryMarshal.AsMemory{T}(ReadOnlyMemory{T})"/>.</param>
    /// <param name="value"><paramref name="buffer"/>, filled.</param>
    /// <returns>False with <see cref="Error"/> set if the item is missing, described differently or malformed.</returns>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> has another length.</exception>
    public bool ReadInto<T>(int index, bool optional, ReadOnlyMemory<T> buffer, out ReadOnlyMemory<T> value)
        where T : unmanaged
    {
        bool ok = ReadInto(index, optional, MemoryMarshal.AsMemory(buffer), out Memory<T> written);
        value = written;
        return ok;
    }

    /// <summary>Reads an array item from a heap into a rectangular array of exactly the received shape.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="index">The member's position in the record's descriptors.</param>
    /// <param name="optional">True for a nullable member: a missing item gives null.</param>
    /// <param name="buffer">The caller's array.</param>
    /// <param name="value"><paramref name="buffer"/>, filled (null for a missing optional item).</param>
    /// <returns>False with <see cref="Error"/> set if the item is missing (and not optional), described differently or malformed.</returns>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is null or has another shape.</exception>
    public bool ReadRectangularInto<T>(int index, bool optional, Array? buffer, out Array? value)
        where T : unmanaged
    {
        value = null;
        if (!LocateInto(index, optional, out var received, out var bytes, out long elements, out bool missing))
            return false;
        if (missing)
            return true;
        var lengths = Lengths(received.ShapeArray, elements);
        if (buffer is null)
            ThrowBuffer(index, $"the value holds no buffer (null) for it; give an array of shape {SpeadItemLayout.ShapeText(LongLengths(lengths))}");
        bool same = buffer.Rank == lengths.Length && buffer.GetType().GetElementType() == typeof(T);
        for (int d = 0; same && d < lengths.Length; d++)
            same = buffer.GetLength(d) == lengths[d];
        if (!same)
            ThrowBuffer(index, $"its buffer has shape {SpeadCodec.ArrayShapeText(buffer)}, but the received value has shape {SpeadItemLayout.ShapeText(LongLengths(lengths))}");
        Span<long> fortran = stackalloc long[lengths.Length];
        for (int d = 0; d < lengths.Length; d++)
            fortran[d] = lengths[d];
        Decode(received, bytes, ArraySpan<T>(buffer), received.Order == ArrayOrder.Fortran ? fortran : default);
        value = buffer;
        return true;
    }

    private bool LocateInto(int index, bool optional, out Descriptor received, out ReadOnlySpan<byte> bytes, out long elements, out bool missing)
    {
        bytes = default;
        elements = 0;
        missing = false;
        if (_heap is null)
            throw new InvalidOperationException("Reading into buffers needs a heap reader (SpeadReader.ForHeap).");
        var state = Locate(index, out received, out var item, out _, optional);
        if (state == Found.Missing)
        {
            missing = true;
            return true;
        }
        return state == Found.Value && TryBytes(index, received, item, out bytes, out elements);
    }

    private void CheckBuffer(int index, long length, long elements)
    {
        if (length != elements)
        {
            ThrowBuffer(index, string.Create(CultureInfo.InvariantCulture,
                $"its buffer has {length} elements, but the received value has {elements}; give a buffer of exactly that length (or read with TryRead, which allocates)"));
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBuffer(int index, string message) =>
        throw new ArgumentException($"{Subject(index)}: {message}.", "value");

    private static int[] Lengths(long[] shape, long elements)
    {
        long known = 1;
        foreach (long d in shape)
        {
            if (d != Descriptor.VariableDimension)
                known *= d;
        }
        var lengths = new int[shape.Length];
        for (int d = 0; d < shape.Length; d++)
            lengths[d] = (int)(shape[d] == Descriptor.VariableDimension ? (known == 0 ? 0 : elements / known) : shape[d]);
        return lengths;
    }

    private static long[] LongLengths(int[] lengths)
    {
        var result = new long[lengths.Length];
        for (int d = 0; d < lengths.Length; d++)
            result[d] = lengths[d];
        return result;
    }

    private static Span<T> ArraySpan<T>(Array array) =>
        MemoryMarshal.CreateSpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(array)), array.Length);

    /// <summary>
    /// Decodes the wire bytes of an array item into <paramref name="destination"/> (C order): unpacks sub-byte fields
    /// (sign-extending <c>i</c>), reorders a Fortran-order value, swaps bytes that are not in this machine's order.
    /// </summary>
    private static void Decode<T>(Descriptor received, ReadOnlySpan<byte> bytes, Span<T> destination, ReadOnlySpan<long> fortranLengths)
        where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (received.FormatArray is { } format && format[0].Bits < 8 * size)
        {
            Unpack(bytes, format[0].Bits, format[0].Code == 'i', MemoryMarshal.AsBytes(destination));
            return;
        }
        var source = bytes.Slice(0, destination.Length * size);
        if (fortranLengths.Length > 1)
            ArrayTransposition.FortranToC(MemoryMarshal.Cast<byte, T>(source), destination, fortranLengths);
        else
            source.CopyTo(MemoryMarshal.AsBytes(destination));
        bool bigEndian = received.NumpyType is not { } dtype || dtype.IsBigEndian;
        if (size > 1 && bigEndian == BitConverter.IsLittleEndian)
            SwapEndianness(MemoryMarshal.AsBytes(destination), size);
        if (typeof(T) == typeof(bool))
            NormaliseBooleans(MemoryMarshal.AsBytes(destination));
    }

    /// <summary>spead2's bit reader: <paramref name="bits"/>-bit fields MSB first, one per destination byte.</summary>
    private static void Unpack(ReadOnlySpan<byte> bytes, int bits, bool signed, Span<byte> destination)
    {
        int current = 0;
        int have = 0;
        int position = 0;
        for (int i = 0; i < destination.Length; i++)
        {
            while (have < bits)
            {
                current = (current << 8) | bytes[position++];
                have += 8;
            }
            int field = (current >> (have - bits)) & ((1 << bits) - 1);
            have -= bits;
            current &= (1 << have) - 1;
            destination[i] = signed ? (byte)((field << (32 - bits)) >> (32 - bits)) : (byte)field;
        }
    }

    private bool FromBoxedArray<T>(int index, object? boxed, out T[]? value)
        where T : unmanaged
    {
        value = null;
        if (boxed is null)
        {
            value = [];
            return true;
        }
        if (boxed is T[] same)
        {
            // A copy: the group keeps its value, and a record must not share it with the next read.
            value = same.AsSpan().ToArray();
            return true;
        }
        if (boxed is Array array)
        {
            // Multi-dimensional values (row-major in memory) and arrays of an enum's underlying type
            // have the bytes of T[] already; only the element type needs checking.
            var element = array.GetType().GetElementType();
            if (element == typeof(T) || (typeof(T).IsEnum && element == Enum.GetUnderlyingType(typeof(T))))
            {
                var result = new T[array.Length];
                var source = MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(array), result.Length * Unsafe.SizeOf<T>());
                source.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
                value = result;
                return true;
            }
        }
        return BoxedType(index, boxed);
    }

    /// <summary>
    /// Finds an integer format item: from a heap, <paramref name="raw"/> holds its <paramref name="bits"/>-bit field;
    /// from an item group, <paramref name="boxed"/> holds the value. False with <see cref="Error"/> set otherwise.
    /// </summary>
    private bool TryLocateField(int index, out ulong raw, out int bits, out object? boxed)
    {
        raw = 0;
        bits = 0;
        if (Locate(index, out var received, out var item, out boxed) != Found.Value)
            return false;
        bits = received.FormatArray![0].Bits;
        if (_heap is null)
            return true;
        if (!TryBytes(index, received, item, out var bytes))
            return false;
        raw = ReadField(bytes, bits);
        return true;
    }

    /// <summary>Decodes fixed-size bytes; <c>bigEndian</c> is true for format items and for big-endian dtypes.</summary>
    private delegate T FixedReader<T>(ReadOnlySpan<byte> bytes, bool bigEndian);

    /// <summary>The shared shape of the fixed-size readers: raw bytes from a heap, or the boxed value of an item group.</summary>
    private bool ReadFixed<T>(int index, out T value, FixedReader<T> fromBytes)
    {
        value = default!;
        if (Locate(index, out var received, out var item, out var boxed) != Found.Value)
            return false;
        if (_heap is not null)
        {
            if (!TryBytes(index, received, item, out var bytes))
                return false;
            value = fromBytes(bytes, received.NumpyType is not { } dtype || dtype.IsBigEndian);
            return true;
        }
        if (boxed is T typed)
        {
            value = typed;
            return true;
        }
        return BoxedType(index, boxed);
    }

    private enum Found
    {
        Error,
        Missing,
        Value,
    }

    /// <summary>Finds the received descriptor and value of member <paramref name="index"/> and checks the descriptor.</summary>
    private Found Locate(int index, out Descriptor received, out ReceivedItem item, out object? boxed, bool optional = false)
    {
        if ((uint)index >= (uint)_declared.Count || (uint)index >= (uint)_members.Length)
            SpeadCodec.ThrowItemIndex(index, Math.Min(_declared.Count, _members.Length));
        var declared = _declared[index];
        item = default;
        boxed = null;
        if (!_group.TryGetValue(declared.Id, out var groupItem))
        {
            received = declared;
            return Missing(index, optional, "no descriptor for it has been received");
        }
        received = groupItem;
        if (Mismatch(declared, received) is { } difference)
        {
            Error = string.Create(CultureInfo.InvariantCulture,
                $"{Subject(index)}: the sender describes it as {Describe(received)}, but the record declares {Describe(declared)} ({difference}).");
            return Found.Error;
        }
        if (_heap is not null)
        {
            if (_heap.TryGetItem(declared.Id, out item))
                return Found.Value;
            // The receiver does not report zero-length items, so an absent item whose shape allows no elements
            // (a variable dimension or a 0) is read as empty rather than missing; nullable members read as null.
            if (!optional && CanBeEmpty(declared))
                return Found.Value;
            return Missing(index, optional, "the heap carries no value for it");
        }
        boxed = groupItem.Value;
        if (boxed is not null || (!optional && CanBeEmpty(declared)))
            return Found.Value;   // a null here is an empty value (see above), which the readers turn into "" or []
        return Missing(index, optional, "no value for it has been received");
    }

    private static bool CanBeEmpty(Descriptor declared)
    {
        foreach (long dimension in declared.ShapeArray)
        {
            if (dimension is Descriptor.VariableDimension or 0)
                return true;
        }
        return false;
    }

    private Found Missing(int index, bool optional, string why)
    {
        if (optional)
            return Found.Missing;
        Error = $"{Subject(index)} is missing: {why}.";
        return Found.Error;
    }

    /// <summary>
    /// The value's own bytes: the last ones of an immediate, the first ones of an addressed item, as many as the
    /// shape (a variable dimension taking the whole elements the bytes hold) and element size call for. Like
    /// <see cref="ItemValueDecoder.GetValueBytes"/>, without its allocation: the descriptor was already checked.
    /// </summary>
    private bool TryBytes(int index, Descriptor received, scoped in ReceivedItem item, out ReadOnlySpan<byte> bytes) =>
        TryBytes(index, received, item, out bytes, out _);

    private bool TryBytes(int index, Descriptor received, scoped in ReceivedItem item, out ReadOnlySpan<byte> bytes, out long elements)
    {
        var raw = item.Span;
        long bitsPerElement = received.NumpyType is { } dtype ? dtype.ItemSize * 8L : received.FormatArray![0].Bits;
        long available = raw.Length * 8L / bitsPerElement;
        long known = 1;
        bool variable = false;
        foreach (long dimension in received.ShapeArray)
        {
            if (dimension == Descriptor.VariableDimension)
                variable = true;
            else
                known *= dimension;   // the declared shape, whose size the generator bounded
        }
        elements = variable ? (known == 0 ? 0 : available / known * known) : known;
        if (elements > available)
        {
            bytes = default;
            return Fail(index, string.Create(CultureInfo.InvariantCulture,
                $"the value has {raw.Length} bytes, too few for its {elements} elements"));
        }
        int length = (int)((elements * bitsPerElement + 7) / 8);
        bytes = item.IsImmediate ? raw.Slice(raw.Length - length) : raw.Slice(0, length);
        return true;
    }

    private bool Fail(int index, string message)
    {
        Error = $"{Subject(index)}: {message.TrimEnd('.')}.";
        return false;
    }

    private bool BoxedType(int index, object? boxed) =>
        Fail(index, $"the item group holds a value of type {boxed?.GetType().Name ?? "null"}, which does not fit the member");

    private string Subject(int index)
    {
        var d = _declared[index];
        return string.Create(CultureInfo.InvariantCulture, $"{_typeName}.{_members[index]}: item '{d.Name}' (0x{d.Id:X})");
    }

    /// <summary>What differs between a received descriptor and the declared one, or null when it matches.</summary>
    internal static string? Mismatch(Descriptor declared, Descriptor received)
    {
        if (received.Id != declared.Id)
            return string.Create(CultureInfo.InvariantCulture, $"ID 0x{received.Id:X} instead of 0x{declared.Id:X}");
        if (!string.Equals(received.Name, declared.Name, StringComparison.Ordinal))
            return $"name '{received.Name}' instead of '{declared.Name}'";
        if (declared.NumpyType is { } dtype)
        {
            if (received.NumpyType is not { } got)
                return "a format instead of a numpy dtype";
            if (got.Kind != dtype.Kind || got.ItemSize != dtype.ItemSize)
                return $"dtype {got} instead of {dtype}";
        }
        else
        {
            var format = declared.FormatArray!;
            if (received.FormatArray is not { } got)
                return "a numpy dtype instead of a format";
            if (!got.AsSpan().SequenceEqual(format))
                return $"format {FormatText(got)} instead of {FormatText(format)}";
        }
        if (!received.ShapeArray.AsSpan().SequenceEqual(declared.ShapeArray))
            return $"shape {ShapeText(received.ShapeArray)} instead of {ShapeText(declared.ShapeArray)}";
        if (declared.ShapeArray.Length > 1 && received.Order != declared.Order)
            return $"{received.Order} order instead of {declared.Order} order";
        return null;
    }

    private static string Describe(Descriptor d) =>
        (d.NumpyType is { } dtype ? $"dtype {dtype}" : $"format {FormatText(d.FormatArray!)}") + $", shape {ShapeText(d.ShapeArray)}";

    private static string FormatText(FormatField[] format)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < format.Length; i++)
            sb.Append(i > 0 ? ", " : "").Append(CultureInfo.InvariantCulture, $"('{format[i].Code}', {format[i].Bits})");
        return sb.Append(']').ToString();
    }

    private static string ShapeText(long[] shape) => shape.Length == 1
        ? string.Create(CultureInfo.InvariantCulture, $"({shape[0]},)")
        : "(" + string.Join(", ", shape) + ")";

    /// <summary>Reads a <paramref name="bits"/>-wide field stored MSB first from the start of <paramref name="bytes"/>.</summary>
    private static ulong ReadField(ReadOnlySpan<byte> bytes, int bits)
    {
        ulong value = 0;
        int count = (bits + 7) / 8;
        foreach (byte b in bytes.Slice(0, count))
            value = (value << 8) | b;
        return value >> (count * 8 - bits);
    }

    internal static void SwapEndianness(Span<byte> data, int elementSize)
    {
        switch (elementSize)
        {
            case 2:
                var u16 = MemoryMarshal.Cast<byte, ushort>(data);
                BinaryPrimitives.ReverseEndianness(u16, u16);
                break;
            case 4:
                var u32 = MemoryMarshal.Cast<byte, uint>(data);
                BinaryPrimitives.ReverseEndianness(u32, u32);
                break;
            case 8:
            case 16:
                // A complex number is two doubles, each swapped on its own.
                var u64 = MemoryMarshal.Cast<byte, ulong>(data);
                BinaryPrimitives.ReverseEndianness(u64, u64);
                break;
        }
    }

    /// <summary>A .NET bool must be 0 or 1; numpy and spead2 read any non-zero byte as true.</summary>
    private static void NormaliseBooleans(Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
            data[i] = data[i] != 0 ? (byte)1 : (byte)0;
    }
}
