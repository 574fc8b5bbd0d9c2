/// The execution loop: fetch, pay, execute, and hand ecalls to the syscalls.
/// Decision D-CU-CHARGE: an instruction is paid before it executes (4 CU for 32 bits, 2 for 16,
/// plus 1 per byte loaded or stored). When the remaining budget cannot pay, execution stops with
/// SIGCU before the instruction, and the whole budget counts as consumed. A paid instruction that
/// then faults keeps its charge. Encodings that are not instructions, and fetches that fail, are
/// never paid for. The ecall instruction is paid like any other (D-ECALL-CU); its syscall then
/// pays its own cost.
module Thru.Model.Runtime.Run

open Thru.Model
open Thru.Model.Isa
open Thru.Model.Memory
open Thru.Model.Runtime.Vm

/// What one step of the loop leads to.
type StepResult =
    /// The instruction (and its syscall, for an ecall) completed: the next state.
    | Next of Vm
    /// Execution ended: the last state and why.
    | Ended of Vm * Ending

/// One step: fetch the instruction at the pc, pay for it, execute it, and for an ecall run the
/// syscall a7 names. The unit a debugger single-steps and a tracer observes; `run` repeats it.
let step (vm: Vm) : StepResult =
    let stopWith trap = Ended(vm, Faulted(trap, Vm.programIdx vm))

    match Execute.fetch Space.port vm.Space vm.Hart.Pc with
    | Error trap -> stopWith trap
    | Ok fetched ->
        match fetched.Decoded with
        | Illegal reason -> stopWith (IllegalInstruction(fetched.Bits, reason))
        | decoded ->
            match Vm.charge (Execute.cost decoded) vm with
            | Error(vm, ending) -> Ended(vm, ending)
            | Ok vm ->
                let vm = { vm with Instructions = vm.Instructions + 1L }

                match Execute.run vm.Ctx.Profile Space.port fetched vm.Hart vm.Space with
                | Execute.Retired(hart, space) -> Next { vm with Hart = hart; Space = space }
                | Execute.Trapped trap -> Ended(vm, Faulted(trap, Vm.programIdx vm))
                | Execute.EnvironmentCall ->
                    match Syscalls.dispatch vm with
                    | Syscalls.Continue vm -> Next vm
                    | Syscalls.Stop(vm, ending) -> Ended(vm, ending)

/// Run with `step` until the transaction's execution ends. Returns the last state and why it ended.
let rec runWith (step: Vm -> StepResult) (vm: Vm) : Vm * Ending =
    match step vm with
    | Next vm -> runWith step vm
    | Ended(vm, ending) -> vm, ending

/// Run until the transaction's execution ends. Returns the last state and why it ended.
let run (vm: Vm) : Vm * Ending = runWith step vm
