/// What can be observed of a transaction's execution, the same for the model and the engine:
/// the fields of the protocol's TransactionExecutionResult (JSON uses its field names), the
/// logs, the debug fields (execution code, fault, registers, pc, depths) and the post-state of
/// every account.
module Thru.Compare.TxnObservation

open Thru.Model
open Thru.Model.Runtime

type AccountObs =
    { Key: string
      Version: byte
      Flags: byte
      DataSize: uint32
      Seq: uint64
      Owner: string
      Balance: uint64
      Nonce: uint64
      Data: byte[] }

type EventObs =
    { Id: int
      CallIdx: int
      ProgramIdx: int
      Program: string
      Payload: byte[] }

type TxnObservation =
    { Engine: string
      VmError: int
      UserErrorCode: uint64
      ExecutionCode: int64
      FaultCode: int
      ConsumedComputeUnits: uint64
      /// Instructions executed, each charged (the debug service's instruction_counter).
      Instructions: int64
      ConsumedStateUnits: uint64
      ConsumedMemoryUnits: uint64
      PagesUsed: uint64
      Events: EventObs list
      EventsSize: uint64
      Logs: (int * byte[]) list
      ErrorProgramAccIdx: int option
      /// A description of the fault that stopped execution (kind, address, size, access).
      Fault: string option
      Pc: uint64
      Registers: uint64[]
      CallDepth: int
      MaxCallDepth: int
      /// Every account of the post-state, sorted by key.
      State: AccountObs list
      /// The chain's state counter after the transaction (decision D-COMPRESS).
      StateCounter: uint64
      /// The compression slot of every compressed account after the transaction, sorted by key.
      CompressedAt: (string * uint64) list }

let hex (b: byte[]) = System.Convert.ToHexString(b).ToLowerInvariant()

let accountObs (key: Pubkey) (a: Account) =
    { Key = string key
      Version = a.Meta.Version
      Flags = a.Meta.Flags
      DataSize = a.Meta.DataSize
      Seq = a.Meta.Seq
      Owner = string a.Meta.Owner
      Balance = a.Meta.Balance
      Nonce = a.Meta.Nonce
      Data = a.Data }

/// A fault in words: "illegal-instruction 0x00000000 (…)", "alignment-violation write 8 @0x…",
/// "unknown-syscall 16".
let describeTrap (t: Trap) =
    match t with
    | IllegalInstruction(bits, reason) -> sprintf "illegal-instruction 0x%08x (%s)" bits (Isa.Disasm.illegalReason reason)
    | Breakpoint -> "breakpoint"
    | MemoryFault f ->
        sprintf "%s %s %d @0x%x" (RawObservation.violationName f.Violation) ((sprintf "%A" f.Kind).ToLowerInvariant()) f.Size f.Address

let ofModel (r: Execution.TxnResult) : TxnObservation =
    { Engine = "model"
      VmError = r.VmError
      UserErrorCode = r.UserErrorCode
      ExecutionCode = r.ExecutionCode
      FaultCode = r.FaultCode
      ConsumedComputeUnits = r.ConsumedComputeUnits
      Instructions = r.Instructions
      ConsumedStateUnits = r.ConsumedStateUnits
      ConsumedMemoryUnits = r.ConsumedMemoryUnits
      PagesUsed = r.PagesUsed
      Events =
        r.Events
        |> List.map (fun e -> { Id = e.Id; CallIdx = e.CallIdx; ProgramIdx = e.ProgramIdx; Program = string e.Program; Payload = e.Payload })
      EventsSize = r.EventsSize
      Logs = r.Logs |> List.map (fun l -> l.ProgramIdx, l.Data)
      ErrorProgramAccIdx = r.ErrorProgramAccIdx
      Fault =
        r.Fault
        |> Option.map (fun f ->
            match f.Trap, f.UnknownSyscall with
            | Some t, _ -> describeTrap t
            | None, Some n -> sprintf "unknown-syscall %d" n
            | None, None -> "fault")
      Pc = r.Pc
      Registers = Array.copy r.Registers
      CallDepth = r.CallDepth
      MaxCallDepth = r.MaxCallDepth
      State = r.State |> Map.toList |> List.map (fun (k, a) -> accountObs k a) |> List.sortBy (fun a -> a.Key)
      StateCounter = r.Chain.StateCounter
      CompressedAt = r.Chain.CompressedAt |> Map.toList |> List.map (fun (k, s) -> string k, s) |> List.sortBy fst }

