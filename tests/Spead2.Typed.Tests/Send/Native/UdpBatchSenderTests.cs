using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Spead2.Internal;
using Spead2.Send.Native;

namespace Spead2.Tests.Send.Native;

public enum SendMode { Portable, SendMmsg, Gso }

/// <summary>
/// Loopback tests of the batched UDP sender: a receiving socket must see exactly the datagrams that
/// were added (sizes, bytes, order), whatever path carries them.
/// </summary>
[Collection(NativeSendCollection.Name)]
public sealed unsafe class UdpBatchSenderTests : IDisposable
{
    private readonly List<Receiver> _receivers = new();
    private readonly Socket _sender = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly List<GCHandle> _pins = new();

    /// <summary>64-bit Linux without the forcing environment variable: sendmmsg must be in use.</summary>
    internal static bool FastPathExpected =>
        OperatingSystem.IsLinux() && Environment.Is64BitProcess && !UdpBatchSender.IsPortableForcedByEnvironment();

    // SPEAD2_DISABLE_GSO=1 in the environment turns GSO off for every sender.
    private static bool GsoExpected => FastPathExpected && !EnvironmentSwitch.IsSet(UdpBatchSender.DisableGsoEnvironmentVariable);

    public static TheoryData<SendMode> Modes => new() { SendMode.Portable, SendMode.SendMmsg, SendMode.Gso };

    public void Dispose()
    {
        foreach (var r in _receivers)
            r.Dispose();
        foreach (var h in _pins)
            h.Free();
        _sender.Dispose();
    }

