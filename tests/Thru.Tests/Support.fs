/// What the test modules share beyond Expecto itself: an emptiness check that shows what it
/// found, a channel for diagnostic lines, and the soak mode of `make soak`.
module Thru.Tests.Support

open System
open System.Collections.Concurrent
open System.Threading
open Expecto
open Expecto.Logging
open Expecto.Logging.Message

/// `Expect.isEmpty`, printing the elements (the first 10, as NUnit's Is.Empty did) when there are
/// any: most emptiness checks of the suite are lists of failures or differences, the diagnosis.
let expectEmpty (actual: seq<'T>) (message: string) =
    let items = List.ofSeq actual

    let described =
        if items.IsEmpty then
            message
        else
            let shown = items |> List.truncate 10 |> List.map (sprintf "%A") |> String.concat "\n"
            sprintf "%s\n%d element(s)%s:\n%s" message items.Length (if items.Length > 10 then ", the first 10" else "") shown

    Expect.isEmpty items described

/// A test that runs one at a time with the other tests of `group` (and in parallel with the rest):
/// they share something of the process or the machine that is not known to bear concurrent use.
let testCaseInGroup (group: string) (name: string) (body: unit -> unit) = testSequencedGroup group (testCase name body)

/// A test that runs alone, after every parallel test: it measures time, or looks at state of the
/// whole process that concurrent tests would change.
let testCaseAlone (name: string) (body: unit -> unit) = testSequenced (testCase name body)

let private logger = Log.create "Thru.Tests"

/// A diagnostic line of a test (a measurement, a report): shown with `--debug`, silent otherwise.
let note (text: string) =
    logger.logWithAck Debug (eventX "{note}" >> setField "note" text) |> Async.RunSynchronously

let private reports = ConcurrentQueue<string>()

/// A line for the end of the run's output: Main prints the reported lines, in order, just before
/// the closing `N passed, M failed` (the ISA coverage total is one).
let report (line: string) = reports.Enqueue line

/// The lines reported so far.
let reported () = List.ofSeq reports

/// `make soak` (Main's `--soak MINUTES`): Expecto's --stress over the randomised model-vs-engine
/// properties, each run of which draws a fresh seed instead of its fixed one.
module Soak =
    /// Set by Main, before any test runs, when the run is a soak run.
    let mutable enabled = false

    let private names = ConcurrentDictionary<string, unit>()
    let private current = AsyncLocal<uint64 voption>()
    let private seeds = Random()

    /// Name `name` a soak property: the lists of that name are what a soak run runs.
    let register (name: string) = names.TryAdd(name, ()) |> ignore

    /// Whether a test (its path of list names) belongs to a soak property.
    let isSoakTest (path: string list) = path |> List.exists names.ContainsKey

    /// The seed of the soak run in progress in this execution context (it flows into parallel loops).
    let seed () = current.Value

    /// A check of what a property's cases reached (every code, fault kind, call depth, mnemonic):
    /// made for the fixed seeds of `make test`, where it shows that the property is not vacuous.
    /// A soak run's fresh seed may miss a rare case with nothing wrong, so there a miss is only
    /// noted (shown with --debug); the property's agreement checks still fail the run.
    let fixedSeedOnly (check: unit -> unit) =
        if not enabled then
            check ()
        else
            try
                check ()
            with :? AssertException as e ->
                note (sprintf "soak seed %A, not a failure: %s" (seed ()) e.Message)

    /// Run `body`; in a soak run under a fresh seed, which a failure names so that it can be
    /// replayed (THRU_TEST_SEED=that seed).
    let run (body: unit -> unit) =
        if not enabled then
            body ()
        else
            let s = lock seeds (fun () -> uint64 (seeds.NextInt64 Int64.MaxValue))
            let previous = current.Value
            current.Value <- ValueSome s

            try
                try
                    body ()
                with
                | :? AssertException as e -> raise (AssertException(sprintf "soak seed %d (replay with THRU_TEST_SEED=%d): %s" s s e.Message))
                | e -> raise (Exception(sprintf "soak seed %d (replay with THRU_TEST_SEED=%d)" s s, e))
            finally
                current.Value <- previous
