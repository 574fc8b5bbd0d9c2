/// `thru demo`: the main job of `make demo`. Disassembles a small embedded RV64 program, runs it
/// in raw mode on the model and on Unicorn and shows that they agree; then checks a straight-line
/// Zba/Zbb/Zknh sequence on the model against qemu-user.
module Thru.Cli.DemoCommand

open Thru.Model
open Thru.Model.Isa
open Thru.Compare

let private baseAddress = 0x8000_0000UL

/// Fibonacci(10) in a compressed loop, a store/load round trip through memory addressed
/// pc-relatively, and a few M instructions; ends with ecall.
let private program: Decoded list =
    [ Compressed(C_LI(10, 10)) //            a0 = n = 10
      Compressed(C_LI(11, 0)) //             a1 = fib(0)
      Compressed(C_LI(12, 1)) //             a2 = fib(1)
      Full(Op(ADD, 13, 11, 12)) //  loop:    a3 = a1 + a2
      Compressed(C_MV(11, 12)) //            a1 = a2
      Compressed(C_MV(12, 13)) //            a2 = a3
      Compressed(C_ADDI(10, -1)) //          n -= 1
      Compressed(C_BNEZ(10, -10L)) //        until n = 0   (a1 = fib(10) = 55)
      Full(AUIPC(5, 1u)) //                  t0 = 0x80000012 + 0x1000
      Full(Store(SD, 5, 11, -0x12L)) //      *(base + 0x1000) = a1   (8-byte aligned)
      Full(Load(LD, 14, 5, -0x12L)) //       a4 = *(base + 0x1000)
      Full(Op(MUL, 15, 14, 14)) //           a5 = 55 * 55
      Full(OpImm(ADDI, 16, 0, 7L)) //        a6 = 7
      Full(Op(DIVU, 17, 15, 16)) //          a7 = 3025 / 7
      Full(Op(REMU, 6, 15, 16)) //           t1 = 3025 % 7
      Full ECALL ]

let private image = program |> List.collect (fun d -> List.ofArray (Encode.toBytes d).Value) |> Array.ofList

let private regLine (r: int) (a: uint64) (b: uint64) =
    sprintf "  %-4s %s  %s  %s" (Reg.name r) (Hex.u64 a) (Hex.u64 b) (if a = b then "=" else "DIFFERENT")

let private rawPart () =
    printfn "1. An RV64IMC program (%d bytes), disassembled by the model:\n" image.Length

    for line in Disasm.listing baseAddress image do
        printfn "  %x:  %-30s" line.Address line.Text

    let model = (Raw.run Decisions.Profile.defaults image baseAddress 10_000L |> Result.toOption).Value |> RawObservation.ofModel
    let unicorn = RawObservation.ofUnicorn (Thru.Interop.UnicornRaw.Run(image, baseAddress, 10_000L))
    printfn "\n   Run in raw mode (all registers 0, pc = 0x%x, 16 MiB of memory):\n" baseAddress
    printfn "  %-4s %-18s  %-18s" "" "model" "unicorn"
    printfn "  stop %-18s  %-18s" model.Stop unicorn.Stop
    printfn "  pc   %s  %s" (Hex.u64 model.Pc) (Hex.u64 unicorn.Pc)
    printfn "  n    %-18d  %-18d" model.Instructions unicorn.Instructions

    for r in [ 5; 6; 10; 11; 12; 13; 14; 15; 16; 17 ] do
        printfn "%s" (regLine r model.Regs[r] unicorn.Regs[r])

    let differences = RawObservation.differences model unicorn

    if differences.IsEmpty then
        printfn "\n   The model and Unicorn agree on all 32 registers, the pc, the stop and the count."
    else
        differences |> List.iter (printfn "   difference: %s")

    differences.IsEmpty

let private qemuPart () =
    let code =
        [ Full(Op(SH1ADD, 12, 10, 11)); Full(Unary(CLZ, 13, 10)); Full(Unary(REV8, 14, 11))
          Full(Unary(SHA256SUM0, 15, 10)); Full(Unary(SHA512SIG1, 16, 11)); Full(ShiftImm(BSETI, 17, 0, 63)) ]

    let regs = Array.init 32 (fun i -> if i = 10 then 0x6a09_e667UL elif i = 11 then 0x0123_4567_89ab_cdefUL else 0UL)
    let bytes = code |> List.collect (fun d -> List.ofArray (Encode.toBytes d).Value) |> Array.ofList
    let withEcall = Array.append bytes (Encode.toBytes (Full ECALL)).Value
    let mem = (Raw.load withEcall baseAddress |> Result.toOption).Value
    let model = Raw.runFrom Decisions.Profile.defaults 100L { Pc = baseAddress; Regs = Registers.ofArray regs } mem
    let modelRegs = Registers.toArray model.Hart.Regs
    printfn "\n2. Zba, Zbb, Zbs and Zknh (which Unicorn cannot decode), checked on qemu-user:\n"
    code |> List.iter (fun d -> printfn "  %s" (Disasm.decoded None 0u 4 d))

    match Thru.Interop.QemuOracle().Run([| Thru.Interop.QemuCase(regs, bytes) |])[0] with
    | :? Thru.Interop.QemuOutcome.Completed as c ->
        printfn "\n  %-4s %-18s  %-18s" "" "model" "qemu-user"

        for r in [ 10..17 ] do
            printfn "%s" (regLine r modelRegs[r] c.Regs[r])

        let agree = [ 1..30 ] |> List.forall (fun r -> modelRegs[r] = c.Regs[r])
        printfn "\n   %s" (if agree then "The model and qemu-user agree on x1..x30." else "The model and qemu-user DISAGREE.")
        agree
    | other ->
        printfn "  qemu-user did not complete: %A" other
        false

let run () : int =
    let ok1 = rawPart ()
    let ok2 = qemuPart ()
    if ok1 && ok2 then 0 else 1
