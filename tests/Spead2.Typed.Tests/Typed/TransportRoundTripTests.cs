using System.Net;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Typed;

namespace Spead2.Tests.Typed;

/// <summary>A record using every new layout feature at once: run-time shapes, byte order, packed 4-bit ints, variable multi-byte dimensions.</summary>
public partial record Mixed(
    [SpeadItem(0x1600, Bits = 48)] ulong Timestamp,
    [SpeadItem(0x1800, Shape = new[] { SpeadDimension.RunTime, 2 }, ByteOrder = SpeadByteOrder.LittleEndian)] int[] Vis,
    [SpeadItem(0x1801, Bits = 4, Shape = new[] { SpeadDimension.RunTime, 2 })] sbyte[] Samples,
    [SpeadItem(0x1802)] double[] Spectrum,
    [SpeadItem(0x1803, Shape = new[] { 2, SpeadDimension.RunTime }, Order = ArrayOrder.Fortran, ByteOrder = SpeadByteOrder.BigEndian)] short[,] Grid);

/// <summary>Records with run-time shapes and variable dimensions come back equal over bytes, UDP and TCP.</summary>
public class TransportRoundTripTests
{
    private const int Rows = 300;   // 300 x 2 x 4 bytes: several packets per heap

    private static readonly SpeadShapes Shapes = new()
    {
        { nameof(Mixed.Vis), Rows, 2 },
        { nameof(Mixed.Samples), 5, 2 },
        { nameof(Mixed.Grid), 2, 3 },
    };

    private static Mixed Sample(int i)
    {
        var grid = new short[2, 3];
        for (var r = 0; r < 2; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                grid[r, c] = (short)(i * 100 + r * 10 + c - 50);
            }
        }

        return new Mixed(
            (ulong)i * 8192,
            Enumerable.Range(0, Rows * 2).Select(k => k * (i + 1) - 300).ToArray(),
            Enumerable.Range(0, 10).Select(k => (sbyte)((k + i) % 16 - 8)).ToArray(),
            Enumerable.Range(0, i + 1).Select(k => k * 0.5 - i).ToArray(),
            grid);
    }

    private static void AssertEqual(Mixed expected, Mixed actual)
    {
        Assert.Equal(expected.Timestamp, actual.Timestamp);
        Assert.Equal(expected.Vis, actual.Vis);
        Assert.Equal(expected.Samples, actual.Samples);
        Assert.Equal(expected.Spectrum, actual.Spectrum);
        Assert.Equal(expected.Grid, actual.Grid);
    }

    private static async Task SendAllAsync(SendStream stream, int count)
    {
        var generator = new HeapWriter<Mixed>(Shapes, flavour: new Flavour(heapAddressBits: 48));
        await stream.SendStartAsync(generator);
        for (var i = 0; i < count; i++)
        {
            await stream.SendAsync(generator, Sample(i));
        }

        await stream.SendEndAsync(generator);
    }

    private static async Task ReceiveAndCompareAsync(ReceiveStream stream, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));   // a hang guard, not a timed assertion
        var reader = new HeapReader<Mixed>(Shapes);
        var i = 0;
        while (await stream.ReadAsync(timeout.Token) is { } heap)
        {
            using (heap)
            {
                if (reader.TryRead(heap, out var value))
                {
                    AssertEqual(Sample(i++), value);
                }
            }
        }

        Assert.Equal(count, i);
    }

    [Fact]
    public async Task OverBytes()
    {
        var bytes = new BytesStream();
        await SendAllAsync(bytes, 5);
        await using var stream = new ReceiveStream();
        stream.AddBufferReader(bytes.GetValue());
        await ReceiveAndCompareAsync(stream, 5);
    }

    [Fact]
    public async Task OverUdp()
    {
        await using var stream = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 32 });
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var receiving = ReceiveAndCompareAsync(stream, 10);
        await using (var udp = new UdpStream([reader.LocalEndPoint], new StreamConfig { Rate = 20e6 }))
        {
            await SendAllAsync(udp, 10);
        }

        await receiving;
    }

    [Fact]
    public async Task OverTcp()
    {
        await using var stream = new ReceiveStream();
        var reader = stream.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var receiving = ReceiveAndCompareAsync(stream, 10);
        await using (var tcp = await TcpStream.ConnectAsync(reader.LocalEndPoint))
        {
            await SendAllAsync(tcp, 10);
        }

        await receiving;
    }
}
