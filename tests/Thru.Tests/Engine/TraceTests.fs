/// The debug and trace API (engine/Debug/Trace.cs): a traced run, paused and resumed at random
/// instruction boundaries and single-stepped, must end exactly as the untraced run of the same
/// program or transaction in every tier (same observation, same instruction count), and its events
/// must account for the run: replaying the register writes from the initial registers gives the
/// final registers, replaying the stores over the data gives the final memory, every instruction's
/// units are its metered cost, and the frames match the call depths.
module Thru.Tests.Engine.TraceTests

open System
open Expecto
open FsCheck.FSharp
open Thru.Compare
open Thru.Engine
open Thru.Engine.Debug
open Thru.Tests.Support
open Thru.Conform.Gen.Generators
open Thru.Tests.Generators
open Thru.Tests.Oracle.RawPrograms
open Thru.Tests.Engine.TxnHarness
open Thru.Conform.Gen.TxnGen

/// Records every event; pauses before an instruction with probability 1/`pauseOneIn`.
type Recorder(seed: int, pauseOneIn: int) =
    inherit TraceObserver()
    let rnd = Random seed
    member val Instructions = ResizeArray<TracedInstruction>()
    member val Syscalls = ResizeArray<uint64 * uint64[]>()
    member val Returns = ResizeArray<uint64 * uint64>()
    member val Frames = ResizeArray<string * int * int>()
    member val Endings = ResizeArray<TraceEnd>()
    override _.ShouldPause(_pc: uint64) = rnd.Next pauseOneIn = 0
    override this.Retired(i: inref<TracedInstruction>) = this.Instructions.Add i
    override this.SyscallEntered(number: uint64, args: ReadOnlySpan<uint64>, _units: uint64) = this.Syscalls.Add((number, args.ToArray()))
    override this.SyscallReturned(a0: uint64, a1: uint64, _units: uint64) = this.Returns.Add((a0, a1))
    override this.Invoked(depth: int, program: int) = this.Frames.Add(("invoke", depth, program))
    override this.Exited(depth: int, program: int) = this.Frames.Add(("exit", depth, program))
    override this.Ended(e: inref<TraceEnd>) = this.Endings.Add e

/// Drive a session to its end, choosing Run or Step at random after every pause; the number of pauses.
let private drive (session: TraceSession) (rnd: Random) =
    let mutable pauses = 0

    while not session.IsEnded do
        let status = if rnd.Next 3 = 0 then session.Step() else session.Run()
        if status = TraceStatus.Paused then pauses <- pauses + 1

    pauses

