/// The debug target on the model: a transaction's VM stepped by `Run.step`, or a raw run stepped
/// by `Raw.step`. The model's states are immutable; the target only holds the current one (and
/// the ending), so each step is the model's own step, unchanged.
module Thru.Cli.Debug.ModelTarget

open Thru.Model
open Thru.Model.Isa
open Thru.Model.Memory
open Thru.Model.Runtime
open Thru.Compare
open Thru.Cli.Debug.Target

/// Read `count` bytes one at a time through a load function; stop at the first refused byte.
let private readWith (load: uint64 -> Result<uint64, AccessFault>) (address: uint64) (count: int) : byte[] * string option =
    let bytes = ResizeArray<byte>()
    let mutable problem = None
    let mutable i = 0

    while problem.IsNone && i < count do
        match load (address + uint64 i) with
        | Ok v ->
            bytes.Add(byte v)
            i <- i + 1
        | Error f -> problem <- Some(TxnObservation.describeTrap (Trap.MemoryFault f))

    bytes.ToArray(), problem

let private endingOfTrap (trap: Trap) =
    match trap with
    | Trap.MemoryFault f -> MemoryFault(TxnObservation.describeTrap trap, f.Violation = AlignmentViolation)
    | Trap.IllegalInstruction _ -> IllegalInstruction(TxnObservation.describeTrap trap)
    | Trap.Breakpoint -> Ebreak

let private endingOf (e: Vm.Ending) : Ending =
    match e with
    | Vm.Exited code -> Exit code
    | Vm.Reverted(code, idx) -> Revert(code, idx)
    | Vm.Faulted(trap, _) -> endingOfTrap trap
    | Vm.UnknownSyscall(n, _) -> UnknownSyscall n
    | Vm.ComputeExhausted _ -> ComputeExhausted
    | Vm.StateExhausted _ -> StateExhausted

/// A transaction on the model, from its first instruction (`Execution.start`).
type TransactionTarget(env: Execution.Environment, started: Execution.Started) =
    let mutable vm = started.Vm
    let mutable ending: (Vm.Vm * Vm.Ending) option = None

    let load (addr: uint64) = Space.load vm.Space addr 1

    /// The VM as it stands.
    member _.Vm = vm

    /// The transaction's result (as `Execution.execute` gives it) once execution has ended.
    member _.Result: Execution.TxnResult option = ending |> Option.map (Execution.finish env started)

    interface IDebugTarget with
        member _.Implementation = "model"
        member _.Registers() = Registers.toArray vm.Hart.Regs
        member _.Pc = vm.Hart.Pc

        member _.SetRegister(index, value) =
            if ending.IsSome then Error "the run has ended"
            elif index = 32 then (vm <- { vm with Hart = { vm.Hart with Pc = value } }; Ok())
            elif index >= 1 && index < 32 then (vm <- { vm with Hart = { vm.Hart with Regs = Registers.set vm.Hart.Regs index value } }; Ok())
            else Error(sprintf "register %d cannot be written" index)

        member _.Read(address, count) = readWith load address count

        member _.Step() =
            match ending with
            | Some(v, e) ->
                Ends(
                    { Pc = v.Hart.Pc; Bits = 0u; Length = 0; ProgramIdx = Vm.Vm.programIdx v; Depth = Vm.Vm.depth v; Syscall = None; Instructions = 0L; ComputeUnits = 0UL; StateUnits = 0UL; MemoryUnits = 0UL },
                    endingOf e
                )
            | None ->
                let before = vm

                let bits, length =
                    match Execute.fetch Space.port before.Space before.Hart.Pc with
                    | Ok f -> f.Bits, f.Length
                    | Error _ -> 0u, 0

                let event (after: Vm.Vm) =
                    { Pc = before.Hart.Pc
                      Bits = bits
                      Length = length
                      ProgramIdx = Vm.Vm.programIdx before
                      Depth = Vm.Vm.depth before
                      Syscall = (if isEcall bits then Some(Vm.Vm.reg before Reg.a7) else None)
                      Instructions = after.Instructions - before.Instructions
                      ComputeUnits = after.ComputeUsed - before.ComputeUsed
                      StateUnits = after.StateUsed - before.StateUsed
                      MemoryUnits = uint64 (after.Space.Pool.Peak - before.Space.Pool.Peak) }

                match Run.step before with
                | Run.Next next ->
                    vm <- next
                    Continues(event next)
                | Run.Ended(last, e) ->
                    vm <- last
                    ending <- Some(last, e)
                    Ends(event last, endingOf e)

        member _.Ended = ending |> Option.map (snd >> endingOf)

        member _.Frames() =
            // The running frame, then each caller at the ecall of its invoke (ReturnPc - 4), with the
            // registers saved in its shadow frame.
            let frames = List.rev vm.Space.Shadow.Frames

            let current =
                { ProgramIdx = Vm.Vm.programIdx vm
                  Depth = Vm.Vm.depth vm
                  Pc = vm.Hart.Pc
                  Registers = Registers.toArray vm.Hart.Regs }

            let callers =
                List.zip (List.tail frames |> List.truncate vm.Returns.Length) (vm.Returns |> List.truncate (frames.Length - 1))
                |> List.mapi (fun i (f, back) ->
                    { ProgramIdx = int f.ProgramAccIdx
                      Depth = Vm.Vm.depth vm - 1 - i
                      Pc = back.ReturnPc - 4UL
                      Registers = Array.copy f.SavedRegs })

            current :: callers

        member _.ProgramSegment idx =
            if idx = Vm.Vm.programIdx vm then
                Some vm.Space.Program
            elif idx >= 0 && idx < vm.Space.Accounts.Length then
                let a = vm.Space.Accounts[idx]
                let data = Paged.Overlay.toArray a.Data (Space.AccountState.dataSize a)
                if data.Length > Executable.headerSize then Some data[Executable.headerSize ..] else None
            else
                None

        member _.Consumed =
            { ComputeUnits = vm.ComputeUsed
              StateUnits = vm.StateUsed
              MemoryUnits = uint64 vm.Space.Pool.Peak
              Instructions = vm.Instructions }

