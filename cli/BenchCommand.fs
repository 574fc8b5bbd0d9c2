/// `thru bench [--json] [--seconds S]`: instructions per second of the engine, the model and
/// Unicorn (without hooks, and with a per-instruction counting hook, which is what metering would
/// cost it) on the same kernels, and transactions per second of a simple transfer. Every figure
/// comes from one run on this machine; compare ratios, not absolute numbers, across machines.
module Thru.Cli.BenchCommand

open System.Diagnostics
open Argu
open Thru.Model
open Thru.Compare
open Thru.Cli.Args
open Thru.Cli.Kernels
open Spectre.Console

let private baseAddress = 0x8000_0000UL

/// One measurement: instructions retired, and seconds.
type Sample = { Instructions: int64; Seconds: float }

let private time (f: unit -> int64) : Sample =
    let sw = Stopwatch.StartNew()
    let n = f ()
    { Instructions = n; Seconds = sw.Elapsed.TotalSeconds }

/// Run `measure` with a growing iteration count until one run takes at least `target` seconds
/// (after one warm-up run), and return that run.
let calibrate (target: float) (start: int) (measure: int -> Sample) : Sample =
    measure start |> ignore

    let rec grow (iterations: int) =
        let s = measure iterations
        if s.Seconds >= target || iterations >= 1_000_000_000 / 4 then s
        else
            let factor = if s.Seconds <= 0.0 then 16.0 else min 16.0 (max 2.0 (1.2 * target / s.Seconds))
            grow (int (min 1.0e9 (float iterations * factor)))

    grow start

let mips (s: Sample) = float s.Instructions / s.Seconds / 1e6

// ---- raw mode ----

let engineRaw (k: Kernel) iterations =
    let image = k.Code RawMode iterations
    time (fun () -> (Thru.Engine.RawMode.Run(image, baseAddress, System.Int64.MaxValue)).Instructions)

let modelRaw (k: Kernel) iterations =
    let image = k.Code RawMode iterations
    time (fun () -> (Raw.run Decisions.Profile.defaults image baseAddress System.Int64.MaxValue |> Result.toOption).Value.Instructions)

/// Unicorn runs to the ecall at the end (a trap stops it). The instruction count is the engine's
/// for the same image (the differential and oracle tests hold them equal); with the counting hook
/// on, the hook's own count is used.
let unicornRaw (hook: bool) (k: Kernel) iterations =
    let image = k.Code RawMode iterations
    let expected = (Thru.Engine.RawMode.Run(image, baseAddress, System.Int64.MaxValue)).Instructions
    use uc = new Thru.Interop.Unicorn()
    uc.Map(baseAddress, 0x100_0000UL)
    uc.Write(baseAddress, System.ReadOnlySpan image)
    uc.Pc <- baseAddress
    uc.CountInstructions <- hook

    time (fun () ->
        uc.Run(baseAddress, 1UL) |> ignore
        if hook then int64 uc.HookedInstructions - 1L else expected)

/// A row of the report.
type Row =
    { Kernel: string
      Engine: string
      Mips: float option
      Tps: float option
      Note: string }

let private row kernel engine (s: Sample) note = { Kernel = kernel; Engine = engine; Mips = Some(mips s); Tps = None; Note = note }

let rawRows (target: float) : Row list =
    [ for k in Kernels.all do
          yield row k.Name "engine (raw, counted)" (calibrate target 100_000 (engineRaw k)) ""
          yield row k.Name "unicorn (no hook)" (calibrate target 100_000 (unicornRaw false k)) ""
          yield row k.Name "unicorn (counting hook)" (calibrate target 10_000 (unicornRaw true k)) ""
          yield row k.Name "model (raw)" (calibrate (min target 1.0) 100 (modelRaw k)) "" ]

let private render (rows: Row list) =
    let table = Table()
    table.AddColumns("kernel", "engine", "M instr/s", "tx/s", "×model", "note") |> ignore

    let modelOf kernel = rows |> List.tryFind (fun r -> r.Kernel = kernel && r.Engine.StartsWith "model") |> Option.bind (fun r -> r.Mips)

    for r in rows do
        let ratio =
            match r.Mips, modelOf r.Kernel with
            | Some m, Some b when b > 0.0 -> sprintf "%.0f" (m / b)
            | _ -> ""

        table.AddRow(
            r.Kernel,
            r.Engine,
            r.Mips |> Option.map (sprintf "%.1f") |> Option.defaultValue "",
            r.Tps |> Option.map (sprintf "%.0f") |> Option.defaultValue "",
            ratio,
            r.Note
        )
        |> ignore

    AnsiConsole.Write table

let run (args: ParseResults<BenchArgs>) : int =
    let target = args.GetResult(BenchArgs.Seconds, defaultValue = 1.0)

    if target <= 0.0 || target > 60.0 then
        Common.fail "--seconds: %g is not between 0 and 60" target

    let rows = rawRows target

    if args.Contains BenchArgs.Json then
        rows
        |> List.map (fun r ->
            Json.obj (
                [ "kernel", Json.str r.Kernel; "engine", Json.str r.Engine ]
                @ (r.Mips |> Option.map (fun m -> [ "mips", System.Text.Json.Nodes.JsonValue.Create(System.Math.Round(m, 2)) :> System.Text.Json.Nodes.JsonNode ]) |> Option.defaultValue [])
                @ (r.Tps |> Option.map (fun t -> [ "tps", System.Text.Json.Nodes.JsonValue.Create(System.Math.Round(t, 1)) :> System.Text.Json.Nodes.JsonNode ]) |> Option.defaultValue [])
            )
            :> System.Text.Json.Nodes.JsonNode)
        |> Json.arr
        |> Common.printJson
    else
        render rows

    0
