/// `thrumodel run … --gdb ADDRESS | --profile | --profile-out FILE` and `thrumodel raw … --gdb
/// ADDRESS`: the run goes through a debug target (cli/Debug/Target.fs) on the model
/// (ModelTarget) or the engine (EngineTarget, the engine's traced run), so gdb can step it and the
/// profiler can see every step; the result is printed as `run` and `raw` print it.
module Thru.Cli.DebugRun

open System
open Argu
open Thru.Model
open Thru.Model.Runtime
open Thru.Compare
open Thru.Cli.Args
open Thru.Cli.Common
open Thru.Cli.Debug
open Thru.Cli.Debug.Target

/// Whether `run` needs the debug target.
let wantsRun (args: ParseResults<RunArgs>) =
    args.Contains RunArgs.Gdb || args.Contains RunArgs.Profile || args.Contains RunArgs.Profile_Out

/// Whether `raw` needs the debug target.
let wantsRaw (args: ParseResults<RawArgs>) = args.Contains RawArgs.Gdb

let private gdbOptions (address: string) (timeout: int option) : GdbStub.Options =
    let seconds = defaultArg timeout 600

    if seconds < 1 || seconds > 86_400 then
        fail "--gdb-timeout: %d is not between 1 and 86400 seconds" seconds

    match GdbStub.parseAddress address with
    | Error e -> fail "%s" e
    | Ok(host, port) ->
        if not (Net.IPAddress.IsLoopback host) then
            eprintfn "thrumodel: warning: the gdb stub listens on %O, reachable from other machines; it has no authentication" host

        { Address = host
          Port = port
          Timeout = TimeSpan.FromSeconds(float seconds) }

/// Serve gdb over a target; then the run is over, or goes on to its end without gdb. Returns
/// false when gdb killed the run.
let private debugWithGdb (opts: GdbStub.Options) (target: IDebugTarget) (observe: StepOutcome -> unit) (elfHint: string) : bool =
    let session = Session.create target

    let listening (ep: Net.IPEndPoint) =
        eprintfn "thrumodel: waiting for gdb on %O: gdb-multiarch %s-ex 'target remote %O'" ep elfHint ep

    match GdbStub.serve opts session observe listening (eprintfn "thrumodel: %s") with
    | Error e -> fail "%s" e
    | Ok GdbStub.Finished -> true
    | Ok(GdbStub.Detached why) ->
        if target.Ended.IsNone then eprintfn "thrumodel: %s: the run goes on to its end" why
        Session.runToEnd target observe |> ignore
        true
    | Ok GdbStub.Killed ->
        eprintfn "thrumodel: the run was killed from gdb at pc 0x%x after %d instructions: no result" target.Pc target.Consumed.Instructions
        false

/// The profile as JSON (the "profile" member of `run --json --profile`).
let private profileJson (p: Profile.Profiler) : Text.Json.Nodes.JsonObject =
    let counters (c: Profile.Counters) : Text.Json.Nodes.JsonNode =
        Json.obj
            [ "compute_units", Json.num (int64 c.ComputeUnits)
              "instructions", Json.num c.Instructions
              "memory_units", Json.num (int64 c.MemoryUnits)
              "state_units", Json.num (int64 c.StateUnits) ]

    Json.obj
        [ "total", counters p.Total
          "functions",
          Json.arr
              [ for r in Profile.rows p ->
                    Json.obj [ "name", Json.str r.Name; "calls", Json.num r.Calls; "inclusive", counters r.Inclusive; "exclusive", counters r.Exclusive ] ] ]

let private writeProfile (path: string) (p: Profile.Profiler) (programs: Programs.Resolver) (target: IDebugTarget) (name: string) =
    let text =
        if path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) then
            // A frame's file and line: where its function starts (syscalls have none).
            let location (frame: string) =
                let fn = frame.Substring(frame.IndexOf ':' + 1)
                match Programs.infoFor programs target 1 with
                | Some info when not (frame.StartsWith "syscall ") ->
                    info.Functions |> Array.tryFind (fun s -> s.Name = fn) |> Option.bind (fun s -> SourceMap.lineAt info s.Address)
                | _ -> None

            Json.render (Profile.speedscope p name location) + "\n"
        else
            Profile.folded p

    try
        IO.File.WriteAllText(path, text)
    with
    | :? IO.DirectoryNotFoundException -> fail "--profile-out: cannot write %s: no such directory" path
    | :? UnauthorizedAccessException -> fail "--profile-out: cannot write %s: permission denied (or it is a directory)" path
    | :? IO.IOException as e -> fail "--profile-out: cannot write %s: %s" path e.Message

