/// The runner and the protocol (conform/Runner.fs, conform/Protocol.fs): `thrumodel serve` passes the
/// corpus; deliberately wrong adapters are reported with the right first difference and the right
/// first divergent instruction; a crash, a hang or an answer that is not JSON is a failure with its
/// reason and the run goes on; the Python adapter over Unicorn passes what it can run and skips the
/// rest; shrinking keeps the failure and makes the fixture smaller.
module Thru.Tests.Conformance.RunnerTests

open System
open System.IO
open Expecto
open Thru.Tests.Support
open Thru.Compare
open Thru.Compare.Conformance
open Thru.Conform
open Thru.Tests.Conformance.CorpusTests

/// The `thrumodel` command of this build.
let thrumodel =
    let config = if AppContext.BaseDirectory.Contains "/Debug/" then "Debug" else "Release"
    let dll = Path.Combine(root, "cli", "bin", config, "net10.0", "thrumodel.dll")
    sprintf "dotnet %s" dll

let private options command : Runner.Options =
    { Command = command
      Timeout = TimeSpan.FromSeconds 60.0
      Trace = true
      SkipDecisions = Set.empty }

let private pick (ids: string list) =
    let c = corpus.Value
    ids |> List.map (fun id -> match c.Fixtures |> List.tryFind (fun f -> f.Id = id) with Some f -> f | None -> failwithf "no fixture %s" id)

let private run (o: Runner.Options) (fixtures: Fixture list) = Runner.run o corpus.Value fixtures ignore

let private failed (r: Runner.FixtureResult) = match r.Outcome with Runner.Failed _ -> true | _ -> false

let private counter = ref 0

/// A Python proxy in front of `thrumodel serve --engine model` that misbehaves on one fixture.
let private proxy (misbehaviour: string) (badId: string) =
    let path = Path.Combine(Path.GetTempPath(), sprintf "thru-proxy-%s-%d.py" misbehaviour (Threading.Interlocked.Increment counter))

    File.WriteAllText(
        path,
        sprintf
            """
import json, subprocess, sys, time
child = subprocess.Popen(%s, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
for line in sys.stdin:
    request = json.loads(line)
    if request.get("id") == %s:
        if "%s" == "crash": sys.exit(3)
        if "%s" == "hang": time.sleep(60)
        if "%s" == "garbage": print("this is not JSON", flush=True); continue
    child.stdin.write(line); child.stdin.flush()
    print(child.stdout.readline().strip(), flush=True)
"""
            (Text.Json.JsonSerializer.Serialize(thrumodel + " serve --engine model"))
            (Text.Json.JsonSerializer.Serialize badId)
            misbehaviour
            misbehaviour
            misbehaviour
    )

    sprintf "/usr/bin/python3 %s" path

let private unicornAvailable =
    lazy
        (try
            use p = Diagnostics.Process.Start(Diagnostics.ProcessStartInfo("/usr/bin/python3", "-c \"import unicorn\"", RedirectStandardError = true))
            p.WaitForExit()
            p.ExitCode = 0
         with _ ->
             false)

