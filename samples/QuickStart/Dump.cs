using Spead2.Typed;

namespace QuickStart;

/// <summary>One correlator dump, declared once: the generator writes its SPEAD descriptors and heap builder.</summary>
public partial record Dump(
    [SpeadItem(0x1600, Description = "ADC sample count of the first sample", Bits = 48)] ulong Timestamp,
    [SpeadItem(0x1800, Name = "vis", Description = "Visibilities", Shape = new[] { 4, 2 })] float[] Vis,
    [SpeadItem(0x1801, Description = "Source name")] string Source);
