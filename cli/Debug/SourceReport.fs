/// The source-level report of `thrumodel run` when a transaction faults, reverts or runs out of
/// units and the program's ELF is known (`--elf FILE`, or PROGRAM.elf next to PROGRAM): the run is
/// executed again step by step on the implementation that ran it (the model's `Run.step`, or the
/// engine's traced run; both are deterministic: the same steps, the same result, which is
/// checked), keeping the last instructions, and the report is made from the state it ends in.
/// Runs that succeed are not executed again.
module Thru.Cli.Debug.SourceReport

open System.IO
open System.Text.Json.Nodes
open Argu
open Thru.Model.Runtime
open Thru.Compare
open Thru.Cli.Args
open Thru.Cli.Debug.Target

/// What a run's command line says about its source report: the program (an image path or a key),
/// every --elf, --no-elf and --last.
type SourceOptions =
    { Program: string
      Elfs: string list
      NoElf: bool
      Last: int option }

/// The source-report options of `run`'s parsed arguments.
let optionsOf (args: ParseResults<RunArgs>) : SourceOptions =
    { Program = args.GetResult RunArgs.Program
      Elfs = args.GetResults RunArgs.Elf
      NoElf = args.Contains RunArgs.No_Elf
      Last = args.TryGetResult RunArgs.Last }

/// The ELFs of a run: every --elf, then PROGRAM.elf next to PROGRAM unless --no-elf (or already
/// named).
let candidates (o: SourceOptions) : string list =
    let explicit = o.Elfs
    let program = o.Program

    let sibling =
        if o.NoElf || not (File.Exists program) then
            []
        else
            let elf = Path.ChangeExtension(program, ".elf")
            if File.Exists elf && not (explicit |> List.exists (fun e -> Path.GetFullPath e = Path.GetFullPath elf)) then [ elf ] else []

    explicit @ sibling

/// Whether a transaction's result has a report: it executed and reverted, faulted or ran out of
/// compute or state units.
let reportable (o: TxnObservation.TxnObservation) =
    o.VmError = Codes.Txn.vmRevert || o.VmError = Codes.Txn.vmFailed || o.VmError = Codes.Txn.cuExhausted || o.VmError = Codes.Txn.suExhausted

/// A report: the text lines and the same as JSON.
type Made =
    { Lines: string list
      Json: JsonObject
      /// The observation of the traced run (equal to the untraced one's).
      Observation: TxnObservation.TxnObservation }

/// The report as JSON: where, the call stack and the last instructions.
let json (programs: Programs.Resolver) (t: IDebugTarget) (ending: Ending) (recent: Report.Recent) : JsonObject =
    let frame (f: Report.SourceFrame) : JsonNode =
        Json.obj
            [ "pc", Json.hex f.Pc
              "function", Json.opt Json.str (f.Function |> Option.map fst)
              "offset", Json.opt (fun (o: uint64) -> Json.num (int64 o)) (f.Function |> Option.map snd)
              "file", Json.opt Json.str (f.Line |> Option.map fst)
              "line", Json.opt (fun (l: int) -> Json.num (int64 l)) (f.Line |> Option.map snd)
              "inlined", Json.bool f.Inlined
              "program_idx", Json.num (int64 f.ProgramIdx)
              "depth", Json.num (int64 f.Depth) ]

    let step (e: StepEvent) : JsonNode =
        let info = Programs.infoFor programs t e.ProgramIdx
        let fn = info |> Option.bind (fun i -> SourceMap.functionAt i e.Pc)
        let line = info |> Option.bind (fun i -> SourceMap.lineAt i e.Pc)

        Json.obj
            [ "pc", Json.hex e.Pc
              "bits", Json.str (if e.Length = 2 then sprintf "%04x" e.Bits else sprintf "%08x" e.Bits)
              "text", Json.str (disassemble e.Pc e.Bits e.Length)
              "function", Json.opt Json.str (fn |> Option.map (fun (s, _) -> s.Name))
              "file", Json.opt Json.str (line |> Option.map fst)
              "line", Json.opt (fun (l: int) -> Json.num (int64 l)) (line |> Option.map snd) ]

    Json.obj
        [ "ending", Json.str (Ending.describe ending)
          "stack", Json.arr (Report.callStack programs t |> List.map frame)
          "last_instructions", Json.arr (recent.Items |> List.map step)
          "notes", Json.arr (programs.Notes |> Seq.map Json.str) ]

