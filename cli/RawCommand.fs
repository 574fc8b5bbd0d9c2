/// `thrumodel raw FILE [--base HEX] [--engine …] [--max-steps N] [--json] [--repeat N]`: raw RV64 mode.
module Thru.Cli.RawCommand

open System.Diagnostics
open System.Text.Json.Nodes
open Argu
open Thru.Model
open Thru.Compare
open Thru.Cli.Args
open Thru.Cli.Common

/// One run: its observation, the seconds of the run call alone (no start-up, loading of the file
/// or output), and the time the .NET JIT spent compiling during it, on every thread (the engine's
/// compiled tier, and the runtime's own tiering of the engine's code).
type private Timed =
    { Observation: RawObservation.RawObservation
      Seconds: float
      JitSeconds: float }

let private timed (run: unit -> RawObservation.RawObservation) : Timed =
    let jit = System.Runtime.JitInfo.GetCompilationTime false
    let sw = Stopwatch.StartNew()
    let o = run ()
    let seconds = sw.Elapsed.TotalSeconds

    { Observation = o
      Seconds = seconds
      JitSeconds = (System.Runtime.JitInfo.GetCompilationTime false - jit).TotalSeconds }

/// Seconds as a JSON number, to the microsecond.
let secondsJson (s: float) : JsonNode = JsonValue.Create(System.Math.Round(s, 6))

/// Where a raw run starts: the pc (the base, or an ELF's entry point).
let mutable private entryPc: uint64 option = None

let private runModel (image: byte[]) (baseAddress: uint64) (maxSteps: int64) : unit -> RawObservation.RawObservation =
    match Raw.load image baseAddress with
    | Error e -> fail "%s" (Raw.describeLoadError e)
    | Ok memory ->
        let pc = defaultArg entryPc baseAddress
        fun () -> RawObservation.ofModel (Raw.runFrom Decisions.Profile.defaults maxSteps (Isa.Hart.at pc) memory)

let private runUnicorn (image: byte[]) (baseAddress: uint64) (maxSteps: int64) : unit -> RawObservation.RawObservation =
    // Validate exactly as the model does, so both engines give the same message.
    match Raw.load image baseAddress with
    | Error e -> fail "%s" (Raw.describeLoadError e)
    | Ok _ when not Thru.Interop.Unicorn.IsAvailable -> fail "--engine unicorn: libunicorn.so.2 is not installed (run make deps)"
    | Ok _ when entryPc.IsSome && entryPc <> Some baseAddress -> fail "--engine unicorn starts at the lowest address, and this ELF's entry point is elsewhere: use --engine model or engine"
    | Ok _ -> fun () -> RawObservation.ofUnicorn (Thru.Interop.UnicornRaw.Run(image, baseAddress, maxSteps))

let private runEngine (image: byte[]) (baseAddress: uint64) (maxSteps: int64) : unit -> RawObservation.RawObservation =
    // The engine validates with the model's wording (Raw.describeLoadError).
    match Thru.Engine.RawMode.LoadError(image.Length, baseAddress) with
    | null ->
        let pc = defaultArg entryPc baseAddress
        let regs = Array.zeroCreate<uint64> 32
        fun () -> RawObservation.ofEngine (Thru.Engine.RawMode.Run(System.ReadOnlySpan image, baseAddress, maxSteps, System.ReadOnlySpan regs, pc))
    | message -> fail "%s" message

/// Run `count` times; every run's seconds and the last run.
let private repeat (count: int) (run: unit -> RawObservation.RawObservation) : Timed list * Timed =
    let runs = List.init count (fun _ -> timed run)
    runs, List.last runs

/// The JSON of a side: the observation, its "seconds", and with --repeat every run's "runs".
let private sideJson (runs: Timed list, last: Timed) (showRuns: bool) : JsonObject =
    let json = RawObservation.toJson last.Observation
    json["seconds"] <- secondsJson last.Seconds
    json["jit_seconds"] <- secondsJson last.JitSeconds

    if showRuns then
        json["runs"] <- Json.arr (runs |> List.map (fun r -> secondsJson r.Seconds))
        json["jit_runs"] <- Json.arr (runs |> List.map (fun r -> secondsJson r.JitSeconds))

    json

