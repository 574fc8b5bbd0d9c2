/// `thrumodel run PROGRAM [--instr HEX] [--accounts FILE] [--cu N] [--su N] [--mu N] [--engine …]
/// [--json] [--txn FILE] [--state-out FILE]`: run an executable as the program of a transaction and
/// print the result, logs, events and changed accounts. PROGRAM is an image file, or the key of a
/// program account of the accounts file; --state-out writes the state after the transaction as an
/// accounts file, so that runs can be chained.
module Thru.Cli.RunCommand

open Argu
open Thru.Model
open Thru.Model.Runtime
open Thru.Compare
open Thru.Compare.TxnObservation
open Thru.Cli.Args
open Thru.Cli.Common

/// Everything a run needs: the environment, the wire transaction, and names for the accounts.
type Prepared =
    { Env: Execution.Environment
      Wire: byte[]
      Names: Map<Pubkey, string>
      Before: Map<Pubkey, Account>
      World: World.World }

let private verify: Crypto.Verifier = fun key message signature -> Thru.Interop.Sodium.Verify(key.Bytes, message, signature)

/// The budgets of a built transaction.
type Budgets =
    { ComputeUnits: uint32
      StateUnits: uint16
      MemoryUnits: uint16 }

/// The budgets `thrumodel run` uses unless told otherwise.
let defaultBudgets =
    { ComputeUnits = 10_000_000u
      StateUnits = 10_000us
      MemoryUnits = 10_000us }

/// Build the transaction a run executes: fee payer, program, then the read-write and read-only
/// accounts of the world, each list in ascending key order (as validation requires).
let buildTransactionWith (w: World.World) (instr: byte[]) (budgets: Budgets) (flags: byte) : byte[] =
    let sorted (keys: Pubkey list) = keys |> List.sortWith (fun a b -> compare a.Bytes b.Bytes)
    let rw = World.listed w |> List.filter (fun a -> a.Writable) |> List.map (fun a -> a.Key) |> sorted
    let ro = World.listed w |> List.filter (fun a -> not a.Writable) |> List.map (fun a -> a.Key) |> sorted

    let header: Transaction.Header =
        { Version = 1uy
          Flags = flags
          ReadWriteCount = rw.Length
          ReadOnlyCount = ro.Length
          InstrDataSize = instr.Length
          ComputeUnits = budgets.ComputeUnits
          StateUnits = budgets.StateUnits
          MemoryUnits = budgets.MemoryUnits
          Fee = w.Fee
          Nonce = w.FeePayerAccount.Meta.Nonce
          StartSlot = w.Slot
          ExpiryAfter = 100u
          ChainId = w.ChainId
          Padding = 0us
          FeePayer = w.FeePayer
          Program = w.ProgramKey.Value }

    let body = Transaction.body header rw ro instr None None
    Array.append body (Thru.Interop.Sodium.Sign(w.FeePayerSeed, Crypto.transactionMessage body))

/// Build the transaction a run executes with the default state and memory budgets.
let buildTransaction (w: World.World) (instr: byte[]) (computeUnits: uint32) (flags: byte) : byte[] =
    buildTransactionWith w instr { defaultBudgets with ComputeUnits = computeUnits } flags

/// PROGRAM names a program account of the accounts file when it is 64 hex digits and no such
/// file exists.
let private programKeyArgument (program: string) : Pubkey option =
    if System.IO.File.Exists program then None else Pubkey.tryParse program

/// The options that build a transaction, shared by `run` and `txn build`.
type TxnOptions =
    { Program: string
      Instr: string option
      InstrFile: string option
      Accounts: string option
      Cu: int64 option
      Su: int64 option
      Mu: int64 option }

/// The largest wire transaction file read (`run --txn`, `txn decode`): far above TN_TXN_MTU
/// (32,768 bytes), so that an oversized transaction reaches the model's validation, which names it.
let maxTxnFile = 1024 * 1024

