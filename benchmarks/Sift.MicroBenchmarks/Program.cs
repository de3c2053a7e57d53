using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// Usage: SIFT_SCIFACT=../shared/datasets/scifact dotnet run -c Release --project benchmarks/Sift.MicroBenchmarks -- [BenchmarkDotNet options]
// In process (no generated project to build per benchmark), BenchmarkDotNet's default job: pilot, warm-up to steady
// state, then as many iterations as the confidence interval needs; allocations per operation from [MemoryDiagnoser].
var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance));
BenchmarkSwitcher.FromAssembly(typeof(Sift.MicroBenchmarks.HotPaths).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args, config);
