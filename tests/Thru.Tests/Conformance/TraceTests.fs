/// Traces (model/Trace.fs, compare/TraceRecord.fs): a traced run ends exactly as the untraced run
/// does and has one event per counted instruction; the engine's raw trace (single-stepped) agrees
/// with the model's; the text follows Spike's commit log; the first divergence is found where it is;
/// the engine's transaction traces (engine/Debug/, TransactionTrace) equal the model's event for
/// event on the corpus, the example programs and random transactions, tracing does not change the
/// engine's result, and a deliberately wrong engine is reported at the instruction it gets wrong.
module Thru.Tests.Conformance.TraceTests

open System.Text.RegularExpressions
open System.Text.Json.Nodes
open Expecto
open Thru.Tests.Support
open Thru.Model
open Thru.Model.Isa
open Thru.Compare
open Thru.Compare.Conformance
open Thru.Conform
open Thru.Conform.Gen.Generators
open Thru.Tests.Conformance.CorpusTests
open Thru.Conform.Gen.Generators
open Thru.Tests.Generators

let private rawInputs () =
    corpus.Value.Fixtures |> List.filter (fun f -> f.Kind = "raw") |> List.map (fun f -> (parseRawInput (Corpus.input corpus.Value f) |> Result.toOption).Value)

let private txnFixtures () = corpus.Value.Fixtures |> List.filter (fun f -> f.Kind = "txn")

/// Every way the engine's traced run of a transaction differs from the model's trace (step by step,
/// on every field, index and depth included; the ending) or from the engine's untraced run (its
/// observation and instruction count), in words.
let txnTraceDifferences (label: string) (env: Runtime.Execution.Environment) (wire: byte[]) : string list =
    let engineEnv = TxnFixture.engineEnvironment env
    let modelResult, events = Trace.txn env wire
    let m = TraceRecord.ofModelTxn modelResult events
    let e, traced = Adapters.EngineTrace.ofEngine engineEnv wire
    let untraced = Thru.Engine.TransactionExecutor.Execute(engineEnv, System.ReadOnlySpan wire)

    [ match List.zip (List.truncate e.Steps.Length m.Steps) (List.truncate m.Steps.Length e.Steps) |> List.tryFind (fun (a, b) -> a <> b) with
      | Some(a, b) -> sprintf "step %d differs:\n  model  %A\n  engine %A" a.Index a b
      | None -> ()
      if e.Steps.Length <> m.Steps.Length then sprintf "%d engine steps, %d model steps" e.Steps.Length m.Steps.Length
      if e.End <> m.End then sprintf "ends differ: %s vs %s" m.End e.End
      yield!
          TxnObservation.differences (TxnObservation.ofEngine engineEnv untraced) (TxnObservation.ofEngine engineEnv traced)
          |> List.map (sprintf "traced vs untraced engine: %s")
      if untraced.Instructions <> traced.Instructions then "traced vs untraced engine: instruction count" ]
    |> List.map (sprintf "%s: %s" label)

