// The cost of tracing on the model and on the engine (engine/Debug/: RawTrace, TransactionTrace):
// `dotnet fsi conform/scripts/tracecost.fsx` after `make build`. A 1.5-million-instruction ALU loop, as a transaction and
// in raw mode; medians of 5 runs. "loop before" is the model's loop as it was before Run.step existed.
#r "../../cli/bin/Release/net10.0/Thru.Model.dll"
#r "../../cli/bin/Release/net10.0/Thru.Engine.dll"
#r "../../cli/bin/Release/net10.0/Thru.Interop.dll"
#r "../../cli/bin/Release/net10.0/Thru.Compare.dll"
#r "../../cli/bin/Release/net10.0/FsCheck.dll"
#r "../../cli/bin/Release/net10.0/Thru.Conform.dll"
open Thru.Model
open Thru.Model.Isa
open Thru.Model.Runtime
open Thru.Model.Runtime.Vm
open Thru.Model.Memory

// The loop of the model before this change (commit edc5f8a, model/Runtime/Run.fs), verbatim in substance.
let rec oldRun (vm: Vm) : Vm * Ending =
    let stopWith trap = vm, Faulted(trap, Vm.programIdx vm)
    match Execute.fetch Space.port vm.Space vm.Hart.Pc with
    | Error trap -> stopWith trap
    | Ok fetched ->
        match fetched.Decoded with
        | Illegal reason -> stopWith (IllegalInstruction(fetched.Bits, reason))
        | decoded ->
            match Vm.charge (Execute.cost decoded) vm with
            | Error(vm, ending) -> vm, ending
            | Ok vm ->
                let vm = { vm with Instructions = vm.Instructions + 1L }
                match Execute.run vm.Ctx.Profile Space.port fetched vm.Hart vm.Space with
                | Execute.Retired(hart, space) -> oldRun { vm with Hart = hart; Space = space }
                | Execute.Trapped trap -> vm, Faulted(trap, Vm.programIdx vm)
                | Execute.EnvironmentCall ->
                    match Syscalls.dispatch vm with
                    | Syscalls.Continue vm -> oldRun vm
                    | Syscalls.Stop(vm, ending) -> vm, ending

let liConst = Thru.Conform.Gen.TxnGen.liConst
let loop = liConst 5 300_000L @ [ Full(OpImm(ADDI, 6, 6, 1)); Full(Op(XOR, 7, 7, 6)); Full(Op(ADD, 8, 8, 7)); Full(OpImm(ADDI, 5, 5, -1)); Full(Branch(BNE, 5, 0, -16L)) ] @ liConst 10 0L @ liConst 11 0L @ liConst 17 11L @ [ Full ECALL ]
let g = Thru.Conform.Gen.Curated.codeTxn [] loop [] [] (fun h -> { h with ComputeUnits = 100_000_000u }) [||]

let time name (f: unit -> int64) =
    let runs = [ for _ in 1..5 -> let sw = System.Diagnostics.Stopwatch.StartNew() in let n = f () in n, sw.Elapsed.TotalSeconds ]
    let n = fst runs.Head
    let best = runs |> List.map snd |> List.sort |> List.item 2
    printfn "%-40s %9d instr  median %.3f s  %.2f M instr/s" name n best (float n / best / 1e6)

time "warm-up" (fun () -> (Execution.execute g.Env g.Wire).Instructions)
time "txn model, untraced (Run.run)" (fun () -> (Execution.execute g.Env g.Wire).Instructions)
time "txn model, loop before (edc5f8a)" (fun () -> (Execution.executeWith (fun vm -> oldRun vm, ()) g.Env g.Wire |> fst).Instructions)
time "txn model, untraced (Run.run), again" (fun () -> (Execution.execute g.Env g.Wire).Instructions)
time "txn model, traced (Trace.txn)" (fun () -> let r, ev = Trace.txn g.Env g.Wire in int64 ev.Length)

// Raw: the same loop.
let image = loop |> List.map (fun d -> (Encode.toBytes d).Value) |> Array.concat
time "raw model, untraced (Raw.run)" (fun () -> match Raw.run Decisions.Profile.defaults image 0x8000_0000UL 10_000_000L with Ok r -> r.Instructions | Error _ -> 0L)
time "raw model, traced (Trace.raw)" (fun () -> match Trace.raw Decisions.Profile.defaults image 0x8000_0000UL 10_000_000L (Hart.at 0x8000_0000UL) with Ok t -> int64 t.Events.Length | Error _ -> 0L)
time "raw engine, untraced (RawMode.Run)" (fun () -> (Thru.Engine.RawMode.Run(System.ReadOnlySpan image, 0x8000_0000UL, 10_000_000L)).Instructions)
let rin : Thru.Compare.Conformance.RawInput = { Base = 0x8000_0000UL; MaxSteps = 10_000_000L; Image = image; Regs = Array.zeroCreate 32; Isa = [] }
time "raw engine, traced record (EngineTrace)" (fun () -> match Thru.Compare.Adapters.EngineTrace.raw rin with Ok t -> int64 t.Steps.Length | Error _ -> 0L)

// The engine's transaction: untraced, under an observer that does nothing (the trace API's own cost), and the full
// trace record the conformance kit builds (compare/Adapters.fs, EngineTrace.ofEngine).
let engineEnv = Thru.Compare.TxnFixture.engineEnvironment g.Env
type Nothing() =
    inherit Thru.Engine.Debug.TraceObserver()
time "txn engine, untraced (TransactionExecutor)" (fun () -> (Thru.Engine.TransactionExecutor.Execute(engineEnv, System.ReadOnlySpan g.Wire)).Instructions)
time "txn engine, traced, empty observer" (fun () ->
    use s = new Thru.Engine.Debug.TransactionTrace(Nothing(), engineEnv, System.ReadOnlySpan g.Wire)
    s.Run() |> ignore
    s.Result.Instructions)
time "txn engine, traced record (EngineTrace)" (fun () -> let t, _ = Thru.Compare.Adapters.EngineTrace.ofEngine engineEnv g.Wire in int64 t.Steps.Length)
time "raw engine, traced, empty observer" (fun () ->
    use s = new Thru.Engine.Debug.RawTrace(Nothing(), System.ReadOnlySpan image, 0x8000_0000UL, 10_000_000L, System.ReadOnlySpan(Array.zeroCreate<uint64> 32), 0x8000_0000UL)
    s.Run() |> ignore
    s.Result.Instructions)
