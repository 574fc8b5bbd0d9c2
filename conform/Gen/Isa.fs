/// Curated raw fixtures for the ISA: every mnemonic (32-bit and compressed) with edge operands:
/// register values at the 32- and 64-bit extremes (0, ±1, the signed minimum and maximum, all ones
/// in the low word, single bits, shift amounts) and immediates at the ends of their fields; branches
/// taken and not taken, jumps to the farthest targets, loads of sign-extending patterns, stores
/// read back, and encodings ThruVM refuses. Each program is the instruction under test, then ecall;
/// a1 (x11) and a2 (x12) hold the source operands and a0 (x10) receives the result.
module Thru.Conform.Gen.Isa

open Thru.Model.Isa
open Thru.Compare.Conformance

let baseAddress = 0x8000_0000UL

/// Where the data of load and store fixtures lives (from the base): 0x200 bytes of patterns.
let dataOffset = 0x400

/// The data patterns: bytes 0x00..0xFF then sign-extension patterns.
let private data =
    Array.concat
        [ Array.init 256 byte
          Array.create 8 0x80uy
          Array.create 8 0x7Fuy
          Array.create 8 0xFFuy
          [| 0x01uy; 0x80uy; 0x00uy; 0x80uy; 0xFFuy; 0x7Fuy; 0x00uy; 0x80uy |] ]

/// Source-operand pairs at the edges.
let edgePairs: (uint64 * uint64) list =
    [ 0UL, 0UL
      1UL, System.UInt64.MaxValue
      0x8000_0000_0000_0000UL, System.UInt64.MaxValue
      0x7FFF_FFFF_FFFF_FFFFUL, 1UL
      0x7FFF_FFFFUL, 0x8000_0000UL
      0xFFFF_FFFFUL, 31UL
      0xFFFF_FFFF_8000_0000UL, 63UL
      0x8000_0000_0000_0000UL, 0x8000_0000_0000_0000UL
      System.UInt64.MaxValue, 32UL
      0x0123_4567_89AB_CDEFUL, 0xFEDC_BA98_7654_3210UL ]

/// The edge values of one operand.
let edgeValues = edgePairs |> List.collect (fun (a, b) -> [ a; b ]) |> List.distinct

let private enc (ds: Decoded list) = ds |> List.map (fun d -> (Encode.toBytes d).Value) |> Array.concat

/// A raw input: the code at the base, the data patterns at dataOffset, and the registers.
let private input (code: byte[]) (regs: (int * uint64) list) (maxSteps: int64) : RawInput =
    // The data patterns only when a register points at them (loads and stores).
    let needsData = regs |> List.exists (fun (_, v) -> v >= baseAddress + uint64 dataOffset - 4096UL && v < baseAddress + uint64 dataOffset + 4096UL)
    let image = Array.zeroCreate<byte> (if needsData then dataOffset + data.Length else code.Length)
    code.CopyTo(image, 0)
    if needsData then data.CopyTo(image, dataOffset)
    let r = Array.zeroCreate<uint64> 32

    for k, v in regs do
        r[k] <- v

    { Base = baseAddress; MaxSteps = maxSteps; Image = image; Regs = r; Isa = [] }

let private ecallD = Full ECALL
let private a0, a1, a2, a3 = 10, 11, 12, 13
let private dataAt (k: int) = baseAddress + uint64 dataOffset + uint64 k

/// One case: a name (unique within the mnemonic) and its input.
type IsaCase = { Mnemonic: string; Name: string; Input: RawInput }

let private case m name code regs = { Mnemonic = m; Name = name; Input = input code regs 16L }

let private cases<'T> () = Thru.Conform.Gen.Generators.allCases<'T> ()

let private name (d: Decoded) = Disasm.mnemonic d

