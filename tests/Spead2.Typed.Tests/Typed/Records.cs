using System.Numerics;
using Spead2.Typed;

namespace Spead2.Tests.Typed;

public enum Mode : byte
{
    Idle,
    Track,
    Scan,
}

/// <summary>The example record.</summary>
public partial record Dump(
    [SpeadItem(0x1600, Description = "ADC sample count of the first sample", Bits = 48)] ulong Timestamp,
    [SpeadItem(0x1800, Name = "vis", Description = "Visibilities", Shape = new[] { 4, 2 })] float[] Vis,
    [SpeadItem(0x1801, Description = "Source name")] string Source);

/// <summary>One member of every supported kind.</summary>
public partial record Everything(
    [SpeadItem(0x2000)] byte U8,
    [SpeadItem(0x2001)] sbyte I8,
    [SpeadItem(0x2002)] short I16,
    [SpeadItem(0x2003)] ushort U16,
    [SpeadItem(0x2004)] int I32,
    [SpeadItem(0x2005)] uint U32,
    [SpeadItem(0x2006)] long I64,
    [SpeadItem(0x2007)] ulong U64,
    [SpeadItem(0x2008, Bits = 12)] int I12,
    [SpeadItem(0x2009, Bits = 40)] ulong U40,
    [SpeadItem(0x200A)] bool Flag,
    [SpeadItem(0x200B)] float F32,
    [SpeadItem(0x200C)] double F64,
    [SpeadItem(0x200D)] Half F16,
    [SpeadItem(0x200E)] Complex C128,
    [SpeadItem(0x200F)] Mode Mode,
    [SpeadItem(0x2010, Shape = new[] { 5 })] string Band,
    [SpeadItem(0x2011)] string Comment,
    [SpeadItem(0x2012, Shape = new[] { 3 })] Memory<int> Counts,
    [SpeadItem(0x2013, Shape = new[] { 2 })] ReadOnlyMemory<double> Weights,
    [SpeadItem(0x2014)] byte[] Raw,
    [SpeadItem(0x2015)] ReadOnlyMemory<byte> Payload,
    [SpeadItem(0x2016, Shape = new[] { -1, 2 })] sbyte[] Rows,
    [SpeadItem(0x2017, Shape = new[] { 2 })] Complex[] Spectrum,
    [SpeadItem(0x2018, Shape = new[] { 3 })] bool[] Flags,
    [SpeadItem(0x2019, Shape = new[] { 2 })] Half[] Halves,
    [SpeadItem(0x201A, Shape = new[] { 2 })] Mode[] History,
    [SpeadItem(0x201B, Shape = new[] { 1 })] uint[] Tiny);

/// <summary>A record struct with a property item.</summary>
public readonly partial record struct Tick([SpeadItem(0x3000)] ulong Count)
{
    [SpeadItem(0x3001, Name = "label", Description = "A property item")]
    public string? Label { get; init; }
}
