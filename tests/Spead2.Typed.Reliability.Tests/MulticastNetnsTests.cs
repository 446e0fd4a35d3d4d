using System.Diagnostics;
using System.Globalization;

namespace Spead2.Reliability.Tests;

/// <summary>
/// Real multicast between two network namespaces joined by a veth pair (created here, removed afterwards): a
/// sender with a TTL and an interface address in one, a receiver joining the group in the other, each a child
/// process (the NetnsPeer helper). Skipped, with the reason, where namespaces cannot be created.
/// Only addresses inside these private namespaces are used: nothing leaves the machine.
/// </summary>
[Trait("Category", "Slow")]
public class MulticastNetnsTests(ITestOutputHelper output)
{
    private const string Group = "239.255.71.48";
    private const string SenderAddress = "10.231.48.1";
    private const string ReceiverAddress = "10.231.48.2";

    [NetnsFact]
    public void HeapsCrossNamespacesByMulticastWithTheRequestedTtl()
    {
        using var netns = new Netns();
        (string a, string b) = CreatePair(netns, mtu: null);
        int port = 7148 + Environment.ProcessId % 1000;
        const int heaps = 300;

        // The TTL set on the stream is the one on the wire (Linux's default multicast TTL is 1, so 1 would prove
        // nothing); with it, every heap reaches the other namespace, intact and in order.
        const int ttl = 7;
        var (_, received) = RunPair(a, b, Group, port, $"--ttl {ttl} --size 8192 --rate 20e6", heaps, heaps, receiveTimeoutMs: 20_000);
        output.WriteLine($"TTL {ttl}: sent {heaps} heaps of 8192 B across the veth pair; receiver: {Format(received)}");
        Assert.Equal(heaps, received["heaps"]);
        Assert.Equal(heaps, received["intact"]);
        Assert.Equal(1, received["inorder"]);
        Assert.Equal(0, received["malformed"]);
        Assert.Equal(ttl, received["ttl"]);

        // A different TTL on a second run, so the check above cannot pass by coincidence.
        var (_, again) = RunPair(a, b, Group, port, "--ttl 3 --size 8192 --rate 20e6", 20, 20, receiveTimeoutMs: 20_000);
        output.WriteLine($"TTL 3: sent 20 heaps; receiver: {Format(again)}");
        Assert.Equal(20, again["heaps"]);
        Assert.Equal(3, again["ttl"]);
    }

    /// <summary>
    /// A link with a 1280-byte MTU and 8192-byte packets. By default the OS fragments them and every heap arrives;
    /// from a socket that refuses to fragment (IP_PMTUDISC_DO), each oversized packet fails with EMSGSIZE on its own
    /// heap's send, and the small heaps in between still go and arrive.
    /// </summary>
    [NetnsFact]
    public void PacketsLargerThanASmallMtuAreFragmentedOrFailOnTheirOwnHeap()
    {
        using var netns = new Netns();
        (string a, string b) = CreatePair(netns, mtu: 1280);
        int port = 7148 + Environment.ProcessId % 1000;
        const int heaps = 40;
        const string sizes = "--size 20000 --small 500 --packet 8192 --rate 20e6";

        var (sent, received) = RunPair(a, b, ReceiverAddress, port, sizes, heaps, heaps, receiveTimeoutMs: 20_000);
        output.WriteLine($"MTU 1280, 8192-byte packets, fragmenting allowed: sender {Format(sent)}; receiver {Format(received)}");
        Assert.Equal(heaps, sent["sent"]);
        Assert.Equal(heaps, received["heaps"]);
        Assert.Equal(heaps, received["intact"]);

        var (refused, rest) = RunPair(a, b, ReceiverAddress, port, sizes + " --df 1", heaps, heaps / 2, receiveTimeoutMs: 20_000);
        output.WriteLine($"MTU 1280, 8192-byte packets, IP_PMTUDISC_DO: sender {Format(refused)}; receiver {Format(rest)}");
        Assert.Equal(heaps / 2, refused["failed"]);   // every big heap ...
        Assert.Equal(heaps / 2, refused["emsgsize"]); // ... with EMSGSIZE ...
        Assert.Equal(0, refused["failedodd"]);        // ... and no small one
        Assert.Equal(heaps / 2, rest["heaps"]);
        Assert.Equal(heaps / 2, rest["intact"]);
        Assert.Equal(1, rest["inorder"]);
    }

