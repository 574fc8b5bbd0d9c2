/// Traces: what each executed instruction did (pc, bits, register writes, memory accesses,
/// compute units, syscalls, invoke and exit frames). A trace is a function over the model's step
/// (Execute.fetch/run in raw mode, Run.step for transactions), never a change inside it: the step
/// is run exactly as an untraced run runs it, and each event is read off the states before and
/// after it. The untraced loops (Raw.run, Run.run) do none of this work.
module Thru.Model.Trace

open Thru.Model.Isa
open Thru.Model.Memory
open Thru.Model.Runtime
open Thru.Model.Runtime.Vm

/// A load or a store an instruction made: address, size in bytes, and the value (zero-extended,
/// as loaded; the stored bytes for a store).
type Access =
    { Write: bool
      Address: uint64
      Size: int
      Value: uint64 }

/// What a syscall led to.
type SyscallOutcome =
    /// Execution continues in the same frame with these a0 and a1.
    | Returned of a0: uint64 * a1: uint64
    /// invoke ran the callee: execution continues in the new frame (see the event's Frame).
    | EnteredCallee
    /// exit returned to the caller: execution continues in the caller's frame.
    | ReturnedToCaller
    /// Execution ended (exit at the top level, revert, a budget, an unknown syscall).
    | EndedExecution of Ending

/// A syscall: its number (a7), its arguments (a0..a6) and what it led to.
type SyscallEvent =
    { Number: uint64
      Args: uint64 list
      Outcome: SyscallOutcome }

/// A change of frame.
type FrameEvent =
    /// invoke entered `programIdx` at call depth `depth`.
    | Invoked of programIdx: int * depth: int
    /// exit returned to the caller, now at call depth `depth`.
    | ReturnedTo of depth: int

/// One executed instruction.
type Event =
    {
        /// 0 for the first instruction.
        Index: int64
        Pc: uint64
        Bits: uint32
        Length: int
        Decoded: Decoded
        /// The registers the instruction wrote (x0 never), with their new values.
        RegWrites: (Reg * uint64) list
        Accesses: Access list
        /// Compute units consumed before and after (transactions only; raw mode has no metering).
        Cu: (uint64 * uint64) option
        Syscall: SyscallEvent option
        Frame: FrameEvent option
        /// An instruction that was paid for and then trapped (transactions: it counts as executed).
        Trap: Trap option
        /// The call depth the instruction ran at (1 at the top level and in raw mode).
        Depth: int
    }

/// The register an instruction writes, if any (x0 counts as none).
let destination (i: Instr) : Reg option =
    let rd =
        match i with
        | LUI(rd, _)
        | AUIPC(rd, _)
        | JAL(rd, _)
        | JALR(rd, _, _)
        | Load(_, rd, _, _)
        | OpImm(_, rd, _, _)
        | ShiftImm(_, rd, _, _)
        | Op(_, rd, _, _)
        | Unary(_, rd, _) -> rd
        | Branch _
        | Store _
        | FENCE _
        | ECALL
        | EBREAK -> 0

    if rd = 0 then None else Some rd

/// The 32-bit meaning of a decoded instruction.
let meaning (d: Decoded) : Instr option =
    match d with
    | Full i -> Some i
    | Compressed c -> Some(Expand.expand c)
    | Illegal _ -> None

/// The load or store a retired instruction made, read off the state before it: the address from
/// the registers, the loaded value from the memory (a pure read), the stored value from rs2.
let access (port: Execute.MemoryPort<'m>) (hart: Hart) (mem: 'm) (i: Instr) : Access list =
    let x r = Registers.get hart.Regs r
    let mask size = if size = 8 then System.UInt64.MaxValue else (1UL <<< (8 * size)) - 1UL

    match i with
    | Load(op, _, rs1, imm) ->
        let size = fst (Semantics.loadWidth op)
        let addr = x rs1 + uint64 imm

        match port.Load mem addr size with
        | Ok v -> [ { Write = false; Address = addr; Size = size; Value = v } ]
        | Error _ -> []
    | Store(op, rs1, rs2, imm) ->
        let size = Semantics.storeWidth op
        [ { Write = true; Address = x rs1 + uint64 imm; Size = size; Value = x rs2 &&& mask size } ]
    | _ -> []

/// The registers that differ between two register files, in register order.
let changedRegisters (before: Registers) (after: Registers) : (Reg * uint64) list =
    [ for r in 1..31 do
          let v = Registers.get after r
          if Registers.get before r <> v then r, v ]

// ---------------------------------------------------------------------------------------
// Raw mode.
// ---------------------------------------------------------------------------------------

/// How a raw step executes a fetched instruction: Execute.run under a profile, or a variant of it
/// (the conformance kit's deliberately wrong adapters).
type RawStep = Execute.Fetched -> Hart -> Raw.FlatMemory -> Execute.Step<Raw.FlatMemory>

/// A raw run with its trace: the same stop, hart, count and memory as Raw.runFrom, and one event
/// per retired instruction.
type RawTrace =
    { Result: Raw.RunResult
      Events: Event list }

