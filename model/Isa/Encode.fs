/// The encoder: the bits of every instruction. Written independently of `Decode` (not from
/// a shared table) so that the property decode (encode i) = i checks both.
module Thru.Model.Isa.Encode

// ---------------------------------------------------------------------------------------
// 32-bit formats.
// ---------------------------------------------------------------------------------------

let private u (v: int) = uint32 v
let private m (width: int) (v: int64) = uint32 v &&& ((1u <<< width) - 1u)

let private rType funct7 (rs2: Reg) (rs1: Reg) funct3 (rd: Reg) opcode =
    (u funct7 <<< 25) ||| (u rs2 <<< 20) ||| (u rs1 <<< 15) ||| (u funct3 <<< 12) ||| (u rd <<< 7) ||| opcode

let private iType (imm: int64) (rs1: Reg) funct3 (rd: Reg) opcode =
    (m 12 imm <<< 20) ||| (u rs1 <<< 15) ||| (u funct3 <<< 12) ||| (u rd <<< 7) ||| opcode

let private sType (imm: int64) (rs2: Reg) (rs1: Reg) funct3 opcode =
    let i = m 12 imm
    ((i >>> 5) <<< 25) ||| (u rs2 <<< 20) ||| (u rs1 <<< 15) ||| (u funct3 <<< 12) ||| ((i &&& 0x1Fu) <<< 7) ||| opcode

let private bType (offset: int64) (rs2: Reg) (rs1: Reg) funct3 =
    let i = m 13 offset
    let b hi lo = (i >>> lo) &&& ((1u <<< (hi - lo + 1)) - 1u)

    (b 12 12 <<< 31) ||| (b 10 5 <<< 25) ||| (u rs2 <<< 20) ||| (u rs1 <<< 15) ||| (u funct3 <<< 12)
    ||| (b 4 1 <<< 8) ||| (b 11 11 <<< 7) ||| 0x63u

let private jType (offset: int64) (rd: Reg) =
    let i = m 21 offset
    let b hi lo = (i >>> lo) &&& ((1u <<< (hi - lo + 1)) - 1u)
    (b 20 20 <<< 31) ||| (b 10 1 <<< 21) ||| (b 11 11 <<< 20) ||| (b 19 12 <<< 12) ||| (u rd <<< 7) ||| 0x6Fu

/// (funct7, funct3, opcode) of every register-register operation.
let private regOp op =
    match op with
    | ADD -> 0b0000000, 0, 0x33u
    | SUB -> 0b0100000, 0, 0x33u
    | SLL -> 0b0000000, 1, 0x33u
    | SLT -> 0b0000000, 2, 0x33u
    | SLTU -> 0b0000000, 3, 0x33u
    | XOR -> 0b0000000, 4, 0x33u
    | SRL -> 0b0000000, 5, 0x33u
    | SRA -> 0b0100000, 5, 0x33u
    | OR -> 0b0000000, 6, 0x33u
    | AND -> 0b0000000, 7, 0x33u
    | ADDW -> 0b0000000, 0, 0x3Bu
    | SUBW -> 0b0100000, 0, 0x3Bu
    | SLLW -> 0b0000000, 1, 0x3Bu
    | SRLW -> 0b0000000, 5, 0x3Bu
    | SRAW -> 0b0100000, 5, 0x3Bu
    | MUL -> 0b0000001, 0, 0x33u
    | MULH -> 0b0000001, 1, 0x33u
    | MULHSU -> 0b0000001, 2, 0x33u
    | MULHU -> 0b0000001, 3, 0x33u
    | DIV -> 0b0000001, 4, 0x33u
    | DIVU -> 0b0000001, 5, 0x33u
    | REM -> 0b0000001, 6, 0x33u
    | REMU -> 0b0000001, 7, 0x33u
    | MULW -> 0b0000001, 0, 0x3Bu
    | DIVW -> 0b0000001, 4, 0x3Bu
    | DIVUW -> 0b0000001, 5, 0x3Bu
    | REMW -> 0b0000001, 6, 0x3Bu
    | REMUW -> 0b0000001, 7, 0x3Bu
    | SH1ADD -> 0b0010000, 2, 0x33u
    | SH2ADD -> 0b0010000, 4, 0x33u
    | SH3ADD -> 0b0010000, 6, 0x33u
    | ADD_UW -> 0b0000100, 0, 0x3Bu
    | SH1ADD_UW -> 0b0010000, 2, 0x3Bu
    | SH2ADD_UW -> 0b0010000, 4, 0x3Bu
    | SH3ADD_UW -> 0b0010000, 6, 0x3Bu
    | ANDN -> 0b0100000, 7, 0x33u
    | ORN -> 0b0100000, 6, 0x33u
    | XNOR -> 0b0100000, 4, 0x33u
    | MIN -> 0b0000101, 4, 0x33u
    | MINU -> 0b0000101, 5, 0x33u
    | MAX -> 0b0000101, 6, 0x33u
    | MAXU -> 0b0000101, 7, 0x33u
    | ROL -> 0b0110000, 1, 0x33u
    | ROR -> 0b0110000, 5, 0x33u
    | ROLW -> 0b0110000, 1, 0x3Bu
    | RORW -> 0b0110000, 5, 0x3Bu
    | BCLR -> 0b0100100, 1, 0x33u
    | BSET -> 0b0010100, 1, 0x33u
    | BINV -> 0b0110100, 1, 0x33u
    | BEXT -> 0b0100100, 5, 0x33u
    | CLMUL -> 0b0000101, 1, 0x33u
    | CLMULH -> 0b0000101, 3, 0x33u
    | CLMULR -> 0b0000101, 2, 0x33u

