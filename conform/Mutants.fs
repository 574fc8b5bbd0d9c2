/// Deliberately wrong engines, to show that the runner catches bugs (`thrumodel serve --engine model
/// --mutant NAME`): the model with one small change in its step. Each mutant wraps the model's step
/// (Trace.rawStep, Run.step), so its observations and traces are exactly what an engine with that
/// bug would produce, and the runner must report the first difference at the mutated instruction.
module Thru.Conform.Mutants

open Thru.Model
open Thru.Model.Isa
open Thru.Model.Memory
open Thru.Model.Runtime
open Thru.Compare

/// Whether a fetched instruction is xor or c.xor, and its destination.
let private xorDestination (d: Decoded) =
    match Trace.meaning d with
    | Some(Op(XOR, rd, _, _)) when rd <> 0 -> Some rd
    | _ -> None

let private flipBit0 (hart: Hart) (rd: Reg) =
    { hart with Regs = Registers.set hart.Regs rd (Registers.get hart.Regs rd ^^^ 1UL) }

/// xor-flip-bit0: every xor (and c.xor) writes its result with bit 0 flipped.
let xorFlip: Adapters.ModelVariant =
    let profile = Decisions.Profile.defaults
    let raw = Trace.rawStep profile

    { Profile = profile
      RawStep =
        fun fetched hart mem ->
            match raw fetched hart mem, xorDestination fetched.Decoded with
            | Execute.Retired(h, m), Some rd -> Execute.Retired(flipBit0 h rd, m)
            | other, _ -> other
      TxnStep =
        fun vm ->
            let rd =
                match Execute.fetch Space.port vm.Space vm.Hart.Pc with
                | Ok f -> xorDestination f.Decoded
                | Error _ -> None

            match Run.step vm, rd with
            | Run.Next vm', Some rd when vm'.Instructions = vm.Instructions + 1L -> Run.Next { vm' with Hart = flipBit0 vm'.Hart rd }
            | other, _ -> other }

/// log-cu-off-by-one: the log syscall charges one compute unit more than it should (when the budget
/// has one left).
let logCu: Adapters.ModelVariant =
    { Adapters.defaultModel with
        TxnStep =
            fun vm ->
                let isLog =
                    Vm.Vm.reg vm Reg.a7 = Codes.SyscallNumber.log
                    && (match Execute.fetch Space.port vm.Space vm.Hart.Pc with
                        | Ok f -> f.Decoded = Full ECALL
                        | Error _ -> false)

                match Run.step vm with
                | Run.Next vm' when isLog && vm'.ComputeUsed < vm'.Ctx.ComputeBudget -> Run.Next { vm' with ComputeUsed = vm'.ComputeUsed + 1UL }
                | other -> other }

/// The mutants by name.
let all: (string * string * Adapters.ModelVariant) list =
    [ "xor-flip-bit0", "every xor writes its result with bit 0 flipped", xorFlip
      "log-cu-off-by-one", "the log syscall charges one compute unit too many", logCu ]

let tryFind (name: string) = all |> List.tryFind (fun (n, _, _) -> n = name) |> Option.map (fun (_, _, v) -> v)
