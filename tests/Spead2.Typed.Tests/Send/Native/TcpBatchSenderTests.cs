using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Spead2.Send.Native;

namespace Spead2.Tests.Send.Native;

/// <summary>The TCP writer must put exactly the packets' bytes, in order, on the byte stream.</summary>
[Collection(NativeSendCollection.Name)]
public sealed unsafe class TcpBatchSenderTests : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Socket _client = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Socket _server;
    private readonly List<GCHandle> _pins = new();

    public TcpBatchSenderTests()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1);
        // A small send buffer makes the writer meet EAGAIN and partial writes.
        _client.SendBufferSize = 16 * 1024;
        _client.Connect(_listener.LocalEndPoint!);
        _server = _listener.Accept();
        _server.ReceiveTimeout = 5000;
    }

    public void Dispose()
    {
        foreach (var h in _pins)
            h.Free();
        _server.Dispose();
        _client.Dispose();
        _listener.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PacketsArriveBackToBack(bool portable)
    {
        // 1500 packets of header + 2 payload pieces: more than 1024 gather entries, several MB, a slow reader.
        using var sender = new TcpBatchSender(_client, new PacketBatchOptions { MaxPackets = 1500, MaxIovecs = 4500, ScratchBytes = 1500 * 64 }, portable);
        if (!portable && OperatingSystem.IsLinux() && Environment.Is64BitProcess && !UdpBatchSender.IsPortableForcedByEnvironment())
            Assert.True(sender.UsesGatherWrites);
        var data = new byte[400_000];
        new Random(5).NextBytes(data);
        var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
        _pins.Add(pin);
        byte* basePtr = (byte*)pin.AddrOfPinnedObject();
        var expected = new MemoryStream();
        var random = new Random(6);
        for (int i = 0; i < 1500; i++)
        {
            var header = sender.BeginPacket(0, 48);
            int h = random.Next(8, 48);
            for (int k = 0; k < h; k++)
                header[k] = (byte)(i + k);
            expected.Write(header[..h]);
            sender.CommitScratch(h);
            int offset = random.Next(0, 390_000);
            int a = random.Next(65, 3000);
            int b = random.Next(65, 3000);
            sender.AddPayload(basePtr + offset, Math.Min(a, data.Length - offset));
            expected.Write(data, offset, Math.Min(a, data.Length - offset));
            sender.AddPayload(basePtr + 7, b);
            expected.Write(data, 7, b);
            sender.EndPacket();
        }
        var want = expected.ToArray();
        var got = new byte[want.Length];
        int received = 0;
        Exception? readError = null;
        var reader = new Thread(() =>
        {
            try
            {
                Thread.Sleep(100);   // let the writer fill the buffers first
                while (received < got.Length)
                {
                    int n = _server.Receive(got, received, got.Length - received, SocketFlags.None);
                    if (n == 0)
                        break;
                    received += n;
                }
            }
            catch (SocketException e)
            {
                readError = e;   // reported below rather than crashing the test host
            }
        });
        reader.Start();
        sender.Send();
        for (int i = 0; i < sender.Count; i++)
            Assert.Equal(SocketError.Success, sender.GetError(i));
        Assert.True(reader.Join(10_000), "reader did not finish");
        Assert.Null(readError);
        Assert.Equal(want.Length, received);
        Assert.True(want.AsSpan().SequenceEqual(got), "stream bytes differ");
        if (!portable && sender.UsesGatherWrites)
            Assert.True(sender.SendCalls >= 3, "expected partial writes or several sendmsg calls");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BrokenConnectionFailsTheRestOfTheBatch(bool portable)
    {
        using var sender = new TcpBatchSender(_client, null, portable);
        _server.LingerState = new LingerOption(true, 0);   // close with a reset
        _server.Close();
        Thread.Sleep(50);
        var payload = new byte[1000];
        bool failed = false;
        for (int attempt = 0; attempt < 20 && !failed; attempt++)
        {
            for (int i = 0; i < 10; i++)
            {
                sender.BeginPacket(0, 1000);
                sender.AddPayloadCopy(payload);
                sender.EndPacket();
            }
            sender.Send();
            int firstFailed = -1;
            for (int i = 0; i < sender.Count; i++)
            {
                if (sender.GetError(i) != SocketError.Success && firstFailed < 0)
                    firstFailed = i;
                if (firstFailed >= 0)
                    Assert.NotEqual(SocketError.Success, sender.GetError(i));
            }
            if (firstFailed >= 0)
            {
                failed = true;
                var ex = sender.CreateException(firstFailed);
                Assert.IsType<SocketException>(ex.InnerException);
                // Once broken, later batches fail whole: nothing may follow a partly written packet.
                sender.Clear();
                sender.BeginPacket(0, 10);
                sender.AddPayloadCopy(payload.AsSpan(0, 10));
                sender.EndPacket();
                sender.Send();
                Assert.NotEqual(SocketError.Success, sender.GetError(0));
            }
            sender.Clear();
        }
        Assert.True(failed, "writing to a reset connection never failed");
    }
}