/// The instruction data of --instr HEX or --instr-file FILE (at most 65535 bytes: the header's
/// instr_data_sz is a u16, docs/spec/transactions.md §1.2).
let instrData (o: TxnOptions) : byte[] =
    let data =
        match o.Instr, o.InstrFile with
        | Some _, Some _ -> fail "--instr and --instr-file: give one of them, not both"
        | Some hex, None ->
            let t = hex.Replace("_", "").Replace(" ", "")
            let t = if t.StartsWith "0x" || t.StartsWith "0X" then t.Substring 2 else t

            if t.Length % 2 <> 0 || not (t |> Seq.forall System.Uri.IsHexDigit) then
                fail "--instr: '%s' is not an even number of hex digits" (if hex.Length > 40 then hex.Substring(0, 40) + "…" else hex)

            System.Convert.FromHexString t
        | None, Some file -> readFileAtMost 0xFFFF "instruction data" file
        | None, None -> [||]

    if data.Length > 0xFFFF then fail "--instr: %d bytes exceed the 65535-byte limit" data.Length
    data

/// The budgets of --cu, --su and --mu, range-checked (the header's u32 and u16 fields).
let budgetsOf (o: TxnOptions) : Budgets =
    let cu = defaultArg o.Cu (int64 defaultBudgets.ComputeUnits)
    if cu < 0L || cu > int64 System.UInt32.MaxValue then fail "--cu: %d is not a u32 (0..4294967295)" cu
    let u16Budget (name: string) (value: int64) = if value < 0L || value > 65535L then fail "--%s: %d is not a u16 (0..65535)" name value else uint16 value

    { ComputeUnits = uint32 cu
      StateUnits = u16Budget "su" (defaultArg o.Su (int64 defaultBudgets.StateUnits))
      MemoryUnits = u16Budget "mu" (defaultArg o.Mu (int64 defaultBudgets.MemoryUnits)) }

/// The world and the program image of PROGRAM (an executable file, or the key of a program
/// account of the accounts file) and --accounts.
let worldOf (program: string) (accounts: string option) : World.World * byte[] =
    match programKeyArgument program with
    | Some key ->
        if accounts.IsNone then
            fail "%s: a program given by its key needs --accounts (the file that holds its account)" program

        World.loadWithProgramKey accounts key, [||]
    | None ->
        let image = readFileAtMost World.maxAccountData "a program (an account's data)" program

        match Executable.parse image with
        | Error e -> fail "%s: %s" program (Executable.describe e)
        | Ok _ -> ()

        World.load accounts image, image

/// Everything a run needs, from the options that build a transaction or, with `txnFile`, from
/// a complete wire transaction (then the options give the world alone).
let prepareWith (o: TxnOptions) (txnFile: string option) : Prepared =
    let world, image = worldOf o.Program o.Accounts

    if not Thru.Interop.Sodium.IsAvailable then
        fail "libsodium (libsodium.so.23) is not installed: run make deps"

    let state = World.state world image
    let root = StateProof.root (World.trie state)

    let wire =
        match txnFile with
        | Some file -> readFileAtMost maxTxnFile "a transaction file" file
        | None -> buildTransactionWith world (instrData o) (budgetsOf o) 0uy

    let names =
        Map(
            [ world.FeePayer, "fee payer"; world.ProgramKey.Value, "program" ]
            @ (world.Accounts |> List.map (fun a -> a.Key, a.Name))
        )

    { Env =
        { Profile = Decisions.Profile.defaults
          State = state
          Blocks = World.blocks world root
          Verify = verify
          VerifyProof = StateProof.merkleVerifier
          Chain = World.chain world }
      Wire = wire
      Names = names
      Before = state
      World = world }

/// The transaction options of `run`'s arguments.
let runOptions (args: ParseResults<RunArgs>) : TxnOptions =
    { Program = args.GetResult RunArgs.Program
      Instr = args.TryGetResult RunArgs.Instr
      InstrFile = args.TryGetResult RunArgs.Instr_File
      Accounts = args.TryGetResult RunArgs.Accounts
      Cu = args.TryGetResult RunArgs.Cu
      Su = args.TryGetResult RunArgs.Su
      Mu = args.TryGetResult RunArgs.Mu }

