using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// Short runs by default: the machine is small and shared. Pass BenchmarkDotNet options as usual, e.g.
//   dotnet run -c Release --project tests/Spead2.Typed.Benchmarks -- --filter '*PacketGeneration*'
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithId("short"))
    .AddDiagnoser(MemoryDiagnoser.Default)
    .WithOptions(ConfigOptions.JoinSummary);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
