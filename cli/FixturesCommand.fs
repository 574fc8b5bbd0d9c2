/// `thrumodel fixtures generate --kind raw|txn|curated --count N --seed S --out DIR [--shard K/N]`:
/// conformance fixtures made by the model, deterministic per seed (docs/conformance.md).
module Thru.Cli.FixturesCommand

open System.IO
open Argu
open Thru.Cli.ConformArgs
open Thru.Cli.Common
open Thru.Conform
open Thru.Compare

/// "K/N" with 1 <= K <= N.
let parseShard (text: string) : int * int =
    match text.Split '/' with
    | [| k; n |] ->
        match System.Int32.TryParse k, System.Int32.TryParse n with
        | (true, k), (true, n) when n >= 1 && k >= 1 && k <= n -> k, n
        | _ -> fail "--shard: '%s' is not K/N with 1 <= K <= N" text
    | _ -> fail "--shard: '%s' is not K/N with 1 <= K <= N" text

let private generate (args: ParseResults<FixturesGenerateArgs>) : int =
    let kind = args.GetResult FixturesGenerateArgs.Kind

    if not (List.contains kind Generate.kinds) then
        fail "--kind: '%s' is not one of %s" kind (String.concat ", " Generate.kinds)

    let count = args.GetResult(FixturesGenerateArgs.Count, defaultValue = 100)
    if count < 0 || count > 10_000_000 then fail "--count: %d is not between 0 and 10000000" count
    let seed = args.GetResult(FixturesGenerateArgs.Seed, defaultValue = 1UL)
    let shard = args.TryGetResult FixturesGenerateArgs.Shard |> Option.map parseShard
    let out = args.GetResult FixturesGenerateArgs.Out

    if File.Exists out then fail "--out: %s is a file, not a directory" out

    (try
        Directory.CreateDirectory out |> ignore
     with e ->
         fail "--out: cannot create %s: %s" out e.Message)

    let stem =
        (if kind = "curated" then "curated" else sprintf "%s-s%d" kind seed)
        + (match shard with Some(k, n) -> sprintf ".shard-%d-of-%d" k n | None -> "")

    let sw = System.Diagnostics.Stopwatch.StartNew()
    let fixtures = Generate.fixtures kind count seed shard
    let path = Path.Combine(out, stem + ".jsonl")
    let worldsPath = Path.Combine(out, "worlds-" + stem + ".jsonl")
    Corpus.write path worldsPath fixtures
    let worlds = fixtures |> Array.choose snd |> Array.distinctBy (fun w -> w.Id)

    if args.Contains FixturesGenerateArgs.Json then
        printJson (
            Json.obj
                [ "fixtures", Json.num fixtures.LongLength
                  "path", Json.str path
                  "worlds", Json.num worlds.LongLength
                  "worlds_path", Json.opt Json.str (if worlds.Length > 0 then Some worldsPath else None)
                  "seconds", System.Text.Json.Nodes.JsonValue.Create(System.Math.Round(sw.Elapsed.TotalSeconds, 3)) ]
        )
    else
        printfn "wrote %d fixtures to %s%s in %.1f s" fixtures.Length path (if worlds.Length > 0 then sprintf " (and %d world(s) to %s)" worlds.Length worldsPath else "") sw.Elapsed.TotalSeconds

    0

let private upgrade (args: ParseResults<FixturesUpgradeArgs>) : int =
    let from = args.GetResult FixturesUpgradeArgs.From
    let out = args.GetResult FixturesUpgradeArgs.Out
    if not (Directory.Exists from) then fail "--from: %s: no such directory" from
    let files = Directory.GetFiles(from, "*.json", SearchOption.AllDirectories) |> Array.sort

    let fixtures =
        files
        |> Array.map (fun f ->
            match Corpus.upgrade (File.ReadAllText f) (Path.GetFileName f) with
            | Ok x -> x
            | Error e -> fail "%s: %s" f e)

    Directory.CreateDirectory out |> ignore
    let path = Path.Combine(out, "regressions.jsonl")
    Corpus.write path (Path.Combine(out, "worlds-regressions.jsonl")) fixtures
    if args.Contains FixturesUpgradeArgs.Json then
        printJson (Json.obj [ "fixtures", Json.num fixtures.LongLength; "path", Json.str path ])
    else
        printfn "wrote %d fixtures to %s" fixtures.Length path

    0

let run (args: ParseResults<FixturesArgs>) : int =
    match args.GetSubCommand() with
    | FixturesArgs.Generate g -> generate g
    | FixturesArgs.Upgrade u -> upgrade u
