/// Executing a transaction (docs/spec/transactions.md §3, §5, §7, §8):
/// validation, pre-execution (liveness, fee payer, nonce, fee), the program run, then commit or
/// rollback, and the result record (proto TransactionExecutionResult).
module Thru.Model.Runtime.Execution

open Thru.Model
open Thru.Model.Isa
open Thru.Model.Memory
open Thru.Model.Memory.Layout
open Thru.Model.Memory.Space
open Thru.Model.Runtime.Vm

/// The world a transaction runs in.
type Environment =
    { Profile: Decisions.Profile
      /// The active accounts (committed state).
      State: Map<Pubkey, Account>
      /// Block contexts, index = blocks ago; block 0 is the current block.
      Blocks: BlockContext list
      Verify: Crypto.Verifier
      VerifyProof: StateProof.ProofVerifier
      /// The chain's id, state counter and compression slots.
      Chain: Chain }

/// Details of a stop caused by a fault (the debug service's fields).
type FaultInfo =
    { Pc: uint64
      Trap: Trap option
      UnknownSyscall: uint64 option }

/// The result of a transaction: the fields of TransactionExecutionResult, the logs, and the new
/// state. `ExecutionCode` and `FaultCode` are the debug service's VmExecutionDetails fields.
type TxnResult =
    { VmError: int
      /// Why validation or pre-execution refused the transaction (None once it executed).
      Rejection: string option
      UserErrorCode: uint64
      ExecutionCode: int64
      FaultCode: int
      ConsumedComputeUnits: uint64
      /// Instructions executed, each charged (VmExecutionDetails.instruction_counter).
      Instructions: int64
      ConsumedStateUnits: uint64
      ConsumedMemoryUnits: uint64
      PagesUsed: uint64
      Events: Event list
      EventsSize: uint64
      Logs: Log list
      ErrorProgramAccIdx: int option
      ReadWriteAccounts: Pubkey list
      ReadOnlyAccounts: Pubkey list
      Fault: FaultInfo option
      /// Registers and pc when execution stopped (zeros when it never started).
      Registers: uint64[]
      Pc: uint64
      CallDepth: int
      MaxCallDepth: int
      State: Map<Pubkey, Account>
      /// The chain after the transaction (changed only by a successful execution).
      Chain: Chain }

let private emptyResult (env: Environment) code reason =
    { VmError = code
      Rejection = Some reason
      UserErrorCode = 0UL
      ExecutionCode = 0L
      FaultCode = Codes.FaultCode.none
      ConsumedComputeUnits = 0UL
      Instructions = 0L
      ConsumedStateUnits = 0UL
      ConsumedMemoryUnits = 0UL
      PagesUsed = 0UL
      Events = []
      EventsSize = 0UL
      Logs = []
      ErrorProgramAccIdx = None
      ReadWriteAccounts = []
      ReadOnlyAccounts = []
      Fault = None
      Registers = Array.zeroCreate 32
      Pc = 0UL
      CallDepth = 0
      MaxCallDepth = 0
      State = env.State
      Chain = env.Chain }

/// Decision D-SEQ: at the end of a transaction every account whose metadata (other than seq) or
/// data changed gets seq = its old seq + 1; accounts that end deleted leave the state, and so do
/// ephemeral ones when the profile does not keep them (decision D-EPHEMERAL).
let private settle (profile: Decisions.Profile) (before: Map<Pubkey, Account>) (after: (Pubkey * Account option) list) : Map<Pubkey, Account> =
    let leaves (a: Account) =
        AccountMeta.hasFlag AccountFlags.deleted a.Meta
        || (AccountMeta.hasFlag AccountFlags.ephemeral a.Meta && not profile.EphemeralPersists)

    after
    |> List.fold
        (fun (state: Map<Pubkey, Account>) (key, account) ->
            match account with
            | None -> state.Remove key
            | Some a when leaves a -> state.Remove key
            | Some a ->
                let a = { a with Meta = { a.Meta with Flags = a.Meta.Flags &&& ~~~AccountFlags.newlyCreated } }

                match before.TryFind key with
                | Some old when old.Meta = { a.Meta with Seq = old.Meta.Seq } && old.Data = a.Data -> state.Add(key, old)
                | Some old -> state.Add(key, { a with Meta = { a.Meta with Seq = old.Meta.Seq + 1UL } })
                | None -> state.Add(key, { a with Meta = { a.Meta with Seq = 0UL } }))
        before

/// The account an AccountState ends as.
let private finalAccount (a: AccountState) : Account option =
    a.Meta |> Option.map (fun m -> { Meta = m; Data = Paged.Overlay.toArray a.Data (int m.DataSize) })

