using System.Buffers;
using Spead2.Protocol;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Send.Engine;

/// <summary>
/// Packetizer against the independent reference encoder (and, for the short cases, hand-written hex from
/// spead-protocol.md), one layout rule at a time.
/// </summary>
public class PacketizerVectorTests
{
    public static TheoryData<int> AllHabs => [8, 16, 24, 32, 40, 48, 56];

    private static long UserId(int hab, int k = 0) => Math.Min(0x1000L, (1L << (63 - hab)) - 16) + k;

    private static byte[] Counting(int length, int start = 0)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++)
            b[i] = (byte)(start + i * 7 + i / 256);
        return b;
    }

    [Theory]
    [InlineData(40, 1472)]
    [InlineData(48, 1472)]
    [InlineData(40, 9000)]
    [InlineData(48, 200)]
    public void CommonFlavours_MixedHeap(int hab, int mps)
    {
        var model = new RefHeap(hab)
            .Add(0x1000, Counting(4096))
            .Add(0x1001, Counting(hab / 8, 3))        // immediate, exactly full
            .AddInline(0x1002, 0xABCDEF)
            .Add(0x1003, Counting(1000, 5))
            .Add(0x1004, [1, 2], allowImmediate: false)
            .Add(0x1005, Counting(3, 9));
        WireAssert.MatchesReference(model, 0x123456, mps);
    }

    [Fact]
    public void CommonFlavours_HeaderBytes()
    {
        // §1.2: with 6 pointers a 64-40 packet begins 53 04 03 05 00 00 00 06 and a 64-48 one 53 04 02 06 00 00 00 06.
        foreach (var (hab, prefix) in new[] { (40, "53 04 03 05 00 00 00 06"), (48, "53 04 02 06 00 00 00 06") })
        {
            var heap = new Heap(new Flavour(heapAddressBits: hab));
            heap.AddItem(0x1000, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
            heap.AddItem(0x1001, new byte[20]);
            var packet = CorePackets.Generate(heap, 1, 1472).Single();
            Hex.AssertEqual(Hex.Parse(prefix), packet.AsSpan(0, 8), $"64-{hab}");
        }
    }

    [Theory]
    [MemberData(nameof(AllHabs))]
    public void EveryFlavour_MixedHeap(int hab)
    {
        // 64-8 can address only 255 bytes, so keep this heap small; 64-56 has IDs up to 0x7F only.
        var model = new RefHeap(hab)
            .Add(UserId(hab), Counting(100))
            .Add(UserId(hab, 1), Counting(hab / 8, 1))
            .AddInline(UserId(hab, 2), (1UL << hab) - 1)
            .Add(UserId(hab, 3), Counting(40, 2));
        WireAssert.MatchesReference(model, (1UL << hab) - 1, 64);
        WireAssert.MatchesReference(model, 0, 1472);
    }

    [Fact]
    public void Flavour64_8_PointerLayout()
    {
        // 64-8: 7-byte ID field (55 bits) and a 1-byte value; header bytes 07 01.
        var heap = new Heap(new Flavour(heapAddressBits: 8));
        heap.AddItem(0x1234567890ABCL, new byte[] { 0x5A });
        heap.AddItem(0x7F_FFFF_FFFF_FFFFL, new byte[] { 1, 2 });
        var packet = CorePackets.Generate(heap, 255, 1472).Single();
        Hex.AssertEqual(Hex.Parse("""
            53 04 07 01 00 00 00 06
            80 00 00 00 00 00 01 ff
            80 00 00 00 00 00 02 02
            80 00 00 00 00 00 03 00
            80 00 00 00 00 00 04 02
            81 23 45 67 89 0a bc 5a
            7f ff ff ff ff ff ff 00
            01 02
            """), packet);
    }

    [Fact]
    public void Flavour64_56_PointerLayout()
    {
        // 64-56: 7-bit IDs, 7-byte immediates; header bytes 01 07.
        var heap = new Heap(new Flavour(heapAddressBits: 56));
        heap.AddItem(0x7F, new byte[] { 1, 2, 3, 4, 5, 6, 7 });
        heap.AddImmediate(0x10, (1L << 56) - 1);
        heap.AddItem(0x11, new byte[] { 9, 9, 9, 9, 9, 9, 9, 9 });
        var packet = CorePackets.Generate(heap, 0x00FF_EEDD_CCBB_AA99, 1472).Single();
        Hex.AssertEqual(Hex.Parse("""
            53 04 01 07 00 00 00 07
            81 ff ee dd cc bb aa 99
            82 00 00 00 00 00 00 08
            83 00 00 00 00 00 00 00
            84 00 00 00 00 00 00 08
            ff 01 02 03 04 05 06 07
            90 ff ff ff ff ff ff ff
            11 00 00 00 00 00 00 00
            09 09 09 09 09 09 09 09
            """), packet);
    }

    [Theory]
    [MemberData(nameof(AllHabs))]
    public void Immediate_AtLimitIsImmediate_OneOverIsAddressed(int hab)
    {
        int limit = hab / 8;
        long id = UserId(hab);
        var atLimit = Counting(limit, 0x41);
        var over = Counting(limit + 1, 0x61);
        var packets = WireAssert.MatchesReference(new RefHeap(hab).Add(id, atLimit), 7, 1472);
        var packet = packets.Single();
        // Pointer 4 is the item: mode bit set, value right-aligned; then the NULL pointer and one padding byte.
        Assert.Equal(0x80, packet[40] & 0x80);
        Hex.AssertEqual(atLimit, packet.AsSpan(48 - limit, limit), "immediate value bytes at the end of the pointer");
        Assert.Equal(8 + 8 * 6 + 1, packet.Length);

        packets = WireAssert.MatchesReference(new RefHeap(hab).Add(id, over), 7, 1472);
        packet = packets.Single();
        Assert.Equal(0, packet[40] & 0x80);
        Assert.Equal(8 + 8 * 5 + limit + 1, packet.Length);
        Hex.AssertEqual(over, packet.AsSpan(48), "addressed value as payload");

        // allowImmediate = false forces even a 1-byte value to be addressed.
        packet = WireAssert.MatchesReference(new RefHeap(hab).Add(id, [0x33], allowImmediate: false), 7, 1472).Single();
        Assert.Equal(0, packet[40] & 0x80);
        Assert.Equal(0x33, packet[^1]);
    }

    [Fact]
    public void Immediate_64_40_Examples()
    {
        // §5.5 rows built from raw bytes: <u2 0x1234 keeps its little-endian bytes, right-aligned.
        var heap = new Heap();
        heap.AddItem<ushort>(0x1000, new ushort[] { 0x1234 });
        var packet = CorePackets.Generate(heap, 1, 1472).Single();
        Hex.AssertEqual(Hex.Parse("80 10 00 00 00 00 34 12"), packet.AsSpan(40, 8));
        Hex.AssertEqual(Hex.Parse("00 00 00 00 00 00 00 00 00"), packet.AsSpan(48), "NULL pointer and 1 padding byte");

        heap.Clear();
        heap.AddItem(0x1000, "hello"u8.ToArray());
        packet = CorePackets.Generate(heap, 1, 1472).Single();
        Hex.AssertEqual(Hex.Parse("80 10 00 68 65 6c 6c 6f"), packet.AsSpan(40, 8));

        heap.Clear();
        heap.AddItem<ulong>(0x1000, new ulong[] { 1 }); // 8 > 5 bytes: addressed
        packet = CorePackets.Generate(heap, 1, 1472).Single();
        Hex.AssertEqual(Hex.Parse("00 10 00 00 00 00 00 00 | 01 00 00 00 00 00 00 00"), packet.AsSpan(40));
    }

    [Fact]
    public void Addressed_SplitAcrossPackets_DefaultSize()
    {
        // §3.2: one 4096-byte item at 1472 gives payloads of 1424, 1432 and 1240 bytes.
        var value = Counting(4096);
        var packets = WireAssert.MatchesReference(new RefHeap(40).Add(0x1000, value), 1, 1472);
        Assert.Equal(new[] { 1424, 1432, 1240 }, packets.Select(p => RefReceiver.ParsePacket(p).Payload.Length));
        Assert.Equal(new[] { 1472, 1472, 1280 }, packets.Select(p => p.Length));
    }

    [Theory]
    [InlineData(40, 56)]
    [InlineData(40, 100)]
    [InlineData(48, 1472)]
    [InlineData(48, 9000)]
    [InlineData(16, 333)]
    public void Addressed_SeveralItemsCrossingBoundaries(int hab, int mps)
    {
        var model = new RefHeap(hab);
        int[] lengths = hab == 16 ? [700, 1, 0, 3000, 9, 55] : [5000, 1, 0, 3000, 9, 20000, 8];
        for (int i = 0; i < lengths.Length; i++)
            model.Add(0x1000 + i, Counting(lengths[i], i), allowImmediate: i % 2 == 0);
        WireAssert.MatchesReference(model, 42, mps);
    }

    [Theory]
    [InlineData(72, 3)]     // maxPtrs 3: exactly fills, + NULL overflows
    [InlineData(72, 4)]
    [InlineData(72, 10)]
    [InlineData(1472, 177)]
    [InlineData(1472, 178)] // items == maxPtrs: the NULL pointer goes to a second packet
    [InlineData(1472, 400)]
    [InlineData(56, 7)]     // one pointer per packet
    public void ManyImmediates_OverflowPointers_NullAndPadding(int mps, int count)
    {
        var model = new RefHeap(40);
        for (int i = 0; i < count; i++)
            model.Add(0x1000 + i, [(byte)i, (byte)(i >> 8), 1]);
        var packets = WireAssert.MatchesReference(model, 9, mps);
        int maxPtrs = ((mps & ~7) - 48) / 8;
        int itemPackets = count / maxPtrs + 1;
        var first = RefReceiver.ParsePacket(packets[0]);
        Assert.Equal((ulong)(8 * (itemPackets - 1) + 1), first.HeapLength);
        // The last pointer of the heap is the NULL pointer at address 0.
        var lastWithPointers = RefReceiver.ParsePacket(packets[itemPackets - 1]);
        Assert.Equal(0UL, lastWithPointers.Pointers[^1]);
        Assert.Equal(count + 1, packets.Sum(p => RefReceiver.ParsePacket(p).Pointers.Count - 4));
        Assert.All(packets, p => Assert.All(RefReceiver.ParsePacket(p).Payload, b => Assert.Equal(0, b)));
    }

    [Theory]
    [InlineData(72, 5, 100)]   // enough data: no NULL pointer
    [InlineData(72, 5, 9)]     // exactly minPayload: no NULL pointer
    [InlineData(1472, 500, 2000)]
    public void ManyAddressedItems_OverflowPointers(int mps, int count, int totalBytes)
    {
        var model = new RefHeap(48);
        for (int i = 0; i < count; i++)
            model.Add(0x100 + i, Counting(totalBytes / count + (i == 0 ? totalBytes % count : 0), i), allowImmediate: false);
        var packets = WireAssert.MatchesReference(model, 1, mps);
        Assert.Equal(count, packets.Sum(p => RefReceiver.ParsePacket(p).Pointers.Count - 4));
    }

    [Fact]
    public void DataBeforePadding_WhereSpead2MisplacesIt()
    {
        // §3.10: pointers overflow (4 items, maxPtrs 3) and the addressed payload (2 bytes) is below minPayload (9).
        // spead2 4.4.1 would send 00 00 00 00 00 00 aa bb; the receiver-correct payload is aa bb then padding.
        var heap = new Heap();
        heap.AddImmediate(0x1000, 1);
        heap.AddImmediate(0x1001, 2);
        heap.AddImmediate(0x1002, 3);
        heap.AddItem(0x1003, new byte[] { 0xaa, 0xbb }, allowImmediate: false);
        var packets = CorePackets.Generate(heap, 7, 72);
        Assert.Equal(2, packets.Count);
        Hex.AssertEqual(Hex.Parse("""
            53 04 03 05 00 00 00 07
            80 00 01 00 00 00 00 07
            80 00 02 00 00 00 00 09
            80 00 03 00 00 00 00 00
            80 00 04 00 00 00 00 08
            80 10 00 00 00 00 00 01
            80 10 01 00 00 00 00 02
            80 10 02 00 00 00 00 03
            aa bb 00 00 00 00 00 00
            """), packets[0], "packet 0");
        Hex.AssertEqual(Hex.Parse("""
            53 04 03 05 00 00 00 06
            80 00 01 00 00 00 00 07
            80 00 02 00 00 00 00 09
            80 00 03 00 00 00 00 08
            80 00 04 00 00 00 00 01
            00 10 03 00 00 00 00 00
            00 00 00 00 00 00 00 02
            00
            """), packets[1], "packet 1");
        var model = new RefHeap(40).AddInline(0x1000, 1).AddInline(0x1001, 2).AddInline(0x1002, 3).Add(0x1003, [0xaa, 0xbb], allowImmediate: false);
        WireAssert.MatchesReference(model, 7, 72, heap);
        var received = RefReceiver.Reassemble(packets).Single();
        Assert.Equal(new byte[] { 0xaa, 0xbb }, received.Items.Single(i => i.Id == 0x1003).Value);
    }

    [Fact]
    public void EmptyHeap_Is49Bytes()
    {
        var packet = CorePackets.Generate(new Heap(), 3, 1472).Single();
        Hex.AssertEqual(Hex.Parse("""
            53 04 03 05 00 00 00 05
            80 00 01 00 00 00 00 03
            80 00 02 00 00 00 00 01
            80 00 03 00 00 00 00 00
            80 00 04 00 00 00 00 01
            00 00 00 00 00 00 00 00
            00
            """), packet);
        WireAssert.MatchesReference(new RefHeap(40), 3, 1472);
        WireAssert.MatchesReference(new RefHeap(48), 3, 56);
    }

    [Theory]
    [InlineData(true, "00")]
    [InlineData(false, "02")]
    public void StartAndStopHeaps(bool start, string ctrl)
    {
        // §6.1: a bare start heap in 64-40 with cnt 1 is 57 bytes; a stop heap differs only in the control value.
        var heap = new Heap();
        if (start)
            heap.AddStart();
        else
            heap.AddEnd();
        var packet = CorePackets.Generate(heap, 1, 1472).Single();
        Hex.AssertEqual(Hex.Parse($"""
            53 04 03 05 00 00 00 06
            80 00 01 00 00 00 00 01
            80 00 02 00 00 00 00 01
            80 00 03 00 00 00 00 00
            80 00 04 00 00 00 00 01
            80 00 06 00 00 00 00 {ctrl}
            00 00 00 00 00 00 00 00
            00
            """), packet);
        WireAssert.MatchesReference(new RefHeap(40).AddInline(6, start ? 0UL : 2UL), 1, 1472, heap);
        // §3.6: at 56 bytes a start heap becomes packets of 56 and 49 bytes.
        var small = CorePackets.Generate(heap, 1, 56);
        Assert.Equal(new[] { 56, 49 }, small.Select(p => p.Length));
        WireAssert.MatchesReference(new RefHeap(40).AddInline(6, start ? 0UL : 2UL), 1, 56, heap);
    }

    [Theory]
    [InlineData(40, 72)]
    [InlineData(48, 96)]
    [InlineData(40, 1472)]
    public void RepeatPointers_EveryPacketCarriesAllPointers(int hab, int mps)
    {
        var model = new RefHeap(hab) { RepeatPointers = true }
            .Add(0x1000, Counting(3000))
            .Add(0x1001, [0xde, 0xad]);
        var packets = WireAssert.MatchesReference(model, 0x77, mps);
        Assert.True(packets.Count > 1);
        var firstPointers = RefReceiver.ParsePacket(packets[0]).Pointers.Skip(4).ToArray();
        Assert.All(packets, p => Assert.Equal(firstPointers, RefReceiver.ParsePacket(p).Pointers.Skip(4)));
    }

    [Fact]
    public void RepeatPointers_WithNullPointer()
    {
        // Immediates only (2 items < maxPtrs 3 at 72 bytes): the NULL pointer is part of the repeated set.
        var model = new RefHeap(40) { RepeatPointers = true }.AddInline(0x1000, 5).Add(0x1001, [1, 2, 3]);
        var packet = WireAssert.MatchesReference(model, 1, 72).Single();
        Assert.Equal(0UL, RefReceiver.ParsePacket(packet).Pointers[^1]);
        // maxPtrs - 1 addressed items spanning packets: 57 bytes at 72 - 40 - 2*8 = 16 a packet.
        var model2 = new RefHeap(40) { RepeatPointers = true }.Add(0x1000, Counting(50)).Add(0x1001, Counting(7), allowImmediate: false);
        Assert.Equal(4, WireAssert.MatchesReference(model2, 1, 72).Count);
    }

    [Theory]
    [InlineData(1500, 1496)]
    [InlineData(1503, 1496)]
    [InlineData(1496, 1496)]
    [InlineData(63, 56)]
    [InlineData(9001, 9000)]
    public void PacketSize_RoundedDownToMultipleOf8(int requested, int rounded)
    {
        var model = new RefHeap(40).Add(0x1000, Counting(20000)).AddInline(0x1001, 1);
        var heap = model.ToHeap();
        var atRequested = CorePackets.Generate(heap, 1, requested);
        var atRounded = CorePackets.Generate(heap, 1, rounded);
        Hex.AssertPacketsEqual(atRounded, atRequested);
        Assert.Equal(rounded, atRequested[0].Length);
        Assert.Equal(rounded, new Packetizer(heap, 1, requested).PacketSize);
        WireAssert.MatchesReference(model, 1, requested);
    }

    [Fact]
    public void ZeroLengthItems_AreAddressed_NotZeroByteImmediates()
    {
        // T15: spead2 would send an empty value allowed to be immediate as a 0-byte immediate; we send it addressed.
        var heap = new Heap();
        heap.AddItem(0x1000, ReadOnlyMemory<byte>.Empty);
        var packet = CorePackets.Generate(heap, 1, 1472).Single();
        Hex.AssertEqual(Hex.Parse("""
            53 04 03 05 00 00 00 06
            80 00 01 00 00 00 00 01
            80 00 02 00 00 00 00 01
            80 00 03 00 00 00 00 00
            80 00 04 00 00 00 00 01
            00 10 00 00 00 00 00 00
            00 00 00 00 00 00 00 00
            00
            """), packet);
        Assert.Empty(RefReceiver.Reassemble([packet]).Single().Items); // the receiver drops a zero-length item

        var model = new RefHeap(40)
            .Add(0x1000, [])
            .Add(0x1001, Counting(10))
            .Add(0x1002, [], allowImmediate: false)
            .Add(0x1003, [7])
            .Add(0x1004, []);
        var packets = WireAssert.MatchesReference(model, 1, 1472);
        var pointers = RefReceiver.ParsePacket(packets[0]).Pointers;
        Assert.Equal(0x0010_0000_0000_0000UL, pointers[4]);      // 0x1000 @0
        Assert.Equal(0x0010_0100_0000_0000UL, pointers[5]);      // 0x1001 @0
        Assert.Equal(0x0010_0200_0000_000aUL, pointers[6]);      // 0x1002 @10
        Assert.Equal(0x8010_0300_0000_0007UL, pointers[7]);      // 0x1003 imm 7
        Assert.Equal(0x0010_0400_0000_000aUL, pointers[8]);      // 0x1004 @10, the end of the data
        Assert.Equal(9, pointers.Count);                         // no NULL pointer: the payload is 10 bytes
    }

    [Theory]
    [MemberData(nameof(AllHabs))]
    public void InlineImmediates_FullRange(int hab)
    {
        var model = new RefHeap(hab)
            .AddInline(UserId(hab), 0)
            .AddInline(UserId(hab, 1), 1)
            .AddInline(UserId(hab, 2), (1UL << hab) - 1)
            .AddInline(6, 2);
        var packet = WireAssert.MatchesReference(model, 1, 1472).Single();
        var p = RefReceiver.ParsePacket(packet);
        Assert.Equal(0x8000_0000_0000_0000UL | (ulong)UserId(hab, 2) << hab | ((1UL << hab) - 1), p.Pointers[6]);
    }

    [Fact]
    public void MemorySources_ArraySlices_MemoryManager_Storage_TypedArrays()
    {
        // Every way of adding a value must send the same bytes as the plain byte array the model holds.
        var big = Counting(5000);
        var floats = new float[300];
        for (int i = 0; i < floats.Length; i++)
            floats[i] = i * 0.5f - 7;
        var floatBytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan()).ToArray();
        using var manager = new ArrayMemoryManager(Counting(3000, 11));

        var heap = new Heap(new Flavour(heapAddressBits: 48));
        heap.AddItem(0x1000, big.AsMemory(1000, 2500));                 // array segment with an offset
        heap.AddItem<float>(0x1001, floats.AsMemory(10, 200));          // typed array segment
        heap.AddItem(0x1002, manager.Memory.Slice(100, 1500));          // MemoryManager
        heap.AddItemCopy(0x1003, big.AsSpan(0, 700));                    // heap-owned storage
        big.AsSpan(0, 4).CopyTo(heap.AddItemStorage(0x1004, 4));        // storage filled in place (immediate)
        heap.AddItem<short>(0x1005, new short[] { -2 });                // 2-byte immediate, machine order

        var model = new RefHeap(48)
            .Add(0x1000, big[1000..3500])
            .Add(0x1001, floatBytes[40..840])
            .Add(0x1002, manager.Memory.Slice(100, 1500).ToArray())
            .Add(0x1003, big[..700])
            .Add(0x1004, big[..4])
            .Add(0x1005, BitConverter.GetBytes((short)-2));
        WireAssert.MatchesReference(model, 5, 1472, heap);
        WireAssert.MatchesReference(model, 5, 100, heap);
    }
}
