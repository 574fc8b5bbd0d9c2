/// The debug target: what the gdb stub, the source-level reports and the profiler need from an
/// implementation (the model or the engine), and nothing more. An implementation steps one
/// instruction at a time, tells what each step did (pc, bits, units consumed, syscall), reads the
/// registers and reads memory through the Thru address space; a fault of such a read is a value
/// (the bytes read before it and the reason), never an exception.
///
/// `resume` builds continue, single-step, breakpoints, syscall catching and interruption on top
/// of `Step`, once for every implementation.
module Thru.Cli.Debug.Target

open Thru.Model.Isa

/// How execution ended, in words every implementation maps to.
type Ending =
    /// A successful end: the top-level program's exit (code), or raw mode's ecall (a0).
    | Exit of code: uint64
    /// exit with revert ≠ 0: the transaction reverts.
    | Revert of code: uint64 * programIdx: int
    /// A load, store or fetch refused (the text names the violation, access and address).
    | MemoryFault of text: string * misaligned: bool
    /// Bits that are not an instruction ThruVM executes.
    | IllegalInstruction of text: string
    /// ebreak: a fault for a transaction (SIGILL), the stop of a raw run.
    | Ebreak
    /// An ecall with a7 above 0x0F.
    | UnknownSyscall of number: uint64
    /// The compute-unit budget could not pay.
    | ComputeExhausted
    /// The state-unit budget could not pay.
    | StateExhausted
    /// Raw mode's step limit.
    | StepLimit

module Ending =
    /// The ending in words, as `thrumodel run` and gdb's console show it.
    let describe (e: Ending) =
        match e with
        | Exit code -> sprintf "exit with code %d" code
        | Revert(code, idx) -> sprintf "revert with code %d (0x%x) by account %d" code code idx
        | MemoryFault(text, _) -> sprintf "memory fault: %s" text
        | IllegalInstruction text -> sprintf "fault: %s" text
        | Ebreak -> "ebreak"
        | UnknownSyscall n -> sprintf "unknown syscall %d (0x%x)" n n
        | ComputeExhausted -> "compute units exhausted"
        | StateExhausted -> "state units exhausted"
        | StepLimit -> "step limit reached"

/// What one step did: the instruction at Pc (Bits and Length 0 when it could not be fetched), the
/// program and call depth that ran it, the syscall when it is an ecall (a7), the instructions and
/// units it consumed (the instruction with its syscall; memory units are growth of the peak of pages).
type StepEvent =
    { Pc: uint64
      Bits: uint32
      Length: int
      ProgramIdx: int
      Depth: int
      Syscall: uint64 option
      /// Instructions the step executed and was charged for (0 for one that could not be paid for
      /// or fetched, or is not an instruction).
      Instructions: int64
      ComputeUnits: uint64
      StateUnits: uint64
      MemoryUnits: uint64 }

/// The outcome of one step.
type StepOutcome =
    /// Execution goes on at the target's new pc.
    | Continues of StepEvent
    /// Execution ended at this step. For a fault or an exhaustion, the registers and pc stay those
    /// of the instruction that could not complete.
    | Ends of StepEvent * Ending

/// A frame of the Thru shadow stack: a program at a call depth, its pc and its registers (for a
/// caller: the pc of its invoke ecall and its registers saved there). Innermost first.
type ProgramFrame =
    { ProgramIdx: int
      Depth: int
      Pc: uint64
      Registers: uint64[] }

/// What was consumed so far.
type Consumed =
    { ComputeUnits: uint64
      StateUnits: uint64
      MemoryUnits: uint64
      Instructions: int64 }

/// A program being debugged, on one implementation.
type IDebugTarget =
    /// "model" or "engine".
    abstract Implementation: string
    /// Register x0..x31 (x0 = 0).
    abstract Registers: unit -> uint64[]
    abstract Pc: uint64
    /// Set register 1..31, or the pc (32). Error when the target cannot.
    abstract SetRegister: index: int * value: uint64 -> Result<unit, string>
    /// Up to `count` bytes from `address` through the address space, as loads see them: every byte
    /// up to the first that cannot be read, and why that one cannot (None when all could).
    abstract Read: address: uint64 * count: int -> byte[] * string option
    /// Execute one instruction (with its syscall). After an ending, it keeps returning that ending.
    abstract Step: unit -> StepOutcome
    /// The ending, once execution has ended.
    abstract Ended: Ending option
    /// The shadow stack's frames, innermost first (one frame unless programs invoked others).
    abstract Frames: unit -> ProgramFrame list
    /// The program segment (the executable after its header) of the program account `idx`.
    abstract ProgramSegment: idx: int -> byte[] option
    abstract Consumed: Consumed

