using Spead2.Typed.Analyzers;
using static Spead2.Typed.Generators.Tests.Infrastructure.AnalyzerVerifier;

namespace Spead2.Typed.Generators.Tests.Analyzers;

/// <summary>SPEAD0003-0011: IDs, names, types, shapes, bits, ASCII.</summary>
public class ItemRuleTests
{
    [Fact]
    public Task DuplicateIdFires() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Dump([SpeadItem(0x1000)] int A, [{|SPEAD0003:SpeadItem(0x1000)|}] int B)
        {
            [{|SPEAD0003:SpeadItem(4096)|}] public int C { get; init; }
        }
        """, new ItemIdAnalyzer());

    [Fact]
    public Task DistinctIdsAreSilent() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Dump([SpeadItem(0x1000)] int A, [SpeadItem(0x1001)] int B);
        public partial record Other([SpeadItem(0x1000)] int A);
        """, new ItemIdAnalyzer());

    [Fact]
    public Task ReservedIdFires() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Dump(
            [{|SPEAD0005:SpeadItem(0)|}] int Null,
            [{|SPEAD0005:SpeadItem(1)|}] int HeapCnt,
            [{|SPEAD0005:SpeadItem(6)|}] int Ctrl,
            [{|SPEAD0005:SpeadItem(0x15)|}] int Dtype,
            [SpeadItem(0x07)] int Unassigned,
            [SpeadItem(0x16)] int AlsoUnassigned);
        """, new ItemIdAnalyzer());

    [Fact]
    public Task IdOutOfRangeFires() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Dump(
            [{|SPEAD0006:SpeadItem(-5)|}] int Negative,
            [{|SPEAD0006:SpeadItem(0x800000)|}] int TooLarge,
            [{|SPEAD0007:SpeadItem(0x7FFFFF)|}] int LargestFor6440);
        """, new ItemIdAnalyzer());

    [Fact]
    public Task IdAbove6448Warns() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Dump([{|SPEAD0007:SpeadItem(0x8000)|}] int A, [SpeadItem(0x7FFF)] int B, [SpeadItem(0x1600)] ulong Timestamp);
        """, new ItemIdAnalyzer());

    [Fact]
    public Task DuplicateNameFires() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Dump([SpeadItem(0x1000)] int AdcCount, [{|SPEAD0004:SpeadItem(0x1001, Name = "adc_count")|}] int Other);
        """, new ItemNameAnalyzer());

    [Fact]
    public Task DistinctNamesAreSilent() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Dump([SpeadItem(0x1000)] int AdcCount, [SpeadItem(0x1001, Name = "ADC_count")] int Other);
        """, new ItemNameAnalyzer());

    [Fact]
    public Task NonAsciiNameOrDescriptionFires() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Dump(
            [{|SPEAD0011:SpeadItem(0x1000, Name = "température")|}] int A,
            [{|SPEAD0011:SpeadItem(0x1001, Description = "in °C")|}] int B,
            [SpeadItem(0x1002, Name = "ok", Description = "plain ASCII ~")] int C);
        """, new ItemNameAnalyzer());

    [Fact]
    public Task NonAsciiMemberNameFiresThroughTheDefaultName() => VerifyAsync("""
        using Spead2.Typed;
        public partial record Dump([{|SPEAD0011:SpeadItem(0x1000)|}] int Größe);
        """, new ItemNameAnalyzer());

    [Fact]
    public Task UnsupportedTypeFires() => VerifyAsync("""
        using System;
        using System.Collections.Generic;
        using Spead2.Typed;
        public partial record Dump(
            [{|SPEAD0008:SpeadItem(0x1000)|}] decimal Money,
            [{|SPEAD0008:SpeadItem(0x1001)|}] List<int> Values,
            [{|SPEAD0008:SpeadItem(0x1002, Shape = new[] { 2, 2 })|}] string[,] Grid,
            [{|SPEAD0008:SpeadItem(0x1003)|}] string[] Names,
            [{|SPEAD0008:SpeadItem(0x1004)|}] int? Maybe,
            [{|SPEAD0008:SpeadItem(0x1005)|}] char Letter,
            [{|SPEAD0008:SpeadItem(0x1006)|}] nint Native);
        """, new ItemTypeAnalyzer());

    [Fact]
    public Task SupportedTypesAreSilent() => VerifyAsync("""
        using System;
        using System.Numerics;
        using Spead2.Typed;
        public enum Mode : short { A, B }
        public partial record Dump(
            [SpeadItem(0x1000)] bool A, [SpeadItem(0x1001)] byte B, [SpeadItem(0x1002)] sbyte C, [SpeadItem(0x1003)] short D,
            [SpeadItem(0x1004)] ushort E, [SpeadItem(0x1005)] int F, [SpeadItem(0x1006)] uint G, [SpeadItem(0x1007)] long H,
            [SpeadItem(0x1008)] ulong I, [SpeadItem(0x1009)] float J, [SpeadItem(0x100A)] double K, [SpeadItem(0x100B)] Half L,
            [SpeadItem(0x100C)] Complex M, [SpeadItem(0x100D)] Mode N, [SpeadItem(0x100E)] string O,
            [SpeadItem(0x100F, Shape = new[] { 3 })] float[] P, [SpeadItem(0x1010, Shape = new[] { 3 })] Memory<Complex> Q,
            [SpeadItem(0x1011)] ReadOnlyMemory<byte> R, [SpeadItem(0x1012, Shape = new[] { 2 })] Mode[] S);
        """, new ItemTypeAnalyzer());

    [Fact]
    public Task InvalidShapeFires() => VerifyAsync("""
        using System;
        using Spead2.Typed;
        public partial record Dump(
            [{|SPEAD0009:SpeadItem(0x1000, Shape = new[] { 3 })|}] int ScalarWithShape,
            [{|SPEAD0009:SpeadItem(0x1001)|}] Half[] MissingShape,
            [{|SPEAD0009:SpeadItem(0x1002, Shape = new[] { -1, -1 })|}] byte[] TwoVariable,
            [{|SPEAD0009:SpeadItem(0x1003, Shape = new[] { -3 })|}] byte[] Negative,
            [{|SPEAD0009:SpeadItem(0x1004, Shape = new[] { -1 })|}] ReadOnlyMemory<System.Numerics.Complex> VariableComplex,
            [{|SPEAD0009:SpeadItem(0x1007, Shape = new[] { 2 })|}] int[,] RankMismatch,
            [{|SPEAD0009:SpeadItem(0x1008)|}] int[,] RectangularWithoutShape,
            [{|SPEAD0009:SpeadItem(0x1005, Shape = new[] { 2, 3 })|}] string TwoDimensionalString,
            [{|SPEAD0009:SpeadItem(0x1006, Shape = new[] { 1 << 30, 1 << 30, 1 << 30 })|}] double[] Huge);
        """, new ItemTypeAnalyzer());

    [Fact]
    public Task ValidShapesAreSilent() => VerifyAsync("""
        using System;
        using Spead2.Typed;
        public partial record Dump(
            [SpeadItem(0x1000, Shape = new[] { 1024, 2 })] float[] Vis,
            [SpeadItem(0x1001, Shape = new[] { -1, 4 })] byte[] Rows,
            [SpeadItem(0x1002, Shape = new[] { 0 })] int[] Empty,
            [SpeadItem(0x1003, Shape = new[] { 8 })] string Fixed,
            [SpeadItem(0x1004, Shape = new[] { -1 })] string Variable,
            [SpeadItem(0x1005)] bool[] Flags);
        """, new ItemTypeAnalyzer());

    [Fact]
    public Task InvalidBitsFires() => VerifyAsync("""
        using Spead2.Typed;
        public enum Small : byte { A }
        public partial record Dump(
            [{|SPEAD0010:SpeadItem(0x1000, Bits = 33)|}] int TooWide,
            [{|SPEAD0010:SpeadItem(0x1001, Bits = 0)|}] ulong Zero,
            [{|SPEAD0010:SpeadItem(0x1002, Bits = 16)|}] float NotInteger,
            [{|SPEAD0010:SpeadItem(0x1003, Bits = 9)|}] Small EnumTooWide,
            [{|SPEAD0010:SpeadItem(0x1004, Bits = 8, Shape = new[] { 2 })|}] int[] ArrayBits);
        """, new ItemTypeAnalyzer());

    [Fact]
    public Task ValidBitsAreSilent() => VerifyAsync("""
        using Spead2.Typed;
        public enum Small : byte { A }
        public partial record Dump(
            [SpeadItem(0x1000, Bits = 48)] ulong Timestamp,
            [SpeadItem(0x1001, Bits = 1)] int OneBit,
            [SpeadItem(0x1002, Bits = 64)] long Full,
            [SpeadItem(0x1003, Bits = 4)] Small Nibble);
        """, new ItemTypeAnalyzer());
}
