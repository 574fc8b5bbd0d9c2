/// FsCheck generators of the corpus and of the test suite (which adds its seeds and Arbitrary
/// instances in tests/Thru.Tests/Generators.fs): every instruction form with its fields in their
/// architectural ranges, and edge-biased register values.
module Thru.Conform.Gen.Generators

open FsCheck
open FsCheck.FSharp
open Microsoft.FSharp.Reflection
open Thru.Model.Isa

/// Every case of a union whose cases carry no data (the operation enumerations).
let allCases<'T> () : 'T list =
    FSharpType.GetUnionCases typeof<'T> |> Array.map (fun c -> FSharpValue.MakeUnion(c, [||]) :?> 'T) |> List.ofArray

let reg = Gen.choose (0, 31)
/// A register of the compressed set x8..x15.
let creg = Gen.choose (8, 15)
let nonZeroReg = Gen.choose (1, 31)
let imm12 = Gen.choose (-2048, 2047) |> Gen.map int64
let even lo hi = Gen.choose (lo / 2, hi / 2) |> Gen.map (fun v -> int64 (v * 2))
let multipleOf k lo hi = Gen.choose (lo / k, hi / k) |> Gen.map (fun v -> v * k)
let signed6 = Gen.choose (-32, 31)
let nonZero g = g |> Gen.filter (fun v -> v <> 0)

let genInstr: Gen<Instr> =
    let shift =
        gen {
            let! op = Gen.elements (allCases<ShiftImmOp> ())
            let! rd = reg
            let! rs1 = reg

            let! shamt =
                match op with
                | SLLIW
                | SRLIW
                | SRAIW
                | RORIW -> Gen.choose (0, 31)
                | _ -> Gen.choose (0, 63)

            return ShiftImm(op, rd, rs1, shamt)
        }

    Gen.oneof
        [ Gen.map2 (fun rd i -> LUI(rd, uint32 i)) reg (Gen.choose (0, 0xFFFFF))
          Gen.map2 (fun rd i -> AUIPC(rd, uint32 i)) reg (Gen.choose (0, 0xFFFFF))
          Gen.map2 (fun rd o -> JAL(rd, o)) reg (even -1048576 1048574)
          Gen.map3 (fun rd rs1 i -> JALR(rd, rs1, i)) reg reg imm12
          Gen.map4 (fun op a b o -> Branch(op, a, b, o)) (Gen.elements (allCases ())) reg reg (even -4096 4094)
          Gen.map4 (fun op rd rs1 i -> Load(op, rd, rs1, i)) (Gen.elements (allCases ())) reg reg imm12
          Gen.map4 (fun op rs1 rs2 i -> Store(op, rs1, rs2, i)) (Gen.elements (allCases ())) reg reg imm12
          Gen.map4 (fun op rd rs1 i -> OpImm(op, rd, rs1, i)) (Gen.elements (allCases ())) reg reg imm12
          shift
          Gen.map4 (fun op rd rs1 rs2 -> Op(op, rd, rs1, rs2)) (Gen.elements (allCases ())) reg reg reg
          Gen.map3 (fun op rd rs1 -> Unary(op, rd, rs1)) (Gen.elements (allCases ())) reg reg
          gen {
              let! fm = Gen.choose (0, 15)
              let! pred = Gen.choose (0, 15)
              let! succ = Gen.choose (0, 15)
              let! rd = reg
              let! rs1 = reg
              return FENCE(fm, pred, succ, rd, rs1)
          }
          Gen.constant ECALL
          Gen.constant EBREAK ]

