using System.Numerics;
using Spead2.Protocol;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Protocol;

public class DescriptorTests
{
    public static TheoryData<string, ArrayOrder, long[], string> NumpyHeaders => new()
    {
        { "<u4", ArrayOrder.C, [], "{'descr': '<u4', 'fortran_order': False, 'shape': ()}" },
        { ">f8", ArrayOrder.C, [5], "{'descr': '>f8', 'fortran_order': False, 'shape': (5,)}" },
        { "<c8", ArrayOrder.Fortran, [2, 3], "{'descr': '<c8', 'fortran_order': True, 'shape': (2, 3)}" },
        { "complex128", ArrayOrder.C, [1], "{'descr': '<c16', 'fortran_order': False, 'shape': (1,)}" },
        { "uint8", ArrayOrder.C, [0], "{'descr': '|u1', 'fortran_order': False, 'shape': (0,)}" },
        { "?", ArrayOrder.C, [], "{'descr': '|b1', 'fortran_order': False, 'shape': ()}" },
        { "S1", ArrayOrder.C, [4], "{'descr': '|S1', 'fortran_order': False, 'shape': (4,)}" },
        { "<i8", ArrayOrder.C, [1, 2, 3], "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2, 3)}" },
        { ">u1", ArrayOrder.C, [], "{'descr': '|u1', 'fortran_order': False, 'shape': ()}" },
        { "<S4", ArrayOrder.C, [], "{'descr': '|S4', 'fortran_order': False, 'shape': ()}" },
    };

    [Theory]
    [MemberData(nameof(NumpyHeaders))]
    public void NumpyHeader_IsPythonRepr(string dtype, ArrayOrder order, long[] shape, string expected) =>
        Assert.Equal(expected, Descriptor.MakeNumpyHeader(dtype, order, shape));

    [Theory]
    [InlineData("")]
    [InlineData("<u3")]
    [InlineData("f16")]
    [InlineData("c4")]
    [InlineData("S0")]
    [InlineData("x4")]
    [InlineData("<b2")]
    public void Dtype_Unsupported_Throws(string dtype)
    {
        var ex = Assert.Throws<ArgumentException>(() => new Descriptor(0x1000, "x", "", [], dtype: dtype));
        Assert.Equal("dtype", ex.ParamName);
    }

    [Fact]
    public void Validation_FollowsSpead2()
    {
        Assert.Equal("format", Assert.Throws<ArgumentException>(() => new Descriptor(0x1000, "x", "", [], dtype: "u1", format: [new('u', 8)])).ParamName);
        Assert.Equal("dtype", Assert.Throws<ArgumentException>(() => new Descriptor(0x1000, "x", "", [])).ParamName);
        Assert.Equal("order", Assert.Throws<ArgumentException>(() => new Descriptor(0x1000, "x", "", [], format: [new('u', 8)], order: ArrayOrder.Fortran)).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentException>(() => new Descriptor(0x1000, "x", "", [-1, -1], format: [new('u', 8)])).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentException>(() => new Descriptor(0x1000, "x", "", [-1], dtype: "u1")).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentOutOfRangeException>(() => new Descriptor(0x1000, "x", "", [-2], format: [new('u', 8)])).ParamName);
        Assert.Equal("format", Assert.Throws<ArgumentException>(() => new Descriptor(0x1000, "x", "", [], format: [])).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => new Descriptor(0x1000, "naïve", "", [], dtype: "u1")).ParamName);
        Assert.Equal("description", Assert.Throws<ArgumentException>(() => new Descriptor(0x1000, "x", "°C", [], dtype: "u1")).ParamName);
        Assert.Equal("id", Assert.Throws<ArgumentOutOfRangeException>(() => new Descriptor(0, "x", "", [], dtype: "u1")).ParamName);
    }

    [Theory]
    [InlineData('f', 16)]
    [InlineData('c', 16)]
    [InlineData('x', 8)]
    [InlineData('u', 0)]
    [InlineData('i', 65)]
    public void Format_Illegal_Throws(char code, int bits)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Descriptor(0x1000, "x", "", [], format: [new(code, bits)]));
        Assert.Equal("format", ex.ParamName);
    }

    [Fact]
    public void DescribedId_MustFitTheFlavour()
    {
        var d = new Descriptor(0x8000, "x", "", [], dtype: "u1");
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => d.ToRaw(new Flavour(heapAddressBits: 48)));
        Assert.Contains("0x7FFF", ex.Message);
        Assert.NotEmpty(d.ToRaw(new Flavour(heapAddressBits: 40)));
    }

    [Fact]
    public void ShapeDimension_MustFitTheField()
    {
        var d = new Descriptor(0x10, "x", "", [256], format: [new('u', 8)]);
        Assert.Throws<ArgumentOutOfRangeException>(() => d.ToRaw(new Flavour(heapAddressBits: 8)));
    }

    [Fact]
    public void FormatRecordWidths_DependOnFlavour()
    {
        // ('u', 4) in 64-40 is 75 00 00 04; in 64-48 75 00 04; in 64-8 it has 7 width bytes.
        var d = new Descriptor(0x10, "", "", [], format: [new('u', 4)]);
        Assert.EndsWith("75 00 00 04", Hex.Format(d.ToRaw(new Flavour(heapAddressBits: 40))).Split(':')[^1]);
        var raw48 = d.ToRaw(new Flavour(heapAddressBits: 48));
        Assert.Equal(Hex.Parse("75 00 04"), raw48[^3..]);
        var raw8 = d.ToRaw(new Flavour(heapAddressBits: 8));
        Assert.Equal(Hex.Parse("75 00 00 00 00 00 00 04"), raw8[^8..]);
    }

    [Fact]
    public void ToRaw_ReturnsACopy_AndEncodingIsCached()
    {
        var d = new Descriptor(0x1000, "x", "", [], dtype: "u1");
        var a = d.ToRaw(Flavour.Default);
        a[0] = 0;
        Assert.Equal(0x53, d.ToRaw(Flavour.Default)[0]);
        Assert.Same(d.GetEncoded(Flavour.Default), d.GetEncoded(new Flavour()));
    }
}

