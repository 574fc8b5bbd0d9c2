/// `thrumodel conform coverage`: which items of issue 13 §2 a corpus covers, and how many fixtures
/// cover each. Coverage is measured, not declared: every fixture is run on the model with a trace,
/// and the items are read off what executed (mnemonics and their operand values, syscalls and what
/// they returned, faults and the segment they hit, the transaction's result, depths, stores into
/// account data, events, reverts). The decision items count the fixtures whose "decisions" list the
/// decision; a test checks those lists against the model run under each decision's alternative.
module Thru.Conform.Coverage

open System.Text.Json.Nodes
open Thru.Model
open Thru.Model.Isa
open Thru.Model.Memory
open Thru.Model.Runtime
open Thru.Compare
open Thru.Compare.Conformance

module C = Codes.Syscall

// ---------------------------------------------------------------------------------------
// The items.
// ---------------------------------------------------------------------------------------

/// Mnemonics whose instances have no operand values (nothing can be at an edge).
let private noOperands = set [ "ecall"; "ebreak"; "c.ebreak"; "fence" ]

/// The syscall return codes each syscall can produce (docs/spec/syscalls.md), plus "SIGCU" (the
/// budget cannot pay for it) and "SIGSU" (state units run out) where they apply.
let syscallOutcomes: (uint64 * string list) list =
    [ 0x00UL, [ "SUCCESS"; "INVALID_SEGMENT_ID"; "INVALID_SEGMENT_SIZE"; "INSUFFICIENT_PAGES"; "UNFREEABLE_PAGE"; "SIGCU" ]
      0x01UL, [ "SUCCESS"; "INVALID_SEGMENT_ID"; "INVALID_SEGMENT_SIZE"; "INSUFFICIENT_PAGES"; "UNFREEABLE_PAGE"; "SIGCU" ]
      0x02UL, [ "SUCCESS"; "INVALID_ACCOUNT_INDEX"; "ACCOUNT_DOES_NOT_EXIST"; "ACCOUNT_NOT_WRITABLE"; "SIGCU" ]
      0x03UL, [ "SUCCESS"; "INVALID_ACCOUNT_INDEX"; "ACCOUNT_DOES_NOT_EXIST"; "ACCOUNT_NOT_WRITABLE"; "INVALID_ACCOUNT"; "INSUFFICIENT_BALANCE"; "BALANCE_OVERFLOW"; "SIGCU" ]
      0x04UL,
      [ "SUCCESS"; "INVALID_ACCOUNT_INDEX"; "ACCOUNT_NOT_WRITABLE"; "ACCOUNT_ALREADY_EXISTS"; "BAD_ACCOUNT_ADDRESS"; "INVALID_ADDRESS"; "INVALID_PROOF_LEN"
        "INVALID_PROOF_SLOT"; "INVALID_STATE_PROOF"; "EPHEMERAL_ACCOUNT_CANNOT_CREATE_PERSISTENT"; "SIGCU"; "SIGSU" ]
      0x05UL, [ "SUCCESS"; "INVALID_ACCOUNT_INDEX"; "ACCOUNT_NOT_WRITABLE"; "ACCOUNT_ALREADY_EXISTS"; "BAD_ACCOUNT_ADDRESS"; "SIGCU" ]
      0x06UL, [ "SUCCESS"; "INVALID_ACCOUNT_INDEX"; "ACCOUNT_DOES_NOT_EXIST"; "ACCOUNT_NOT_WRITABLE"; "INVALID_ACCOUNT"; "INVALID_ADDRESS"; "INVALID_SIGNATURE"; "SIGCU" ]
      0x07UL, [ "SUCCESS"; "INVALID_ACCOUNT_INDEX"; "ACCOUNT_DOES_NOT_EXIST"; "ACCOUNT_NOT_WRITABLE"; "ACCOUNT_TOO_BIG"; "INSUFFICIENT_PAGES"; "SIGCU"; "SIGSU" ]
      0x08UL,
      [ "SUCCESS"; "INVALID_ACCOUNT_INDEX"; "ACCOUNT_DOES_NOT_EXIST"; "ACCOUNT_NOT_WRITABLE"; "TXN_HAS_COMPRESSED_ACCOUNT"; "ACCOUNT_COMPRESSION_NOT_ALLOWED"
        "ACCOUNT_UNCOMPRESSABLE"; "INVALID_PROOF_LEN"; "INVALID_STATE_PROOF"; "PROGRAM_IN_CALL_STACK"; "SIGCU" ]
      0x09UL,
      [ "SUCCESS"; "INVALID_ACCOUNT_INDEX"; "ACCOUNT_NOT_WRITABLE"; "ACCOUNT_ALREADY_EXISTS"; "ACCOUNT_IN_COMPRESSION_TIMEOUT"; "INVALID_ADDRESS"
        "INVALID_ACCOUNT_DATA_SIZE"; "INVALID_PROOF_LEN"; "INVALID_STATE_PROOF"; "INSUFFICIENT_PAGES"; "SIGCU" ]
      0x0AUL, [ "SUCCESS"; "INVALID_ACCOUNT_INDEX"; "ACCOUNT_DOES_NOT_EXIST"; "ACCOUNT_IS_NOT_PROGRAM"; "CALL_DEPTH_TOO_DEEP"; "SIGCU" ]
      0x0BUL, [ "RETURN_TO_CALLER"; "END"; "REVERT" ]
      0x0CUL, [ "SUCCESS"; "LOG_DATA_TOO_LARGE"; "INVALID_ADDRESS" ]
      0x0DUL, [ "SUCCESS"; "EVENT_IS_ZERO_SIZE"; "EVENT_TOO_LARGE"; "INVALID_ADDRESS"; "INSUFFICIENT_PAGES"; "SIGCU" ]
      0x0EUL, [ "SUCCESS"; "INVALID_ACCOUNT_INDEX"; "ACCOUNT_DOES_NOT_EXIST"; "ACCOUNT_NOT_WRITABLE"; "INVALID_FLAGS"; "ACCOUNT_IS_NOT_PROGRAM"; "PROGRAM_IN_CALL_STACK"; "SIGCU" ]
      0x0FUL, [ "SUCCESS"; "INVALID_ACCOUNT_INDEX"; "ACCOUNT_NOT_WRITABLE"; "ACCOUNT_ALREADY_EXISTS"; "INVALID_ADDRESS"; "INVALID_SIGNATURE"; "INVALID_PROOF_LEN"; "INVALID_STATE_PROOF"; "SIGCU" ] ]

