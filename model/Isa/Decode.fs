/// The decoder: a total function from instruction bits to `Decoded`.
/// Every 16-bit parcel and every 32-bit word decodes to an instruction or to a named
/// illegal result; nothing raises. Source: docs/spec/isa.md §3, §4, §5 (encodings, illegal
/// encodings, special instructions).
module Thru.Model.Isa.Decode

open Thru.Model.Bits

// ---------------------------------------------------------------------------------------
// Field extraction for 32-bit formats (RISC-V manual, "Base Instruction Formats").
// ---------------------------------------------------------------------------------------

let private f (hi: int) (lo: int) (w: uint32) = int (bits hi lo (uint64 w))
let private rd w : Reg = f 11 7 w
let private rs1 w : Reg = f 19 15 w
let private rs2 w : Reg = f 24 20 w
let private funct3 w = f 14 12 w
let private funct7 w = f 31 25 w

/// I-type immediate: inst[31:20], sign-extended.
let private immI (w: uint32) = int64 (signExtend 12 (bits 31 20 (uint64 w)))

/// S-type immediate: inst[31:25] ‖ inst[11:7], sign-extended.
let private immS (w: uint32) =
    let x = uint64 w
    int64 (signExtend 12 ((bits 31 25 x <<< 5) ||| bits 11 7 x))

/// B-type immediate: inst[31] ‖ inst[7] ‖ inst[30:25] ‖ inst[11:8] ‖ 0, sign-extended.
let private immB (w: uint32) =
    let x = uint64 w
    let v = (bit 31 x <<< 12) ||| (bit 7 x <<< 11) ||| (bits 30 25 x <<< 5) ||| (bits 11 8 x <<< 1)
    int64 (signExtend 13 v)

/// J-type immediate: inst[31] ‖ inst[19:12] ‖ inst[20] ‖ inst[30:21] ‖ 0, sign-extended.
let private immJ (w: uint32) =
    let x = uint64 w
    let v = (bit 31 x <<< 20) ||| (bits 19 12 x <<< 12) ||| (bit 20 x <<< 11) ||| (bits 30 21 x <<< 1)
    int64 (signExtend 21 v)

// ---------------------------------------------------------------------------------------
// 32-bit instructions, one function per major opcode.
// ---------------------------------------------------------------------------------------

let private load w =
    let op =
        match funct3 w with
        | 0 -> Some LB
        | 1 -> Some LH
        | 2 -> Some LW
        | 3 -> Some LD
        | 4 -> Some LBU
        | 5 -> Some LHU
        | 6 -> Some LWU
        | _ -> None

    match op with
    | Some op -> Full(Load(op, rd w, rs1 w, immI w))
    | None -> Illegal(Reserved "load with funct3=111")

let private store w =
    let op =
        match funct3 w with
        | 0 -> Some SB
        | 1 -> Some SH
        | 2 -> Some SW
        | 3 -> Some SD
        | _ -> None

    match op with
    | Some op -> Full(Store(op, rs1 w, rs2 w, immS w))
    | None -> Illegal Unallocated

let private branch w =
    let op =
        match funct3 w with
        | 0 -> Some BEQ
        | 1 -> Some BNE
        | 4 -> Some BLT
        | 5 -> Some BGE
        | 6 -> Some BLTU
        | 7 -> Some BGEU
        | _ -> None

    match op with
    | Some op -> Full(Branch(op, rs1 w, rs2 w, immB w))
    | None -> Illegal(Reserved "branch with funct3=010/011")