[<Tests>]
let tests =
    testList "Conformance.TraceTests" [
        testCase "a traced raw run ends as the untraced run, with one event per retired instruction" <| fun () ->
            let programs = sampleSeeded 71UL 400 (Gen.RawGen.genProgram Gen.RawGen.AllExtensions)

            let wrong =
                programs
                |> Array.Parallel.choose (fun p ->
                    let hart = { Pc = Gen.RawGen.baseAddress; Regs = Registers.ofArray p.Regs }
                    let mem = (Raw.load p.Image Gen.RawGen.baseAddress |> Result.toOption).Value
                    let plain = Raw.runFrom Decisions.Profile.defaults 500L hart mem
                    let traced = Trace.rawWith (Trace.rawStep Decisions.Profile.defaults) 500L hart mem

                    if traced.Result <> plain then Some "the traced run ends elsewhere"
                    elif int64 traced.Events.Length <> plain.Instructions then Some(sprintf "%d events for %d instructions" traced.Events.Length plain.Instructions)
                    elif traced.Events |> List.mapi (fun i e -> e.Index = int64 i) |> List.forall id |> not then Some "indices"
                    else None)

            expectEmpty wrong "traced raw runs"

        testCase "a traced transaction ends as the untraced one, with one event per counted instruction" <| fun () ->
            let c = corpus.Value

            let wrong =
                txnFixtures ()
                |> Array.ofList
                |> Array.Parallel.choose (fun f ->
                    let t = (parseTxnInput (Corpus.input c f) |> Result.toOption).Value
                    let env = environment Decisions.Profile.defaults t
                    let plain = Runtime.Execution.execute env t.Wire
                    let traced, events = Trace.txn env t.Wire

                    if TxnObservation.differences (TxnObservation.ofModel plain) (TxnObservation.ofModel traced) <> [] then Some(f.Id + ": the traced run ends elsewhere")
                    elif int64 events.Length <> plain.Instructions then Some(sprintf "%s: %d events for instruction_counter %d" f.Id events.Length plain.Instructions)
                    elif events |> List.exists (fun e -> e.Cu.IsNone) then Some(f.Id + ": an event without compute units")
                    else None)

            expectEmpty wrong "traced transactions"

        testCase "the trace records what each syscall returned and each change of frame" <| fun () ->
            let c = corpus.Value
            let f = c.Fixtures |> List.find (fun f -> f.Id = "invoke/depth-16")
            let t = (parseTxnInput (Corpus.input c f) |> Result.toOption).Value
            let _, events = Trace.txn (environment Decisions.Profile.defaults t) t.Wire
            let invokes = events |> List.choose (fun e -> match e.Frame with Some(Trace.Invoked(_, d)) -> Some d | _ -> None)
            let returns = events |> List.choose (fun e -> match e.Frame with Some(Trace.ReturnedTo d) -> Some d | _ -> None)
            Expect.equal invokes [ 2..16 ] "invoke frames, one per depth"
            Expect.equal returns [ 15..-1..1 ] "exit frames back to the top"
            let exits = events |> List.filter (fun e -> match e.Syscall with Some s -> s.Number = 0x0BUL | None -> false)
            Expect.equal exits.Length 16 "every frame exits"
            Expect.equal exits.Head.Depth 16 "the innermost exits first"

        testCase "the engine's single-stepped raw trace agrees with the model's on every raw fixture" <| fun () ->
            let wrong =
                rawInputs ()
                |> Array.ofList
                |> Array.Parallel.choose (fun r ->
                    let model = (Adapters.modelRaw Adapters.defaultModel r true).Trace.Value

                    match Adapters.EngineTrace.raw r with
                    | Error e -> Some e
                    | Ok engine ->
                        match TraceRecord.firstDivergence model engine with
                        | None when engine.Steps.Length = model.Steps.Length && engine.End = model.End -> None
                        | None -> Some(sprintf "ends differ: %s vs %s" model.End engine.End)
                        | Some d -> Some(String.concat "\n" (TraceRecord.describeDivergence "model" "engine" d)))

            expectEmpty wrong "divergent raw traces"

        testCase "the engine's transaction trace equals the model's, event for event, on every corpus txn fixture" <| fun () ->
            let c = corpus.Value
            let fixtures = txnFixtures () |> Array.ofList

            let wrong =
                fixtures
                |> Array.Parallel.collect (fun f ->
                    let t = (parseTxnInput (Corpus.input c f) |> Result.toOption).Value
                    txnTraceDifferences f.Id (environment Decisions.Profile.defaults t) t.Wire |> Array.ofList)

            Expect.isGreaterThan fixtures.Length 900 "the corpus's txn fixtures"
            expectEmpty wrong "differences between the engine's and the model's transaction traces"

        testCase "the engine's transaction trace equals the model's on every example scenario" <| fun () ->
            let wrong =
                Thru.Tests.Examples.ExampleScenarioTests.scenarios
                |> List.collect (fun s ->
                    let p = Thru.Tests.Examples.ExampleRun.prepare s.Program s.World (s.Instr()) s.Cu
                    txnTraceDifferences (sprintf "scenario %d (%s)" s.N s.Program) p.Env p.Wire)

            expectEmpty wrong "differences on the examples"

        testCase "the engine's transaction trace equals the model's on random transactions" <| fun () ->
            let cases =
                Array.concat
                    [ sampleSeeded (testSeed 81UL) 150 (Thru.Conform.Gen.TxnGen.genProberTxn "sha256-binding")
                      sampleSeeded (testSeed 82UL) 150 (Thru.Conform.Gen.TxnGen.genProgramTxn "sha256-binding")
                      sampleSeeded (testSeed 83UL) 40 (Thru.Conform.Gen.TxnGen.genBadTxn "sha256-binding") ]

            let wrong = cases |> Array.Parallel.collect (fun t -> txnTraceDifferences t.Label t.Env t.Wire |> Array.ofList)
            expectEmpty wrong (sprintf "differences on random transactions (seed %d)" (testSeed 81UL))

        testCase "the seam answers with the engine's trace: serve's answer carries it, and --engine both finds no divergence" <| fun () ->
            let c = corpus.Value
            let f = c.Fixtures |> List.find (fun f -> f.Id = "invoke/depth-16")
            let input = Corpus.input c f
            let t = (parseTxnInput input |> Result.toOption).Value
            let a = Adapters.engineTxn t true
            Expect.isNone a.TraceUnavailable "no reason for a missing trace"
            let e = a.Trace.Value
            Expect.equal e.Engine "engine" "the engine's trace"
            Expect.equal e.Reports TraceRecord.allFields "every field reported"
            let invokes = e.Steps |> List.choose (fun s -> match s.Frame with Some f when f.Kind = "invoke" -> Some f.Depth | _ -> None)
            Expect.equal invokes [ 2..16 ] "invoke frames, one per depth"
            Expect.equal (Adapters.divergenceReport input) [ "the traces agree on every instruction; the difference is in the final state" ] "no divergence"

        testCase "a deliberately wrong model is reported at the instruction it gets wrong, against the engine's trace" <| fun () ->
            // The mutants (conform/Mutants.fs) against the engine's trace, on the corpus's txn fixtures
            // and the example scenarios: the first divergence is the first xor with a destination
            // (xor-flip-bit0) and the first log ecall (log-cu-off-by-one), with what differs there.
            let c = corpus.Value

            let cases =
                [ for f in txnFixtures () do
                      let t = (parseTxnInput (Corpus.input c f) |> Result.toOption).Value
                      f.Id, environment Decisions.Profile.defaults t, t.Wire
                  for s in Thru.Tests.Examples.ExampleScenarioTests.scenarios do
                      let p = Thru.Tests.Examples.ExampleRun.prepare s.Program s.World (s.Instr()) s.Cu
                      sprintf "scenario %d" s.N, p.Env, p.Wire ]

            let mutant (v: Adapters.ModelVariant) env wire = Trace.txnWith v.TxnStep env wire ||> TraceRecord.ofModelTxn
            let mutable checkedXor, checkedLog = 0, 0

            for label, env, wire in cases do
                let engine = fst (Adapters.EngineTrace.ofEngine (TxnFixture.engineEnvironment env) wire)

                let firstXor =
                    engine.Steps
                    |> List.tryFind (fun s ->
                        let asm = TraceRecord.disassemble s
                        (asm.StartsWith "xor " || asm.StartsWith "c.xor ") && not (asm.StartsWith "xor zero,"))

                let firstLog =
                    engine.Steps
                    |> List.tryFind (fun s -> match s.Syscall with Some c -> c.Number = Runtime.Codes.SyscallNumber.log && c.Outcome = "returned" | None -> false)

                match firstXor with
                | Some x when checkedXor < 10 ->
                    match TraceRecord.firstDivergence (mutant Mutants.xorFlip env wire) engine with
                    | Some d ->
                        Expect.equal (d.Index, d.Pc) (x.Index, x.Pc) (sprintf "%s: the xor mutant diverges at the first xor" label)
                        Expect.isTrue (d.What |> List.exists (fun w -> w.StartsWith "register writes:")) (sprintf "%s: the register write differs: %A" label d.What)
                    | None -> failtestf "%s: the xor mutant's trace agrees with the engine's" label

                    checkedXor <- checkedXor + 1
                | _ -> ()

                match firstLog with
                | Some l when checkedLog < 10 ->
                    match TraceRecord.firstDivergence (mutant Mutants.logCu env wire) engine with
                    | Some d ->
                        Expect.equal (d.Index, d.Pc) (l.Index, l.Pc) (sprintf "%s: the log mutant diverges at the first log" label)
                        Expect.isTrue (d.What |> List.exists (fun w -> w.StartsWith "compute units:")) (sprintf "%s: the compute units differ: %A" label d.What)
                    | None -> failtestf "%s: the log mutant's trace agrees with the engine's" label

                    checkedLog <- checkedLog + 1
                | _ -> ()

            Expect.isGreaterThan checkedXor 0 "cases with a xor"
            Expect.isGreaterThan checkedLog 0 "cases with a log"

        testCase "the text is Spike's commit log: a disassembly line and a commit line per instruction" <| fun () ->
            // li a0, 5; sd a0, 8(a1); ld a2, 8(a1); c.addi a0, 1; ecall
            let code = [ Full(OpImm(ADDI, 10, 0, 5L)); Full(Store(SD, 11, 10, 8L)); Full(Load(LD, 12, 11, 8L)); Compressed(C_ADDI(10, 1)); Full ECALL ]
            let image = code |> List.map (fun d -> (Encode.toBytes d).Value) |> Array.concat
            let regs = Array.init 32 (fun r -> if r = 11 then 0x8000_1000UL else 0UL)
            let r = { Base = 0x8000_0000UL; MaxSteps = 100L; Image = image; Regs = regs; Isa = [] }
            let t = (Adapters.modelRaw Adapters.defaultModel r true).Trace.Value

            let expected =
                [ "core   0: 0x0000000080000000 (0x00500513) addi a0, zero, 5"
                  "core   0: 3 0x0000000080000000 (0x00500513) x10 0x0000000000000005"
                  "core   0: 0x0000000080000004 (0x00a5b423) sd a0, 8(a1)"
                  "core   0: 3 0x0000000080000004 (0x00a5b423) mem 0x0000000080001008 0x0000000000000005"
                  "core   0: 0x0000000080000008 (0x0085b603) ld a2, 8(a1)"
                  "core   0: 3 0x0000000080000008 (0x0085b603) x12 0x0000000000000005 mem 0x0000000080001008"
                  "core   0: 0x000000008000000c (0x0505) c.addi a0, 1"
                  "core   0: 3 0x000000008000000c (0x0505) x10 0x0000000000000006"
                  "# end: ecall at 0x000000008000000e after 4 instructions" ]

            Expect.equal (List.ofSeq (TraceRecord.toText t)) expected "the text"
            let commit = Regex(@"^core   0: 3 0x[0-9a-f]{16} \(0x[0-9a-f]{4}(?:[0-9a-f]{4})?\)(?: x\d+ +0x[0-9a-f]{16})*(?: mem 0x[0-9a-f]{16}(?: 0x[0-9a-f]+)?)*$")

            for f in corpus.Value.Fixtures |> List.filter (fun f -> f.Category = "raw-random") |> List.truncate 50 do
                let t = (Adapters.model Adapters.defaultModel (Corpus.input corpus.Value f) true |> Result.toOption).Value.Trace.Value

                for line in TraceRecord.toText t do
                    if line.StartsWith "core   0: 3 " then Expect.isTrue (commit.IsMatch line) line

        testCase "a trace survives JSON, and the first divergence is found at the step that differs" <| fun () ->
            let c = corpus.Value
            let f = txnFixtures () |> List.find (fun f -> f.Id = "syscall/0x0d-success")
            let t = (Adapters.model Adapters.defaultModel (Corpus.input c f) true |> Result.toOption).Value.Trace.Value
            let back = (TraceRecord.ofJson (TraceRecord.toJson t) |> Result.toOption).Value
            Expect.equal back.Steps t.Steps "steps after JSON"
            Expect.isNone (TraceRecord.firstDivergence t back) "a trace agrees with itself"
            let k = t.Steps.Length / 2
            let planted = { t with Steps = t.Steps |> List.mapi (fun i s -> if i = k then { s with Regs = [ 5, 0xdeadUL ] } else s) }

            match TraceRecord.firstDivergence t planted with
            | Some d -> Expect.equal d.Index (int64 k) "the index"
            | None -> failtest "the planted difference was not found"

            let cut = { t with Steps = List.truncate k t.Steps }

            match TraceRecord.firstDivergence t cut with
            | Some d -> Expect.equal d.Index (int64 k) "a trace that stops early diverges where it stops"
            | None -> failtest "a shorter trace agrees"
    ]