/// The fault kinds by access and segment that the default profile can produce (an aligned access
/// never crosses a page, so page-boundary-cross needs AllowMisaligned; a pc is always even, so a
/// fetch is never misaligned).
let faultItems: (string * string * string) list =
    [ for seg in [ "none"; "txn-data"; "shadow-stack"; "program"; "block-context"; "account-meta"; "account-data"; "stack"; "heap" ] -> "invalid-address", "read", seg ]
    @ [ "invalid-address", "fetch", "program" ]
    @ [ for seg in [ "null"; "type-0x01"; "events"; "type-0x06"; "type-0x08"; "account-meta"; "account-data"; "stack"; "read-only-0x0005" ] -> "invalid-segment", "read", seg ]
    @ [ for seg in [ "txn-data"; "shadow-stack"; "program"; "block-context"; "account-meta"; "account-data"; "stack" ] -> "permission-denied", "write", seg ]
    @ [ for seg in [ "stack"; "account-data"; "txn-data" ] -> "permission-denied", "fetch", seg ]
    @ [ for seg in [ "txn-data"; "account-meta"; "heap"; "program" ] -> "alignment-violation", "read", seg ]
    @ [ for seg in [ "account-data"; "stack" ] -> "alignment-violation", "write", seg ]
    @ [ "resource-exhaustion", "write", "account-data" ]