/// OP-IMM (0x13): immediate ALU operations, shifts by shamt6, Zbb/Zbs immediates, Zknh.
let private opImm w =
    let imm12 = f 31 20 w
    let hi6 = f 31 26 w
    let shamt = f 25 20 w
    let sh op = Full(ShiftImm(op, rd w, rs1 w, shamt))
    let un op = Full(Unary(op, rd w, rs1 w))
    let imm op = Full(OpImm(op, rd w, rs1 w, immI w))

    match funct3 w with
    | 0 -> imm ADDI
    | 2 -> imm SLTI
    | 3 -> imm SLTIU
    | 4 -> imm XORI
    | 6 -> imm ORI
    | 7 -> imm ANDI
    | 1 ->
        match hi6, imm12 with
        | 0b000000, _ -> sh SLLI
        | 0b001010, _ -> sh BSETI
        | 0b010010, _ -> sh BCLRI
        | 0b011010, _ -> sh BINVI
        | _, 0x600 -> un CLZ
        | _, 0x601 -> un CTZ
        | _, 0x602 -> un CPOP
        | _, 0x604 -> un SEXT_B
        | _, 0x605 -> un SEXT_H
        | _, 0x100 -> un SHA256SUM0
        | _, 0x101 -> un SHA256SUM1
        | _, 0x102 -> un SHA256SIG0
        | _, 0x103 -> un SHA256SIG1
        | _, 0x104 -> un SHA512SUM0
        | _, 0x105 -> un SHA512SUM1
        | _, 0x106 -> un SHA512SIG0
        | _, 0x107 -> un SHA512SIG1
        | _ -> Illegal Unallocated
    | _ (* 5 *) ->
        match hi6, imm12 with
        | 0b000000, _ -> sh SRLI
        | 0b010000, _ -> sh SRAI
        | 0b010010, _ -> sh BEXTI
        | 0b011000, _ -> sh RORI
        | _, 0x287 -> un ORC_B
        | _, 0x6B8 -> un REV8
        | _ -> Illegal Unallocated

/// OP-IMM-32 (0x1B): ADDIW, the W shifts by shamt5, SLLI.UW, CLZW/CTZW/CPOPW, RORIW.
let private opImm32 w =
    let sh op = Full(ShiftImm(op, rd w, rs1 w, f 24 20 w))
    let un op = Full(Unary(op, rd w, rs1 w))

    match funct3 w, funct7 w, rs2 w with
    | 0, _, _ -> Full(OpImm(ADDIW, rd w, rs1 w, immI w))
    | 1, 0b0000000, _ -> sh SLLIW
    | 1, (0b0000100 | 0b0000101), _ -> Full(ShiftImm(SLLI_UW, rd w, rs1 w, f 25 20 w))
    | 1, 0b0110000, 0 -> un CLZW
    | 1, 0b0110000, 1 -> un CTZW
    | 1, 0b0110000, 2 -> un CPOPW
    | 5, 0b0000000, _ -> sh SRLIW
    | 5, 0b0100000, _ -> sh SRAIW
    | 5, 0b0110000, _ -> sh RORIW
    | (1 | 5), (0b0000001 | 0b0100001 | 0b0110001), _ -> Illegal(Reserved "32-bit shift with shamt[5]=1")
    | _ -> Illegal Unallocated

/// OP (0x33): register-register operations of I, M, Zba, Zbb, Zbs, Zbc.
let private op w =
    let r op = Full(Op(op, rd w, rs1 w, rs2 w))

    match funct7 w, funct3 w with
    | 0b0000000, 0 -> r ADD
    | 0b0000000, 1 -> r SLL
    | 0b0000000, 2 -> r SLT
    | 0b0000000, 3 -> r SLTU
    | 0b0000000, 4 -> r XOR
    | 0b0000000, 5 -> r SRL
    | 0b0000000, 6 -> r OR
    | 0b0000000, 7 -> r AND
    | 0b0100000, 0 -> r SUB
    | 0b0100000, 5 -> r SRA
    | 0b0100000, 4 -> r XNOR
    | 0b0100000, 6 -> r ORN
    | 0b0100000, 7 -> r ANDN
    | 0b0000001, 0 -> r MUL
    | 0b0000001, 1 -> r MULH
    | 0b0000001, 2 -> r MULHSU
    | 0b0000001, 3 -> r MULHU
    | 0b0000001, 4 -> r DIV
    | 0b0000001, 5 -> r DIVU
    | 0b0000001, 6 -> r REM
    | 0b0000001, 7 -> r REMU
    | 0b0010000, 2 -> r SH1ADD
    | 0b0010000, 4 -> r SH2ADD
    | 0b0010000, 6 -> r SH3ADD
    | 0b0000101, 1 -> r CLMUL
    | 0b0000101, 2 -> r CLMULR
    | 0b0000101, 3 -> r CLMULH
    | 0b0000101, 4 -> r MIN
    | 0b0000101, 5 -> r MINU
    | 0b0000101, 6 -> r MAX
    | 0b0000101, 7 -> r MAXU
    | 0b0110000, 1 -> r ROL
    | 0b0110000, 5 -> r ROR
    | 0b0010100, 1 -> r BSET
    | 0b0100100, 1 -> r BCLR
    | 0b0100100, 5 -> r BEXT
    | 0b0110100, 1 -> r BINV
    | 0b0000100, (4 | 7) -> Illegal(Unsupported "Zbkb")
    | _ -> Illegal Unallocated

