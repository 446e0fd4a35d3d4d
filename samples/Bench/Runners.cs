using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Send.Native;

namespace Spead2.Samples.Bench;

/// <summary>The heap both sides send: a 64-bit timestamp immediate and one data item of the heap size.</summary>
internal static class BenchHeap
{
    /// <summary>Total bytes of the heap's packets, counted by packetizing it into a scratch buffer.</summary>
    public static long PacketBytes(Heap heap, int maxPacketSize)
    {
        var packetizer = new Packetizer(heap, 0, maxPacketSize);
        var buffer = new byte[maxPacketSize];
        long total = 0;
        while (packetizer.HasNextPacket)
            total += packetizer.NextPacket(buffer);
        return total;
    }

    public const long TimestampId = 0x1600;
    public const long DataId = 0x1601;

    public static byte[] MakeData(int size)
    {
        var data = GC.AllocateUninitializedArray<byte>(size, pinned: true);
        new Random(42).NextBytes(data);
        return data;
    }

    public static void Fill(Heap heap, byte[] data, long timestamp)
    {
        heap.Clear();
        heap.AddImmediate(TimestampId, timestamp);
        heap.AddItem(DataId, data);
    }

    public static UdpBatchSenderOptions BatchOptions(BenchOptions o) => new()
    {
        MaxPackets = o.Batch,
        MaxIovecs = o.Batch * 4,
        // Headers of a full batch plus one whole packet of reserve (see HeapBatching).
        ScratchBytes = o.Batch * 128 + o.PacketSize + 64,
        ForcePortable = o.Mode == Mode.Portable,
        AllowGso = o.Mode == Mode.Gso,
    };

    /// <summary>Sends the batch, throws for the first packet that failed, and clears it for reuse.</summary>
    public static void SendAndClear(UdpBatchSender sender)
    {
        sender.Send();
        for (int i = 0; i < sender.Count; i++)
        {
            if (sender.GetError(i) != SocketError.Success)
                throw sender.CreateException(i);
        }

        sender.Clear();
    }
}

/// <summary>The physical limit: one heap's packets built once, then sent again and again through the same batch sender.</summary>
internal sealed unsafe class RawBlaster : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly UdpBatchSender _sender;
    private readonly byte* _packets;
    private readonly int[] _offsets;
    private readonly int[] _lengths;

    public RawBlaster(BenchOptions o, IPEndPoint sink)
    {
        _socket.SendBufferSize = 512 * 1024;
        _sender = new UdpBatchSender(_socket, [sink], BenchHeap.BatchOptions(o));
        var heap = new Heap();
        var data = BenchHeap.MakeData(o.HeapSize);
        BenchHeap.Fill(heap, data, 12345);
        long total = BenchHeap.PacketBytes(heap, o.PacketSize);
        _packets = (byte*)NativeMemory.AlignedAlloc((nuint)total, 64);
        var offsets = new List<int>();
        var lengths = new List<int>();
        var gen = new Packetizer(heap, 1, o.PacketSize);
        int offset = 0;
        while (gen.HasNextPacket)
        {
            int n = gen.NextPacket(new Span<byte>(_packets + offset, (int)total - offset));
            offsets.Add(offset);
            lengths.Add(n);
            offset += n;
        }
        _offsets = [.. offsets];
        _lengths = [.. lengths];
        BytesPerHeap = total;
    }

    public int PacketsPerHeap => _offsets.Length;

    public long BytesPerHeap { get; }

    public string Describe() => $"sendmmsg {_sender.UsesSendMmsg}, GSO {_sender.UsesGso} {_sender.FallbackReason}{_sender.GsoUnavailableReason}";

    public SendCounts Run(int heaps)
    {
        long calls = _sender.SendCalls;
        long packets = 0;
        long bytes = 0;
        for (int h = 0; h < heaps; h++)
        {
            for (int i = 0; i < _offsets.Length; i++)
            {
                if (!_sender.HasRoom(0, 1))
                    Flush();
                _sender.BeginPacket(0, 0);
                _sender.AddPayload(_packets + _offsets[i], _lengths[i]);
                _sender.EndPacket();
            }
            packets += _offsets.Length;
            bytes += BytesPerHeap;
        }
        Flush();
        return new SendCounts(bytes, packets, _sender.SendCalls - calls);
    }

    private void Flush() => BenchHeap.SendAndClear(_sender);

    public void Dispose()
    {
        _sender.Dispose();
        _socket.Dispose();
        NativeMemory.AlignedFree(_packets);
    }
}