/// Register-register operations: every edge pair, and rd = rs1 (aliasing) and rd = x0 once.
let private regOp (op: RegOp) =
    let m = name (Full(Op(op, 0, 0, 0)))

    [ for k, (x, y) in List.indexed edgePairs -> case m (sprintf "pair%d" k) (enc [ Full(Op(op, a0, a1, a2)); ecallD ]) [ a1, x; a2, y ] ]
    @ [ case m "rd=rs1" (enc [ Full(Op(op, a1, a1, a2)); ecallD ]) [ a1, 0x8000_0000_0000_0001UL; a2, 0xFFFF_FFFF_FFFF_FFFEUL ]
        case m "rd=x0" (enc [ Full(Op(op, 0, a1, a2)); ecallD ]) [ a1, 5UL; a2, 7UL ] ]

let private immOp (op: ImmOp) =
    let m = name (Full(OpImm(op, 0, 0, 0L)))

    let values = [ 0UL; System.UInt64.MaxValue; 0x8000_0000_0000_0000UL; 0x7FFF_FFFFUL; 0x7FF_FFFF_FFFF_F800UL ]

    [ for i, imm in List.indexed [ -2048L; -1L; 0L; 1L; 2047L ] do
          for k in [ i; (i + 2) % values.Length ] do
              case m (sprintf "imm%d-v%d" imm k) (enc [ Full(OpImm(op, a0, a1, imm)); ecallD ]) [ a1, values[k] ] ]

let private shiftOp (op: ShiftImmOp) =
    let m = name (Full(ShiftImm(op, 0, 0, 0)))
    let word = match op with SLLIW | SRLIW | SRAIW | RORIW -> true | _ -> false
    let shamts = if word then [ 0; 1; 31 ] else [ 0; 1; 31; 32; 63 ]

    [ for s in shamts do
          for k, v in List.indexed [ System.UInt64.MaxValue; 0x8000_0000_0000_0000UL; 0x8000_0000UL; 0x0123_4567_89AB_CDEFUL ] do
              case m (sprintf "shamt%d-v%d" s k) (enc [ Full(ShiftImm(op, a0, a1, s)); ecallD ]) [ a1, v ] ]

let private unaryOp (op: UnaryOp) =
    let m = name (Full(Unary(op, 0, 0)))
    [ for k, v in List.indexed edgeValues -> case m (sprintf "v%d" k) (enc [ Full(Unary(op, a0, a1)); ecallD ]) [ a1, v ] ]

let private branch (op: BranchOp) =
    let m = name (Full(Branch(op, 0, 0, 0L)))
    // taken: skip the marker and stop with a0 = 0; not taken: a0 = 1.
    let body off = enc [ Full(Branch(op, a1, a2, off)); Full(OpImm(ADDI, a0, 0, 1L)); ecallD ]

    [ for k, (x, y) in List.indexed (edgePairs @ [ 1UL, 1UL; System.UInt64.MaxValue, 1UL; 1UL, System.UInt64.MaxValue ]) ->
          case m (sprintf "pair%d" k) (body 8L) [ a1, x; a2, y ] ]
    @ [ // The farthest targets, with operands that take every branch kind: equal for beq/bge/bgeu, else different.
        let x, y =
            match op with
            | BEQ | BGE | BGEU -> 3UL, 3UL
            | BNE | BLTU -> 1UL, 2UL
            | BLT -> System.UInt64.MaxValue, 0UL

        case m "offset-4096" (body -4096L) [ a1, x; a2, y ]
        case m "offset+4094" (body 4094L) [ a1, x; a2, y ] ]

let private load (op: LoadOp) =
    let m = name (Full(Load(op, 0, 0, 0L)))
    let size = fst (Semantics.loadWidth op)

    [ for imm in [ -2048L; 0L; 2040L ] do
          for k, off in List.indexed [ 0; 128; 256; 264; 272; 280 ] do
              let target = dataAt off
              case m (sprintf "imm%d-at%d" imm k) (enc [ Full(Load(op, a0, a1, imm)); ecallD ]) [ a1, target - uint64 imm ]
      // Misaligned (a fault, decision D-ALIGN) and out of the region (invalid address).
      if size > 1 then case m "misaligned" (enc [ Full(Load(op, a0, a1, 1L)); ecallD ]) [ a1, dataAt 0 ]
      case m "outside" (enc [ Full(Load(op, a0, a1, 0L)); ecallD ]) [ a1, baseAddress - 8UL ] ]

