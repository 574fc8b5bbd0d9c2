/// The engine's debug target (cli/Debug/EngineTarget.fs) against the model's, in lockstep: on
/// random transactions (every syscall, nested invokes, faults, exhaustion) and random raw programs,
/// every step must tell the same (pc, bits, program, depth, syscall, instructions and compute,
/// state and memory units), leave the same registers, frames and totals, and end the same way; a
/// register written by a debugger on both sides keeps them together; and the traced runs end as
/// the untraced runs of each implementation.
module Thru.Tests.Debug.EngineTargetTests

open System
open Expecto
open Thru.Model.Runtime
open Thru.Compare
open Thru.Cli.Debug
open Thru.Cli.Debug.Target
open Thru.Tests.Support
open Thru.Conform.Gen.Generators
open Thru.Tests.Generators
open Thru.Tests.Oracle.RawPrograms
open Thru.Tests.Engine.TxnHarness
open Thru.Conform.Gen.TxnGen

/// The first difference between two targets stepped together to their ends, or None. A debugger
/// writes register `write` (when given: at step n, register r, value v) on both.
let private lockstep (m: IDebugTarget) (e: IDebugTarget) (accounts: int) (write: (int * int * uint64) option) : string option =
    let frames (t: IDebugTarget) = t.Frames() |> List.map (fun f -> f.ProgramIdx, f.Depth, f.Pc, List.ofArray f.Registers)

    let rec go (n: int) =
        if m.Pc <> e.Pc then Some(sprintf "step %d: pc 0x%x vs 0x%x" n m.Pc e.Pc)
        elif m.Registers() <> e.Registers() then Some(sprintf "step %d at 0x%x: registers differ" n m.Pc)
        elif m.Consumed <> e.Consumed then Some(sprintf "step %d at 0x%x: consumed %A vs %A" n m.Pc m.Consumed e.Consumed)
        elif frames m <> frames e then Some(sprintf "step %d at 0x%x: frames %A vs %A" n m.Pc (frames m) (frames e))
        elif m.Ended <> e.Ended then Some(sprintf "step %d: ended %A vs %A" n m.Ended e.Ended)
        elif m.Ended.IsSome then
            // After the end: the same segments, and a further step repeats the ending on both.
            match [ 0 .. accounts - 1 ] |> List.tryFind (fun i -> m.ProgramSegment i <> e.ProgramSegment i) with
            | Some i -> Some(sprintf "program segment %d differs" i)
            | None ->
                match m.Step(), e.Step() with
                | Ends(_, a), Ends(_, b) when a = b -> None
                | a, b -> Some(sprintf "after the end: %A vs %A" a b)
        else
            match write with
            | Some(at, r, v) when at = n ->
                match m.SetRegister(r, v), e.SetRegister(r, v) with
                | Ok(), Ok() -> ()
                | a, b -> failtestf "SetRegister: %A vs %A" a b
            | _ -> ()

            let a, b = m.Step(), e.Step()
            if a <> b then Some(sprintf "step %d at 0x%x: %A vs %A" n m.Pc a b) else go (n + 1)

    go 0

let private baseAddress = 0x8000_0000UL

[<Tests>]
let tests =
    testList "Debug.EngineTargetTests" [
        testCase "transactions: the engine's target steps in lockstep with the model's (300 random), and each traced run ends as its untraced run" <| fun () ->
            let cases =
                Array.concat
                    [ sampleSeeded (testSeed 94UL) 200 (genProberTxn "sha256-binding")
                      sampleSeeded (testSeed 95UL) 100 (genProgramTxn "sha256-binding") ]

            let rnd = Random 96
            let writes = cases |> Array.map (fun _ -> if rnd.Next 3 = 0 then Some(rnd.Next 400, 1 + rnd.Next 31, uint64 (rnd.NextInt64())) else None)
            let stepped = ref 0

            let problems =
                cases
                |> Array.Parallel.mapi (fun i t ->
                    let env = engineEnvironment t.Env
                    use engine = new EngineTarget.TransactionTarget(env, t.Wire)

                    match Execution.start t.Env t.Wire, engine.Refused with
                    | Execution.Finished _, Some _ -> []
                    | Execution.Running started, None ->
                        let model = ModelTarget.TransactionTarget(t.Env, started)

                        [ match lockstep model engine 16 writes[i] with
                          | Some d -> yield sprintf "transaction %d (%s, write %A): %s" i t.Label writes[i] d
                          | None when writes[i].IsNone ->
                              Threading.Interlocked.Increment(&stepped.contents) |> ignore
                              let traced = TxnObservation.ofEngine env engine.Result.Value
                              let plain = TxnObservation.ofEngine env (Thru.Engine.TransactionExecutor.Execute(env, ReadOnlySpan t.Wire))
                              yield! TxnObservation.differences plain traced |> List.map (sprintf "transaction %d: engine traced vs untraced: %s" i)
                              yield! TxnObservation.differences (TxnObservation.ofModel model.Result.Value) traced |> List.map (sprintf "transaction %d: model vs engine: %s" i)
                          | None -> () ]
                    | _ -> [ sprintf "transaction %d: refused by one implementation only" i ])
                |> List.concat

            expectEmpty problems "lockstep differences"
            Expect.isGreaterThan stepped.Value 100 "enough executed transactions"

        testCase "raw programs: the engine's target steps in lockstep with the model's (600 random, with step limits)" <| fun () ->
            let programs = sampleSeeded (testSeed 97UL) 600 (genProgram AllExtensions baseAddress)
            let rnd = Random 98
            let writes = programs |> Array.map (fun _ -> if rnd.Next 3 = 0 then Some(rnd.Next 100, 1 + rnd.Next 31, uint64 (rnd.NextInt64())) else None)

            let problems =
                programs
                |> Array.Parallel.mapi (fun i p ->
                    let steps = int64 (1 + (i * 37) % 400)

                    match Thru.Model.Raw.load p.Image baseAddress with
                    | Error e -> [ sprintf "program %d: %A" i e ]
                    | Ok memory ->
                        let model = ModelTarget.RawTarget(Thru.Model.Decisions.Profile.defaults, memory, steps)
                        use engine = new EngineTarget.RawTarget(p.Image, baseAddress, steps, baseAddress)

                        [ match lockstep model engine 1 writes[i] with
                          | Some d -> yield sprintf "program %d (%d steps, write %A): %s" i steps writes[i] d
                          | None ->
                              yield!
                                  RawObservation.differences (RawObservation.ofModel model.Result.Value) (RawObservation.ofEngine engine.Result.Value)
                                  |> List.map (sprintf "program %d: %s" i) ])
                |> List.concat

            expectEmpty problems "lockstep differences"
    ]