/// <summary>Our send path, heap by heap.</summary>
internal abstract class OursRunner : IDisposable
{
    public static OursRunner Create(BenchOptions o, IPEndPoint sink) => o.Ours switch
    {
        OursKind.Copy => new CopyRunner(o, sink),
        OursKind.Stream => new StreamRunner(o, sink),
        OursKind.Inline => new StreamRunner(o, sink, synchronousContinuations: true),
        _ => new GeneratorRunner(o, sink),
    };

    public abstract string Describe();

    public abstract SendCounts Run(int heaps);

    public abstract void Dispose();
}

/// <summary>
/// Heap → Packetizer → batch sender, with headers written into the batch's scratch and payload
/// pointing into the (pinned) item array: what the stream's UDP transport does per heap, without the stream engine.
/// </summary>
internal sealed unsafe class GeneratorRunner : OursRunner
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly UdpBatchSender _sender;
    private readonly Heap _heap = new();
    private readonly byte[] _data;
    private readonly int _packetSize;
    private long _cnt = 1;

    public GeneratorRunner(BenchOptions o, IPEndPoint sink)
    {
        _socket.SendBufferSize = 512 * 1024;
        _sender = new UdpBatchSender(_socket, [sink], BenchHeap.BatchOptions(o));
        _data = BenchHeap.MakeData(o.HeapSize);
        _packetSize = o.PacketSize;
    }

    public override string Describe() => $"generator + batch sender: sendmmsg {_sender.UsesSendMmsg}, GSO {_sender.UsesGso} {_sender.FallbackReason}{_sender.GsoUnavailableReason}";

    public override SendCounts Run(int heaps)
    {
        long calls = _sender.SendCalls;
        long packets = 0;
        long bytes = 0;
        for (int h = 0; h < heaps; h++)
        {
            BenchHeap.Fill(_heap, _data, _cnt);
            var gen = new Packetizer(_heap, _cnt++, _packetSize);
            while (gen.HasNextPacket)
            {
                if (!_sender.HasRoom(_packetSize, 1))
                    Flush();
                var scratch = _sender.BeginPacket(0, _packetSize);
                int header = gen.NextPacketHeader(scratch, out _);
                _sender.CommitScratch(header);
                while (gen.TryGetPayloadSegment(out var segment))
                {
                    if (segment.IsPadding)
                        throw new InvalidOperationException("the bench heap is large enough to need no padding");
                    // _data is on the pinned object heap, so its address is stable.
                    var span = gen.GetSegmentBytes(segment);
                    _sender.AddPayload((byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span)), span.Length);
                }
                bytes += _sender.GetLength(_sender.EndPacket());
                packets++;
            }
        }
        Flush();
        return new SendCounts(bytes, packets, _sender.SendCalls - calls);
    }

    private void Flush() => BenchHeap.SendAndClear(_sender);

    public override void Dispose()
    {
        _sender.Dispose();
        _socket.Dispose();
    }
}

/// <summary>
/// Heap → Packetizer writing whole packets (payload copied) into a buffer of up to 64 packets →
/// batch sender, one batch at a time: the shape of a stream writer that copies packets before handing
/// them to the transport.
/// </summary>
internal sealed unsafe class CopyRunner : OursRunner
{
    private const int BatchPackets = 64;
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly UdpBatchSender _sender;
    private readonly Heap _heap = new();
    private readonly byte[] _data;
    private readonly byte[] _buffer;
    private readonly int _packetSize;
    private long _cnt = 1;

    public CopyRunner(BenchOptions o, IPEndPoint sink)
    {
        _socket.SendBufferSize = 512 * 1024;
        _sender = new UdpBatchSender(_socket, [sink], new UdpBatchSenderOptions
        {
            MaxPackets = BatchPackets,
            MaxIovecs = BatchPackets,
            ScratchBytes = 0,
            ForcePortable = o.Mode == Mode.Portable,
            AllowGso = o.Mode == Mode.Gso,
        });
        _data = BenchHeap.MakeData(o.HeapSize);
        _packetSize = o.PacketSize & ~7;
        _buffer = GC.AllocateUninitializedArray<byte>(_packetSize * BatchPackets, pinned: true);
    }

    public override string Describe() => $"generator copying packets into a 64-packet buffer + batch sender: sendmmsg {_sender.UsesSendMmsg}, GSO {_sender.UsesGso}";

