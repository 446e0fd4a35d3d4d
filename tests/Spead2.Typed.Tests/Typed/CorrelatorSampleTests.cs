using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Correlator;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Typed;

namespace Spead2.Tests.Typed;

/// <summary>
/// samples/Correlator sends katgpucbf's streams as katgpucbf does. The datagrams are captured on loopback sockets and
/// checked with a little packet parser of this file (header, repeated pointers, packet sizes, cnt sequences, timestamps,
/// descriptor and stop heaps, payload bytes: int8, packed 4-bit, little-endian int32), then read back as typed records.
/// </summary>
public class CorrelatorSampleTests
{
    /// <summary>A clock that advances one second each time it is read, so that the descriptor schedule is deterministic.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => 1000;

        public override long GetTimestamp()
        {
            var now = _ticks;
            _ticks += 1000;
            return now;
        }
    }

    private sealed record Packet(int Substream, long Cnt, long HeapLength, long Offset, Dictionary<long, (bool Immediate, long Value)> Items, int ItemCount, byte[] Payload, int Size);

    private sealed record RawHeap(long Cnt, Dictionary<long, (bool Immediate, long Value)> Items, byte[] Payload, List<Packet> Packets)
    {
        public bool IsDescriptors => Items.ContainsKey(0x05) && !Items.ContainsKey(Katgpucbf.TimestampId);

        public bool IsStop => Items.TryGetValue(0x06, out var c) && c.Immediate && c.Value == 2;

        public long Immediate(long id) => Items[id] is { Immediate: true } v ? v.Value : throw new InvalidOperationException($"0x{id:X} is not immediate");

        public byte[] Value(long id)
        {
            // An addressed item runs to the next address (or the end of the heap).
            var start = Items[id].Value;
            var end = (long)Payload.Length;
            foreach (var (_, (immediate, value)) in Items)
            {
                if (!immediate && value > start && value < end)
                {
                    end = value;
                }
            }

            return Payload[(int)start..(int)end];
        }
    }

    private static CorrelatorOptions Small(StreamKind kind, int destinations) => new()
    {
        Kind = kind,
        Destinations = Enumerable.Repeat("127.0.0.1:1", destinations).ToArray(),   // replaced by the capture sockets
        Channels = 64,
        Antennas = 3,
        SpectraPerHeap = 8,
        Accumulation = 2,
        Heaps = 7,
        RateGbps = 0.05,
        Packet = 256,
    };

    /// <summary>Sends through the sample's sender to loopback sockets and returns each substream's datagrams.</summary>
    private static async Task<List<byte[]>[]> CaptureAsync(CorrelatorLayout layout)
    {
        var sockets = new Socket[layout.Substreams];
        var endpoints = new IPEndPoint[sockets.Length];
        for (var i = 0; i < sockets.Length; i++)
        {
            sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 8 << 20 };
            sockets[i].Bind(new IPEndPoint(IPAddress.Loopback, 0));
            endpoints[i] = (IPEndPoint)sockets[i].LocalEndPoint!;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));   // a hang guard, not a timed assertion
            var receiving = sockets.Select(s => Task.Run(() => ReceiveUntilStopAsync(s, timeout.Token))).ToArray();
            await using (var stream = new UdpStream(endpoints, CorrelatorSender.MakeConfig(layout)))
            {
                await CorrelatorSender.RunAsync(layout, stream, timeProvider: new SteppingClock());
            }

            return await Task.WhenAll(receiving);
        }
        finally
        {
            foreach (var s in sockets)
            {
                s.Dispose();
            }
        }
    }

    private static async Task<List<byte[]>> ReceiveUntilStopAsync(Socket socket, CancellationToken cancellationToken)
    {
        var result = new List<byte[]>();
        var buffer = new byte[65536];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            var datagram = buffer[..n];
            result.Add(datagram);
            if (Parse(0, datagram).Items.TryGetValue(0x06, out var control) && control.Value == 2)
            {
                return result;
            }
        }
    }

    // The packet format of the SPEAD specification, for SPEAD-64-48 only.
    private static Packet Parse(int substream, byte[] datagram)
    {
        Assert.Equal(new byte[] { 0x53, 0x04, 0x02, 0x06, 0x00, 0x00 }, datagram[..6]);
        int count = BinaryPrimitives.ReadUInt16BigEndian(datagram.AsSpan(6));
        var items = new Dictionary<long, (bool, long)>();
        long cnt = -1, length = -1, offset = -1, payloadLength = -1;
        for (var i = 0; i < count; i++)
        {
            var pointer = BinaryPrimitives.ReadUInt64BigEndian(datagram.AsSpan(8 + 8 * i));
            var immediate = pointer >> 63 == 1;
            var id = (long)((pointer >> 48) & 0x7FFF);
            var value = (long)(pointer & 0xFFFF_FFFF_FFFF);
            switch (id)
            {
                case 1: cnt = value; break;
                case 2: length = value; break;
                case 3: offset = value; break;
                case 4: payloadLength = value; break;
                default: items[id] = (immediate, value); break;
            }
        }

        var payload = datagram[(8 + 8 * count)..];
        Assert.Equal(payloadLength, payload.Length);
        return new Packet(substream, cnt, length, offset, items, count, payload, datagram.Length);
    }

    private static List<RawHeap> Heaps(int substream, List<byte[]> datagrams)
    {
        var heaps = new List<RawHeap>();
        foreach (var group in datagrams.Select(d => Parse(substream, d)).GroupBy(p => p.Cnt))
        {
            var packets = group.ToList();
            var payload = new byte[packets[0].HeapLength];
            var items = new Dictionary<long, (bool, long)>();
            foreach (var p in packets)
            {
                Assert.Equal(packets[0].HeapLength, p.HeapLength);
                p.Payload.CopyTo(payload, p.Offset);
                foreach (var (id, v) in p.Items)
                {
                    items[id] = v;
                }
            }

            Assert.Equal(payload.Length, packets.Sum(p => p.Payload.Length));   // complete, no overlap
            heaps.Add(new RawHeap(group.Key, items, payload, packets));
        }

        return heaps;
    }

    /// <summary>What katgpucbf would send to each substream, as (cnt, kind) with kind D(escriptors), data batch number, or S(top).</summary>
    private static List<(long Cnt, string Kind)>[] ExpectedSequence(CorrelatorLayout layout)
    {
        var o = layout.Options;
        var n = layout.Substreams;
        var expected = Enumerable.Range(0, n).Select(_ => new List<(long, string)>()).ToArray();
        // F: one sequence (feng_id, n_ants) for the engine; beams: one (offset / cps, channels / cps) for all beams;
        // X: each destination is its own engine with (its offset / cps, channels / cps).
        var next = new long[n];
        long step = o.Kind == StreamKind.Feng ? o.Antennas : o.Channels / layout.ChannelsPerSubstream;
        for (var i = 0; i < n; i++)
        {
            next[i] = o.Kind switch
            {
                StreamKind.Feng => o.FengId,
                StreamKind.Xeng => (o.ChannelOffset / layout.ChannelsPerSubstream) + i,
                _ => o.ChannelOffset / layout.ChannelsPerSubstream,
            };
        }

        var shared = o.Kind != StreamKind.Xeng;
        long Take(int i)
        {
            var index = shared ? 0 : i;
            var cnt = next[index];
            next[index] += step;
            return cnt;
        }

        void Round(string kind)
        {
            for (var i = 0; i < n; i++)
            {
                expected[i].Add((Take(i), kind));
            }
        }

        // The stepping clock reads 1 s after batch 0, 2 s after batch 1...; descriptors at start, then at
        // (feng_id + 1)·interval and every ants·interval for F, every interval for X and beams.
        Round("D");
        double due = o.Kind == StreamKind.Feng ? (o.FengId + 1) * o.DescriptorInterval : o.DescriptorInterval;
        double period = o.Kind == StreamKind.Feng ? o.Antennas * o.DescriptorInterval : o.DescriptorInterval;
        for (var b = 0; b < o.Heaps; b++)
        {
            Round(b.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (b + 1 >= due)
            {
                Round("D");
                due += period;
            }
        }

        Round("S");
        return expected;
    }

    private static string KindOf(RawHeap heap) =>
        heap.IsStop ? "S" : heap.IsDescriptors ? "D" : "?";

    private static async Task<(CorrelatorLayout Layout, List<RawHeap>[] Heaps)> SendAndCheckFramingAsync(CorrelatorOptions options)
    {
        var layout = new CorrelatorLayout(options);
        var datagrams = await CaptureAsync(layout);
        var expected = ExpectedSequence(layout);
        var heaps = new List<RawHeap>[layout.Substreams];
        for (var i = 0; i < layout.Substreams; i++)
        {
            heaps[i] = Heaps(i, datagrams[i]);
            var actual = new List<(long, string)>();
            long batch = 0;
            foreach (var heap in heaps[i])
            {
                if (heap.IsStop || heap.IsDescriptors)
                {
                    Assert.False(heap.Items.ContainsKey(Katgpucbf.TimestampId));   // no values in descriptor and stop heaps
                    actual.Add((heap.Cnt, KindOf(heap)));
                    continue;
                }

                Assert.False(heap.Items.ContainsKey(0x05));   // data heaps carry no descriptors
                actual.Add((heap.Cnt, (batch++).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                foreach (var packet in heap.Packets)
                {
                    // Every packet of a data heap repeats every item pointer (the four packet fields and the items).
                    Assert.Equal(4 + layout.ItemCount, packet.ItemCount);
                    Assert.Equal(layout.ItemCount, packet.Items.Count);
                    Assert.True(packet.Size <= layout.MaxPacketSize, $"packet of {packet.Size} bytes > {layout.MaxPacketSize}");
                    Assert.True(packet.Payload.Length == options.Packet || packet.Offset + packet.Payload.Length == packet.HeapLength,
                        $"only a heap's last packet may carry less than {options.Packet} bytes");
                }
            }

            Assert.Equal(expected[i], actual);
        }

        return (layout, heaps);
    }

    private static IEnumerable<RawHeap> DataHeaps(List<RawHeap> heaps) => heaps.Where(h => !h.IsStop && !h.IsDescriptors);

    private static byte[] Bytes(sbyte[] values) => values.Select(v => (byte)v).ToArray();

    // spead2 packs sub-byte values MSB first: the first value in the high nibble.
    private static byte[] Packed4(sbyte[] values)
    {
        var packed = new byte[values.Length / 2];
        for (var i = 0; i < packed.Length; i++)
        {
            packed[i] = (byte)(((values[2 * i] & 0xF) << 4) | (values[(2 * i) + 1] & 0xF));
        }

        return packed;
    }

    private static byte[] LittleEndian(int[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), values[i]);
        }

        return bytes;
    }

    [Fact]
    public async Task TheFengineStreamIsKatgpucbfs()
    {
        var options = Small(StreamKind.Feng, 2) with { FengId = 1, DescriptorInterval = 2 };
        var (layout, heaps) = await SendAndCheckFramingAsync(options);

        Assert.Equal(32, layout.ChannelsPerSubstream);
        Assert.Equal(8 * 128, layout.TimestampStep);   // spectra per heap × 2·channels
        for (var i = 0; i < 2; i++)
        {
            var expectedRaw = Bytes(HeapSources.Voltages(layout, i, amplitude: 40));
            var k = 0;
            foreach (var heap in DataHeaps(heaps[i]))
            {
                Assert.Equal(k++ * 8 * 128, heap.Immediate(Katgpucbf.TimestampId));
                Assert.Equal(1, heap.Immediate(Katgpucbf.FengIdId));
                Assert.Equal(i * 32, heap.Immediate(Katgpucbf.FrequencyId));
                Assert.Equal(expectedRaw, heap.Value(Katgpucbf.FengRawId));
            }
        }

        // Both substreams' heaps of one timestamp come from one sequence: 1, 4, 7, ... alternately.
        Assert.Equal([1L, 7, 13], heaps[0].Take(3).Select(h => h.Cnt));
        Assert.Equal([4L, 10, 16], heaps[1].Take(3).Select(h => h.Cnt));
    }

    [Fact]
    public async Task FourBitSamplesArePackedTwoToAByte()
    {
        var options = Small(StreamKind.Feng, 1) with { SampleBits = 4, Heaps = 3 };
        var (layout, heaps) = await SendAndCheckFramingAsync(options);

        var values = HeapSources.Voltages(layout, 0, amplitude: 7);
        Assert.All(values, v => Assert.InRange(v, (sbyte)-8, (sbyte)7));
        Assert.Equal(64 * 8 * 2 * 2 / 2, layout.HeapPayload);
        foreach (var heap in DataHeaps(heaps[0]))
        {
            Assert.Equal(Packed4(values), heap.Value(Katgpucbf.FengRawId));
        }
    }

    [Fact]
    public async Task TheXengineStreamIsKatgpucbfs()
    {
        var options = Small(StreamKind.Xeng, 2) with { ChannelsPerSubstream = 16, ChannelOffset = 16 };
        var (layout, heaps) = await SendAndCheckFramingAsync(options);

        Assert.Equal(2 * 3 * 4, layout.Baselines);
        Assert.Equal(2 * 8 * 128, layout.TimestampStep);   // accumulation × spectra per heap × 2·channels
        for (var i = 0; i < 2; i++)
        {
            // Destination i is the X-engine of channels 16 + 16·i: its cnts are 1 + i, 5 + i, 9 + i...
            Assert.Equal([1L + i, 5 + i, 9 + i], heaps[i].Take(3).Select(h => h.Cnt));
            var expectedRaw = LittleEndian(HeapSources.Visibilities(layout, i));
            var k = 0;
            foreach (var heap in DataHeaps(heaps[i]))
            {
                Assert.Equal(k++ * 2 * 8 * 128, heap.Immediate(Katgpucbf.TimestampId));
                Assert.Equal(16 + (16 * i), heap.Immediate(Katgpucbf.FrequencyId));
                Assert.Equal(expectedRaw, heap.Value(Katgpucbf.XengRawId));
            }
        }
    }

    [Fact]
    public async Task TheBeamStreamIsKatgpucbfs()
    {
        var options = Small(StreamKind.Beam, 3) with { ChannelsPerSubstream = 16, ChannelOffset = 32, Heaps = 4 };
        var (layout, heaps) = await SendAndCheckFramingAsync(options);

        for (var i = 0; i < 3; i++)
        {
            var expectedRaw = Bytes(HeapSources.BeamVoltages(layout, i));
            var k = 0;
            foreach (var heap in DataHeaps(heaps[i]))
            {
                Assert.Equal(k++ * 8 * 128, heap.Immediate(Katgpucbf.TimestampId));
                Assert.Equal(32, heap.Immediate(Katgpucbf.FrequencyId));   // every beam covers the same channels
                Assert.Equal(3, heap.Immediate(Katgpucbf.BeamAntsId));
                Assert.Equal(expectedRaw, heap.Value(Katgpucbf.BfRawId));
            }
        }

        // All beams draw from one sequence (2, 4): beam i's first heap (its descriptors) is 2 + 4·i.
        Assert.Equal([2L, 6, 10], heaps.Select(h => h[0].Cnt));
    }

    [Fact]
    public async Task TheStreamsReadBackAsTypedRecordsWithTheirShapes()
    {
        // All three streams into one receiver: the dispatcher sorts them by the items each heap carries.
        var feng = new CorrelatorLayout(Small(StreamKind.Feng, 1) with { Heaps = 2 });
        var xeng = new CorrelatorLayout(Small(StreamKind.Xeng, 1) with { Heaps = 2 });
        var beam = new CorrelatorLayout(Small(StreamKind.Beam, 1) with { Heaps = 2 });
        var bytes = new List<byte>();
        foreach (var layout in new[] { beam, feng, xeng })
        {
            var stream = new BytesStream(CorrelatorSender.MakeConfig(layout));
            await CorrelatorSender.RunAsync(layout, stream, timeProvider: new SteppingClock());
            bytes.AddRange(stream.GetValue());
        }

        await using var receiver = new ReceiveStream(new ReceiveStreamConfig { StopOnStopItem = false });
        receiver.AddBufferReader(bytes.ToArray());
        var dispatcher = new HeapDispatcher()
            .Add<FengHeap>(new SpeadShapes { { nameof(FengHeap.FengRaw), 64, 8, 2, 2 } })
            .Add<XengDump>(new SpeadShapes { { nameof(XengDump.XengRaw), 64, 24, 2 } })
            .Add<BeamHeap>(new SpeadShapes { { nameof(BeamHeap.BfRaw), 64, 8, 2 } });
        var seen = new List<string>();
        await foreach (var (record, cnt) in receiver.ReadAllAsync(dispatcher))
        {
            switch (record)
            {
                case FengHeap f:
                    Assert.Equal(HeapSources.Voltages(feng, 0, amplitude: 40), f.FengRaw);
                    seen.Add($"F{cnt}@{f.Timestamp}");
                    break;
                case XengDump x:
                    Assert.Equal(HeapSources.Visibilities(xeng, 0), x.XengRaw);
                    seen.Add($"X{cnt}@{x.Timestamp}");
                    break;
                case BeamHeap b:
                    Assert.Equal(HeapSources.BeamVoltages(beam, 0), b.BfRaw);
                    Assert.Equal(3UL, b.BeamAnts);
                    seen.Add($"B{cnt}@{b.Timestamp}");
                    break;
            }
        }

        Assert.Equal(["B1@0", "B2@1024", "F3@0", "F6@1024", "X1@0", "X2@2048"], seen);
        Assert.Equal("|i1", dispatcher.Descriptors[Katgpucbf.FengRawId].Dtype);
        Assert.Equal([64L, 8, 2, 2], dispatcher.Descriptors[Katgpucbf.FengRawId].Shape);
        Assert.Equal("<i4", dispatcher.Descriptors[Katgpucbf.XengRawId].Dtype);
        Assert.Equal([64L, 24, 2], dispatcher.Descriptors[Katgpucbf.XengRawId].Shape);
        Assert.Equal("|i1", dispatcher.Descriptors[Katgpucbf.BfRawId].Dtype);
        Assert.Equal([64L, 8, 2], dispatcher.Descriptors[Katgpucbf.BfRawId].Shape);
        Assert.Equal([('u', 48)], dispatcher.Descriptors[Katgpucbf.TimestampId].Format!.Select(f => (f.Code, (int)f.Bits)));
    }

    [Fact]
    public async Task RunningUntilCancelledStillEndsWithStopHeaps()
    {
        // --heaps -1: Ctrl-C cancels the data; the substream still gets its stop heap, so a receiver's loop ends.
        var layout = new CorrelatorLayout(Small(StreamKind.Beam, 1) with { Heaps = -1, RateGbps = 0.01 });
        var stream = new BytesStream(CorrelatorSender.MakeConfig(layout));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var report = await CorrelatorSender.RunAsync(layout, stream, cancellationToken: cancel.Token);

        Assert.True(report.DataHeaps > 0);
        Assert.Equal(1, report.StopHeaps);
        await using var receiver = new ReceiveStream(new ReceiveStreamConfig { StopOnStopItem = false });
        receiver.AddBufferReader(stream.GetValue());
        var stops = 0L;
        var data = 0L;
        await foreach (var heap in receiver)
        {
            using (heap)
            {
                stops += heap.IsEndOfStream ? 1 : 0;
                data += heap.TryGetItem(Katgpucbf.BfRawId, out _) ? 1 : 0;
            }
        }

        Assert.Equal(1, stops);
        Assert.Equal(report.DataHeaps, data);
    }

    [Fact]
    public void TheLayoutFollowsTheOptions()
    {
        var defaults = new CorrelatorLayout(new CorrelatorOptions { Kind = StreamKind.Xeng, Destinations = ["a:1", "b:2", "c:3", "d:4"] });
        Assert.Equal(256, defaults.ChannelsPerSubstream);
        Assert.Equal(40, defaults.Baselines);                // 2·4·5
        Assert.Equal(4L * 256 * 2048, defaults.TimestampStep);
        Assert.Equal(8192 + 64, defaults.MaxPacketSize);
        Assert.Equal(8192 + 72, new CorrelatorLayout(new CorrelatorOptions { Kind = StreamKind.Feng, Destinations = ["a"] }).MaxPacketSize);
        Assert.Equal((3L, 4L), defaults.CntSequence(3, out var shared));
        Assert.False(shared);
    }

    [Theory]
    [InlineData("--sample-bits", "feng", "--sample-bits", "6")]
    [InlineData("--feng-id", "feng", "--feng-id", "4")]
    [InlineData("--channel-offset", "xeng", "--channel-offset", "100")]
    [InlineData("--channel-offset", "xeng", "--channel-offset", "768", "--channels-per-substream", "256", "127.0.0.1:9")]
    [InlineData("--channels-per-substream", "feng", "--channels-per-substream", "256")]
    [InlineData("--heaps", "beam", "--heaps", "-2")]
    public async Task BadOptionsExitWithTwoNamingTheOption(string option, params string[] args)
    {
        var error = new StringWriter();
        var code = await CorrelatorCommand.InvokeAsync([args[0], "127.0.0.1:9", .. args[1..]], TextWriter.Null, error);

        Assert.Equal(2, code);
        Assert.Contains(option, error.ToString());
    }

    [Fact]
    public async Task AnUnknownStreamIsRefused()
    {
        var error = new StringWriter();
        Assert.Equal(2, await CorrelatorCommand.InvokeAsync(["veng", "127.0.0.1:9"], TextWriter.Null, error));
        Assert.Contains("Unknown stream 'veng'", error.ToString());
    }

    [Fact]
    public async Task TheCommandLineSendsToEachDestination()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));   // a hang guard, not a timed assertion
        var receivers = new ReceiveStream[2];
        var ports = new int[2];
        var reads = new Task<List<long>>[2];
        for (var i = 0; i < 2; i++)
        {
            receivers[i] = new ReceiveStream();
            ports[i] = receivers[i].AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0), maxPacketSize: 9000).LocalEndPoint.Port;
            var dispatcher = new HeapDispatcher().Add<XengDump>(new SpeadShapes { { nameof(XengDump.XengRaw), 32, 12, 2 } });
            var receiver = receivers[i];
            reads[i] = Task.Run(async () =>
            {
                var cnts = new List<long>();
                await foreach (var record in receiver.ReadAllAsync(dispatcher, timeout.Token))
                {
                    cnts.Add(record.Cnt);
                }

                return cnts;
            });
        }

        var output = new StringWriter();
        var code = await CorrelatorCommand.InvokeAsync(
            ["xeng", $"127.0.0.1:{ports[0]}", $"127.0.0.1:{ports[1]}", "--channels", "64", "--antennas", "2", "--heaps", "3", "--rate", "0.1", "--packet", "1024"],
            output, TextWriter.Null);

        Assert.Equal(0, code);
        // 32 channels each: X-engine 0 of 2 has cnts 0 (descriptors), 2, 4, 6 (data), 8 (stop); X-engine 1 one more.
        Assert.Equal([2L, 4, 6], await reads[0]);
        Assert.Equal([3L, 5, 7], await reads[1]);
        Assert.Contains("Sent 6 data heaps, 2 descriptor heaps and 2 stop heaps", output.ToString());
        foreach (var r in receivers)
        {
            await r.DisposeAsync();
        }
    }
}
