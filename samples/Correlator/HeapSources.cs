using Spead2.Protocol;
using Spead2.Typed;

namespace Correlator;

/// <summary>
/// The three streams' record values. The payloads are synthetic but recognisable: a tone whose phase advances with
/// channel and spectrum (F and beam), and visibilities that encode their channel and product index (X), so that a
/// receiver can check it got each value where it belongs. They are built once per substream; only the timestamp
/// changes from heap to heap.
/// </summary>
internal static class HeapSources
{
    public static HeapSource Feng(CorrelatorLayout layout)
    {
        var shapes = new SpeadShapes { { nameof(FengHeap.FengRaw), layout.ChannelsPerSubstream, layout.Options.SpectraPerHeap, Katgpucbf.Pols, Katgpucbf.Complex } };
        var values = new FengHeap[layout.Substreams];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = new FengHeap(0, (ulong)layout.Options.FengId, (ulong)layout.FirstChannel(i), Voltages(layout, i, amplitude: 40));
        }

        return new HeapSource<FengHeap>(new HeapWriter<FengHeap>(shapes, flavour: Katgpucbf.Flavour), values, static (v, t) => v with { Timestamp = t });
    }

    public static HeapSource Feng4(CorrelatorLayout layout)
    {
        var shapes = new SpeadShapes { { nameof(FengHeap4.FengRaw), layout.ChannelsPerSubstream, layout.Options.SpectraPerHeap, Katgpucbf.Pols, Katgpucbf.Complex } };
        var values = new FengHeap4[layout.Substreams];
        for (var i = 0; i < values.Length; i++)
        {
            // 4-bit signed samples: -8 to 7.
            values[i] = new FengHeap4(0, (ulong)layout.Options.FengId, (ulong)layout.FirstChannel(i), Voltages(layout, i, amplitude: 7));
        }

        return new HeapSource<FengHeap4>(new HeapWriter<FengHeap4>(shapes, flavour: Katgpucbf.Flavour), values, static (v, t) => v with { Timestamp = t });
    }

    public static HeapSource Xeng(CorrelatorLayout layout)
    {
        var shapes = new SpeadShapes { { nameof(XengDump.XengRaw), layout.ChannelsPerSubstream, layout.Baselines, Katgpucbf.Complex } };
        var values = new XengDump[layout.Substreams];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = new XengDump(0, (ulong)layout.FirstChannel(i), Visibilities(layout, i));
        }

        return new HeapSource<XengDump>(new HeapWriter<XengDump>(shapes, flavour: Katgpucbf.Flavour), values, static (v, t) => v with { Timestamp = t });
    }

    public static HeapSource Beam(CorrelatorLayout layout)
    {
        var shapes = new SpeadShapes { { nameof(BeamHeap.BfRaw), layout.ChannelsPerSubstream, layout.Options.SpectraPerHeap, Katgpucbf.Complex } };
        var values = new BeamHeap[layout.Substreams];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = new BeamHeap(0, (ulong)layout.FirstChannel(i), (ulong)layout.Options.Antennas, BeamVoltages(layout, i));
        }

        return new HeapSource<BeamHeap>(new HeapWriter<BeamHeap>(shapes, flavour: Katgpucbf.Flavour), values, static (v, t) => v with { Timestamp = t });
    }

    /// <summary>(channels, spectra, pols, complex) in C order: pol 1 a quarter turn behind pol 0.</summary>
    internal static sbyte[] Voltages(CorrelatorLayout layout, int substream, int amplitude)
    {
        var cps = layout.ChannelsPerSubstream;
        var spectra = layout.Options.SpectraPerHeap;
        var first = layout.FirstChannel(substream);
        var data = new sbyte[cps * spectra * Katgpucbf.Pols * Katgpucbf.Complex];
        var k = 0;
        for (var c = 0; c < cps; c++)
        {
            for (var s = 0; s < spectra; s++)
            {
                for (var p = 0; p < Katgpucbf.Pols; p++)
                {
                    var phase = Phase(first + c, s) - p * Math.PI / 2;
                    data[k++] = (sbyte)Math.Round(amplitude * Math.Cos(phase));
                    data[k++] = (sbyte)Math.Round(amplitude * Math.Sin(phase));
                }
            }
        }

        return data;
    }

    /// <summary>(channels, spectra, complex) in C order.</summary>
    internal static sbyte[] BeamVoltages(CorrelatorLayout layout, int substream)
    {
        var cps = layout.ChannelsPerSubstream;
        var spectra = layout.Options.SpectraPerHeap;
        var first = layout.FirstChannel(substream);
        var beamGain = 20 + 10 * substream;   // each beam a different amplitude
        var data = new sbyte[cps * spectra * Katgpucbf.Complex];
        var k = 0;
        for (var c = 0; c < cps; c++)
        {
            for (var s = 0; s < spectra; s++)
            {
                var phase = Phase(first + c, s);
                data[k++] = (sbyte)Math.Clamp(Math.Round(beamGain * Math.Cos(phase)), -127, 127);
                data[k++] = (sbyte)Math.Clamp(Math.Round(beamGain * Math.Sin(phase)), -127, 127);
            }
        }

        return data;
    }

    /// <summary>(channels, baselines, complex) in C order: real = 1000·channel + product, imaginary = -product.</summary>
    internal static int[] Visibilities(CorrelatorLayout layout, int substream)
    {
        var cps = layout.ChannelsPerSubstream;
        var first = layout.FirstChannel(substream);
        var data = new int[cps * layout.Baselines * Katgpucbf.Complex];
        var k = 0;
        for (var c = 0; c < cps; c++)
        {
            for (var b = 0; b < layout.Baselines; b++)
            {
                data[k++] = (int)((first + c) * 1000 + b);
                data[k++] = -b;
            }
        }

        return data;
    }

    private static double Phase(long channel, int spectrum) => 2 * Math.PI * (channel % 16) / 16 + Math.PI * spectrum / 8;
}
