using System.Numerics;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Typed;

namespace Spead2.Tests.Typed;

/// <summary>
/// A typed heap, packetised and reassembled by the receiver (which reads values as spead2's Python
/// <c>ItemGroup.update</c> does), gives back the natural value of every member under the descriptor's name.
/// </summary>
public class RoundTripTests
{
    [Theory]
    [InlineData(40, 1472)]
    [InlineData(48, 9000)]
    [InlineData(40, 80)]
    public void EveryKindRoundTripsThroughTheReceiver(int heapAddressBits, int maxPacketSize)
    {
        var value = new Everything(
            U8: 201, I8: -101, I16: -30001, U16: 60001, I32: -2_000_000_001, U32: 4_000_000_001, I64: long.MinValue + 3,
            U64: ulong.MaxValue - 3, I12: -2047, U40: 0x01_0203_0405, Flag: true, F32: 1.5f, F64: -2.25, F16: (Half)0.5,
            C128: new Complex(1, -2), Mode: Mode.Scan, Band: "L-001", Comment: "a comment", Counts: new[] { 1, -2, 3 },
            Weights: new[] { 0.25, 0.5 }, Raw: [1, 2, 3], Payload: new byte[] { 9, 8, 7 }, Rows: [-1, 2, -3, 4],
            Spectrum: [new Complex(1, 2), new Complex(3, 4)], Flags: [true, false, true], Halves: [(Half)1, (Half)(-2)],
            History: [Mode.Idle, Mode.Track], Tiny: [7u]);
        var flavour = new Flavour(4, 64, heapAddressBits);
        var heap = new HeapWriter<Everything>(flavour: flavour).GetHeap(value);

        var group = new ItemGroup();
        var received = Receive(heap, maxPacketSize);
        var update = group.Update(received);
        update.ThrowIfErrors();

        Assert.Equal(Everything.Descriptors.Count, group.Count);
        Assert.Equal(value.U8, Convert.ToByte(group["u8"].Value));
        Assert.Equal(value.I8, Convert.ToSByte(group["i8"].Value));
        Assert.Equal(value.I16, Convert.ToInt16(group["i16"].Value));
        Assert.Equal(value.U16, Convert.ToUInt16(group["u16"].Value));
        Assert.Equal(value.I32, Convert.ToInt32(group["i32"].Value));
        Assert.Equal(value.U32, Convert.ToUInt32(group["u32"].Value));
        Assert.Equal(value.I64, Convert.ToInt64(group["i64"].Value));
        Assert.Equal(value.U64, Convert.ToUInt64(group["u64"].Value));
        Assert.Equal(value.I12, Convert.ToInt32(group["i12"].Value));
        Assert.Equal(value.U40, Convert.ToUInt64(group["u40"].Value));
        Assert.Equal(value.Flag, group["flag"].Value);
        Assert.Equal(value.F32, group["f32"].Value);
        Assert.Equal(value.F64, group["f64"].Value);
        Assert.Equal(value.F16, group["f16"].Value);
        Assert.Equal(value.C128, group["c128"].Value);
        Assert.Equal((byte)value.Mode, Convert.ToByte(group["mode"].Value));
        Assert.Equal(value.Band, group["band"].Value);
        Assert.Equal(value.Comment, group["comment"].Value);
        Assert.Equal(value.Counts.ToArray(), group["counts"].Value);
        Assert.Equal(value.Weights.ToArray(), group["weights"].Value);
        Assert.Equal(value.Raw, group["raw"].Value);
        Assert.Equal(value.Payload.ToArray(), group["payload"].Value);
        Assert.Equal(new sbyte[,] { { -1, 2 }, { -3, 4 } }, group["rows"].Value);
        Assert.Equal(value.Spectrum, group["spectrum"].Value);
        Assert.Equal(value.Flags, group["flags"].Value);
        Assert.Equal(value.Halves, group["halves"].Value);
        Assert.Equal(Array.ConvertAll(value.History, m => (byte)m), group["history"].Value);
        Assert.Equal(value.Tiny, group["tiny"].Value);
    }

    private static ReceivedHeap Receive(Heap heap, int maxPacketSize)
    {
        var assembler = new HeapAssembler();
        var ready = new List<ReceivedHeap>();
        var packets = new Packetizer(heap, 1, maxPacketSize);
        var buffer = new byte[maxPacketSize];
        while (packets.HasNextPacket)
        {
            var n = packets.NextPacket(buffer);
            assembler.AddPacket(buffer.AsSpan(0, n), ready);
        }

        assembler.Flush(ready);
        return Assert.Single(ready);
    }
}
