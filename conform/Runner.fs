/// `thrumodel conform`: run a corpus against an engine under test. The engine is a process, started
/// once (and again after it crashes, hangs or answers something that is not JSON); it speaks the
/// line protocol (Protocol.fs). Every fixture's observation is compared with the expected one field
/// by field; when they differ and the adapter can trace, the runner asks for its trace, traces the
/// model itself, and reports the first divergent instruction.
module Thru.Conform.Runner

open System
open System.Diagnostics
open System.Text.Json.Nodes
open Thru.Compare
open Thru.Compare.Conformance

/// How a fixture fared.
type Outcome =
    | Passed
    /// Why (a short reason), the field-level differences, and the first divergence (lines), if any.
    | Failed of reason: string * differences: Difference list * divergence: string list
    | Skipped of reason: string

type FixtureResult =
    { Fixture: Fixture
      Origin: string
      Outcome: Outcome
      Seconds: float }

type Options =
    {
        /// The engine under test: a command line, run by /bin/sh.
        Command: string
        /// How long one answer may take.
        Timeout: TimeSpan
        /// Ask for traces of failing fixtures and report the first divergence.
        Trace: bool
        /// Fixtures whose expectation depends on one of these decisions are skipped (an engine that
        /// follows another reading of the spec there).
        SkipDecisions: Set<string>
    }

/// The least time an adapter is given to start and answer the handshake.
let handshakeTimeout = TimeSpan.FromSeconds 60.0