/// (12-bit immediate field, funct3, opcode) of every one-source operation.
let private unaryOp op =
    match op with
    | CLZ -> 0x600, 1, 0x13u
    | CTZ -> 0x601, 1, 0x13u
    | CPOP -> 0x602, 1, 0x13u
    | SEXT_B -> 0x604, 1, 0x13u
    | SEXT_H -> 0x605, 1, 0x13u
    | CLZW -> 0x600, 1, 0x1Bu
    | CTZW -> 0x601, 1, 0x1Bu
    | CPOPW -> 0x602, 1, 0x1Bu
    | ZEXT_H -> 0x080, 4, 0x3Bu
    | ORC_B -> 0x287, 5, 0x13u
    | REV8 -> 0x6B8, 5, 0x13u
    | SHA256SUM0 -> 0x100, 1, 0x13u
    | SHA256SUM1 -> 0x101, 1, 0x13u
    | SHA256SIG0 -> 0x102, 1, 0x13u
    | SHA256SIG1 -> 0x103, 1, 0x13u
    | SHA512SUM0 -> 0x104, 1, 0x13u
    | SHA512SUM1 -> 0x105, 1, 0x13u
    | SHA512SIG0 -> 0x106, 1, 0x13u
    | SHA512SIG1 -> 0x107, 1, 0x13u

/// (imm[11:6] or funct7-style high bits placed at bit 26, funct3, opcode) of shift-immediates.
/// For the W forms the high field is funct7 (bits 31:25) and shamt is 5 bits.
let private shiftImm op (shamt: int) =
    let hi6 (v: int) = uint32 v <<< 26
    let hi7 (v: int) = uint32 v <<< 25

    match op with
    | SLLI -> hi6 0b000000, 1, 0x13u
    | SRLI -> hi6 0b000000, 5, 0x13u
    | SRAI -> hi6 0b010000, 5, 0x13u
    | BSETI -> hi6 0b001010, 1, 0x13u
    | BCLRI -> hi6 0b010010, 1, 0x13u
    | BINVI -> hi6 0b011010, 1, 0x13u
    | BEXTI -> hi6 0b010010, 5, 0x13u
    | RORI -> hi6 0b011000, 5, 0x13u
    | SLLI_UW -> hi6 0b000010, 1, 0x1Bu
    | SLLIW -> hi7 0b0000000, 1, 0x1Bu
    | SRLIW -> hi7 0b0000000, 5, 0x1Bu
    | SRAIW -> hi7 0b0100000, 5, 0x1Bu
    | RORIW -> hi7 0b0110000, 5, 0x1Bu
    |> fun (hi, f3, opc) -> hi ||| (uint32 shamt <<< 20), f3, opc

