/// The entry point of the test suite: `dotnet run --project tests/Thru.Tests [-- ARGS]`.
///
/// Runs every `[<Tests>]` list of the assembly with Expecto (its command-line arguments apply:
/// `--filter`, `--sequenced`, `--debug`, `--list-tests`, ...), in parallel except the tests marked
/// sequenced. `--soak MINUTES` runs only the randomised model-vs-engine properties (Tiers.testDifferential)
/// under Expecto's `--stress` for that long, each run with a fresh seed. The last line printed is
/// `N passed, M failed` (then `, K skipped` when tests were skipped), after the lines the tests
/// reported (Support.report: the ISA coverage total); the exit code is Expecto's
/// (0 when every test passed).
module Thru.Tests.Main

open System
open System.Globalization
open Expecto
open Thru.Tests.Support

/// The closing line, written straight to standard output so that nothing of Expecto's console
/// writer (colour resets, padding) shares its line.
let private closingLine (soakMinutes: float option) (summary: Impl.TestRunSummary) =
    let count (results: (FlatTest * Impl.TestSummary) list) = results.Length
    // A stress run stopped by its memory limit or deadlock timeout lists the tests it cut short.
    let failed = count summary.failed + count summary.errored + summary.timedOut.Length
    let skipped = count summary.ignored

    use out = new IO.StreamWriter(Console.OpenStandardOutput())
    out.WriteLine()

    for line in reported () do
        out.WriteLine line

    match soakMinutes with
    | Some minutes ->
        let runs = summary.results |> List.sumBy (fun (_, r) -> r.count)
        out.WriteLine(sprintf "soak: %d runs of %d tests in %.1f minutes (asked: %g)" runs summary.results.Length summary.duration.TotalMinutes minutes)

        if summary.maxMemory > summary.memoryLimit then
            out.WriteLine(sprintf "soak: stopped, the heap reached %d MB (limit %d MB)" (summary.maxMemory >>> 20) (summary.memoryLimit >>> 20))

        if not summary.timedOut.IsEmpty then
            out.WriteLine(sprintf "soak: %d tests cut short (counted as failed)" summary.timedOut.Length)
    | None -> ()

    out.WriteLine(sprintf "%d passed, %d failed%s" (count summary.passed) failed (if skipped > 0 then sprintf ", %d skipped" skipped else ""))

[<EntryPoint>]
let main argv =
    let mutable summary = None

    let defaults =
        [ Colours 0
          No_Spinner
          JoinWith "/"
          Append_Summary_Handler(SummaryHandler(fun s -> summary <- Some s)) ]

    let soak =
        match Array.tryFindIndex ((=) "--soak") argv with
        | None -> Ok None
        | Some i ->
            match (if i + 1 < argv.Length then Double.TryParse(argv[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture) else (false, 0.0)) with
            | true, minutes when minutes > 0.0 -> Ok(Some(minutes, Array.append argv[.. i - 1] argv[i + 2 ..]))
            | _ -> Error "--soak takes a number of minutes greater than 0 (e.g. --soak 10)"

    match soak with
    | Error message ->
        eprintfn "%s" message
        2
    | Ok None ->
        let code = runTestsInAssemblyWithCLIArgs defaults argv
        summary |> Option.iter (closingLine None)
        code
    | Ok(Some(minutes, rest)) ->
        Soak.enabled <- true

        match Impl.testFromAssembly (Reflection.Assembly.GetExecutingAssembly()) with
        | None ->
            eprintfn "no tests in the assembly"
            70
        | Some all ->
            let properties = all |> Test.filter "/" Soak.isSoakTest
            // Stress comes first: it installs Expecto's stress printer, which the summary handler
            // then wraps. Two properties at once hold gigabytes (20,000 programs of 68 KiB each):
            // Expecto's default stress memory limit (100 MB) would stop the soak at once, so the
            // limit is three quarters of the memory the process may use.
            let limitMB = float (GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >>> 20) * 0.75
            let code = runTestsWithCLIArgs ([ Stress minutes; Stress_Memory_Limit limitMB ] @ defaults) rest properties
            summary |> Option.iter (closingLine (Some minutes))
            code
