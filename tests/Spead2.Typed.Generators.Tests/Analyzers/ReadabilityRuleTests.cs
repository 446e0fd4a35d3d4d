using Spead2.Protocol;
using Spead2.Typed.Analyzers;
using Spead2.Typed.Generators.Tests.Infrastructure;
using static Spead2.Typed.Generators.Tests.Infrastructure.AnalyzerVerifier;

namespace Spead2.Typed.Generators.Tests.Analyzers;

/// <summary>
/// SPEAD0015-0018 and "the generator emits nothing for a record with any SPEAD error". Reads need the generated
/// ISpeadHeap implementation to compile, so those sources run through the generator before the analyzers.
/// </summary>
public class ReadabilityRuleTests
{
    [Fact]
    public Task GetOnlyPropertyItemWarns() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Dump([SpeadItem(0x1000)] int A, [property: SpeadItem(0x1003)] int Positional)
        {
            [{|SPEAD0016:SpeadItem(0x1001)|}] public int Twice => 2 * A;
            [SpeadItem(0x1002)] public int Settable { get; init; }
        }
        """, new ReadabilityAnalyzer());

    [Fact]
    public Task ReadingARecordWithANonItemParameterFiresWhereItIsRead() => VerifyGeneratedAsync("""
        using Spead2.Protocol;
        using Spead2.Typed;
        public partial record Half([SpeadItem(0x1000)] ulong Timestamp, int Local);
        public partial record Whole([SpeadItem(0x1000)] ulong Timestamp);
        public partial record SentOnly([SpeadItem(0x1000)] ulong Timestamp, int Local);
        public static class Use
        {
            public static void Read()
            {
                var reader = {|SPEAD0017:new HeapReader<Half>()|};
                var fine = new HeapReader<Whole>();
                {|SPEAD0017:Half.TryRead(new ItemGroup(), out _, out _)|};
                var generator = new HeapWriter<SentOnly>();
                var all = {|SPEAD0017:new Spead2.Recv.ReceiveStream().ReadAllAsync<Half>()|};
            }
        }
        """, new ReadabilityAnalyzer());

    [Fact]
    public Task MembersNamedLikeGeneratedOnesFire() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Dump([SpeadItem(0x1000)] int {|SPEAD0018:Layout|})
        {
            public static int {|SPEAD0018:Descriptors|} => 1;
            public void {|SPEAD0018:AddItems|}() { }
            private int {|SPEAD0018:__speadCache|};
            public int Other => __speadCache;
        }
        public partial record Fine([SpeadItem(0x1000)] int Value);
        """, new GeneratedMemberClashAnalyzer());

    [Fact]
    public Task ByteOrderAndOrderWhereTheyCannotApplyFire() => VerifyAsync("""
        using Spead2.Protocol;
        using Spead2.Typed;
        public partial record Dump(
            [{|SPEAD0015:SpeadItem(0x1000, ByteOrder = SpeadByteOrder.LittleEndian)|}] int Scalar,
            [{|SPEAD0015:SpeadItem(0x1001, Shape = new[] { 2, 3 }, Order = ArrayOrder.Fortran)|}] uint[] Flat,
            [{|SPEAD0015:SpeadItem(0x1002, ByteOrder = SpeadByteOrder.BigEndian)|}] int[] Variable,
            [{|SPEAD0015:SpeadItem(0x1003, Bits = 4, Shape = new[] { 4 }, ByteOrder = SpeadByteOrder.BigEndian)|}] sbyte[] Packed,
            [SpeadItem(0x1004, Shape = new[] { 2, 3 }, Order = ArrayOrder.Fortran, ByteOrder = SpeadByteOrder.BigEndian)] uint[,] Grid,
            [SpeadItem(0x1005, Shape = new[] { SpeadDimension.RunTime }, ByteOrder = SpeadByteOrder.LittleEndian)] int[] Vis,
            [SpeadItem(0x1006, ByteOrder = SpeadByteOrder.BigEndian)] System.Half Small);
        """, new ItemTypeAnalyzer());

    [Fact]
    public async Task IdOutOfRangeIsReportedInHex()
    {
        var diagnostics = await GetDiagnosticsAsync("""
            using Spead2.Typed;
            public partial record Dump([SpeadItem(-5)] int Negative, [SpeadItem(0x800000)] int TooLarge);
            """, new ItemIdAnalyzer());
        var messages = diagnostics.Where(d => d.Id == "SPEAD0006").Select(d => d.GetMessage()).ToList();
        Assert.Equal(2, messages.Count);
        Assert.Contains(messages, m => m.StartsWith("Item ID -0x5 of 'Negative'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Item ID 0x800000 of 'TooLarge'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("public partial record DuplicateId([SpeadItem(0x1000)] int A, [SpeadItem(0x1000)] int B);")]
    [InlineData("public partial record DuplicateName([SpeadItem(0x1000, Name = \"x\")] int A, [SpeadItem(0x1001, Name = \"x\")] int B);")]
    [InlineData("public partial record Reserved([SpeadItem(0x05)] int A);")]
    [InlineData("public partial record OutOfRange([SpeadItem(0x800000)] int A);")]
    [InlineData("public partial record NotAscii([SpeadItem(0x1000, Description = \"caf\u00e9\")] int A);")]
    [InlineData("public partial record Clash([SpeadItem(0x1000)] int A) { public int Layout => 1; }")]
    [InlineData("public partial record BadOrder([SpeadItem(0x1000, Shape = new[] { 2, 2 }, Order = Spead2.Protocol.ArrayOrder.Fortran)] int[] A);")]
    public void ARecordWithAnySpeadErrorGeneratesNothing(string declaration)
    {
        var compilation = TestCompilation.Create("using Spead2.Typed;\n" + declaration);
        var result = TestCompilation.CreateDriver().RunGenerators(compilation).GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        Assert.Empty(result.GeneratedSources);
    }

    [Fact]
    public void AnIdThatOnlyMissesSpead6448StillGenerates()
    {
        // SPEAD0007 is a warning: the record is valid for SPEAD-64-40.
        var compilation = TestCompilation.Create("using Spead2.Typed;\npublic partial record Wide([SpeadItem(0x10000)] int A);");
        var result = TestCompilation.CreateDriver().RunGenerators(compilation).GetRunResult().Results.Single();
        Assert.Single(result.GeneratedSources);
    }
}
