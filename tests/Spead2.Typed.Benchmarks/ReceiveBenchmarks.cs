using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Spead2.Recv;

namespace Spead2.Benchmarks;

/// <summary>
/// Receiving heaps in steady state: the allocated bytes per heap must be 0 (the heap's memory and the
/// heap object come from the receiver's pool and go back when the heap is disposed).
/// <see cref="AssembleHeap"/> is the assembly alone (one 1 MiB heap of 1472-byte packets per
/// operation, as spead2_send makes them); <see cref="ReceiveHeapOverUdp"/> is the whole receiver: a
/// reader thread with batched receive, the ring and an <c>await</c>ing consumer, fed 64 KiB heaps over
/// loopback by a connected socket.
/// </summary>
[MemoryDiagnoser]
public class ReceiveBenchmarks
{
    private const int HeapSize = 1 << 20;
    private const int PacketSize = 1472;
    private const int SmallHeapSize = 64 * 1024;
    private const int HeapsPerInvoke = 16;

    private readonly List<ReceivedHeap> _ready = new(4);
    private HeapAssembler _assembler = null!;
    private byte[][] _packets = [];
    private byte[][] _smallPackets = [];
    private long _cnt;

    private ReceiveStream _stream = null!;
    private Socket _sender = null!;
    private IAsyncEnumerator<ReceivedHeap> _heaps = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _assembler = new HeapAssembler();
        _packets = Encode(HeapSize, PacketSize);
        _smallPackets = Encode(SmallHeapSize, PacketSize);

        _stream = new ReceiveStream();
        var reader = _stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        _sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _sender.Connect(reader.LocalEndPoint);
        _heaps = _stream.GetAsyncEnumerator();
        await Task.CompletedTask;
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _heaps.DisposeAsync();
        await _stream.DisposeAsync();
        _sender.Dispose();
    }

    [Benchmark]
    public int AssembleHeap()
    {
        SetCnt(_packets, ++_cnt);
        foreach (var packet in _packets)
            _assembler.AddPacket(packet, _ready);
        int items = 0;
        foreach (var heap in _ready)
        {
            items += heap.ItemSpan.Length;
            heap.Dispose();
        }
        _ready.Clear();
        return items;
    }

    // 16 heaps per invocation, so that what the harness itself allocates to wait for an asynchronous
    // invocation (about 128 B, whatever the method does) is spread thin and the per-heap cost shows.
    [Benchmark(OperationsPerInvoke = HeapsPerInvoke)]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveHeapOverUdp()
    {
        int items = 0;
        for (int h = 0; h < HeapsPerInvoke; h++)
        {
            SetCnt(_smallPackets, ++_cnt);
            foreach (var packet in _smallPackets)
                _sender.Send(packet);
            if (!await _heaps.MoveNextAsync())
                throw new InvalidOperationException("The receive stream ended.");
            var heap = _heaps.Current;
            items += heap.ItemSpan.Length;
            heap.Dispose();
        }
        return items;
    }

    /// <summary>
    /// The packets of one heap as spead2_send cuts it (SPEAD-64-40: HEAP_CNT, HEAP_LENGTH,
    /// PAYLOAD_OFFSET, PAYLOAD_LENGTH, then in the first packet one addressed item at 0).
    /// </summary>
    private static byte[][] Encode(int heapSize, int packetSize)
    {
        var packets = new List<byte[]>();
        for (int offset = 0; offset < heapSize;)
        {
            int pointers = offset == 0 ? 5 : 4;
            int payload = Math.Min(packetSize - 8 - 8 * pointers, heapSize - offset);
            var p = new byte[8 + 8 * pointers + payload];
            BinaryPrimitives.WriteUInt64BigEndian(p, 0x5304_0305_0000_0000UL | (uint)pointers);
            WriteImmediate(p, 8, 1, 0);
            WriteImmediate(p, 16, 2, (ulong)heapSize);
            WriteImmediate(p, 24, 3, (ulong)offset);
            WriteImmediate(p, 32, 4, (ulong)payload);
            if (offset == 0)
                BinaryPrimitives.WriteUInt64BigEndian(p.AsSpan(40), 0x1000UL << 40);
            p.AsSpan(8 + 8 * pointers).Fill((byte)offset);
            packets.Add(p);
            offset += payload;
        }
        return [.. packets];
    }

    private static void WriteImmediate(byte[] packet, int at, ulong id, ulong value) =>
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(at), (1UL << 63) | (id << 40) | value);

    private static void SetCnt(byte[][] packets, long cnt)
    {
        foreach (var p in packets)
            WriteImmediate(p, 8, 1, (ulong)cnt);
    }
}