    /// <summary>Two namespaces joined by a veth pair with private addresses; no routes beyond their own link.</summary>
    private (string A, string B) CreatePair(Netns netns, int? mtu)
    {
        string a = netns.Add("a");
        string b = netns.Add("b");
        string veth = $"s2r{Environment.ProcessId}";
        Netns.Run("ip", $"link add {veth}a netns {a} type veth peer name {veth}b netns {b}");
        Netns.Run("ip", $"-n {a} addr add {SenderAddress}/24 dev {veth}a");
        Netns.Run("ip", $"-n {b} addr add {ReceiverAddress}/24 dev {veth}b");
        if (mtu is { } m)
        {
            Netns.Run("ip", $"-n {a} link set {veth}a mtu {m}");
            Netns.Run("ip", $"-n {b} link set {veth}b mtu {m}");
        }
        Netns.Run("ip", $"-n {a} link set {veth}a up");
        Netns.Run("ip", $"-n {b} link set {veth}b up");
        // Namespace a has no route but its own link: multicast works only because the stream picks the interface.
        output.WriteLine($"namespaces {a} ({SenderAddress}) and {b} ({ReceiverAddress}) joined by {veth}a/{veth}b" +
            (mtu is null ? "" : $", MTU {mtu}") + $"; routes in {a}: " + Netns.Run("ip", $"-n {a} route show").Trim().Replace('\n', ';'));
        return (a, b);
    }

    private static string Format(Dictionary<string, long> result) => string.Join(' ', result.Select(kv => $"{kv.Key}={kv.Value}"));

    private (Dictionary<string, long> Sender, Dictionary<string, long> Receiver) RunPair(
        string senderNs, string receiverNs, string destination, int port, string sendOptions, int heaps, int expected, int receiveTimeoutMs)
    {
        using Process receiver = StartPeer(receiverNs,
            $"recv --group {destination} --port {port} --iface {ReceiverAddress} --heaps {expected} --timeout-ms {receiveTimeoutMs}");
        try
        {
            Task<string?> readyLine = receiver.StandardOutput.ReadLineAsync();
            if (!readyLine.Wait(TimeSpan.FromSeconds(30)) || readyLine.Result != "READY")
            {
                Assert.Fail($"the receiver did not get ready: {readyLine.Result ?? "(no output)"} {receiver.StandardError.ReadToEnd()}");
            }
            Dictionary<string, long> sent;
            using (Process sender = StartPeer(senderNs,
                $"send --group {destination} --port {port} --iface {SenderAddress} --heaps {heaps} {sendOptions}"))
            {
                sent = Parse(WaitForResult(sender, TimeSpan.FromSeconds(60)));
            }
            return (sent, Parse(WaitForResult(receiver, TimeSpan.FromMilliseconds(receiveTimeoutMs + 30_000))));
        }
        finally
        {
            if (!receiver.HasExited)
            {
                receiver.Kill(entireProcessTree: true);
            }
        }
    }

    private static string WaitForResult(Process process, TimeSpan timeout)
    {
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the peer did not finish in {timeout.TotalSeconds} s");
        }
        string text = stdout.Result;
        string? result = text.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("RESULT", StringComparison.Ordinal));
        Assert.True(process.ExitCode == 0 && result is not null, $"the peer failed (exit {process.ExitCode}): {text} {stderr.Result}");
        return result!;
    }

    private static Dictionary<string, long> Parse(string line) =>
        line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(kv => kv.Split('='))
            .ToDictionary(kv => kv[0], kv => long.Parse(kv[1], CultureInfo.InvariantCulture));

    private static Process StartPeer(string ns, string arguments)
    {
        // The peer is built next to this project (same configuration and framework folder).
        string dll = Path.Combine(AppContext.BaseDirectory.Replace("Spead2.Typed.Reliability.Tests", "Spead2.Typed.NetnsPeer", StringComparison.Ordinal),
            "Spead2.Typed.NetnsPeer.dll");
        Assert.True(File.Exists(dll), $"the namespace peer is not built: {dll}");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var info = new ProcessStartInfo("ip", $"netns exec {ns} {dotnet} {dll} {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return Process.Start(info)!;
    }
}
