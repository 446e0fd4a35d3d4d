using Spead2.Protocol;
using Spead2.Typed.Analyzers;
using static Spead2.Typed.Generators.Tests.Infrastructure.AnalyzerVerifier;

namespace Spead2.Typed.Generators.Tests.Analyzers;

/// <summary>SPEAD0001 (partial), SPEAD0002 (record), SPEAD0013 (placement), SPEAD0014 (inheritance).</summary>
public class RecordRuleTests
{
    [Fact]
    public Task NotPartialFires() => VerifyAsync("""
        using Spead2.Typed;
        public record {|SPEAD0001:Dump|}([SpeadItem(0x1000)] int A);
        """, new PartialTypeAnalyzer());

    [Fact]
    public Task ContainingTypeNotPartialFires() => VerifyAsync("""
        using Spead2.Typed;
        public class Outer
        {
            public partial record {|SPEAD0001:Dump|}([SpeadItem(0x1000)] int A);
        }
        """, new PartialTypeAnalyzer());

    [Fact]
    public Task PartialChainIsSilent() => VerifyAsync("""
        using Spead2.Typed;
        public partial class Outer
        {
            public partial record Dump([SpeadItem(0x1000)] int A);
        }
        public record NoItems(int A);
        """, new PartialTypeAnalyzer());

    [Fact]
    public Task NotRecordFires() => VerifyAsync("""
        using Spead2.Typed;
        public partial class {|SPEAD0002:Dump|}
        {
            [SpeadItem(0x1000)] public int A { get; set; }
        }
        """, new RecordTypeAnalyzer());

    [Fact]
    public Task RecordClassAndStructAreSilent() => VerifyAsync("""
        using Spead2.Typed;
        public partial record A([SpeadItem(0x1000)] int X);
        public partial record struct B([SpeadItem(0x1000)] int X);
        public class Plain { public int X { get; set; } }
        """, new RecordTypeAnalyzer());

    [Fact]
    public Task MisplacedAttributeFires() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Dump([SpeadItem(0x1000)] int A)
        {
            [{|SPEAD0013:SpeadItem(0x1001)|}] public static int Shared { get; set; }
            [{|SPEAD0013:SpeadItem(0x1002)|}] public int WriteOnly { set { } }
            public void Send([{|SPEAD0013:SpeadItem(0x1003)|}] int value) { }
            public Dump(int a, [{|SPEAD0013:SpeadItem(0x1004)|}] long b) : this(a) { }
        }
        public interface IHasItems
        {
            [{|SPEAD0013:SpeadItem(0x1005)|}] int A { get; }
        }
        """, new AttributePlacementAnalyzer());

    [Fact]
    public Task PositionalParametersAndPropertiesAreSilent() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Dump([SpeadItem(0x1000)] int A, [property: SpeadItem(0x1001)] int B)
        {
            [SpeadItem(0x1002)] public int C { get; init; }
        }
        """, new AttributePlacementAnalyzer());

    [Fact]
    public Task DerivingFromAnItemRecordFires() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Header([SpeadItem(0x1600)] ulong Timestamp);
        public partial record {|SPEAD0014:Dump|}(ulong Timestamp, [SpeadItem(0x1800)] int Count) : Header(Timestamp);
        public partial record {|SPEAD0014:Deeper|}(ulong Timestamp, int Count, [SpeadItem(0x1801)] int More) : Dump(Timestamp, Count);
        """, new RecordTypeAnalyzer());

    [Fact]
    public Task DerivingFromARecordImplementingISpeadHeapFires() => VerifyAsync("""
        using System.Collections.Generic;
        using Spead2.Protocol;
        using Spead2.Send;
        using Spead2.Typed;
        public abstract record Manual : ISpeadHeap<Manual>
        {
            public static SpeadLayout Layout => null!;
            public static void AddItem(in Manual value, int index, Heap heap, SpeadLayout layout) { }
            public static bool TryRead(ItemGroup items, SpeadLayout layout, out Manual value, out string? error) { value = null!; error = "no"; return false; }
            public static bool TryRead(Spead2.Recv.ReceivedHeap heap, ItemGroup descriptors, SpeadLayout layout, out Manual value, out string? error) { value = null!; error = "no"; return false; }
            public static bool TryReadInto(Spead2.Recv.ReceivedHeap heap, ItemGroup descriptors, SpeadLayout layout, ref Manual value, out string? error) { error = "no"; return false; }
            public static IReadOnlyList<Descriptor> Descriptors => new Descriptor[0];
            public static void AddItems(in Manual value, Heap heap) { }
            public static void AddItem(in Manual value, int index, Heap heap) { }
            public static bool TryRead(ItemGroup items, out Manual value, out string? error) { value = null!; error = "no"; return false; }
            public static bool TryRead(Spead2.Recv.ReceivedHeap heap, ItemGroup descriptors, out Manual value, out string? error) { value = null!; error = "no"; return false; }
        }
        public partial record {|SPEAD0014:Dump|}([SpeadItem(0x1000)] int A) : Manual;
        """, new RecordTypeAnalyzer());

    [Fact]
    public Task DerivingFromAPlainRecordIsSilent() => VerifyAsync("""
        using Spead2.Typed;
        public abstract record Base(int Version);
        public partial record Dump([SpeadItem(0x1800)] int Count) : Base(1);
        public record Child(ulong T, int Count) : Dump(Count);
        """, new RecordTypeAnalyzer());
}