// ---------------------------------------------------------------------------------------
// Pre-execution (docs/spec/transactions.md §5). Decision D-PREEXEC-ORDER: liveness; fee payer (from
// the state, or created/restored from the attached proof); the fee payer's owner; nonce; nonce
// advance; fee.
// ---------------------------------------------------------------------------------------

type private PreExecution =
    | Proceed of feePayer: Account
    /// Refused before execution; the state to keep (nonce advanced, or unchanged).
    | Refused of code: int * reason: string * state: Map<Pubkey, Account>

/// The fee payer when it is not in the active state (absent, deleted or compressed: decision
/// D-LIVE). Decision D-PREEXEC-ORDER: the attached
/// proof is consulted only then; a CREATION proof creates an empty EOA, an EXISTING proof restores
/// the attached 64-byte record (which must have data_sz 0 and the EOA owner).
let private feePayerFromProof (env: Environment) (t: Transaction.Transaction) (slot: uint64) : Result<Account, int * string> =
    match t.StateProof with
    | None -> Error(Codes.Txn.feePayerAccountDoesNotExist, "the fee payer does not exist and no state proof is attached")
    | Some bytes ->
        match StateProof.parse bytes with
        | Error _ -> Error(Codes.Txn.invalidFeePayerStateProof, "the fee-payer state proof is malformed")
        | Ok p ->
            let ago = slot - p.Slot

            // Decision D-PROOF-WINDOW: the proof's slot is one of the ProofBlockSpan most recent blocks.
            if p.Slot > slot || ago >= uint64 (min (min env.Blocks.Length Layout.blockHistory) env.Profile.ProofBlockSpan) then
                Error(Codes.Txn.invalidFeePayerStateProofSlot, sprintf "the fee-payer proof's slot %d is not among the visible blocks" p.Slot)
            else
                let root = env.Blocks[int ago].StateRoot
                let key = t.Header.FeePayer

                match p.Body, t.FeePayerMeta with
                | StateProof.Creation _, _ ->
                    if env.VerifyProof key StateProof.Absent root p then Ok(Account.create Pubkey.zero 0UL [||])
                    else Error(Codes.Txn.invalidFeePayerStateProof, "the fee payer's CREATION proof does not verify")
                | StateProof.Existing, Some record ->
                    let meta = Layout.metaOfView record[2..]

                    // Decision D-FEE-PAYER-RECORD: a runtime record starts with the magic 0xC7A3.
                    if Bits.readLE record 0 2 <> uint64 Layout.metaMagic then
                        Error(Codes.Txn.invalidFeePayerStateProof, sprintf "the fee-payer record's magic is 0x%04x, not 0xc7a3" (Bits.readLE record 0 2))
                    elif meta.DataSize <> 0u then Error(Codes.Txn.invalidFeePayerStateProofAccountMetaDataSz, "the fee-payer record has data")
                    elif meta.Owner <> Pubkey.zero then Error(Codes.Txn.invalidFeePayerStateProofAccountOwner, "the fee-payer record is not owned by the EOA program")
                    else
                        let account = { Meta = { meta with Flags = meta.Flags &&& ~~~AccountFlags.compressed }; Data = [||] }

                        if env.VerifyProof key (StateProof.Holds(StateProof.accountValueHash { Meta = meta; Data = [||] })) root p then Ok account
                        else Error(Codes.Txn.invalidFeePayerStateProof, "the fee payer's EXISTING proof does not verify")
                | _ -> Error(Codes.Txn.invalidFeePayerStateProofType, "the fee-payer proof has the wrong type")

