using System.Numerics;
using Spead2.Protocol;
using Spead2.Send;
using Spead2.Typed;

namespace Spead2.Tests.Typed;

/// <summary>
/// The generated builders must put on the wire exactly what the untyped API sends for the same items, built by
/// hand as a spead2 user would (an ItemGroup with the descriptors written out, not taken from the generated code).
/// </summary>
public class ByteExactTests
{
    private static Everything SampleEverything(int seed) => new(
        U8: (byte)(200 + seed), I8: (sbyte)(-100 - seed), I16: (short)(-30000 + seed), U16: (ushort)(60000 + seed),
        I32: -2_000_000_000 + seed, U32: 4_000_000_000u + (uint)seed, I64: long.MinValue + seed, U64: ulong.MaxValue - (ulong)seed,
        I12: -2048 + seed, U40: 0x01_0203_0405UL + (ulong)seed, Flag: seed % 2 == 0, F32: 1.5f + seed, F64: -2.25 + seed,
        F16: (Half)(0.5 + seed), C128: new Complex(1 + seed, -2), Mode: Mode.Scan, Band: "L-" + seed.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)[..3],
        Comment: "comment " + seed, Counts: new[] { 1, -2, 3 + seed }, Weights: new[] { 0.25, 0.5 + seed },
        Raw: [1, 2, 3, (byte)seed], Payload: new byte[] { 9, 8, 7, 6, 5, 4, 3, 2, 1 }, Rows: [-1, 2, -3, 4],
        Spectrum: [new Complex(1, 2), new Complex(3, 4 + seed)], Flags: [true, false, seed % 2 == 1],
        Halves: [(Half)1, (Half)(-2)], History: [Mode.Idle, Mode.Track], Tiny: [7u + (uint)seed]);

    private static string Native(string kindAndSize) => (BitConverter.IsLittleEndian ? "<" : ">") + kindAndSize;

    /// <summary>The same items through the untyped API, each described by hand.</summary>
    private static SendItemGroup UntypedEverything(Flavour flavour, int? descriptorFrequency)
    {
        var g = new SendItemGroup(descriptorFrequency, flavour);
        static FormatField[] F(char c, int b) => [new FormatField(c, b)];
        g.AddItem(0x2000, "u8", "", [], format: F('u', 8));
        g.AddItem(0x2001, "i8", "", [], format: F('i', 8));
        g.AddItem(0x2002, "i16", "", [], format: F('i', 16));
        g.AddItem(0x2003, "u16", "", [], format: F('u', 16));
        g.AddItem(0x2004, "i32", "", [], format: F('i', 32));
        g.AddItem(0x2005, "u32", "", [], format: F('u', 32));
        g.AddItem(0x2006, "i64", "", [], format: F('i', 64));
        g.AddItem(0x2007, "u64", "", [], format: F('u', 64));
        g.AddItem(0x2008, "i12", "", [], format: F('i', 12));
        g.AddItem(0x2009, "u40", "", [], format: F('u', 40));
        g.AddItem(0x200A, "flag", "", [], format: F('b', 8));
        g.AddItem(0x200B, "f32", "", [], format: F('f', 32));
        g.AddItem(0x200C, "f64", "", [], format: F('f', 64));
        g.AddItem(0x200D, "f16", "", [], dtype: Native("f2"));
        g.AddItem(0x200E, "c128", "", [], dtype: Native("c16"));
        g.AddItem(0x200F, "mode", "", [], format: F('u', 8));
        g.AddItem(0x2010, "band", "", [5], format: F('c', 8));
        g.AddItem(0x2011, "comment", "", [-1], format: F('c', 8));
        g.AddItem(0x2012, "counts", "", [3], dtype: Native("i4"));
        g.AddItem(0x2013, "weights", "", [2], dtype: Native("f8"));
        g.AddItem(0x2014, "raw", "", [-1], format: F('u', 8));
        g.AddItem(0x2015, "payload", "", [-1], format: F('u', 8));
        g.AddItem(0x2016, "rows", "", [-1, 2], format: F('i', 8));
        g.AddItem(0x2017, "spectrum", "", [2], dtype: Native("c16"));
        g.AddItem(0x2018, "flags", "", [3], dtype: "|b1");
        g.AddItem(0x2019, "halves", "", [2], dtype: Native("f2"));
        g.AddItem(0x201A, "history", "", [2], dtype: "|u1");
        g.AddItem(0x201B, "tiny", "", [1], dtype: Native("u4"));
        return g;
    }

    private static void SetValues(SendItemGroup g, Everything v)
    {
        g[0x2000].Value = v.U8;
        g[0x2001].Value = v.I8;
        g[0x2002].Value = v.I16;
        g[0x2003].Value = v.U16;
        g[0x2004].Value = v.I32;
        g[0x2005].Value = v.U32;
        g[0x2006].Value = v.I64;
        g[0x2007].Value = v.U64;
        g[0x2008].Value = v.I12;
        g[0x2009].Value = v.U40;
        g[0x200A].Value = v.Flag;
        g[0x200B].Value = v.F32;
        g[0x200C].Value = v.F64;
        g[0x200D].Value = v.F16;
        g[0x200E].Value = v.C128;
        g[0x200F].Value = (byte)v.Mode;
        g[0x2010].Value = v.Band;
        g[0x2011].Value = v.Comment;
        g[0x2012].Value = v.Counts.ToArray();
        g[0x2013].Value = v.Weights.ToArray();
        g[0x2014].Value = v.Raw;
        g[0x2015].Value = v.Payload.ToArray();
        g[0x2016].Value = v.Rows;
        g[0x2017].Value = v.Spectrum;
        g[0x2018].Value = v.Flags;
        g[0x2019].Value = v.Halves;
        g[0x201A].Value = Array.ConvertAll(v.History, m => (byte)m);
        g[0x201B].Value = v.Tiny;
    }

    public static TheoryData<int, int, int?> Flavours => new()
    {
        { 40, 1472, null },
        { 48, 1472, null },
        { 40, 64, 2 },
        { 48, 9000, 3 },
    };

    [Theory]
    [MemberData(nameof(Flavours))]
    public void EveryKindMatchesTheUntypedApi(int heapAddressBits, int maxPacketSize, int? descriptorFrequency)
    {
        var flavour = new Flavour(4, 64, heapAddressBits);
        var config = new StreamConfig { MaxPacketSize = maxPacketSize };
        var typed = new BytesStream(config);
        var untyped = new BytesStream(config);
        var generator = new HeapWriter<Everything>(descriptorFrequency, flavour);
        var group = UntypedEverything(flavour, descriptorFrequency);

        typed.SendHeap(generator.GetStart());
        untyped.SendHeap(group.GetStart());
        var reused = new Heap(flavour);
        for (var i = 0; i < 5; i++)
        {
            var value = SampleEverything(i);
            reused.Clear();
            generator.AddToHeap(value, reused);
            typed.SendHeap(reused);

            SetValues(group, value);
            untyped.SendHeap(group.GetHeap(HeapContents.Stale, HeapContents.All));
        }

        typed.SendHeap(generator.GetEnd());
        untyped.SendHeap(group.GetEnd());
        AssertSameBytes(untyped.GetValue(), typed.GetValue());
    }

    [Fact]
    public void DescriptorsMatchHandWrittenOnesByteForByte()
    {
        var group = UntypedEverything(Flavour.Default, null);
        var typed = Everything.Descriptors;
        Assert.Equal(group.Count, typed.Count);
        foreach (var flavour in new[] { Flavour.Default, new Flavour(4, 64, 48), new Flavour(4, 64, 40, BugCompat.PySpead052) })
        {
            for (var i = 0; i < typed.Count; i++)
            {
                var expected = group[typed[i].Id];
                Assert.Equal(expected.Name, typed[i].Name);
                AssertSameBytes(expected.ToRaw(flavour), typed[i].ToRaw(flavour));
            }
        }
    }

    [Fact]
    public void IssueExampleMatchesTheUntypedApi()
    {
        var vis = new float[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        var typedStream = new BytesStream();
        var generator = new HeapWriter<Dump>();
        typedStream.SendHeap(generator.GetHeap(new Dump(0x1234_5678_9ABC, vis, "3C273")));
        typedStream.SendHeap(generator.GetHeap(new Dump(0x1234_5678_9ABD, vis, "3C273")));

        var items = new SendItemGroup();
        var ts = items.AddItem(0x1600, "timestamp", "ADC sample count of the first sample", [], format: [new FormatField('u', 48)], value: 0x1234_5678_9ABCUL);
        items.AddItem(0x1800, "vis", "Visibilities", [4, 2], dtype: Native("f4"), value: vis);
        items.AddItem(0x1801, "source", "Source name", [-1], format: [new FormatField('c', 8)], value: "3C273");
        var untypedStream = new BytesStream();
        untypedStream.SendHeap(items.GetHeap());
        ts.Value = 0x1234_5678_9ABDUL;
        untypedStream.SendHeap(items.GetHeap(HeapContents.Stale, HeapContents.All));

        AssertSameBytes(untypedStream.GetValue(), typedStream.GetValue());
    }

    [Fact]
    public void RecordStructWithPropertyAndNullSkipsTheItem()
    {
        var typedStream = new BytesStream();
        var generator = new HeapWriter<Tick>();
        typedStream.SendHeap(generator.GetHeap(new Tick(1) { Label = "first" }));
        typedStream.SendHeap(generator.GetHeap(new Tick(2)));

        var items = new SendItemGroup();
        var count = items.AddItem(0x3000, "count", "", [], format: [new FormatField('u', 64)], value: 1UL);
        var label = items.AddItem(0x3001, "label", "A property item", [-1], format: [new FormatField('c', 8)], value: "first");
        var untypedStream = new BytesStream();
        untypedStream.SendHeap(items.GetHeap());
        count.Value = 2UL;
        // The label has no new value: spead2's stale-data rule leaves it out, as the typed null does.
        untypedStream.SendHeap(items.GetHeap());

        AssertSameBytes(untypedStream.GetValue(), typedStream.GetValue());
    }

    private static void AssertSameBytes(byte[] expected, byte[] actual)
    {
        if (expected.AsSpan().SequenceEqual(actual))
        {
            return;
        }

        var at = 0;
        while (at < Math.Min(expected.Length, actual.Length) && expected[at] == actual[at])
        {
            at++;
        }

        var from = Math.Max(0, at - 16);
        Assert.Fail($"Bytes differ at offset {at} (lengths {expected.Length} and {actual.Length}).\n"
            + $"expected: {Convert.ToHexString(expected.AsSpan(from, Math.Min(48, expected.Length - from)))}\n"
            + $"actual:   {Convert.ToHexString(actual.AsSpan(from, Math.Min(48, actual.Length - from)))}");
    }
}
