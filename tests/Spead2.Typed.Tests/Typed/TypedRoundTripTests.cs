using System.Collections;
using System.Net;
using System.Numerics;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Tests.Support;
using Spead2.Typed;

namespace Spead2.Tests.Typed;

public enum RoundTripMode : short { Idle = 0, Tracking = 7, Slewing = -3 }

/// <summary>A record covering every member kind the typed layer supports.</summary>
public partial record EveryKind(
    [SpeadItem(0x1000)] bool Flag,
    [SpeadItem(0x1001)] byte U8,
    [SpeadItem(0x1002)] sbyte I8,
    [SpeadItem(0x1003)] short I16,
    [SpeadItem(0x1004)] ushort U16,
    [SpeadItem(0x1005)] int I32,
    [SpeadItem(0x1006)] uint U32,
    [SpeadItem(0x1007)] long I64,
    [SpeadItem(0x1008, Bits = 48)] ulong Timestamp,
    [SpeadItem(0x1009)] float F32,
    [SpeadItem(0x100A)] double F64,
    [SpeadItem(0x100B)] Half F16,
    [SpeadItem(0x100C)] Complex C128,
    [SpeadItem(0x100D)] RoundTripMode Mode,
    [SpeadItem(0x100E)] string Source,
    [SpeadItem(0x100F, Shape = new[] { 3, 2 })] float[] Vis,
    [SpeadItem(0x1010)] byte[] Raw,
    [SpeadItem(0x1011, Shape = new[] { 4 })] long[] Counts);

public class TypedRoundTripTests
{
    private static EveryKind Sample(int i) => new(
        Flag: i % 2 == 0, U8: (byte)(200 + i), I8: (sbyte)(-100 + i), I16: (short)(-30000 + i), U16: (ushort)(60000 + i),
        I32: -2_000_000_000 + i, U32: 4_000_000_000u + (uint)i, I64: long.MinValue + i, Timestamp: 0xFFFF_FFFF_0000UL + (ulong)i,
        F32: 1.5f * i, F64: -2.25 * i, F16: (Half)(0.5 * i), C128: new Complex(i, -i), Mode: i % 2 == 0 ? RoundTripMode.Slewing : RoundTripMode.Tracking,
        Source: "3C" + (273 + i), Vis: Enumerable.Range(0, 6).Select(j => i + j / 10f).ToArray(),
        Raw: Enumerable.Range(0, i + 1).Select(j => (byte)(j * 37)).ToArray(), Counts: [i, -i, long.MaxValue - i, 0]);

    /// <summary>Every member of the record against the received item of the same ID, compared by value.</summary>
    private static void AssertEqual(EveryKind sent, ItemGroup received)
    {
        object[] members =
        [
            sent.Flag, sent.U8, sent.I8, sent.I16, sent.U16, sent.I32, sent.U32, sent.I64, sent.Timestamp, sent.F32, sent.F64,
            sent.F16, sent.C128, (short)sent.Mode, sent.Source, sent.Vis, sent.Raw, sent.Counts,
        ];
        for (int k = 0; k < members.Length; k++)
        {
            var item = received[0x1000L + k];
            Assert.True(Flatten(members[k]).SequenceEqual(Flatten(item.Value)),
                $"item {item.Name}: sent {RandomSchema.Show(members[k])}, received {RandomSchema.Show(item.Value)}");
        }
    }

    private static IEnumerable<object> Flatten(object? value)
    {
        switch (value)
        {
            case null:
                yield return "null";
                break;
            case string s:
                yield return s;
                break;
            case Array a:
                foreach (var e in a)
                    yield return Normalize(e);
                break;
            case IEnumerable e:
                foreach (var x in e)
                    yield return Normalize(x);
                break;
            default:
                yield return Normalize(value);
                break;
        }
    }

    // Numbers compare by value whatever their CLR type (the wire format fixes the width, not the type).
    private static object Normalize(object value) => value switch
    {
        bool or Complex or string => value,
        float f => (double)f,
        Half h => (double)h,
        double d => d,
        IConvertible c => Convert.ToDecimal(c, System.Globalization.CultureInfo.InvariantCulture),
        _ => value,
    };

    private static async Task ReceiveAndCompare(ReceiveStream stream, int count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var group = new ItemGroup();
        int i = 0;
        await foreach (var heap in stream.WithCancellation(cts.Token))
        {
            using (heap)
            {
                var update = group.Update(heap);
                Assert.Empty(update.Errors);
                if (update.Updated.Count == 0)
                    continue;   // the start heap
                AssertEqual(Sample(i), group);
                i++;
            }
        }
        Assert.Equal(count, i);
    }

    private static async Task SendAll(SendStream stream, int count)
    {
        var generator = new HeapWriter<EveryKind>();
        await stream.SendStartAsync(generator);
        for (int i = 0; i < count; i++)
            await stream.SendAsync(generator, Sample(i));
        await stream.SendEndAsync(generator);
    }

    [Fact]
    public async Task TypedRecordOverBytes()
    {
        var bytes = new BytesStream();
        var generator = new HeapWriter<EveryKind>();
        bytes.SendHeap(generator.GetStart());
        for (int i = 0; i < 5; i++)
            bytes.SendHeap(generator.GetHeap(Sample(i)));
        bytes.SendHeap(generator.GetEnd());
        await using var stream = new ReceiveStream();
        stream.AddBufferReader(bytes.GetValue());
        await ReceiveAndCompare(stream, 5);
    }

    [Fact]
    public async Task TypedRecordOverUdp()
    {
        await using var stream = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 32 });
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var receiving = ReceiveAndCompare(stream, 10);
        await using (var udp = new UdpStream([reader.LocalEndPoint], new Spead2.Send.StreamConfig { Rate = 20e6 }))
            await SendAll(udp, 10);
        await receiving;
    }

    [Fact]
    public async Task TypedRecordOverTcp()
    {
        await using var stream = new ReceiveStream();
        var reader = stream.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var receiving = ReceiveAndCompare(stream, 10);
        await using (var tcp = await TcpStream.ConnectAsync(reader.LocalEndPoint))
            await SendAll(tcp, 10);
        await receiving;
    }

    [Fact]
    public async Task TypedRecordOverInproc()
    {
        var queue = new InprocQueue();
        await using var stream = new ReceiveStream();
        stream.AddInprocReader(queue);
        var receiving = ReceiveAndCompare(stream, 10);
        await using (var inproc = new InprocStream(queue))
            await SendAll(inproc, 10);
        await receiving;
    }
}
