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

let prepare (args: ParseResults<RunArgs>) : Prepared =
    let program = args.GetResult RunArgs.Program

    let world, image =
        match programKeyArgument program with
        | Some key ->
            if not (args.Contains RunArgs.Accounts) then
                fail "%s: a program given by its key needs --accounts (the file that holds its account)" program

            World.loadWithProgramKey (args.TryGetResult RunArgs.Accounts) key, [||]
        | None ->
            let image = readFile program

            match Executable.parse image with
            | Error e -> fail "%s: %s" program (Executable.describe e)
            | Ok _ -> ()

            World.load (args.TryGetResult RunArgs.Accounts) image, image

    if not Thru.Interop.Sodium.IsAvailable then
        fail "libsodium (libsodium.so.23) is not installed: run make deps"

    let state = World.state world image
    let root = StateProof.root (World.trie state)

    let instr =
        match args.TryGetResult RunArgs.Instr with
        | None -> [||]
        | Some hex ->
            try
                System.Convert.FromHexString(hex.Replace("_", ""))
            with :? System.FormatException ->
                fail "--instr: '%s' is not an even number of hex digits" hex

    if instr.Length > 0xFFFF then fail "--instr: %d bytes exceed the 65535-byte limit" instr.Length
    let cu = args.GetResult(RunArgs.Cu, defaultValue = 10_000_000L)
    if cu < 0L || cu > int64 System.UInt32.MaxValue then fail "--cu: %d is not a u32" cu
    let u16Budget (name: string) (value: int64) = if value < 0L || value > 65535L then fail "--%s: %d is not a u16" name value else uint16 value
    let su = u16Budget "su" (args.GetResult(RunArgs.Su, defaultValue = int64 defaultBudgets.StateUnits))
    let mu = u16Budget "mu" (args.GetResult(RunArgs.Mu, defaultValue = int64 defaultBudgets.MemoryUnits))

    let wire =
        match args.TryGetResult RunArgs.Txn with
        | Some file -> readFile file
        | None -> buildTransactionWith world instr { ComputeUnits = uint32 cu; StateUnits = su; MemoryUnits = mu } 0uy

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

/// Accounts whose entry differs after the run: added or changed (their new state), and gone
/// (deleted, or ephemeral: their old state, listed in `removed`).
let changedAccounts (before: Map<Pubkey, Account>) (o: TxnObservation) : AccountObs list =
    let old = before |> Map.toList |> List.map (fun (k, a) -> string k, accountObs k a) |> Map
    o.State |> List.filter (fun a -> old.TryFind a.Key <> Some a)

/// Accounts that existed before the run and are gone after it.
let removedAccounts (before: Map<Pubkey, Account>) (o: TxnObservation) : AccountObs list =
    let after = o.State |> List.map (fun a -> a.Key) |> Set.ofList
    before |> Map.toList |> List.filter (fun (k, _) -> not (after.Contains(string k))) |> List.map (fun (k, a) -> accountObs k a)

let printResult (p: Prepared) (o: TxnObservation) =
    let name (k: string) = p.Names |> Map.tryPick (fun key n -> if string key = k then Some n else None) |> Option.defaultValue "?"
    let outcome =
        match o.VmError with
        | 0 -> sprintf "success, exit code %d" o.UserErrorCode
        | -765 -> sprintf "reverted with code %d (0x%x) by account %s" o.UserErrorCode o.UserErrorCode (o.ErrorProgramAccIdx |> Option.map string |> Option.defaultValue "?")
        | e -> sprintf "%s (%d)%s" (Codes.txnErrorName e) e (o.Fault |> Option.map (sprintf ": %s") |> Option.defaultValue "")

    printfn "engine:           %s" o.Engine
    printfn "result:           %s" outcome
    printfn "compute units:    %d" o.ConsumedComputeUnits
    printfn "state units:      %d" o.ConsumedStateUnits
    printfn "memory units:     %d (pages in use at the end: %d)" o.ConsumedMemoryUnits o.PagesUsed
    printfn "call depth:       %d (deepest %d)" o.CallDepth o.MaxCallDepth

    for idx, data in o.Logs do
        printfn "log [%d]:          %s" idx (System.Text.Encoding.UTF8.GetString data)

    for e in o.Events do
        printfn "event %d:          call %d, program %d, %d bytes: %s" e.Id e.CallIdx e.ProgramIdx e.Payload.Length (hex e.Payload)

    for a in changedAccounts p.Before o do
        printfn "changed account:  %s (%s): balance %d, nonce %d, seq %d, %d bytes of data, owner %s…" (a.Key.Substring(0, 16)) (name a.Key) a.Balance a.Nonce a.Seq a.DataSize (a.Owner.Substring(0, 8))

    for a in removedAccounts p.Before o do
        printfn "removed account:  %s (%s)" (a.Key.Substring(0, 16)) (name a.Key)

/// The JSON of one observation: the protocol's fields, the changed accounts, and the keys of the
/// accounts the transaction removed.
let jsonOf (p: Prepared) (o: TxnObservation) =
    let json = TxnObservation.toJson o (changedAccounts p.Before o)
    json["removed_accounts"] <- Json.arr [ for a in removedAccounts p.Before o -> Json.str a.Key ]
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
                  "differences", Json.arr (differences |> List.map Json.str) ]
        )
    else
        printResult p model
        printfn ""
        printResult p engine
        printfn ""

        if differences.IsEmpty then
            printfn "model and engine agree"
        else
            printfn "model and engine differ (model vs engine):"
            differences |> List.iter (printfn "  %s")

    if differences.IsEmpty then 0 else 1

let run (args: ParseResults<RunArgs>) : int =
    let p = prepare args
    let json = args.Contains RunArgs.Json
    let stateOut = args.TryGetResult RunArgs.State_Out
    let count = args.GetResult(RunArgs.Repeat, defaultValue = 1)

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
        let observation = observe result
        stateOut |> Option.iter (fun path -> writeStateFile path p observation)
        // A fault, revert or exhaustion with the program's ELF known: where, the call stack, the last instructions.
        let sourceLines, sourceJson = Debug.SourceReport.forRun args p.Env p.Wire (programSegment p) observation

        if json then
            let j = jsonOf p observation
            sourceJson |> Option.iter (fun s -> j["source"] <- s)

            if args.Contains RunArgs.Repeat then
                j["seconds"] <- RawCommand.secondsJson (List.last seconds)
                j["runs"] <- Json.arr (seconds |> List.map RawCommand.secondsJson)

            printJson j
        else
            printResult p observation
            sourceLines |> List.iter (printfn "%s")

            if args.Contains RunArgs.Repeat then
                printfn "seconds:          %.6f (last of %d runs in this process; median %.6f)" (List.last seconds) count (List.item (count / 2) (List.sort seconds))

        0

    match args.GetResult(RunArgs.Engine, defaultValue = Model) with
    | Model -> single (fun () -> Execution.execute p.Env p.Wire) TxnObservation.ofModel
    | EngineChoice.Engine ->
        let env = TxnFixture.engineEnvironment p.Env
        single (fun () -> Thru.Engine.TransactionExecutor.Execute(env, System.ReadOnlySpan p.Wire)) (TxnObservation.ofEngine env)
    | Both when args.Contains RunArgs.Repeat -> fail "--repeat: not with --engine both"
    | Both -> runBoth p json stateOut
    | Unicorn -> fail "--engine unicorn runs raw mode only (Unicorn has no Thru address space or syscalls)"