/// OP-32 (0x3B): the W register-register operations, ADD.UW, SHxADD.UW, ZEXT.H, ROLW/RORW.
let private op32 w =
    let r op = Full(Op(op, rd w, rs1 w, rs2 w))

    match funct7 w, funct3 w with
    | 0b0000000, 0 -> r ADDW
    | 0b0000000, 1 -> r SLLW
    | 0b0000000, 5 -> r SRLW
    | 0b0100000, 0 -> r SUBW
    | 0b0100000, 5 -> r SRAW
    | 0b0000001, 0 -> r MULW
    | 0b0000001, 4 -> r DIVW
    | 0b0000001, 5 -> r DIVUW
    | 0b0000001, 6 -> r REMW
    | 0b0000001, 7 -> r REMUW
    | 0b0000100, 0 -> r ADD_UW
    | 0b0000100, 4 when rs2 w = 0 -> Full(Unary(ZEXT_H, rd w, rs1 w))
    | 0b0000100, 4 -> Illegal(Unsupported "Zbkb")
    | 0b0010000, 2 -> r SH1ADD_UW
    | 0b0010000, 4 -> r SH2ADD_UW
    | 0b0010000, 6 -> r SH3ADD_UW
    | 0b0110000, 1 -> r ROLW
    | 0b0110000, 5 -> r RORW
    | _ -> Illegal Unallocated

/// MISC-MEM (0x0F). Decision D-FENCE: every funct3=000 encoding is a FENCE (a no-op).
let private miscMem w =
    match funct3 w with
    | 0 -> Full(FENCE(f 31 28 w, f 27 24 w, f 23 20 w, rd w, rs1 w))
    | 1 -> Illegal(Unsupported "Zifencei")
    | 2 -> Illegal(Unsupported "Zicbom/Zicboz")
    | _ -> Illegal Unallocated

/// SYSTEM (0x73): only ECALL and EBREAK exist in ThruVM (no CSRs, no privileged instructions).
let private system w =
    match funct3 w with
    | 0 when rd w = 0 && rs1 w = 0 && f 31 20 w = 0 -> Full ECALL
    | 0 when rd w = 0 && rs1 w = 0 && f 31 20 w = 1 -> Full EBREAK
    | 0 when f 31 20 w <= 1 -> Illegal(Reserved "ecall/ebreak with non-zero rd or rs1")
    | 0 -> Illegal(Unsupported "privileged")
    | 4 -> Illegal(Unsupported "H")
    | _ -> Illegal(Unsupported "Zicsr")

/// Decode a 32-bit instruction word (its low two bits must be 11).
let decode32 (w: uint32) : Decoded =
    match w &&& 0x7Fu with
    | 0x37u -> Full(LUI(rd w, w >>> 12))
    | 0x17u -> Full(AUIPC(rd w, w >>> 12))
    | 0x6Fu -> Full(JAL(rd w, immJ w))
    | 0x67u when funct3 w = 0 -> Full(JALR(rd w, rs1 w, immI w))
    | 0x67u -> Illegal(Reserved "jalr with funct3≠000")
    | 0x63u -> branch w
    | 0x03u -> load w
    | 0x23u -> store w
    | 0x13u -> opImm w
    | 0x1Bu -> opImm32 w
    | 0x33u -> op w
    | 0x3Bu -> op32 w
    | 0x0Fu -> miscMem w
    | 0x73u -> system w
    | 0x2Fu -> Illegal(Unsupported "A")
    | 0x07u
    | 0x27u
    | 0x43u
    | 0x47u
    | 0x4Bu
    | 0x4Fu
    | 0x53u -> Illegal(Unsupported "F/D/Q")
    | 0x57u -> Illegal(Unsupported "V")
    | o when o &&& 0x1Fu = 0x1Fu -> Illegal LongEncoding
    | _ -> Illegal Unallocated

