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

let run (args: ParseResults<RawArgs>) : int =
    let image = readFile (args.GetResult RawArgs.File)
    let baseAddress = args.TryGetResult RawArgs.Base |> Option.map (parseHex "--base") |> Option.defaultValue 0x8000_0000UL
    let maxSteps = args.GetResult(RawArgs.Max_Steps, defaultValue = 1_000_000L)

    if maxSteps < 0L then
        fail "--max-steps: must be zero or more, not %d" maxSteps

    let observation =
        match args.GetResult(RawArgs.Engine, defaultValue = Model) with
        | Model -> runModel image baseAddress maxSteps
        | Unicorn -> runUnicorn image baseAddress maxSteps
        | other -> fail "--engine %A is not available yet" other

    if args.Contains RawArgs.Json then
        printJson (RawObservation.toJson observation)
    else
        RawObservation.describe observation |> List.iter (printfn "%s")

    0