/// The observation of an engine run (Thru.Engine.TransactionExecutor) in `env`: the post-state is
/// `env`'s state with the result's updates applied.
let ofEngine (env: Thru.Engine.EngineEnvironment) (r: Thru.Engine.EngineResult) : TxnObservation =
    let describe (f: Thru.Engine.EngineFault) =
        match f.Kind with
        | Thru.Engine.EngineFaultKind.IllegalInstruction -> sprintf "illegal-instruction 0x%08x (%s)" f.IllegalBits f.IllegalReason
        | Thru.Engine.EngineFaultKind.Breakpoint -> "breakpoint"
        | Thru.Engine.EngineFaultKind.UnknownSyscall -> sprintf "unknown-syscall %d" f.SyscallNumber
        | _ -> sprintf "%s %s %d @0x%x" (Thru.Engine.FaultNames.Name f.Violation) ((string f.Access).ToLowerInvariant()) f.Size f.Address

    let account (k: Thru.Engine.PublicKey) (a: Thru.Engine.EngineAccount) =
        { Key = string k
          Version = a.Version
          Flags = a.Flags
          DataSize = a.DataSize
          Seq = a.Seq
          Owner = string a.Owner
          Balance = a.Balance
          Nonce = a.Nonce
          Data = a.Data }

    { Engine = "engine"
      VmError = r.VmError
      UserErrorCode = r.UserErrorCode
      ExecutionCode = r.ExecutionCode
      FaultCode = r.FaultCode
      ConsumedComputeUnits = r.ConsumedComputeUnits
      Instructions = r.Instructions
      ConsumedStateUnits = r.ConsumedStateUnits
      ConsumedMemoryUnits = r.ConsumedMemoryUnits
      PagesUsed = r.PagesUsed
      Events =
        [ for e in r.Events -> { Id = e.Id; CallIdx = e.CallIdx; ProgramIdx = e.ProgramIdx; Program = string e.Program; Payload = e.Payload } ]
      EventsSize = r.EventsSize
      Logs = [ for l in r.Logs -> l.ProgramIdx, l.Data ]
      ErrorProgramAccIdx = Option.ofNullable r.ErrorProgramAccIdx
      Fault = r.Fault |> Option.ofObj |> Option.map describe
      Pc = r.Pc
      Registers = Array.copy r.Registers
      CallDepth = r.CallDepth
      MaxCallDepth = r.MaxCallDepth
      State = [ for KeyValue(k, a) in r.PostState env.State -> account k a ] |> List.sortBy (fun a -> a.Key)
      StateCounter = r.Chain.StateCounter
      CompressedAt = [ for KeyValue(k, s) in r.Chain.CompressedAt -> string k, s ] |> List.sortBy fst }

/// Every field on which two observations differ, in words.
let differences (a: TxnObservation) (b: TxnObservation) : string list =
    let field name (x: 'T) (y: 'T) = if x = y then [] else [ sprintf "%s: %A vs %A" name x y ]

    let accounts =
        let ka = a.State |> List.map (fun x -> x.Key, x) |> Map
        let kb = b.State |> List.map (fun x -> x.Key, x) |> Map

        [ for k in Set.union (Set.ofSeq ka.Keys) (Set.ofSeq kb.Keys) do
              match ka.TryFind k, kb.TryFind k with
              | Some x, Some y when x = y -> ()
              | Some x, Some y -> yield sprintf "account %s: %A vs %A" k { x with Data = [||] } { y with Data = [||] } + (if x.Data <> y.Data then " (data differs)" else "")
              | Some _, None -> yield sprintf "account %s only in %s" k a.Engine
              | None, Some _ -> yield sprintf "account %s only in %s" k b.Engine
              | None, None -> () ]

    List.concat
        [ field "vm_error" a.VmError b.VmError
          field "user_error_code" a.UserErrorCode b.UserErrorCode
          field "execution_code" a.ExecutionCode b.ExecutionCode
          field "fault_code" a.FaultCode b.FaultCode
          field "consumed_compute_units" a.ConsumedComputeUnits b.ConsumedComputeUnits
          field "instruction_counter" a.Instructions b.Instructions
          field "consumed_state_units" a.ConsumedStateUnits b.ConsumedStateUnits
          field "consumed_memory_units" a.ConsumedMemoryUnits b.ConsumedMemoryUnits
          field "pages_used" a.PagesUsed b.PagesUsed
          field "events" a.Events b.Events
          field "events_size" a.EventsSize b.EventsSize
          field "logs" a.Logs b.Logs
          field "error_program_acc_idx" a.ErrorProgramAccIdx b.ErrorProgramAccIdx
          field "fault" a.Fault b.Fault
          field "pc" a.Pc b.Pc
          field "registers" a.Registers b.Registers
          field "call_depth" a.CallDepth b.CallDepth
          field "max_call_depth" a.MaxCallDepth b.MaxCallDepth
          accounts
          field "state_counter" a.StateCounter b.StateCounter
          field "compressed_at" a.CompressedAt b.CompressedAt ]