/// Step a target to its end, keeping the last `last` instructions, and make its report (None when
/// it ended successfully).
let private report (t: IDebugTarget) (programs: Programs.Resolver) (last: int) =
    let recent = Report.Recent(last)
    let ending = Session.runToEnd t recent.Observe

    if not (Report.reportable ending) then
        None
    else
        Some(Report.lines programs t ending (if last > 0 then Some recent else None), json programs t ending recent)

/// Run the transaction again on the model, step by step, and make its report. None when execution
/// did not start or ended successfully.
let make (env: Execution.Environment) (wire: byte[]) (programs: Programs.Resolver) (last: int) : Made option =
    match Execution.start env wire with
    | Execution.Finished _ -> None
    | Execution.Running started ->
        let target = ModelTarget.TransactionTarget(env, started)

        report (target :> IDebugTarget) programs last
        |> Option.map (fun (lines, j) ->
            { Lines = lines
              Json = j
              Observation = TxnObservation.ofModel target.Result.Value })

/// Run the transaction again on the engine's traced run (engine/Debug), step by step, and make its
/// report from the engine's own state. None when execution did not start or ended successfully.
let makeEngine (env: Execution.Environment) (wire: byte[]) (programs: Programs.Resolver) (last: int) : Made option =
    let engineEnv = TxnFixture.engineEnvironment env
    use target = new EngineTarget.TransactionTarget(engineEnv, wire)

    if target.Refused.IsSome then
        None
    else
        report (target :> IDebugTarget) programs last
        |> Option.map (fun (lines, j) ->
            { Lines = lines
              Json = j
              Observation = TxnObservation.ofEngine engineEnv target.Result.Value })

/// The number of instructions `--last` asks for (default 16), or a UserError.
let lastCount (o: SourceOptions) =
    let n = defaultArg o.Last 16
    if n < 0 || n > 100_000 then Thru.Cli.Common.fail "--last: %d is not between 0 and 100000" n
    n

/// The resolver of a run's ELFs (a UserError when one cannot be read).
let resolver (o: SourceOptions) : Programs.Resolver =
    match Programs.create (candidates o) with
    | Ok r -> r
    | Error e -> Thru.Cli.Common.fail "--elf: %s" e

/// The report `thrumodel run` adds to a result (text lines, and the "source" member of --json):
/// nothing when the run succeeded or no ELF is known.
let forRun (args: SourceOptions) (env: Execution.Environment) (wire: byte[]) (programSegment: byte[] option) (o: TxnObservation.TxnObservation) : string list * JsonObject option =
    // An ELF named with --elf is read (and checked against the program) even when nothing fails.
    if not args.Elfs.IsEmpty then
        let programs = resolver args

        match programSegment with
        | Some seg when not (programs.Candidates |> List.exists (fun c -> SourceMap.matches c seg = Ok())) ->
            for c in programs.Candidates do
                match SourceMap.matches c seg with
                | Error e -> eprintfn "thrumodel: note: %s" e
                | Ok() -> ()
        | _ -> ()

    if not (reportable o) then
        [], None
    else
        let programs = resolver args
        let last = lastCount args
        let notes () = [ for n in programs.Notes -> ("note:".PadRight 18) + n ]

        if programs.Candidates.IsEmpty then
            [], None
        else
            let made =
                if o.Engine = "model" then make env wire programs last else makeEngine env wire programs last

            match made with
            | Some made ->
                if made.Observation <> o then
                    failwithf "the %s's traced run differs from its run (a bug: a run must be deterministic): %s" o.Engine (TxnObservation.differences made.Observation o |> String.concat "; ")

                made.Lines @ notes (), Some made.Json
            | None -> notes (), None
