/// Source-level reports and the profile, on the model and on the engine (each from its own traced
/// run): the examples' faults name their source line, the engine's report is the model's, the call
/// stack unwound with `.debug_frame` agrees with the stack the profiler follows at every step, and
/// the profile's totals are the run's consumed units without changing the result.
module Thru.Tests.Debug.ReportTests

open System.IO
open Expecto
open Thru.Tests.Support
open Thru.Model.Runtime
open Thru.Compare
open Thru.Cli.Debug
open Thru.Cli.Debug.Target
open Thru.Tests.Examples

let private elf (name: string) = Path.Combine(ExampleRun.examplesDir, "build", name + ".elf")

let private resolver (names: string list) =
    match Programs.create (names |> List.map elf) with
    | Ok r -> r
    | Error e -> failtest e

/// The implementations with a debug target.
let private implementations = [ "model"; "engine" ]

/// Start the prepared transaction on `impl`'s debug target: the target, its result once ended (as
/// an observation) and what frees it.
let private target (impl: string) (p: Thru.Cli.RunCommand.Prepared) : IDebugTarget * (unit -> TxnObservation.TxnObservation) * System.IDisposable =
    match impl with
    | "engine" ->
        let env = Thru.Tests.Engine.TxnHarness.engineEnvironment p.Env
        let e = new EngineTarget.TransactionTarget(env, p.Wire)
        if e.Refused.IsSome then failtestf "the transaction was refused: %s" e.Refused.Value.Rejection
        e, (fun () -> TxnObservation.ofEngine env e.Result.Value), e
    | _ ->
        match Execution.start p.Env p.Wire with
        | Execution.Running started ->
            let m = ModelTarget.TransactionTarget(p.Env, started)
            m, (fun () -> TxnObservation.ofModel m.Result.Value), { new System.IDisposable with member _.Dispose() = () }
        | Execution.Finished r -> failtestf "the transaction was refused: %A" r.Rejection

/// `impl`'s untraced run.
let private run (impl: string) (p: Thru.Cli.RunCommand.Prepared) =
    if impl = "engine" then ExampleRun.runEngine p else ExampleRun.runModel p

/// `impl`'s source report (SourceReport.make or makeEngine).
let private make (impl: string) =
    if impl = "engine" then SourceReport.makeEngine else SourceReport.make

/// The text of line `line` of a source file named as the line table names it (relative to examples/).
let private sourceLine (file: string) (line: int) =
    // Names are relative to the compilation directory (examples/) or to the working directory.
    let path = if File.Exists file then file else Path.Combine(ExampleRun.examplesDir, file)
    (File.ReadAllLines path)[line - 1]

/// The examples of the profile checks: (program, world, instruction data, CU budget).
let private runs =
    [ "hello", None, [||], None
      "counter", Some "counter", [| 3uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy |], None
      "chain_a", Some "chain", System.Convert.FromHexString "03000200ffff0202000700000000000000", None
      "token", Some "token-transfer", System.Convert.FromHexString "01020003001e00000000000000", None
      "cu_exhaust", None, [||], Some 50_000L
      "fault_misaligned", None, [||], None ]

