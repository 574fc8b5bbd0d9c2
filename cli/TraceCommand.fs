/// `thrumodel trace (raw FILE | run PROGRAM … | fixture --corpus DIR --id ID) [--engine model|engine|both]
/// [--format jsonl|text]`: every executed instruction with its pc, bits and disassembly, register
/// writes, memory accesses, compute units before and after, syscalls and invoke/exit frames
/// (compare/TraceRecord.fs). `--format text` follows Spike's commit log. `--engine both` traces the
/// model and the engine and prints the first divergent instruction (exit code 1 when they diverge).
/// `--engine engine` traces the engine's own run (engine/Debug/, through Adapters.EngineTrace).
module Thru.Cli.TraceCommand

open System
open System.Text.Json.Nodes
open Argu
open Thru.Model
open Thru.Compare
open Thru.Compare.Conformance
open Thru.Cli.ConformArgs
open Thru.Cli.Common
open Thru.Conform

type private Side =
    | ModelSide
    | EngineSide
    | BothSides

let private side (text: string) =
    match text with
    | "model" -> ModelSide
    | "engine" -> EngineSide
    | "both" -> BothSides
    | other -> fail "--engine: '%s' is not model, engine or both" other

let private format (text: string) =
    match text with
    | "jsonl"
    | "text" -> text
    | other -> fail "--format: '%s' is not jsonl or text" other

/// Print a trace in the format.
let private print (fmt: string) (t: TraceRecord.Trace) =
    use out = new IO.StreamWriter(Console.OpenStandardOutput(), Text.UTF8Encoding(false), 1 <<< 16)
    out.NewLine <- "\n"
    let lines = if fmt = "text" then TraceRecord.toText t else TraceRecord.toJsonLines t

    for l in lines do
        out.WriteLine l

/// Trace a resolved input on the chosen side(s).
let private traceInput (s: Side) (fmt: string) (input: JsonObject) : int =
    let modelTrace () =
        match Adapters.model Adapters.defaultModel input true with
        | Ok { Trace = Some t } -> t
        | Ok _ -> fail "the model gave no trace"
        | Error e -> fail "%s" e

    let engineTrace () =
        let result =
            match J.str input "kind" with
            | Ok "raw" -> parseRawInput input |> Result.bind Adapters.EngineTrace.raw
            | _ -> parseTxnInput input |> Result.bind Adapters.EngineTrace.txn

        match result with
        | Ok t -> t
        | Error e -> fail "--engine: %s" e

    match s with
    | ModelSide ->
        print fmt (modelTrace ())
        0
    | EngineSide ->
        print fmt (engineTrace ())
        0
    | BothSides ->
        let m = modelTrace ()
        let e = engineTrace ()

        match TraceRecord.firstDivergence m e with
        | None ->
            printfn "model and engine agree on all %d instructions (compared: pc, bits, %s)" m.Steps.Length (String.concat ", " (m.Reports |> List.filter (fun f -> List.contains f e.Reports)))
            printfn "model:  %s" m.End
            printfn "engine: %s" e.End
            0
        | Some d ->
            TraceRecord.describeDivergence "model" "engine" d |> List.iter (printfn "%s")
            printfn "model:  %s" m.End
            printfn "engine: %s" e.End
            1

let private raw (args: ParseResults<TraceRawArgs>) : int =
    let image = readFileAtMost (int Raw.regionSize) "a raw image" (args.GetResult TraceRawArgs.File)
    let baseAddress = args.TryGetResult TraceRawArgs.Base |> Option.map (parseHex "--base") |> Option.defaultValue 0x8000_0000UL
    let steps = args.GetResult(TraceRawArgs.Max_Steps, defaultValue = 100_000L)
    if steps < 0L then fail "--max-steps: must be zero or more, not %d" steps

    match Raw.load image baseAddress with
    | Error e -> fail "%s" (Raw.describeLoadError e)
    | Ok _ -> ()

    let input = rawInputJson { Base = baseAddress; MaxSteps = steps; Image = image; Regs = Array.zeroCreate 32; Isa = [] }
    traceInput (side (args.GetResult(TraceRawArgs.Engine, defaultValue = "model"))) (format (args.GetResult(TraceRawArgs.Format, defaultValue = "jsonl"))) input

let private runTxn (args: ParseResults<TraceRunArgs>) : int =
    // The transaction is built exactly as `thrumodel run` builds it: the same options, parsed by run's parser.
    let argv =
        [ yield args.GetResult TraceRunArgs.Program
          for a in args.GetAllResults() do
              match a with
              | TraceRunArgs.Instr h -> yield! [ "--instr"; h ]
              | TraceRunArgs.Accounts p -> yield! [ "--accounts"; p ]
              | TraceRunArgs.Cu n -> yield! [ "--cu"; string n ]
              | TraceRunArgs.Su n -> yield! [ "--su"; string n ]
              | TraceRunArgs.Mu n -> yield! [ "--mu"; string n ]
              | TraceRunArgs.Txn p -> yield! [ "--txn"; p ]
              | _ -> () ]
        |> Array.ofList

    let runArgs = ArgumentParser.Create<Args.RunArgs>(programName = "thrumodel trace run").ParseCommandLine(argv)
    let p = RunCommand.prepare runArgs
    let input = txnInputJson (Build.txnInput "ed25519" p.Env p.Wire)
    traceInput (side (args.GetResult(TraceRunArgs.Engine, defaultValue = "model"))) (format (args.GetResult(TraceRunArgs.Format, defaultValue = "jsonl"))) input

let private fixture (args: ParseResults<TraceFixtureArgs>) : int =
    let corpus =
        match Corpus.read (args.GetResult TraceFixtureArgs.Corpus) with
        | Ok c -> c
        | Error e -> fail "--corpus: %s" e

    let id = args.GetResult TraceFixtureArgs.Id

    match corpus.Fixtures |> List.tryFind (fun f -> f.Id = id) with
    | None -> fail "--id: no fixture '%s' in the corpus" id
    | Some f -> traceInput (side (args.GetResult(TraceFixtureArgs.Engine, defaultValue = "model"))) (format (args.GetResult(TraceFixtureArgs.Format, defaultValue = "jsonl"))) (Corpus.input corpus f)

let run (args: ParseResults<TraceArgs>) : int =
    match args.GetSubCommand() with
    | TraceArgs.Raw a -> raw a
    | TraceArgs.Run a -> runTxn a
    | TraceArgs.Fixture a -> fixture a
