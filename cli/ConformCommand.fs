/// `thrumodel conform --corpus DIR --engine-cmd "CMD ARGS" [...]`: run a conformance corpus against an
/// engine under test (conform/Runner.fs), with a progress bar and a summary by category; and
/// `thrumodel conform coverage --corpus DIR [--json]`: the coverage items and their counts.
module Thru.Cli.ConformCommand

open System
open System.IO
open Argu
open Spectre.Console
open Thru.Compare
open Thru.Compare.Conformance
open Thru.Cli.ConformArgs
open Thru.Cli.Common
open Thru.Conform

let private readCorpus (dir: string) =
    match Corpus.read dir with
    | Ok c -> c
    | Error e -> fail "--corpus: %s" e

let private coverage (args: ParseResults<CoverageArgs>) : int =
    let corpus = readCorpus (args.GetResult CoverageArgs.Corpus)
    let counts = Coverage.measure corpus
    let zero = counts |> List.filter (fun (_, c) -> c = 0)

    if args.Contains CoverageArgs.Json then
        printJson (Coverage.toJson corpus.Fixtures.Length counts)
    else
        printfn "%d fixtures; %d items, %d not covered" corpus.Fixtures.Length counts.Length zero.Length

        for item, c in counts do
            printfn "%7d  %s" c item

    if zero.IsEmpty then 0 else 1

let private esc (s: string) = Markup.Escape s

/// Print the report for a person.
let private describe (engine: string) (results: Runner.FixtureResult list) (seconds: float) =
    let tallies = Runner.tally results
    let table = Table()
    table.AddColumns("category", "passed", "failed", "skipped") |> ignore

    for t in tallies do
        let failed = if t.Failed > 0 && AnsiConsole.Profile.Capabilities.Interactive then sprintf "[red]%d[/]" t.Failed else string t.Failed
        table.AddRow(esc t.Category, string t.Passed, failed, string t.Skipped) |> ignore

    let sum f = tallies |> List.sumBy f
    table.AddRow("total", string (sum (fun t -> t.Passed)), string (sum (fun t -> t.Failed)), string (sum (fun t -> t.Skipped))) |> ignore
    AnsiConsole.Write table

    let failures = results |> List.filter (fun r -> match r.Outcome with Runner.Failed _ -> true | _ -> false)

    for r in failures |> List.truncate 25 do
        match r.Outcome with
        | Runner.Failed(reason, ds, div) ->
            printfn ""
            printfn "FAIL %s (%s, %s): %s" r.Fixture.Id r.Fixture.Category r.Origin reason
            for d in ds |> List.truncate 12 do
                printfn "  %s" (describeDifference d)
            if ds.Length > 12 then printfn "  … and %d more" (ds.Length - 12)
            for l in div do
                printfn "  %s" l
        | _ -> ()

    if failures.Length > 25 then printfn "\n… and %d more failures (--json lists them all)" (failures.Length - 25)
    printfn ""
    printfn "%s: %d passed, %d failed, %d skipped of %d fixtures in %.1f s" engine (sum (fun t -> t.Passed)) (sum (fun t -> t.Failed)) (sum (fun t -> t.Skipped)) results.Length seconds

let private shrinkFirst (options: Runner.Options) (corpus: Corpus.Corpus) (results: Runner.FixtureResult list) (dir: string) =
    match results |> List.tryFind (fun r -> match r.Outcome with Runner.Failed(_, ds, _) -> not ds.IsEmpty | _ -> false) with
    | None -> eprintfn "shrink: no fixture failed with a difference in its observation; nothing to shrink"
    | Some r ->
        use adapter = new Runner.AdapterProcess(options.Command, options.Timeout)

        match Shrink.shrink adapter corpus r.Fixture 400 with
        | Error e -> eprintfn "shrink: %s" e
        | Ok s ->
            Directory.CreateDirectory dir |> ignore
            let name = (r.Fixture.Id.Replace('/', '_')) + ".shrunk"
            let path = Path.Combine(dir, name + ".jsonl")
            Corpus.write path (Path.Combine(dir, "worlds-" + name + ".jsonl")) [ s.Fixture, s.World ]
            eprintfn "shrink: %s: input of %d bytes reduced to %d (%d candidates tried, %d steps taken); written to %s" r.Fixture.Id (Shrink.size r.Fixture) (Shrink.size s.Fixture) s.Tried s.Accepted path