/// The adapter process: started with /bin/sh -c COMMAND, standard input and output piped,
/// standard error kept (its last lines explain a crash).
type AdapterProcess(command: string, timeout: TimeSpan) =
    let stderrTail = Collections.Concurrent.ConcurrentQueue<string>()
    let mutable proc: Process option = None
    let mutable handshake: Protocol.Handshake option = None

    let start () =
        let psi = ProcessStartInfo("/bin/sh")
        psi.ArgumentList.Add "-c"
        psi.ArgumentList.Add command
        psi.RedirectStandardInput <- true
        psi.RedirectStandardOutput <- true
        psi.RedirectStandardError <- true
        psi.UseShellExecute <- false
        psi.StandardOutputEncoding <- Text.UTF8Encoding(false)
        psi.StandardInputEncoding <- Text.UTF8Encoding(false)
        let p = new Process(StartInfo = psi)

        p.ErrorDataReceived.Add(fun e ->
            if not (isNull e.Data) then
                stderrTail.Enqueue e.Data
                while stderrTail.Count > 20 do
                    stderrTail.TryDequeue() |> ignore)

        p.Start() |> ignore
        p.BeginErrorReadLine()
        proc <- Some p
        p

    let lastError () =
        match stderrTail.ToArray() |> Array.tryFindBack (fun l -> l.Trim() <> "") with
        | Some l -> sprintf "; its last standard-error line: %s" (if l.Length > 300 then l.Substring(0, 300) + "…" else l)
        | None -> ""

    /// Kill the process (and its children).
    member _.Kill() =
        match proc with
        | Some p ->
            (try
                if not p.HasExited then p.Kill true
             with _ -> ())

            (try p.WaitForExit 2000 |> ignore with _ -> ())
            p.Dispose()
            proc <- None
            handshake <- None
        | None -> ()

    /// Send one line and read one answer line: Ok line, or Error why (timeout, exit, closed pipe).
    member this.Exchange(line: string) : Result<string, string> = this.Exchange(line, timeout)

    /// Send one line and read one answer line within `within`.
    member this.Exchange(line: string, within: TimeSpan) : Result<string, string> =
        match proc with
        | None -> Error "the adapter is not running"
        | Some p ->
            try
                // An adapter that already answered and exited closes the pipe: the answer may still be
                // waiting in its output, so a failed write does not stop the read.
                (try
                    p.StandardInput.WriteLine line
                    p.StandardInput.Flush()
                 with :? IO.IOException ->
                     ())

                let read = p.StandardOutput.ReadLineAsync()

                if read.Wait within then
                    match read.Result with
                    | null ->
                        p.WaitForExit 2000 |> ignore
                        let code = if p.HasExited then sprintf "exit code %d" p.ExitCode else "still running"
                        let why = sprintf "the adapter closed its output (%s)%s" code (lastError ())
                        this.Kill()
                        Error why
                    | answer -> Ok answer
                else
                    this.Kill()
                    Error(sprintf "timeout: no answer within %.0f s" within.TotalSeconds)
            with
            | :? IO.IOException as e ->
                let why = sprintf "the adapter's pipe broke (%s)%s" e.Message (lastError ())
                this.Kill()
                Error why
            | :? AggregateException as e ->
                let why = sprintf "reading the adapter failed (%s)%s" e.InnerException.Message (lastError ())
                this.Kill()
                Error why

    /// The handshake, starting the process when it is not running.
    member this.Ensure() : Result<Protocol.Handshake, string> =
        match proc, handshake with
        | Some p, Some h when not p.HasExited -> Ok h
        | _ ->
            this.Kill()

            try
                start () |> ignore

                // Starting an adapter (a .NET process, a Python interpreter loading Unicorn) can take far
                // longer than answering a fixture, above all on a loaded machine: the handshake gets at
                // least a minute whatever the per-fixture timeout.
                match this.Exchange(J.compact (Protocol.hello ()), max timeout handshakeTimeout) with
                | Error e -> Error(sprintf "no handshake: %s" e)
                | Ok line ->
                    match J.parseObject line |> Result.bind Protocol.parseHandshake with
                    | Ok h ->
                        handshake <- Some h
                        Ok h
                    | Error e ->
                        this.Kill()
                        Error(sprintf "bad handshake: %s (the line was: %s)" e (if line.Length > 200 then line.Substring(0, 200) + "…" else line))
            with :? ComponentModel.Win32Exception as e ->
                Error(sprintf "cannot start /bin/sh: %s" e.Message)

    /// Ask for one fixture's answer.
    member this.Ask(id: string, input: JsonObject, trace: bool) : Result<Protocol.Reply, string> =
        match this.Ensure() with
        | Error e -> Error e
        | Ok _ ->
            match this.Exchange(J.compact (Protocol.request id input trace)) with
            | Error e -> Error e
            | Ok line ->
                match J.parseObject line with
                | Error e ->
                    this.Kill()
                    Error(sprintf "the answer is not JSON (%s): %s" e (if line.Length > 200 then line.Substring(0, 200) + "…" else line))
                | Ok o ->
                    match Protocol.parseReply id o with
                    | Ok r -> Ok r
                    | Error e ->
                        this.Kill()
                        Error(sprintf "malformed answer: %s" e)

    member _.Handshake = handshake

    interface IDisposable with
        member this.Dispose() =
            match proc with
            | Some p ->
                (try p.StandardInput.Close() with _ -> ())
                (try p.WaitForExit 2000 |> ignore with _ -> ())
            | None -> ()

            this.Kill()

/// The first divergence between the model's trace of `input` and the adapter's, in lines.
let divergence (engine: string) (input: JsonObject) (adapterTrace: Result<TraceRecord.Trace, string> option) : string list =
    match adapterTrace with
    | None -> [ "(the adapter returned no trace)" ]
    | Some(Error why) -> [ sprintf "(no trace from the adapter: %s)" why ]
    | Some(Ok theirs) ->
        match Adapters.model Adapters.defaultModel input true with
        | Ok { Trace = Some ours } ->
            match TraceRecord.firstDivergence ours theirs with
            | Some d -> TraceRecord.describeDivergence "model" engine d
            | None -> [ sprintf "(the traces agree on every instruction both report: %s; the difference is in the final state)" (String.concat ", " (ours.Reports |> List.filter (fun f -> List.contains f theirs.Reports))) ]
        | _ -> [ "(the model could not trace this input)" ]

