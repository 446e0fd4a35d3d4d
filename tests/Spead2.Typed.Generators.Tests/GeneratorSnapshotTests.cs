using Microsoft.CodeAnalysis;
using Spead2.Protocol;
using Spead2.Typed.Generators.Tests.Infrastructure;

namespace Spead2.Typed.Generators.Tests;

/// <summary>
/// The generated source for representative records, compared with committed snapshots
/// (Snapshots/GeneratorSnapshotTests.*.verified.txt). Each test also compiles the output, so a snapshot can
/// only be accepted if the generated code builds.
/// </summary>
public class GeneratorSnapshotTests
{
    private static string Generate(string source)
    {
        var (result, errors) = TestCompilation.Run(source);
        Assert.True(errors.IsEmpty, "Compilation errors:\n" + string.Join("\n", errors));
        Assert.Empty(result.Diagnostics);
        var texts = result.Results.Single().GeneratedSources
            .OrderBy(s => s.HintName, StringComparer.Ordinal)
            .Select(s => "// ==== " + s.HintName + " ====\n" + s.SourceText.ToString());
        return string.Join("\n", texts);
    }

    [Fact]
    public void Scalars() => Snapshot.Match(Generate("""
        using System;
        using System.Numerics;
        using Spead2.Typed;

        namespace Telescope
        {
            public partial record Scalars(
                [SpeadItem(0x1600, Description = "ADC sample count", Bits = 48)] ulong Timestamp,
                [SpeadItem(0x1601)] byte U8,
                [SpeadItem(0x1602)] sbyte I8,
                [SpeadItem(0x1603)] short I16,
                [SpeadItem(0x1604)] ushort U16,
                [SpeadItem(0x1605)] int I32,
                [SpeadItem(0x1606)] uint U32,
                [SpeadItem(0x1607)] long I64,
                [SpeadItem(0x1608, Bits = 12)] int Packed,
                [SpeadItem(0x1609)] bool Flag,
                [SpeadItem(0x160A)] float Gain,
                [SpeadItem(0x160B)] double Frequency,
                [SpeadItem(0x160C)] Half Small,
                [SpeadItem(0x160D)] Complex Phasor);
        }
        """));

    [Fact]
    public void ArraysAndShapes() => Snapshot.Match(Generate("""
        using System;
        using System.Numerics;
        using Spead2.Typed;

        namespace Telescope;

        public partial record Arrays(
            [SpeadItem(0x1800, Name = "vis", Description = "Visibilities", Shape = new[] { 1024, 2 })] float[] Vis,
            [SpeadItem(0x1801, Shape = new[] { 4 })] Memory<int> Counts,
            [SpeadItem(0x1802, Shape = new[] { 3 })] ReadOnlyMemory<double> Weights,
            [SpeadItem(0x1803)] byte[] Raw,
            [SpeadItem(0x1804, Description = "Raw bytes")] ReadOnlyMemory<byte> Payload,
            [SpeadItem(0x1805, Shape = new[] { -1, 4 })] sbyte[] Rows,
            [SpeadItem(0x1806, Shape = new[] { 8 })] Complex[] Spectrum,
            [SpeadItem(0x1807, Shape = new[] { 2, 2 })] Half[] Small,
            [SpeadItem(0x1808, Shape = new[] { 3 })] bool[] Flags,
            [SpeadItem(0x1809, Shape = new[] { 0 })] ulong[] Empty);
        """));

    [Fact]
    public void RunTimeShapesByteOrderAndPackedBits() => Snapshot.Match(Generate("""
        using System;
        using Spead2.Protocol;
        using Spead2.Typed;

        namespace Telescope;

        public partial record struct XengDump(
            [SpeadItem(0x1600, Bits = 48)] ulong Timestamp,
            [SpeadItem(0x1800, Shape = new[] { SpeadDimension.RunTime, SpeadDimension.RunTime, 2 }, ByteOrder = SpeadByteOrder.LittleEndian)] int[] XengRaw,
            [SpeadItem(0x1801, Shape = new[] { SpeadDimension.RunTime, 2 }, Order = ArrayOrder.Fortran)] float[,] Grid,
            [SpeadItem(0x1802, Bits = 4, Shape = new[] { SpeadDimension.RunTime, 2 })] sbyte[] Samples,
            [SpeadItem(0x1803)] int[]? Counts,
            [SpeadItem(0x1804, Shape = new[] { SpeadDimension.RunTime })] Memory<double> Gains);
        """));

    [Fact]
    public void Strings() => Snapshot.Match(Generate("""
        using Spead2.Typed;

        namespace Telescope;

        public partial record Labels(
            [SpeadItem(0x1900, Description = "Source \"name\"\tfrom the catalogue\\")] string Source,
            [SpeadItem(0x1901, Name = "band", Shape = new[] { 5 })] string Band,
            [SpeadItem(0x1902)] string? Comment);
        """));

    [Fact]
    public void Enums() => Snapshot.Match(Generate("""
        using Spead2.Typed;

        namespace Telescope;

        public enum Mode : byte { Idle, Track, Scan }
        public enum Offset : long { Negative = -1, Zero = 0 }

        public partial record Status(
            [SpeadItem(0x1A00)] Mode Mode,
            [SpeadItem(0x1A01, Bits = 40)] Offset Offset,
            [SpeadItem(0x1A02, Shape = new[] { 2 })] Mode[] History);
        """));

