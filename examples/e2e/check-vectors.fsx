// check-vectors.fsx -- run every vector of examples/e2e/vectors.json with `thrumodel run` and check it.
//
//   make examples && dotnet build cli -c Release
//   dotnet fsi examples/e2e/check-vectors.fsx [ID ...]
//
// For each step: the model and the engine must agree (--engine both), every "model" check must
// hold on both, and the "script" checks decide whether the vector is reproduced; the verdict must
// be the one vectors.json declares ("reproduced": true, false or "partial"). Prints one line per
// vector and exits 1 when anything differs from vectors.json. THRU overrides the command
// (default: dotnet cli/bin/Release/net10.0/thru.dll).

open System
open System.Diagnostics
open System.IO
open System.Numerics
open System.Text.Json.Nodes
open System.Text.RegularExpressions

let root = Path.GetFullPath(Path.Combine(__SOURCE_DIRECTORY__, "..", ".."))
let doc = JsonNode.Parse(File.ReadAllText(Path.Combine(__SOURCE_DIRECTORY__, "vectors.json")))

let thru =
    match Environment.GetEnvironmentVariable "THRU" with
    | null
    | "" -> [ "dotnet"; Path.Combine(root, "cli", "bin", "Release", "net10.0", "thrumodel.dll") ]
    | s -> s.Split(' ', StringSplitOptions.RemoveEmptyEntries) |> List.ofArray

/// Run thru with `args` from the repository root: exit code and standard output.
let runThru (args: string list) : int * string * string =
    let psi = ProcessStartInfo(List.head thru, WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true)

    for a in List.tail thru @ args do
        psi.ArgumentList.Add a

    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()
    p.WaitForExit()
    p.ExitCode, out.Result, err.Result

// ------------------------------------------------------------------------------------------
// Paths and checks.
// ------------------------------------------------------------------------------------------

type Token =
    | Field of string
    | Index of int
    | Every

let tokens (path: string) : Token list =
    [ for m in Regex.Matches(path, @"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[\*\]") ->
          if m.Groups[1].Success then Field m.Groups[1].Value
          elif m.Groups[2].Success then Index(int m.Groups[2].Value)
          else Every ]

/// The nodes a path reaches (null for a missing field); Every fans out over an array.
let rec select (node: JsonNode) (path: Token list) : JsonNode list =
    match path with
    | [] -> [ node ]
    | Field f :: rest ->
        match node with
        | :? JsonObject as o -> select (if o.ContainsKey f then o[f] else null) rest
        | _ -> [ null ]
    | Index i :: rest ->
        match node with
        | :? JsonArray as a when i < a.Count -> select a[i] rest
        | _ -> [ null ]
    | Every :: rest ->
        match node with
        | :? JsonArray as a -> [ for x in a do yield! select x rest ]
        | _ -> [ null ]

let integer (n: JsonNode) : BigInteger option =
    match n with
    | null -> None
    | :? JsonValue as v ->
        match v.GetValueKind() with
        | System.Text.Json.JsonValueKind.Number -> Some(BigInteger.Parse(v.ToJsonString()))
        | System.Text.Json.JsonValueKind.String ->
            let s = v.GetValue<string>()

            if s.StartsWith "0x" then
                Some(BigInteger.Parse("0" + s.Substring 2, Globalization.NumberStyles.HexNumber))
            else
                match BigInteger.TryParse s with
                | true, x -> Some x
                | _ -> None
        | _ -> None
    | _ -> None

let show (n: JsonNode) = if isNull n then "null" else n.ToJsonString()