/// Everything `run`'s command line says.
type RunSettings =
    { Options: TxnOptions
      TxnFile: string option
      Json: bool
      StateOut: string option
      Repeat: int option
      Engine: EngineChoice
      /// The ELFs and length of the source-level report of a failure.
      Source: Debug.SourceReport.SourceOptions }

/// The settings of `run`'s parsed arguments.
let runSettings (args: ParseResults<RunArgs>) : RunSettings =
    { Options = runOptions args
      TxnFile = args.TryGetResult RunArgs.Txn
      Json = args.Contains RunArgs.Json
      StateOut = args.TryGetResult RunArgs.State_Out
      Repeat = args.TryGetResult RunArgs.Repeat
      Engine = args.GetResult(RunArgs.Engine, defaultValue = Model)
      Source = Debug.SourceReport.optionsOf args }

/// The settings up to the execution: refuses options that contradict each other.
let prepareSettings (s: RunSettings) : Prepared =
    if s.TxnFile.IsSome then
        match [ "--instr", s.Options.Instr.IsSome
                "--instr-file", s.Options.InstrFile.IsSome
                "--cu", s.Options.Cu.IsSome
                "--su", s.Options.Su.IsSome
                "--mu", s.Options.Mu.IsSome ]
              |> List.filter snd with
        | (option, _) :: _ -> fail "--txn runs a complete transaction, so %s has nothing to change: build the transaction with it (thrumodel txn build) or leave it out" option
        | [] -> ()

    prepareWith s.Options s.TxnFile

/// `run`'s arguments up to the execution: refuses options that contradict each other.
let prepare (args: ParseResults<RunArgs>) : Prepared = prepareSettings (runSettings args)

/// The accounts a wire transaction names, by index: (key, writable), or None when its header
/// and keys do not fit the bytes (docs/spec/transactions.md §2.1).
let accountsOfWire (wire: byte[]) : (Pubkey * bool) list option =
    if wire.Length < Transaction.headerSize then
        None
    else
        let h = Transaction.parseHeader wire

        if Transaction.headerSize + 32 * (h.ReadWriteCount + h.ReadOnlyCount) > wire.Length then
            None
        else
            let key i = Pubkey wire[Transaction.headerSize + 32 * i .. Transaction.headerSize + 32 * i + 31]

            Some(
                [ h.FeePayer, true; h.Program, false ]
                @ List.init h.ReadWriteCount (fun i -> key i, true)
                @ List.init h.ReadOnlyCount (fun i -> key (h.ReadWriteCount + i), false)
            )

/// Accounts whose entry differs after the run: added or changed (their new state), and gone
/// (deleted, or ephemeral: their old state, listed in `removed`).
let changedAccounts (before: Map<Pubkey, Account>) (o: TxnObservation) : AccountObs list =
    let old = before |> Map.toList |> List.map (fun (k, a) -> string k, accountObs k a) |> Map
    o.State |> List.filter (fun a -> old.TryFind a.Key <> Some a)

/// Accounts that existed before the run and are gone after it.
let removedAccounts (before: Map<Pubkey, Account>) (o: TxnObservation) : AccountObs list =
    let after = o.State |> List.map (fun a -> a.Key) |> Set.ofList
    before |> Map.toList |> List.filter (fun (k, _) -> not (after.Contains(string k))) |> List.map (fun (k, a) -> accountObs k a)