/// The transaction results reachable (UNSORTED_ACCOUNTS is never produced: the checks report the
/// list that is unsorted; ACCOUNT_COUNT_LIMIT_EXCEEDED needs more than 1024 keys, which do not fit
/// the 32 KiB transaction).
let txnCodes =
    [ 0; -255; -254; -253; -252; -251; -249; -248; -511; -510; -509; -508; -507; -506; -505; -504; -503; -502; -501; -500; -767; -766; -765; -764; -763 ]

let private switchableIds = Build.switchable |> List.map fst

/// Every item, in report order.
let items () : string list =
    [ for m, _ in Catalog.all |> List.distinctBy fst do
          yield sprintf "mnemonic %s" m
          if not (noOperands.Contains m) then yield sprintf "mnemonic %s with edge operands" m
      yield! [ "raw stop ecall"; "raw stop ebreak"; "raw stop limit"; "raw fault illegal-instruction"; "raw fault alignment-violation"; "raw fault invalid-address" ]
      for n, outcomes in syscallOutcomes do
          for o in outcomes do
              yield sprintf "syscall %s -> %s" (syscallName n) o
      yield "syscall unknown -> SIGILL"
      for kind, access, seg in faultItems do
          yield sprintf "fault %s %s in %s" kind access seg
      yield! [ "fault illegal-instruction in program"; "fault breakpoint in program" ]
      for c in txnCodes do
          yield sprintf "txn %s" (Codes.txnErrorName c)
      yield!
          [ "exhaustion: compute units at an instruction"
            "exhaustion: compute units at a syscall"
            "exhaustion: state units at a syscall"
            "exhaustion: memory units at an instruction (copy-on-write page)"
            "exhaustion: memory units at a syscall (INSUFFICIENT_PAGES)"
            "invoke: depth 16 reached"
            "invoke: CALL_DEPTH_TOO_DEEP"
            "invoke: authorization descriptor passed (a3 != 0)"
            "invoke: returned to the caller"
            "invoke: callee refused an account its caller owns"
            "invoke: callee denied a write to memory it does not own"
            "copy-on-write: store into account data committed"
            "copy-on-write: store into account data rolled back"
            "events: reported by a successful transaction"
            "events: dropped by a failed transaction"
            "events: emitted by a callee"
            "revert: at depth 1"
            "revert: nested (depth >= 2)" ]
      for d in switchableIds do
          yield sprintf "decision %s changes an outcome" d ]

// ---------------------------------------------------------------------------------------
// What one fixture covers.
// ---------------------------------------------------------------------------------------

/// Register values counted as edges.
let edgeValues =
    set
        [ 0UL; 1UL; System.UInt64.MaxValue; 0x8000_0000_0000_0000UL; 0x7FFF_FFFF_FFFF_FFFFUL; 0x7FFF_FFFFUL; 0x8000_0000UL; 0xFFFF_FFFFUL
          0xFFFF_FFFF_8000_0000UL; 0xFFFF_FFFF_7FFF_FFFFUL; 31UL; 32UL; 63UL; 64UL ]

/// The source registers of an instruction.
let private sources (i: Instr) : Reg list =
    match i with
    | JALR(_, rs1, _)
    | Load(_, _, rs1, _)
    | OpImm(_, _, rs1, _)
    | ShiftImm(_, _, rs1, _)
    | Unary(_, _, rs1) -> [ rs1 ]
    | Branch(_, rs1, rs2, _)
    | Store(_, rs1, rs2, _)
    | Op(_, _, rs1, rs2) -> [ rs1; rs2 ]
    | LUI _ | AUIPC _ | JAL _ | FENCE _ | ECALL | EBREAK -> []