let private preExecute (env: Environment) (t: Transaction.Transaction) : PreExecution =
    let h = t.Header
    let slot = (List.head env.Blocks).Slot
    // Decision D-PREEXEC-ORDER: start_slot + expiry_after saturates.
    let expiry = if uint64 h.ExpiryAfter > System.UInt64.MaxValue - h.StartSlot then System.UInt64.MaxValue else h.StartSlot + uint64 h.ExpiryAfter

    if slot < h.StartSlot then
        Refused(Codes.Txn.notLiveYet, sprintf "current slot %d is before start_slot %d" slot h.StartSlot, env.State)
    elif slot >= expiry then
        Refused(Codes.Txn.expired, sprintf "current slot %d is at or after the expiry slot %d" slot expiry, env.State)
    else
        let payer =
            match env.State.TryFind h.FeePayer with
            | Some a when Account.isLive a -> Ok a
            | _ -> feePayerFromProof env t slot

        match payer with
        | Error(code, reason) -> Refused(code, reason, env.State)
        | Ok a when a.Meta.Owner <> Pubkey.zero -> Refused(Codes.Txn.invalidFeePayerAccountOwner, "the fee payer is not owned by the EOA program", env.State)
        | Ok a when h.Nonce < a.Meta.Nonce -> Refused(Codes.Txn.nonceTooLow, sprintf "nonce %d is below the fee payer's %d" h.Nonce a.Meta.Nonce, env.State)
        | Ok a when h.Nonce > a.Meta.Nonce -> Refused(Codes.Txn.nonceTooHigh, sprintf "nonce %d is above the fee payer's %d" h.Nonce a.Meta.Nonce, env.State)
        | Ok a ->
            let advanced = { a with Meta = { a.Meta with Nonce = a.Meta.Nonce + 1UL } }

            if advanced.Meta.Balance < h.Fee then
                Refused(Codes.Txn.insufficientFeePayerBalance, sprintf "balance %d cannot pay the fee %d" a.Meta.Balance h.Fee, settle env.Profile env.State [ h.FeePayer, Some advanced ])
            else
                Proceed { advanced with Meta = { advanced.Meta with Balance = advanced.Meta.Balance - h.Fee } }

// ---------------------------------------------------------------------------------------
// Execution.
// ---------------------------------------------------------------------------------------

/// The chain after a successful execution: GASC grows by the bytes activated; an account
/// compressed now records the slot, and one no longer compressed drops its record.
let private chainAfter (env: Environment) (vm: Vm) (state: Map<Pubkey, Account>) : Chain =
    let stillCompressed k =
        state.TryFind k |> Option.exists (fun a -> AccountMeta.hasFlag AccountFlags.compressed a.Meta)

    let compressedAt = env.Chain.CompressedAt |> Map.filter (fun k _ -> stillCompressed k)

    let compressedAt =
        match vm.Compressed with
        | Some i -> compressedAt.Add(vm.Space.Accounts[i].Key, vm.Ctx.Slot)
        | None -> compressedAt

    { env.Chain with
        StateCounter = env.Chain.StateCounter + vm.Activated
        CompressedAt = compressedAt }

/// A transaction that passed validation and pre-execution, ready to run: the VM at its first
/// instruction, and what `finish` needs to turn the VM's ending into a result.
type Started =
    { Transaction: Transaction.Transaction
      /// The state after the fee and the nonce advance (what a failed execution keeps).
      AfterFee: Map<Pubkey, Account>
      /// The VM at the program's entry point.
      Vm: Vm }

/// How a transaction begins: refused before execution (the result is final), or started.
type Start =
    | Finished of TxnResult
    | Running of Started

/// Validate a transaction given as wire bytes and run pre-execution: either the final result of
/// a refused transaction, or the VM ready at the program's entry point. `execute` is
/// `start`, then `Run.run`, then `finish`; a debugger steps the VM in between (`Run.step`).
let start (env: Environment) (wire: byte[]) : Start =
    match Transaction.parse env.Verify wire with
    | Error r -> Finished(emptyResult env r.Code r.Reason)
    // Decision D-CHAIN-ID: a transaction for another chain is refused like a malformed one.
    | Ok t when t.Header.ChainId <> env.Chain.ChainId ->
        Finished(emptyResult env Codes.Txn.invalidFormat (sprintf "chain_id %d is not this chain's (%d)" t.Header.ChainId env.Chain.ChainId))
    | Ok t ->
        let accountLists r = { r with ReadWriteAccounts = t.ReadWrite; ReadOnlyAccounts = t.ReadOnly }

        match preExecute env t with
        | Refused(code, reason, state) -> Finished(accountLists { emptyResult env code reason with State = state })
        | Proceed feePayer ->
            let afterFee = settle env.Profile env.State [ t.Header.FeePayer, Some feePayer ]
            let keys = t.Accounts
            let committed = keys |> List.mapi (fun i k -> k, (if i = 0 then Some feePayer else env.State.TryFind k))

            let program =
                match snd committed[1] with
                | Some a when Account.isProgram a && Account.isLive a -> Executable.parseWith env.Profile a.Data |> Result.toOption
                | _ -> None

            match program with
            | None ->
                Finished(accountLists { emptyResult env Codes.Txn.invalidProgramAccount "account 1 is not a valid program" with State = afterFee; Rejection = None; ExecutionCode = Codes.VmError.sigtext })
            | Some exe ->
                let space =
                    Space.initial env.Profile wire t.Header.ReadWriteCount committed exe env.Blocks (int t.Header.MemoryUnits)

                let ctx =
                    { Profile = env.Profile
                      ChainId = t.Header.ChainId
                      FeePayer = t.Header.FeePayer
                      TxnFlags = t.Header.Flags
                      Slot = (List.head env.Blocks).Slot
                      Verify = env.Verify
                      VerifyProof = env.VerifyProof
                      ComputeBudget = uint64 t.Header.ComputeUnits
                      StateBudget = uint64 t.Header.StateUnits
                      Chain = env.Chain }

                let vm0 =
                    { Ctx = ctx
                      Hart = Executable.entryHart (Address.txnDataBase + uint64 t.InstrDataOffset) (uint64 t.InstrData.Length)
                      Space = space
                      Returns = []
                      CallIdx = 0
                      Invocations = 0
                      ComputeUsed = 0UL
                      Instructions = 0L
                      StateUsed = 0UL
                      Activated = 0UL
                      Deactivated = 0UL
                      Logs = []
                      Events = []
                      EventBytes = 0L
                      Compressed = None }

                Running { Transaction = t; AfterFee = afterFee; Vm = vm0 }

