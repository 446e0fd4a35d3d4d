using Spead2.Typed.Analyzers;
using static Spead2.Typed.Generators.Tests.Infrastructure.AnalyzerVerifier;

namespace Spead2.Typed.Generators.Tests.Analyzers;

/// <summary>SPEAD0001 (partial), SPEAD0002 (record), SPEAD0013 (placement).</summary>
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
        """, new AttributePlacementAnalyzer());

    [Fact]
    public Task PositionalParametersAndPropertiesAreSilent() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Dump([SpeadItem(0x1000)] int A, [property: SpeadItem(0x1001)] int B)
        {
            [SpeadItem(0x1002)] public int C { get; init; }
        }
        """, new AttributePlacementAnalyzer());
}