[<Tests>]
let tests =
    testList "Debug.ReportTests" [
        for impl in implementations do
         for name, mnemonic in [ "fault_misaligned", "ld %0"; "fault_readonly", "sb %0"; "cu_exhaust", "addi %0" ] do
            testCase (sprintf "%s on the %s: the report names start, the source line of the faulting instruction and the call stack" name impl) <| fun () ->
                let p = ExampleRun.prepare name None [||] (if name = "cu_exhaust" then Some 50_000L else None)
                let made = make impl p.Env p.Wire (resolver [ name ]) 8

                match made with
                | None -> failtest "no report"
                | Some m ->
                    let text = String.concat "\n" m.Lines
                    let where = m.Lines.Head
                    Expect.stringContains where (sprintf "start at %s/%s.c:" name name) "function and file"
                    // The named line is the one holding the instruction that faulted (inline asm).
                    let loc = where.Substring(where.IndexOf(" at ") + 4)
                    let file, line = loc.Substring(0, loc.IndexOf ':'), int (loc.Substring(loc.IndexOf ':' + 1).Split(' ').[0])
                    Expect.stringContains (sourceLine file line) mnemonic (sprintf "%s:%d is the faulting line" file line)
                    Expect.stringContains text "#1  0x3000058 _start+0x58 at " "the caller, unwound through .debug_frame"
                    Expect.stringContains text "start.S:" "_start's line"
                    Expect.stringContains text "last 8 instrs:" "the last instructions"
                    Expect.equal m.Observation (run impl p) "the traced run's result is the run's result"

        // The engine's report, from its own traced run, is the model's: every example that faults,
        // reverts or runs out of units (examples/SCENARIOS.md), text and JSON.
        for name, world, instr, cu, elfs in
            [ "fault_misaligned", None, "", None, [ "fault_misaligned" ]
              "fault_readonly", None, "", None, [ "fault_readonly" ]
              "cu_exhaust", None, "", Some 50_000L, [ "cu_exhaust" ]
              "token", Some "token-transfer", "01020003006500000000000000", None, [ "token" ]
              "token", Some "token-transfer", "07", None, [ "token" ]
              "token", Some "token-transfer", "01020002000100000000000000", None, [ "token" ]
              "token", Some "token-transfer-bob", "01020003001e00000000000000", None, [ "token" ]
              "chain_a", Some "chain-ab", "0400ffffffff010000d204000000000000", None, [ "chain_a"; "chain_b" ] ] do
            testCase (sprintf "%s %s: the engine's report is the model's" name instr) <| fun () ->
                let p = ExampleRun.prepare name world (System.Convert.FromHexString instr) cu

                match SourceReport.make p.Env p.Wire (resolver elfs) 12, SourceReport.makeEngine p.Env p.Wire (resolver elfs) 12 with
                | Some m, Some e ->
                    Expect.equal e.Lines m.Lines "the report's lines"
                    Expect.equal (Json.render e.Json) (Json.render m.Json) "the report's JSON"
                    Expect.equal e.Observation (ExampleRun.runEngine p) "the engine's traced run is its run"
                    Expect.equal { e.Observation with Engine = "model" } m.Observation "and the model's"
                | m, e -> failtestf "a report from one side only: model %b, engine %b" m.IsSome e.IsSome

        for impl in implementations do
         testCase (sprintf "a revert names the line of the revert inside the program and unwinds to _start (%s)" impl) <| fun () ->
            // token: transfer of more than the balance reverts with code 8 (examples/SCENARIOS.md #22).
            let instr = System.Convert.FromHexString "01020003006500000000000000"
            let p = ExampleRun.prepare "token" (Some "token-transfer") instr None
            let o = ExampleRun.runModel p
            Expect.equal o.VmError Codes.Txn.vmRevert "reverts"

            match make impl p.Env p.Wire (resolver [ "token" ]) 4 with
            | None -> failtest "no report"
            | Some m ->
                Expect.stringStarts m.Lines.Head "reverted at:      ex_fail at " "a revert, in the program's function that reverts"
                let text = String.concat "\n" m.Lines
                Expect.stringContains text "#0  0x3000392 thru_sys_exit (inlined) at " "the SDK's inlined functions are frames"
                Expect.stringContains text "thru_revert (inlined) at " "the SDK's inlined functions are frames"
                Expect.stringContains text "op_transfer (inlined) at token/token.c:" "the program's inlined function"
                Expect.stringContains text "_start+0x58" "unwound to _start"
                // The where line names the line of the thru_revert call.
                let loc = m.Lines.Head.Substring(m.Lines.Head.IndexOf(" at ") + 4)
                let file, line = loc.Substring(0, loc.IndexOf ':'), int (loc.Substring(loc.IndexOf ':' + 1).Split(' ').[0])
                Expect.stringContains (sourceLine file line) "thru_revert" (sprintf "%s:%d calls thru_revert" file line)

        for impl in implementations do
         testCase (sprintf "a revert in an invoked program: its frames, then the caller's from its invoke (shadow stack) (%s)" impl) <| fun () ->
            // examples/SCENARIOS.md #36: chain_b (account 4) reverts with 1234 under chain_a.
            let p = ExampleRun.prepare "chain_a" (Some "chain-ab") (System.Convert.FromHexString "0400ffffffff010000d204000000000000") None

            match make impl p.Env p.Wire (resolver [ "chain_a"; "chain_b" ]) 2 with
            | None -> failtest "no report"
            | Some m ->
                let text = String.concat "\n" m.Lines
                Expect.stringContains m.Lines.Head "start at chain/chain_b.c:" "where: chain_b's start"
                Expect.stringContains text "[chain_b, depth 2]" "the callee's frames"
                Expect.stringContains text "thru_invoke+0x30 at sdk/src/auth.c:" "the caller's invoke"
                Expect.stringContains text "at chain/chain_a.c:" "the caller's line"
                Expect.stringContains text "[chain_a, depth 1]" "the caller's frames"

        for impl in implementations do
         testCase (sprintf "a mismatched ELF is named, and the report goes on without lines (%s)" impl) <| fun () ->
            let p = ExampleRun.prepare "fault_readonly" None [||] None
            let programs = resolver [ "counter" ]

            match make impl p.Env p.Wire programs 2 with
            | None -> failtest "no report"
            | Some m ->
                Expect.stringContains m.Lines.Head "?? (pc 0x3000094" "no function without a matching ELF"
                Expect.exists programs.Notes (fun n -> n.Contains "counter.elf does not match the program") "the mismatch is named"

        for impl in implementations do
         testCase (sprintf "a stripped ELF: the report goes on, and the missing symbols and lines are named (%s)" impl) <| fun () ->
            let stripped = Path.Combine(Path.GetTempPath(), sprintf "thru-stripped-%d-%s.elf" System.Environment.ProcessId impl)
            let psi = System.Diagnostics.ProcessStartInfo("riscv64-unknown-elf-strip", RedirectStandardError = true)
            [ "-o"; stripped; elf "fault_readonly" ] |> List.iter psi.ArgumentList.Add
            use strip = System.Diagnostics.Process.Start psi
            strip.WaitForExit()
            Expect.equal strip.ExitCode 0 "riscv64-unknown-elf-strip"

            match Programs.create [ stripped ] with
            | Error e -> failtest e
            | Ok programs ->
                File.Delete stripped
                Expect.exists programs.Notes (fun n -> n.Contains "no symbol table (stripped?)") "no symbols: named"
                Expect.exists programs.Notes (fun n -> n.Contains "no line table") "no lines: named"
                let p = ExampleRun.prepare "fault_readonly" None [||] None

                match make impl p.Env p.Wire programs 2 with
                | Some m -> Expect.stringContains m.Lines.Head "?? (pc 0x3000094" "the pc, without names"
                | None -> failtest "no report"

        for impl in implementations do
         testCase (sprintf "run --json: the report is the \"source\" member (%s)" impl) <| fun () ->
            let parser = Argu.ArgumentParser.Create<Thru.Cli.Args.RunArgs>()
            let args = parser.Parse [| ExampleRun.binary "fault_misaligned"; "--engine"; impl |]
            let p = Thru.Cli.RunCommand.prepare args
            let _, json = SourceReport.forRun (SourceReport.optionsOf args) p.Env p.Wire (Thru.Cli.RunCommand.programSegment p) (run impl p)

            match json with
            | None -> failtest "no source member"
            | Some j ->
                let top = j["stack"].[0]
                Expect.equal (top["function"].GetValue<string>()) "start" "function"
                Expect.equal (top["file"].GetValue<string>()) "fault_misaligned/fault_misaligned.c" "file"
                let source = File.ReadAllLines(Path.Combine(ExampleRun.examplesDir, "fault_misaligned", "fault_misaligned.c"))
                let faulting = (source |> Array.findIndex (fun l -> l.Contains "ld %0")) + 1
                Expect.equal (top["line"].GetValue<int64>()) (int64 faulting) "the line of the faulting ld"
                Expect.equal (j["last_instructions"].AsArray().Count) 16 "16 instructions by default"

        testCase "a file that is not an ELF is a one-line error" <| fun () ->
            match Programs.create [ Path.Combine(ExampleRun.examplesDir, "README.md") ] with
            | Error e -> Expect.stringContains e "is not an ELF file" "named"
            | Ok _ -> failtest "accepted"

        for impl in implementations do
         for name, world, instr, cu in runs do
            testCase (sprintf "%s on the %s: the profile's totals are the consumed units, and profiling changes nothing" name impl) <| fun () ->
                let p = ExampleRun.prepare name world instr cu
                let t, result, free = target impl p
                use _ = free
                let profiler = Profile.Profiler(resolver [ name; "chain_b" ], t)
                Session.runToEnd t profiler.Observe |> ignore
                let o = result ()
                Expect.equal o (run impl p) "the same result as an unprofiled run"
                Expect.equal profiler.Total.ComputeUnits o.ConsumedComputeUnits "compute units"
                Expect.equal profiler.Total.Instructions o.Instructions "instructions"
                Expect.equal profiler.Total.MemoryUnits o.ConsumedMemoryUnits "memory units"
                Expect.equal profiler.Total.StateUnits o.ConsumedStateUnits "state units"
                let folded = (Profile.folded profiler).Split('\n', System.StringSplitOptions.RemoveEmptyEntries)
                let foldedSum = folded |> Array.sumBy (fun l -> uint64 (l.Substring(l.LastIndexOf ' ' + 1)))
                Expect.equal foldedSum o.ConsumedComputeUnits "the folded stacks add up to the compute units"
                let rows = Profile.rows profiler
                Expect.equal (rows |> List.sumBy (fun r -> r.Exclusive.ComputeUnits)) o.ConsumedComputeUnits "exclusive totals add up"
                Expect.equal (rows |> List.head).Inclusive.ComputeUnits o.ConsumedComputeUnits "the root's inclusive total is everything"
                let speedscope = System.Text.Json.Nodes.JsonNode.Parse(Json.render (Profile.speedscope profiler name (fun _ -> None)))
                let cu = speedscope["profiles"].[0]
                Expect.equal (cu["endValue"].GetValue<int64>()) (int64 o.ConsumedComputeUnits) "speedscope: the compute-unit profile's end value"
                Expect.equal (cu["weights"].AsArray() |> Seq.sumBy (fun w -> w.GetValue<int64>())) (int64 o.ConsumedComputeUnits) "speedscope: weights"

        for impl in implementations do
         testCase (sprintf "chain_a -> chain_b: the invoked program's functions sit under syscall invoke (%s)" impl) <| fun () ->
            let p = ExampleRun.prepare "chain_a" (Some "chain") (System.Convert.FromHexString "03000200ffff0202000700000000000000") None
            let t, _, free = target impl p
            use _ = free
            let profiler = Profile.Profiler(resolver [ "chain_a"; "chain_b" ], t)
            Session.runToEnd t profiler.Observe |> ignore
            Expect.exists profiler.Stacks (fun (s, _) -> s.StartsWith "_start;start;thru_invoke;syscall invoke;chain_b:_start;chain_b:start;") "nested stacks"

        for impl in implementations do
         for name, world, instr, cu in runs |> List.filter (fun (n, _, _, _) -> n <> "cu_exhaust") do
            testCase (sprintf "%s on the %s: at every step the stack unwound with .debug_frame is the stack the profiler follows" name impl) <| fun () ->
                let p = ExampleRun.prepare name world instr cu
                let t, _, free = target impl p
                use _ = free
                let programs = resolver [ name; "chain_b" ]
                let profiler = Profile.Profiler(programs, t)
                let mismatches = ResizeArray<string>()

                // Compare before each step: the profiler's stack after step n is the stack at step n's pc.
                let rec loop () =
                    match t.Ended with
                    | Some _ -> ()
                    | None ->
                        let before = t.Pc
                        let unwound = Report.callStack programs t |> List.filter (fun f -> f.Depth = 1 && not f.Inlined) |> List.map (fun f -> f.Function |> Option.map fst |> Option.defaultValue "??") |> List.rev
                        let o = t.Step()
                        profiler.Observe o

                        match o with
                        | Continues e
                        | Ends(e, _) when e.Depth = 1 ->
                            let followed = profiler.CurrentStack.Split ';' |> List.ofArray
                            if followed <> unwound && mismatches.Count < 5 then mismatches.Add(sprintf "pc 0x%x: unwound %A, followed %A" before unwound followed)
                        | _ -> ()

                        loop ()

                loop ()
                expectEmpty mismatches "steps where the two stacks differ"
    ]
