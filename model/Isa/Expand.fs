/// The meaning of every compressed instruction: its 32-bit expansion (docs/spec/isa.md §3.4).
/// A compressed instruction executes exactly as its expansion, with length 2.
module Thru.Model.Isa.Expand

/// The 32-bit instruction a compressed instruction stands for.
let expand (c: CInstr) : Instr =
    match c with
    | C_ADDI4SPN(rd, nzuimm) -> OpImm(ADDI, rd, Reg.sp, int64 nzuimm)
    | C_LW(rd, rs1, uimm) -> Load(LW, rd, rs1, int64 uimm)
    | C_LD(rd, rs1, uimm) -> Load(LD, rd, rs1, int64 uimm)
    | C_SW(rs1, rs2, uimm) -> Store(SW, rs1, rs2, int64 uimm)
    | C_SD(rs1, rs2, uimm) -> Store(SD, rs1, rs2, int64 uimm)
    | C_NOP imm -> OpImm(ADDI, 0, 0, int64 imm)
    | C_ADDI(rd, imm) -> OpImm(ADDI, rd, rd, int64 imm)
    | C_ADDIW(rd, imm) -> OpImm(ADDIW, rd, rd, int64 imm)
    | C_LI(rd, imm) -> OpImm(ADDI, rd, 0, int64 imm)
    | C_ADDI16SP imm -> OpImm(ADDI, Reg.sp, Reg.sp, int64 imm)
    | C_LUI(rd, imm) -> LUI(rd, uint32 imm &&& 0xFFFFFu)
    | C_SRLI(rd, shamt) -> ShiftImm(SRLI, rd, rd, shamt)
    | C_SRAI(rd, shamt) -> ShiftImm(SRAI, rd, rd, shamt)
    | C_ANDI(rd, imm) -> OpImm(ANDI, rd, rd, int64 imm)
    | C_SUB(rd, rs2) -> Op(SUB, rd, rd, rs2)
    | C_XOR(rd, rs2) -> Op(XOR, rd, rd, rs2)
    | C_OR(rd, rs2) -> Op(OR, rd, rd, rs2)
    | C_AND(rd, rs2) -> Op(AND, rd, rd, rs2)
    | C_SUBW(rd, rs2) -> Op(SUBW, rd, rd, rs2)
    | C_ADDW(rd, rs2) -> Op(ADDW, rd, rd, rs2)
    | C_J offset -> JAL(0, offset)
    | C_BEQZ(rs1, offset) -> Branch(BEQ, rs1, 0, offset)
    | C_BNEZ(rs1, offset) -> Branch(BNE, rs1, 0, offset)
    | C_SLLI(rd, shamt) -> ShiftImm(SLLI, rd, rd, shamt)
    | C_LWSP(rd, uimm) -> Load(LW, rd, Reg.sp, int64 uimm)
    | C_LDSP(rd, uimm) -> Load(LD, rd, Reg.sp, int64 uimm)
    | C_JR rs1 -> JALR(0, rs1, 0L)
    | C_MV(rd, rs2) -> Op(ADD, rd, 0, rs2)
    | C_EBREAK -> EBREAK
    | C_JALR rs1 -> JALR(Reg.ra, rs1, 0L)
    | C_ADD(rd, rs2) -> Op(ADD, rd, rd, rs2)
    | C_SWSP(rs2, uimm) -> Store(SW, Reg.sp, rs2, int64 uimm)
    | C_SDSP(rs2, uimm) -> Store(SD, Reg.sp, rs2, int64 uimm)