let genCInstr: Gen<CInstr> =
    let rr f = Gen.map2 (fun a b -> f (a, b)) creg creg

    Gen.oneof
        [ Gen.map2 (fun rd i -> C_ADDI4SPN(rd, i)) creg (multipleOf 4 4 1020)
          Gen.map3 (fun rd rs1 i -> C_LW(rd, rs1, i)) creg creg (multipleOf 4 0 124)
          Gen.map3 (fun rd rs1 i -> C_LD(rd, rs1, i)) creg creg (multipleOf 8 0 248)
          Gen.map3 (fun rs1 rs2 i -> C_SW(rs1, rs2, i)) creg creg (multipleOf 4 0 124)
          Gen.map3 (fun rs1 rs2 i -> C_SD(rs1, rs2, i)) creg creg (multipleOf 8 0 248)
          Gen.map C_NOP signed6
          Gen.map2 (fun rd i -> C_ADDI(rd, i)) nonZeroReg signed6
          Gen.map2 (fun rd i -> C_ADDIW(rd, i)) nonZeroReg signed6
          Gen.map2 (fun rd i -> C_LI(rd, i)) reg signed6
          Gen.map C_ADDI16SP (nonZero (multipleOf 16 -512 496))
          Gen.map2 (fun rd i -> C_LUI(rd, i)) (reg |> Gen.filter (fun r -> r <> 2)) (nonZero signed6)
          Gen.map2 (fun rd s -> C_SRLI(rd, s)) creg (Gen.choose (0, 63))
          Gen.map2 (fun rd s -> C_SRAI(rd, s)) creg (Gen.choose (0, 63))
          Gen.map2 (fun rd i -> C_ANDI(rd, i)) creg signed6
          rr C_SUB
          rr C_XOR
          rr C_OR
          rr C_AND
          rr C_SUBW
          rr C_ADDW
          Gen.map C_J (even -2048 2046)
          Gen.map2 (fun rs1 o -> C_BEQZ(rs1, o)) creg (even -256 254)
          Gen.map2 (fun rs1 o -> C_BNEZ(rs1, o)) creg (even -256 254)
          Gen.map2 (fun rd s -> C_SLLI(rd, s)) reg (Gen.choose (0, 63))
          Gen.map2 (fun rd i -> C_LWSP(rd, i)) nonZeroReg (multipleOf 4 0 252)
          Gen.map2 (fun rd i -> C_LDSP(rd, i)) nonZeroReg (multipleOf 8 0 504)
          Gen.map C_JR nonZeroReg
          Gen.map2 (fun rd rs2 -> C_MV(rd, rs2)) reg nonZeroReg
          Gen.constant C_EBREAK
          Gen.map C_JALR nonZeroReg
          Gen.map2 (fun rd rs2 -> C_ADD(rd, rs2)) reg nonZeroReg
          Gen.map2 (fun rs2 i -> C_SWSP(rs2, i)) reg (multipleOf 4 0 252)
          Gen.map2 (fun rs2 i -> C_SDSP(rs2, i)) reg (multipleOf 8 0 504) ]

/// Any 32-bit integer, independent of FsCheck's size parameter.
let anyInt = Gen.choose (System.Int32.MinValue, System.Int32.MaxValue)

/// `n` values of a generator from a fixed seed: the same values on every run.
let sampleSeeded (seed: uint64) (n: int) (g: Gen<'T>) : 'T[] = Gen.sampleWithSeed (FsCheck.Rnd(seed, 0x9E3779B97F4A7C15UL)) 50 n g

/// Register values biased toward the edges: 0, ±1, the 32- and 64-bit extremes, single
/// bits, shift amounts 0/31/32/63, small numbers, and anything at all.
let edgeValue: Gen<uint64> =
    let edges =
        [ 0UL; 1UL; System.UInt64.MaxValue; 0x7FFF_FFFF_FFFF_FFFFUL; 0x8000_0000_0000_0000UL
          0x7FFF_FFFFUL; 0x8000_0000UL; 0xFFFF_FFFFUL; 0xFFFF_FFFF_8000_0000UL; 0xFFFF_FFFF_7FFF_FFFFUL
          31UL; 32UL; 63UL; 64UL; 2UL; 0x8000_0000_0000_0001UL ]

    Gen.frequency
        [ 4, Gen.elements edges
          2, Gen.choose (0, 63) |> Gen.map (fun b -> 1UL <<< b)
          1, Gen.choose (0, 63) |> Gen.map (fun b -> ~~~(1UL <<< b))
          2, Gen.choose (-64, 64) |> Gen.map uint64
          3, Gen.map2 (fun (a: int) (b: int) -> (uint64 (uint32 a) <<< 32) ||| uint64 (uint32 b)) anyInt anyInt ]