/// The text report of one observation. Plain string building, not printf: F#'s format strings are
/// parsed and compiled at their first use, a cost paid at every start of the command.
let printResult (p: Prepared) (o: TxnObservation) =
    let out = System.Console.Out
    let name (k: string) = p.Names |> Map.tryPick (fun key n -> if string key = k then Some n else None) |> Option.defaultValue "?"

    let outcome =
        match o.VmError with
        | 0 -> "success, exit code " + string o.UserErrorCode
        | -765 -> "reverted with code " + string o.UserErrorCode + " (0x" + o.UserErrorCode.ToString("x") + ") by account " + (o.ErrorProgramAccIdx |> Option.map string |> Option.defaultValue "?")
        | e -> Codes.txnErrorName e + " (" + string e + ")" + (o.Fault |> Option.map (fun f -> ": " + f) |> Option.defaultValue "")

    out.WriteLine("engine:           " + o.Engine)
    out.WriteLine("result:           " + outcome)
    out.WriteLine("compute units:    " + string o.ConsumedComputeUnits)
    out.WriteLine("state units:      " + string o.ConsumedStateUnits)
    out.WriteLine("memory units:     " + string o.ConsumedMemoryUnits + " (pages in use at the end: " + string o.PagesUsed + ")")
    out.WriteLine("call depth:       " + string o.CallDepth + " (deepest " + string o.MaxCallDepth + ")")

    for idx, data in o.Logs do
        out.WriteLine("log [" + string idx + "]:          " + System.Text.Encoding.UTF8.GetString data)

    for e in o.Events do
        out.WriteLine("event " + string e.Id + ":          call " + string e.CallIdx + ", program " + string e.ProgramIdx + ", " + string e.Payload.Length + " bytes: " + hex e.Payload)

    for a in changedAccounts p.Before o do
        out.WriteLine(
            "changed account:  " + a.Key.Substring(0, 16) + " (" + name a.Key + "): balance " + string a.Balance + ", nonce " + string a.Nonce
            + ", seq " + string a.Seq + ", " + string a.DataSize + " bytes of data, owner " + a.Owner.Substring(0, 8) + "…"
        )

    for a in removedAccounts p.Before o do
        out.WriteLine("removed account:  " + a.Key.Substring(0, 16) + " (" + name a.Key + ")")

/// The account-index table of the transaction (fee payer, program, then the read-write and
/// read-only lists in key order): the indices that logs, events and error_program_acc_idx use.
let private printAccounts (p: Prepared) =
    match accountsOfWire p.Wire with
    | Some accounts -> printAccountTable p.Names accounts
    | None -> ()

/// The exit code of a result: 0 when the transaction succeeded, 1 when it ran and failed
/// (revert, fault, validation or pre-execution code).
let exitCode (o: TxnObservation) = if o.VmError = 0 then 0 else 1

/// The JSON of one observation: the protocol's fields, the changed accounts, and the keys of the
/// accounts the transaction removed.
let jsonOf (p: Prepared) (o: TxnObservation) =
    let json = TxnObservation.toJson o (changedAccounts p.Before o)
    json["removed_accounts"] <- Json.arr [ for a in removedAccounts p.Before o -> Json.str a.Key ]
    json["accounts"] <- accountTableJson p.Names (accountsOfWire p.Wire |> Option.defaultValue [])
    json

