/// The instructions of ThruVM: RV64I, M, C (without floating point), Zba, Zbb, Zbc, Zbs, Zknh.
/// Source: docs/spec/isa.md §3 (the encodings of the RISC-V ISA Manual 20250508).
///
/// Reading guide: a 32-bit instruction is an `Instr`; a 16-bit one is a `CInstr`, kept
/// distinct so that disassembly shows what was written and `decode (encode i) = i` holds.
/// Every compressed instruction means exactly its 32-bit expansion (`Expand.fs`), except
/// that its length is 2 (link address pc+2, cost 2 CU).
namespace Thru.Model.Isa

/// A register number, 0..31. x0 always reads as zero; writes to it are discarded.
type Reg = int

/// The extensions an instruction can belong to.
type Extension =
    | RV64I
    | M
    | C
    | Zba
    | Zbb
    | Zbc
    | Zbs
    | Zknh

/// Conditional branches (BRANCH major opcode 0x63).
type BranchOp =
    | BEQ
    | BNE
    | BLT
    | BGE
    | BLTU
    | BGEU

/// Loads (LOAD 0x03). The suffix gives the width; U means zero-extension.
type LoadOp =
    | LB
    | LH
    | LW
    | LD
    | LBU
    | LHU
    | LWU

/// Stores (STORE 0x23).
type StoreOp =
    | SB
    | SH
    | SW
    | SD

/// Register-immediate operations with a 12-bit signed immediate (OP-IMM 0x13, OP-IMM-32 0x1B).
type ImmOp =
    | ADDI
    | SLTI
    | SLTIU
    | XORI
    | ORI
    | ANDI
    | ADDIW

/// Register-immediate operations whose immediate is a shift amount or bit index.
/// The 64-bit forms take 0..63; the W forms (SLLIW, SRLIW, SRAIW, RORIW) take 0..31.
type ShiftImmOp =
    | SLLI
    | SRLI
    | SRAI
    | SLLIW
    | SRLIW
    | SRAIW
    | SLLI_UW
    | RORI
    | RORIW
    | BCLRI
    | BSETI
    | BINVI
    | BEXTI

/// Register-register operations (OP 0x33, OP-32 0x3B).
type RegOp =
    // RV64I
    | ADD
    | SUB
    | SLL
    | SLT
    | SLTU
    | XOR
    | SRL
    | SRA
    | OR
    | AND
    | ADDW
    | SUBW
    | SLLW
    | SRLW
    | SRAW
    // M
    | MUL
    | MULH
    | MULHSU
    | MULHU
    | DIV
    | DIVU
    | REM
    | REMU
    | MULW
    | DIVW
    | DIVUW
    | REMW
    | REMUW
    // Zba
    | SH1ADD
    | SH2ADD
    | SH3ADD
    | ADD_UW
    | SH1ADD_UW
    | SH2ADD_UW
    | SH3ADD_UW
    // Zbb
    | ANDN
    | ORN
    | XNOR
    | MIN
    | MINU
    | MAX
    | MAXU
    | ROL
    | ROR
    | ROLW
    | RORW
    // Zbs
    | BCLR
    | BSET
    | BINV
    | BEXT
    // Zbc
    | CLMUL
    | CLMULH
    | CLMULR

/// One-source operations encoded in OP-IMM / OP-IMM-32 / OP-32 with a fixed immediate or rs2.
type UnaryOp =
    // Zbb
    | CLZ
    | CTZ
    | CPOP
    | CLZW
    | CTZW
    | CPOPW
    | SEXT_B
    | SEXT_H
    | ZEXT_H
    | ORC_B
    | REV8
    // Zknh (RV64 forms)
    | SHA256SUM0
    | SHA256SUM1
    | SHA256SIG0
    | SHA256SIG1
    | SHA512SUM0
    | SHA512SUM1
    | SHA512SIG0
    | SHA512SIG1

