// Sends SPEAD heaps on 127.0.0.1 as fast as possible and compares our send path with a raw baseline:
// the same packets built once up front and blasted with the same system-call strategy (sendmmsg,
// UDP GSO, or one sendto per packet). The raw figure is what this machine's loopback allows for that
// strategy; ours/raw says how much the library costs on top.
//
//   dotnet run -c Release --project samples/Bench -- --heap-size 1M --packet-size 1472 --heaps 2000
//
// Options: --heap-size N[K|M]  --packet-size N  --heaps N  --runs N  --mode gso|mmsg|portable
//          --pace 1,5,20 (Gb/s: pacer accuracy instead of the throughput comparison)  --pace-seconds 3
//          --sink read|none  --batch N (packets per batch, raw and zerocopy)  --ours stream|inline|zerocopy|copy

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Spead2.Samples.Bench
{
    /// <summary>The benchmark: ours against the raw baseline, or pacer accuracy. Shared by samples/Bench and `spead2-typed bench`.</summary>
    internal static class BenchProgram
    {
        public static int Run(string[] args)
        {
            var options = BenchOptions.Parse(args);
            if (options is null)
                return 2;
            if (options.PaceGbps.Count > 0)
                return Pacing.Run(options);

            Console.WriteLine($"heap {options.HeapSize} B, packet {options.PacketSize} B, {options.Heaps} heaps/run, {options.Runs} runs, mode {options.Mode}, sink {options.SinkMode}, batch {options.Batch}");
            // The stream picks its path itself: steer it the same way as the raw baseline.
            if (options.Mode == Mode.Portable)
                Environment.SetEnvironmentVariable(Spead2.Send.Native.UdpBatchSender.PortableEnvironmentVariable, "1");
            else if (options.Mode == Mode.Mmsg)
                Environment.SetEnvironmentVariable(Spead2.Send.Native.UdpBatchSender.DisableGsoEnvironmentVariable, "1");
            using var sink = new Sink(options.SinkMode);
            var raw = new RawBlaster(options, sink.EndPoint);
            var ours = OursRunner.Create(options, sink.EndPoint);
            Console.WriteLine($"path: {ours.Describe()}");
            Console.WriteLine($"packets per heap: {raw.PacketsPerHeap}, bytes per heap on the wire: {raw.BytesPerHeap}");

            // Warm up both (JIT tiers, socket buffers), then alternate so that drift hits both alike.
            // Tiered JIT needs a while to reach its final code on a busy machine, hence the long warm-up.
            for (int i = 0; i < 2; i++)
            {
                raw.Run(Math.Max(options.Heaps / 2, 200));
                ours.Run(Math.Max(options.Heaps / 2, 200));
            }
            var rawResults = new List<RunResult>();
            var ourResults = new List<RunResult>();
            for (int run = 0; run < options.Runs; run++)
            {
                rawResults.Add(Measure("raw", () => raw.Run(options.Heaps), sink, options.Heaps));
                ourResults.Add(Measure("ours", () => ours.Run(options.Heaps), sink, options.Heaps));
            }

            Console.WriteLine();
            Console.WriteLine("         Gb/s   Mpkt/s   CPU s  wall s  Gb/CPU-s  calls/heap  alloc B/heap  sink got");
            foreach (var r in rawResults)
                Console.WriteLine(r.Format("raw"));
            foreach (var r in ourResults)
                Console.WriteLine(r.Format("ours"));
            var rawMedian = Median(rawResults);
            var ourMedian = Median(ourResults);
            Console.WriteLine(rawMedian.Format("raw med"));
            Console.WriteLine(ourMedian.Format("ours med"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours/raw = {ourMedian.Gbps / rawMedian.Gbps:F3} (Gb/s), {MedianOf(ourResults, r => r.GbPerCpuSecond) / MedianOf(rawResults, r => r.GbPerCpuSecond):F3} (Gb per CPU second)"));
            ours.Dispose();
            raw.Dispose();
            return 0;
        }

        private static double MedianOf(List<RunResult> results, Func<RunResult, double> key)
        {
            var sorted = results.Select(key).OrderBy(x => x).ToList();
            return sorted[sorted.Count / 2];
        }

        private static RunResult Median(List<RunResult> results)
        {
            var sorted = results.OrderBy(r => r.Gbps).ToList();
            return sorted[sorted.Count / 2];
        }

        private static RunResult Measure(string name, Func<SendCounts> action, Sink sink, int heaps)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var process = Process.GetCurrentProcess();
            long sinkBefore = sink.Packets;
            var cpuBefore = process.TotalProcessorTime;
            // Whole process: the stream's writer thread does the sending.
            long allocBefore = GC.GetTotalAllocatedBytes(precise: true);
            var sw = Stopwatch.StartNew();
            var counts = action();
            sw.Stop();
            long alloc = GC.GetTotalAllocatedBytes(precise: true) - allocBefore;
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpuBefore;
            Thread.Sleep(50);   // let the sink drain what is queued
            return new RunResult(counts.Bytes * 8 / sw.Elapsed.TotalSeconds / 1e9, counts.Packets / sw.Elapsed.TotalSeconds / 1e6,
                cpu.TotalSeconds, sw.Elapsed.TotalSeconds, (double)counts.Calls / heaps, (double)alloc / heaps,
                sink.Packets - sinkBefore, counts.Packets);
        }
    }
}

namespace Spead2.Samples.Bench
{
    internal enum Mode { Gso, Mmsg, Portable }

    internal enum SinkMode { Read, None }

    internal enum OursKind { Stream, Inline, ZeroCopy, Copy }

    internal readonly record struct SendCounts(long Bytes, long Packets, long Calls);

    internal readonly record struct RunResult(double Gbps, double Mpps, double CpuSeconds, double WallSeconds,
        double CallsPerHeap, double AllocPerHeap, long SinkPackets, long SentPackets)
    {
        public string Format(string name) => string.Create(CultureInfo.InvariantCulture,
            $"{name,-8} {Gbps,6:F2} {Mpps,8:F3} {CpuSeconds,7:F2} {WallSeconds,7:F2} {GbPerCpuSecond,9:F2} {CallsPerHeap,11:F1} {AllocPerHeap,13:F1}  {SinkPackets}/{SentPackets}");

        /// <summary>Gigabits sent per CPU second of the process: less sensitive to other load on the machine than Gb/s.</summary>
        public double GbPerCpuSecond => Gbps * WallSeconds / CpuSeconds;
    }

    internal sealed class BenchOptions
    {
        public int HeapSize { get; private set; } = 1 << 20;
        public int PacketSize { get; private set; } = 1472;
        public int Heaps { get; private set; } = 2000;
        public int Runs { get; private set; } = 3;
        // The stream writer hands its transport at most 64 packets per call (SendStream.MaxBatchPackets), so the
        // raw baseline batches the same way by default.
        public int Batch { get; private set; } = 64;
        public Mode Mode { get; private set; } = Mode.Gso;
        public SinkMode SinkMode { get; private set; } = SinkMode.Read;
        public OursKind Ours { get; private set; } = OursKind.Stream;
        public List<double> PaceGbps { get; } = new();
        public double PaceSeconds { get; private set; } = 3;

        public static BenchOptions? Parse(string[] args)
        {
            var o = new BenchOptions();
            for (int i = 0; i < args.Length; i++)
            {
                string value = i + 1 < args.Length ? args[i + 1] : "";
                switch (args[i])
                {
                    case "--heap-size": o.HeapSize = ParseSize(value); i++; break;
                    case "--packet-size": o.PacketSize = ParseSize(value); i++; break;
                    case "--heaps": o.Heaps = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                    case "--runs": o.Runs = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                    case "--batch": o.Batch = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                    case "--mode": o.Mode = Enum.Parse<Mode>(value, ignoreCase: true); i++; break;
                    case "--sink": o.SinkMode = Enum.Parse<SinkMode>(value, ignoreCase: true); i++; break;
                    case "--ours": o.Ours = Enum.Parse<OursKind>(value, ignoreCase: true); i++; break;
                    case "--pace":
                        foreach (var part in value.Split(','))
                            o.PaceGbps.Add(double.Parse(part, CultureInfo.InvariantCulture));
                        i++;
                        break;
                    case "--pace-seconds": o.PaceSeconds = double.Parse(value, CultureInfo.InvariantCulture); i++; break;
                    default:
                        Console.Error.WriteLine($"unknown option {args[i]}");
                        return null;
                }
            }
            return o;
        }

        private static int ParseSize(string text)
        {
            int factor = 1;
            if (text.EndsWith('K') || text.EndsWith('k'))
                factor = 1024;
            else if (text.EndsWith('M') || text.EndsWith('m'))
                factor = 1 << 20;
            if (factor != 1)
                text = text[..^1];
            return checked(int.Parse(text, CultureInfo.InvariantCulture) * factor);
        }
    }

    /// <summary>
    /// A bound UDP socket on 127.0.0.1. In Read mode a thread reads and discards every datagram (like
    /// spead2's sink); in None mode nobody reads, so the kernel drops what overflows the receive buffer.
    /// </summary>
    internal sealed class Sink : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly Thread? _thread;
        private volatile bool _stop;
        private long _packets;

        public Sink(SinkMode mode)
        {
            _socket.ReceiveBufferSize = 4 << 20;
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            if (mode == SinkMode.Read)
            {
                _socket.ReceiveTimeout = 100;
                _thread = new Thread(ReadLoop) { IsBackground = true, Name = "sink" };
                _thread.Start();
            }
        }

        public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

        public long Packets => Interlocked.Read(ref _packets);

        private volatile Recording? _record;
        private int _recorded;

        /// <summary>Arrival times (ns) and sizes of received datagrams, for the pacing measurement.</summary>
        public sealed class Recording(int capacity)
        {
            public long[] Times { get; } = new long[capacity];
            public int[] Sizes { get; } = new int[capacity];
            public int Count { get; set; }
        }

        public void StartRecording(int capacity)
        {
            _recorded = 0;
            _record = new Recording(capacity);
        }

        public Recording StopRecording()
        {
            var r = _record!;
            _record = null;
            Thread.Sleep(200);   // the reader finishes the datagram it is on
            r.Count = Math.Min(_recorded, r.Times.Length);
            return r;
        }

        private void ReadLoop()
        {
            if (OperatingSystem.IsLinux() && Environment.Is64BitProcess)
            {
                KernelTimestampReadLoop();
                return;
            }
            var buffer = new byte[65536];
            while (!_stop)
            {
                try
                {
                    int n = _socket.Receive(buffer);
                    Interlocked.Increment(ref _packets);
                    Record(Stopwatch.GetElapsedTime(0).Ticks * 100, n);
                }
                catch (SocketException)
                {
                    // timeout: check _stop
                }
            }
        }

        private void Record(long timeNs, int size)
        {
            var record = _record;
            if (record is not null && _recorded < record.Times.Length)
            {
                record.Times[_recorded] = timeNs;
                record.Sizes[_recorded] = size;
                _recorded++;
            }
        }

        /// <summary>
        /// Reads with recvmsg and takes each datagram's kernel receive time (SO_TIMESTAMPNS), so that the
        /// reader's own scheduling delays do not show up as bursts.
        /// </summary>
        private unsafe void KernelTimestampReadLoop()
        {
            _socket.SetRawSocketOption(SinkInterop.SolSocket, SinkInterop.SoTimestampNs, BitConverter.GetBytes(1));
            int fd = (int)_socket.SafeHandle.DangerousGetHandle();
            byte* buffer = stackalloc byte[65536];
            byte* control = stackalloc byte[64];
            Spead2.Send.Native.LinuxSocketInterop.IoVec iov;
            iov.Base = buffer;
            iov.Length = 65536;
            while (!_stop)
            {
                Spead2.Send.Native.LinuxSocketInterop.MsgHdr msg = default;
                msg.Iov = &iov;
                msg.IovLength = 1;
                msg.Control = control;
                msg.ControlLength = 64;
                nint n = SinkInterop.RecvMsg(fd, &msg, Spead2.Send.Native.LinuxSocketInterop.MsgDontWait);
                if (n < 0)
                {
                    Spead2.Send.Native.LinuxSocketInterop.PollFd pfd;
                    pfd.Fd = fd;
                    pfd.Events = 1;   // POLLIN
                    pfd.Revents = 0;
                    Spead2.Send.Native.LinuxSocketInterop.Poll(&pfd, 1, 100);
                    continue;
                }
                Interlocked.Increment(ref _packets);
                if (_record is null)
                    continue;
                long ns = 0;
                var cmsg = (Spead2.Send.Native.LinuxSocketInterop.CMsgHdr*)control;
                if (msg.ControlLength >= 32 && cmsg->Level == SinkInterop.SolSocket && cmsg->Type == SinkInterop.SoTimestampNs)
                {
                    long* ts = (long*)(control + 16);
                    ns = ts[0] * 1_000_000_000L + ts[1];
                }
                Record(ns, (int)n);
            }
        }

        public void Dispose()
        {
            _stop = true;
            _thread?.Join();
            _socket.Dispose();
        }
    }
}