/// None when the check holds, else what was found.
let check (o: JsonNode) (c: JsonObject) : string option =
    let path = c["path"].GetValue<string>()
    let found = select o (tokens path)
    let expected (k: string) = c[k]

    let holds (n: JsonNode) =
        if c.ContainsKey "eq" then JsonNode.DeepEquals(n, expected "eq")
        elif c.ContainsKey "ne" then not (JsonNode.DeepEquals(n, expected "ne"))
        elif c.ContainsKey "gt" then (match integer n, integer (expected "gt") with | Some a, Some b -> a > b | _ -> false)
        elif c.ContainsKey "len" then (match n with :? JsonArray as a -> a.Count = expected("len").GetValue<int>() | _ -> false)
        elif c.ContainsKey "contains" then
            match n with
            | :? JsonArray as a -> a |> Seq.exists (fun x -> JsonNode.DeepEquals(x, expected "contains"))
            | :? JsonValue as v when v.GetValueKind() = System.Text.Json.JsonValueKind.String -> v.GetValue<string>().Contains(expected("contains").GetValue<string>())
            | _ -> false
        elif c.ContainsKey "segment_type" then
            match integer n with
            | Some x -> int ((x >>> 40) &&& BigInteger 0xff) = expected("segment_type").GetValue<int>()
            | None -> false
        else failwithf "unknown check %s" (c.ToJsonString())

    if not found.IsEmpty && List.forall holds found then None
    else Some(sprintf "%s: %s (found %s)" path (c.ToJsonString()) (found |> List.map show |> String.concat ", "))

// ------------------------------------------------------------------------------------------
// Vectors.
// ------------------------------------------------------------------------------------------

let substitute (state: string) (args: string list) : string list =
    let args = args |> List.map (fun a -> a.Replace("{state}", state))
    let accounts = args |> List.pairwise |> List.tryPick (fun (a, b) -> if a = "--accounts" then Some b else None)

    args
    |> List.map (fun a ->
        let m = Regex.Match(a, @"^\{key:(.+)\}$")

        if not m.Success then
            a
        else
            let file = JsonNode.Parse(File.ReadAllText(Path.Combine(root, accounts.Value)))

            file["accounts"].AsArray()
            |> Seq.pick (fun x -> if x["name"].GetValue<string>() = m.Groups[1].Value then Some(x["pubkey"].GetValue<string>()) else None))

let only = fsi.CommandLineArgs |> Array.skip 1 |> Set.ofArray
let mutable failures = 0

for v in doc["vectors"].AsArray() do
    let id = v["id"].GetValue<string>()

    if only.IsEmpty || only.Contains id then
        let state = Directory.CreateTempSubdirectory("thru-e2e-").FullName
        let problems = ResizeArray<string>()
        let scriptMisses = ResizeArray<string>()

        for i, s in Seq.indexed (v["steps"].AsArray()) do
            let args = s["args"].AsArray() |> Seq.map (fun a -> a.GetValue<string>()) |> List.ofSeq |> substitute state
            let code, out, err = runThru args

            if code <> 0 && code <> 1 then
                problems.Add(sprintf "step %d: thru exited %d: %s" (i + 1) code (err.Trim()))
            else
                let o = JsonNode.Parse out

                if not (o["agree"].GetValue<bool>()) then
                    problems.Add(sprintf "step %d: model and engine differ: %s" (i + 1) (o["differences"].ToJsonString()))

                for c in s["model"].AsArray() do
                    for side in [ "model"; "engine" ] do
                        match check o[side] (c.AsObject()) with
                        | Some why -> problems.Add(sprintf "step %d %s: %s" (i + 1) side why)
                        | None -> ()

                for c in s["script"].AsArray() do
                    match check o["model"] (c.AsObject()) with
                    | Some why -> scriptMisses.Add(sprintf "step %d: %s" (i + 1) why)
                    | None -> ()

        Directory.Delete(state, true)

        let declared = v["reproduced"].ToJsonString().Trim('"')
        let reproduced = scriptMisses.Count = 0
        let verdictOk = if declared = "false" then not reproduced else reproduced

        if not verdictOk then
            problems.Add(sprintf "declared reproduced=%s, but the script checks %s" declared (if reproduced then "all hold" else "fail: " + String.Join("; ", scriptMisses)))

        let verdict = if reproduced then (if declared = "partial" then "partial" else "reproduced") else "NOT reproduced"
        printfn "%-34s %-15s %s" id verdict (if problems.Count = 0 then "ok" else "FAIL")

        for p in problems do
            printfn "    %s" p

        if not reproduced then
            for m in scriptMisses do
                printfn "    script: %s" m

        if problems.Count > 0 then
            failures <- failures + 1

printfn "%s" (if failures = 0 then "all vectors as declared" else sprintf "%d vector(s) differ from vectors.json" failures)
exit (if failures = 0 then 0 else 1)