let private sampleParallel (seed: uint64) (n: int) (gen: FsCheck.Gen<'T>) : 'T[] =
    let chunks = 8
    Array.Parallel.init chunks (fun c -> sampleSeeded (seed * 0x100UL + uint64 c) (n / chunks + (if c < n % chunks then 1 else 0)) gen)
    |> Array.concat

let private baseAddress = 0x8000_0000UL

/// One raw program: untraced and traced from the same start; the differences.
let private rawCase (tier: string) (index: int) (program: RawProgram) =
    use _ = Tiers.select tier
    let steps = int64 (1 + (index * 37) % 400)
    let zero = Array.zeroCreate<uint64> 32
    let w = baseAddress + uint64 dataOffset
    let untraced = RawMode.Run(ReadOnlySpan program.Image, baseAddress, steps, ReadOnlySpan zero, baseAddress, w, dataSize)
    let recorder = Recorder(index, 1 + index % 20)
    use session = new RawTrace(recorder, ReadOnlySpan program.Image, baseAddress, steps, ReadOnlySpan zero, baseAddress, w, dataSize)
    let pauses = drive session (Random(index + 1))
    let traced = session.Result

    // Replays: registers from zero, the data window from the image's data.
    let regs = Array.zeroCreate<uint64> 32
    let window = Array.init dataSize (fun i -> if dataOffset + i < program.Image.Length then program.Image[dataOffset + i] else 0uy)

    for i in recorder.Instructions do
        if i.Write.HasValue then regs[i.Write.Value.Register] <- i.Write.Value.Value

        if i.Memory.HasValue && i.Memory.Value.IsWrite then
            let m = i.Memory.Value

            for k in 0 .. m.Size - 1 do
                let o = int64 m.Address + int64 k - int64 w
                if o >= 0L && o < int64 dataSize then window[int o] <- byte (m.Value >>> (8 * k))

    let unitsOk =
        recorder.Instructions |> Seq.forall (fun i -> i.UnitsAfter = i.UnitsBefore + 1UL)

    [ yield! RawObservation.differences (RawObservation.ofEngine untraced) (RawObservation.ofEngine traced)
      if traced.Window <> untraced.Window then "traced memory differs"
      if int64 recorder.Instructions.Count <> traced.Instructions then
          sprintf "%d instructions retired in events, %d counted" recorder.Instructions.Count traced.Instructions
      if regs <> traced.Regs then "replaying the register writes does not give the final registers"
      if window <> traced.Window then "replaying the stores does not give the final memory"
      if not unitsOk then "an instruction's units are not 1"
      if recorder.Endings.Count <> 1 || recorder.Endings[0].Reason <> traced.Stop then "not exactly one ending, or the wrong one"
      let outside = session.ReadMemory(baseAddress - 2UL, 4)
      if outside.Fault <> FaultKind.InvalidAddress || outside.FaultAddress <> baseAddress - 2UL || outside.Bytes.Length <> 0 then
          sprintf "reading below the region: %A" outside
      let inside = session.ReadMemory(w, 16)
      if not inside.Ok || inside.Bytes <> traced.Window[..15] then "reading the data window through the session"
      ignore pauses ]
    |> List.map (sprintf "raw program %d (%s, %d steps): %s" index tier steps)

/// One transaction: untraced and traced; the differences.
let private txnCase (tier: string) (index: int) (t: GenTxn) =
    use _ = Tiers.select tier
    let env = engineEnvironment t.Env
    let untraced = TransactionExecutor.Execute(env, ReadOnlySpan t.Wire)
    let recorder = Recorder(index, 1 + index % 50)
    use session = new TransactionTrace(recorder, env, ReadOnlySpan t.Wire)
    drive session (Random(index + 7)) |> ignore
    let traced = session.Result

    let costOk =
        recorder.Instructions
        |> Seq.forall (fun i -> i.UnitsAfter - i.UnitsBefore = uint64 i.Length + (if i.Memory.HasValue then uint64 i.Memory.Value.Size else 0UL))

    let executed = recorder.Endings.Count = 1
    let maxDepth = recorder.Frames |> Seq.filter (fun (k, _, _) -> k = "invoke") |> Seq.map (fun (_, d, _) -> d) |> Seq.fold max 1

    [ yield! TxnObservation.differences (TxnObservation.ofEngine env untraced) (TxnObservation.ofEngine env traced)
      if untraced.Instructions <> traced.Instructions then sprintf "instructions: %d untraced, %d traced" untraced.Instructions traced.Instructions
      if executed then
          let n = int64 recorder.Instructions.Count
          // Every counted instruction retires, except an ebreak or a faulting load or store (counted, not retired).
          if n <> traced.Instructions && not (n = traced.Instructions - 1L && traced.Fault <> null) then
              sprintf "%d instructions retired in events, %d counted" n traced.Instructions
          if not costOk then "an instruction's units are not its metered cost"
          if maxDepth <> traced.MaxCallDepth then sprintf "deepest invoke event %d, max call depth %d" maxDepth traced.MaxCallDepth
          if recorder.Endings[0].Units <> traced.ConsumedComputeUnits then "the ending's units are not the consumed compute units"
          if recorder.Syscalls.Count < recorder.Returns.Count then "more syscall returns than syscalls"
      elif recorder.Instructions.Count <> 0 then "a refused transaction has instruction events" ]
    |> List.map (sprintf "transaction %d (%s, %s): %s" index tier t.Label)

[<Tests>]
let tests =
    testList "Engine.TraceTests" [
        Tiers.testDifferential "traced raw runs (paused, resumed, stepped) end as untraced ones on 1500 random programs" [ "interpreter"; "compiled"; "eager" ] <| fun tier ->
            let programs = sampleParallel (testSeed 71UL) 1500 (genProgram AllExtensions baseAddress)
            let failures = programs |> Array.Parallel.mapi (rawCase tier) |> List.concat
            expectEmpty failures (sprintf "%d differences; first: %s" failures.Length (List.tryHead failures |> Option.defaultValue ""))

        Tiers.testDifferential "traced transactions end as untraced ones on 400 random transactions" [ "interpreter"; "compiled"; "eager" ] <| fun tier ->
            let cases =
                Array.concat
                    [ sampleParallel (testSeed 72UL) 200 (genProberTxn "sha256-binding")
                      sampleParallel (testSeed 73UL) 150 (genProgramTxn "sha256-binding")
                      sampleParallel (testSeed 74UL) 50 (genBadTxn "sha256-binding") ]

            let failures = cases |> Array.Parallel.mapi (txnCase tier) |> List.concat
            expectEmpty failures (sprintf "%d differences; first: %s" failures.Length (List.tryHead failures |> Option.defaultValue ""))

        testCase "the events of a traced transaction: syscalls with their numbers, invoke and exit frames, one ending" <| fun () ->
            // The prober transactions make syscalls of every number and nested invokes: over a sample, every kind of
            // event must appear (a check that the events are produced at all, not only consistent).
            let cases = sampleParallel (testSeed 75UL) 200 (genProberTxn "sha256-binding")
            let mutable syscalls = Set.empty
            let mutable invokes = 0
            let mutable exits = 0

            for i, t in Array.indexed cases do
                let env = engineEnvironment t.Env
                let recorder = Recorder(i, 1_000_000)
                use session = new TransactionTrace(recorder, env, ReadOnlySpan t.Wire)
                session.Run() |> ignore
                for n, _ in recorder.Syscalls do syscalls <- syscalls.Add n
                for k, _, _ in recorder.Frames do
                    if k = "invoke" then invokes <- invokes + 1 else exits <- exits + 1

            Expect.isGreaterThanOrEqual syscalls.Count 12 (sprintf "syscall numbers seen: %A" syscalls)
            Expect.isGreaterThan invokes 0 "no invoke frame"
            Expect.isGreaterThan exits 0 "no exit frame"
    ]