/// The result of a started transaction once its VM has ended: commit on success, roll back
/// otherwise (the fee and the nonce stay), and the result record.
let finish (env: Environment) (started: Started) (vm: Vm, ending: Ending) : TxnResult =
    let t = started.Transaction

    let vmError, faultCode, userCode, errorProgram =
        match ending with
        | Exited code -> Codes.Txn.success, Codes.FaultCode.none, code, None
        | Reverted(code, p) -> Codes.Txn.vmRevert, Codes.FaultCode.revert, code, Some p
        | Faulted(_, p)
        | UnknownSyscall(_, p) -> Codes.Txn.vmFailed, Codes.FaultCode.none, 0UL, Some p
        | ComputeExhausted p -> Codes.Txn.cuExhausted, Codes.FaultCode.sigcu, 0UL, Some p
        | StateExhausted p -> Codes.Txn.suExhausted, Codes.FaultCode.sigsu, 0UL, Some p

    let fault =
        match ending with
        | Faulted(trap, _) -> Some { Pc = vm.Hart.Pc; Trap = Some trap; UnknownSyscall = None }
        | UnknownSyscall(n, _) -> Some { Pc = vm.Hart.Pc; Trap = None; UnknownSyscall = Some n }
        | _ -> None

    // Commit on success; otherwise every account change is rolled back (fee and nonce stay).
    let state =
        match ending with
        | Exited _ -> settle env.Profile env.State (vm.Space.Accounts |> Array.map (fun a -> a.Key, finalAccount a) |> List.ofArray)
        | _ -> started.AfterFee

    // Decision D-REVERT-EVENTS: events describe changes a failed transaction does not
    // make, so only a successful one reports them; logs are kept for debugging.
    let events = match ending with Exited _ -> List.rev vm.Events | _ -> []

    { VmError = vmError
      Rejection = None
      UserErrorCode = userCode
      ExecutionCode = vmErrorOf ending
      FaultCode = faultCode
      ConsumedComputeUnits = vm.ComputeUsed
      Instructions = vm.Instructions
      ConsumedStateUnits = vm.StateUsed
      ConsumedMemoryUnits = uint64 vm.Space.Pool.Peak
      PagesUsed = uint64 vm.Space.Pool.InUse
      Events = events
      EventsSize = events |> List.sumBy (fun e -> uint64 e.Payload.Length)
      Logs = List.rev vm.Logs
      ErrorProgramAccIdx = errorProgram
      ReadWriteAccounts = t.ReadWrite
      ReadOnlyAccounts = t.ReadOnly
      Fault = fault
      Registers = Registers.toArray vm.Hart.Regs
      Pc = vm.Hart.Pc
      CallDepth = vm.Space.Shadow.CallDepth
      MaxCallDepth = vm.Space.Shadow.MaxCallDepth
      State = state
      Chain = (match ending with Exited _ -> chainAfter env vm state | _ -> env.Chain) }

/// Execute a transaction given as wire bytes, running the program with `runner` (Run.run, or a
/// function over Run.step that also returns what it observed, such as a trace). The second result
/// is what the runner returned, None when the program never ran (refused before execution).
let executeWith (runner: Vm -> (Vm * Ending) * 'T) (env: Environment) (wire: byte[]) : TxnResult * 'T option =
    match start env wire with
    | Finished result -> result, None
    | Running started ->
        let ended, observed = runner started.Vm
        finish env started ended, Some observed

/// Execute a transaction given as wire bytes.
let execute (env: Environment) (wire: byte[]) : TxnResult =
    match start env wire with
    | Finished result -> result
    | Running started -> finish env started (Run.run started.Vm)
