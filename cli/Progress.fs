/// Progress bars (Spectre.Console) for work that takes longer than a few seconds: the benchmark,
/// the demo's build step, conformance runs and fixture generation. The bar is drawn on stderr and
/// only when stderr is a terminal, so stdout (text or JSON) and redirected output are unchanged,
/// and a failure still ends with its one line.
///
///   Progress.run "bench kernels" rows.Length (fun p ->
///       for r in rows do
///           p.Describe r.Name
///           measure r
///           p.Advance 1)
module Thru.Cli.Progress

open Spectre.Console

/// What the work reports: the item in progress, and how many items it finished.
type Reporter =
    {
        /// Name the item in progress (shown beside the bar).
        Describe: string -> unit
        /// Count `n` more items done.
        Advance: int -> unit
    }

/// A reporter that shows nothing.
let silent: Reporter = { Describe = ignore; Advance = ignore }

/// Whether progress bars are drawn: stderr is a terminal, TERM is not "dumb", and
/// THRUMODEL_NO_PROGRESS is not set.
let enabled () =
    not System.Console.IsErrorRedirected
    && System.Environment.GetEnvironmentVariable "TERM" <> "dumb"
    && System.String.IsNullOrEmpty(System.Environment.GetEnvironmentVariable "THRUMODEL_NO_PROGRESS")

/// Run `work` with a progress bar of `total` items titled `title` (on stderr, when `enabled`);
/// `work` reports through the Reporter it is given and its result is returned. Exceptions pass
/// through unchanged (the bar is removed first).
let run (title: string) (total: int) (work: Reporter -> 'T) : 'T =
    if not (enabled ()) || total <= 0 then
        work silent
    else
        let console = AnsiConsole.Create(AnsiConsoleSettings(Out = AnsiConsoleOutput(System.Console.Error)))

        let progress =
            console.Progress().AutoClear(true).HideCompleted(true).Columns(
                [| TaskDescriptionColumn() :> ProgressColumn
                   ProgressBarColumn()
                   PercentageColumn()
                   ElapsedTimeColumn()
                   SpinnerColumn() |]
            )

        progress.Start(fun ctx ->
            let task = ctx.AddTask(title, true, float total)
            let escape (s: string) = Markup.Escape s

            work
                { Describe = fun item -> task.Description <- escape (title + ": " + item)
                  Advance = fun n -> task.Increment(float n) })
