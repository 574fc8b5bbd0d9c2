/// The debug target on the engine (Thru.Engine): a transaction or a raw run stepped through the
/// engine's traced run (engine/Debug/Trace.cs, TraceSession.Step: one instruction, an ecall with
/// its syscall), with the views of engine/Debug/TraceInspection.cs (units so far, shadow-stack
/// frames, program segments, register writes). The engine's own run, never the model's: the
/// report, the profile and gdb see what the engine did.
///
/// What a step did is read around `TraceSession.Step`: the pc, depth, program and a7 before it,
/// the instruction the observer saw retire (or, for an instruction that could not complete, its
/// bits read through the address space, as the model's fetch gives them), and the units consumed
/// by the difference of the totals before and after.
module Thru.Cli.Debug.EngineTarget

open System
open Thru.Engine
open Thru.Engine.Debug
open Thru.Cli.Debug.Target

/// Whether the engine's debug target exists.
let available = true

/// Records the last retired instruction and the ending of a traced run.
type private Recorder() =
    inherit TraceObserver()
    member val Last: TracedInstruction option = None with get, set
    member val End: TraceEnd option = None with get, set
    override this.Retired(i: inref<TracedInstruction>) = this.Last <- Some i
    override this.Ended(e: inref<TraceEnd>) = this.End <- Some e

/// A read through a session: every byte up to the first refused one, and why that one is refused
/// (worded as the model words a refused one-byte load).
let private read (session: TraceSession) (address: uint64) (count: int) : byte[] * string option =
    let r = session.ReadMemory(address, max count 0)

    if r.Ok then
        r.Bytes, None
    else
        r.Bytes, Some(sprintf "%s read 1 @0x%x" (FaultNames.Name r.Fault) r.FaultAddress)

/// The bits and length of the instruction at `pc`, read through the session (0, 0 when unreadable).
let private bitsAt (session: TraceSession) (pc: uint64) : uint32 * int =
    let low = session.ReadMemory(pc, 2)

    if not low.Ok then
        0u, 0
    elif low.Bytes[0] &&& 3uy <> 3uy then
        uint32 (BitConverter.ToUInt16(low.Bytes, 0)), 2
    else
        let all = session.ReadMemory(pc, 4)
        if all.Ok then BitConverter.ToUInt32(all.Bytes, 0), 4 else 0u, 0

/// The bits of the step that just ran: the retired instruction, or (none retired: the run ended
/// at it) the instruction at `pc` unless the ending is a failed fetch.
let private stepBits (recorder: Recorder) (session: TraceSession) (pc: uint64) (fetchFailed: bool) =
    match recorder.Last with
    | Some i when i.Pc = pc -> i.Bits, i.Length
    | _ when fetchFailed -> 0u, 0
    | _ -> bitsAt session pc

let private endingOfFault (f: EngineFault) : Ending =
    match f.Kind with
    | EngineFaultKind.IllegalInstruction -> IllegalInstruction(f.Describe())
    | EngineFaultKind.Breakpoint -> Ebreak
    | EngineFaultKind.UnknownSyscall -> UnknownSyscall f.SyscallNumber
    | _ -> MemoryFault(f.Describe(), (f.Violation = FaultKind.AlignmentViolation))

let private isFetchFault (f: EngineFault) =
    not (isNull (box f)) && f.Kind = EngineFaultKind.MemoryFault && f.Access = Access.Fetch

