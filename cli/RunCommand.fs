/// `thru run PROGRAM [--instr HEX] [--accounts FILE] [--cu N] [--engine …] [--json] [--txn FILE]`:
/// run an executable as the program of a transaction and print the result, logs, events and
/// changed accounts.
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
      Before: Map<Pubkey, Account> }

let private verify: Crypto.Verifier = fun key message signature -> Thru.Interop.Sodium.Verify(key.Bytes, message, signature)

/// Build the transaction a run executes: fee payer, program, then the read-write and read-only
/// accounts of the world, each list in ascending key order (as validation requires).
let buildTransaction (w: World.World) (instr: byte[]) (computeUnits: uint32) (flags: byte) : byte[] =
    let sorted (keys: Pubkey list) = keys |> List.sortWith (fun a b -> compare a.Bytes b.Bytes)
    let rw = w.Accounts |> List.filter (fun a -> a.Writable) |> List.map (fun a -> a.Key) |> sorted
    let ro = w.Accounts |> List.filter (fun a -> not a.Writable) |> List.map (fun a -> a.Key) |> sorted

    let header: Transaction.Header =
        { Version = 1uy
          Flags = flags
          ReadWriteCount = rw.Length
          ReadOnlyCount = ro.Length
          InstrDataSize = instr.Length
          ComputeUnits = computeUnits
          StateUnits = 10_000us
          MemoryUnits = 10_000us
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

let prepare (args: ParseResults<RunArgs>) : Prepared =
    let image = readFile (args.GetResult RunArgs.Program)

    match Executable.parse image with
    | Error e -> fail "%s: %s" (args.GetResult RunArgs.Program) (Executable.describe e)
    | Ok _ -> ()

    if not Thru.Interop.Sodium.IsAvailable then
        fail "libsodium (libsodium.so.23) is not installed: run make deps"

    let world = World.load (args.TryGetResult RunArgs.Accounts) image
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

    let wire =
        match args.TryGetResult RunArgs.Txn with
        | Some file -> readFile file
        | None -> buildTransaction world instr (uint32 cu) 0uy

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
          VerifyProof = StateProof.merkleVerifier }
      Wire = wire
      Names = names
      Before = state }

/// Accounts whose entry differs after the run: added or changed (their new state), and gone
/// (deleted, or ephemeral: their old state, listed in `removed`).
let changedAccounts (before: Map<Pubkey, Account>) (o: TxnObservation) : AccountObs list =
    let old = before |> Map.toList |> List.map (fun (k, a) -> string k, accountObs k a) |> Map
    o.State |> List.filter (fun a -> old.TryFind a.Key <> Some a)

/// Accounts that existed before the run and are gone after it.
let removedAccounts (before: Map<Pubkey, Account>) (o: TxnObservation) : AccountObs list =
    let after = o.State |> List.map (fun a -> a.Key) |> Set.ofList
    before |> Map.toList |> List.filter (fun (k, _) -> not (after.Contains(string k))) |> List.map (fun (k, a) -> accountObs k a)

let private printResult (p: Prepared) (o: TxnObservation) =
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

/// The engine's observation of the prepared transaction (Thru.Engine, the same inputs).
let private runEngine (p: Prepared) =
    let env = TxnFixture.engineEnvironment p.Env
    TxnObservation.ofEngine env (Thru.Engine.TransactionExecutor.Execute(env, System.ReadOnlySpan p.Wire))

/// `--engine both`: run the model and the engine and compare them. Exit code 0 when they agree and
/// 1 when they disagree; with --json: {"model": {…}, "engine": {…}, "agree": bool, "differences": ["…"]}.
let private runBoth (p: Prepared) (json: bool) : int =
    let model = TxnObservation.ofModel (Execution.execute p.Env p.Wire)
    let engine = runEngine p
    let differences = TxnObservation.differences model engine

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

        if json then
            let j = jsonOf p observation

            if args.Contains RunArgs.Repeat then
                j["seconds"] <- RawCommand.secondsJson (List.last seconds)
                j["runs"] <- Json.arr (seconds |> List.map RawCommand.secondsJson)

            printJson j
        else
            printResult p observation

            if args.Contains RunArgs.Repeat then
                printfn "seconds:          %.6f (last of %d runs in this process; median %.6f)" (List.last seconds) count (List.item (count / 2) (List.sort seconds))

        0

    match args.GetResult(RunArgs.Engine, defaultValue = Model) with
    | Model -> single (fun () -> Execution.execute p.Env p.Wire) TxnObservation.ofModel
    | EngineChoice.Engine ->
        let env = TxnFixture.engineEnvironment p.Env
        single (fun () -> Thru.Engine.TransactionExecutor.Execute(env, System.ReadOnlySpan p.Wire)) (TxnObservation.ofEngine env)
    | Both when args.Contains RunArgs.Repeat -> fail "--repeat: not with --engine both"
    | Both -> runBoth p json
    | Unicorn -> fail "--engine unicorn runs raw mode only (Unicorn has no Thru address space or syscalls)"