/// Run one fixture on the adapter.
let runOne (options: Options) (adapter: AdapterProcess) (corpus: Corpus.Corpus) (f: Fixture) : FixtureResult =
    let sw = Stopwatch.StartNew()
    let origin = corpus.Origin.TryFind f.Id |> Option.defaultValue "?"
    let result outcome = { Fixture = f; Origin = origin; Outcome = outcome; Seconds = sw.Elapsed.TotalSeconds }
    let skippedBy = f.Decisions |> List.filter options.SkipDecisions.Contains

    if not skippedBy.IsEmpty then
        result (Skipped(sprintf "depends on %s" (String.concat ", " skippedBy)))
    else
        let input = Corpus.input corpus f

        match adapter.Ensure() with
        | Error e -> result (Failed(e, [], []))
        | Ok h when not (List.contains f.Kind h.Kinds) -> result (Skipped(sprintf "the adapter does not run '%s' fixtures" f.Kind))
        | Ok h ->
            match adapter.Ask(f.Id, input, false) with
            | Error e -> result (Failed(e, [], []))
            | Ok(Protocol.Unsupported why) -> result (Skipped why)
            | Ok(Protocol.AdapterError why) -> result (Failed(sprintf "the adapter reported an error: %s" why, [], []))
            | Ok(Protocol.Observed(obs, _)) ->
                match compareObservation f.Kind f.Expected obs with
                | [] -> result Passed
                | ds ->
                    let div =
                        if options.Trace && h.Trace then
                            match adapter.Ask(f.Id, input, true) with
                            | Ok(Protocol.Observed(_, trace)) -> divergence h.Engine input trace
                            | Ok _ -> [ "(the adapter gave no observation when asked for a trace)" ]
                            | Error e -> [ sprintf "(asking for a trace failed: %s)" e ]
                        else []

                    result (Failed(sprintf "%d field(s) differ" ds.Length, ds, div))

/// Run the fixtures, calling `progress` after each.
let run (options: Options) (corpus: Corpus.Corpus) (fixtures: Fixture list) (progress: FixtureResult -> unit) : FixtureResult list =
    use adapter = new AdapterProcess(options.Command, options.Timeout)

    [ for f in fixtures do
          let r = runOne options adapter corpus f
          progress r
          r ]

/// Counts of one category: passed, failed, skipped.
type Tally = { Category: string; Passed: int; Failed: int; Skipped: int }

let tally (results: FixtureResult list) : Tally list =
    results
    |> List.groupBy (fun r -> r.Fixture.Category)
    |> List.sortBy fst
    |> List.map (fun (c, rs) ->
        { Category = c
          Passed = rs |> List.filter (fun r -> r.Outcome = Passed) |> List.length
          Failed = rs |> List.filter (fun r -> match r.Outcome with Failed _ -> true | _ -> false) |> List.length
          Skipped = rs |> List.filter (fun r -> match r.Outcome with Skipped _ -> true | _ -> false) |> List.length })

/// A report as JSON.
let reportJson (engine: string) (results: FixtureResult list) (seconds: float) : JsonObject =
    let t = tally results
    let sum f = t |> List.sumBy f |> int64

    Json.obj
        [ "engine", Json.str engine
          "fixtures", Json.num (int64 results.Length)
          "passed", Json.num (sum (fun x -> x.Passed))
          "failed", Json.num (sum (fun x -> x.Failed))
          "skipped", Json.num (sum (fun x -> x.Skipped))
          "seconds", JsonValue.Create(Math.Round(seconds, 3))
          "categories",
          Json.arr
              [ for x in t -> Json.obj [ "category", Json.str x.Category; "passed", Json.num (int64 x.Passed); "failed", Json.num (int64 x.Failed); "skipped", Json.num (int64 x.Skipped) ] :> JsonNode ]
          "failures",
          Json.arr
              [ for r in results do
                    match r.Outcome with
                    | Failed(reason, ds, div) ->
                        Json.obj
                            [ "id", Json.str r.Fixture.Id
                              "category", Json.str r.Fixture.Category
                              "origin", Json.str r.Origin
                              "reason", Json.str reason
                              "differences", Json.arr [ for d in ds -> Json.obj [ "path", Json.str d.Path; "expected", Json.str d.Expected; "actual", Json.str d.Actual ] :> JsonNode ]
                              "first_divergence", Json.arr (div |> List.map Json.str) ]
                        :> JsonNode
                    | _ -> () ] ]