/// The accounts file of the state after a run, for a following run (`--state-out`): slot + 1, the
/// same chain, fee and fee payer (its seed, and its balance, nonce and seq after the run); every
/// account the world listed, in the same order and the same list, with its state after the run
/// (or "exists": false when it is gone, so the next transaction still names it); then the accounts
/// the run added to the state that the world did not list (the program of a run from an image
/// file). Keys and owners are written as hex, so the file does not depend on the program's key.
let stateFile (p: Prepared) (o: TxnObservation) : System.Text.Json.Nodes.JsonObject =
    let w = p.World
    let after = o.State |> List.map (fun a -> a.Key, a) |> Map
    let u (v: uint64) : System.Text.Json.Nodes.JsonNode = System.Text.Json.Nodes.JsonValue.Create v

    let describable (a: AccountObs) =
        if a.Version <> AccountMeta.v1 then
            fail "--state-out: account %s has metadata version %d, which an accounts file cannot describe" a.Key a.Version

    let payer =
        match after.TryFind(string w.FeePayer) with
        | Some a when a.Owner = string Pubkey.zero && a.DataSize = 0u && a.Flags = 0uy -> describable a; a
        | Some _ -> fail "--state-out: after the run the fee payer is not a plain externally owned account, which 'feePayer' cannot describe"
        | None -> fail "--state-out: the fee payer is gone after the run, which 'feePayer' cannot describe"

    let entry (name: string) (key: string) (writable: bool) : System.Text.Json.Nodes.JsonNode =
        match after.TryFind key with
        | None -> Json.obj [ "name", Json.str name; "pubkey", Json.str key; "exists", Json.bool false; "writable", Json.bool writable ]
        | Some a ->
            describable a

            Json.obj
                [ "name", Json.str name
                  "pubkey", Json.str key
                  "owner", Json.str a.Owner
                  "balance", u a.Balance
                  "nonce", u a.Nonce
                  "seq", u a.Seq
                  "flags", u (uint64 a.Flags)
                  "data", Json.str (hex a.Data)
                  "writable", Json.bool writable ]

    let listedKeys = w.Accounts |> List.map (fun a -> string a.Key) |> Set.ofList
    let names = w.Accounts |> List.map (fun a -> a.Name) |> Set.ofList
    let added = o.State |> List.filter (fun a -> a.Key <> string w.FeePayer && not (listedKeys.Contains a.Key))

    let addedName (a: AccountObs) =
        if Some a.Key = Option.map string w.ProgramKey && not (names.Contains "program") then "program" else "account-" + a.Key.Substring(0, 16)

    Json.obj
        [ "slot", u (w.Slot + 1UL)
          "chainId", Json.num (int64 w.ChainId)
          "stateCounter", u o.StateCounter
          "compressedAt", Json.arr [ for k, s in o.CompressedAt -> Json.obj [ "pubkey", Json.str k; "slot", u s ] :> System.Text.Json.Nodes.JsonNode ]
          "fee", u w.Fee
          "feePayer", Json.obj [ "seed", Json.str (hex w.FeePayerSeed); "balance", u payer.Balance; "nonce", u payer.Nonce; "seq", u payer.Seq ]
          "accounts",
          Json.arr (
              [ for a in w.Accounts -> entry a.Name (string a.Key) a.Writable ]
              @ [ for a in added -> entry (addedName a) a.Key (a.Flags &&& AccountFlags.program = 0uy) ]
          ) ]

/// Write `stateFile` to `path` (a UserError when the file cannot be written).
let writeStateFile (path: string) (p: Prepared) (o: TxnObservation) =
    let text = Json.render (stateFile p o) + "\n"

    try
        System.IO.File.WriteAllText(path, text)
    with
    | :? System.IO.DirectoryNotFoundException -> fail "--state-out: cannot write %s: no such directory" path
    | :? System.UnauthorizedAccessException -> fail "--state-out: cannot write %s: permission denied (or it is a directory)" path
    | :? System.IO.IOException as e -> fail "--state-out: cannot write %s: %s" path e.Message

/// The program segment (the executable after its 8-byte header) of the transaction's program.
let programSegment (p: Prepared) : byte[] option =
    p.World.ProgramKey
    |> Option.bind p.Env.State.TryFind
    |> Option.filter (fun a -> a.Data.Length > Executable.headerSize)
    |> Option.map (fun a -> a.Data[Executable.headerSize ..])

/// The engine's observation of the prepared transaction (Thru.Engine, the same inputs).
let private runEngine (p: Prepared) =
    let env = TxnFixture.engineEnvironment p.Env
    TxnObservation.ofEngine env (Thru.Engine.TransactionExecutor.Execute(env, System.ReadOnlySpan p.Wire))

