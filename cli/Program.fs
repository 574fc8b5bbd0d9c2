/// `thru`: the command line of ThruModel. Every mistake of the user ends with a one-line
/// message and exit code 2, never a stack trace.
module Thru.Cli.Program

open Argu
open Thru.Cli.Args
open Thru.Cli.Common

let private dispatch (results: ParseResults<CliArgs>) =
    match results.GetSubCommand() with
    | Raw args when DebugRun.wantsRaw args -> DebugRun.runRaw args
    | Raw args -> RawCommand.run args
    | Disasm args -> DisasmCommand.run args
    | Run args when DebugRun.wantsRun args -> DebugRun.runTxn args
    | Run args -> RunCommand.run args
    | Proof args -> ProofCommand.run args
    | Trie args -> TrieCommand.run args
    | Bench args -> BenchCommand.run args
    | Decisions args -> DecisionsCommand.run args
    | Demo _ -> DemoCommand.run ()

[<EntryPoint>]
let main argv =
    let parser = ArgumentParser.Create<CliArgs>(programName = "thrumodel")

    try
        dispatch (parser.ParseCommandLine(argv, raiseOnUsage = true))
    with
    | :? ArguParseException as e when e.ErrorCode = ErrorCode.HelpText ->
        printfn "%s" e.Message
        0
    | :? ArguParseException as e ->
        eprintfn "%s" e.Message
        2
    | UserError message ->
        eprintfn "thrumodel: %s" message
        2
    | e ->
        // Not the user's mistake: a bug or a broken installation. One line, and a distinct exit code.
        eprintfn "thrumodel: internal error: %s: %s" (e.GetType().Name) e.Message
        70
