/// BenchmarkDotNet benchmarks of the engine, the model and Unicorn on the kernels of `thrumodel bench`
/// (cli/Kernels.fs). Run: dotnet run -c Release --project tests/Thru.Bench -- --filter '*'
/// The `thrumodel bench` verb measures the same things in one quick run and prints ratios.
module Thru.Bench.Benchmarks

open BenchmarkDotNet.Attributes
open BenchmarkDotNet.Running
open Thru.Cli

/// One kernel per benchmark class parameter; 100,000 loop iterations per invocation for the
/// engine and Unicorn, 2,000 for the model.
[<MemoryDiagnoser>]
type RawKernels() =
    [<Params("alu", "memory", "branchy")>]
    member val Kernel = "alu" with get, set

    member b.Find = Kernels.all |> List.find (fun k -> k.Name = b.Kernel)

    [<Benchmark(Description = "engine, raw mode, 100k iterations")>]
    member b.Engine() = (BenchCommand.engineRaw b.Find 100_000).Instructions

    [<Benchmark(Description = "Unicorn, no hook, 100k iterations")>]
    member b.Unicorn() = (BenchCommand.unicornRaw false b.Find 100_000).Instructions

    [<Benchmark(Description = "Unicorn, counting hook, 100k iterations")>]
    member b.UnicornHooked() = (BenchCommand.unicornRaw true b.Find 100_000).Instructions

    [<Benchmark(Description = "model, raw mode, 2k iterations")>]
    member b.Model() = (BenchCommand.modelRaw b.Find 2_000).Instructions

/// The SHA-256 kernel (Zknh): the engine and the model only (the Unicorn here decodes no Zknh).
[<MemoryDiagnoser>]
type ZknhKernels() =
    [<Benchmark(Description = "engine, raw mode, SHA-256, 1k blocks")>]
    member _.Engine() = (BenchCommand.engineRaw Kernels.sha256 1_000).Instructions

    [<Benchmark(Description = "model, raw mode, SHA-256, 10 blocks")>]
    member _.Model() = (BenchCommand.modelRaw Kernels.sha256 10).Instructions

[<EntryPoint>]
let main argv =
    BenchmarkSwitcher.FromTypes([| typeof<RawKernels>; typeof<ZknhKernels> |]).Run(argv) |> ignore
    0
