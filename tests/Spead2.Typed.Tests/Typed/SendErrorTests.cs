using Spead2.Protocol;
using Spead2.Send;
using Spead2.Typed;

namespace Spead2.Tests.Typed;

/// <summary>Send-side errors name <c>Record.Member</c> (and the item), like the receive side.</summary>
public class SendErrorTests
{
    [Fact]
    public async Task ANullRecordIsAnArgumentNullExceptionAtThePublicBoundary()
    {
        var generator = new HeapWriter<Dump>();
        var e = Assert.Throws<ArgumentNullException>("value", () => generator.GetHeap(default(Dump)!));
        Assert.Contains("no Dump to send", e.Message);
        await using var stream = new Spead2.Send.BytesStream();
        await Assert.ThrowsAsync<ArgumentNullException>("value", async () => await stream.SendAsync(generator, default(Dump)!));
        Assert.Throws<ArgumentNullException>("value", () => stream.Send(generator, default(Dump)!));
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void AnIntegerWiderThanItsBitsNamesTheMember()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new HeapWriter<Dump>().GetHeap(new Dump(1UL << 48, new float[8], "x")));
        Assert.Contains("Dump.Timestamp (item 'timestamp', 0x1600)", e.Message);
        Assert.Contains("48 unsigned bits", e.Message);
    }

    [Fact]
    public void AnArrayOfTheWrongLengthNamesTheMemberAndTheShape()
    {
        var e = Assert.Throws<ArgumentException>(() => new HeapWriter<Dump>().GetHeap(new Dump(1, new float[10], "x")));
        Assert.Contains("Dump.Vis (item 'vis', 0x1800)", e.Message);
        Assert.Contains("expected shape (4, 2) = 8 elements, but the value has 10 elements", e.Message);
    }

    [Fact]
    public void StringsNameTheMember()
    {
        var generator = new HeapWriter<Dump>();
        var e = Assert.Throws<ArgumentException>(() => generator.GetHeap(new Dump(1, new float[8], "caf\u00e9")));
        Assert.Contains("Dump.Source", e.Message);
        Assert.Contains("non-ASCII", e.Message);
    }

    [Fact]
    public void AFlatValueForAFortranOrderItemIsRefusedSayingWhatToPass()
    {
        // The analyzers refuse such a member at compile time (SPEAD0015); this is the run-time guard behind them.
        var layout = SpeadLayout.Create("Rec", SpeadItemLayout.Dtype(0x6000, "grid", "", "Grid", [2, 3], 'u', 4, order: ArrayOrder.Fortran));
        var e = Assert.Throws<ArgumentException>(() => SpeadCodec.AddArray<uint>(new Heap(), layout, 0, new uint[6]));
        Assert.Contains("Rec.Grid", e.Message);
        Assert.Contains("rectangular array UInt32[,]", e.Message);
    }

    [Fact]
    public void ALayoutOfAnotherTypeIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Dump.AddItem(new Dump(1, new float[8], "x"), 0, new Heap(), Tick.Layout));
        Assert.Contains("Tick", e.Message);
        Assert.Contains("Dump", e.Message);
    }
}

/// <summary>Options of <see cref="HeapWriter{T}"/> that shape the heaps it builds.</summary>
public class HeapGeneratorOptionTests
{
    [Fact]
    public async Task RepeatPointersReachesEveryHeapItBuilds()
    {
        var value = new Dump(7, [1, 2, 3, 4, 5, 6, 7, 8], "3C273");
        var generator = new HeapWriter<Dump> { RepeatPointers = true };
        Assert.True(generator.GetHeap(value).RepeatPointers);

        // The send extensions' pooled heaps carry it too: the bytes equal a hand-built heap with repeated pointers.
        // Small packets, so that the heap spans several and repeating the pointers changes the bytes.
        var config = new StreamConfig { MaxPacketSize = 96 };
        var sent = new BytesStream(config);
        await sent.SendAsync(generator, value, HeapContents.None, cnt: 1);
        var expected = new Heap { RepeatPointers = true };
        new HeapWriter<Dump>().AddToHeap(value, expected, HeapContents.None);
        var reference = new BytesStream(config);
        reference.SendHeap(expected, cnt: 1);
        Assert.Equal(reference.GetValue(), sent.GetValue());

        var plain = new BytesStream(config);
        await plain.SendAsync(new HeapWriter<Dump>(), value, HeapContents.None, cnt: 1);
        Assert.NotEqual(plain.GetValue(), sent.GetValue());
    }
}