let run (args: ParseResults<ConformVerbArgs>) : int =
    match args.TryGetSubCommand() with
    | Some(ConformVerbArgs.Coverage c) -> coverage c
    | _ ->
        let dir = match args.TryGetResult ConformVerbArgs.Corpus with Some d -> d | None -> fail "--corpus: required (the corpus directory)"
        let command = match args.TryGetResult ConformVerbArgs.Engine_Cmd with Some c when c.Trim() <> "" -> c | _ -> fail "--engine-cmd: required (the command of the engine under test)"
        let timeout = args.GetResult(ConformVerbArgs.Timeout, defaultValue = 30.0)
        if not (timeout > 0.0 && timeout <= 86400.0) then fail "--timeout: %g is not between 0 and 86400 seconds" timeout
        let corpus = readCorpus dir

        let fixtures =
            corpus.Fixtures
            |> List.filter (fun f ->
                match args.TryGetResult ConformVerbArgs.Filter with
                | Some t -> f.Id.Contains t || f.Category.Contains t
                | None -> true)
            |> fun fs ->
                match args.TryGetResult ConformVerbArgs.Limit with
                | Some n when n < 0 -> fail "--limit: %d is negative" n
                | Some n -> List.truncate n fs
                | None -> fs

        if fixtures.IsEmpty then fail "--corpus: no fixture in %s matches" dir

        let options: Runner.Options =
            { Command = command
              Timeout = TimeSpan.FromSeconds timeout
              Trace = not (args.Contains ConformVerbArgs.No_Trace)
              SkipDecisions = args.GetResults ConformVerbArgs.Skip_Decision |> Set.ofList }

        let json = args.Contains ConformVerbArgs.Json
        let sw = Diagnostics.Stopwatch.StartNew()

        // Check the command before the long run: the handshake must succeed.
        let engine =
            use probe = new Runner.AdapterProcess(command, options.Timeout)

            match probe.Ensure() with
            | Ok h -> h.Engine
            | Error e -> fail "--engine-cmd: %s" e

        let results =
            if not json && AnsiConsole.Profile.Capabilities.Interactive then
                let mutable out = []

                AnsiConsole
                    .Progress()
                    .Columns(TaskDescriptionColumn(), ProgressBarColumn(), PercentageColumn(), RemainingTimeColumn())
                    .Start(fun ctx ->
                        let task = ctx.AddTask(sprintf "%s: %d fixtures" (esc engine) fixtures.Length, maxValue = float fixtures.Length)
                        let mutable failed = 0

                        out <-
                            Runner.run options corpus fixtures (fun r ->
                                (match r.Outcome with Runner.Failed _ -> failed <- failed + 1 | _ -> ())
                                task.Description <- sprintf "%s: %d fixtures, %d failed" (esc engine) fixtures.Length failed
                                task.Increment 1.0))

                out
            else
                let step = max 1 (fixtures.Length / 20)
                let mutable n = 0

                Runner.run options corpus fixtures (fun _ ->
                    n <- n + 1
                    if not json && n % step = 0 then eprintfn "%d/%d fixtures" n fixtures.Length)

        let seconds = sw.Elapsed.TotalSeconds
        if json then printJson (Runner.reportJson engine results seconds) else describe engine results seconds
        args.TryGetResult ConformVerbArgs.Shrink |> Option.iter (shrinkFirst options corpus results)
        let failed = results |> List.exists (fun r -> match r.Outcome with Runner.Failed _ -> true | _ -> false)
        let skipped = results |> List.exists (fun r -> match r.Outcome with Runner.Skipped _ -> true | _ -> false)
        if failed || (skipped && args.Contains ConformVerbArgs.Strict) then 1 else 0