let private store (op: StoreOp) =
    let m = name (Full(Store(op, 0, 0, 0L)))
    let size = Semantics.storeWidth op
    // Store, then read the doubleword back into a3.
    let body imm = enc [ Full(Store(op, a1, a2, imm)); Full(Load(LD, a3, a1, imm)); ecallD ]

    [ for imm in [ -2048L; 0L; 2040L ] do
          for k, v in List.indexed [ System.UInt64.MaxValue; 0x8000_0000_0000_0000UL; 0x0123_4567_89AB_CDEFUL; 0UL ] do
              case m (sprintf "imm%d-v%d" imm k) (body imm) [ a1, dataAt 64 - uint64 imm; a2, v ]
      if size > 1 then case m "misaligned" (enc [ Full(Store(op, a1, a2, 1L)); ecallD ]) [ a1, dataAt 0; a2, 1UL ]
      case m "outside" (enc [ Full(Store(op, a1, a2, 0L)); ecallD ]) [ a1, baseAddress + 0x100_0000UL; a2, 1UL ] ]

let private upper () =
    [ for imm in [ 0u; 1u; 0x7FFFFu; 0x80000u; 0xFFFFFu ] do
          case "lui" (sprintf "imm%x" imm) (enc [ Full(LUI(a0, imm)); ecallD ]) []
          case "auipc" (sprintf "imm%x" imm) (enc [ Full(AUIPC(a0, imm)); ecallD ]) [] ]

let private jumps () =
    [ case "jal" "forward" (enc [ Full(JAL(1, 8L)); Full(OpImm(ADDI, a0, 0, 1L)); ecallD ]) []
      case "jal" "rd=x0" (enc [ Full(JAL(0, 8L)); Full(OpImm(ADDI, a0, 0, 1L)); ecallD ]) []
      case "jal" "offset-1048576" (enc [ Full(JAL(1, -1048576L)); ecallD ]) []
      case "jal" "offset+1048574" (enc [ Full(JAL(1, 1048574L)); ecallD ]) []
      case "jalr" "target" (enc [ Full(JALR(1, a1, 0L)); Full(OpImm(ADDI, a0, 0, 1L)); ecallD ]) [ a1, baseAddress + 8UL ]
      case "jalr" "odd-target-bit-cleared" (enc [ Full(JALR(1, a1, 0L)); Full(OpImm(ADDI, a0, 0, 1L)); ecallD ]) [ a1, baseAddress + 9UL ]
      case "jalr" "imm-2048" (enc [ Full(JALR(1, a1, -2048L)); Full(OpImm(ADDI, a0, 0, 1L)); ecallD ]) [ a1, baseAddress + 8UL + 2048UL ]
      case "jalr" "imm+2047" (enc [ Full(JALR(1, a1, 2047L)); Full(OpImm(ADDI, a0, 0, 1L)); ecallD ]) [ a1, baseAddress + 9UL - 2047UL - 1UL ]
      case "jalr" "rd=rs1" (enc [ Full(JALR(a1, a1, 0L)); Full(OpImm(ADDI, a0, 0, 1L)); ecallD ]) [ a1, baseAddress + 8UL ]
      case "jalr" "outside" (enc [ Full(JALR(1, a1, 0L)); ecallD ]) [ a1, System.UInt64.MaxValue ] ]

