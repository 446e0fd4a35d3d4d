using System.Net;
using Spead2.Cli.Bench;
using Spead2.Protocol;
using Spead2.Send;

namespace Spead2.Cli.Tests;

public class CliTests
{
    private static SendCommand.Options SendOptions(string destination, bool tcp = false, long heaps = 5, long heapSize = 65536, int items = 2) =>
        new([destination], heapSize, items, heaps, 1472, 0, 65536, 1.05, 4, RateMethod.Auto, 40, false, tcp, null, null, null, 0, "|u1");

    [Theory]
    [InlineData("send")]
    [InlineData("send 127.0.0.1:8888 --heap-size nope")]
    [InlineData("send 127.0.0.1:8888 --no-such-option")]
    [InlineData("recv")]
    [InlineData("frobnicate")]
    public async Task BadOptions_Exit2(string args) =>
        Assert.Equal(2, await Program.Main(args.Split(' ')));

    [Fact]
    public async Task BadValues_Exit2WithMessage()
    {
        Assert.Equal(2, await Program.Main(["send", "127.0.0.1:8888", "--packet", "10", "--heaps", "1"]));
        Assert.Equal(2, await Program.Main(["send", "not-an-endpoint", "--heaps", "1"]));
    }

    [Fact]
    public void Help_DocumentsDefaults()
    {
        var help = new StringWriter();
        var root = Program.BuildRoot();
        var result = root.Parse(["send", "--help"]);
        result.InvocationConfiguration.Output = help;
        result.Invoke();
        Assert.Contains("--heap-size", help.ToString());
        Assert.Contains("4194304", help.ToString());
        Assert.Contains("--burst-rate-ratio", help.ToString());
    }

