/// `thrumodel serve --engine engine|model [--mutant NAME]`: this project's adapter for the
/// conformance line protocol (conform/Protocol.fs): it reads requests on standard input and answers
/// each with the observation (and, when asked, the trace) of the engine or the model.
module Thru.Cli.ServeCommand

open System
open System.IO
open Argu
open Thru.Compare
open Thru.Cli.ConformArgs
open Thru.Cli.Common
open Thru.Conform

let run (args: ParseResults<ServeArgs>) : int =
    let engine = args.GetResult(ServeArgs.Engine, defaultValue = "engine")
    let mutant = args.TryGetResult ServeArgs.Mutant

    let handshake, answer =
        match engine, mutant with
        | "engine", None -> { Protocol.Engine = "thrumodel-engine"; Protocol.Kinds = [ "raw"; "txn" ]; Protocol.Trace = true }, Adapters.engine
        | "model", None -> { Protocol.Engine = "thrumodel-model"; Protocol.Kinds = [ "raw"; "txn" ]; Protocol.Trace = true }, Adapters.model Adapters.defaultModel
        | "model", Some m ->
            match Mutants.tryFind m with
            | Some v -> { Protocol.Engine = "thrumodel-model-mutant-" + m; Protocol.Kinds = [ "raw"; "txn" ]; Protocol.Trace = true }, Adapters.model v
            | None -> fail "--mutant: '%s' is not one of %s" m (Mutants.all |> List.map (fun (n, _, _) -> n) |> String.concat ", ")
        | "engine", Some _ -> fail "--mutant: mutants change the model's step; use --engine model --mutant NAME"
        | other, _ -> fail "--engine: '%s' is not engine or model" other

    use input = new StreamReader(Console.OpenStandardInput(), Text.UTF8Encoding(false))
    use output = new StreamWriter(Console.OpenStandardOutput(), Text.UTF8Encoding(false))
    output.NewLine <- "\n"
    Protocol.serve handshake answer input output
    0