let private text (b: byte[]) =
    let s = System.Text.Encoding.UTF8.GetString b
    if s |> Seq.forall (fun c -> c = '\n' || c = '\t' || not (System.Char.IsControl c)) then s else hex b

/// JSON with the protocol's field names (proto TransactionExecutionResult), plus logs and the
/// debug fields. `before` is the state before the transaction, to list the changed accounts.
let toJson (o: TxnObservation) (changed: AccountObs list) : System.Text.Json.Nodes.JsonObject =
    let u (v: uint64) = Json.str (string v) // u64 as decimal strings, as protobuf JSON does
    let n (v: int64) = Json.num v

    Json.obj
        [ "engine", Json.str o.Engine
          "vm_error", n (int64 o.VmError)
          "vm_error_name", Json.str (Codes.txnErrorName o.VmError)
          "user_error_code", u o.UserErrorCode
          "execution_result", u o.UserErrorCode
          "execution_code", n o.ExecutionCode
          "fault_code", n (int64 o.FaultCode)
          "consumed_compute_units", n (int64 o.ConsumedComputeUnits)
          "instruction_counter", n o.Instructions
          "consumed_state_units", n (int64 o.ConsumedStateUnits)
          "consumed_memory_units", n (int64 o.ConsumedMemoryUnits)
          "pages_used", n (int64 o.PagesUsed)
          "events_count", n (int64 o.Events.Length)
          "events_size", n (int64 o.EventsSize)
          "events",
          Json.arr
              [ for e in o.Events ->
                    Json.obj
                        [ "event_id", n (int64 e.Id)
                          "call_idx", n (int64 e.CallIdx)
                          "program_idx", n (int64 e.ProgramIdx)
                          "program", Json.str e.Program
                          "payload", Json.str (hex e.Payload) ]
                    :> System.Text.Json.Nodes.JsonNode ]
          "error_program_acc_idx", Json.opt (int64 >> n) o.ErrorProgramAccIdx
          "logs", Json.arr [ for p, d in o.Logs -> Json.obj [ "program_idx", n (int64 p); "text", Json.str (text d) ] :> System.Text.Json.Nodes.JsonNode ]
          "fault", Json.opt Json.str o.Fault
          // Decision D-PC: the debug service's program_counter is the offset in the program
          // segment (from .text, docs/spec/transactions.md §8.2); "pc" is the full address.
          "program_counter", Json.hex (o.Pc &&& 0xFF_FFFFUL)
          "pc", Json.hex o.Pc
          "call_depth", n (int64 o.CallDepth)
          "max_call_depth", n (int64 o.MaxCallDepth)
          "registers", Json.arr (o.Registers |> Array.map Json.hex)
          "state_counter", u o.StateCounter
          "compressed_at", Json.arr [ for k, s in o.CompressedAt -> Json.obj [ "pubkey", Json.str k; "slot", u s ] :> System.Text.Json.Nodes.JsonNode ]
          "changed_accounts",
          Json.arr
              [ for a in changed ->
                    Json.obj
                        [ "pubkey", Json.str a.Key
                          "version", n (int64 a.Version)
                          "flags", n (int64 a.Flags)
                          "data_size", n (int64 a.DataSize)
                          "seq", u a.Seq
                          "owner", Json.str a.Owner
                          "balance", u a.Balance
                          "nonce", u a.Nonce
                          "data", Json.str (hex a.Data) ]
                    :> System.Text.Json.Nodes.JsonNode ] ]
