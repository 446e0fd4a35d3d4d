using CsCheck;
using Spead2.Protocol;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Send.Engine;

/// <summary>
/// Random heaps through the code under test: byte-equal to the reference encoder, the zero-copy API equal to the
/// copying one, and every item recovered by the reference receiver; where the reference says spead2's rules cannot
/// encode the heap (packet too small, repeated pointers do not fit, heap or cnt too large), the core must throw.
/// </summary>
public class RoundTripPropertyTests
{
    private static readonly int[] Habs = [8, 16, 24, 32, 40, 48, 56];

    /// <summary>How the value reaches the core heap, so every storage kind is exercised.</summary>
    public enum Api { Array, Copy, Storage, Slice, Manager }

    public sealed record ItemSpec(bool Inline, byte[] Value, bool AllowImmediate, ulong InlineValue, Api Api)
    {
        public override string ToString() =>
            Inline ? $"inline {InlineValue:x}" : $"{Api} [{Value.Length}]{(AllowImmediate ? "" : " !imm")}";
    }

    public sealed record HeapCase(int Hab, long Cnt, int MaxPacketSize, bool Repeat, long IdBase, ItemSpec[] Items)
    {
        public override string ToString() =>
            $"64-{Hab} cnt={Cnt:x} mps={MaxPacketSize} repeat={Repeat} idBase={IdBase} items({Items.Length})=[{string.Join(", ", Items.Select(i => i.ToString()))}]";
    }

    private static readonly Gen<byte[]> GenValue =
        Gen.Frequency((5, (IGen<int>)Gen.Int[0, 9]), (1, Gen.Int[0, 3000])).SelectMany(n => Gen.Byte.Array[n]);

    private static readonly Gen<ItemSpec> GenItem = Gen.Select(
        Gen.Int[0, 6], GenValue, Gen.Int[0, 3], Gen.ULong, Gen.Int[0, 4],
        (kind, value, allow, inline, api) => new ItemSpec(kind == 0, value, allow != 0, inline, (Api)api));

    private static readonly Gen<HeapCase> GenCase = Gen.Select(
        Gen.OneOf(Habs),
        Gen.Select(Gen.Long, Gen.Int[0, 15], (cnt, raw) => (cnt, raw: raw == 0)),
        Gen.Frequency((3, (IGen<int>)Gen.Int[56, 200]), (2, Gen.Int[56, 9000]), (1, Gen.Int[40, 63])),
        Gen.Int[0, 2],
        Gen.Long[0, long.MaxValue],
        Gen.Frequency((8, (IGen<ItemSpec[]>)GenItem.Array[0, 12]), (1, GenItem.Array[0, 250])),
        (hab, cnt, mps, repeat, idBase, items) =>
        {
            long mask = (long)((1UL << hab) - 1);
            // Mostly valid cnts; the raw ones (mostly too large or negative) test the range check.
            long c = cnt.raw ? cnt.cnt : cnt.cnt & mask;
            // 64-8 addresses 255 bytes and 64-56 has 123 usable IDs: shrink those heaps so most still encode.
            if (hab == 8)
                items = [.. items.Take(40).Select(i => i with { Value = i.Value.Length > 30 ? i.Value[..(i.Value.Length % 30)] : i.Value })];
            if (hab == 56)
                items = [.. items.Take(120)];
            return new HeapCase(hab, c, mps, repeat == 0, idBase, items);
        });

    /// <summary>Distinct IDs from 5 (the receiver drops 1–4, and 0 is NULL) to the flavour's largest.</summary>
    private static long IdOf(HeapCase c, int index)
    {
        long maxId = (1L << (63 - c.Hab)) - 1;
        long span = maxId - 4;
        return 5 + (long)(((ulong)c.IdBase + (ulong)index) % (ulong)span);
    }

    private static (RefHeap Model, Heap Heap, List<IDisposable> Keep) Build(HeapCase c)
    {
        var model = new RefHeap(c.Hab) { RepeatPointers = c.Repeat };
        var heap = new Heap(new Flavour(heapAddressBits: c.Hab)) { RepeatPointers = c.Repeat };
        var keep = new List<IDisposable>();
        ulong mask = (1UL << c.Hab) - 1;
        for (int i = 0; i < c.Items.Length; i++)
        {
            var item = c.Items[i];
            long id = IdOf(c, i);
            if (item.Inline)
            {
                model.AddInline(id, item.InlineValue & mask);
                heap.AddImmediate(id, (long)(item.InlineValue & mask));
                continue;
            }
            var value = item.Value;
            model.Add(id, value, item.AllowImmediate);
            switch (item.Api)
            {
                case Api.Array:
                    heap.AddItem(id, value, item.AllowImmediate);
                    break;
                case Api.Copy:
                    heap.AddItemCopy(id, value, item.AllowImmediate);
                    break;
                case Api.Storage:
                    value.CopyTo(heap.AddItemStorage(id, value.Length, item.AllowImmediate));
                    break;
                case Api.Slice:
                    var padded = new byte[value.Length + 13];
                    padded.AsSpan().Fill(0xA5);
                    value.CopyTo(padded, 7);
                    heap.AddItem(id, padded.AsMemory(7, value.Length), item.AllowImmediate);
                    break;
                case Api.Manager:
                    var manager = new ArrayMemoryManager([0x5A, .. value, 0x5A]);
                    keep.Add(manager);
                    heap.AddItem(id, manager.Memory.Slice(1, value.Length), item.AllowImmediate);
                    break;
            }
        }
        return (model, heap, keep);
    }