/// Run `step` from `hart` for at most `maxSteps` instructions, recording every retired one. The
/// loop is Raw.runFold's: stop at the limit, a failed fetch, ecall, ebreak or a trap.
let rawWith (step: RawStep) (maxSteps: int64) (hart: Hart) (mem: Raw.FlatMemory) : RawTrace =
    let port = Raw.FlatMemory.port

    let stop reason hart mem n events =
        { Result = { Stop = reason; Hart = hart; Instructions = n; Memory = mem }
          Events = List.rev events }

    let rec loop hart mem n events =
        if n >= maxSteps then
            stop Raw.StoppedAtLimit hart mem n events
        else
            match Execute.fetch port mem hart.Pc with
            | Error trap -> stop (Raw.StoppedByFault trap) hart mem n events
            | Ok fetched ->
                match step fetched hart mem with
                | Execute.Retired(hart', mem') ->
                    let i = meaning fetched.Decoded

                    let event =
                        { Index = n
                          Pc = hart.Pc
                          Bits = fetched.Bits
                          Length = fetched.Length
                          Decoded = fetched.Decoded
                          RegWrites = i |> Option.bind destination |> Option.map (fun rd -> rd, Registers.get hart'.Regs rd) |> Option.toList
                          Accesses = i |> Option.map (access port hart mem) |> Option.defaultValue []
                          Cu = None
                          Syscall = None
                          Frame = None
                          Trap = None
                          Depth = 1 }

                    loop hart' mem' (n + 1L) (event :: events)
                | Execute.EnvironmentCall -> stop Raw.StoppedAtEcall hart mem n events
                | Execute.Trapped Breakpoint -> stop Raw.StoppedAtEbreak hart mem n events
                | Execute.Trapped trap -> stop (Raw.StoppedByFault trap) hart mem n events

    loop hart mem 0L []

/// The model's raw step under a profile.
let rawStep (profile: Decisions.Profile) : RawStep =
    fun fetched hart mem -> Execute.run profile Raw.FlatMemory.port fetched hart mem

/// Load an image at `baseAddress`, start from `hart`, and run with a trace.
let raw (profile: Decisions.Profile) (image: byte[]) (baseAddress: uint64) (maxSteps: int64) (hart: Hart) : Result<RawTrace, Raw.LoadError> =
    Raw.load image baseAddress |> Result.map (rawWith (rawStep profile) maxSteps hart)

// ---------------------------------------------------------------------------------------
// Transactions.
// ---------------------------------------------------------------------------------------

/// The event of one transaction step, read off the states before and after it; None when the step
/// executed nothing (a failed fetch, an illegal encoding, or a budget that could not pay).
let private txnEvent (before: Vm) (result: Run.StepResult) : Event option =
    let after, ending =
        match result with
        | Run.Next vm -> vm, None
        | Run.Ended(vm, e) -> vm, Some e

    if after.Instructions = before.Instructions then
        None
    else
        match Execute.fetch Space.port before.Space before.Hart.Pc with
        | Error _ -> None
        | Ok fetched ->
            let i = meaning fetched.Decoded
            let isEcall = i = Some ECALL
            let depthBefore, depthAfter = Vm.depth before, Vm.depth after

            let trap =
                match ending with
                | Some(Faulted(t, _)) when not isEcall -> Some t
                | _ -> None

            let frame =
                if depthAfter > depthBefore then Some(Invoked(Vm.programIdx after, depthAfter))
                elif depthAfter < depthBefore && ending.IsNone then Some(ReturnedTo depthAfter)
                else None

            let syscall =
                if not isEcall then
                    None
                else
                    let outcome =
                        match ending, frame with
                        | Some e, _ -> EndedExecution e
                        | None, Some(Invoked _) -> EnteredCallee
                        | None, Some(ReturnedTo _) -> ReturnedToCaller
                        | None, None -> Returned(Vm.reg after Reg.a0, Vm.reg after Reg.a1)

                    Some
                        { Number = Vm.reg before Reg.a7
                          Args = [ for k in 0..6 -> Vm.arg before k ]
                          Outcome = outcome }

            let regWrites =
                match trap, ending with
                | Some _, _ -> []
                | None, Some _ when not isEcall -> []
                | _ when isEcall -> changedRegisters before.Hart.Regs after.Hart.Regs
                | _ -> i |> Option.bind destination |> Option.map (fun rd -> rd, Vm.reg after rd) |> Option.toList

            let accesses =
                match trap, i with
                | None, Some i when not isEcall -> access Space.port before.Hart before.Space i
                | _ -> []

            Some
                { Index = before.Instructions
                  Pc = before.Hart.Pc
                  Bits = fetched.Bits
                  Length = fetched.Length
                  Decoded = fetched.Decoded
                  RegWrites = regWrites
                  Accesses = accesses
                  Cu = Some(before.ComputeUsed, after.ComputeUsed)
                  Syscall = syscall
                  Frame = frame
                  Trap = trap
                  Depth = depthBefore }

/// A runner for Execution.executeWith that runs `step` to the end and records every executed
/// instruction.
let txnRunner (step: Vm -> Run.StepResult) (vm0: Vm) : (Vm * Ending) * Event list =
    let rec loop vm events =
        let result = step vm
        let events = match txnEvent vm result with Some e -> e :: events | None -> events

        match result with
        | Run.Next vm' -> loop vm' events
        | Run.Ended(vm', ending) -> (vm', ending), List.rev events

    loop vm0 []

/// Execute a transaction with `step` (Run.step, or a variant of it), with its trace (empty when the
/// program never ran).
let txnWith (step: Vm -> Run.StepResult) (env: Execution.Environment) (wire: byte[]) : Execution.TxnResult * Event list =
    let result, events = Execution.executeWith (txnRunner step) env wire
    result, Option.defaultValue [] events

/// Execute a transaction with its trace.
let txn (env: Execution.Environment) (wire: byte[]) : Execution.TxnResult * Event list = txnWith Run.step env wire