/// Whether an immediate is at an end of its encoding's range.
let private edgeImmediate (d: Decoded) : bool =
    let at (v: int64) (ends: int64 list) = List.contains v ends

    match d with
    | Full i ->
        match i with
        | LUI(_, imm)
        | AUIPC(_, imm) -> List.contains imm [ 0u; 0x7FFFFu; 0x80000u; 0xFFFFFu ]
        | JAL(_, off) -> at off [ -1048576L; 1048574L ]
        | JALR(_, _, imm)
        | Load(_, _, _, imm)
        | Store(_, _, _, imm)
        | OpImm(_, _, _, imm) -> at imm [ -2048L; 2047L ]
        | Branch(_, _, _, off) -> at off [ -4096L; 4094L ]
        | ShiftImm(_, _, _, s) -> List.contains s [ 0; 31; 32; 63 ]
        | _ -> false
    | Compressed c ->
        match c with
        | C_ADDI4SPN(_, v) -> List.contains v [ 4; 1020 ]
        | C_LW(_, _, v)
        | C_SW(_, _, v) -> List.contains v [ 0; 124 ]
        | C_LD(_, _, v)
        | C_SD(_, _, v) -> List.contains v [ 0; 248 ]
        | C_NOP v
        | C_ADDI(_, v)
        | C_ADDIW(_, v)
        | C_LI(_, v)
        | C_ANDI(_, v)
        | C_LUI(_, v) -> List.contains v [ -32; 31 ]
        | C_ADDI16SP v -> List.contains v [ -512; 496 ]
        | C_SRLI(_, s)
        | C_SRAI(_, s)
        | C_SLLI(_, s) -> List.contains s [ 1; 31; 32; 63 ]
        | C_J off -> at off [ -2048L; 2046L ]
        | C_BEQZ(_, off)
        | C_BNEZ(_, off) -> at off [ -256L; 254L ]
        | C_LWSP(_, v)
        | C_SWSP(_, v) -> List.contains v [ 0; 252 ]
        | C_LDSP(_, v)
        | C_SDSP(_, v) -> List.contains v [ 0; 504 ]
        | _ -> false
    | Illegal _ -> false

/// The mnemonic items of one executed instruction, given the registers before it.
let private instructionItems (d: Decoded) (regs: uint64[]) : string list =
    match d with
    | Illegal _ -> []
    | _ ->
        let m = Disasm.mnemonic d
        let srcs = Trace.meaning d |> Option.map sources |> Option.defaultValue []
        let edge = edgeImmediate d || srcs |> List.exists (fun r -> edgeValues.Contains regs[r])

        [ sprintf "mnemonic %s" m
          if edge && not (noOperands.Contains m) then sprintf "mnemonic %s with edge operands" m ]

/// The segment an address names, as the fault items name it.
let segmentName (addr: uint64) : string =
    match Address.split addr with
    | None -> "none"
    | Some s ->
        match s.SegType with
        | 0x00 ->
            match s.SegIdx with
            | 0 -> "null"
            | 1 -> "txn-data"
            | 2 -> "shadow-stack"
            | 3 -> "program"
            | 4 -> "block-context"
            | i -> sprintf "read-only-0x%04x" i
        | 0x02 -> "account-meta"
        | 0x03 -> "account-data"
        | 0x04 -> "events"
        | 0x05 -> "stack"
        | 0x07 -> "heap"
        | t -> sprintf "type-0x%02x" t

let private str (o: JsonObject) (name: string) =
    match o[name] with
    | :? JsonValue as v -> (try v.GetValue<string>() with _ -> "")
    | _ -> ""

let private num (o: JsonObject) (name: string) =
    match o[name] with
    | :? JsonValue as v -> (try v.GetValue<int64>() with _ -> 0L)
    | _ -> 0L

/// Replay register writes over `regs`, yielding the registers before each event.
let private withRegisters (start: uint64[]) (events: Trace.Event list) : (Trace.Event * uint64[]) list =
    let regs = Array.copy start

    [ for e in events do
          yield e, Array.copy regs

          for r, v in e.RegWrites do
              regs[r] <- v ]

