/// The committed conformance corpus (conformance/, docs/conformance.md): it matches the model, the
/// engine reproduces it, every line follows the JSON Schema, every coverage item has fixtures, the
/// decisions each fixture names are exactly those whose alternative changes its outcome, and the
/// generator is deterministic and splits into shards that cover the same fixtures.
module Thru.Tests.Conformance.CorpusTests

open System
open System.IO
open System.Text.Json
open System.Text.Json.Nodes
open Expecto
open Thru.Tests.Support
open Thru.Model
open Thru.Compare
open Thru.Compare.Conformance
open Thru.Conform

/// The repository's root (found by walking up to ThruModel.sln).
let root =
    let rec up (dir: DirectoryInfo) =
        if isNull dir then failwith "ThruModel.sln not found above the test directory"
        elif File.Exists(Path.Combine(dir.FullName, "ThruModel.sln")) then dir.FullName
        else up dir.Parent

    up (DirectoryInfo AppContext.BaseDirectory)

let corpusDir = Path.Combine(root, "conformance")

/// The committed corpus, read once.
let corpus =
    lazy
        (match Corpus.read corpusDir with
         | Ok c -> c
         | Error e -> failwithf "the committed corpus does not read: %s" e)

/// The committed lines of the corpus files, by fixture id.
let private committedLines =
    lazy
        (Directory.GetFiles(corpusDir, "*.jsonl")
         |> Array.collect File.ReadAllLines
         |> Array.choose (fun l ->
             match J.parseObject l with
             | Ok o when J.str o "format" = Ok formatName -> Some((o["id"].GetValue<string>()), l)
             | _ -> None)
         |> Map)

let private compactFixture (f: Fixture) = J.compact (fixtureJson f)

