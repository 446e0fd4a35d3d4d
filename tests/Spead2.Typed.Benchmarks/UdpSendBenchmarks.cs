using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Send.Native;

namespace Spead2.Benchmarks;

/// <summary>Which system-call strategy the batch sender uses.</summary>
public enum SendPath { Gso, SendMmsg, Portable }

/// <summary>
/// One 1 MiB heap per operation, pinned, split into packets and sent through the batch sender to a bound
/// 127.0.0.1 socket that nobody reads: the kernel delivers until the receive buffer is full and drops
/// the rest, so this measures the sender side only. Allocated bytes must read 0.
/// </summary>
[MemoryDiagnoser]
public class UdpSendBenchmarks
{
    private Socket? _sink;
    private Socket? _socket;
    private UdpBatchSender? _sender;
    private readonly PinnedHeap _pins = new();
    private readonly Heap _heap = new();
    private byte[] _data = [];
    private long _cnt;

    [Params(1024 * 1024)]
    public int HeapSize { get; set; }

    [Params(1472, 8972)]
    public int PacketSize { get; set; }

    [Params(SendPath.Gso, SendPath.SendMmsg, SendPath.Portable)]
    public SendPath Path { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { SendBufferSize = 512 * 1024 };
        _sender = new UdpBatchSender(_socket, [(IPEndPoint)_sink.LocalEndPoint!], new UdpBatchSenderOptions
        {
            MaxPackets = 256,
            MaxIovecs = 1024,
            ScratchBytes = 256 * 128 + 9000,
            ForcePortable = Path == SendPath.Portable,
            AllowGso = Path == SendPath.Gso,
        });
        _data = new byte[HeapSize];
        new Random(1).NextBytes(_data);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sender?.Dispose();
        _socket?.Dispose();
        _sink?.Dispose();
    }

    [Benchmark]
    public long SendHeap()
    {
        var sender = _sender!;
        _heap.Clear();
        _heap.AddImmediate(0x1600, ++_cnt & 0xFFFFFF);
        _heap.AddItem(0x1601, _data);
        _pins.Pin(_heap);
        var gen = new Packetizer(_heap, _cnt & 0xFFFFFF, PacketSize);
        long bytes = 0;
        while (gen.HasNextPacket)
        {
            if (!sender.HasRoom(gen.PacketSize, 1))
                bytes += Flush(sender);
            HeapBatching.AddPacket(sender, ref gen, _pins, 0);
        }
        bytes += Flush(sender);
        _pins.Unpin();
        return bytes;
    }

    private static long Flush(UdpBatchSender sender)
    {
        sender.Send();
        long bytes = 0;
        for (int i = 0; i < sender.Count; i++)
        {
            if (sender.GetError(i) != SocketError.Success)
                throw sender.CreateException(i);
            bytes += sender.GetLength(i);
        }
        sender.Clear();
        return bytes;
    }
}