/// The 32-bit encoding of an instruction.
let encode32 (i: Instr) : uint32 =
    match i with
    | LUI(rd, imm20) -> (imm20 <<< 12) ||| (u rd <<< 7) ||| 0x37u
    | AUIPC(rd, imm20) -> (imm20 <<< 12) ||| (u rd <<< 7) ||| 0x17u
    | JAL(rd, off) -> jType off rd
    | JALR(rd, rs1, imm) -> iType imm rs1 0 rd 0x67u
    | Branch(op, rs1, rs2, off) ->
        let f3 =
            match op with
            | BEQ -> 0
            | BNE -> 1
            | BLT -> 4
            | BGE -> 5
            | BLTU -> 6
            | BGEU -> 7

        bType off rs2 rs1 f3
    | Load(op, rd, rs1, imm) ->
        let f3 =
            match op with
            | LB -> 0
            | LH -> 1
            | LW -> 2
            | LD -> 3
            | LBU -> 4
            | LHU -> 5
            | LWU -> 6

        iType imm rs1 f3 rd 0x03u
    | Store(op, rs1, rs2, imm) ->
        let f3 =
            match op with
            | SB -> 0
            | SH -> 1
            | SW -> 2
            | SD -> 3

        sType imm rs2 rs1 f3 0x23u
    | OpImm(op, rd, rs1, imm) ->
        let f3, opc =
            match op with
            | ADDI -> 0, 0x13u
            | SLTI -> 2, 0x13u
            | SLTIU -> 3, 0x13u
            | XORI -> 4, 0x13u
            | ORI -> 6, 0x13u
            | ANDI -> 7, 0x13u
            | ADDIW -> 0, 0x1Bu

        iType imm rs1 f3 rd opc
    | ShiftImm(op, rd, rs1, shamt) ->
        let hi, f3, opc = shiftImm op shamt
        hi ||| (u rs1 <<< 15) ||| (u f3 <<< 12) ||| (u rd <<< 7) ||| opc
    | Op(op, rd, rs1, rs2) ->
        let f7, f3, opc = regOp op
        rType f7 rs2 rs1 f3 rd opc
    | Unary(op, rd, rs1) ->
        let imm, f3, opc = unaryOp op
        iType (int64 imm) rs1 f3 rd opc
    | FENCE(fm, pred, succ, rd, rs1) ->
        (u fm <<< 28) ||| (u pred <<< 24) ||| (u succ <<< 20) ||| (u rs1 <<< 15) ||| (u rd <<< 7) ||| 0x0Fu
    | ECALL -> 0x00000073u
    | EBREAK -> 0x00100073u

// ---------------------------------------------------------------------------------------
// 16-bit formats. `b v hi lo` takes bits [hi:lo] of an immediate value.
// ---------------------------------------------------------------------------------------

let private b (v: int) hi lo = (v >>> lo) &&& ((1 <<< (hi - lo + 1)) - 1)
let private c (quadrant: int) (funct3: int) (body: int) = uint16 ((funct3 <<< 13) ||| body ||| quadrant)

/// rd'/rs1'/rs2' field of a register in x8..x15.
let private p (r: Reg) = r - 8

/// CI-format immediate/shift amount placement: bit 5 → inst[12], bits 4:0 → inst[6:2].
let private ci (v: int) = (b v 5 5 <<< 12) ||| (b v 4 0 <<< 2)

let private cjOffset (o: int64) =
    let v = int o
    (b v 11 11 <<< 12) ||| (b v 4 4 <<< 11) ||| (b v 9 8 <<< 9) ||| (b v 10 10 <<< 8) ||| (b v 6 6 <<< 7)
    ||| (b v 7 7 <<< 6) ||| (b v 3 1 <<< 3) ||| (b v 5 5 <<< 2)

let private cbOffset (o: int64) =
    let v = int o
    (b v 8 8 <<< 12) ||| (b v 4 3 <<< 10) ||| (b v 7 6 <<< 5) ||| (b v 2 1 <<< 3) ||| (b v 5 5 <<< 2)

let private uimmW v = (b v 5 3 <<< 10) ||| (b v 2 2 <<< 6) ||| (b v 6 6 <<< 5)
let private uimmD v = (b v 5 3 <<< 10) ||| (b v 7 6 <<< 5)
let private cs (rs1: Reg) (r: Reg) = (p rs1 <<< 7) ||| (p r <<< 2)
let private ca funct6bits (rd: Reg) funct2 (rs2: Reg) = (funct6bits <<< 10) ||| (p rd <<< 7) ||| (funct2 <<< 5) ||| (p rs2 <<< 2)

