using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Spead2.Protocol;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Send.Native;

namespace Spead2.Tests.Send.Native;

/// <summary>
/// Packets that reach the wire through the zero-copy batch path (pinned items, headers in scratch,
/// padding from the shared zero block) must equal the packets the generator writes whole.
/// </summary>
[Collection(NativeSendCollection.Name)]
public sealed class HeapBatchingTests : IDisposable
{
    private readonly Socket _receiver = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public HeapBatchingTests()
    {
        _receiver.ReceiveBufferSize = 4 << 20;
        _receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _receiver.ReceiveTimeout = 5000;
    }

    public void Dispose()
    {
        _receiver.Dispose();
        _socket.Dispose();
    }

    [Theory]
    [InlineData(SendMode.Gso, 1472)]
    [InlineData(SendMode.Gso, 200)]
    [InlineData(SendMode.SendMmsg, 1472)]
    [InlineData(SendMode.Portable, 8972)]
    public void MixedItemKindsMatchWholePackets(SendMode mode, int packetSize)
    {
        using var native = new NativeBytes(3000);
        for (int i = 0; i < 3000; i++)
            native.GetSpan()[i] = (byte)(i * 7);
        var bytes = MakeBytes(1, 5000);
        var floats = new float[700];
        for (int i = 0; i < floats.Length; i++)
            floats[i] = i * 0.5f;

        var heap = new Heap();
        heap.AddStart();
        heap.AddImmediate(0x1600, 987654321);
        heap.AddItem(0x1601, bytes.AsMemory(100, 4000));                  // array slice
        heap.AddItem<float>(0x1602, floats);                               // array of another type
        heap.AddItem(0x1603, native.Memory);                               // memory manager
        heap.AddItemCopy(0x1604, MakeBytes(2, 300));                       // heap storage (copied)
        heap.AddItemCopy(0x1605, [1, 2, 3]);                               // immediate
        heap.AddDescriptor(new Descriptor(0x1601, "bytes", "some bytes", [4000], "|u1"));
        heap.AddItem(0x1606, MakeBytes(3, 40));                            // small: copied next to the header
        SendAndCompare(mode, packetSize, [heap], [5]);
    }

    [Theory]
    [InlineData(SendMode.Gso)]
    [InlineData(SendMode.Portable)]
    public void PaddedAndSmallHeapsAcrossBatches(SendMode mode)
    {
        // Start and stop heaps carry one byte of zero padding; many of them overflow small batches.
        var heaps = new List<Heap>();
        var cnts = new List<long>();
        for (int i = 0; i < 40; i++)
        {
            var heap = new Heap();
            if (i % 2 == 0)
                heap.AddStart();
            else
                heap.AddItem(0x1000 + i, MakeBytes(i, 1000 + 37 * i));
            heaps.Add(heap);
            cnts.Add(i + 1);
        }
        SendAndCompare(mode, 1000, heaps, cnts, maxPackets: 16);
    }

    [Theory]
    [InlineData(SendMode.Gso, 1472)]
    [InlineData(SendMode.Gso, 8192)]
    [InlineData(SendMode.Portable, 8192)]
    public void ManySmallItemsFallBackToCopiesWhenGatherEntriesRunShort(SendMode mode, int packetSize)
    {
        // 300 items of 80 bytes: too big for the small-copy threshold, so each wants its own entry, far
        // more than the 2 per packet this batch has; the rest must be copied, with identical bytes.
        var heap = new Heap();
        var arrays = new List<byte[]>();
        for (int i = 0; i < 300; i++)
        {
            var item = MakeBytes(100 + i, 80);
            arrays.Add(item);
            heap.AddItem(0x2000 + i, item);
        }
        SendAndCompare(mode, packetSize, [heap, heap], [1, 2], maxPackets: 8, iovecsPerPacket: 2);
    }

