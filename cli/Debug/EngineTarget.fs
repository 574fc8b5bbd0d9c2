/// The debug target on the engine (Thru.Engine): NOT AVAILABLE YET.
///
/// The engine's traced single-step API (engine/Debug/: an observer per retired instruction with
/// pc, bits, register writes, memory accesses, CU before/after, syscall entry/result and
/// invoke/exit frames; a run that stops at an instruction boundary and resumes; memory readable
/// through the address space) is being written separately. Until it lands, `--gdb` and
/// `--profile` with `--engine engine` end with one line and exit code 2, and a source report on
/// the engine names the faulting function and line from the final pc only (no call stack, no
/// last instructions).
///
/// What an implementation over that API must provide is `Target.IDebugTarget`, exactly as
/// ModelTarget.TransactionTarget does for the model:
///   - Registers / Pc / SetRegister: the engine's registers at the current instruction boundary.
///   - Read(address, count): bytes through the Thru address space as loads see them (every
///     segment), stopping at the first refused byte with the fault in words (as
///     TxnObservation.describeTrap words it), never throwing.
///   - Step(): run exactly one instruction (an ecall with its syscall) and return a StepEvent: pc,
///     bits, length, program account index, call depth, a7 for an ecall, and the compute, state
///     and memory units the step consumed (memory units = growth of the peak of pool pages), or
///     Ends(event, ending) when execution ended at this step, with the registers and pc left at the
///     instruction that could not complete (faults, exhaustion) or at the exit ecall.
///   - Ended: the ending, mapped to Target.Ending.
///   - Frames(): the shadow stack, innermost first; for each caller the pc of its invoke ecall and
///     the registers saved in its shadow frame (the invoke/exit frame events give both).
///   - ProgramSegment(idx): program account idx's executable after its 8-byte header.
///   - Consumed: the totals so far.
///   - Result: the engine's TransactionResult once ended, for TxnObservation.ofEngine.
/// Then `available` becomes true, `create` builds it, and DebugRun's engine branches use it (they
/// already pass the target to the same stub, report and profiler). Tests to extend: the gdb test
/// and the profile/report tests of tests/Thru.Tests/Debug run on the model; add the engine to
/// their lists.
module Thru.Cli.Debug.EngineTarget

/// Whether the engine's debug target exists yet.
let available = false

/// The one-line message for a debug option asked of the engine.
let notAvailable (option: string) =
    sprintf "%s with --engine engine: not available yet (the engine's traced single-step API is pending); use --engine model" option
