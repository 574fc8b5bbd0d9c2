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

/// Run until the transaction's execution ends. Returns the last state and why it ended.
let rec run (vm: Vm) : Vm * Ending =
    let stopWith trap = vm, Faulted(trap, Vm.programIdx vm)

    match Execute.fetch Space.port vm.Space vm.Hart.Pc with
    | Error trap -> stopWith trap
    | Ok fetched ->
        match fetched.Decoded with
        | Illegal reason -> stopWith (IllegalInstruction(fetched.Bits, reason))
        | decoded ->
            match Vm.charge (Execute.cost decoded) vm with
            | Error(vm, ending) -> vm, ending
            | Ok vm ->
                let vm = { vm with Instructions = vm.Instructions + 1L }

                match Execute.run vm.Ctx.Profile Space.port fetched vm.Hart vm.Space with
                | Execute.Retired(hart, space) -> run { vm with Hart = hart; Space = space }
                | Execute.Trapped trap -> vm, Faulted(trap, Vm.programIdx vm)
                | Execute.EnvironmentCall ->
                    match Syscalls.dispatch vm with
                    | Syscalls.Continue vm -> run vm
                    | Syscalls.Stop(vm, ending) -> vm, ending