    /// <summary>Counts of the interesting shapes seen, so a test can prove the generator reaches them.</summary>
    private sealed class Coverage
    {
        public int Rejected, Repeated, NullPointer, MultiPacket, PointerOverflow, PaddingWithData;

        public override string ToString() =>
            $"rejected {Rejected}, repeated {Repeated}, NULL {NullPointer}, multi-packet {MultiPacket}, pointer overflow {PointerOverflow}, padding with data {PaddingWithData}";
    }

    private static void Check(HeapCase c) => Check(c, null);

    private static void Check(HeapCase c, Coverage? coverage)
    {
        var (model, heap, keep) = Build(c);
        List<byte[]> expected;
        try
        {
            expected = RefEncoder.Encode(model, (ulong)c.Cnt, c.MaxPacketSize);
        }
        catch (InvalidOperationException reason)
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Packetizer(heap, c.Cnt, c.MaxPacketSize));
            Assert.False(string.IsNullOrEmpty(ex.ParamName), $"reference: {reason.Message}");
            if (coverage is not null)
                Interlocked.Increment(ref coverage.Rejected);
            return;
        }
        var actual = CorePackets.Generate(heap, c.Cnt, c.MaxPacketSize);
        Hex.AssertPacketsEqual(expected, actual, "Packetizer vs reference encoder");
        Hex.AssertPacketsEqual(actual, CorePackets.GenerateZeroCopy(heap, c.Cnt, c.MaxPacketSize), "NextPacket vs zero-copy segments");
        var plan = RefEncoder.MakePlan(model, c.MaxPacketSize)!;
        Assert.Equal((long)plan.HeapLength, new Packetizer(heap, c.Cnt, c.MaxPacketSize).HeapLength);
        Assert.All(actual, p => Assert.InRange(p.Length, Packetizer.PrefixSize + 1, plan.PacketSize));
        WireAssert.ItemsSurvive(model, (ulong)c.Cnt, actual);
        GC.KeepAlive(keep);
        if (coverage is not null)
        {
            if (c.Repeat)
                Interlocked.Increment(ref coverage.Repeated);
            if (plan.NeedNull)
                Interlocked.Increment(ref coverage.NullPointer);
            if (actual.Count > 1)
                Interlocked.Increment(ref coverage.MultiPacket);
            if (plan.ItemPackets > 1)
                Interlocked.Increment(ref coverage.PointerOverflow);
            if (plan.NeedNull && plan.ItemPackets > 1 && c.Items.Any(i => !i.Inline && i.Value.Length > 0 && !(i.AllowImmediate && i.Value.Length <= c.Hab / 8)))
                Interlocked.Increment(ref coverage.PaddingWithData);
        }
    }

    [Fact]
    public void RandomHeaps_MatchReference_AndRoundTrip()
    {
        var coverage = new Coverage();
        GenCase.Sample(c => Check(c, coverage), iter: 400, print: c => c.ToString());
        // The generator must reach every interesting shape, or the property proves little.
        Assert.True(coverage.Rejected > 0 && coverage.Repeated > 0 && coverage.NullPointer > 0 && coverage.MultiPacket > 0
            && coverage.PointerOverflow > 0, coverage.ToString());
        Console.WriteLine(coverage);
    }

    [Fact]
    public void RandomHeaps_ManyItemsSmallPackets() =>
        // Focus on pointer overflow: many items, packets of a few pointers, repeat pointers rarely fitting.
        Gen.Select(Gen.OneOf(16, 40, 48), Gen.Int[56, 120], Gen.Bool, Gen.Long[0, long.MaxValue], GenItem.Array[20, 150],
                (hab, mps, repeat, idBase, items) => new HeapCase(hab, 1, mps, repeat, idBase, items))
            .Sample(Check, iter: 150, print: c => c.ToString());

    [Fact]
    public void RandomHeaps_PaddingMixedWithData()
    {
        // The §3.10 shape: pointers overflow a packet while the addressed data is shorter than the padding minimum.
        var smallItem = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 9].SelectMany(n => Gen.Byte.Array[n]), Gen.Bool, Gen.ULong,
            (kind, value, allow, inline) => new ItemSpec(kind == 0, value, allow, inline, Api.Array));
        var coverage = new Coverage();
        Gen.Select(Gen.OneOf(Habs), Gen.Int[56, 120], Gen.Long[0, long.MaxValue], smallItem.Array[8, 60],
                (hab, mps, idBase, items) => new HeapCase(hab, 3, mps, false, idBase, items))
            .Sample(c => Check(c, coverage), iter: 150, print: c => c.ToString());
        Assert.True(coverage.PaddingWithData > 0, coverage.ToString());
    }

    [Fact]
    public void ReferenceEncoder_CanDisagree()
    {
        // Guard against a vacuous comparison: a heap whose pointer order the core sees differently must fail.
        var model = new RefHeap(40).Add(0x1000, [1, 2, 3, 4, 5, 6]).Add(0x1001, [9]);
        var swapped = new RefHeap(40).Add(0x1001, [9]).Add(0x1000, [1, 2, 3, 4, 5, 6]);
        var expected = RefEncoder.Encode(model, 1, 1472);
        var actual = CorePackets.Generate(swapped.ToHeap(), 1, 1472);
        Assert.ThrowsAny<Exception>(() => Hex.AssertPacketsEqual(expected, actual));
    }
}
