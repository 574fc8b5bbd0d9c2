/// `thrumodel`: the command line of ThruModel. Exit codes: 0 success; 1 a result that is a
/// failure (a transaction that ran and failed, model and engine that disagree, an invalid proof);
/// 2 a mistake of the user (bad arguments or input), one line on stderr; 70 an internal error (a
/// bug), one line on stderr. Never a stack trace.
module Thru.Cli.Program

open Argu
open Thru.Cli.Args
open Thru.Cli.Common

/// The version of thrumodel (the packages' version).
let version () =
    let assembly = System.Reflection.Assembly.GetExecutingAssembly()

    match System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute> assembly with
    | null -> string (assembly.GetName().Version)
    | a -> a.InformationalVersion

let private dispatch (results: ParseResults<CliArgs>) =
    match results.TryGetSubCommand() with
    | Some(Raw args) when DebugRun.wantsRaw args -> DebugRun.runRaw args
    | Some(Raw args) -> RawCommand.run args
    | Some(Disasm args) -> DisasmCommand.run args
    | Some(Run args) when DebugRun.wantsRun args -> DebugRun.runTxn args
    | Some(Run args) -> RunCommand.run args
    | Some(Txn args) -> TxnCommand.run args
    | Some(Proof args) -> ProofCommand.run args
    | Some(Trie args) -> TrieCommand.run args
    | Some(Bench args) -> BenchCommand.run args
    | Some(Decisions args) -> DecisionsCommand.run args
    | Some(Demo a) -> DemoCommand.run a
    | Some(Fixtures args) -> FixturesCommand.run args
    | Some(Conform args) -> ConformCommand.run args
    | Some(Serve args) -> ServeCommand.run args
    | Some(Trace args) -> TraceCommand.run args
    | Some Version -> printfn "thrumodel %s" (version ()); 0
    | None when results.Contains Version -> printfn "thrumodel %s" (version ()); 0
    | None -> fail "give a verb: thrumodel --help lists them"

/// The first line of Argu's message (the rest is the usage text), without its "ERROR: " prefix.
let private argumentError (message: string) =
    let line =
        message.Split('\n')
        |> Array.map (fun l -> l.Trim())
        |> Array.tryFind (fun l -> l <> "")
        |> Option.defaultValue "bad arguments"

    if line.StartsWith "ERROR: " then line.Substring 7 else line

/// Run the command line `argv`: the exit code, with anything for the user already printed.
let execute (argv: string[]) : int =
    Timing.mark "main"

    try
        match argv with
        | [| "--version" |] -> printfn "thrumodel %s" (version ()); 0
        | _ when argv.Length > 1 && argv[0] = "run" && (RunCommand.FastRun.tryParse argv[1..]).IsSome ->
            // The common `run` command line without Argu's start-up cost (RunCommand.FastRun).
            RunCommand.runWith (RunCommand.FastRun.tryParse argv[1..]).Value
        | _ ->
            let parser = ArgumentParser.Create<CliArgs>(programName = "thrumodel")
            dispatch (parser.ParseCommandLine(argv, raiseOnUsage = true))
    with
    | :? ArguParseException as e when e.ErrorCode = ErrorCode.HelpText ->
        printfn "%s" e.Message
        0
    | :? ArguParseException as e ->
        let verb = if argv.Length > 0 && not (argv[0].StartsWith "-") then " " + argv[0] else ""
        eprintfn "thrumodel%s: %s (thrumodel%s --help)" verb (argumentError e.Message) verb
        2
    | :? ArguException as e ->
        eprintfn "thrumodel: %s (thrumodel --help)" (argumentError e.Message)
        2
    | UserError message ->
        eprintfn "thrumodel: %s" (message.Replace('\n', ' '))
        2
    | e ->
        // Not the user's mistake: a bug or a broken installation. One line, and a distinct exit code.
        eprintfn "thrumodel: internal error: %s: %s" (e.GetType().Name) (e.Message.Replace('\n', ' '))
        70

[<EntryPoint>]
let main argv = execute argv