let private describeTimes (runs: Timed list, last: Timed) (showRuns: bool) =
    printfn "seconds:      %.6f (the run alone; .NET JIT compiling during it: %.6f)" last.Seconds last.JitSeconds
    if showRuns then printfn "runs:         %s" (runs |> List.map (fun r -> sprintf "%.6f" r.Seconds) |> String.concat " ")

/// `--engine both`: run the model and the engine and compare them. Exit code 0 when they agree and
/// 1 when they disagree (so scripts and CI can use the verb as a differential check); bad arguments
/// are still 2. With --json: {"model": {…}, "engine": {…}, "agree": bool, "differences": ["…"]},
/// each side with its own "seconds".
let private runBoth (image: byte[]) (baseAddress: uint64) (maxSteps: int64) (count: int) (showRuns: bool) (json: bool) : int =
    let model = repeat count (runModel image baseAddress maxSteps)
    let engine = repeat count (runEngine image baseAddress maxSteps)
    let differences = RawObservation.differences (snd model).Observation (snd engine).Observation

    // When they differ, the first divergent instruction (docs/conformance.md §4).
    let divergence =
        if differences.IsEmpty then []
        else Adapters.divergenceReport (Conformance.rawInputJson { Base = baseAddress; MaxSteps = maxSteps; Image = image; Regs = Array.zeroCreate 32; Isa = [] })

    if json then
        printJson (
            Json.obj
                [ "model", sideJson model showRuns
                  "engine", sideJson engine showRuns
                  "agree", Json.bool differences.IsEmpty
                  "differences", Json.arr (differences |> List.map Json.str)
                  "first_divergence", Json.arr (divergence |> List.map Json.str) ]
        )
    else
        RawObservation.describe (snd model).Observation |> List.iter (printfn "%s")
        describeTimes model showRuns
        printfn ""
        RawObservation.describe (snd engine).Observation |> List.iter (printfn "%s")
        describeTimes engine showRuns
        printfn ""

        if differences.IsEmpty then
            printfn "model and engine agree"
        else
            printfn "model and engine differ (model vs engine):"
            differences |> List.iter (printfn "  %s")
            divergence |> List.iter (printfn "%s")

    if differences.IsEmpty then 0 else 1

/// `--engine unicorn --unhooked` (hidden; for `thrumodel bench --suite programs`): Unicorn as fast as it
/// runs, with none of the hooks that make it an oracle: no memory hook (so misaligned accesses are
/// NOT refused, unlike every other raw run) and no counting hook (so the retired count is unknown
/// and the step limit is not applied). Only the interrupt hook stays, which stops the run at the
/// first trap (the ecall). The seconds are those of uc_emu_start alone.
let private runUnhooked (image: byte[]) (baseAddress: uint64) (count: int) (showRuns: bool) (json: bool) : int =
    match Raw.load image baseAddress with
    | Error e -> fail "%s" (Raw.describeLoadError e)
    | Ok _ when not Thru.Interop.Unicorn.IsAvailable -> fail "--engine unicorn: libunicorn.so.2 is not installed (run make deps)"
    | Ok _ when entryPc.IsSome && entryPc <> Some baseAddress -> fail "--engine unicorn starts at the lowest address, and this ELF's entry point is elsewhere: use --engine model or engine"
    | Ok _ -> ()

    let once () =
        use uc = new Thru.Interop.Unicorn()
        uc.Map(baseAddress, Raw.regionSize)
        uc.Write(baseAddress, System.ReadOnlySpan image)
        uc.Pc <- baseAddress
        let sw = Stopwatch.StartNew()
        // An odd address is never a pc, so the run ends at the first trap (or error).
        let outcome = uc.Run(baseAddress, 1UL)
        let seconds = sw.Elapsed.TotalSeconds
        let regs = Array.zeroCreate<uint64> 32
        uc.ReadAllX(System.Span regs)

        let stop, fault =
            match outcome with
            | o when o.Trapped && o.TrapCause = 8u -> "ecall", None
            | o when o.Trapped -> "fault", Some(sprintf "trap-cause-%d" o.TrapCause)
            | o when o.Error = Thru.Interop.UnicornError.InstructionInvalid -> "ebreak", None
            | o -> "fault", Some(sprintf "unicorn-%O" o.Error)

        // Unicorn reports the pc after a trap as the trapping instruction + 4 (ecall is 4 bytes long).
        let pc = if stop = "ecall" then outcome.TrapPc - 4UL else outcome.Pc
        (stop, fault, pc, regs), seconds

    let runs = List.init count (fun _ -> once ())
    let (stop, fault, pc, regs), seconds = List.last runs

    if json then
        let members =
            [ "engine", Json.str "unicorn-unhooked"
              "stop", Json.str stop
              "fault", Json.opt Json.str fault
              "pc", Json.hex pc
              "instructions", null
              "regs", Json.arr (regs |> Array.map Json.hex)
              "seconds", secondsJson seconds
              "note", Json.str "no memory or counting hook: misaligned accesses not refused, instructions not counted" ]
            @ (if showRuns then [ "runs", Json.arr (runs |> List.map (snd >> secondsJson)) ] else [])

        printJson (Json.obj members)
    else
        printfn "engine:       unicorn, UNHOOKED (misaligned accesses not refused, instructions not counted)"
        printfn "stop:         %s%s" stop (fault |> Option.map (sprintf " (%s)") |> Option.defaultValue "")
        printfn "pc:           %s" (Hex.u64 pc)
        printfn "a0:           %s" (Hex.u64 regs[10])
        printfn "seconds:      %.6f (the run alone)" seconds
        if showRuns then printfn "runs:         %s" (runs |> List.map (snd >> sprintf "%.6f") |> String.concat " ")

    0