/// A 32-bit instruction. Immediates are held as the signed values they denote
/// (branch and jump offsets in bytes), except the 20-bit U-type field of LUI/AUIPC.
type Instr =
    | LUI of rd: Reg * imm20: uint32
    | AUIPC of rd: Reg * imm20: uint32
    | JAL of rd: Reg * offset: int64
    | JALR of rd: Reg * rs1: Reg * imm: int64
    | Branch of op: BranchOp * rs1: Reg * rs2: Reg * offset: int64
    | Load of op: LoadOp * rd: Reg * rs1: Reg * imm: int64
    | Store of op: StoreOp * rs1: Reg * rs2: Reg * imm: int64
    | OpImm of op: ImmOp * rd: Reg * rs1: Reg * imm: int64
    | ShiftImm of op: ShiftImmOp * rd: Reg * rs1: Reg * shamt: int
    | Op of op: RegOp * rd: Reg * rs1: Reg * rs2: Reg
    | Unary of op: UnaryOp * rd: Reg * rs1: Reg
    /// Every MISC-MEM funct3=000 encoding (FENCE, FENCE.TSO, PAUSE, and fences with reserved
    /// fm/rs1/rd values); the fields are kept so that the encoding round-trips.
    | FENCE of fm: int * pred: int * succ: int * rd: Reg * rs1: Reg
    | ECALL
    | EBREAK

/// A 16-bit (RVC) instruction. Register fields written rd'/rs1'/rs2' in the manual hold the
/// full register number here (8..15). Immediates are the values they denote.
type CInstr =
    | C_ADDI4SPN of rd: Reg * nzuimm: int
    | C_LW of rd: Reg * rs1: Reg * uimm: int
    | C_LD of rd: Reg * rs1: Reg * uimm: int
    | C_SW of rs1: Reg * rs2: Reg * uimm: int
    | C_SD of rs1: Reg * rs2: Reg * uimm: int
    /// C.ADDI with rd = x0: imm = 0 is C.NOP, any other imm is a HINT.
    | C_NOP of imm: int
    | C_ADDI of rd: Reg * imm: int
    | C_ADDIW of rd: Reg * imm: int
    | C_LI of rd: Reg * imm: int
    | C_ADDI16SP of imm: int
    /// imm is nzimm[17:12] as a signed 6-bit value; rd receives sext(imm << 12).
    | C_LUI of rd: Reg * imm: int
    | C_SRLI of rd: Reg * shamt: int
    | C_SRAI of rd: Reg * shamt: int
    | C_ANDI of rd: Reg * imm: int
    | C_SUB of rd: Reg * rs2: Reg
    | C_XOR of rd: Reg * rs2: Reg
    | C_OR of rd: Reg * rs2: Reg
    | C_AND of rd: Reg * rs2: Reg
    | C_SUBW of rd: Reg * rs2: Reg
    | C_ADDW of rd: Reg * rs2: Reg
    | C_J of offset: int64
    | C_BEQZ of rs1: Reg * offset: int64
    | C_BNEZ of rs1: Reg * offset: int64
    | C_SLLI of rd: Reg * shamt: int
    | C_LWSP of rd: Reg * uimm: int
    | C_LDSP of rd: Reg * uimm: int
    | C_JR of rs1: Reg
    | C_MV of rd: Reg * rs2: Reg
    | C_EBREAK
    | C_JALR of rs1: Reg
    | C_ADD of rd: Reg * rs2: Reg
    | C_SWSP of rs2: Reg * uimm: int
    | C_SDSP of rs2: Reg * uimm: int

/// Why an encoding is not an instruction of ThruVM (all of these raise SIGILL).
type IllegalReason =
    /// The 16-bit parcel 0x0000, defined illegal by the C extension (also what the
    /// executable's zero trailer decodes to).
    | ZeroParcel
    /// A reserved encoding inside an extension ThruVM implements (e.g. c.addi4spn with a zero immediate).
    | Reserved of what: string
    /// A valid encoding of an extension ThruVM does not implement (A, F, D, Zicsr, Zifencei, Zcb, …).
    | Unsupported of extension: string
    /// No standard extension allocates this encoding.
    | Unallocated
    /// The low bits announce an instruction of 48 bits or more.
    | LongEncoding

/// The result of decoding one instruction: every 16-bit or 32-bit word decodes to one of these.
type Decoded =
    | Full of Instr
    | Compressed of CInstr
    | Illegal of IllegalReason

/// Register names of the standard ABI, indexed by register number.
module Reg =
    let abiNames =
        [| "zero"; "ra"; "sp"; "gp"; "tp"; "t0"; "t1"; "t2"; "s0"; "s1"; "a0"; "a1"; "a2"; "a3"; "a4"; "a5"
           "a6"; "a7"; "s2"; "s3"; "s4"; "s5"; "s6"; "s7"; "s8"; "s9"; "s10"; "s11"; "t3"; "t4"; "t5"; "t6" |]

    /// The ABI name of register `r`.
    let name (r: Reg) = abiNames[r]

    let ra: Reg = 1
    let sp: Reg = 2
    let a0: Reg = 10
    let a1: Reg = 11
    let a7: Reg = 17