/// A transaction on the engine, from its first instruction. Create it only for a transaction that
/// executes (`Refused` tells); dispose it to free the run's memory.
type TransactionTarget(env: EngineEnvironment, wire: byte[]) =
    let recorder = Recorder()
    let session = new TransactionTrace(recorder, env, ReadOnlySpan wire)
    let mutable ending: Ending option = None

    let endingOf (r: EngineResult) (reason: string) : Ending =
        match reason with
        | "Exited" -> Exit r.UserErrorCode
        | "Reverted" -> Revert(r.UserErrorCode, (if r.ErrorProgramAccIdx.HasValue then r.ErrorProgramAccIdx.Value else session.ProgramIndex))
        | "ComputeExhausted" -> ComputeExhausted
        | "StateExhausted" -> StateExhausted
        | _ when not (isNull r.Fault) -> endingOfFault r.Fault
        | other -> failwithf "the engine's traced run ended with %s and no fault (a bug)" other

    let registers () = Array.init 32 session.GetRegister

    /// The result of a transaction refused before execution (nothing to step), else None.
    member _.Refused: EngineResult option = if session.IsEnded && recorder.End.IsNone then Option.ofObj session.Result else None

    /// The engine's result (equal to the untraced execution's) once execution has ended.
    member _.Result: EngineResult option = if ending.IsSome then Option.ofObj session.Result else None

    interface IDisposable with
        member _.Dispose() = session.Dispose()

    interface IDebugTarget with
        member _.Implementation = "engine"
        member _.Registers() = registers ()
        member _.Pc = session.Pc

        member _.SetRegister(index, value) =
            if ending.IsSome then Error "the run has ended"
            elif index = 32 then (session.SetPc value; Ok())
            elif index >= 1 && index < 32 then (session.SetRegister(index, value); Ok())
            else Error(sprintf "register %d cannot be written" index)

        member _.Read(address, count) = read session address count

        member _.Step() =
            match ending with
            | Some e ->
                Ends(
                    { Pc = session.Pc; Bits = 0u; Length = 0; ProgramIdx = session.ProgramIndex; Depth = session.Depth; Syscall = None; Instructions = 0L; ComputeUnits = 0UL; StateUnits = 0UL; MemoryUnits = 0UL },
                    e
                )
            | None ->
                let pc = session.Pc
                let depth = session.Depth
                let idx = session.ProgramIndex
                let a7 = session.GetRegister 17
                let cu, su, mu, n = session.Units, session.StateUnits, session.MemoryUnits, session.Instructions
                recorder.Last <- None
                let status = session.Step()

                let result = if status = TraceStatus.Ended then Option.ofObj session.Result else None
                let fetchFailed = result |> Option.exists (fun r -> isFetchFault r.Fault)
                let bits, length = stepBits recorder session pc fetchFailed

                let event =
                    { Pc = pc
                      Bits = bits
                      Length = length
                      ProgramIdx = idx
                      Depth = depth
                      Syscall = (if isEcall bits then Some a7 else None)
                      Instructions = session.Instructions - n
                      ComputeUnits = session.Units - cu
                      StateUnits = session.StateUnits - su
                      MemoryUnits = session.MemoryUnits - mu }

                match result, recorder.End with
                | Some r, Some e ->
                    let en = endingOf r e.Reason
                    ending <- Some en
                    Ends(event, en)
                | _ when status = TraceStatus.Ended -> failwith "the engine's traced run ended without a result (a bug)"
                | _ -> Continues event

        member _.Ended = ending

        member _.Frames() =
            [ for f in session.Frames() ->
                  { ProgramIdx = f.ProgramIndex
                    Depth = f.Depth
                    Pc = f.Pc
                    Registers = f.Registers } ]

        member _.ProgramSegment idx = session.ProgramSegment idx |> Option.ofObj

        member _.Consumed =
            { ComputeUnits = session.Units
              StateUnits = session.StateUnits
              MemoryUnits = session.MemoryUnits
              Instructions = session.Instructions }

/// A raw run on the engine (`thrumodel raw --engine engine`), from `pc` with every register zero.
/// Dispose it to free the run's memory.
type RawTarget(image: byte[], baseAddress: uint64, maxSteps: int64, pc: uint64) =
    let recorder = Recorder()
    let session = new RawTrace(recorder, ReadOnlySpan image, baseAddress, maxSteps, ReadOnlySpan(Array.zeroCreate<uint64> 32), pc)
    let mutable ending: Ending option = None

    let endingOf (r: RawResult) : Ending =
        match r.Stop with
        | "ecall" -> Exit r.Regs[10]
        | "ebreak" -> Ebreak
        | "limit" -> StepLimit
        | _ ->
            match session.Fault with
            | null -> failwithf "the engine's raw run stopped with %s and no fault (a bug)" r.Stop
            | f -> endingOfFault f

    /// The engine's result (equal to the untraced run's) once the run has stopped.
    member _.Result: RawResult option = if ending.IsSome then Option.ofObj session.Result else None

    interface IDisposable with
        member _.Dispose() = session.Dispose()

    interface IDebugTarget with
        member _.Implementation = "engine"
        member _.Registers() = Array.init 32 session.GetRegister
        member _.Pc = session.Pc

        member _.SetRegister(index, value) =
            if ending.IsSome then Error "the run has ended"
            elif index = 32 then (session.SetPc value; Ok())
            elif index >= 1 && index < 32 then (session.SetRegister(index, value); Ok())
            else Error(sprintf "register %d cannot be written" index)

        member _.Read(address, count) = read session address count

        member _.Step() =
            let event pc bits length retired =
                { Pc = pc; Bits = bits; Length = length; ProgramIdx = 0; Depth = 1; Syscall = None; Instructions = retired; ComputeUnits = 0UL; StateUnits = 0UL; MemoryUnits = 0UL }

            match ending with
            | Some e -> Ends(event session.Pc 0u 0 0L, e)
            | None ->
                let pc = session.Pc
                let before = session.Units
                recorder.Last <- None
                let status = session.Step()
                let retired = int64 (session.Units - before)

                if status = TraceStatus.Ended then
                    let r = session.Result
                    let en = endingOf r
                    // The model fetches nothing at a step limit or a failed fetch.
                    let unfetched = r.Stop = "limit" || isFetchFault session.Fault
                    let bits, length = stepBits recorder session pc unfetched
                    ending <- Some en
                    Ends(event pc bits length retired, en)
                else
                    let bits, length = stepBits recorder session pc false
                    Continues(event pc bits length retired)

        member _.Ended = ending

        member _.Frames() =
            [ { ProgramIdx = 0; Depth = 1; Pc = session.Pc; Registers = Array.init 32 session.GetRegister } ]

        member _.ProgramSegment _ = None

        member _.Consumed =
            { ComputeUnits = 0UL
              StateUnits = 0UL
              MemoryUnits = 0UL
              Instructions = int64 session.Units }