/// A raw run on the model (`thrumodel raw`), from `pc` (an ELF's entry point, else the base) with
/// every register zero.
type RawTarget(profile: Decisions.Profile, memory: Raw.FlatMemory, maxSteps: int64, pc: uint64) =
    let mutable hart = Hart.at pc
    let mutable mem = memory
    let mutable count = 0L
    let mutable stop: Raw.Stop option = None

    let load (addr: uint64) = Raw.FlatMemory.load mem addr 1

    let endingOf (s: Raw.Stop) =
        match s with
        | Raw.StoppedAtEcall -> Exit(Registers.get hart.Regs Reg.a0)
        | Raw.StoppedAtEbreak -> Ebreak
        | Raw.StoppedByFault trap -> endingOfTrap trap
        | Raw.StoppedAtLimit -> StepLimit

    /// A raw run from the base.
    new(profile: Decisions.Profile, memory: Raw.FlatMemory, maxSteps: int64) = RawTarget(profile, memory, maxSteps, memory.Base)

    /// The run's result (as `Raw.run` gives it) once it has stopped.
    member _.Result: Raw.RunResult option =
        stop |> Option.map (fun s -> { Stop = s; Hart = hart; Instructions = count; Memory = mem })

    interface IDebugTarget with
        member _.Implementation = "model"
        member _.Registers() = Registers.toArray hart.Regs
        member _.Pc = hart.Pc

        member _.SetRegister(index, value) =
            if stop.IsSome then Error "the run has ended"
            elif index = 32 then (hart <- { hart with Pc = value }; Ok())
            elif index >= 1 && index < 32 then (hart <- { hart with Regs = Registers.set hart.Regs index value }; Ok())
            else Error(sprintf "register %d cannot be written" index)

        member _.Read(address, count) = readWith load address count

        member this.Step() =
            let event bits length retired =
                { Pc = hart.Pc; Bits = bits; Length = length; ProgramIdx = 0; Depth = 1; Syscall = None; Instructions = retired; ComputeUnits = 0UL; StateUnits = 0UL; MemoryUnits = 0UL }

            match stop with
            | Some s -> Ends(event 0u 0 0L, endingOf s)
            | None when count >= maxSteps ->
                stop <- Some Raw.StoppedAtLimit
                Ends(event 0u 0 0L, StepLimit)
            | None ->
                match Raw.step profile hart mem with
                | Raw.Continued(fetched, hart', mem') ->
                    let e = event fetched.Bits fetched.Length 1L
                    hart <- hart'
                    mem <- mem'
                    count <- count + 1L
                    Continues e
                | Raw.Stopped s ->
                    let bits, length =
                        match Execute.fetch Raw.FlatMemory.port mem hart.Pc with
                        | Ok f -> f.Bits, f.Length
                        | Error _ -> 0u, 0

                    stop <- Some s
                    Ends(event bits length 0L, endingOf s)

        member _.Ended = stop |> Option.map endingOf

        member _.Frames() =
            [ { ProgramIdx = 0; Depth = 1; Pc = hart.Pc; Registers = Registers.toArray hart.Regs } ]

        member _.ProgramSegment _ = None

        member _.Consumed =
            { ComputeUnits = 0UL
              StateUnits = 0UL
              MemoryUnits = 0UL
              Instructions = count }
