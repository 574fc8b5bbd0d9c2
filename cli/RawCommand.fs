/// `thru raw FILE [--base HEX] [--engine …] [--max-steps N] [--json]`: raw RV64 mode.
module Thru.Cli.RawCommand

open Argu
open Thru.Model
open Thru.Compare
open Thru.Cli.Args
open Thru.Cli.Common

let private runModel (image: byte[]) (baseAddress: uint64) (maxSteps: int64) =
    match Raw.run Decisions.Profile.defaults image baseAddress maxSteps with
    | Ok result -> RawObservation.ofModel result
    | Error e -> fail "%s" (Raw.describeLoadError e)

let private runUnicorn (image: byte[]) (baseAddress: uint64) (maxSteps: int64) =
    // Validate exactly as the model does, so both engines give the same message.
    match Raw.load image baseAddress with
    | Error e -> fail "%s" (Raw.describeLoadError e)
    | Ok _ when not Thru.Interop.Unicorn.IsAvailable -> fail "--engine unicorn: libunicorn.so.2 is not installed (run make deps)"
    | Ok _ -> RawObservation.ofUnicorn (Thru.Interop.UnicornRaw.Run(image, baseAddress, maxSteps))

let private runEngine (image: byte[]) (baseAddress: uint64) (maxSteps: int64) =
    // The engine validates with the model's wording (Raw.describeLoadError).
    match Thru.Engine.RawMode.LoadError(image.Length, baseAddress) with
    | null -> RawObservation.ofEngine (Thru.Engine.RawMode.Run(System.ReadOnlySpan image, baseAddress, maxSteps))
    | message -> fail "%s" message

/// `--engine both`: run the model and the engine and compare them. Exit code 0 when they agree and
/// 1 when they disagree (so scripts and CI can use the verb as a differential check); bad arguments
/// are still 2. With --json: {"model": {…}, "engine": {…}, "agree": bool, "differences": ["…"]}.
let private runBoth (image: byte[]) (baseAddress: uint64) (maxSteps: int64) (json: bool) : int =
    let model = runModel image baseAddress maxSteps
    let engine = runEngine image baseAddress maxSteps
    let differences = RawObservation.differences model engine

    if json then
        printJson (
            Json.obj
                [ "model", RawObservation.toJson model
                  "engine", RawObservation.toJson engine
                  "agree", Json.bool differences.IsEmpty
                  "differences", Json.arr (differences |> List.map Json.str) ]
        )
    else
        RawObservation.describe model |> List.iter (printfn "%s")
        printfn ""
        RawObservation.describe engine |> List.iter (printfn "%s")
        printfn ""

        if differences.IsEmpty then
            printfn "model and engine agree"
        else
            printfn "model and engine differ (model vs engine):"
            differences |> List.iter (printfn "  %s")

    if differences.IsEmpty then 0 else 1

let run (args: ParseResults<RawArgs>) : int =
    let image = readFile (args.GetResult RawArgs.File)
    let baseAddress = args.TryGetResult RawArgs.Base |> Option.map (parseHex "--base") |> Option.defaultValue 0x8000_0000UL
    let maxSteps = args.GetResult(RawArgs.Max_Steps, defaultValue = 1_000_000L)

    if maxSteps < 0L then
        fail "--max-steps: must be zero or more, not %d" maxSteps

    let json = args.Contains RawArgs.Json

    let single observation =
        if json then
            printJson (RawObservation.toJson observation)
        else
            RawObservation.describe observation |> List.iter (printfn "%s")

        0

    match args.GetResult(RawArgs.Engine, defaultValue = Model) with
    | Model -> single (runModel image baseAddress maxSteps)
    | Unicorn -> single (runUnicorn image baseAddress maxSteps)
    | EngineChoice.Engine -> single (runEngine image baseAddress maxSteps)
    | Both -> runBoth image baseAddress maxSteps json
