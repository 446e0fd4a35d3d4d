using Spead2.Protocol;
using Spead2.Typed.Analyzers;
using static Spead2.Typed.Generators.Tests.Infrastructure.AnalyzerVerifier;

namespace Spead2.Typed.Generators.Tests.Analyzers;

/// <summary>SPEAD0012: reserved IDs in untyped calls.</summary>
public class UntypedHeapRuleTests
{
    [Fact]
    public Task ReservedConstantIdsFire() => VerifyAsync("""
        using System;
        using Spead2.Protocol;
        using Spead2.Send;
        public static class Sender
        {
            private const long Mine = 0x13;
            public static void Build(Heap heap, ItemGroup group, byte[] data)
            {
                heap.AddItem({|SPEAD0012:1|}, data);
                heap.AddItemCopy({|SPEAD0012:ItemIds.Descriptor|}, data);
                heap.AddImmediate({|SPEAD0012:ItemIds.StreamCtrl|}, 2);
                heap.AddItemStorage({|SPEAD0012:Mine|}, 4);
                group.AddItem({|SPEAD0012:0x10|}, "n", "d", Array.Empty<long>(), format: new[] { new FormatField('u', 8) });
                _ = new Item({|SPEAD0012:id: 2|}, "n", "d", Array.Empty<long>(), dtype: "<u4");
                _ = new Descriptor({|SPEAD0012:0|}, "n", "d", Array.Empty<long>(), dtype: "<u4");
            }
        }
        """, new UntypedHeapAnalyzer());

    [Fact]
    public Task UserIdsAndVariablesAreSilent() => VerifyAsync("""
        using System;
        using Spead2.Protocol;
        using Spead2.Send;
        public static class Sender
        {
            public static void Build(Heap heap, ItemGroup group, byte[] data, long id)
            {
                heap.AddItem(0x1000, data);
                heap.AddItemCopy(id, data);
                heap.AddImmediate(0x7, 2);
                heap.AddStart();
                group.AddItem(null, "n", "d", Array.Empty<long>(), format: new[] { new FormatField('u', 8) });
                _ = new Descriptor(0x1001, "n", "d", Array.Empty<long>(), dtype: "<u4");
            }
        }
        """, new UntypedHeapAnalyzer());
}