public class ValueEncodingTests
{
    private static byte[] Encode(object value, long[] shape, string? dtype = null, FormatField[]? format = null, ArrayOrder order = ArrayOrder.C) =>
        new Item(0x1000, "v", "", shape, dtype, order, format, value).ToBuffer();

    [Fact]
    public void Format_WholeBytesAreBigEndianPacked() =>
        Assert.Equal(Hex.Parse("0c 3f c0 00 00"), Encode((12, 1.5), [], format: [new('u', 8), new('f', 32)]));

    [Fact]
    public void Format_BitPacked() =>
        Assert.Equal(Hex.Parse("91 79 3f 80 00 00"), Encode((true, 17, 'y', 1.0), [], format: [new('b', 1), new('i', 7), new('c', 8), new('f', 32)]));

    [Fact]
    public void Format_SevenBitArray() =>
        Assert.Equal(Hex.Parse("fe 33 d8"), Encode(new[] { 127, 12, 123 }, [3], format: [new('u', 7)]));

    [Fact]
    public void Format_TwelveBits() =>
        Assert.Equal(Hex.Parse("ab c0"), Encode(0xabc, [], format: [new('u', 12)]));

    [Fact]
    public void Format_SignedNarrow() =>
        Assert.Equal(Hex.Parse("ff ff fe"), Encode(-2, [], format: [new('i', 24)]));