let private system () =
    [ { case "c.j" "step-limit" (enc [ Compressed(C_J 0L) ]) [] with Input = input (enc [ Compressed(C_J 0L) ]) [] 100L }
      case "fence" "iorw" (enc [ Full(FENCE(0, 15, 15, 0, 0)); ecallD ]) []
      case "fence" "tso" (enc [ Full(FENCE(8, 3, 3, 0, 0)); ecallD ]) []
      case "fence" "pause" (enc [ Full(FENCE(0, 1, 0, 0, 0)); ecallD ]) []
      case "fence" "reserved-fields" (enc [ Full(FENCE(15, 15, 15, a0, a1)); ecallD ]) []
      case "ecall" "stop" (enc [ ecallD ]) [ a0, 7UL ]
      case "ebreak" "stop" (enc [ Full EBREAK; ecallD ]) []
      case "c.ebreak" "stop" (enc [ Compressed C_EBREAK; ecallD ]) [] ]

/// Compressed instructions: their field extremes, with edge register values.
let private compressed () =
    let c m nm (ci: CInstr) regs = case m nm (enc [ Compressed ci; ecallD ]) regs
    let cr = [ 8; 9; 10; 11; 12; 13; 14; 15 ]
    ignore cr

    [ c "c.addi4spn" "min" (C_ADDI4SPN(a0, 4)) [ 2, 0x8000_0000_0000_0000UL ]
      c "c.addi4spn" "max" (C_ADDI4SPN(a0, 1020)) [ 2, System.UInt64.MaxValue ]
      c "c.lw" "max" (C_LW(a0, a1, 124)) [ a1, dataAt 272 - 124UL ]
      c "c.lw" "min" (C_LW(a0, a1, 0)) [ a1, dataAt 256 ]
      c "c.ld" "max" (C_LD(a0, a1, 248)) [ a1, dataAt 264 - 248UL ]
      c "c.ld" "min" (C_LD(a0, a1, 0)) [ a1, dataAt 280 ]
      case "c.sw" "max" (enc [ Compressed(C_SW(a1, a2, 124)); Full(Load(LD, a3, a1, 120L)); ecallD ]) [ a1, dataAt 0; a2, System.UInt64.MaxValue ]
      case "c.sw" "min" (enc [ Compressed(C_SW(a1, a2, 0)); Full(Load(LD, a3, a1, 0L)); ecallD ]) [ a1, dataAt 8; a2, 0x8000_0000UL ]
      case "c.sd" "max" (enc [ Compressed(C_SD(a1, a2, 248)); Full(Load(LD, a3, a1, 248L)); ecallD ]) [ a1, dataAt 0; a2, 0x8000_0000_0000_0000UL ]
      case "c.sd" "min" (enc [ Compressed(C_SD(a1, a2, 0)); Full(Load(LD, a3, a1, 0L)); ecallD ]) [ a1, dataAt 8; a2, System.UInt64.MaxValue ]
      c "c.nop" "nop" (C_NOP 0) []
      c "c.nop" "hint-min" (C_NOP -32) []
      c "c.nop" "hint-max" (C_NOP 31) []
      for imm in [ -32; -1; 1; 31 ] do
          for k, v in List.indexed [ System.UInt64.MaxValue; 0x7FFF_FFFF_FFFF_FFFFUL; 0x7FFF_FFFFUL; 0UL ] do
              c "c.addi" (sprintf "imm%d-v%d" imm k) (C_ADDI(a0, imm)) [ a0, v ]
              c "c.addiw" (sprintf "imm%d-v%d" imm k) (C_ADDIW(a0, imm)) [ a0, v ]
              c "c.andi" (sprintf "imm%d-v%d" imm k) (C_ANDI(a0, imm)) [ a0, v ]
      for imm in [ -32; 0; 31 ] do
          c "c.li" (sprintf "imm%d" imm) (C_LI(a0, imm)) []
      for imm in [ -32; -1; 1; 31 ] do
          c "c.lui" (sprintf "imm%d" imm) (C_LUI(a0, imm)) []
      for imm in [ -512; -16; 16; 496 ] do
          c "c.addi16sp" (sprintf "imm%d" imm) (C_ADDI16SP imm) [ 2, 0x8000_0000_0000_0000UL ]
      for s in [ 1; 31; 32; 63 ] do
          for k, v in List.indexed [ System.UInt64.MaxValue; 0x8000_0000_0000_0000UL; 0x8000_0000UL ] do
              c "c.srli" (sprintf "shamt%d-v%d" s k) (C_SRLI(a0, s)) [ a0, v ]
              c "c.srai" (sprintf "shamt%d-v%d" s k) (C_SRAI(a0, s)) [ a0, v ]
              c "c.slli" (sprintf "shamt%d-v%d" s k) (C_SLLI(a0, s)) [ a0, v ]
      for k, (x, y) in List.indexed edgePairs do
          c "c.sub" (sprintf "pair%d" k) (C_SUB(a0, a1)) [ a0, x; a1, y ]
          c "c.xor" (sprintf "pair%d" k) (C_XOR(a0, a1)) [ a0, x; a1, y ]
          c "c.or" (sprintf "pair%d" k) (C_OR(a0, a1)) [ a0, x; a1, y ]
          c "c.and" (sprintf "pair%d" k) (C_AND(a0, a1)) [ a0, x; a1, y ]
          c "c.subw" (sprintf "pair%d" k) (C_SUBW(a0, a1)) [ a0, x; a1, y ]
          c "c.addw" (sprintf "pair%d" k) (C_ADDW(a0, a1)) [ a0, x; a1, y ]
          c "c.add" (sprintf "pair%d" k) (C_ADD(a0, a1)) [ a0, x; a1, y ]
          c "c.mv" (sprintf "v%d" k) (C_MV(a0, a1)) [ a1, y ]
      case "c.j" "forward" (enc [ Compressed(C_J 6L); Full(OpImm(ADDI, a0, 0, 1L)); ecallD ]) []
      case "c.j" "offset-2048" (enc [ Compressed(C_J -2048L); ecallD ]) []
      case "c.j" "offset+2046" (enc [ Compressed(C_J 2046L); ecallD ]) []
      for z, op in [ true, "c.beqz"; false, "c.bnez" ] do
          for k, v in List.indexed [ 0UL; 1UL; System.UInt64.MaxValue; 0x8000_0000_0000_0000UL ] do
              let ci = if z then C_BEQZ(a0, 6L) else C_BNEZ(a0, 6L)
              case op (sprintf "v%d" k) (enc [ Compressed ci; Full(OpImm(ADDI, a1, 0, 1L)); ecallD ]) [ a0, v ]
          case op "offset-256" (enc [ Compressed(if z then C_BEQZ(a0, -256L) else C_BNEZ(a0, -256L)); ecallD ]) [ a0, (if z then 0UL else 1UL) ]
          case op "offset+254" (enc [ Compressed(if z then C_BEQZ(a0, 254L) else C_BNEZ(a0, 254L)); ecallD ]) [ a0, (if z then 0UL else 1UL) ]
      c "c.lwsp" "max" (C_LWSP(a0, 252)) [ 2, dataAt 272 - 252UL ]
      c "c.lwsp" "min" (C_LWSP(a0, 0)) [ 2, dataAt 256 ]
      c "c.ldsp" "max" (C_LDSP(a0, 504)) [ 2, dataAt 264 - 504UL ]
      c "c.ldsp" "min" (C_LDSP(a0, 0)) [ 2, dataAt 280 ]
      case "c.swsp" "max" (enc [ Compressed(C_SWSP(a1, 252)); Full(Load(LD, a3, 2, 248L)); ecallD ]) [ 2, dataAt 0; a1, System.UInt64.MaxValue ]
      case "c.swsp" "min" (enc [ Compressed(C_SWSP(a1, 0)); Full(Load(LD, a3, 2, 0L)); ecallD ]) [ 2, dataAt 8; a1, 0x8000_0000UL ]
      case "c.sdsp" "max" (enc [ Compressed(C_SDSP(a1, 504)); Full(Load(LD, a3, 2, 504L)); ecallD ]) [ 2, dataAt 0; a1, 0x8000_0000_0000_0000UL ]
      case "c.sdsp" "min" (enc [ Compressed(C_SDSP(a1, 0)); Full(Load(LD, a3, 2, 0L)); ecallD ]) [ 2, dataAt 8; a1, System.UInt64.MaxValue ]
      case "c.jr" "target" (enc [ Compressed(C_JR a1); Full(OpImm(ADDI, a0, 0, 1L)); ecallD ]) [ a1, baseAddress + 6UL ]
      case "c.jr" "odd-target" (enc [ Compressed(C_JR a1); ecallD ]) [ a1, baseAddress + 3UL ]
      case "c.jalr" "target" (enc [ Compressed(C_JALR a1); Full(OpImm(ADDI, a0, 0, 1L)); ecallD ]) [ a1, baseAddress + 6UL ]
      case "c.jalr" "rs1=ra" (enc [ Compressed(C_JALR 1); Full(OpImm(ADDI, a0, 0, 1L)); ecallD ]) [ 1, baseAddress + 6UL ]
      case "c.jr" "zero-target" (enc [ Compressed(C_JR a1); ecallD ]) [ a1, 0UL ]
      case "c.jalr" "all-ones-target" (enc [ Compressed(C_JALR a1); ecallD ]) [ a1, System.UInt64.MaxValue ] ]