    [Theory]
    [InlineData(SendMode.Gso, 1472)]
    [InlineData(SendMode.Gso, 200)]
    [InlineData(SendMode.SendMmsg, 1472)]
    [InlineData(SendMode.Portable, 1000)]
    public void WholePacketsCopiedIntoTheBatchMatchTheGenerator(SendMode mode, int packetSize)
    {
        // The small-packet writer's path: every kind of item, padding, a last packet shorter than the rest, and
        // heaps that run across batch boundaries.
        var heap = new Heap();
        heap.AddImmediate(0x1600, 42);
        heap.AddItem(0x1601, MakeBytes(1, 20_000));
        heap.AddItemCopy(0x1602, MakeBytes(2, 777));
        heap.AddItem<double>(0x1603, new double[123]);
        var start = new Heap();
        start.AddStart();
        var big = new Heap();
        big.AddItem(0x1604, MakeBytes(3, 100_001));
        SendAndCompare(mode, packetSize, [heap, start, big, heap], [7, 8, 9, 10], maxPackets: 16, wholePackets: true);
    }

    [Fact]
    public void WholePacketMisuseIsReportedLikeTheGeneralMethods()
    {
        using var sender = new UdpBatchSender(_socket, [(IPEndPoint)_receiver.LocalEndPoint!], new UdpBatchSenderOptions
        {
            MaxPackets = 2,
            MaxIovecs = 8,
            ScratchBytes = 2 * (1472 + 8),
        });
        var heap = new Heap();
        heap.AddItem(0x1601, MakeBytes(1, 10_000));
        var gen = new Packetizer(heap, 1, 1472);

        Assert.Throws<ArgumentOutOfRangeException>(() => sender.AddWholePacket(1, ref gen));
        Assert.Equal(0, sender.AddWholePacket(0, ref gen));
        Assert.Equal(1, sender.AddWholePacket(0, ref gen));
        var full = Assert.Throws<InvalidOperationException>(() => sender.AddWholePacket(0, ref gen));
        Assert.Contains("full", full.Message);
        Assert.Equal(1472, sender.GetLength(0));

        // Nothing was consumed by the refused calls: the third packet is still the next one.
        sender.Clear();
        Assert.Equal(0, sender.AddWholePacket(0, ref gen));
        Flush(sender);
        var expected = new Packetizer(heap, 1, 1472);
        var third = new byte[1472];
        int length = 0;
        for (int i = 0; i < 3; i++)
            length = expected.NextPacket(third);
        var receive = new byte[2000];
        int n = _receiver.Receive(receive);
        Assert.Equal(third.AsSpan(0, length).ToArray(), receive.AsSpan(0, n).ToArray());
    }

    private void SendAndCompare(SendMode mode, int packetSize, List<Heap> heaps, List<long> cnts, int maxPackets = 256, int iovecsPerPacket = 4, bool wholePackets = false)
    {
        using var sender = new UdpBatchSender(_socket, [(IPEndPoint)_receiver.LocalEndPoint!], new UdpBatchSenderOptions
        {
            MaxPackets = maxPackets,
            MaxIovecs = maxPackets * iovecsPerPacket,
            ScratchBytes = maxPackets * (packetSize + 8),
            ForcePortable = mode == SendMode.Portable,
            AllowGso = mode == SendMode.Gso,
        });
        var expected = new List<byte[]>();
        var buffer = new byte[packetSize];
        for (int h = 0; h < heaps.Count; h++)
        {
            var gen = new Packetizer(heaps[h], cnts[h], packetSize);
            while (gen.HasNextPacket)
                expected.Add(buffer.AsSpan(0, gen.NextPacket(buffer)).ToArray());
        }

        // Every heap stays pinned until the batch holding its last packets has gone out.
        var pins = new List<PinnedHeap>();
        for (int h = 0; h < heaps.Count; h++)
        {
            var pin = new PinnedHeap();
            pin.Pin(heaps[h]);
            pins.Add(pin);
            var gen = new Packetizer(heaps[h], cnts[h], packetSize);
            if (wholePackets)
            {
                while (gen.HasNextPacket)
                {
                    if (sender.Count == sender.MaxPackets)
                        Flush(sender);
                    Assert.Equal(sender.Count, sender.AddWholePacket(0, ref gen));
                }
                continue;
            }
            while (gen.HasNextPacket)
            {
                if (!sender.HasRoom(gen.PacketSize, 1))
                    Flush(sender);
                HeapBatching.AddPacket(sender, ref gen, pin, 0);
            }
        }
        Flush(sender);
        foreach (var pin in pins)
            pin.Dispose();

        var receive = new byte[70000];
        for (int i = 0; i < expected.Count; i++)
        {
            int n = _receiver.Receive(receive);
            Assert.True(expected[i].AsSpan().SequenceEqual(receive.AsSpan(0, n)), $"packet {i} of {expected.Count} differs ({n} vs {expected[i].Length} bytes)");
        }
        Assert.False(_receiver.Poll(50_000, SelectMode.SelectRead), "extra datagrams");
    }

