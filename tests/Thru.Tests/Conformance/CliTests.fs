/// The conformance verbs of `thrumodel` as a user meets them: bad input is one line and exit 2; the
/// coverage report's JSON shape; `trace` in both formats and `--engine both`; `fixtures generate`
/// writes what the corpus reader reads.
module Thru.Tests.Conformance.CliTests

open System
open System.IO
open System.Diagnostics
open System.Text.Json.Nodes
open Expecto
open Thru.Tests.Support
open Thru.Tests.Conformance.CorpusTests
open Thru.Tests.Conformance.RunnerTests

/// Run thrumodel with arguments: exit code, standard output, standard error.
let private cli (args: string list) =
    let psi = ProcessStartInfo("/bin/sh")
    psi.ArgumentList.Add "-c"
    psi.ArgumentList.Add(thrumodel + " " + (args |> List.map (fun a -> "'" + a.Replace("'", "'\\''") + "'") |> String.concat " "))
    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    psi.WorkingDirectory <- root
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()
    p.WaitForExit()
    p.ExitCode, out.Result, err.Result

let private userError (args: string list) (expected: string) =
    let code, _, err = cli args
    Expect.equal code 2 (sprintf "exit code of %A (stderr: %s)" args err)
    Expect.equal (err.Trim().Split('\n').Length) 1 (sprintf "one line for %A: %s" args err)
    Expect.stringContains err expected (sprintf "message of %A" args)