    public override SendCounts Run(int heaps)
    {
        long calls = _sender.SendCalls;
        long packets = 0;
        long bytes = 0;
        int used = 0;
        fixed (byte* buffer = _buffer)
        {
            for (int h = 0; h < heaps; h++)
            {
                BenchHeap.Fill(_heap, _data, _cnt);
                var gen = new Packetizer(_heap, _cnt++, _packetSize);
                while (gen.HasNextPacket)
                {
                    if (_sender.Count == BatchPackets)
                    {
                        Flush();
                        used = 0;
                    }
                    int n = gen.NextPacket(_buffer.AsSpan(used, _packetSize));
                    _sender.BeginPacket(0, 0);
                    _sender.AddPayload(buffer + used, n);
                    _sender.EndPacket();
                    used += n;
                    bytes += n;
                    packets++;
                }
            }
            Flush();
        }
        return new SendCounts(bytes, packets, _sender.SendCalls - calls);
    }

    private void Flush() => BenchHeap.SendAndClear(_sender);

    public override void Dispose()
    {
        _sender.Dispose();
        _socket.Dispose();
    }
}

/// <summary>
/// The public API: heaps queued on a <see cref="UdpStream"/> with SendHeapAsync, a few in flight, each
/// heap object reused once its send has completed. This is the whole send path (queue, writer thread,
/// pacer, packet generation, transport).
/// </summary>
internal sealed class StreamRunner : OursRunner
{
    private const int InFlight = 8;
    private readonly UdpStream _stream;
    private readonly Heap[] _heaps = new Heap[InFlight];
    private readonly ValueTask<long>[] _pending = new ValueTask<long>[InFlight];
    private readonly byte[] _data;
    private readonly long _packetsPerHeap;
    private long _timestamp;

    private readonly bool _synchronousContinuations;

    public StreamRunner(BenchOptions o, IPEndPoint sink, double rateBytesPerSecond = 0, bool synchronousContinuations = false)
    {
        _synchronousContinuations = synchronousContinuations;
        var config = new StreamConfig
        {
            MaxPacketSize = o.PacketSize,
            MaxHeaps = InFlight,
            Rate = rateBytesPerSecond,
            AllowSynchronousContinuations = synchronousContinuations,
        };
        _stream = new UdpStream([sink], config);
        _data = BenchHeap.MakeData(o.HeapSize);
        for (int i = 0; i < InFlight; i++)
            _heaps[i] = new Heap();
        BenchHeap.Fill(_heaps[0], _data, 0);
        var gen = new Packetizer(_heaps[0], 1, o.PacketSize);
        while (gen.HasNextPacket)
        {
            gen.NextPacketHeader(new byte[o.PacketSize], out _);
            while (gen.TryGetPayloadSegment(out _))
            {
            }
            _packetsPerHeap++;
        }
    }

    public override string Describe() =>
        $"UdpStream.SendHeapAsync, {InFlight} heaps in flight, continuations {(_synchronousContinuations ? "on the writer thread" : "on the thread pool")} ({UdpBatchSender.PortableEnvironmentVariable}={Environment.GetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable) ?? "unset"}, {UdpBatchSender.DisableGsoEnvironmentVariable}={Environment.GetEnvironmentVariable(UdpBatchSender.DisableGsoEnvironmentVariable) ?? "unset"})";

    public override SendCounts Run(int heaps) => RunAsync(heaps, TimeSpan.Zero).GetAwaiter().GetResult();

    /// <summary>Sends <paramref name="heaps"/> heaps, or for <paramref name="duration"/> when that is positive.</summary>
    public async Task<SendCounts> RunAsync(int heaps, TimeSpan duration)
    {
        long bytes = 0;
        long sent = 0;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (long h = 0; duration > TimeSpan.Zero ? System.Diagnostics.Stopwatch.GetElapsedTime(start) < duration : h < heaps; h++)
        {
            int slot = (int)(h % InFlight);
            if (h >= InFlight)
                bytes += await _pending[slot];
            BenchHeap.Fill(_heaps[slot], _data, ++_timestamp);
            _pending[slot] = _stream.SendHeapAsync(_heaps[slot]);
            sent++;
        }
        for (long h = Math.Max(0, sent - InFlight); h < sent; h++)
            bytes += await _pending[(int)(h % InFlight)];
        return new SendCounts(bytes, sent * _packetsPerHeap, 0);
    }

    public override void Dispose() => _stream.Dispose();
}
