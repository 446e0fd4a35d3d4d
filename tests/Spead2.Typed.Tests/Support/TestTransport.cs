using Microsoft.Extensions.Logging;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.TestSupport;

namespace Spead2.Tests.Support;

/// <summary>
/// A transport for engine tests: records every packet, can hold the writer inside <see cref="Send"/> until the test
/// releases it, and can fail chosen packets.
/// </summary>
internal sealed class TestTransport : CopyingTransport
{
    private readonly object _lock = new();
    private readonly List<(int Substream, byte[] Data)> _packets = [];
    private readonly SemaphoreSlim _permits = new(0);
    private readonly SemaphoreSlim _entered = new(0);

    public TestTransport(int substreams = 1)
        : base(substreams)
    {
    }

    /// <summary>When set, every Send call waits for a <see cref="Release"/>.</summary>
    public volatile bool Gated;

    /// <summary>Returns an error for packets it should fail.</summary>
    public Func<RefPacket, Exception?>? Fail { get; set; }

    /// <summary>When set, Send throws it (a transport bug, not a send error).</summary>
    public Exception? Throw { get; set; }

    public int SendCalls => Volatile.Read(ref SendCallsField);

    /// <summary>Backs <see cref="SendCalls"/>; a field so that another thread can read it with Volatile.Read.</summary>
    public int SendCallsField;

    /// <summary>When set, each Send call adds <see cref="Name"/> to it (the order in which a pool served streams).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string>? Log { get; set; }

    public string Name { get; set; } = "";

    /// <summary>Send calls by managed thread id (where the stream's packets were sent from).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<int, int> SendThreads { get; } = new();

    public bool Disposed { get; private set; }

    /// <summary>
    /// At each Send call: the calling thread, whether it is a .NET thread-pool thread, and its allocated bytes. The
    /// writer usually runs on its I/O thread, but a completion drain may run it inline on a thread-pool thread.
    /// </summary>
    public List<(int Thread, bool ThreadPool, long Bytes)> WriterAllocations { get; } = new(capacity: 100_000); // preallocated: growing it would allocate on the writer

    /// <summary>
    /// Bytes the writer's dedicated threads allocated between the Send calls recorded from index
    /// <paramref name="mark"/> on: the sum over consecutive calls on the same I/O thread, which runs nothing but this
    /// pool's writers. A thread-pool thread also runs unrelated work (other tests' continuations) between two calls,
    /// so its counter says nothing about the writer and is left out. Throws when fewer than
    /// <paramref name="minimumPairs"/> such pairs were recorded (the measurement would say little).
    /// </summary>
    public long WriterBytesSince(int mark, int minimumPairs = 100) => WriterBytesBetween(mark, WriterAllocations.Count, minimumPairs);

    /// <summary>Like <see cref="WriterBytesSince"/>, over the Send calls recorded from index <paramref name="start"/> to before <paramref name="end"/>.</summary>
    public long WriterBytesBetween(int start, int end, int minimumPairs = 100)
    {
        long total = 0;
        int pairs = 0;
        var last = new Dictionary<int, long>();
        for (int i = start; i < end; i++)
        {
            (int thread, bool pool, long bytes) = WriterAllocations[i];
            if (pool)
            {
                continue;
            }
            if (last.TryGetValue(thread, out long previous))
            {
                total += bytes - previous;
                pairs++;
            }
            last[thread] = bytes;
        }
        if (pairs < minimumPairs)
        {
            throw new InvalidOperationException($"Only {pairs} consecutive Send calls on an I/O thread were recorded (at least {minimumPairs} needed).");
        }
        return total;
    }

    public bool TrackAllocations { get; set; }

    public List<(int Substream, byte[] Data)> Packets
    {
        get
        {
            lock (_lock)
            {
                return _packets.ToList();
            }
        }
    }

    public List<RefPacket> Parsed => Packets.Select(p => RefReceiver.ParsePacket(p.Data)).ToList();

    public void Release(int batches = 1) => _permits.Release(batches);

    /// <summary>Waits (bounded) until the writer has entered Send once more.</summary>
    public void WaitForEntry()
    {
        if (!_entered.Wait(TimeSpan.FromSeconds(20)))
        {
            throw new TimeoutException("The writer never called the transport.");
        }
    }

    protected override void Send(ReadOnlySpan<byte> buffer, ReadOnlySpan<PacketSpan> packets, Span<Exception?> errors)
    {
        if (TrackAllocations)
        {
            Thread current = Thread.CurrentThread;
            WriterAllocations.Add((current.ManagedThreadId, current.IsThreadPoolThread, GC.GetAllocatedBytesForCurrentThread()));
            if (Gated && !_permits.Wait(TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("The test never released the transport.");
            }
            return;
        }
        Interlocked.Increment(ref SendCallsField);
        SendThreads.AddOrUpdate(Environment.CurrentManagedThreadId, 1, static (_, n) => n + 1);
        Log?.Enqueue(Name);
        _entered.Release();
        if (Throw is { } bug)
        {
            throw bug;
        }
        if (Gated)
        {
            if (!_permits.Wait(TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("The test never released the transport.");
            }
        }
        lock (_lock)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                byte[] data = buffer.Slice(packets[i].Offset, packets[i].Length).ToArray();
                if (Fail?.Invoke(RefReceiver.ParsePacket(data)) is { } error)
                {
                    errors[i] = error;
                    continue;
                }
                _packets.Add((packets[i].SubstreamIndex, data));
            }
        }
    }

    public override void Dispose() => Disposed = true;
}

/// <summary>A stream on a <see cref="TestTransport"/>.</summary>
internal sealed class TestStream : SendStream
{
    public TestStream(TestTransport transport, StreamConfig? config = null, TimeProvider? timeProvider = null)
        : base(transport, config, timeProvider)
    {
        Transport = transport;
    }

    public TestTransport Transport { get; }
}