    [Fact]
    public void Endpoints_Parse()
    {
        Assert.Equal(("::1", 7148), Endpoints.Split("[::1]:7148"));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 1), Endpoints.Resolve("127.0.0.1:1"));
        Assert.Throws<FormatException>(() => Endpoints.Split("127.0.0.1"));
        Assert.Throws<FormatException>(() => Endpoints.Split("h:70000"));
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(false, false, true)]
    [InlineData(true, false, true)]
    public async Task SendToRecv_OnLoopback(bool tcp, bool syncContinuations, bool ring)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ready = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var recvOut = new StringWriter();
        // The end-of-stream heap stops the receiver (and, complete, is not delivered: spead2 semantics).
        var recv = RecvCommand.RunAsync(new RecvCommand.Options("127.0.0.1:0", tcp, 8, null, null, -1, false, 40, false, Ring: ring), recvOut, ready, cts.Token);
        var local = await ready.Task.WaitAsync(cts.Token);
        var sendOut = new StringWriter();
        // Over UDP a fast sender can overrun the receiver; a rate keeps the test about the tools, not the kernel.
        var options = SendOptions($"127.0.0.1:{local.Port}", tcp) with { RateGbps = tcp ? 0 : 0.5, SyncContinuations = syncContinuations };
        Assert.Equal(syncContinuations, SendCommand.MakeConfig(options).AllowSynchronousContinuations);
        Assert.Equal(0, await SendCommand.RunAsync(options, sendOut, cts.Token));
        Assert.Equal(0, await recv.WaitAsync(cts.Token));
        Assert.Contains("Sent 5 heaps", sendOut.ToString());
        string text = recvOut.ToString();
        Assert.Contains("descriptor 0x1000 item0", text);
        Assert.Contains("0x1001 item1 (32768) = [1, 2, 3, 4, 5, 6, 7, 8, ...", text);
        Assert.True(text.Contains("Received 5 heaps (0 incomplete)", StringComparison.Ordinal), text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Recv_StopsAfterHeaps(bool ring)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ready = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var recvOut = new StringWriter();
        var recv = RecvCommand.RunAsync(new RecvCommand.Options("127.0.0.1:0", false, 8, null, null, 2, false, 40, false, Ring: ring), recvOut, ready, cts.Token);
        var local = await ready.Task.WaitAsync(cts.Token);
        // UDP, paced: the sender finishes whether or not the receiver still listens after its second heap.
        var options = SendOptions($"127.0.0.1:{local.Port}") with { RateGbps = 0.5 };
        Assert.Equal(0, await SendCommand.RunAsync(options, new StringWriter(), cts.Token));
        Assert.Equal(0, await recv.WaitAsync(cts.Token));
        string[] printed = recvOut.ToString().Split('\n').Where(l => l.StartsWith("Heap ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, printed.Length);
    }

    [Fact]
    public void MakeItems_SplitsTheHeap()
    {
        var items = SendCommand.MakeItems(SendOptions("127.0.0.1:1", heapSize: 1000, items: 3) with { Dtype = "<u2" });
        Assert.Equal(3, items.Length);
        Assert.All(items, i => Assert.Equal(332, i.Data.Length));
        Assert.Equal("<u2", items[0].Descriptor.Dtype);
        var e = Assert.Throws<UsageException>(() => SendCommand.MakeItems(SendOptions("127.0.0.1:1", heapSize: 5, items: 3) with { Dtype = "<u2" }));
        Assert.Equal("--heap-size must be >= 6 bytes for 3 items of 2-byte <u2 elements, got 5", e.Message);
    }

    [Theory]
    [InlineData(8, 1024, "--heap-size 1K with --items 1 and --dtype |u1 does not fit --addr-bits 8: Item ID out of range for SPEAD-64-8: the largest a descriptor can carry is 0xFF (value 4096).")]
    [InlineData(16, 65536, "--heap-size 64K with --items 1 and --dtype |u1 does not fit --addr-bits 16: Shape dimension 0 does not fit the 2-byte field of SPEAD-64-16 (value 65536).")]
    public async Task Send_OptionsThatDoNotFitTheFlavour_AreNamed(int addrBits, long heapSize, string message)
    {
        var options = SendOptions("127.0.0.1:9", heapSize: heapSize, items: 1) with { AddrBits = addrBits };
        var e = await Assert.ThrowsAsync<UsageException>(() => SendCommand.RunAsync(options, new StringWriter(), CancellationToken.None));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task Send_DestinationRules_AreNamed()
    {
        var twoTcp = SendOptions("127.0.0.1:9", tcp: true) with { Destinations = ["127.0.0.1:9", "127.0.0.1:10"] };
        var e = await Assert.ThrowsAsync<UsageException>(() => SendCommand.RunAsync(twoTcp, new StringWriter(), CancellationToken.None));
        Assert.Equal("--tcp sends to exactly one destination, got 2", e.Message);
        var ttl = SendOptions("127.0.0.1:9") with { Ttl = 3 };
        e = await Assert.ThrowsAsync<UsageException>(() => SendCommand.RunAsync(ttl, new StringWriter(), CancellationToken.None));
        Assert.Equal("--ttl 3 needs multicast destinations, got 127.0.0.1:9", e.Message);
    }

    [Fact]
    public void LibraryMessage_DropsParameterNamesAndKeepsTheValue()
    {
        Assert.Equal("The rate must be at least 0 (value -1).",
            CliOptions.LibraryMessage(new ArgumentOutOfRangeException("Rate", -1.0, "The rate must be at least 0.")));
        Assert.Equal("Endpoint x is not a multicast address.",
            CliOptions.LibraryMessage(new ArgumentException("Endpoint x is not a multicast address.", "endpoints")));
        Assert.Equal("No parameter here.", CliOptions.LibraryMessage(new ArgumentException("No parameter here.")));
    }

    [Fact]
    public async Task Send_CancelledBeforeStarting_SendsOnlyTheEndAndSaysSo()
    {
        var output = new StringWriter();
        Assert.Equal(0, await SendCommand.RunAsync(SendOptions("127.0.0.1:9", heaps: -1), output, new CancellationToken(canceled: true)));
        string text = output.ToString();
        Assert.Contains("Stopped by a signal; the end-of-stream heap was sent.", text);
        Assert.Contains("Sent 0 heaps", text);
    }
}

/// <summary><c>bench --vs-spead2</c>: the cases it parses and the table it prints without spead2.</summary>
public class VsSpead2Tests
{
    [Fact]
    public void CasesAreParsedWithSizeSuffixes()
    {
        var cases = VsSpead2.ParseCases("1M/1472x8000, 8K/9000x200000,100/64x1");
        Assert.Equal(
            [new VsSpead2.Case(1 << 20, 1472, 8000), new VsSpead2.Case(8192, 9000, 200_000), new VsSpead2.Case(100, 64, 1)],
            cases);
        Assert.Throws<ArgumentException>(() => VsSpead2.ParseCases("1M/1472"));
        Assert.Throws<ArgumentException>(() => VsSpead2.ParseCases("1Q/1472x10"));
        Assert.Throws<ArgumentException>(() => VsSpead2.ParseCases("1K/10x10"));
        Assert.Throws<ArgumentException>(() => VsSpead2.ParseCases(""));
    }

    [Fact]
    public async Task WithoutSpead2ItSaysSoAndMeasuresOursAlone()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "spead2-typed.dll");
        string dotnet = Environment.ProcessPath!;
        var output = new StringWriter();
        int rc = await VsSpead2.RunAsync(new VsSpead2Options(VsSpead2.ParseCases("1K/1472x2000"), Runs: 2, MaxHeaps: 4,
            OursCommand: $"{dotnet} {dll}", OursArgs: null), output, lookForSpead2: false);
        string text = output.ToString();
        Assert.Equal(0, rc);
        Assert.Contains("spead2_send is not on PATH: running ours alone", text);
        Assert.Contains("| 1K heaps / 1472 B packets × 2,000 |", text);
    }
}
