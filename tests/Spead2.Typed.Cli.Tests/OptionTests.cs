using System.CommandLine;
using Spead2.Recv;

namespace Spead2.Cli.Tests;

/// <summary>Size options share one parser, and bad values are reported in the units the user typed.</summary>
public class OptionTests
{
    private static ParseResult Parse(string args) => Program.BuildRoot().Parse(args.Split(' '));

    [Theory]
    [InlineData("1472", 1472)]
    [InlineData("64K", 65536)]
    [InlineData("64k", 65536)]
    [InlineData("4M", 4194304)]
    [InlineData("1G", 1073741824)]
    [InlineData("0", 0)]
    [InlineData("-1", -1)]
    [InlineData("8589934591G", 8589934591L << 30)]
    public void TryParseSize_AcceptsSuffixes(string text, long expected)
    {
        Assert.True(CliOptions.TryParseSize(text, out long bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("K")]
    [InlineData("1X")]
    [InlineData("1.5M")]
    [InlineData("1 M")]
    [InlineData("1,024")]
    [InlineData("1KB")]
    [InlineData("8589934592G")]
    [InlineData("99999999999999999999")]
    public void TryParseSize_RejectsTheRest(string text) =>
        Assert.False(CliOptions.TryParseSize(text, out _));

    [Theory]
    [InlineData(0, "0")]
    [InlineData(1472, "1472")]
    [InlineData(65536, "64K")]
    [InlineData(1536, "1536")]
    [InlineData(3145728, "3M")]
    [InlineData(2147483648, "2G")]
    public void FormatSize_UsesTheLargestExactSuffix(long bytes, string expected) =>
        Assert.Equal(expected, CliOptions.FormatSize(bytes));

    [Theory]
    [InlineData("send 127.0.0.1:1 --heap-size 1M", "--heap-size", 1048576)]
    [InlineData("send 127.0.0.1:1 --packet 8K --tcp", "--packet", 8192)]
    [InlineData("send 127.0.0.1:1 --burst 256K", "--burst", 262144)]
    [InlineData("send 127.0.0.1:1 --buffer 4M", "--buffer", 4194304)]
    [InlineData("recv 127.0.0.1:1 --buffer 64m", "--buffer", 67108864)]
    [InlineData("send 127.0.0.1:1 --heap-size 4194304", "--heap-size", 4194304)]
    public void EverySizeOption_TakesSuffixes(string args, string option, long expected)
    {
        var result = Parse(args);
        Assert.Empty(result.Errors);
        long? value = option == "--buffer" ? result.GetValue<long?>(option) : result.GetValue<long>(option);
        Assert.Equal(expected, value);
    }

    [Fact]
    public void SizeDefaults_AreUnchanged()
    {
        var result = Parse("send 127.0.0.1:1");
        Assert.Empty(result.Errors);
        Assert.Equal(4194304, result.GetValue<long>("--heap-size"));
        Assert.Equal(1472, result.GetValue<long>("--packet"));
        Assert.Equal(65536, result.GetValue<long>("--burst"));
        Assert.Null(result.GetValue<long?>("--buffer"));
    }

    [Theory]
    [InlineData("send 127.0.0.1:1 --rate -1", "--rate must be >= 0 Gb/s, got -1")]
    [InlineData("send 127.0.0.1:1 --rate -0.5", "--rate must be >= 0 Gb/s, got -0.5")]
    [InlineData("send 127.0.0.1:1 --rate NaN", "--rate must be a finite number, got NaN")]
    [InlineData("send 127.0.0.1:1 --rate Infinity", "--rate must be a finite number, got Infinity")]
    [InlineData("send 127.0.0.1:1 --heap-size 1X", "--heap-size must be a whole number of bytes, optionally with a K, M or G suffix, got '1X'")]
    [InlineData("send 127.0.0.1:1 --heap-size 0", "--heap-size must be >= 1 byte, got 0")]
    [InlineData("send 127.0.0.1:1 --packet 10", "--packet must be >= 56 bytes, got 10")]
    [InlineData("send 127.0.0.1:1 --packet 2G", "--packet must be <= 2147483647 bytes, got 2G")]
    [InlineData("send 127.0.0.1:1 --burst -1", "--burst must be >= 0 bytes, got -1")]
    [InlineData("send 127.0.0.1:1 --buffer 0K", "--buffer must be >= 1 byte, got 0K")]
    [InlineData("send 127.0.0.1:1 --burst-rate-ratio 0.5", "--burst-rate-ratio must be >= 1, got 0.5")]
    [InlineData("send 127.0.0.1:1 --max-heaps 0", "--max-heaps must be >= 1, got 0")]
    [InlineData("send 127.0.0.1:1 --items 0", "--items must be >= 1, got 0")]
    [InlineData("send 127.0.0.1:1 --heaps -2", "--heaps must be >= -1 (-1 sends until Ctrl-C), got -2")]
    [InlineData("send 127.0.0.1:1 --descriptors -1", "--descriptors must be >= 0, got -1")]
    [InlineData("send 127.0.0.1:1 --addr-bits 12", "--addr-bits must be a multiple of 8 from 8 to 56, got 12")]
    [InlineData("send 127.0.0.1:1 --ttl 256", "--ttl must be from 0 to 255, got 256")]
    [InlineData("send 127.0.0.1:1 --bind nowhere", "--bind must be an IP address, got nowhere")]
    [InlineData("send 127.0.0.1:1 --dtype <u3", "--dtype: Unsupported dtype '<u3': supported kinds and sizes are b1, i1/2/4/8, u1/2/4/8, f2/4/8, c8/16 and S<n> (n >= 1)")]
    [InlineData("send localhost", "destination 'localhost' is not HOST:PORT.")]
    [InlineData("recv 127.0.0.1:1 --buffer 1Q", "--buffer must be a whole number of bytes, optionally with a K, M or G suffix, got '1Q'")]
    [InlineData("recv 127.0.0.1:1 --max-heaps 0", "--max-heaps must be >= 1, got 0")]
    [InlineData("recv 127.0.0.1:1 --ring-heaps 0", "--ring-heaps must be >= 1, got 0")]
    [InlineData("recv 127.0.0.1:1 --bind eth0", "--bind must be an IP address, got eth0")]
    [InlineData("recv 127.0.0.1:1 --heaps -3", "--heaps must be >= -1 (-1 runs until the end of the stream), got -3")]
    public void BadValue_IsReportedAsTyped(string args, string message)
    {
        var errors = Parse(args).Errors;
        var error = Assert.Single(errors);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void RecvRingHeaps_DefaultsToSpead2s()
    {
        Assert.Equal(ReceiveStreamConfig.DefaultRingHeaps, Parse("recv 127.0.0.1:1").GetValue<int>("--ring-heaps"));
        Assert.Equal(16, Parse("recv 127.0.0.1:1 --ring-heaps 16").GetValue<int>("--ring-heaps"));
    }

    [Fact]
    public void SeveralBadValues_AreAllReported()
    {
        var errors = Parse("send 127.0.0.1:1 --rate -1 --packet 1 --heap-size 1X").Errors;
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void Help_ExplainsSizesAndRateUnits()
    {
        var help = new StringWriter();
        var result = Parse("send --help");
        result.InvocationConfiguration.Output = help;
        Assert.Equal(0, result.Invoke());
        string text = help.ToString();
        Assert.Contains("Payload per heap (bytes; a K, M or G suffix multiplies by 1024, 1024^2 or 1024^3)", text);
        Assert.Contains("Transmission rate in Gb/s", text);
        Assert.Contains("Ctrl-C or SIGTERM", text);
    }
}