/// Whether `bits` is the ecall instruction.
let isEcall (bits: uint32) = bits = 0x00000073u

/// The 32-bit (or 16-bit) instruction at the target's pc, when readable.
let fetchAt (t: IDebugTarget) (pc: uint64) : (uint32 * int) option =
    match t.Read(pc, 2) with
    | low, None when low.Length = 2 ->
        let p = uint16 low[0] ||| (uint16 low[1] <<< 8)

        if not (Decode.isLongParcel p) then
            Some(uint32 p, 2)
        else
            match t.Read(pc + 2UL, 2) with
            | high, None when high.Length = 2 -> Some((uint32 (uint16 high[0] ||| (uint16 high[1] <<< 8)) <<< 16) ||| uint32 p, 4)
            | _ -> None
    | _ -> None

/// The text of an instruction (GNU syntax), from its bits and length.
let disassemble (pc: uint64) (bits: uint32) (length: int) =
    match length with
    | 2 -> Disasm.decoded (Some pc) bits 2 (Decode.decode16 (uint16 bits))
    | 4 -> Disasm.decoded (Some pc) bits 4 (Decode.decode (uint16 bits) (uint16 (bits >>> 16)))
    | _ -> "(not fetched)"

/// How to resume.
type Mode =
    | SingleStep
    | Continue

/// Why a resumed target stopped.
type Stop =
    /// One instruction done (single step).
    | Stepped
    /// At a breakpoint (its instruction not yet executed).
    | AtBreakpoint
    /// About to execute an ecall (syscall catching): the number in a7.
    | SyscallEntry of number: uint64
    /// The debugger asked to stop.
    | Interrupted
    /// Execution is ending at this instruction (fault, revert, exhaustion): it can still be
    /// inspected; resuming again ends the run.
    | Ending of Ending
    /// The run is over.
    | Over of Ending

/// What a debugger keeps between resumptions.
type Session =
    { Target: IDebugTarget
      mutable Breakpoints: Set<uint64>
      /// None: syscalls are not caught; Some set: those numbers (every syscall when empty).
      mutable CatchSyscalls: Set<uint64> option
      /// The pending ending has been reported as a stop already.
      mutable EndingReported: bool
      /// The syscall entry at the current pc has been reported already.
      mutable EntryReported: bool }

module Session =
    let create (t: IDebugTarget) =
        { Target = t
          Breakpoints = Set.empty
          CatchSyscalls = None
          EndingReported = false
          EntryReported = false }

    let private catches (s: Session) (n: uint64) =
        match s.CatchSyscalls with
        | Some set -> set.IsEmpty || set.Contains n
        | None -> false

    /// Resume until a stop: one instruction (SingleStep), or until a breakpoint, the entry of a
    /// caught syscall, an ending or an interruption (Continue). `interrupted` is polled every 4096 instructions;
    /// `observe` sees every step. The breakpoint at the pc resumed from is not hit again (gdb steps
    /// over its own breakpoints; a plain continue from one must go on).
    let resume (s: Session) (mode: Mode) (interrupted: unit -> bool) (observe: StepOutcome -> unit) : Stop =
        let t = s.Target

        let rec loop (first: bool) (count: int) =
            match t.Ended with
            | Some e when s.EndingReported -> Over e
            | Some(Exit _ as e) ->
                s.EndingReported <- true
                Over e
            | Some e ->
                s.EndingReported <- true
                Ending e
            | None ->
                let pc = t.Pc
                let ecall = s.CatchSyscalls.IsSome && (fetchAt t pc |> Option.exists (fst >> isEcall))
                let number = if ecall then t.Registers().[17] else 0UL

                if not first && s.Breakpoints.Contains pc then
                    AtBreakpoint
                elif ecall && not s.EntryReported && catches s number then
                    s.EntryReported <- true
                    SyscallEntry number
                elif count > 0 && count % 4096 = 0 && interrupted () then
                    Interrupted
                else
                    s.EntryReported <- false
                    let outcome = t.Step()
                    observe outcome

                    match outcome with
                    | Ends _ -> loop false (count + 1)
                    | Continues _ when mode = SingleStep -> Stepped
                    | Continues _ -> loop false (count + 1)

        loop true 0

    /// Run to the end with no debugger, `observe` seeing every step.
    let runToEnd (t: IDebugTarget) (observe: StepOutcome -> unit) : Ending =
        let rec loop () =
            match t.Ended with
            | Some e -> e
            | None ->
                let outcome = t.Step()
                observe outcome
                loop ()

        loop ()