let private rawItems (r: RawInput) (expected: JsonObject) : string list =
    let hart = { Pc = r.Base; Regs = Registers.ofArray r.Regs }

    match Trace.raw Decisions.Profile.defaults r.Image r.Base r.MaxSteps hart with
    | Error _ -> []
    | Ok t ->
        let executed = withRegisters r.Regs t.Events |> List.collect (fun (e, regs) -> instructionItems e.Decoded regs)

        let stop =
            match t.Result.Stop with
            | Raw.StoppedAtEcall -> [ "raw stop ecall"; "mnemonic ecall" ]
            | Raw.StoppedAtEbreak ->
                let m = match Execute.fetch Raw.FlatMemory.port t.Result.Memory t.Result.Hart.Pc with Ok f -> Disasm.mnemonic f.Decoded | Error _ -> "ebreak"
                [ "raw stop ebreak"; sprintf "mnemonic %s" m ]
            | Raw.StoppedAtLimit -> [ "raw stop limit" ]
            | Raw.StoppedByFault _ -> [ sprintf "raw fault %s" (str expected "fault") ]

        executed @ stop

let private txnItems (t: TxnInput) (expected: JsonObject) : string list =
    let env = environment Decisions.Profile.defaults t
    let result, events = Trace.txn env t.Wire
    let vmError = result.VmError
    let failed = vmError <> 0

    let start =
        match Transaction.parse env.Verify t.Wire with
        | Ok tx -> Registers.toArray (Executable.entryHart (Address.txnDataBase + uint64 tx.InstrDataOffset) (uint64 tx.InstrData.Length)).Regs
        | Error _ -> Array.zeroCreate 32

    let withRegs = withRegisters start events
    let code (a0: uint64) = syscallCodeName (int64 a0)

    let syscallItems =
        [ for e in events do
              match e.Syscall with
              | Some s when s.Number > 0x0FUL -> "syscall unknown -> SIGILL"
              | Some s ->
                  let name = syscallName s.Number

                  match s.Outcome with
                  | Trace.Returned(a0, _) -> sprintf "syscall %s -> %s" name (code a0)
                  | Trace.EnteredCallee -> sprintf "syscall %s -> SUCCESS" name
                  | Trace.ReturnedToCaller -> sprintf "syscall %s -> RETURN_TO_CALLER" name
                  | Trace.EndedExecution(Vm.Exited _) -> sprintf "syscall %s -> END" name
                  | Trace.EndedExecution(Vm.Reverted _) -> sprintf "syscall %s -> REVERT" name
                  | Trace.EndedExecution(Vm.ComputeExhausted _) -> sprintf "syscall %s -> SIGCU" name
                  | Trace.EndedExecution(Vm.StateExhausted _) -> sprintf "syscall %s -> SIGSU" name
                  | Trace.EndedExecution _ -> ()
              | None -> () ]

    let fault =
        match expected["fault"] with
        | :? JsonObject as fo ->
            match str fo "kind" with
            | "illegal-instruction" -> [ "fault illegal-instruction in program" ]
            | "breakpoint" -> [ "fault breakpoint in program" ]
            | "unknown-syscall" -> []
            | kind ->
                let addr = Hex.tryParse (str fo "address") |> Option.defaultValue 0UL
                [ sprintf "fault %s %s in %s" kind (str fo "access") (segmentName addr) ]
        | _ -> []

    let last = List.tryLast events
    let lastIsSyscallCu = last |> Option.exists (fun e -> match e.Syscall with Some { Outcome = Trace.EndedExecution(Vm.ComputeExhausted _) } -> true | _ -> false)
    let accountStores = events |> List.filter (fun e -> e.Accesses |> List.exists (fun a -> a.Write && segmentName a.Address = "account-data"))
    let emitted (e: Trace.Event) =
        match e.Syscall with
        | Some { Number = 0x0DUL; Outcome = Trace.Returned(0UL, _) } -> true
        | _ -> false
    let faultDepth = events |> List.tryLast |> Option.map (fun e -> e.Depth) |> Option.defaultValue 1

    [ yield! withRegs |> List.collect (fun (e, regs) -> instructionItems e.Decoded regs)
      yield! syscallItems
      yield! fault
      sprintf "txn %s" (Codes.txnErrorName vmError)
      if vmError = Codes.Txn.cuExhausted && not lastIsSyscallCu then "exhaustion: compute units at an instruction"
      if vmError = Codes.Txn.cuExhausted && lastIsSyscallCu then "exhaustion: compute units at a syscall"
      if vmError = Codes.Txn.suExhausted then "exhaustion: state units at a syscall"
      if fault = [ "fault resource-exhaustion write in account-data" ] then "exhaustion: memory units at an instruction (copy-on-write page)"
      if syscallItems |> List.exists (fun i -> i.EndsWith "-> INSUFFICIENT_PAGES") then "exhaustion: memory units at a syscall (INSUFFICIENT_PAGES)"
      if result.MaxCallDepth = 16 then "invoke: depth 16 reached"
      if syscallItems |> List.contains "syscall invoke -> CALL_DEPTH_TOO_DEEP" then "invoke: CALL_DEPTH_TOO_DEEP"
      if events |> List.exists (fun e -> e.Frame.IsSome && (match e.Frame with Some(Trace.Invoked _) -> true | _ -> false) && (e.Syscall |> Option.exists (fun s -> s.Args[3] <> 0UL))) then
          "invoke: authorization descriptor passed (a3 != 0)"
      if syscallItems |> List.contains "syscall exit -> RETURN_TO_CALLER" then "invoke: returned to the caller"
      if events |> List.exists (fun e -> e.Depth >= 2 && (match e.Syscall with Some { Outcome = Trace.Returned(a0, _) } -> int64 a0 = C.accountNotWritable | _ -> false)) then
          "invoke: callee refused an account its caller owns"
      if faultDepth >= 2 && fault |> List.exists (fun i -> i.StartsWith "fault permission-denied write") then "invoke: callee denied a write to memory it does not own"
      if not accountStores.IsEmpty && not failed then "copy-on-write: store into account data committed"
      if not accountStores.IsEmpty && failed then "copy-on-write: store into account data rolled back"
      if not result.Events.IsEmpty then "events: reported by a successful transaction"
      if List.exists emitted events && failed then "events: dropped by a failed transaction"
      if events |> List.exists (fun e -> e.Depth >= 2 && emitted e) then "events: emitted by a callee"
      if vmError = Codes.Txn.vmRevert && faultDepth = 1 then "revert: at depth 1"
      if vmError = Codes.Txn.vmRevert && faultDepth >= 2 then "revert: nested (depth >= 2)" ]

