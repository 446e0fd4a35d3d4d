using System.Net;
using System.Net.Sockets;

namespace Spead2.Send.Native;

/// <summary>
/// Glue between the stream writer's batches (whole packets back to back in one buffer) and the
/// <see cref="UdpBatchSender"/>: each packet becomes one gather entry pointing into the buffer, which
/// stays pinned for the duration of the call, so nothing is copied again.
/// </summary>
internal static unsafe class CopiedPacketSending
{
    /// <summary>A sender sized for the writer's batches: gather entries only, no scratch.</summary>
    public static UdpBatchSender CreateForCopiedPackets(Socket socket, IReadOnlyList<IPEndPoint> endpoints, int maxPackets) =>
        new(socket, endpoints, new UdpBatchSenderOptions
        {
            MaxPackets = maxPackets,
            MaxIovecs = maxPackets,
            ScratchBytes = 0,
        });

    /// <summary>
    /// Sends <paramref name="packets"/> (slices of <paramref name="buffer"/>) in order; a packet that
    /// fails gets an <see cref="IOException"/> in <paramref name="errors"/>, the others are left null.
    /// Batches larger than the sender's capacity go out in several rounds.
    /// </summary>
    public static void SendCopied(this UdpBatchSender sender, ReadOnlySpan<byte> buffer, ReadOnlySpan<PacketSpan> packets, Span<Exception?> errors)
    {
        fixed (byte* start = buffer)
        {
            int done = 0;
            while (done < packets.Length)
            {
                int n = Math.Min(packets.Length - done, sender.MaxPackets);
                sender.Clear();
                for (int i = 0; i < n; i++)
                {
                    PacketSpan p = packets[done + i];
                    if ((uint)p.Offset > (uint)buffer.Length || (uint)p.Length > (uint)(buffer.Length - p.Offset))
                        throw new ArgumentOutOfRangeException(nameof(packets), $"Packet {done + i} lies outside the buffer.");
                    sender.BeginPacket(p.SubstreamIndex, 0);
                    sender.AddPayload(start + p.Offset, p.Length);
                    sender.EndPacket();
                }
                sender.Send();
                for (int i = 0; i < n; i++)
                {
                    if (sender.GetError(i) != SocketError.Success)
                        errors[done + i] = sender.CreateException(i);
                }
                sender.Clear();
                done += n;
            }
        }
    }
}
