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

/// The outcome of one step of the transaction's VM.
type Step =
    /// One instruction retired (an ecall together with its syscall): the next state.
    | Stepped of Vm
    /// Execution ended at this step: the last state and why.
    | Ended of Vm * Ending

/// One step: fetch the instruction at pc, pay for it, execute it, and run its syscall when it is
/// an ecall. The unit a debugger single-steps; `run` repeats it until execution ends.
let step (vm: Vm) : Step =
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
                | Execute.Retired(hart, space) -> Stepped { vm with Hart = hart; Space = space }
                | Execute.Trapped trap -> Ended(vm, Faulted(trap, Vm.programIdx vm))
                | Execute.EnvironmentCall ->
                    match Syscalls.dispatch vm with
                    | Syscalls.Continue vm -> Stepped vm
                    | Syscalls.Stop(vm, ending) -> Ended(vm, ending)

/// Run until the transaction's execution ends. Returns the last state and why it ended.
let rec run (vm: Vm) : Vm * Ending =
    match step vm with
    | Stepped vm -> run vm
    | Ended(vm, ending) -> vm, ending
