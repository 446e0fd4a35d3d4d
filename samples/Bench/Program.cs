// Sends SPEAD heaps on 127.0.0.1 as fast as possible and compares our send path with a raw baseline
// (see BenchProgram.cs and README.md; the same benchmark is `spead2-typed bench`).
return Spead2.Samples.Bench.BenchProgram.Run(args);
