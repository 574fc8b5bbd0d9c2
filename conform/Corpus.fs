/// A corpus on disk: a directory of JSON Lines files (`*.jsonl`, or gzip-compressed `*.jsonl.gz`),
/// each line a fixture or a world; single-fixture files (`*.json`, version 1 or 2) are read too.
/// Reading checks that ids are unique and that every world a fixture names is defined.
module Thru.Conform.Corpus

open System
open System.IO
open System.IO.Compression
open System.Text.Json.Nodes
open Thru.Model
open Thru.Compare
open Thru.Compare.Conformance

/// A corpus in memory.
type Corpus =
    { Fixtures: Fixture list
      Worlds: Map<string, World>
      /// Where each fixture was read from (file and line).
      Origin: Map<string, string> }

/// The lines of a JSON Lines file (decompressed when it ends in .gz).
let private lines (path: string) : string seq =
    seq {
        use stream: Stream =
            if path.EndsWith ".gz" then new GZipStream(File.OpenRead path, CompressionMode.Decompress) :> Stream
            else File.OpenRead path

        use reader = new StreamReader(stream)
        let mutable line = reader.ReadLine()

        while not (isNull line) do
            yield line
            line <- reader.ReadLine()
    }

/// A version-1 fixture file as a version-2 fixture: the same inputs, and the expected observation
/// recomputed by the model (a version-1 file's own expectation is replayed by FixtureTests).
let upgrade (text: string) (name: string) : Result<Fixture * World option, string> =
    match J.parseObject text with
    | Error e -> Error e
    | Ok o ->
        match J.str o "kind" with
        | Ok "raw" ->
            Fixture.rawOfJson text
            |> Result.map (fun f ->
                Build.build (Build.RawCase("regression/" + f.Name, "regression", f.Description, { Base = f.Base; MaxSteps = f.MaxSteps; Image = f.Image; Regs = Array.zeroCreate 32; Isa = [] })))
        | Ok "txn" ->
            TxnFixture.ofJson text
            |> Result.map (fun f ->
                let description = match J.str o "description" with Ok d -> d | Error _ -> name
                let t = Build.txnInput f.Verifier f.Environment f.Wire
                Build.build (Build.TxnCase("regression/" + f.Name, "regression", description, t, t)))
        | Ok k -> J.fail "kind '%s' is neither 'raw' nor 'txn'" k
        | Error e -> Error e

/// Read every corpus file under `dir`. Errors name the file and line.
let read (dir: string) : Result<Corpus, string> =
    if not (Directory.Exists dir) then
        Error(sprintf "%s: no such directory" dir)
    else
        let files =
            Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
            |> Array.filter (fun f -> f.EndsWith ".jsonl" || f.EndsWith ".jsonl.gz" || f.EndsWith ".json")
            |> Array.filter (fun f -> not (f.EndsWith ".schema.json"))
            |> Array.sort

        let fixtures = Collections.Generic.List<Fixture>()
        let worlds = Collections.Generic.Dictionary<string, World>()
        let origin = Collections.Generic.Dictionary<string, string>()
        let mutable error: string option = None

        let add (where: string) (f: Fixture) =
            if origin.ContainsKey f.Id then error <- Some(sprintf "%s: fixture id '%s' is also in %s" where f.Id origin[f.Id])
            else
                origin[f.Id] <- where
                fixtures.Add f

        let addWorld (where: string) (w: World) =
            match worlds.TryGetValue w.Id with
            | true, old when J.compact (worldJson old) <> J.compact (worldJson w) -> error <- Some(sprintf "%s: world '%s' is defined twice with different contents" where w.Id)
            | _ -> worlds[w.Id] <- w

        for file in files do
            if error.IsNone then
                let rel = Path.GetRelativePath(dir, file)

                try
                    if file.EndsWith ".json" then
                        let text = File.ReadAllText file

                        match J.parseObject text with
                        | Error e -> error <- Some(sprintf "%s: %s" rel e)
                        | Ok o ->
                            match J.int64 o "version" with
                            | Ok 1L ->
                                match upgrade text rel with
                                | Ok(f, w) ->
                                    w |> Option.iter (addWorld rel)
                                    add rel f
                                | Error e -> error <- Some(sprintf "%s: %s" rel e)
                            | _ ->
                                match parseFixture o with
                                | Ok f -> add rel f
                                | Error e -> error <- Some(sprintf "%s: %s" rel e)
                    else
                        lines file
                        |> Seq.iteri (fun i line ->
                            if error.IsNone && line.Trim() <> "" then
                                let where = sprintf "%s:%d" rel (i + 1)

                                match J.parseObject line with
                                | Error e -> error <- Some(sprintf "%s: %s" where e)
                                | Ok o when J.str o "format" = Ok worldFormatName ->
                                    match parseWorld o with
                                    | Ok w -> addWorld where w
                                    | Error e -> error <- Some(sprintf "%s: %s" where e)
                                | Ok o ->
                                    match parseFixture o with
                                    | Ok f -> add where f
                                    | Error e -> error <- Some(sprintf "%s: %s" where e))
                with
                | :? IOException as e -> error <- Some(sprintf "%s: %s" rel e.Message)
                | :? InvalidDataException as e -> error <- Some(sprintf "%s: %s" rel e.Message)

        match error with
        | Some e -> Error e
        | None ->
            let worlds = worlds |> Seq.map (fun kv -> kv.Key, kv.Value) |> Map

            let missing =
                fixtures
                |> Seq.tryPick (fun f ->
                    match f.Input["world"] with
                    | null -> None
                    | w ->
                        let id = try w.GetValue<string>() with _ -> ""
                        if worlds.ContainsKey id then None else Some(sprintf "%s: fixture '%s' names world '%s', which no file defines" origin[f.Id] f.Id id))

            match missing with
            | Some e -> Error e
            | None ->
                Ok
                    { Fixtures = List.ofSeq fixtures
                      Worlds = worlds
                      Origin = origin |> Seq.map (fun kv -> kv.Key, kv.Value) |> Map }

/// The complete input of a fixture (its world merged in).
let input (c: Corpus) (f: Fixture) : JsonObject =
    match resolve c.Worlds f.Input with
    | Ok i -> i
    | Error e -> failwith e

/// Write fixtures (and the worlds they name, each once) as JSON Lines: `path` gets the fixtures,
/// `worldsPath` the worlds (not written when there are none).
let write (path: string) (worldsPath: string) (items: (Fixture * World option) seq) =
    let dir = Path.GetDirectoryName(Path.GetFullPath path)
    Directory.CreateDirectory dir |> ignore
    let worlds = Collections.Generic.SortedDictionary<string, World>(StringComparer.Ordinal)

    do
        use out = new StreamWriter(path, false, Text.UTF8Encoding(false))
        out.NewLine <- "\n"

        for f, w in items do
            w |> Option.iter (fun w -> worlds[w.Id] <- w)
            out.WriteLine(J.compact (fixtureJson f))

    if worlds.Count > 0 then
        use out = new StreamWriter(worldsPath, false, Text.UTF8Encoding(false))
        out.NewLine <- "\n"

        for w in worlds.Values do
            out.WriteLine(J.compact (worldJson w))