/// `--engine both`: run the model and the engine and compare them. Exit code 0 when they agree and
/// 1 when they disagree; with --json: {"model": {…}, "engine": {…}, "agree": bool, "differences": ["…"]}.
let private runBoth (p: Prepared) (json: bool) (stateOut: string option) : int =
    let model = TxnObservation.ofModel (Execution.execute p.Env p.Wire)
    let engine = runEngine p
    let differences = TxnObservation.differences model engine

    // When they differ, the first divergent instruction (docs/conformance.md §4), when traces exist.
    let divergence =
        if differences.IsEmpty then []
        else Adapters.divergenceReport (Conformance.txnInputJson { Verifier = "ed25519"; Wire = p.Wire; State = p.Env.State; Blocks = p.Env.Blocks; Chain = p.Env.Chain })

    match stateOut with
    | Some path when differences.IsEmpty -> writeStateFile path p model
    | Some path -> eprintfn "thrumodel: %s not written: the model and the engine disagree" path
    | None -> ()

    if json then
        printJson (
            Json.obj
                [ "model", jsonOf p model
                  "engine", jsonOf p engine
                  "agree", Json.bool differences.IsEmpty
                  "differences", Json.arr (differences |> List.map Json.str)
                  "first_divergence", Json.arr (divergence |> List.map Json.str) ]
        )
    else
        printAccounts p
        printResult p model
        printfn ""
        printResult p engine
        printfn ""

        if differences.IsEmpty then
            printfn "model and engine agree"
        else
            printfn "model and engine differ (model vs engine):"
            differences |> List.iter (printfn "  %s")
            divergence |> List.iter (printfn "%s")

    if differences.IsEmpty then exitCode model else 1