    [Fact]
    public void NestedTypes() => Snapshot.Match(Generate("""
        using Spead2.Typed;

        namespace Telescope;

        public static partial class Streams
        {
            internal partial struct Inner
            {
                public partial record Packet([SpeadItem(0x1B00)] uint Sequence);
            }
        }
        """));

    [Fact]
    public void RecordStructWithProperties() => Snapshot.Match(Generate("""
        using Spead2.Typed;

        namespace Telescope;

        public readonly partial record struct Sample([SpeadItem(0x1C00)] double Value, [property: SpeadItem(0x1C01)] int @class)
        {
            [SpeadItem(0x1C02, Name = "extra", Description = "A plain property")]
            public long Extra { get; init; }

            public int NotAnItem { get; init; }
        }
        """));

    [Fact]
    public void ReadSide() => Snapshot.Match(Generate("""
        using Spead2.Typed;

        namespace Telescope;

        // Nullable members read a missing item as null; property items go into an object initializer.
        public partial record Optional([SpeadItem(0x1000)] string? Note, [SpeadItem(0x1001, Shape = new[] { 2 })] float[]? Gains)
        {
            [SpeadItem(0x1002)]
            public int Extra { get; set; }
        }

        // Cannot be built from items: TryRead says why at run time.
        public partial record Unreadable([SpeadItem(0x1100)] int A, int Local);

        public partial record GetOnly
        {
            [SpeadItem(0x1200)]
            public int B => 1;
        }
        """));

    [Fact]
    public void GlobalNamespace() => Snapshot.Match(Generate("""
        using Spead2.Typed;

        public partial record Heartbeat([SpeadItem(0x1D00)] ulong Count);
        """));

    [Fact]
    public void BlockNamespaceAndGenericContainingType() => Snapshot.Match(Generate("""
        using Spead2.Typed;

        namespace Outer.Inner
        {
            public partial class Channel<TPayload, TKey>
                where TPayload : class
            {
                public partial record Frame([SpeadItem(0x1E00)] uint Index, [SpeadItem(0x1E01, Shape = new[] { 16 })] float[] Samples);
            }

            public partial class Channel<TPayload>
            {
                public partial record Frame([SpeadItem(0x1E00)] uint Index);
            }
        }
        """));

    [Fact]
    public void GenericRecord() => Snapshot.Match(Generate("""
        using Spead2.Typed;

        namespace Telescope;

        public partial record Tagged<TTag>([SpeadItem(0x1F00)] int Value)
        {
            public TTag? Tag { get; init; }
        }
        """));

    [Theory]
    [InlineData("public record NotPartial([SpeadItem(0x1000)] int Value);")]
    [InlineData("public partial class NotRecord { [SpeadItem(0x1000)] public int Value { get; set; } }")]
    [InlineData("public partial record Unsupported([SpeadItem(0x1000)] decimal Value);")]
    [InlineData("public partial record BadShape([SpeadItem(0x1000, Shape = new[] { 3 })] int Value);")]
    [InlineData("public partial record BadBits([SpeadItem(0x1000, Bits = 65)] ulong Value);")]
    [InlineData("public partial record NoShape([SpeadItem(0x1000)] System.Half[] Value);")]
    [InlineData("public partial record StaticProperty { [SpeadItem(0x1000)] public static int Value { get; set; } }")]
    [InlineData("public class Method { public void M([SpeadItem(0x1000)] int value) { } }")]
    [InlineData("public static class Outer { public partial record Inner([SpeadItem(0x1000)] int Value); }")]
    [InlineData("public abstract record Base([SpeadItem(0x1000)] int A); public partial record Derived(int A, [SpeadItem(0x1001)] int B) : Base(A);")]
    public void InvalidInputGeneratesNothingAndDoesNotThrow(string declaration)
    {
        var compilation = TestCompilation.Create("using Spead2.Typed;\n" + declaration);
        var driver = TestCompilation.CreateDriver().RunGenerators(compilation);
        var result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        Assert.Empty(result.GeneratedSources);
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void PartialRecordAcrossFilesGeneratesOnce()
    {
        var compilation = TestCompilation.Create(
            "using Spead2.Typed;\nnamespace N;\npublic partial record Split([SpeadItem(0x1000)] int A) { [SpeadItem(0x1002)] public int C { get; init; } }",
            "using Spead2.Typed;\nnamespace N;\npublic partial record Split { [SpeadItem(0x1001)] public int B { get; init; } }");
        var driver = TestCompilation.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var generated = Assert.Single(driver.GetRunResult().GeneratedTrees);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var text = generated.ToString();
        // Positional first, then properties in declaration order across the files.
        var a = text.IndexOf("0x1000L", StringComparison.Ordinal);
        var c = text.IndexOf("0x1002L", StringComparison.Ordinal);
        var b = text.IndexOf("0x1001L", StringComparison.Ordinal);
        Assert.True(a >= 0 && b >= 0 && c >= 0, text);
        Assert.True(a < c && c < b, text);
    }
}

public class GeneratorEdgeCaseTests
{
    [Fact]
    public void PropertyTargetedAttributesAloneStillGenerate()
    {
        var (result, errors) = TestCompilation.Run("""
            using Spead2.Typed;
            namespace N;
            public partial record OnlyPropertyTargets([property: SpeadItem(0x1000)] int A, [property: SpeadItem(0x1001)] string B);
            """);
        Assert.Empty(errors);
        var source = Assert.Single(result.GeneratedTrees).ToString();
        Assert.Contains("0x1000L", source, StringComparison.Ordinal);
        Assert.Contains("0x1001L", source, StringComparison.Ordinal);
    }
}
