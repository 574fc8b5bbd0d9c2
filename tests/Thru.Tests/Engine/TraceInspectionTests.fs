/// The debugger's views of a traced run (engine/Debug/TraceInspection.cs): register and pc writes
/// between steps, the units consumed so far, the shadow stack's frames with each caller's invoke pc
/// and saved registers, program segments, and a raw run's fault in full.
module Thru.Tests.Engine.TraceInspectionTests

open System
open Expecto
open Thru.Engine
open Thru.Engine.Debug
open Thru.Tests.Support
open Thru.Conform.Gen.Generators
open Thru.Tests.Generators
open Thru.Tests.Oracle.RawPrograms
open Thru.Tests.Engine.TxnHarness
open Thru.Conform.Gen.TxnGen

/// At every invoke, the frames the session shows; at every exit, whether the caller resumed after
/// the ecall its frame named, with the registers its frame saved (but a0/a1, the invoke's results).
type private FrameChecker(session: unit -> TransactionTrace) =
    inherit TraceObserver()
    let pending = Collections.Generic.Stack<TraceFrame>()
    member val Problems = ResizeArray<string>()
    member val Invokes = 0 with get, set

    override this.Invoked(depth: int, program: int) =
        let s = session ()
        let frames = s.Frames()
        this.Invokes <- this.Invokes + 1

        if frames.Count <> depth || frames[0].Depth <> depth || frames[0].ProgramIndex <> program || frames[0].Pc <> s.Pc then
            this.Problems.Add(sprintf "at an invoke to depth %d: frames %A" depth [ for f in frames -> f.ProgramIndex, f.Depth, f.Pc ])
        elif [ for f in frames -> f.Depth ] <> List.rev [ 1..depth ] then
            this.Problems.Add(sprintf "depths %A" [ for f in frames -> f.Depth ])
        else
            pending.Push frames[1]

    override this.Exited(depth: int, _program: int) =
        let s = session ()
        let caller = pending.Pop()
        let regs = Array.init 32 s.GetRegister

        if s.Pc <> caller.Pc + 4UL then
            this.Problems.Add(sprintf "exit from depth %d: resumed at 0x%x, the caller's invoke at 0x%x" depth s.Pc caller.Pc)

        if [ for r in 0..31 do if r <> 10 && r <> 11 then regs[r] ] <> [ for r in 0..31 do if r <> 10 && r <> 11 then caller.Registers[r] ] then
            this.Problems.Add(sprintf "exit from depth %d: the caller's registers are not those its frame saved" depth)

        if s.Frames().Count <> depth - 1 then this.Problems.Add "frames after an exit"

let private baseAddress = 0x8000_0000UL

let private rawImage (words: uint32 list) = words |> List.collect (BitConverter.GetBytes >> List.ofArray) |> Array.ofList