[<Tests>]
let tests =
    testList "Conformance.CliTests" [
        testCaseInGroup "conform-processes" "bad input to the conformance verbs is one line and exit 2" <| fun () ->
            let tmp = Path.Combine(Path.GetTempPath(), sprintf "thru-bad-%d" (Random.Shared.Next()))
            Directory.CreateDirectory tmp |> ignore
            File.WriteAllText(Path.Combine(tmp, "broken.jsonl"), "{\"format\": \"thrumodel-fixture\", \"version\": 2}\n")
            userError [ "fixtures"; "generate"; "--kind"; "wasm"; "--out"; tmp ] "--kind: 'wasm'"
            userError [ "fixtures"; "generate"; "--kind"; "raw"; "--out"; tmp; "--shard"; "4/3" ] "--shard: '4/3'"
            userError [ "conform"; "--corpus"; "/nonexistent"; "--engine-cmd"; "true" ] "no such directory"
            userError [ "conform"; "--corpus"; tmp; "--engine-cmd"; "true" ] "broken.jsonl:1: missing field 'id'"
            userError [ "conform"; "--corpus"; corpusDir ] "--engine-cmd: required"
            userError [ "conform"; "--corpus"; corpusDir; "--engine-cmd"; "true"; "--limit"; "1" ] "no handshake"
            userError [ "conform"; "coverage"; "--corpus"; "/nonexistent" ] "no such directory"
            userError [ "serve"; "--engine"; "unicorn" ] "--engine: 'unicorn'"
            userError [ "serve"; "--engine"; "model"; "--mutant"; "nope" ] "--mutant: 'nope'"
            userError [ "trace"; "raw"; "/nonexistent.bin" ] "no such file"
            userError [ "trace"; "raw"; Path.Combine(tmp, "broken.jsonl"); "--format"; "xml" ] "--format: 'xml'"
            userError [ "trace"; "fixture"; "--corpus"; corpusDir; "--id"; "no/such/fixture" ] "no fixture 'no/such/fixture'"

        testCaseInGroup "conform-processes" "conform coverage --json prints every item with its count" <| fun () ->
            let code, out, err = cli [ "conform"; "coverage"; "--corpus"; corpusDir; "--json" ]
            Expect.equal code 0 err
            let o = JsonNode.Parse(out) :?> JsonObject
            Expect.equal (o["fixtures"].GetValue<int>()) corpus.Value.Fixtures.Length "fixtures"
            let items = o["items"] :?> JsonArray
            Expect.isGreaterThan items.Count 450 "items"
            Expect.isTrue (items |> Seq.forall (fun i -> i["count"].GetValue<int>() > 0)) "every count above zero"

        testCaseInGroup "conform-processes" "trace prints JSON Lines and Spike text, and --engine both finds no divergence on a fixture both run alike" <| fun () ->
            let code, out, err = cli [ "trace"; "fixture"; "--corpus"; corpusDir; "--id"; "isa/add/pair1" ]
            Expect.equal code 0 err
            let lines = out.Trim().Split('\n')
            Expect.stringContains lines[0] "\"trace\":\"thrumodel-trace\"" "the header line"
            Expect.stringContains lines[1] "\"asm\":\"add a0, a1, a2\"" "the step"
            Expect.stringContains lines[lines.Length - 1] "\"end\"" "the end line"
            let code, out, err = cli [ "trace"; "fixture"; "--corpus"; corpusDir; "--id"; "isa/add/pair1"; "--format"; "text" ]
            Expect.equal code 0 err
            Expect.stringStarts out "core   0: 0x0000000080000000 (0x00c58533) add a0, a1, a2\ncore   0: 3 0x0000000080000000 (0x00c58533) x10 0x0000000000000000" "Spike lines"
            let code, out, err = cli [ "trace"; "fixture"; "--corpus"; corpusDir; "--id"; "raw-random/s1/00007"; "--engine"; "both" ]
            Expect.equal code 0 (out + err)
            Expect.stringContains out "model and engine agree" "both"

        testCaseInGroup "conform-processes" "trace --engine engine and --engine both work on transactions: a fixture and an example program" <| fun () ->
            let code, out, err = cli [ "trace"; "fixture"; "--corpus"; corpusDir; "--id"; "syscall/0x0c-success"; "--engine"; "engine" ]
            Expect.equal code 0 err
            let lines = out.Trim().Split('\n')
            Expect.stringContains lines[0] "\"engine\":\"engine\"" "the engine's trace"
            Expect.isTrue (lines |> Array.exists (fun l -> l.Contains "\"syscall\":{\"a7\":\"12\"")) "the log syscall"
            let code, out, err = cli [ "trace"; "fixture"; "--corpus"; corpusDir; "--id"; "invoke/depth-16"; "--engine"; "both" ]
            Expect.equal code 0 (out + err)
            Expect.stringContains out "model and engine agree on all" "both, a fixture"
            let hello = Thru.Tests.Examples.ExampleRun.binary "hello"
            let code, out, err = cli [ "trace"; "run"; hello; "--instr"; "78797a"; "--engine"; "both" ]
            Expect.equal code 0 (out + err)
            Expect.stringContains out "model and engine agree on all 39 instructions (compared: pc, bits, regs, mem, cu, syscall, frame)" "both, an example"
            let code, out, err = cli [ "trace"; "run"; hello; "--instr"; "78797a"; "--engine"; "engine"; "--format"; "text" ]
            Expect.equal code 0 err
            Expect.stringContains out "# syscall 11 (exit)" "the exit syscall"
            Expect.stringContains out "# end: EXECUTE_SUCCESS, 39 instructions" "the end"

        testCaseInGroup "conform-processes" "fixtures generate writes a corpus that conform reads and the engine passes" <| fun () ->
            let tmp = Path.Combine(Path.GetTempPath(), sprintf "thru-gen-%d" (Random.Shared.Next()))
            let code, out, err = cli [ "fixtures"; "generate"; "--kind"; "txn"; "--count"; "4"; "--seed"; "3"; "--out"; tmp; "--shard"; "2/2" ]
            Expect.equal code 0 err
            Expect.stringContains out "wrote 2 fixtures" "two of four in shard 2/2"
            Expect.isTrue (File.Exists(Path.Combine(tmp, "txn-s3.shard-2-of-2.jsonl"))) "the file"
            let code, out, err = cli [ "conform"; "--corpus"; tmp; "--engine-cmd"; thrumodel + " serve --engine engine"; "--json" ]
            Expect.equal code 0 (out + err)
            let o = JsonNode.Parse(out) :?> JsonObject
            Expect.equal (o["passed"].GetValue<int>(), o["failed"].GetValue<int>()) (2, 0) "passed, failed"
            // The same shard again with --json: the summary names what it wrote, and the file is the same.
            let before = File.ReadAllBytes(Path.Combine(tmp, "txn-s3.shard-2-of-2.jsonl"))
            let code, out, err = cli [ "fixtures"; "generate"; "--kind"; "txn"; "--count"; "4"; "--seed"; "3"; "--out"; tmp; "--shard"; "2/2"; "--json" ]
            Expect.equal code 0 err
            let o = JsonNode.Parse(out) :?> JsonObject
            Expect.equal (o["fixtures"].GetValue<int>()) 2 "fixtures"
            Expect.equal (o["path"].GetValue<string>()) (Path.Combine(tmp, "txn-s3.shard-2-of-2.jsonl")) "path"
            Expect.isTrue (o["worlds"].GetValue<int>() >= 1) "worlds"
            Expect.equal (File.ReadAllBytes(o["path"].GetValue<string>())) before "deterministic per seed"
    ]
