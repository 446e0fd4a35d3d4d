using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Send.Native;

namespace Spead2.Benchmarks;

/// <summary>
/// The user-space part of the UDP writer for small packets, without the system call: a 1 MiB heap copied packet by
/// packet into a send batch (cleared every 64 packets instead of sent). PayloadOnly is the floor: the same payload
/// bytes copied in packet-sized pieces into a buffer of the same size, with no header or bookkeeping.
/// </summary>
[MemoryDiagnoser]
public class BatchFillBenchmarks
{
    private const int BatchPackets = 64;
    private readonly Heap _heap = new();
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private UdpBatchSender _batch = null!;
    private byte[] _data = [];
    private byte[] _buffer = [];
    private long _cnt;

    [Params(1472)]
    public int PacketSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[1 << 20];
        new Random(1).NextBytes(_data);
        _heap.AddImmediate(0x1600, 123456789);
        _heap.AddItem(0x1601, _data);
        _batch = HeapBatching.CreateUdpGatherBatch(_socket, [new IPEndPoint(IPAddress.Loopback, 9)], BatchPackets, PacketSize);
        _buffer = new byte[BatchPackets * (PacketSize + 8)];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _socket.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int PayloadOnly()
    {
        int payload = PacketSize - Packetizer.PrefixSize;
        int used = 0;
        int count = 0;
        for (int offset = 0; offset < _data.Length; offset += payload)
        {
            if (count == BatchPackets)
            {
                used = 0;
                count = 0;
            }
            int n = Math.Min(payload, _data.Length - offset);
            _data.AsSpan(offset, n).CopyTo(_buffer.AsSpan(used + Packetizer.PrefixSize));
            used += n + Packetizer.PrefixSize;
            count++;
        }
        return used;
    }

    [Benchmark]
    public int CopiedIntoBatch()
    {
        var generator = new Packetizer(_heap, ++_cnt & 0xFFFFFF, PacketSize);
        int total = 0;
        while (generator.HasNextPacket)
        {
            if (_batch.Count == BatchPackets)
            {
                _batch.Clear();
            }
            total += _batch.GetLength(_batch.AddWholePacket(0, ref generator));
        }
        _batch.Clear();
        return total;
    }
}
