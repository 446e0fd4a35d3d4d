using System.Diagnostics;
using System.Globalization;

namespace Spead2.Reliability.Tests;

/// <summary>
/// Real multicast between two network namespaces joined by a veth pair (created here, removed afterwards): a
/// sender with a TTL and an interface address in one, a receiver joining the group in the other, each a child
/// process (the NetnsPeer helper). Skipped, with the reason, where namespaces cannot be created.
/// Only addresses inside these private namespaces are used: nothing leaves the machine.
/// </summary>
public class MulticastNetnsTests(ITestOutputHelper output)
{
    private const string Group = "239.255.71.48";
    private const string SenderAddress = "10.231.48.1";
    private const string ReceiverAddress = "10.231.48.2";

    [NetnsFact]
    public void HeapsCrossNamespacesByMulticastWithTheRequestedTtl()
    {
        using var netns = new Netns();
        string a = netns.Add("a");
        string b = netns.Add("b");
        string veth = $"s2r{Environment.ProcessId}";
        Netns.Run("ip", $"link add {veth}a netns {a} type veth peer name {veth}b netns {b}");
        Netns.Run("ip", $"-n {a} addr add {SenderAddress}/24 dev {veth}a");
        Netns.Run("ip", $"-n {b} addr add {ReceiverAddress}/24 dev {veth}b");
        Netns.Run("ip", $"-n {a} link set {veth}a up");
        Netns.Run("ip", $"-n {b} link set {veth}b up");
        // No route anywhere in namespace a: sending works only because the stream picks the interface by address.
        output.WriteLine($"namespaces {a} ({SenderAddress}) and {b} ({ReceiverAddress}) joined by {veth}a/{veth}b; routes in {a}: " +
            Netns.Run("ip", $"-n {a} route show").Trim().Replace('\n', ';'));

        int port = 7148 + Environment.ProcessId % 1000;
        const int heaps = 300;

        // The TTL set on the stream is the one on the wire (Linux's default multicast TTL is 1, so 1 would prove
        // nothing); with it, every heap reaches the other namespace, intact and in order.
        const int ttl = 7;
        var received = RunPair(a, b, port, ttl, heaps, receiveTimeoutMs: 20_000);
        output.WriteLine($"TTL {ttl}: sent {heaps} heaps of 8192 B across the veth pair; receiver: {Format(received)}");
        Assert.Equal(heaps, received["heaps"]);
        Assert.Equal(heaps, received["intact"]);
        Assert.Equal(1, received["inorder"]);
        Assert.Equal(0, received["malformed"]);
        Assert.Equal(ttl, received["ttl"]);

        // A different TTL on a second run, so the check above cannot pass by coincidence.
        var again = RunPair(a, b, port, ttl: 3, 20, receiveTimeoutMs: 20_000);
        output.WriteLine($"TTL 3: sent 20 heaps; receiver: {Format(again)}");
        Assert.Equal(20, again["heaps"]);
        Assert.Equal(3, again["ttl"]);
    }

    private static string Format(Dictionary<string, long> result) => string.Join(' ', result.Select(kv => $"{kv.Key}={kv.Value}"));

    private Dictionary<string, long> RunPair(string senderNs, string receiverNs, int port, int ttl, int heaps, int receiveTimeoutMs)
    {
        using Process receiver = StartPeer(receiverNs,
            $"recv --group {Group} --port {port} --iface {ReceiverAddress} --heaps {heaps} --timeout-ms {receiveTimeoutMs}");
        try
        {
            Task<string?> readyLine = receiver.StandardOutput.ReadLineAsync();
            if (!readyLine.Wait(TimeSpan.FromSeconds(30)) || readyLine.Result != "READY")
            {
                Assert.Fail($"the receiver did not get ready: {readyLine.Result ?? "(no output)"} {receiver.StandardError.ReadToEnd()}");
            }
            using (Process sender = StartPeer(senderNs,
                $"send --group {Group} --port {port} --iface {SenderAddress} --ttl {ttl} --heaps {heaps} --size 8192 --rate 20e6"))
            {
                string sent = WaitForResult(sender, TimeSpan.FromSeconds(60));
                Assert.StartsWith("RESULT", sent);
            }
            return Parse(WaitForResult(receiver, TimeSpan.FromMilliseconds(receiveTimeoutMs + 30_000)));
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