[<Tests>]
let tests =
    testList "Conformance.CorpusTests" [
        testCase "the corpus has at least 2,000 fixtures and stays under 25 MB" <| fun () ->
            let c = corpus.Value
            Expect.isGreaterThanOrEqual c.Fixtures.Length 2000 "fixtures"
            let bytes = Directory.GetFiles(corpusDir, "*", SearchOption.AllDirectories) |> Array.sumBy (fun f -> FileInfo(f).Length)
            Expect.isLessThan bytes (25L * 1024L * 1024L) "bytes under conformance/"
            note (sprintf "corpus: %d fixtures, %d worlds, %.1f MB" c.Fixtures.Length c.Worlds.Count (float bytes / 1048576.0))

        testCase "every fixture of the committed corpus matches the model" <| fun () ->
            let c = corpus.Value

            let failures =
                c.Fixtures
                |> Array.ofList
                |> Array.Parallel.choose (fun f ->
                    match Adapters.modelUntraced Decisions.Profile.defaults (Corpus.input c f) with
                    | Error e -> Some(sprintf "%s: %s" f.Id e)
                    | Ok o ->
                        match compareObservation f.Kind f.Expected o with
                        | [] -> None
                        | ds -> Some(sprintf "%s (run `make corpus` after a change of the model): %s" f.Id (ds |> List.truncate 3 |> List.map describeDifference |> String.concat "; ")))

            expectEmpty failures "fixtures the model no longer reproduces"

        Thru.Tests.Engine.Tiers.testTiers "the engine reproduces every fixture of the committed corpus" [ "interpreter"; "compiled" ] <| fun tier ->
            use _ = Thru.Tests.Engine.Tiers.select tier
            let c = corpus.Value

            let failures =
                c.Fixtures
                |> Array.ofList
                |> Array.Parallel.choose (fun f ->
                    match Adapters.engine (Corpus.input c f) false with
                    | Error e -> Some(sprintf "%s: %s" f.Id e)
                    | Ok a ->
                        match compareObservation f.Kind f.Expected a.Observation with
                        | [] -> None
                        | ds -> Some(sprintf "%s: %s" f.Id (ds |> List.truncate 3 |> List.map describeDifference |> String.concat "; ")))

            expectEmpty failures "fixtures the engine does not reproduce"

        testCase "every line of every corpus file follows the JSON Schema, and the schema refuses broken lines" <| fun () ->
            let schema = Json.Schema.JsonSchema.FromText(File.ReadAllText(Path.Combine(corpusDir, "schema", "fixture.schema.json")))
            let validate (line: string) = (schema.Evaluate(JsonDocument.Parse(line).RootElement, Json.Schema.EvaluationOptions(OutputFormat = Json.Schema.OutputFormat.List))).IsValid

            let invalid =
                Directory.GetFiles(corpusDir, "*.jsonl")
                |> Array.collect (fun file -> File.ReadAllLines file |> Array.mapi (fun i l -> sprintf "%s:%d" (Path.GetFileName file) (i + 1), l))
                |> Array.Parallel.choose (fun (where, line) -> if validate line then None else Some where)

            expectEmpty invalid "lines that do not follow conformance/schema/fixture.schema.json"

            // The check can fail: a fixture without its expectation, a register list one short, an unknown stop.
            let line = Directory.GetFiles(corpusDir, "raw-*.jsonl") |> Array.head |> File.ReadLines |> Seq.head
            let o = (JsonNode.Parse line) :?> JsonObject
            let without = (o.DeepClone() :?> JsonObject) in without.Remove "expected" |> ignore
            let shortRegs = o.DeepClone() :?> JsonObject in (shortRegs["expected"]["regs"] :?> JsonArray).RemoveAt 0
            let badStop = o.DeepClone() :?> JsonObject in badStop["expected"]["stop"] <- JsonValue.Create "halt"

            for broken in [ without; shortRegs; badStop ] do
                Expect.isFalse (validate (J.compact broken)) "a broken fixture validates"

        testCase "no coverage item has zero fixtures" <| fun () ->
            let counts = Coverage.measure corpus.Value
            expectEmpty (counts |> List.filter (fun (_, c) -> c = 0) |> List.map fst) "items without fixtures"
            Expect.isGreaterThan (List.length counts) 450 "items"

        testCase "a fixture names exactly the switchable decisions whose alternative changes its outcome" <| fun () ->
            let c = corpus.Value
            let switchable = Build.switchable |> List.map fst |> Set.ofList
            let sample = c.Fixtures |> List.indexed |> List.filter (fun (i, f) -> i % 9 = 0 || f.Category = "decision") |> List.map snd |> Array.ofList

            let wrong =
                sample
                |> Array.Parallel.choose (fun f ->
                    let listed = f.Decisions |> List.filter switchable.Contains |> Set.ofList
                    let flipped = Build.flippedDecisions (Corpus.input c f) f.Expected |> Set.ofList
                    if listed = flipped then None else Some(sprintf "%s lists %A, flipping changes %A" f.Id listed flipped))

            expectEmpty wrong "fixtures with wrong decisions"
            // Every switchable decision changes the outcome of some fixture.
            let named = c.Fixtures |> List.collect (fun f -> f.Decisions) |> Set.ofList
            expectEmpty (Set.difference switchable named) "switchable decisions no fixture depends on"

        testCase "generation is deterministic per seed, and shards cover exactly the fixtures of one run" <| fun () ->
            for kind, count in [ "raw", 12; "txn", 7 ] do
                let one = Generate.fixtures kind count 5UL None |> Array.map (fst >> compactFixture) |> Set.ofArray
                let again = Generate.fixtures kind count 5UL None |> Array.map (fst >> compactFixture) |> Set.ofArray
                let shards = [ 1..3 ] |> List.map (fun k -> Generate.fixtures kind count 5UL (Some(k, 3)) |> Array.map (fst >> compactFixture) |> Set.ofArray)
                Expect.equal again one (sprintf "%s: two runs with one seed" kind)
                Expect.equal (Set.unionMany shards) one (sprintf "%s: the union of the shards" kind)
                Expect.equal (shards |> List.sumBy Set.count) count (sprintf "%s: the shards are disjoint" kind)
                let other = Generate.fixtures kind count 6UL None |> Array.map (fst >> compactFixture) |> Set.ofArray
                Expect.notEqual other one (sprintf "%s: another seed gives other fixtures" kind)

        testCase "the committed corpus is what `make corpus` generates (a sample regenerated)" <| fun () ->
            let committed = committedLines.Value
            let curated = Gen.Curated.all () |> Array.ofList

            let cases =
                [ for i in 0..19 -> Generate.rawCase 1UL i ]
                @ [ for i in 0..9 -> Generate.txnCase 1UL i ]
                @ [ for i in 0..40 .. curated.Length - 1 -> curated[i] ]

            let differing =
                cases
                |> Array.ofList
                |> Array.Parallel.choose (fun c ->
                    let f, _ = Build.build c

                    match committed.TryFind f.Id with
                    | None -> Some(sprintf "%s is not in the committed corpus" f.Id)
                    | Some line when line <> compactFixture f -> Some(sprintf "%s differs from its regeneration (run `make corpus`)" f.Id)
                    | Some _ -> None)

            expectEmpty differing "regenerated fixtures"
            Expect.equal (committed |> Map.filter (fun k _ -> k.StartsWith "raw-random/") |> Map.count) 600 "raw-random fixtures"
            Expect.equal (committed |> Map.filter (fun k _ -> k.StartsWith "txn-random/") |> Map.count) 600 "txn-random fixtures"
            Expect.equal (committed |> Map.filter (fun k _ -> not (k.StartsWith "raw-random/" || k.StartsWith "txn-random/" || k.StartsWith "regression/")) |> Map.count) curated.Length "curated fixtures"

        testCase "worlds are resolved into complete inputs, and unknown worlds are refused" <| fun () ->
            let c = corpus.Value
            let f = c.Fixtures |> List.find (fun f -> f.Kind = "txn" && not (isNull f.Input["world"]))
            let i = Corpus.input c f
            Expect.isTrue (isNull i["world"]) "the resolved input names no world"
            Expect.isOk (parseTxnInput i) "the resolved input parses"
            let unknown = f.Input.DeepClone() :?> JsonObject
            unknown["world"] <- JsonValue.Create "w-0000000000000000"
            Expect.stringContains (match resolve c.Worlds unknown with Error e -> e | Ok _ -> "") "w-0000000000000000" "the error names the world"

        testCase "a malformed fixture line is refused with the field named" <| fun () ->
            let line = committedLines.Value |> Map.toList |> List.head |> snd
            let o () = (JsonNode.Parse line) :?> JsonObject

            let cases =
                [ (let x = o () in x.Remove "id" |> ignore; x), "missing field 'id'"
                  (let x = o () in x["version"] <- JsonValue.Create 3; x), "version 3 is not supported"
                  (let x = o () in x["kind"] <- JsonValue.Create "wasm"; x), "kind 'wasm'"
                  (let x = o () in x["decisions"] <- JsonValue.Create "D-ZBC"; x), "field 'decisions' must be an array" ]

            for x, expected in cases do
                match parseFixture x with
                | Ok _ -> failtest (sprintf "accepted: %s" (J.compact x))
                | Error e -> Expect.stringContains e expected "the message"

            let raw = Json.obj [ "kind", Json.str "raw"; "base", Json.str "0x1001"; "max_steps", Json.num 5L; "image", Json.str "" ]
            Expect.stringContains (match parseRawInput raw with Error e -> e | Ok _ -> "") "not a multiple of 0x1000" "an unloadable raw input"

        testCase "a version-1 fixture file upgrades to a version-2 fixture with the same inputs" <| fun () ->
            for dir in [ "raw"; "txn" ] do
                for file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", dir), "*.json") do
                    match Corpus.upgrade (File.ReadAllText file) (Path.GetFileName file) with
                    | Error e -> failtest (sprintf "%s: %s" file e)
                    | Ok(f, _) ->
                        Expect.equal f.Category "regression" "category"
                        Expect.isTrue (committedLines.Value.ContainsKey f.Id) (sprintf "%s is in the corpus" f.Id)
    ]