/// `thrumodel run` with --gdb, --profile or --profile-out.
let runTxn (args: ParseResults<RunArgs>) : int =
    let gdb = args.TryGetResult RunArgs.Gdb
    let option = if gdb.IsSome then "--gdb" else "--profile"

    let implementation = args.GetResult(RunArgs.Engine, defaultValue = Model)

    match implementation with
    | Model
    | EngineChoice.Engine -> ()
    | Both -> fail "%s: not with --engine both (debug one implementation at a time)" option
    | Unicorn -> fail "--engine unicorn runs raw mode only (Unicorn has no Thru address space or syscalls)"

    if args.Contains RunArgs.Repeat then fail "--repeat: not with %s" option
    if args.Contains RunArgs.Gdb_Timeout && gdb.IsNone then fail "--gdb-timeout: only with --gdb"
    let opts = gdb |> Option.map (fun a -> gdbOptions a (args.TryGetResult RunArgs.Gdb_Timeout))

    match args.TryGetResult RunArgs.Profile_Out with
    | Some path when not (IO.Directory.Exists(IO.Path.GetDirectoryName(IO.Path.GetFullPath path))) ->
        fail "--profile-out: cannot write %s: no such directory" path
    | _ -> ()

    let p = RunCommand.prepare args
    let programs = SourceReport.resolver (SourceReport.optionsOf args)
    let last = SourceReport.lastCount (SourceReport.optionsOf args)
    let json = args.Contains RunArgs.Json

    // Refused before execution: nothing to debug or profile.
    let refused (o: TxnObservation.TxnObservation) =
        eprintfn "thrumodel: the transaction was refused before execution: nothing to %s" (if gdb.IsSome then "debug" else "profile")
        args.TryGetResult RunArgs.State_Out |> Option.iter (fun path -> RunCommand.writeStateFile path p o)
        if json then printJson (RunCommand.jsonOf p o) else RunCommand.printResult p o
        RunCommand.exitCode o

    // The run through a debug target; `observation` gives its result once it has ended.
    let debugged (target: IDebugTarget) (observation: unit -> TxnObservation.TxnObservation) =
        let recent = Report.Recent last
        let profiler = if args.Contains RunArgs.Profile || args.Contains RunArgs.Profile_Out then Some(Profile.Profiler(programs, target)) else None

        let observe (o: StepOutcome) =
            recent.Observe o
            profiler |> Option.iter (fun p -> p.Observe o)

        let elfHint =
            match programs.Candidates with
            | c :: _ -> c.Path + " "
            | [] -> ""

        let completed =
            match opts with
            | Some opts -> debugWithGdb opts target observe elfHint
            | None ->
                Session.runToEnd target observe |> ignore
                true

        for n in programs.Notes do
            eprintfn "thrumodel: note: %s" n

        if not completed then
            1
        else
            let o = observation ()
            args.TryGetResult RunArgs.State_Out |> Option.iter (fun path -> RunCommand.writeStateFile path p o)
            let ending = target.Ended.Value
            let report = Report.reportable ending && not programs.Candidates.IsEmpty

            if json then
                let j = RunCommand.jsonOf p o
                if report then j["source"] <- SourceReport.json programs target ending recent
                profiler |> Option.iter (fun pr -> j["profile"] <- profileJson pr)
                printJson j
            else
                RunCommand.printResult p o

                if report then
                    Report.lines programs target ending (if last > 0 then Some recent else None) |> List.iter (printfn "%s")

                profiler
                |> Option.filter (fun _ -> args.Contains RunArgs.Profile)
                |> Option.iter (fun pr ->
                    printfn ""
                    Profile.table pr target.Implementation |> List.iter (printfn "%s"))

            match profiler, args.TryGetResult RunArgs.Profile_Out with
            | Some pr, Some path ->
                let name = IO.Path.GetFileName(args.GetResult RunArgs.Program)
                writeProfile path pr programs target name
            | _ -> ()

            // As `run` without a debugger: 0 only when the transaction succeeded (README "Exit codes").
            RunCommand.exitCode o

    match implementation with
    | EngineChoice.Engine ->
        let env = TxnFixture.engineEnvironment p.Env
        use engine = new EngineTarget.TransactionTarget(env, p.Wire)

        match engine.Refused with
        | Some result -> refused (TxnObservation.ofEngine env result)
        | None -> debugged (engine :> IDebugTarget) (fun () -> TxnObservation.ofEngine env engine.Result.Value)
    | _ ->
        match Execution.start p.Env p.Wire with
        | Execution.Finished result -> refused (TxnObservation.ofModel result)
        | Execution.Running started ->
            let model = ModelTarget.TransactionTarget(p.Env, started)
            debugged (model :> IDebugTarget) (fun () -> TxnObservation.ofModel model.Result.Value)

/// `thrumodel raw FILE --gdb ADDRESS`.
let runRaw (args: ParseResults<RawArgs>) : int =
    let implementation = args.GetResult(RawArgs.Engine, defaultValue = Model)

    match implementation with
    | Model
    | EngineChoice.Engine -> ()
    | Both
    | Unicorn -> fail "--gdb: with --engine model or engine only (debug one implementation at a time)"

    if args.Contains RawArgs.Repeat then fail "--repeat: not with --gdb"
    if args.Contains RawArgs.Unhooked then fail "--unhooked: not with --gdb"
    let opts = gdbOptions (args.GetResult RawArgs.Gdb) (args.TryGetResult RawArgs.Gdb_Timeout)
    // A flat image at --base, or an ELF's segments from its entry point, as `raw` reads them.
    let image, baseAddress, pc = RawCommand.input args
    let maxSteps = args.GetResult(RawArgs.Max_Steps, defaultValue = 1_000_000L)
    if maxSteps < 0L then fail "--max-steps: must be zero or more, not %d" maxSteps

    let finish (target: IDebugTarget) (observation: unit -> RawObservation.RawObservation) =
        if debugWithGdb opts target ignore "" then
            let o = observation ()

            if args.Contains RawArgs.Json then printJson (RawObservation.toJson o)
            else RawObservation.describe o |> List.iter (printfn "%s")

            0
        else
            1

    // Both load the image with the model's checks and wording (Raw.describeLoadError).
    match Raw.load image baseAddress with
    | Error e -> fail "%s" (Raw.describeLoadError e)
    | Ok memory ->
        match implementation with
        | EngineChoice.Engine ->
            use engine = new EngineTarget.RawTarget(image, baseAddress, maxSteps, pc)
            finish (engine :> IDebugTarget) (fun () -> RawObservation.ofEngine engine.Result.Value)
        | _ ->
            let model = ModelTarget.RawTarget(Decisions.Profile.defaults, memory, maxSteps, pc)
            finish (model :> IDebugTarget) (fun () -> RawObservation.ofModel model.Result.Value)