// ---------------------------------------------------------------------------------------
// 16-bit instructions (docs/spec/isa.md §3.4), by quadrant and funct3.
// ---------------------------------------------------------------------------------------

let private h (hi: int) (lo: int) (p: uint16) = int (bits hi lo (uint64 p))
let private sx (width: int) (v: int) = int (signExtend width (uint64 v))

/// The 3-bit register fields rd'/rs1'/rs2' name x8..x15.
let private r' (v: int) : Reg = 8 + v

/// Immediate of C.ADDI/C.ADDIW/C.LI/C.ANDI: imm[5] = bit 12, imm[4:0] = bits 6:2.
let private ci6 p = sx 6 ((h 12 12 p <<< 5) ||| h 6 2 p)

/// Shift amount of C.SLLI/C.SRLI/C.SRAI: shamt[5] = bit 12, shamt[4:0] = bits 6:2.
let private shamt6 p = (h 12 12 p <<< 5) ||| h 6 2 p

/// C.J offset: bits 12:2 hold imm[11|4|9:8|10|6|7|3:1|5].
let private cjOffset p =
    let v =
        (h 12 12 p <<< 11) ||| (h 11 11 p <<< 4) ||| (h 10 9 p <<< 8) ||| (h 8 8 p <<< 10)
        ||| (h 7 7 p <<< 6) ||| (h 6 6 p <<< 7) ||| (h 5 3 p <<< 1) ||| (h 2 2 p <<< 5)

    int64 (sx 12 v)

/// C.BEQZ/C.BNEZ offset: bits 12:10 hold imm[8|4:3], bits 6:2 hold imm[7:6|2:1|5].
let private cbOffset p =
    let v =
        (h 12 12 p <<< 8) ||| (h 11 10 p <<< 3) ||| (h 6 5 p <<< 6) ||| (h 4 3 p <<< 1) ||| (h 2 2 p <<< 5)

    int64 (sx 9 v)

let private quadrant0 (p: uint16) =
    let rdp = r' (h 4 2 p)
    let rs1p = r' (h 9 7 p)
    // C.LW/C.SW offset: uimm[5:3] = bits 12:10, uimm[2] = bit 6, uimm[6] = bit 5.
    let uimmW = (h 12 10 p <<< 3) ||| (h 6 6 p <<< 2) ||| (h 5 5 p <<< 6)
    // C.LD/C.SD offset: uimm[5:3] = bits 12:10, uimm[7:6] = bits 6:5.
    let uimmD = (h 12 10 p <<< 3) ||| (h 6 5 p <<< 6)

    match h 15 13 p with
    | 0 ->
        // nzuimm[5:4|9:6|2|3] = bits 12:5
        let nz = (h 12 11 p <<< 4) ||| (h 10 7 p <<< 6) ||| (h 6 6 p <<< 2) ||| (h 5 5 p <<< 3)

        if p = 0us then Illegal ZeroParcel
        elif nz = 0 then Illegal(Reserved "c.addi4spn with nzuimm=0")
        else Compressed(C_ADDI4SPN(rdp, nz))
    | 1 -> Illegal(Unsupported "D")
    | 2 -> Compressed(C_LW(rdp, rs1p, uimmW))
    | 3 -> Compressed(C_LD(rdp, rs1p, uimmD))
    | 4 -> Illegal(Unsupported "Zcb")
    | 5 -> Illegal(Unsupported "D")
    | 6 -> Compressed(C_SW(rs1p, rdp, uimmW))
    | _ -> Compressed(C_SD(rs1p, rdp, uimmD))

