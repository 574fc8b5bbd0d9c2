/// The disassembler: a golden listing of a fixed program, and a cross-check against the GNU
/// assembler (an independent implementation): the text we print, assembled by
/// riscv64-unknown-elf-as, must give back exactly the bytes we encoded.
module Thru.Tests.Isa.DisasmTests

open System
open System.IO
open Expecto
open Thru.Tests.Support
open FsCheck.FSharp
open Thru.Model.Isa
open Thru.Conform.Gen.Generators
open Thru.Tests.Generators

let private goldenDir = Path.Combine(AppContext.BaseDirectory, "Golden")

/// A fixed program touching every instruction family (hand-picked, encoded by the model).
let fixedProgram: Decoded list =
    [ Compressed(C_LI(10, 10)); Compressed(C_ADDI16SP -32); Full(LUI(5, 0x80001u)); Full(AUIPC(6, 0xFFFFFu))
      Full(OpImm(ADDI, 7, 5, -1L)); Full(Op(MULHSU, 11, 12, 13)); Full(Op(SH2ADD_UW, 14, 15, 16))
      Full(ShiftImm(RORIW, 17, 18, 31)); Full(Unary(SHA512SIG1, 19, 20)); Full(Op(CLMULR, 21, 22, 23))
      Full(Load(LWU, 24, 2, 8L)); Full(Store(SD, 2, 25, -8L)); Compressed(C_SDSP(1, 504)); Compressed(C_LW(8, 9, 124))
      Full(Branch(BGEU, 10, 11, -16L)); Compressed(C_BNEZ(15, 254)); Full(JAL(1, 2048L)); Full(JALR(0, 1, 0L))
      Compressed(C_JR 1); Full(FENCE(0, 15, 15, 0, 0)); Full(FENCE(8, 3, 3, 0, 0)); Compressed(C_NOP 0)
      Full ECALL; Compressed C_EBREAK ]

let private bytesOf (program: Decoded list) = program |> List.collect (Encode.toBytes >> Option.get >> List.ofArray) |> Array.ofList

/// Assemble `lines` with GNU as and return the bytes of .text.
let private assemble (lines: string list) : byte[] =
    let dir = Directory.CreateTempSubdirectory "thru-gas"

    try
        let src = Path.Combine(dir.FullName, "t.s")
        let obj = Path.Combine(dir.FullName, "t.o")
        let bin = Path.Combine(dir.FullName, "t.bin")
        File.WriteAllLines(src, ".option norelax" :: lines)

        let run (exe: string) (args: string) =
            use p = System.Diagnostics.Process.Start(System.Diagnostics.ProcessStartInfo(exe, args, RedirectStandardError = true))
            let err = p.StandardError.ReadToEnd()
            p.WaitForExit()
            if p.ExitCode <> 0 then failtest (sprintf "%s failed: %s" exe err)

        run "riscv64-unknown-elf-as" (sprintf "-march=rv64imc_zba_zbb_zbc_zbs_zknh -o %s %s" obj src)
        run "riscv64-unknown-elf-objcopy" (sprintf "-O binary -j .text %s %s" obj bin)
        File.ReadAllBytes bin
    finally
        dir.Delete true

/// Instructions GNU as 2.40 cannot take back from text: HINT forms it refuses to assemble, and
/// fences with reserved fields (printed as .insn, which it assembles but that proves nothing).
let private assemblable (d: Decoded) =
    match d with
    | Compressed(C_NOP imm) -> imm = 0
    | Compressed(C_LI(0, _) | C_LUI(0, _) | C_MV(0, _) | C_ADD(0, _) | C_SLLI(0, _)) -> false
    | Compressed(C_ADDI(_, 0) | C_SLLI(_, 0) | C_SRLI(_, 0) | C_SRAI(_, 0)) -> false
    | Full(FENCE(fm, _, _, rd, rs1)) -> fm = 0 && rd = 0 && rs1 = 0
    | _ -> true

[<Tests>]
let tests =
    testList "Isa.DisasmTests" [
        testCase "the disassembly of a fixed program matches the golden listing" <| fun () ->
            let lines =
                Disasm.listing 0x3000000UL (bytesOf fixedProgram)
                |> List.map (fun l -> sprintf "%08x  %s" l.Address l.Text)

            let golden = File.ReadAllText(Path.Combine(goldenDir, "fixed-program.dis")).TrimEnd()
            Expect.equal (String.concat "\n" lines) golden "String.concat \"\\n\" lines"

        testCase "GNU as assembles our disassembly of 20000 random instructions back to our encoding" <| fun () ->
            let program =
                sampleSeeded 2024UL 20000 (Gen.oneof [ Gen.map Full genInstr; Gen.map Compressed genCInstr ])
                |> Array.filter assemblable
                |> List.ofArray

            let text = program |> List.map (fun d -> Disasm.decoded None 0u 0 d)
            // GNU as compresses eligible 32-bit instructions under `.option rvc`; switch it per line so
            // every instruction is assembled at the width we printed.
            let source =
                List.zip program text
                |> List.collect (fun (d, t) ->
                    match d with
                    | Compressed _ -> [ ".option rvc"; t ]
                    | _ -> [ ".option norvc"; t ])
            let expected = bytesOf program
            let actual = assemble source

            if actual <> expected then
                // Find the first instruction that differs, to name it.
                let rec first offset (items: (Decoded * string) list) =
                    match items with
                    | [] -> "lengths differ"
                    | (d, t) :: rest ->
                        let b = (Encode.toBytes d).Value
                        if actual.Length < offset + b.Length || actual[offset .. offset + b.Length - 1] <> b then
                            sprintf "first difference at '%s' (%A)" t d
                        else first (offset + b.Length) rest

                failtest (first 0 (List.zip program text))
    ]