    [Fact]
    public void Format_OutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(1L << 40, [], format: [new('u', 40)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(-1, [], format: [new('u', 8)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(128, [], format: [new('i', 8)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(2, [], format: [new('b', 8)]));
    }

    [Fact]
    public void Format_VariableString()
    {
        Assert.Equal("hello"u8.ToArray(), Encode("hello", [-1], format: [new('c', 8)]));
        Assert.Throws<ArgumentException>(() => Encode("héllo", [-1], format: [new('c', 8)]));
    }

    [Fact]
    public void Format_VariableRows()
    {
        Assert.Equal(Hex.Parse("01 02 03 04"), Encode(new byte[] { 1, 2, 3, 4 }, [-1, 2], format: [new('u', 8)]));
        Assert.Throws<ArgumentException>(() => Encode(new byte[] { 1, 2, 3 }, [-1, 2], format: [new('u', 8)]));
    }

    [Fact]
    public void Dtype_LittleAndBigEndian()
    {
        Assert.Equal(Hex.Parse("34 12 78 56"), Encode(new ushort[] { 0x1234, 0x5678 }, [2], dtype: "<u2"));
        Assert.Equal(Hex.Parse("12 34 56 78"), Encode(new ushort[] { 0x1234, 0x5678 }, [2], dtype: ">u2"));
        Assert.Equal(Hex.Parse("00 00 80 3f"), Encode(1.0f, [], dtype: "<f4"));
        Assert.Equal(Hex.Parse("3c 00"), Encode((Half)1, [], dtype: ">f2"));
    }

    [Fact]
    public void Dtype_Complex()
    {
        Assert.Equal(Hex.Parse("00 00 80 3f 00 00 00 c0"), Encode(new Complex(1, -2), [], dtype: "<c8"));
        Assert.Equal(16, Encode(new[] { Complex.ImaginaryOne }, [1], dtype: "<c16").Length);
    }

    [Fact]
    public void Dtype_FortranOrderTransposesRectangularArrays()
    {
        var value = new byte[,] { { 1, 2, 3 }, { 4, 5, 6 } };
        Assert.Equal(Hex.Parse("01 02 03 04 05 06"), Encode(value, [2, 3], dtype: "u1"));
        Assert.Equal(Hex.Parse("01 04 02 05 03 06"), Encode(value, [2, 3], dtype: "u1", order: ArrayOrder.Fortran));
        Assert.Throws<ArgumentException>(() => Encode(value, [3, 2], dtype: "u1"));
    }

    [Fact]
    public void Dtype_BoolAndBytes()
    {
        Assert.Equal(Hex.Parse("01 00"), Encode(new[] { true, false }, [2], dtype: "?"));
        Assert.Equal("abcd"u8.ToArray(), Encode("abcd", [4], dtype: "S1"));
        Assert.Equal(Hex.Parse("68 69 00 00"), Encode("hi", [], dtype: "S4"));
        Assert.Equal(Hex.Parse("ff 00 80 00"), Encode(new byte[] { 0xff, 0, 0x80 }, [], dtype: "S4"));
        Assert.Equal(Hex.Parse("ff 80"), Encode(new byte[] { 0xff, 0x80 }, [-1], format: [new('c', 8)]));
    }

    [Theory]
    [InlineData(">f4")]
    [InlineData("<f4")]
    public void Dtype_ArrayFastPath_MatchesElementPath(string dtype)
    {
        var values = new float[,] { { 1.5f, -2 }, { 3e9f, float.NaN } };
        object[] boxed = [1.5f, -2f, 3e9f, float.NaN];
        Assert.Equal(Encode(boxed, [2, 2], dtype: dtype), Encode(values, [2, 2], dtype: dtype));
        var complex = new[] { new Complex(1, 2), new Complex(-3, 4.5) };
        Assert.Equal(Encode(complex.Cast<object>().ToArray(), [2], dtype: ">c16"), Encode(complex, [2], dtype: ">c16"));
    }

    [Fact]
    public void WrongElementCount_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Encode(new float[3], [4], dtype: "<f4"));
        Assert.Equal("value", ex.ParamName);
    }

    [Fact]
    public void Item_VersionIncrementsAndNullIsRefused()
    {
        var item = new Item(0x1000, "v", "", [], dtype: "<i4");
        Assert.Equal(1, item.Version);
        Assert.Throws<InvalidOperationException>(() => item.ToBuffer());
        item.Value = 5;
        item.Value = 6;
        Assert.Equal(3, item.Version);
        Assert.Throws<ArgumentNullException>(() => item.Value = null);
        Assert.Throws<ArgumentException>(() => item.Value = "text");
        Assert.Equal(3, item.Version);
    }

    [Fact]
    public void AllowImmediate_FollowsSpead2()
    {
        Assert.True(new Descriptor(0x1000, "a", "", [2], dtype: "u1").AllowImmediate);
        Assert.False(new Descriptor(0x1000, "a", "", [-1], format: [new('u', 8)]).AllowImmediate);
        Assert.False(new Descriptor(0x1000, "a", "", [], format: [new('u', 12)]).AllowImmediate);
        Assert.False(new Descriptor(0x1000, "a", "", [2], format: [new('u', 4)]).AllowImmediate);
    }
}

public class DescriptorIdWidthTests
{
    [Theory]
    [InlineData(8, 0xFF)]
    [InlineData(16, 0xFFFF)]
    [InlineData(24, 0xFF_FFFF)]
    [InlineData(40, 0x7F_FFFF)]
    public void DescribedId_MustFitTheImmediateThatCarriesIt(int hab, long largest)
    {
        var flavour = new Flavour(heapAddressBits: hab);
        Assert.NotEmpty(new Descriptor(largest, "x", "", [], dtype: "u1").ToRaw(flavour));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Descriptor(largest + 1, "x", "", [], dtype: "u1").ToRaw(flavour));
        Assert.Contains($"0x{largest:X}", ex.Message);
    }
}
