using Spead2.Protocol;

namespace Correlator;

/// <summary>
/// Facts about katgpucbf's output streams that the sample reproduces. Sources (ska-sa/katgpucbf):
/// <c>src/katgpucbf/spead.py</c> (IDs, flavour, port), <c>src/katgpucbf/__init__.py</c> (descriptor interval,
/// packet payload, TTL), <c>fgpu/send.py</c> and <c>xbgpu/xsend.py</c>/<c>bsend.py</c> (preamble sizes, cnt
/// sequences, shapes, dtypes).
/// </summary>
public static class Katgpucbf
{
    /// <summary><c>timestamp</c>: ADC sample count of the first sample of the heap (48-bit immediate).</summary>
    public const int TimestampId = 0x1600;

    /// <summary><c>feng_id</c>: which F-engine sent the heap (48-bit immediate).</summary>
    public const int FengIdId = 0x4101;

    /// <summary><c>frequency</c>: the first channel in the heap (48-bit immediate; a channel number, not Hz).</summary>
    public const int FrequencyId = 0x4103;

    /// <summary><c>feng_raw</c>: channelised voltages, (channels, spectra, pols, complex), int8 or packed 4-bit.</summary>
    public const int FengRawId = 0x4300;

    /// <summary><c>xeng_raw</c>: integrated correlation products, (channels, baselines, complex), <c>&lt;i4</c>.</summary>
    public const int XengRawId = 0x1800;

    /// <summary><c>bf_raw</c>: beamformer output, (channels, spectra, complex), int8.</summary>
    public const int BfRawId = 0x5000;

    /// <summary><c>beam_ants</c>: the number of antennas in the beam sum (48-bit immediate).</summary>
    public const int BeamAntsId = 0x5004;

    /// <summary>SPEAD-64-48: 64-bit item pointers, 48 heap address bits (katgpucbf's <c>FLAVOUR</c>).</summary>
    public static readonly Flavour Flavour = new(4, 64, 48);

    /// <summary>katgpucbf's <c>DEFAULT_PORT</c>, used when a destination has no port.</summary>
    public const int DefaultPort = 7148;

    /// <summary>katgpucbf's <c>DEFAULT_TTL</c> for multicast destinations.</summary>
    public const int MulticastTtl = 4;

    /// <summary>katgpucbf's <c>SPEAD_DESCRIPTOR_INTERVAL_S</c>: descriptors are resent this often (seconds).</summary>
    public const double DescriptorIntervalSeconds = 5;

    /// <summary>katgpucbf's <c>DEFAULT_PACKET_PAYLOAD_BYTES</c>.</summary>
    public const int DefaultPacketPayload = 8192;

    /// <summary>Polarisations per antenna (<c>N_POLS</c>).</summary>
    public const int Pols = 2;

    /// <summary>Real and imaginary (<c>COMPLEX</c>).</summary>
    public const int Complex = 2;

    /// <summary>
    /// The bytes in front of each packet's payload: the 8-byte header and one 8-byte pointer per item, every item
    /// repeated in every packet (F and beam heaps: cnt, size, offset, payload length and four items = 72; X heaps
    /// have three items = 64). katgpucbf sets the maximum packet size to payload + this.
    /// </summary>
    /// <param name="items">Items in the heap besides the four packet fields.</param>
    /// <returns>The preamble size in bytes.</returns>
    public static int PreambleSize(int items) => 8 + (4 + items) * 8;
}