    [Fact]
    public void PinnedHeapReleasesWhatItPinnedItselfAndLeavesTheCachesArraysPinned()
    {
        var managed = new CountingPins(4000);
        byte[] small = MakeBytes(7, 3000);
        var heap = new Heap();
        heap.AddItem(0x1000, managed.Memory);
        heap.AddItem(0x1001, small);
        var cachedOnly = new Heap();
        cachedOnly.AddItem(0x1002, small);
        using var cache = new PinCache();
        var pin = new PinnedHeap();

        pin.Pin(heap, cache);
        Assert.Equal(1, managed.Pins);
        pin.Unpin();
        Assert.Equal(1, managed.Unpins);
        Assert.Equal(1, cache.Count);   // the small array stays pinned, by the cache

        // Every item from the cache: nothing of the heap's own to release, and the managed item is not touched again.
        pin.Pin(cachedOnly, cache);
        unsafe
        {
            Assert.NotEqual(0, (nint)pin.GetPointer(0));
        }
        pin.Unpin();
        Assert.Equal(1, managed.Unpins);

        // Pinned itself again after a cache-only heap: released again.
        pin.Pin(heap, cache);
        pin.Dispose();
        Assert.Equal(2, managed.Pins);
        Assert.Equal(2, managed.Unpins);
        Assert.Equal(1, cache.Count);
    }

    private static void Flush(UdpBatchSender sender)
    {
        sender.Send();
        for (int i = 0; i < sender.Count; i++)
            Assert.Equal(SocketError.Success, sender.GetError(i));
        sender.Clear();
    }

    private static byte[] MakeBytes(int seed, int size)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Managed memory behind a memory manager that counts its pins and unpins.</summary>
    private sealed unsafe class CountingPins(int length) : MemoryManager<byte>
    {
        private readonly byte[] _data = new byte[length];
        private GCHandle _handle;

        public int Pins { get; private set; }

        public int Unpins { get; private set; }

        public override Span<byte> GetSpan() => _data;

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            Pins++;
            _handle = GCHandle.Alloc(_data, GCHandleType.Pinned);
            return new MemoryHandle((byte*)_handle.AddrOfPinnedObject() + elementIndex, default, this);
        }

        public override void Unpin()
        {
            Unpins++;
            _handle.Free();
        }

        protected override void Dispose(bool disposing)
        {
        }
    }

    /// <summary>Native memory exposed as <see cref="Memory{T}"/> through a memory manager.</summary>
    private sealed unsafe class NativeBytes : MemoryManager<byte>
    {
        private readonly byte* _pointer;
        private readonly int _length;

        public NativeBytes(int length)
        {
            _pointer = (byte*)NativeMemory.AllocZeroed((nuint)length);
            _length = length;
        }

        public override Span<byte> GetSpan() => new(_pointer, _length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing) => NativeMemory.Free(_pointer);
    }
}
