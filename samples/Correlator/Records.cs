using Spead2.Typed;

namespace Correlator;

// katgpucbf's three output heaps as typed records. IDs, names, shapes and dtypes are katgpucbf's (see README.md for
// each table and its source); descriptions are ours. Dimensions set by the correlator's configuration are
// SpeadDimension.RunTime and are given once, in SpeadShapes, when the writer is created (CorrelatorStreams.cs).

/// <summary>
/// F-engine antenna-channelised-voltage heap with 8-bit samples (<c>fgpu/send.py</c>): <c>feng_raw</c> is int8 of
/// shape (channels per substream, spectra per heap, pols, complex).
/// </summary>
public readonly partial record struct FengHeap(
    [SpeadItem(Katgpucbf.TimestampId, Name = "timestamp", Description = "ADC sample count of the first sample in the heap, since the sync epoch", Bits = 48)]
    ulong Timestamp,
    [SpeadItem(Katgpucbf.FengIdId, Name = "feng_id", Description = "The F-engine (antenna) that produced the heap", Bits = 48)]
    ulong FengId,
    [SpeadItem(Katgpucbf.FrequencyId, Name = "frequency", Description = "Number of the first channel in the heap", Bits = 48)]
    ulong Frequency,
    [SpeadItem(Katgpucbf.FengRawId, Name = "feng_raw", Description = "Channelised voltages of both polarisations, real before imaginary",
        Shape = new[] { SpeadDimension.RunTime, SpeadDimension.RunTime, Katgpucbf.Pols, Katgpucbf.Complex })]
    sbyte[] FengRaw);

/// <summary>
/// The same heap with 4-bit samples: <c>feng_raw</c> has format <c>[('i', 4)]</c>, two samples per byte, first in
/// the high nibble (as spead2 packs it).
/// </summary>
public readonly partial record struct FengHeap4(
    [SpeadItem(Katgpucbf.TimestampId, Name = "timestamp", Description = "ADC sample count of the first sample in the heap, since the sync epoch", Bits = 48)]
    ulong Timestamp,
    [SpeadItem(Katgpucbf.FengIdId, Name = "feng_id", Description = "The F-engine (antenna) that produced the heap", Bits = 48)]
    ulong FengId,
    [SpeadItem(Katgpucbf.FrequencyId, Name = "frequency", Description = "Number of the first channel in the heap", Bits = 48)]
    ulong Frequency,
    [SpeadItem(Katgpucbf.FengRawId, Name = "feng_raw", Description = "Channelised voltages of both polarisations, real before imaginary, 4-bit",
        Bits = 4, Shape = new[] { SpeadDimension.RunTime, SpeadDimension.RunTime, Katgpucbf.Pols, Katgpucbf.Complex })]
    sbyte[] FengRaw);

/// <summary>
/// X-engine baseline-correlation-products heap (<c>xbgpu/xsend.py</c>): <c>xeng_raw</c> is little-endian int32
/// (<c>&lt;i4</c> whatever the host) of shape (channels per substream, baselines, complex).
/// </summary>
public readonly partial record struct XengDump(
    [SpeadItem(Katgpucbf.TimestampId, Name = "timestamp", Description = "ADC sample count of the first sample in the dump, since the sync epoch", Bits = 48)]
    ulong Timestamp,
    [SpeadItem(Katgpucbf.FrequencyId, Name = "frequency", Description = "Number of the first channel in the heap", Bits = 48)]
    ulong Frequency,
    [SpeadItem(Katgpucbf.XengRawId, Name = "xeng_raw", Description = "Integrated correlation products, real before imaginary",
        Shape = new[] { SpeadDimension.RunTime, SpeadDimension.RunTime, Katgpucbf.Complex }, ByteOrder = SpeadByteOrder.LittleEndian)]
    int[] XengRaw);

/// <summary>
/// Tied-array-channelised-voltage (beam) heap (<c>xbgpu/bsend.py</c>): <c>bf_raw</c> is int8 of shape
/// (channels per substream, spectra per heap, complex).
/// </summary>
public readonly partial record struct BeamHeap(
    [SpeadItem(Katgpucbf.TimestampId, Name = "timestamp", Description = "ADC sample count of the first sample in the heap, since the sync epoch", Bits = 48)]
    ulong Timestamp,
    [SpeadItem(Katgpucbf.FrequencyId, Name = "frequency", Description = "Number of the first channel in the heap", Bits = 48)]
    ulong Frequency,
    [SpeadItem(Katgpucbf.BeamAntsId, Name = "beam_ants", Description = "Antennas included in the beam sum", Bits = 48)]
    ulong BeamAnts,
    [SpeadItem(Katgpucbf.BfRawId, Name = "bf_raw", Description = "Beamformed voltages, real before imaginary",
        Shape = new[] { SpeadDimension.RunTime, SpeadDimension.RunTime, Katgpucbf.Complex })]
    sbyte[] BfRaw);