/// The image of `raw FILE`, its base and its first pc: an ELF's loadable segments flattened (from
/// its entry point), or a flat image at --base (from the base). Bad input is a UserError.
let input (args: ParseResults<RawArgs>) : byte[] * uint64 * uint64 =
    let path = args.GetResult RawArgs.File
    let file = readFileAtMost Elf.maxFile "a raw image or ELF file" path

    if Elf.isElf file then
        if args.Contains RawArgs.Base then fail "--base: an ELF file gives its own addresses; leave --base out"
        let elf = Elf.load path file
        let baseAddress, flat = Elf.flatten path elf
        flat, baseAddress, elf.Entry
    else
        if file.Length > int Raw.regionSize then fail "%s: image of %d bytes does not fit the 16 MiB region" path file.Length
        if file.Length = 0 then fail "%s: the image is empty" path
        let baseAddress = args.TryGetResult RawArgs.Base |> Option.map (parseHex "--base") |> Option.defaultValue 0x8000_0000UL
        file, baseAddress, baseAddress

let run (args: ParseResults<RawArgs>) : int =
    let image, baseAddress, pc = input args
    entryPc <- if pc <> baseAddress then Some pc else None

    let maxSteps = args.GetResult(RawArgs.Max_Steps, defaultValue = 1_000_000L)

    if maxSteps < 0L then
        fail "--max-steps: must be zero or more, not %d" maxSteps

    if args.Contains RawArgs.Unhooked && args.Contains RawArgs.Max_Steps then
        fail "--max-steps: an unhooked Unicorn run counts no instructions and has no step limit"

    let count = args.GetResult(RawArgs.Repeat, defaultValue = 1)

    if count < 1 || count > 1_000_000 then
        fail "--repeat: %d is not between 1 and 1000000" count

    let showRuns = args.Contains RawArgs.Repeat
    let json = args.Contains RawArgs.Json
    let engine = args.GetResult(RawArgs.Engine, defaultValue = Model)

    let single (run: unit -> RawObservation.RawObservation) =
        let result = repeat count run

        if json then
            printJson (sideJson result showRuns)
        else
            RawObservation.describe (snd result).Observation |> List.iter (printfn "%s")
            describeTimes result showRuns

        0

    match engine with
    | Unicorn when args.Contains RawArgs.Unhooked -> runUnhooked image baseAddress count showRuns json
    | _ when args.Contains RawArgs.Unhooked -> fail "--unhooked: only with --engine unicorn"
    | Model -> single (runModel image baseAddress maxSteps)
    | Unicorn -> single (runUnicorn image baseAddress maxSteps)
    | EngineChoice.Engine -> single (runEngine image baseAddress maxSteps)
    | Both -> runBoth image baseAddress maxSteps count showRuns json