[<Tests>]
let tests =
    testList "Conformance.RunnerTests" [
        testCaseInGroup "conform-processes" "thrumodel serve --engine engine passes a sample of every category" <| fun () ->
            let c = corpus.Value
            let sample = c.Fixtures |> List.groupBy (fun f -> f.Category) |> List.collect (fun (_, fs) -> List.truncate 15 fs)
            let results = run (options (thrumodel + " serve --engine engine")) sample
            expectEmpty (results |> List.filter failed |> List.map (fun r -> r.Fixture.Id, r.Outcome)) "failures"
            Expect.equal (results |> List.filter (fun r -> r.Outcome = Runner.Passed) |> List.length) sample.Length "all passed"

        testCaseInGroup "conform-processes" "against serve --engine engine, a failing txn fixture is traced on the engine and compared with the model" <| fun () ->
            // The expected observation is made wrong (one CU more): the engine fails the fixture, the
            // runner asks it for its trace, and the engine's trace agrees with the model's on every
            // instruction and every field, so the report says the difference is in the final state.
            let f = (pick [ "syscall/0x0c-success" ]).Head
            let expected = (J.clone f.Expected) :?> Text.Json.Nodes.JsonObject
            expected["consumed_compute_units"] <- Text.Json.Nodes.JsonValue.Create(expected["consumed_compute_units"].GetValue<int64>() + 1L)
            let results = run (options (thrumodel + " serve --engine engine")) [ { f with Expected = expected } ]

            match results with
            | [ { Outcome = Runner.Failed(_, ds, div) } ] ->
                Expect.equal ds.Length 1 "one field differs"
                Expect.stringContains ds.Head.Path "consumed_compute_units" "the field"
                Expect.equal div [ "(the traces agree on every instruction both report: regs, mem, cu, syscall, frame; the difference is in the final state)" ] "the engine's trace, compared"
            | other -> failtestf "expected one failure, got %A" other

        testCaseInGroup "conform-processes" "a mutant whose xor flips bit 0 is reported at the xor, with the register that differs" <| fun () ->
            let results = run (options (thrumodel + " serve --engine model --mutant xor-flip-bit0")) (pick [ "isa/xor/pair0"; "isa/c.xor/pair3"; "isa/add/pair0" ])

            match results |> List.map (fun r -> r.Outcome) with
            | [ Runner.Failed(_, ds, div); Runner.Failed(_, ds2, div2); Runner.Passed ] ->
                Expect.equal (ds |> List.map (fun d -> d.Path)) [ "regs[10] (x10 a0)" ] "the first fixture's difference"
                Expect.equal ds.Head.Expected "\"0x0000000000000000\"" "expected a0"
                Expect.equal ds.Head.Actual "\"0x0000000000000001\"" "the mutant's a0"
                Expect.stringContains div.Head "first divergence at instruction 0, pc 0x80000000: xor a0, a1, a2" "the divergent instruction"
                Expect.stringContains (String.concat "\n" div) "register writes: x10=0x0 vs x10=0x1" "what differs"
                Expect.equal (ds2 |> List.map (fun d -> d.Path)) [ "regs[10] (x10 a0)" ] "c.xor"
                Expect.stringContains div2.Head "c.xor a0, a1" "the divergent c.xor"
            | other -> failtest (sprintf "unexpected outcomes %A" other)

        testCaseInGroup "conform-processes" "a mutant whose log syscall costs one compute unit more is reported at the log's ecall" <| fun () ->
            let results = run (options (thrumodel + " serve --engine model --mutant log-cu-off-by-one")) (pick [ "syscall/0x0c-success"; "syscall/0x03-success" ])

            match results |> List.map (fun r -> r.Outcome) with
            | [ Runner.Failed(_, ds, div); Runner.Passed ] ->
                Expect.equal (ds |> List.map (fun d -> d.Path)) [ "consumed_compute_units" ] "the difference"
                Expect.equal (int ds.Head.Actual - int ds.Head.Expected) 1 "one unit more"
                Expect.stringContains div.Head ": ecall (model vs thrumodel-model-mutant-log-cu-off-by-one)" "the divergent instruction is the ecall"
                Expect.stringContains (String.concat "\n" div) "compute units:" "what differs"
            | other -> failtest (sprintf "unexpected outcomes %A" other)

        testCaseInGroup "conform-processes" "a crash, a hang and an answer that is not JSON are failures with their reason, and the run goes on" <| fun () ->
            let ids = [ "isa/add/pair0"; "isa/sub/pair0"; "isa/and/pair0" ]

            for misbehaviour, reason in [ "crash", "closed its output"; "hang", "timeout"; "garbage", "not JSON" ] do
                let o = { options (proxy misbehaviour "isa/sub/pair0") with Timeout = TimeSpan.FromSeconds 8.0 }
                let results = run o (pick ids)

                match results |> List.map (fun r -> r.Outcome) with
                | [ Runner.Passed; Runner.Failed(why, _, _); Runner.Passed ] -> Expect.stringContains why reason misbehaviour
                | other -> failtest (sprintf "%s: unexpected outcomes %A" misbehaviour other)

        testCaseInGroup "conform-processes" "an adapter that does not speak the protocol is refused at the handshake" <| fun () ->
            use a = new Runner.AdapterProcess("read x; echo '{\"protocol\": \"thrumodel-conform\", \"version\": 9}'", TimeSpan.FromSeconds 10.0)
            Expect.stringContains (match a.Ensure() with Error e -> e | Ok _ -> "") "version 9" "version mismatch"
            use b = new Runner.AdapterProcess("true", TimeSpan.FromSeconds 10.0)
            Expect.stringContains (match b.Ensure() with Error e -> e | Ok _ -> "") "no handshake" "no answer"

        testCaseInGroup "conform-processes" "the Python adapter over Unicorn passes every RV64IMC raw fixture and skips the others" <| fun () ->
            if not unicornAvailable.Value then skiptest "python3-unicorn is not installed (make deps installs it)"
            let c = corpus.Value
            let raw = c.Fixtures |> List.filter (fun f -> f.Kind = "raw")
            let some = raw @ (c.Fixtures |> List.filter (fun f -> f.Kind = "txn") |> List.truncate 20)
            let adapter = sprintf "/usr/bin/python3 %s" (Path.Combine(root, "conformance", "adapters", "unicorn_adapter.py"))
            let results = run (options adapter) some
            expectEmpty (results |> List.filter failed |> List.map (fun r -> r.Fixture.Id, r.Outcome)) "failures"
            let passed = results |> List.filter (fun r -> r.Outcome = Runner.Passed)
            let skipped = results |> List.filter (fun r -> match r.Outcome with Runner.Skipped _ -> true | _ -> false)
            Expect.isGreaterThan passed.Length 1000 "raw fixtures passed"
            // Skipped exactly when the fixture executes something beyond RV64IMC, or is a transaction.
            for r in results do
                let beyond =
                    r.Fixture.Kind = "txn"
                    || (match J.strings (Corpus.input c r.Fixture) "isa" with Ok isa -> isa |> List.exists (fun x -> not (List.contains x [ "I"; "M"; "C" ])) | Error _ -> false)

                Expect.equal (List.contains r skipped) beyond (sprintf "%s skipped" r.Fixture.Id)

        testCaseInGroup "conform-processes" "shrinking keeps the failure and makes the fixture smaller" <| fun () ->
            let c = corpus.Value
            // A random raw program that executes a xor, run against the xor mutant.
            let withXor =
                c.Fixtures
                |> List.filter (fun f -> f.Category = "raw-random")
                |> List.find (fun f ->
                    match Adapters.model Adapters.defaultModel (Corpus.input c f) true with
                    | Ok { Trace = Some t } -> t.Steps |> List.exists (fun s -> (TraceRecord.disassemble s).StartsWith "xor ")
                    | _ -> false)

            let command = thrumodel + " serve --engine model --mutant xor-flip-bit0"
            use adapter = new Runner.AdapterProcess(command, TimeSpan.FromSeconds 60.0)

            match Shrink.shrink adapter c withXor 300 with
            | Error e -> failtest e
            | Ok s ->
                Expect.isLessThan (Shrink.size s.Fixture) (Shrink.size withXor) "smaller"
                Expect.isGreaterThan s.Accepted 0 "steps taken"
                let shrunk = { c with Fixtures = [ s.Fixture ]; Origin = Map [ s.Fixture.Id, "shrunk" ] }
                let r = Runner.runOne (options command) adapter shrunk s.Fixture
                Expect.isTrue (failed r) "the shrunk fixture still fails"
                use engine = new Runner.AdapterProcess(thrumodel + " serve --engine engine", TimeSpan.FromSeconds 60.0)
                let again = Runner.runOne (options (thrumodel + " serve --engine engine")) engine shrunk s.Fixture
                Expect.equal again.Outcome Runner.Passed "and the engine passes it (the expectation is the model's)"

        testCase "serve answers malformed requests with an error and goes on" <| fun () ->
            let h: Protocol.Handshake = { Engine = "test"; Kinds = [ "raw" ]; Trace = false }
            let raw = J.compact (Corpus.input corpus.Value (corpus.Value.Fixtures |> List.find (fun f -> f.Kind = "raw")))
            let lines =
                [ """{"protocol": "thrumodel-conform", "version": 1}"""
                  "not json"
                  """{"id": "a", "input": {"kind": "raw", "base": "zz"}}"""
                  """{"id": "b", "input": {"kind": "txn"}}"""
                  sprintf """{"id": "c", "input": %s}""" raw ]

            use input = new StringReader(String.concat "\n" lines)
            use output = new StringWriter()
            Protocol.serve h (Adapters.model Adapters.defaultModel) input output
            let answers = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            Expect.equal answers.Length 5 "one answer per line"
            Expect.stringContains answers[0] "\"engine\":\"test\"" "the handshake"
            Expect.stringContains answers[1] "\"error\"" "not JSON"
            Expect.stringContains answers[2] "\"error\"" "a bad base"
            Expect.stringContains answers[3] "\"unsupported\"" "a kind the adapter does not run"
            Expect.stringContains answers[4] "\"observation\"" "a good request"
    ]