/// Run with the settings of a command line (from Argu, or from `FastRun`).
let runWith (s: RunSettings) : int =
    Timing.mark "run: settings read"
    let p = prepareSettings s
    Timing.mark "run: prepared"
    let json = s.Json
    let stateOut = s.StateOut
    let count = defaultArg s.Repeat 1

    if count < 1 || count > 1_000_000 then
        fail "--repeat: %d is not between 1 and 1000000" count

    // With --repeat: run `count` times in this process, report the last result and every run's
    // seconds (the execution of the transaction alone: no start-up, world building or output).
    let timedRuns (execute: unit -> 'r) : 'r * float list =
        let runs =
            List.init count (fun _ ->
                let sw = System.Diagnostics.Stopwatch.StartNew()
                let r = execute ()
                r, sw.Elapsed.TotalSeconds)

        fst (List.last runs), List.map snd runs

    let single (execute: unit -> 'r) (observe: 'r -> TxnObservation) =
        let result, seconds = timedRuns execute
        Timing.mark "run: executed"
        let observation = observe result
        stateOut |> Option.iter (fun path -> writeStateFile path p observation)
        // A fault, revert or exhaustion with the program's ELF known: where, the call stack, the last instructions.
        let sourceLines, sourceJson = Debug.SourceReport.forRun s.Source p.Env p.Wire (programSegment p) observation

        if json then
            let j = jsonOf p observation
            sourceJson |> Option.iter (fun s -> j["source"] <- s)

            if s.Repeat.IsSome then
                j["seconds"] <- RawCommand.secondsJson (List.last seconds)
                j["runs"] <- Json.arr (seconds |> List.map RawCommand.secondsJson)

            printJson j
        else
            printAccounts p
            printResult p observation
            sourceLines |> List.iter (printfn "%s")

            if s.Repeat.IsSome then
                printfn "seconds:          %.6f (last of %d runs in this process; median %.6f)" (List.last seconds) count (List.item (count / 2) (List.sort seconds))

        Timing.mark "run: printed"
        exitCode observation

    match s.Engine with
    | Model -> single (fun () -> Execution.execute p.Env p.Wire) TxnObservation.ofModel
    | EngineChoice.Engine ->
        let env = TxnFixture.engineEnvironment p.Env
        single (fun () -> Thru.Engine.TransactionExecutor.Execute(env, System.ReadOnlySpan p.Wire)) (TxnObservation.ofEngine env)
    | Both when s.Repeat.IsSome -> fail "--repeat: not with --engine both"
    | Both -> runBoth p json stateOut
    | Unicorn -> fail "--engine unicorn runs raw mode only (Unicorn has no Thru address space or syscalls)"

let run (args: ParseResults<RunArgs>) : int = runWith (runSettings args)

/// The common shape of `thrumodel run` read without Argu, whose parser costs about 300 ms of CPU
/// at start-up (reflection, compiled regular expressions and expression trees), most of what a
/// short run takes. Only command lines made of known options, each given once with a value of
/// the right form, are read here; anything else (help, a mistake, an unusual form) is left to
/// Argu, which reads it the same way or explains what is wrong. A test checks that both readings
/// agree.
module FastRun =
    let private engineOf (text: string) =
        match text with
        | "model" -> Some Model
        | "engine" -> Some EngineChoice.Engine
        | "both" -> Some Both
        | "unicorn" -> Some Unicorn
        | _ -> None

    let private int64Of (text: string) =
        match System.Int64.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture) with
        | true, v -> Some v
        | _ -> None

    /// The settings of `run ARGS…` (argv without the verb), or None to let Argu read them.
    let tryParse (argv: string[]) : RunSettings option =
        let seen = System.Collections.Generic.HashSet<string>()
        let mutable program = None
        let mutable settings =
            { Options = { Program = ""; Instr = None; InstrFile = None; Accounts = None; Cu = None; Su = None; Mu = None }
              TxnFile = None
              Json = false
              StateOut = None
              Repeat = None
              Engine = Model
              Source = { Program = ""; Elfs = []; NoElf = false; Last = None } }

        let rec go (i: int) =
            if i >= argv.Length then
                true
            else
                let a = argv[i]
                let value () =
                    if i + 1 >= argv.Length then
                        None
                    else
                        let next = argv[i + 1]
                        // An option-like value (other than a negative number) is Argu's to judge.
                        if next.StartsWith "-" && next.Length > 1 && not (System.Char.IsDigit next[1]) then None else Some next
                let name = if a = "-e" then "--engine" else a

                if name.StartsWith "-" && not (seen.Add name) then
                    false
                else
                    let o = settings.Options

                    let withValue (f: string -> RunSettings option) =
                        match value () with
                        | Some v ->
                            match f v with
                            | Some next ->
                                settings <- next
                                go (i + 2)
                            | None -> false
                        | None -> false

                    match name with
                    | "--json" ->
                        settings <- { settings with Json = true }
                        go (i + 1)
                    | "--instr" -> withValue (fun v -> Some { settings with Options = { o with Instr = Some v } })
                    | "--instr-file" -> withValue (fun v -> Some { settings with Options = { o with InstrFile = Some v } })
                    | "--accounts" -> withValue (fun v -> Some { settings with Options = { o with Accounts = Some v } })
                    | "--cu" -> withValue (fun v -> int64Of v |> Option.map (fun n -> { settings with Options = { o with Cu = Some n } }))
                    | "--su" -> withValue (fun v -> int64Of v |> Option.map (fun n -> { settings with Options = { o with Su = Some n } }))
                    | "--mu" -> withValue (fun v -> int64Of v |> Option.map (fun n -> { settings with Options = { o with Mu = Some n } }))
                    | "--txn" -> withValue (fun v -> Some { settings with TxnFile = Some v })
                    | "--state-out" -> withValue (fun v -> Some { settings with StateOut = Some v })
                    | "--engine" -> withValue (fun v -> engineOf v |> Option.map (fun e -> { settings with Engine = e }))
                    | "--repeat" ->
                        withValue (fun v ->
                            int64Of v
                            |> Option.filter (fun n -> n >= int64 System.Int32.MinValue && n <= int64 System.Int32.MaxValue)
                            |> Option.map (fun n -> { settings with Repeat = Some(int n) }))
                    | _ when not (a.StartsWith "-") && program.IsNone && a <> "" ->
                        program <- Some a
                        go (i + 1)
                    | _ -> false

        if go 0 then
            program |> Option.map (fun p -> { settings with Options = { settings.Options with Program = p }; Source = { settings.Source with Program = p } })
        else
            None