let private quadrant1 (p: uint16) =
    let rd = h 11 7 p
    let rdp = r' (h 9 7 p)
    let rs2p = r' (h 4 2 p)

    match h 15 13 p with
    | 0 when rd = 0 -> Compressed(C_NOP(ci6 p))
    | 0 -> Compressed(C_ADDI(rd, ci6 p))
    | 1 when rd = 0 -> Illegal(Reserved "c.addiw with rd=x0")
    | 1 -> Compressed(C_ADDIW(rd, ci6 p))
    | 2 -> Compressed(C_LI(rd, ci6 p))
    | 3 when rd = 2 ->
        // nzimm[9] = bit 12, nzimm[4|6|8:7|5] = bits 6:2
        let v = (h 12 12 p <<< 9) ||| (h 6 6 p <<< 4) ||| (h 5 5 p <<< 6) ||| (h 4 3 p <<< 7) ||| (h 2 2 p <<< 5)

        if v = 0 then Illegal(Reserved "c.addi16sp with nzimm=0")
        else Compressed(C_ADDI16SP(sx 10 v))
    | 3 ->
        if ci6 p = 0 then Illegal(Reserved "c.lui with nzimm=0")
        else Compressed(C_LUI(rd, ci6 p))
    | 4 ->
        match h 11 10 p, h 12 12 p, h 6 5 p with
        | 0, _, _ -> Compressed(C_SRLI(rdp, shamt6 p))
        | 1, _, _ -> Compressed(C_SRAI(rdp, shamt6 p))
        | 2, _, _ -> Compressed(C_ANDI(rdp, ci6 p))
        | _, 0, 0 -> Compressed(C_SUB(rdp, rs2p))
        | _, 0, 1 -> Compressed(C_XOR(rdp, rs2p))
        | _, 0, 2 -> Compressed(C_OR(rdp, rs2p))
        | _, 0, _ -> Compressed(C_AND(rdp, rs2p))
        | _, _, 0 -> Compressed(C_SUBW(rdp, rs2p))
        | _, _, 1 -> Compressed(C_ADDW(rdp, rs2p))
        | _ -> Illegal(Unsupported "Zcb")
    | 5 -> Compressed(C_J(cjOffset p))
    | 6 -> Compressed(C_BEQZ(rdp, cbOffset p))
    | _ -> Compressed(C_BNEZ(rdp, cbOffset p))

let private quadrant2 (p: uint16) =
    let rd = h 11 7 p
    let rs2 = h 6 2 p

    match h 15 13 p with
    | 0 -> Compressed(C_SLLI(rd, shamt6 p))
    | 1 -> Illegal(Unsupported "D")
    | 2 when rd = 0 -> Illegal(Reserved "c.lwsp with rd=x0")
    | 2 -> Compressed(C_LWSP(rd, (h 12 12 p <<< 5) ||| (h 6 4 p <<< 2) ||| (h 3 2 p <<< 6)))
    | 3 when rd = 0 -> Illegal(Reserved "c.ldsp with rd=x0")
    | 3 -> Compressed(C_LDSP(rd, (h 12 12 p <<< 5) ||| (h 6 5 p <<< 3) ||| (h 4 2 p <<< 6)))
    | 4 ->
        match h 12 12 p, rd, rs2 with
        | 0, 0, 0 -> Illegal(Reserved "c.jr with rs1=x0")
        | 0, _, 0 -> Compressed(C_JR rd)
        | 0, _, _ -> Compressed(C_MV(rd, rs2))
        | _, 0, 0 -> Compressed C_EBREAK
        | _, _, 0 -> Compressed(C_JALR rd)
        | _ -> Compressed(C_ADD(rd, rs2))
    | 5 -> Illegal(Unsupported "D")
    | 6 -> Compressed(C_SWSP(rs2, (h 12 9 p <<< 2) ||| (h 8 7 p <<< 6)))
    | _ -> Compressed(C_SDSP(rs2, (h 12 10 p <<< 3) ||| (h 9 7 p <<< 6)))

/// Decode a 16-bit word as a compressed instruction. A word whose low two bits are 11 is
/// not a 16-bit instruction but the first half of a longer one.
let decode16 (p: uint16) : Decoded =
    match p &&& 3us with
    | 0us -> quadrant0 p
    | 1us -> quadrant1 p
    | 2us -> quadrant2 p
    | _ -> Illegal(Reserved "first half of a 32-bit instruction, not a 16-bit one")

/// True when a parcel is the first half of a 32-bit (or longer) instruction.
let isLongParcel (p: uint16) = p &&& 3us = 3us

/// Decode the instruction that starts with parcel `low`; `high` is the following parcel
/// (consulted only when `low` announces a 32-bit instruction).
let decode (low: uint16) (high: uint16) : Decoded =
    if isLongParcel low then decode32 ((uint32 high <<< 16) ||| uint32 low)
    else decode16 low

/// The length in bytes (2 or 4) of the instruction starting with parcel `low`.
let length (low: uint16) = if isLongParcel low then 4 else 2
