using Spead2.Protocol;
using Spead2.Send;
using Spead2.Tests.Support;

namespace Spead2.Tests.Protocol;

public class ItemGroupTests
{
    [Fact]
    public void AutomaticIds_StartAt0x1000_AndSkipTakenOnes()
    {
        var ig = new ItemGroup();
        ig.AddItem(0x1001, "b", "", [], dtype: "u1");
        Assert.Equal(0x1000, ig.AddItem(null, "a", "", [], dtype: "u1").Id);
        Assert.Equal(0x1002, ig.AddItem(null, "c", "", [], dtype: "u1").Id);
        Assert.Equal(["b", "a", "c"], ig.Names);
        Assert.Equal("a", ig[0x1000].Name);
        Assert.Equal(0x1002, ig["c"].Id);
        Assert.Throws<KeyNotFoundException>(() => ig["zz"]);
    }

    [Fact]
    public void SameDescriptor_TransfersTheValue()
    {
        var ig = new ItemGroup();
        var first = ig.AddItem(0x1000, "a", "", [], dtype: "<i4", value: 1);
        var again = ig.AddItem(0x1000, "a", "", [], dtype: "<i4", value: 2);
        Assert.Same(first, again);
        Assert.Equal(2, first.Value);
        Assert.Equal(2, first.Version);
        ig.AddItem(0x1000, "a", "", [], dtype: "<i4");
        Assert.Equal(2, first.Value);
    }

    [Fact]
    public void NewDescriptor_ReplacesByIdAndByName()
    {
        var ig = new ItemGroup();
        ig.AddItem(0x1000, "a", "", [], dtype: "u1");
        ig.AddItem(0x1001, "b", "", [], dtype: "u1");
        ig.AddItem(0x1002, "c", "", [], dtype: "u1");
        // Same ID, new name: the old name goes and the item moves to the end.
        ig.AddItem(0x1000, "a2", "", [], dtype: "u1");
        Assert.Equal(["b", "c", "a2"], ig.Names);
        // Same name, new ID: the old item goes entirely and the new one is appended.
        var oldB = ig["b"];
        oldB.Value = (byte)1;
        ig.AddItem(0x2000, "b", "", [], dtype: "<u2");
        Assert.Equal(["c", "a2", "b"], ig.Names);
        Assert.Equal(oldB.Version + 1, ig["b"].Version);
        Assert.False(ig.ContainsId(0x1001));
        Assert.Equal(0x2000, ig["b"].Id);
        Assert.Equal(3, ig.Count);
    }
}

public class HeapGeneratorTests
{
    private static List<long> PointerIds(Heap heap)
    {
        var ids = new List<long>();
        for (int i = 0; i < heap.Count; i++)
            ids.Add(heap.GetEntry(i).Id);
        return ids;
    }

    private static SendItemGroup Abc(int? frequency = null)
    {
        var ig = new SendItemGroup(frequency);
        ig.AddItem(0x1000, "a", "", [], dtype: "<u4", value: 1u);
        ig.AddItem(0x1001, "b", "", [], dtype: "<u4", value: 2u);
        ig.AddItem(0x1002, "c", "", [], dtype: "<u4");
        return ig;
    }

    [Fact]
    public void FirstHeap_InterleavesDescriptorsAndValues() =>
        Assert.Equal([5, 0x1000, 5, 0x1001, 5], PointerIds(Abc().GetHeap()));

    [Fact]
    public void Stale_SendsOnlyWhatChanged()
    {
        var ig = Abc();
        ig.GetHeap();
        Assert.Empty(PointerIds(ig.GetHeap()));
        ig["b"].Value = 3u;
        ig["c"].Value = 4u;
        Assert.Equal([0x1001, 0x1002], PointerIds(ig.GetHeap()));
        Assert.Equal([5, 0x1000, 5, 0x1001, 5, 0x1002], PointerIds(ig.GetHeap(HeapContents.All, HeapContents.All)));
        Assert.Empty(PointerIds(ig.GetHeap(HeapContents.None, HeapContents.None)));
    }

    [Fact]
    public void DescriptorFrequency_CountsCalls()
    {
        var ig = Abc(frequency: 2);
        ig.GetHeap();
        Assert.Empty(PointerIds(ig.GetHeap()));
        Assert.Equal([5, 5, 5], PointerIds(ig.GetHeap()));
    }

    [Fact]
    public void ReplacedItem_ResendsDescriptorAndValue()
    {
        var ig = Abc();
        ig.GetHeap();
        ig.AddItem(0x1000, "a", "", [], dtype: "<u8", value: 1UL);
        Assert.Equal([5, 0x1000], PointerIds(ig.GetHeap()));
    }

    [Fact]
    public void StartAndEnd()
    {
        var ig = Abc();
        var start = ig.GetStart();
        Assert.Equal(ItemIds.StreamCtrl, start.GetEntry(0).Id);
        Assert.Equal(0UL, start.GetEntry(0).InlineValue);
        Assert.Equal(2UL, ig.GetEnd().GetEntry(0).InlineValue);
    }

    [Fact]
    public void Validation()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HeapGenerator(new ItemGroup(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Abc().GetHeap((HeapContents)7));
    }
}