/// The 16-bit encoding of a compressed instruction.
let encode16 (i: CInstr) : uint16 =
    match i with
    | C_ADDI4SPN(rd, nz) -> c 0 0 ((b nz 5 4 <<< 11) ||| (b nz 9 6 <<< 7) ||| (b nz 2 2 <<< 6) ||| (b nz 3 3 <<< 5) ||| (p rd <<< 2))
    | C_LW(rd, rs1, uimm) -> c 0 2 (uimmW uimm ||| cs rs1 rd)
    | C_LD(rd, rs1, uimm) -> c 0 3 (uimmD uimm ||| cs rs1 rd)
    | C_SW(rs1, rs2, uimm) -> c 0 6 (uimmW uimm ||| cs rs1 rs2)
    | C_SD(rs1, rs2, uimm) -> c 0 7 (uimmD uimm ||| cs rs1 rs2)
    | C_NOP imm -> c 1 0 (ci imm)
    | C_ADDI(rd, imm) -> c 1 0 ((rd <<< 7) ||| ci imm)
    | C_ADDIW(rd, imm) -> c 1 1 ((rd <<< 7) ||| ci imm)
    | C_LI(rd, imm) -> c 1 2 ((rd <<< 7) ||| ci imm)
    | C_ADDI16SP imm ->
        c 1 3 ((b imm 9 9 <<< 12) ||| (2 <<< 7) ||| (b imm 4 4 <<< 6) ||| (b imm 6 6 <<< 5) ||| (b imm 8 7 <<< 3) ||| (b imm 5 5 <<< 2))
    | C_LUI(rd, imm) -> c 1 3 ((rd <<< 7) ||| ci imm)
    | C_SRLI(rd, sh) -> c 1 4 ((0b00 <<< 10) ||| (p rd <<< 7) ||| ci sh)
    | C_SRAI(rd, sh) -> c 1 4 ((0b01 <<< 10) ||| (p rd <<< 7) ||| ci sh)
    | C_ANDI(rd, imm) -> c 1 4 ((0b10 <<< 10) ||| (p rd <<< 7) ||| ci imm)
    | C_SUB(rd, rs2) -> c 1 4 (ca 0b011 rd 0 rs2)
    | C_XOR(rd, rs2) -> c 1 4 (ca 0b011 rd 1 rs2)
    | C_OR(rd, rs2) -> c 1 4 (ca 0b011 rd 2 rs2)
    | C_AND(rd, rs2) -> c 1 4 (ca 0b011 rd 3 rs2)
    | C_SUBW(rd, rs2) -> c 1 4 (ca 0b111 rd 0 rs2)
    | C_ADDW(rd, rs2) -> c 1 4 (ca 0b111 rd 1 rs2)
    | C_J off -> c 1 5 (cjOffset off)
    | C_BEQZ(rs1, off) -> c 1 6 ((p rs1 <<< 7) ||| cbOffset off)
    | C_BNEZ(rs1, off) -> c 1 7 ((p rs1 <<< 7) ||| cbOffset off)
    | C_SLLI(rd, sh) -> c 2 0 ((rd <<< 7) ||| ci sh)
    | C_LWSP(rd, uimm) -> c 2 2 ((b uimm 5 5 <<< 12) ||| (rd <<< 7) ||| (b uimm 4 2 <<< 4) ||| (b uimm 7 6 <<< 2))
    | C_LDSP(rd, uimm) -> c 2 3 ((b uimm 5 5 <<< 12) ||| (rd <<< 7) ||| (b uimm 4 3 <<< 5) ||| (b uimm 8 6 <<< 2))
    | C_JR rs1 -> c 2 4 (rs1 <<< 7)
    | C_MV(rd, rs2) -> c 2 4 ((rd <<< 7) ||| (rs2 <<< 2))
    | C_EBREAK -> c 2 4 (1 <<< 12)
    | C_JALR rs1 -> c 2 4 ((1 <<< 12) ||| (rs1 <<< 7))
    | C_ADD(rd, rs2) -> c 2 4 ((1 <<< 12) ||| (rd <<< 7) ||| (rs2 <<< 2))
    | C_SWSP(rs2, uimm) -> c 2 6 ((b uimm 5 2 <<< 9) ||| (b uimm 7 6 <<< 7) ||| (rs2 <<< 2))
    | C_SDSP(rs2, uimm) -> c 2 7 ((b uimm 5 3 <<< 10) ||| (b uimm 8 6 <<< 7) ||| (rs2 <<< 2))

/// The little-endian bytes of a decoded instruction, or None for an illegal one.
let toBytes (d: Decoded) : byte[] option =
    match d with
    | Full i ->
        let w = encode32 i
        Some [| byte w; byte (w >>> 8); byte (w >>> 16); byte (w >>> 24) |]
    | Compressed ci ->
        let h = encode16 ci
        Some [| byte h; byte (h >>> 8) |]
    | Illegal _ -> None
