using Spead2.Send;
using Spead2.TestSupport;

namespace Spead2.Tests.Support;

/// <summary>The checks every vector goes through: reference bytes, the zero-copy path, and the receiver's view.</summary>
internal static class WireAssert
{
    /// <summary>
    /// Encodes <paramref name="model"/> with the reference encoder and with the code under test (from
    /// <paramref name="heap"/>, or the model's own translation), compares the hex dumps, checks that the zero-copy API
    /// gives the same bytes and that the receiver recovers the items. Returns the packets.
    /// </summary>
    public static List<byte[]> MatchesReference(RefHeap model, ulong cnt, int maxPacketSize, Heap? heap = null)
    {
        heap ??= model.ToHeap();
        var expected = RefEncoder.Encode(model, cnt, maxPacketSize);
        var actual = CorePackets.Generate(heap, (long)cnt, maxPacketSize);
        Hex.AssertPacketsEqual(expected, actual, "Packetizer vs reference encoder");
        Hex.AssertPacketsEqual(actual, CorePackets.GenerateZeroCopy(heap, (long)cnt, maxPacketSize), "NextPacket vs zero-copy segments");
        ItemsSurvive(model, cnt, actual);
        return actual;
    }

    /// <summary>Reassembles <paramref name="packets"/> and compares the received items with the model's.</summary>
    public static void ItemsSurvive(RefHeap model, ulong cnt, IReadOnlyList<byte[]> packets)
    {
        var heaps = RefReceiver.Reassemble(packets);
        Assert.Single(heaps);
        var got = heaps[0];
        Assert.Equal(cnt, got.Cnt);
        Assert.Equal(model.Hab, got.Hab);
        int immBytes = model.Hab / 8;

        // Addressed items come back in address order, which is insertion order; empty ones are dropped.
        var expectedAddressed = new List<string>();
        var expectedImmediates = new List<string>();
        foreach (var item in model.Items)
        {
            if (item.IsImmediate(model.Hab))
            {
                var field = new byte[immBytes];
                if (item.Inline is { } v)
                {
                    for (int b = 0; b < immBytes; b++)
                        field[b] = (byte)(v >> (8 * (immBytes - 1 - b)));
                }
                else
                {
                    item.Value!.CopyTo(field, immBytes - item.Value.Length); // right-aligned (§3.3)
                }
                expectedImmediates.Add(Describe(item.Id, true, field));
            }
            else if (item.Value!.Length > 0)
            {
                expectedAddressed.Add(Describe(item.Id, false, item.Value));
            }
        }
        var gotAddressed = new List<string>();
        var gotImmediates = new List<string>();
        foreach (var item in got.Items)
            (item.IsImmediate ? gotImmediates : gotAddressed).Add(Describe(item.Id, item.IsImmediate, item.Value));
        Assert.Equal(expectedAddressed, gotAddressed);
        // The receiver orders immediates by value, not as sent: compare as multisets.
        expectedImmediates.Sort(StringComparer.Ordinal);
        gotImmediates.Sort(StringComparer.Ordinal);
        Assert.Equal(expectedImmediates, gotImmediates);
    }

    private static string Describe(long id, bool immediate, byte[] value) =>
        $"{(immediate ? "imm" : "addr")} 0x{id:x} [{value.Length}] {Convert.ToHexString(value)}";
}