[<Tests>]
let tests =
    testList "Engine.TraceInspectionTests" [
        testCase "SetRegister and SetPc between steps change the run; after the end, and for x0 or x32, they throw" <| fun () ->
            // addi a0, zero, 5; addi a0, a0, 1; ecall
            let image = rawImage [ 0x00500513u; 0x00150513u; 0x00000073u ]
            let zero = Array.zeroCreate<uint64> 32
            use s = new RawTrace({ new TraceObserver() with member _.ShouldPause _ = false }, ReadOnlySpan image, baseAddress, 100L, ReadOnlySpan zero, baseAddress)
            Expect.equal (s.Step()) TraceStatus.Paused "one step"
            Expect.equal (s.GetRegister 10) 5UL "a0 = 5"
            s.SetRegister(10, 40UL)
            Expect.equal (s.GetRegister 10) 40UL "a0 written"
            Expect.throwsT<ArgumentOutOfRangeException> (fun () -> s.SetRegister(0, 1UL)) "x0"
            Expect.throwsT<ArgumentOutOfRangeException> (fun () -> s.SetRegister(32, 1UL)) "x32"
            Expect.equal (s.Run()) TraceStatus.Ended "to the ecall"
            Expect.equal s.Result.Regs[10] 41UL "the written a0, plus one"
            Expect.equal s.Result.Instructions 2L "two instructions"
            Expect.throwsT<InvalidOperationException> (fun () -> s.SetRegister(10, 1UL)) "after the end"
            Expect.throwsT<InvalidOperationException> (fun () -> s.SetPc baseAddress) "after the end"
            // Skipping the first instruction with SetPc.
            use s2 = new RawTrace({ new TraceObserver() with member _.ShouldPause _ = false }, ReadOnlySpan image, baseAddress, 100L, ReadOnlySpan zero, baseAddress)
            s2.SetPc(baseAddress + 4UL)
            Expect.equal (s2.Run()) TraceStatus.Ended "to the ecall"
            Expect.equal s2.Result.Regs[10] 1UL "only the second addi ran"
            Expect.equal s2.Result.Pc (baseAddress + 8UL) "at the ecall"

        testCase "a raw run's Fault: null unless it faulted, else the violation (or illegal encoding) the result names" <| fun () ->
            let programs = sampleSeeded (testSeed 91UL) 600 (genProgram AllExtensions baseAddress)
            let zero = Array.zeroCreate<uint64> 32
            let mutable faults = 0

            let problems =
                [ for i, p in Array.indexed programs do
                      use s = new RawTrace({ new TraceObserver() with member _.ShouldPause _ = false }, ReadOnlySpan p.Image, baseAddress, int64 (1 + i % 300), ReadOnlySpan zero, baseAddress)
                      s.Run() |> ignore
                      let r = s.Result

                      match s.Fault with
                      | null -> if r.Stop = "fault" then yield sprintf "program %d: faulted, no Fault" i
                      | f when r.Stop <> "fault" -> yield sprintf "program %d: stopped with %s, Fault %s" i r.Stop (f.Describe())
                      | f ->
                          faults <- faults + 1
                          if f.Pc <> r.Pc then yield sprintf "program %d: Fault pc 0x%x, result pc 0x%x" i f.Pc r.Pc
                          let named = if f.Kind = EngineFaultKind.IllegalInstruction then "illegal-instruction" else FaultNames.Name f.Violation
                          if Some named <> Option.ofObj r.Fault then yield sprintf "program %d: %s vs %s" i (f.Describe()) r.Fault ]

            expectEmpty problems "raw faults"
            Expect.isGreaterThan faults 20 "enough faulting programs"

        testCase "units so far, frames and program segments of traced transactions (400 random, with nested invokes)" <| fun () ->
            let cases =
                Array.concat
                    [ sampleSeeded (testSeed 92UL) 250 (genProberTxn "sha256-binding")
                      sampleSeeded (testSeed 93UL) 150 (genProgramTxn "sha256-binding") ]

            let mutable invokes = 0

            let problems =
                [ for i, t in Array.indexed cases do
                      let env = engineEnvironment t.Env
                      let mutable current: TransactionTrace option = None
                      let checker = FrameChecker(fun () -> current.Value)
                      use s = new TransactionTrace(checker, env, ReadOnlySpan t.Wire)
                      current <- Some s

                      if s.IsEnded then
                          if s.Frames().Count <> 0 || not (isNull (s.ProgramSegment 1)) then yield sprintf "transaction %d: refused, yet frames or a segment" i
                      else
                          // The running program's segment is what the address space maps at the program base.
                          let program = s.ProgramSegment 1
                          let mapped = s.ReadMemory(0x0300_0000UL, (if isNull program then 0 else program.Length))
                          if isNull program || not mapped.Ok || mapped.Bytes <> program then yield sprintf "transaction %d: program segment of account 1" i
                          let mutable last = (0UL, 0UL, 0UL, 0L)
                          let mutable monotone = true

                          while not s.IsEnded do
                              s.Step() |> ignore
                              let now = (s.Units, s.StateUnits, s.MemoryUnits, s.Instructions)
                              let (a, b, c, d), (a', b', c', d') = last, now
                              if a' < a || b' < b || c' < c || d' < d then monotone <- false
                              last <- now

                          let r = s.Result
                          invokes <- invokes + checker.Invokes
                          yield! checker.Problems |> Seq.map (sprintf "transaction %d: %s" i)
                          if not monotone then yield sprintf "transaction %d: units so far went down" i
                          if s.Units <> r.ConsumedComputeUnits then yield sprintf "transaction %d: CU %d vs %d" i s.Units r.ConsumedComputeUnits
                          if s.StateUnits <> r.ConsumedStateUnits then yield sprintf "transaction %d: SU %d vs %d" i s.StateUnits r.ConsumedStateUnits
                          if s.MemoryUnits <> r.ConsumedMemoryUnits then yield sprintf "transaction %d: MU %d vs %d" i s.MemoryUnits r.ConsumedMemoryUnits
                          if s.Instructions <> r.Instructions then yield sprintf "transaction %d: instructions %d vs %d" i s.Instructions r.Instructions
                          if s.Frames().Count <> r.CallDepth then yield sprintf "transaction %d: %d frames at the end, depth %d" i (s.Frames().Count) r.CallDepth
                          if not (isNull (s.ProgramSegment -1)) || not (isNull (s.ProgramSegment 10_000)) then
                              yield sprintf "transaction %d: a segment for no account" i ]

            expectEmpty problems "traced transactions"
            Expect.isGreaterThan invokes 10 "enough invokes to check frames"
    ]