    [Fact]
    public void LinuxUsesSendMmsgAndGso()
    {
        if (!GsoExpected)
            return;   // the fast path is 64-bit Linux only, and off in the forced-portable CI run (xunit v2 has no runtime skip)
        using var sender = NewSender(SendMode.Gso, 1);
        Assert.True(sender.UsesSendMmsg, sender.FallbackReason);
        Assert.True(sender.UsesGso, sender.GsoUnavailableReason);
        Assert.Null(sender.FallbackReason);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void EqualSizedRunWithShorterLastArrivesExactly(SendMode mode)
    {
        using var sender = NewSender(mode, 1);
        var expected = new List<byte[]>();
        for (int i = 0; i < 40; i++)
            expected.Add(MakeDatagram(i, i == 39 ? 301 : 1472));
        AddAll(sender, expected, _ => 0, headerBytes: 48);
        AssertSendsExactly(sender, mode, expected, _ => 0);
        if (mode == SendMode.Gso && GsoExpected)
            Assert.True(sender.SendCalls < expected.Count, $"GSO merged nothing ({sender.SendCalls} calls)");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void MixedSizesArriveExactly(SendMode mode)
    {
        using var sender = NewSender(mode, 1);
        var random = new Random(1234);
        int[] sizes = [1000, 1000, 1000, 500, 1000, 1200, 1200, 8, 1200, 9000, 9000, 9000, 100, 1, 1, 2, 2, 2, 8972, 8972];
        var expected = new List<byte[]>();
        foreach (int size in sizes)
            expected.Add(MakeDatagram(random.Next(), size));
        for (int i = 0; i < 30; i++)
            expected.Add(MakeDatagram(i, random.Next(1, 2000)));
        AddAll(sender, expected, _ => 0, headerBytes: 16);
        AssertSendsExactly(sender, mode, expected, _ => 0);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ManySmallPacketsExceedSegmentAndMessageLimits(SendMode mode)
    {
        // 300 equal packets: more than 64 GSO segments per message and 64 messages per call without GSO.
        using var sender = NewSender(mode, 1, new UdpBatchSenderOptions { MaxPackets = 300, MaxIovecs = 900, ScratchBytes = 300 * 64 });
        var expected = new List<byte[]>();
        for (int i = 0; i < 300; i++)
            expected.Add(MakeDatagram(i, 120));
        AddAll(sender, expected, _ => 0, headerBytes: 24);
        AssertSendsExactly(sender, mode, expected, _ => 0);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void SubstreamsGoToTheirOwnEndpoints(SendMode mode)
    {
        using var sender = NewSender(mode, 3);
        var expected = new List<byte[]>();
        // Runs to the same endpoint (mergeable) and alternation (not mergeable).
        Func<int, int> endpointOf = i => i < 20 ? 0 : i < 30 ? (i % 3) : i < 45 ? 2 : 1;
        for (int i = 0; i < 60; i++)
            expected.Add(MakeDatagram(i, 1472));
        AddAll(sender, expected, endpointOf, headerBytes: 40);
        AssertSendsExactly(sender, mode, expected, endpointOf);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void OversizedDatagramFailsAloneWithMessageSize(SendMode mode)
    {
        using var sender = NewSender(mode, 1, new UdpBatchSenderOptions { ScratchBytes = 200_000 });
        var expected = new List<byte[]>();
        for (int i = 0; i < 10; i++)
            expected.Add(MakeDatagram(i, i == 4 ? 70_000 : 1472));
        AddAll(sender, expected, _ => 0, headerBytes: 32);
        sender.Send();
        for (int i = 0; i < expected.Count; i++)
        {
            if (i == 4)
            {
                Assert.Equal(SocketError.MessageSize, sender.GetError(i));
                var ex = sender.CreateException(i);
                Assert.IsType<SocketException>(ex.InnerException);
                Assert.Contains("70000", ex.Message);
            }
            else
            {
                Assert.Equal(SocketError.Success, sender.GetError(i));
            }
        }
        expected.RemoveAt(4);
        AssertReceived(expected, _ => 0);
    }

    [Fact]
    public void PiecesFromScratchCopiesAndPinnedMemoryAreGatheredInOrder()
    {
        foreach (var mode in new[] { SendMode.Portable, SendMode.Gso })
        {
            using var sender = NewSender(mode, 1);
            var expected = new List<byte[]>();
            var big = Pin(MakeDatagram(7, 3000));
            var small = Pin(MakeDatagram(8, 10));
            for (int i = 0; i < 5; i++)
            {
                var header = MakeDatagram(100 + i, 24);
                var span = sender.BeginPacket(0, 64);
                header.CopyTo(span);
                sender.CommitScratch(header.Length);
                sender.AddPayload((byte*)small.AddrOfPinnedObject(), 10);          // copied next to the header
                sender.AddPayload((byte*)big.AddrOfPinnedObject() + 100, 1000);    // zero copy
                sender.AddPayloadCopy(new byte[] { 1, 2, 3 });                      // explicit copy
                sender.AddPayload((byte*)small.AddrOfPinnedObject() + 2, 5);        // copied again
                sender.EndPacket();
                expected.Add([.. header, .. (byte[])small.Target!, .. ((byte[])big.Target!).AsSpan(100, 1000), 1, 2, 3, .. ((byte[])small.Target!).AsSpan(2, 5)]);
            }
            Assert.Equal(expected[0].Length, sender.GetLength(0));
            AssertSendsExactly(sender, mode, expected, _ => 0);
            foreach (var r in _receivers)
                r.Dispose();
            _receivers.Clear();
        }
    }

    [Fact]
    public void EnvironmentVariableForcesPortablePath()
    {
        string? old = Environment.GetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable, "1");
            using var forced = NewSender(SendMode.Gso, 1);
            Assert.False(forced.UsesSendMmsg);
            Assert.False(forced.UsesGso);
            Assert.Equal("portable path forced", forced.FallbackReason);
            var expected = new List<byte[]> { MakeDatagram(1, 100), MakeDatagram(2, 100) };
            AddAll(forced, expected, _ => 0, headerBytes: 8);
            forced.Send();
            Assert.Equal(2, forced.SendCalls);
            AssertReceived(expected, _ => 0);
        }
        finally
        {
            Environment.SetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable, old);
        }
    }

    [Fact]
    public void StreamOptionsChooseThePathForOneBatchWithoutTheEnvironment()
    {
        // What UdpStreamOptions.PortableSend and Gso hand to the stream's batch.
        IPEndPoint[] endpoints = [new IPEndPoint(IPAddress.Loopback, 9)];
        using (var portable = HeapBatching.CreateUdpGatherBatch(_sender, endpoints, 4, 1472, forcePortable: true, allowGso: true))
        {
            Assert.False(portable.UsesSendMmsg);
            Assert.Equal("portable path forced", portable.FallbackReason);
        }
        if (!FastPathExpected)
            return;
        using var noGso = HeapBatching.CreateUdpGatherBatch(_sender, endpoints, 4, 1472, forcePortable: false, allowGso: false);
        Assert.True(noGso.UsesSendMmsg, noGso.FallbackReason);
        Assert.False(noGso.UsesGso);
        Assert.Equal("GSO not allowed by options", noGso.GsoUnavailableReason);
    }

    [Fact]
    public void EnvironmentVariableTurnsGsoOff()
    {
        if (!FastPathExpected)
            return;
        string? old = Environment.GetEnvironmentVariable(UdpBatchSender.DisableGsoEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(UdpBatchSender.DisableGsoEnvironmentVariable, "1");
            using var sender = new UdpBatchSender(_sender, [new IPEndPoint(IPAddress.Loopback, 9)]);
            Assert.True(sender.UsesSendMmsg);
            Assert.False(sender.UsesGso);
            Assert.Contains(UdpBatchSender.DisableGsoEnvironmentVariable, sender.GsoUnavailableReason);
        }
        finally
        {
            Environment.SetEnvironmentVariable(UdpBatchSender.DisableGsoEnvironmentVariable, old);
        }
    }

    [Fact]
    public void ClearAllowsReuseWithoutResending()
    {
        using var sender = NewSender(SendMode.Gso, 1);
        var first = new List<byte[]> { MakeDatagram(1, 500), MakeDatagram(2, 500) };
        AddAll(sender, first, _ => 0, 8);
        sender.Send();
        sender.Clear();
        Assert.Equal(0, sender.Count);
        var second = new List<byte[]> { MakeDatagram(3, 700) };
        AddAll(sender, second, _ => 0, 8);
        sender.Send();
        AssertReceived([.. first, .. second], _ => 0);
    }

    [Fact]
    public void MisuseIsReported()
    {
        using var sender = NewSender(SendMode.Gso, 2, new UdpBatchSenderOptions { MaxPackets = 1, ScratchBytes = 64 });
        Assert.Throws<ArgumentOutOfRangeException>(() => sender.BeginPacket(2, 8));
        Assert.Throws<InvalidOperationException>(() => sender.EndPacket());
        sender.BeginPacket(0, 8);
        Assert.Throws<InvalidOperationException>(() => sender.BeginPacket(0, 8));
        Assert.Throws<InvalidOperationException>(() => sender.CommitScratch(9));
        Assert.Throws<InvalidOperationException>(() => sender.AddPayloadCopy(new byte[9]));
        sender.EndPacket();
        Assert.False(sender.HasRoom(0, 0));
        Assert.Throws<InvalidOperationException>(() => sender.BeginPacket(0, 8));
        Assert.Throws<ArgumentException>(() => new UdpBatchSender(_sender, Array.Empty<IPEndPoint>()));
        Assert.Throws<ArgumentException>(() => new UdpBatchSender(_sender, [new IPEndPoint(IPAddress.IPv6Loopback, 9)]));
    }

    [Fact]
    public void IPv6LoopbackWorks()
    {
        if (!Socket.OSSupportsIPv6)
            return;
        using var receiver = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            receiver.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        }
        catch (SocketException)
        {
            return;   // ::1 not configured on this machine
        }
        receiver.ReceiveTimeout = 5000;
        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        using var sender = new UdpBatchSender(socket, [(IPEndPoint)receiver.LocalEndPoint!]);
        var expected = new List<byte[]>();
        for (int i = 0; i < 10; i++)
            expected.Add(MakeDatagram(i, i == 9 ? 20 : 1000));
        AddAll(sender, expected, _ => 0, 8);
        sender.Send();
        var buffer = new byte[70_000];
        foreach (var datagram in expected)
        {
            int n = receiver.Receive(buffer);
            Assert.Equal(datagram, buffer.AsSpan(0, n).ToArray());
        }
    }

    private UdpBatchSender NewSender(SendMode mode, int endpoints, UdpBatchSenderOptions? options = null)
    {
        var eps = new List<IPEndPoint>();
        for (int i = 0; i < endpoints; i++)
        {
            var r = new Receiver();
            _receivers.Add(r);
            eps.Add(r.EndPoint);
        }
        options ??= new UdpBatchSenderOptions();
        options = new UdpBatchSenderOptions
        {
            MaxPackets = options.MaxPackets,
            MaxIovecs = options.MaxIovecs,
            ScratchBytes = options.ScratchBytes,
            ForcePortable = mode == SendMode.Portable,
            AllowGso = mode == SendMode.Gso,
        };
        var sender = new UdpBatchSender(_sender, eps, options);
        try
        {
            if (mode != SendMode.Portable && FastPathExpected)
            {
                Assert.True(sender.UsesSendMmsg, sender.FallbackReason);
                Assert.Equal(mode == SendMode.Gso && GsoExpected, sender.UsesGso);
            }
        }
        catch
        {
            // The sender holds a reference on the socket's handle: undisposed, it would keep the socket's disposal
            // (in Dispose) waiting for ever.
            sender.Dispose();
            throw;
        }
        return sender;
    }

    private GCHandle Pin(byte[] data)
    {
        var h = GCHandle.Alloc(data, GCHandleType.Pinned);
        _pins.Add(h);
        return h;
    }

    /// <summary>Adds each datagram as header (copied into scratch) plus a zero-copy payload pointer.</summary>
    private void AddAll(UdpBatchSender sender, List<byte[]> datagrams, Func<int, int> endpointOf, int headerBytes)
    {
        for (int i = 0; i < datagrams.Count; i++)
        {
            var d = datagrams[i];
            int h = Math.Min(headerBytes, d.Length);
            var span = sender.BeginPacket(endpointOf(i), h);
            d.AsSpan(0, h).CopyTo(span);
            sender.CommitScratch(h);
            if (d.Length > h)
            {
                var pin = Pin(d);
                sender.AddPayload((byte*)pin.AddrOfPinnedObject() + h, d.Length - h);
            }
            Assert.Equal(i, sender.EndPacket());
            Assert.Equal(d.Length, sender.GetLength(i));
        }
    }

    private void AssertSendsExactly(UdpBatchSender sender, SendMode mode, List<byte[]> expected, Func<int, int> endpointOf)
    {
        sender.Send();
        for (int i = 0; i < expected.Count; i++)
            Assert.Equal(SocketError.Success, sender.GetError(i));
        if (mode == SendMode.Portable)
            Assert.Equal(expected.Count, sender.SendCalls);
        AssertReceived(expected, endpointOf);
    }

    private void AssertReceived(List<byte[]> expected, Func<int, int> endpointOf)
    {
        for (int e = 0; e < _receivers.Count; e++)
        {
            var mine = new List<byte[]>();
            for (int i = 0; i < expected.Count; i++)
            {
                if (endpointOf(i) == e)
                    mine.Add(expected[i]);
            }

            var got = _receivers[e].ReceiveAll(mine.Count);
            Assert.Equal(mine.Count, got.Count);
            for (int i = 0; i < mine.Count; i++)
            {
                Assert.True(mine[i].Length == got[i].Length, $"endpoint {e} datagram {i}: expected {mine[i].Length} bytes, got {got[i].Length}");
                Assert.True(mine[i].AsSpan().SequenceEqual(got[i]), $"endpoint {e} datagram {i}: bytes differ");
            }
            Assert.False(_receivers[e].HasMore(), $"endpoint {e} received extra datagrams");
        }
    }

    private static byte[] MakeDatagram(int seed, int size)
    {
        var data = new byte[size];
        new Random(seed * 7919 + size).NextBytes(data);
        return data;
    }

    private sealed class Receiver : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly byte[] _buffer = new byte[70_000];

        public Receiver()
        {
            // Large enough to hold a whole test batch: the tests send before they read.
            _socket.ReceiveBufferSize = 4 << 20;
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _socket.ReceiveTimeout = 5000;
        }

        public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

        public List<byte[]> ReceiveAll(int count)
        {
            var list = new List<byte[]>(count);
            for (int i = 0; i < count; i++)
            {
                int n = _socket.Receive(_buffer);
                list.Add(_buffer.AsSpan(0, n).ToArray());
            }
            return list;
        }

        public bool HasMore() => _socket.Poll(50_000, SelectMode.SelectRead);

        public void Dispose() => _socket.Dispose();
    }
}

/// <summary>
/// The native send tests run alone, one by one: one of them changes a process-wide environment variable, and they
/// measure socket behaviour that other tests' traffic on the same interfaces would disturb. They are quick.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeSendCollection
{
    public const string Name = "Native send path (alone)";
}