/// Encodings ThruVM refuses (decision D-ILLEGAL): the zero parcel, reserved compressed forms,
/// and encodings of extensions ThruVM lacks (A, F/D, Zicsr, Zifencei, privileged).
let illegal () =
    [ "zero-parcel", [| 0x00uy; 0x00uy |]
      "c.addi4spn-0", [| 0x04uy; 0x00uy |]
      "c.lui-0", [| 0x01uy; 0x65uy |]
      "c.addiw-x0", [| 0x01uy; 0x20uy |]
      "c.ldsp-x0", [| 0x02uy; 0x60uy |]
      "c.jr-x0", [| 0x02uy; 0x80uy |]
      "all-ones", [| 0xFFuy; 0xFFuy; 0xFFuy; 0xFFuy |]
      "fld", [| 0x07uy; 0x35uy; 0x05uy; 0x00uy |]
      "c.fld", [| 0x08uy; 0x20uy |]
      "fence.i", [| 0x0Fuy; 0x10uy; 0x00uy; 0x00uy |]
      "csrr-cycle", [| 0x73uy; 0x25uy; 0x00uy; 0xC0uy |]
      "amoadd.w", [| 0x2Fuy; 0x25uy; 0xB5uy; 0x00uy |]
      "mret", [| 0x73uy; 0x00uy; 0x20uy; 0x30uy |]
      "wfi", [| 0x73uy; 0x00uy; 0x50uy; 0x10uy |]
      "48-bit", [| 0x1Fuy; 0x00uy; 0x00uy; 0x00uy; 0x00uy; 0x00uy |] ]
    |> List.map (fun (n, bytes) -> case "illegal" n (Array.append bytes (enc [ ecallD ])) [])

/// Every ISA case.
let all () : IsaCase list =
    upper ()
    @ jumps ()
    @ (cases<BranchOp> () |> List.collect branch)
    @ (cases<LoadOp> () |> List.collect load)
    @ (cases<StoreOp> () |> List.collect store)
    @ (cases<ImmOp> () |> List.collect immOp)
    @ (cases<ShiftImmOp> () |> List.collect shiftOp)
    @ (cases<RegOp> () |> List.collect regOp)
    @ (cases<UnaryOp> () |> List.collect unaryOp)
    @ system ()
    @ compressed ()
    @ illegal ()
