/// `thrumodel trie root|prove|verify` as a user runs it (the built command, in a process): the public
/// vectors' roots, prove and verify round trips, verdicts with exit 0 or 1, and malformed files,
/// keys, roots and proofs refused with one line and exit 2 (docs/spec/transactions.md §6).
module Thru.Tests.Cli.TrieCommandTests

open System
open System.Diagnostics
open System.IO
open System.Text.Json.Nodes
open Expecto

let private root = Path.GetDirectoryName(Thru.Tests.Generators.artifactsDir)
let private dll = Path.Combine(root, "cli", "bin", "Release", "net10.0", "thrumodel.dll")

/// Run the command: exit code, standard output, standard error.
let private thrumodel (args: string list) =
    let psi = ProcessStartInfo("dotnet", RedirectStandardOutput = true, RedirectStandardError = true)
    dll :: args |> List.iter psi.ArgumentList.Add
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()

    if not (p.WaitForExit(TimeSpan.FromSeconds 60.0)) then
        p.Kill true
        failtestf "thrumodel %s did not finish in 60 s" (String.concat " " args)

    p.ExitCode, out.Result.Trim(), err.Result.Trim()

let private vectors () =
    JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "state-trie.json")))

let private tempFile (text: string) =
    let path = Path.Combine(Path.GetTempPath(), sprintf "thrumodel-trie-%s.json" (Guid.NewGuid().ToString("N")))
    File.WriteAllText(path, text)
    path

/// A user error: exit 2 and exactly one line on stderr, which contains `expected`.
let private refused (args: string list) (expected: string) =
    let code, _, err = thrumodel args
    Expect.equal code 2 (sprintf "exit code of %A (stderr: %s)" args err)
    Expect.equal (err.Split('\n').Length) 1 (sprintf "one line on stderr: %s" err)
    Expect.stringContains err expected "the message names what is wrong"

[<Tests>]
let tests =
    testList "Cli.TrieCommandTests" [
        testCase "trie root prints each public root, and --json prints {root}" <| fun () ->
            let roots = (vectors ()).["roots"].AsArray()

            for r in roots do
                let file = tempFile (r.["entries"].ToJsonString())
                let expected = r.["root"].GetValue<string>()
                let name = r.["name"].GetValue<string>()
                let code, out, _ = thrumodel [ "trie"; "root"; file ]
                Expect.equal (code, out) (0, expected) name
                let code, out, _ = thrumodel [ "trie"; "root"; file; "--json" ]
                let json = JsonNode.Parse out
                Expect.equal (code, json.["root"].GetValue<string>()) (0, expected) "--json"
                File.Delete file

        testCase "trie prove gives the public non-existence proof, and trie verify accepts it (exit 0) and refuses it for a present key (exit 1)" <| fun () ->
            let v = vectors ()
            let ne = v["non_existence"]
            let entries = v["roots"].AsArray() |> Seq.find (fun r -> r["name"].GetValue<string>() = ne["entries_of"].GetValue<string>())
            let file = tempFile (entries["entries"].ToJsonString())
            let missing = ne["missing_key"].GetValue<string>()
            let code, out, _ = thrumodel [ "trie"; "prove"; file; "--key"; missing; "--slot"; "5"; "--json" ]
            Expect.equal code 0 "prove"
            let j = JsonNode.Parse out
            Expect.equal (j["type"].GetValue<string>()) "creation" "type"
            let proof = j["proof"].GetValue<string>()
            // type CREATION (2) in the top bits of the slot word, slot 5; split bits 0 and 2; then the leaf and its value hash.
            Expect.stringStarts proof ("0500000000000080" + "0500000000000000") "type_slot and the first path_bitset word"
            Expect.stringContains proof (ne["expected_existing_pubkey"].GetValue<string>()) "the leaf's key"
            let rootHex = entries["root"].GetValue<string>()
            let code, out, _ = thrumodel [ "trie"; "verify"; "--root"; rootHex; "--key"; missing; "--proof"; proof ]
            Expect.equal (code, out) (0, "valid") "verify"
            let present = ne["expected_existing_pubkey"].GetValue<string>()
            let code, out, _ = thrumodel [ "trie"; "verify"; "--root"; rootHex; "--key"; present; "--proof"; proof ]
            Expect.equal code 1 "a present key is not shown absent"
            Expect.stringStarts out "invalid: " "the verdict says why"
            // An EXISTING proof of the present key verifies with its value hash, and not with another.
            let _, existing, _ = thrumodel [ "trie"; "prove"; file; "--key"; present ]
            let value = ne["expected_existing_value_hash"].GetValue<string>()
            let code, _, _ = thrumodel [ "trie"; "verify"; "--root"; rootHex; "--key"; present; "--proof"; existing; "--value-hash"; value ]
            Expect.equal code 0 "EXISTING with its value hash"
            let code, _, _ = thrumodel [ "trie"; "verify"; "--root"; rootHex; "--key"; present; "--proof"; existing; "--value-hash"; String('0', 64) ]
            Expect.equal code 1 "EXISTING with another value hash"
            File.Delete file

        testCase "malformed trie files, keys, roots and proofs are refused with one line and exit 2" <| fun () ->
            let key = String('1', 64)
            let good = tempFile (sprintf """[{"pubkey": "%s", "value_hash": "%s"}]""" key (String('2', 64)))
            let badFiles =
                [ "{", "not JSON"
                  "{}", "expected a JSON array"
                  "[1]", "entry 0 is not an object"
                  sprintf """[{"pubkey": "%s"}]""" key, "entry 0 has no value_hash"
                  sprintf """[{"pubkey": "%s", "value_hash": "00"}]""" key, "value_hash"
                  sprintf """[{"pubkey": "%s", "value_hash": "%s", "extra": 1}]""" key (String('2', 64)), "unknown member \"extra\""
                  sprintf """[{"pubkey": "%s", "value_hash": "%s"}, {"pubkey": "%s", "value_hash": "%s"}]""" key (String('2', 64)) key (String('3', 64)), "appears more than once" ]

            for text, expected in badFiles do
                let f = tempFile text
                refused [ "trie"; "root"; f ] expected
                File.Delete f

            refused [ "trie"; "root"; "/nonexistent/trie.json" ] "no such"
            refused [ "trie"; "root"; "/dev/zero" ] "larger than"
            refused [ "trie"; "prove"; good; "--key"; "xyz" ] "--key"
            refused [ "trie"; "prove"; good ] "--key"
            refused [ "trie"; "prove"; good; "--key"; key; "--slot"; "4611686018427387904" ] "--slot"
            refused [ "trie"; "verify"; "--root"; "00"; "--key"; key; "--proof"; "00" ] "--root"
            refused [ "trie"; "verify"; "--root"; key; "--key"; key; "--proof"; "0" ] "--proof"
            refused [ "trie"; "verify"; "--root"; key; "--key"; key; "--proof"; "00" ] "shorter than the 40-byte header"
            refused [ "trie"; "verify"; "--root"; key; "--key"; key; "--proof"; String('0', 80) + "00" ] "announces"
            refused [ "trie"; "verify"; "--root"; key; "--key"; key; "--proof"; String('0', 80) ] "--value-hash"
            File.Delete good
    ]
