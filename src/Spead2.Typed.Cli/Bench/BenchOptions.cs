namespace Spead2.Cli.Bench;

// What `spead2-typed bench` hands to each of its runners, already checked by BenchCommand: sizes in bytes, rates in
// Gb/s as typed (converted to bytes per second only where a StreamConfig is made), counts of at least one.

/// <summary>One of the benchmarks with its options: what <c>BenchCommand</c> makes of the command line.</summary>
internal abstract record BenchRequest;

/// <summary>Which system calls the UDP stream uses (<c>--mode</c>).</summary>
internal enum SendPath
{
    /// <summary>sendmmsg with UDP GSO where the kernel offers it (the library's default).</summary>
    Gso,

    /// <summary>sendmmsg without GSO: one datagram per message.</summary>
    Mmsg,

    /// <summary>One <c>Socket.SendTo</c> per packet, as on platforms without sendmmsg.</summary>
    Portable,
}

/// <summary>Who reads the loopback socket the benchmark sends to (<c>--sink</c>).</summary>
internal enum SinkMode
{
    /// <summary>A thread reads and discards every datagram, like spead2's sink.</summary>
    Read,

    /// <summary>Nobody reads: the kernel drops what overflows the receive buffer (the sender's cost only).</summary>
    None,
}

/// <summary>
/// Throughput (the default mode): <see cref="Heaps"/> heaps per run through <c>UdpStream.SendHeapAsync</c>,
/// <see cref="Runs"/> measured runs after a warm-up.
/// </summary>
/// <param name="HeapSize">Bytes of the data item of each heap (a timestamp immediate is added).</param>
/// <param name="PacketSize">StreamConfig.MaxPacketSize.</param>
/// <param name="Heaps">Heaps per measured run.</param>
/// <param name="Runs">Measured runs.</param>
/// <param name="Path">The stream's system calls.</param>
/// <param name="Sink">Whether the destination socket is read.</param>
/// <param name="InlineContinuations">StreamConfig.AllowSynchronousContinuations (<c>--ours inline</c>).</param>
internal sealed record ThroughputOptions(int HeapSize, int PacketSize, int Heaps, int Runs, SendPath Path, SinkMode Sink, bool InlineContinuations) : BenchRequest;

/// <summary>Pacer accuracy (<c>--pace</c>): each rate in turn for <see cref="Seconds"/>.</summary>
/// <param name="RatesGbps">Requested rates in Gb/s (10^9 bits of SPEAD packets per second), each above 0.</param>
/// <param name="Seconds">Seconds per rate.</param>
/// <param name="HeapSize">Bytes per heap.</param>
/// <param name="PacketSize">StreamConfig.MaxPacketSize.</param>
/// <param name="BurstRateRatio">StreamConfig.BurstRateRatio.</param>
/// <param name="Path">The stream's system calls.</param>
/// <param name="Sink">Whether the destination socket is read.</param>
internal sealed record PacingOptions(IReadOnlyList<double> RatesGbps, double Seconds, int HeapSize, int PacketSize, double BurstRateRatio,
    SendPath Path, SinkMode Sink) : BenchRequest;

/// <summary>Streams sharing an IOThreadPool against a thread each (<c>--pool-streams</c>).</summary>
/// <param name="StreamCounts">Numbers of streams to compare.</param>
/// <param name="PoolThreads">Threads of the shared pool.</param>
/// <param name="HeapSize">Bytes per heap.</param>
/// <param name="PacketSize">StreamConfig.MaxPacketSize.</param>
/// <param name="HeapsPerStream">Heaps each stream sends per run.</param>
/// <param name="Runs">Runs per arrangement.</param>
internal sealed record PoolOptions(IReadOnlyList<int> StreamCounts, int PoolThreads, int HeapSize, int PacketSize, int HeapsPerStream, int Runs) : BenchRequest;

/// <summary>spead2's spead2_send against our send command, as processes (<c>--vs-spead2</c>).</summary>
/// <param name="Cases">Heap size, packet size and heap count of each case.</param>
/// <param name="Runs">Runs of each sender per case.</param>
/// <param name="MaxHeaps">MaxHeaps (spead2's --max-heaps) of both.</param>
/// <param name="OursCommand">Our sender's command prefix (before <c>send ...</c>); null for this program.</param>
/// <param name="OursArgs">Extra arguments for our sender.</param>
internal sealed record VsSpead2Options(IReadOnlyList<VsSpead2.Case> Cases, int Runs, int MaxHeaps, string? OursCommand, string? OursArgs) : BenchRequest;