/// The items one fixture covers.
let itemsOf (corpus: Corpus.Corpus) (f: Fixture) : string list =
    let input = Corpus.input corpus f
    let decisions = f.Decisions |> List.filter (fun d -> List.contains d switchableIds) |> List.map (sprintf "decision %s changes an outcome")

    let measured =
        match f.Kind with
        | "raw" ->
            match parseRawInput input with
            | Ok r -> rawItems r f.Expected
            | Error _ -> []
        | _ ->
            match parseTxnInput input with
            | Ok t -> txnItems t f.Expected
            | Error _ -> []

    (measured @ decisions) |> List.distinct

/// Each item with the number of fixtures that cover it; also items a fixture covers that are not in
/// the list (reported after it).
let measure (corpus: Corpus.Corpus) : (string * int) list =
    let perFixture = corpus.Fixtures |> Array.ofList |> Array.Parallel.map (itemsOf corpus)
    let counts = perFixture |> Array.collect Array.ofList |> Array.countBy id |> Map
    let listed = items ()
    let extra = counts |> Map.toList |> List.map fst |> List.filter (fun i -> not (List.contains i listed)) |> List.sort
    (listed @ extra) |> List.map (fun i -> i, counts.TryFind i |> Option.defaultValue 0)

/// The coverage report as JSON: {"fixtures": N, "items": [{"item", "count"}]}.
let toJson (fixtures: int) (counts: (string * int) list) : JsonObject =
    Json.obj
        [ "fixtures", Json.num (int64 fixtures)
          "items", Json.arr [ for i, c in counts -> Json.obj [ "item", Json.str i; "count", Json.num (int64 c) ] :> JsonNode ] ]
