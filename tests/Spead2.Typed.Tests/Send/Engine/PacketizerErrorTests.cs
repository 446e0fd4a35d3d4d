using Spead2.Protocol;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Send.Engine;

/// <summary>
/// Every case spead2 rejects, and every case where spead2 silently corrupts a field (§3.6, T12) that we reject
/// instead: each must throw, name the parameter, and state the limit.
/// </summary>
public class PacketizerErrorTests
{
    private static T Throws<T>(string paramName, string limitText, Action action)
        where T : ArgumentException
    {
        var ex = Assert.Throws<T>(action);
        Assert.Equal(paramName, ex.ParamName);
        Assert.Contains(limitText, ex.Message, StringComparison.OrdinalIgnoreCase);
        return ex;
    }

    [Theory]
    [InlineData(55)]
    [InlineData(50)]
    [InlineData(48)]
    [InlineData(8)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void PacketSize_TooSmallAfterRounding(int maxPacketSize)
    {
        var heap = new Heap();
        heap.AddItem(0x1000, new byte[100]);
        Throws<ArgumentOutOfRangeException>("maxPacketSize", "56", () => _ = new Packetizer(heap, 1, maxPacketSize));
    }

    [Theory]
    [InlineData(56)]
    [InlineData(63)]
    public void PacketSize_56IsEnough(int maxPacketSize)
    {
        var heap = new Heap();
        heap.AddItem(0x1000, new byte[100]);
        var packets = CorePackets.Generate(heap, 1, maxPacketSize);
        Assert.All(packets, p => Assert.True(p.Length <= 56));
    }

    [Theory]
    [InlineData(72, 3)]     // maxPtrs 3: needs items < 3
    [InlineData(72, 4)]
    [InlineData(56, 1)]     // maxPtrs 1
    [InlineData(1472, 178)]
    public void RepeatPointers_DoNotFit(int maxPacketSize, int items)
    {
        var heap = new Heap { RepeatPointers = true };
        for (int i = 0; i < items; i++)
            heap.AddItem(0x1000 + i, new byte[20]);
        // The needed size: 40-byte prefix + the items' pointers + room for a NULL pointer + 8 payload bytes.
        string needed = (40 + 8 * (items + 2)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var ex = Throws<ArgumentOutOfRangeException>("maxPacketSize", "repeat", () => _ = new Packetizer(heap, 1, maxPacketSize));
        Assert.Contains(needed, ex.Message, StringComparison.Ordinal);
        // The size the message names is exactly enough, and one multiple of 8 less is not.
        int neededSize = int.Parse(needed, System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEmpty(CorePackets.Generate(heap, 1, neededSize));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Packetizer(heap, 1, neededSize - 1));
        heap.RepeatPointers = false;
        Assert.NotEmpty(CorePackets.Generate(heap, 1, maxPacketSize));
    }

    [Fact]
    public void HeapPayload_TooLargeForFlavour_64_8()
    {
        var flavour = new Flavour(heapAddressBits: 8);
        var heap = new Heap(flavour);
        heap.AddItem(0x1000, new byte[255]);
        Assert.Equal(255, new Packetizer(heap, 1, 1472).HeapLength); // exactly the limit is fine
        heap.AddItem(0x1001, new byte[1]); // 1 byte is an immediate in 64-8: still 255
        _ = new Packetizer(heap, 1, 1472);
        heap.AddItem(0x1002, new byte[1], allowImmediate: false); // 256 addressed bytes
        Throws<ArgumentOutOfRangeException>("heap", "255", () => _ = new Packetizer(heap, 1, 1472));
    }

    [Fact]
    public void HeapPayload_PaddingAloneTooLargeForFlavour_64_8()
    {
        // 300 immediates at 56 bytes (1 pointer a packet) need 8*300+1 bytes of padding: more than 64-8 addresses.
        var heap = new Heap(new Flavour(heapAddressBits: 8));
        for (int i = 0; i < 300; i++)
            heap.AddImmediate(0x1000 + i, 1);
        Throws<ArgumentOutOfRangeException>("heap", "255", () => _ = new Packetizer(heap, 1, 56));
    }

    [Theory]
    [InlineData(8, -1L)]
    [InlineData(8, 256L)]
    [InlineData(40, 1L << 40)]
    [InlineData(48, 1L << 48)]
    [InlineData(56, 1L << 56)]
    [InlineData(40, long.MinValue)]
    [InlineData(40, long.MaxValue)]
    public void Cnt_OutOfRange(int hab, long cnt)
    {
        var flavour = new Flavour(heapAddressBits: hab);
        var heap = new Heap(flavour);
        string limit = flavour.MaxHeapAddress.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Throws<ArgumentOutOfRangeException>("cnt", limit, () => _ = new Packetizer(heap, cnt, 1472));
        _ = new Packetizer(heap, flavour.MaxHeapAddress, 1472);
        _ = new Packetizer(heap, 0, 1472);
    }

    public static TheoryData<int, long> BadIds => new()
    {
        { 40, 1L << 23 }, { 40, -1 }, { 48, 0x8000 }, { 56, 0x80 }, { 8, 1L << 55 }, { 40, long.MinValue }, { 16, long.MaxValue },
    };

    [Theory]
    [MemberData(nameof(BadIds))]
    public void ItemId_OutOfRange_EveryAddMethod(int hab, long id)
    {
        var flavour = new Flavour(heapAddressBits: hab);
        var heap = new Heap(flavour);
        string limit = $"0x{flavour.MaxItemId:X}";
        Throws<ArgumentOutOfRangeException>("id", limit, () => heap.AddItem(id, new byte[3]));
        Throws<ArgumentOutOfRangeException>("id", limit, () => heap.AddItem(id, new byte[30], allowImmediate: false));
        Throws<ArgumentOutOfRangeException>("id", limit, () => heap.AddItem<float>(id, new float[4]));
        Throws<ArgumentOutOfRangeException>("id", limit, () => heap.AddItemCopy(id, new byte[3]));
        Throws<ArgumentOutOfRangeException>("id", limit, () => heap.AddItemStorage(id, 3));
        Throws<ArgumentOutOfRangeException>("id", limit, () => heap.AddImmediate(id, 1));
        Assert.Equal(0, heap.Count); // nothing half-added
        heap.AddImmediate(flavour.MaxItemId, 1); // the limit itself is fine
        heap.AddItem(flavour.MaxItemId, new byte[20]);
        WireAssert.MatchesReference(new RefHeap(hab).AddInline(flavour.MaxItemId, 1).Add(flavour.MaxItemId, new byte[20]), 1, 1472, heap);
    }

    [Fact]
    public void ItemId_OutOfRange_AddItemFromItem()
    {
        // An Item is created without a flavour, so its ID (fine for 64-40) can be too wide for a 64-48 heap; it must
        // be rejected like every other ID instead of spilling into the mode bit.
        var item = new Item(0x8000, "x", "too wide for 64-48", [], dtype: "<u8", value: 1UL);
        var heap = new Heap(new Flavour(heapAddressBits: 48));
        Throws<ArgumentOutOfRangeException>("id", "0x7FFF", () => heap.AddItem(item));
        Assert.Equal(0, heap.Count);
    }

    [Theory]
    [InlineData(40, -1L)]
    [InlineData(40, 1L << 40)]
    [InlineData(8, 256L)]
    [InlineData(56, 1L << 56)]
    [InlineData(56, long.MinValue)]
    public void ImmediateValue_OutOfRange(int hab, long value)
    {
        var flavour = new Flavour(heapAddressBits: hab);
        var heap = new Heap(flavour);
        string limit = flavour.MaxHeapAddress.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Throws<ArgumentOutOfRangeException>("value", limit, () => heap.AddImmediate(0x10, value));
        Assert.Equal(0, heap.Count);
    }

    [Theory]
    [InlineData(48, 0x8000L, "0x7FFF")]
    [InlineData(56, 0x80L, "0x7F")]
    [InlineData(40, 1L << 23, "0x7FFFFF")]
    public void DescriptorId_OutOfRangeForFlavour(int hab, long id, string limit)
    {
        var descriptor = new Descriptor(id, "x", "desc", [3], dtype: "<u4");
        var heap = new Heap(new Flavour(heapAddressBits: hab));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => heap.AddDescriptor(descriptor));
        Assert.Contains(limit, ex.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(ex.ParamName));
        Assert.Equal(0, heap.Count);
        // The same descriptor fits a flavour with wider IDs (and an address field wide enough for the DESCRIPTOR_ID immediate).
        new Heap(new Flavour(heapAddressBits: 24)).AddDescriptor(descriptor);
    }

    [Fact]
    public void NextPacket_AfterLastPacket_Throws()
    {
        var heap = new Heap();
        var gen = new Packetizer(heap, 1, 1472);
        var buffer = new byte[1472];
        gen.NextPacket(buffer);
        Assert.False(gen.HasNextPacket);
        try
        {
            gen.NextPacket(buffer);
            Assert.Fail("expected InvalidOperationException");
        }
        catch (InvalidOperationException)
        {
        }
    }

    [Fact]
    public void NextPacket_DestinationTooSmall_Throws_AndLosesNothing()
    {
        // 100 bytes hold the header and pointers but not the payload. The failed call must not advance the generator,
        // or a caller that retries with a proper buffer silently skips a packet's worth of payload.
        var value = new byte[3000];
        new Random(5).NextBytes(value);
        var heap = new Heap();
        heap.AddItem(0x1000, value);
        var gen = new Packetizer(heap, 1, 1472);
        try
        {
            gen.NextPacket(new byte[100]);
            Assert.Fail("expected ArgumentException");
        }
        catch (ArgumentException ex)
        {
            Assert.Equal("destination", ex.ParamName);
            Assert.Contains("1472", ex.Message, StringComparison.Ordinal);
        }
        var retried = new List<byte[]>();
        var buffer = new byte[1472];
        while (gen.HasNextPacket)
            retried.Add(buffer.AsSpan(0, gen.NextPacket(buffer)).ToArray());
        Hex.AssertPacketsEqual(CorePackets.Generate(heap, 1, 1472), retried);
    }
}
