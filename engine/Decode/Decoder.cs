namespace Thru.Engine;

/// <summary>
/// Instruction decoding into <see cref="Slot"/>s, from the RISC-V ISA Manual 20250508 (the
/// tables of docs/spec/isa.md §3). Everything outside RV64I, M, C (no FP), Zba, Zbb, Zbc,
/// Zbs and Zknh decodes to <see cref="Op.Illegal"/> (decision D-ILLEGAL); HINTs decode to the
/// instruction they encode (D-HINT); every MISC-MEM funct3=000 word is a no-op (D-FENCE).
/// </summary>
internal static class Decoder
{
    /// <summary>The scratch register that receives writes to x0.</summary>
    public const byte Scratch = 32;

    /// <summary>
    /// Bytes fetched for the instruction whose low parcel is <paramref name="low"/>: 2 for a compressed one, else 4.
    /// A 48-bit or longer encoding (bits 4:2 = 111) is fetched as 4 bytes too and then refused by
    /// <see cref="Decode32"/> (its major opcode is not one ThruVM has), as the model does: if the second parcel
    /// cannot be fetched, the fetch fault wins over the illegal instruction.
    /// </summary>
    public static int Length(ushort low) => (low & 3) != 3 ? 2 : 4;

    private static int SignExtend(uint value, int bits) => (int)(value << (32 - bits)) >> (32 - bits);

    private static uint Bits(uint w, int hi, int lo) => (w >> lo) & ((1u << (hi - lo + 1)) - 1);

    private static void Set(ref Slot s, Op op, int rd = 0, int rs1 = 0, int rs2 = 0, int imm = 0)
    {
        s.Op = op;
        s.Rd = rd == 0 ? Scratch : (byte)rd;
        s.Rs1 = (byte)rs1;
        s.Rs2 = (byte)rs2;
        s.Imm = imm;
    }

    /// <summary>An ALU result written to x0 has no effect: the instruction is a no-op (HINT).</summary>
    private static void Alu(ref Slot s, Op op, int rd, int rs1, int rs2 = 0, int imm = 0)
    {
        if (rd == 0)
        {
            Set(ref s, Op.Nop);
        }
        else if (op == Op.Addi && rs1 == 0)
        {
            Set(ref s, Op.Li, rd, imm: imm);
        }
        else if (op == Op.Add && rs1 == 0)
        {
            Set(ref s, Op.Mv, rd, rs2: rs2);
        }
        else
        {
            Set(ref s, op, rd, rs1, rs2, imm);
        }
    }

    private static void Illegal(ref Slot s) => Set(ref s, Op.Illegal);

    /// <summary>Decode a 32-bit instruction word.</summary>
    public static void Decode32(uint w, ref Slot s)
    {
        int rd = (int)Bits(w, 11, 7), rs1 = (int)Bits(w, 19, 15), rs2 = (int)Bits(w, 24, 20);
        uint f3 = Bits(w, 14, 12), f7 = Bits(w, 31, 25);
        int immI = (int)w >> 20;
        int immS = ((int)w >> 25 << 5) | (int)Bits(w, 11, 7);
        int immB = ((int)w >> 31 << 12) | (int)(Bits(w, 7, 7) << 11) | (int)(Bits(w, 30, 25) << 5) | (int)(Bits(w, 11, 8) << 1);
        int immU = (int)(w & 0xFFFFF000);
        int immJ = ((int)w >> 31 << 20) | (int)(Bits(w, 19, 12) << 12) | (int)(Bits(w, 20, 20) << 11) | (int)(Bits(w, 30, 21) << 1);

        switch (w & 0x7F)
        {
            case 0x37: // LUI
                Alu(ref s, Op.Li, rd, 0, imm: immU);
                return;
            case 0x17: // AUIPC
                Alu(ref s, Op.Auipc, rd, 0, imm: immU);
                return;
            case 0x6F: // JAL
                Set(ref s, Op.Jal, rd, imm: immJ);
                return;
            case 0x67: // JALR
                if (f3 == 0) Set(ref s, Op.Jalr, rd, rs1, imm: immI); else Illegal(ref s);
                return;
            case 0x63: // BRANCH
                {
                    Op op = f3 switch { 0 => Op.Beq, 1 => Op.Bne, 4 => Op.Blt, 5 => Op.Bge, 6 => Op.Bltu, 7 => Op.Bgeu, _ => Op.Illegal };
                    if (op == Op.Illegal) Illegal(ref s); else Set(ref s, op, 0, rs1, rs2, immB);
                    return;
                }
            case 0x03: // LOAD
                {
                    Op op = f3 switch { 0 => Op.Lb, 1 => Op.Lh, 2 => Op.Lw, 3 => Op.Ld, 4 => Op.Lbu, 5 => Op.Lhu, 6 => Op.Lwu, _ => Op.Illegal };
                    if (op == Op.Illegal) Illegal(ref s); else Set(ref s, op, rd, rs1, imm: immI);
                    return;
                }
            case 0x23: // STORE
                {
                    Op op = f3 switch { 0 => Op.Sb, 1 => Op.Sh, 2 => Op.Sw, 3 => Op.Sd, _ => Op.Illegal };
                    if (op == Op.Illegal) Illegal(ref s); else Set(ref s, op, 0, rs1, rs2, immS);
                    return;
                }
            case 0x0F: // MISC-MEM: every FENCE form is a no-op (D-FENCE); FENCE.I and CBO are illegal.
                if (f3 == 0) Set(ref s, Op.Nop); else Illegal(ref s);
                return;
            case 0x73: // SYSTEM: only ECALL and EBREAK exist in ThruVM.
                if (w == 0x0000_0073) Set(ref s, Op.Ecall);
                else if (w == 0x0010_0073) Set(ref s, Op.Ebreak);
                else Illegal(ref s);
                return;
            case 0x13:
                DecodeOpImm(w, rd, rs1, f3, immI, ref s);
                return;
            case 0x1B:
                DecodeOpImm32(w, rd, rs1, f3, immI, ref s);
                return;
            case 0x33:
                {
                    Op op = (f7, f3) switch
                    {
                        (0x00, 0) => Op.Add,
                        (0x00, 1) => Op.Sll,
                        (0x00, 2) => Op.Slt,
                        (0x00, 3) => Op.Sltu,
                        (0x00, 4) => Op.Xor,
                        (0x00, 5) => Op.Srl,
                        (0x00, 6) => Op.Or,
                        (0x00, 7) => Op.And,
                        (0x20, 0) => Op.Sub,
                        (0x20, 5) => Op.Sra,
                        (0x20, 4) => Op.Xnor,
                        (0x20, 6) => Op.Orn,
                        (0x20, 7) => Op.Andn,
                        (0x01, 0) => Op.Mul,
                        (0x01, 1) => Op.Mulh,
                        (0x01, 2) => Op.Mulhsu,
                        (0x01, 3) => Op.Mulhu,
                        (0x01, 4) => Op.Div,
                        (0x01, 5) => Op.Divu,
                        (0x01, 6) => Op.Rem,
                        (0x01, 7) => Op.Remu,
                        (0x10, 2) => Op.Sh1add,
                        (0x10, 4) => Op.Sh2add,
                        (0x10, 6) => Op.Sh3add,
                        (0x05, 1) => Op.Clmul,
                        (0x05, 2) => Op.Clmulr,
                        (0x05, 3) => Op.Clmulh,
                        (0x05, 4) => Op.Min,
                        (0x05, 5) => Op.Minu,
                        (0x05, 6) => Op.Max,
                        (0x05, 7) => Op.Maxu,
                        (0x30, 1) => Op.Rol,
                        (0x30, 5) => Op.Ror,
                        (0x14, 1) => Op.Bset,
                        (0x24, 1) => Op.Bclr,
                        (0x24, 5) => Op.Bext,
                        (0x34, 1) => Op.Binv,
                        _ => Op.Illegal,
                    };
                    if (op == Op.Illegal) Illegal(ref s); else Alu(ref s, op, rd, rs1, rs2);
                    return;
                }
            case 0x3B:
                {
                    Op op = (f7, f3) switch
                    {
                        (0x00, 0) => Op.Addw,
                        (0x00, 1) => Op.Sllw,
                        (0x00, 5) => Op.Srlw,
                        (0x20, 0) => Op.Subw,
                        (0x20, 5) => Op.Sraw,
                        (0x01, 0) => Op.Mulw,
                        (0x01, 4) => Op.Divw,
                        (0x01, 5) => Op.Divuw,
                        (0x01, 6) => Op.Remw,
                        (0x01, 7) => Op.Remuw,
                        (0x04, 0) => Op.AddUw,
                        (0x04, 4) when rs2 == 0 => Op.ZextH,
                        (0x10, 2) => Op.Sh1addUw,
                        (0x10, 4) => Op.Sh2addUw,
                        (0x10, 6) => Op.Sh3addUw,
                        (0x30, 1) => Op.Rolw,
                        (0x30, 5) => Op.Rorw,
                        _ => Op.Illegal,
                    };
                    if (op == Op.Illegal) Illegal(ref s); else Alu(ref s, op, rd, rs1, rs2);
                    return;
                }
            default: // LOAD-FP, STORE-FP, AMO, OP-FP, MADD…, OP-V, custom, reserved, and ≥48-bit encodings (xx11111)
                Illegal(ref s);
                return;
        }
    }

    private static void DecodeOpImm(uint w, int rd, int rs1, uint f3, int immI, ref Slot s)
    {
        uint f6 = Bits(w, 31, 26), shamt = Bits(w, 25, 20), f12 = Bits(w, 31, 20);
        switch (f3)
        {
            case 0: Alu(ref s, Op.Addi, rd, rs1, imm: immI); return;
            case 2: Alu(ref s, Op.Slti, rd, rs1, imm: immI); return;
            case 3: Alu(ref s, Op.Sltiu, rd, rs1, imm: immI); return;
            case 4: Alu(ref s, Op.Xori, rd, rs1, imm: immI); return;
            case 6: Alu(ref s, Op.Ori, rd, rs1, imm: immI); return;
            case 7: Alu(ref s, Op.Andi, rd, rs1, imm: immI); return;
            case 1:
                {
                    Op op = f6 switch
                    {
                        0x00 => Op.Slli,
                        0x0A => Op.Bseti,
                        0x12 => Op.Bclri,
                        0x1A => Op.Binvi,
                        _ => f12 switch
                        {
                            0x600 => Op.Clz,
                            0x601 => Op.Ctz,
                            0x602 => Op.Cpop,
                            0x604 => Op.SextB,
                            0x605 => Op.SextH,
                            0x100 => Op.Sha256Sum0,
                            0x101 => Op.Sha256Sum1,
                            0x102 => Op.Sha256Sig0,
                            0x103 => Op.Sha256Sig1,
                            0x104 => Op.Sha512Sum0,
                            0x105 => Op.Sha512Sum1,
                            0x106 => Op.Sha512Sig0,
                            0x107 => Op.Sha512Sig1,
                            _ => Op.Illegal,
                        },
                    };
                    if (op == Op.Illegal) Illegal(ref s); else Alu(ref s, op, rd, rs1, imm: (int)shamt);
                    return;
                }
            default: // 5
                {
                    Op op = f12 switch
                    {
                        0x287 => Op.OrcB,
                        0x6B8 => Op.Rev8,
                        _ => f6 switch
                        {
                            0x00 => Op.Srli,
                            0x10 => Op.Srai,
                            0x18 => Op.Rori,
                            0x12 => Op.Bexti,
                            _ => Op.Illegal,
                        },
                    };
                    if (op == Op.Illegal) Illegal(ref s); else Alu(ref s, op, rd, rs1, imm: (int)shamt);
                    return;
                }
        }
    }

    private static void DecodeOpImm32(uint w, int rd, int rs1, uint f3, int immI, ref Slot s)
    {
        uint f7 = Bits(w, 31, 25), f6 = Bits(w, 31, 26), f12 = Bits(w, 31, 20);
        int shamt5 = (int)Bits(w, 24, 20), shamt6 = (int)Bits(w, 25, 20);
        Op op;
        int imm = shamt5;
        switch (f3)
        {
            case 0:
                op = Op.Addiw;
                imm = immI;
                break;
            case 1:
                if (f7 == 0x00) op = Op.Slliw;
                else if (f6 == 0x02) { op = Op.SlliUw; imm = shamt6; }
                else op = f12 switch { 0x600 => Op.Clzw, 0x601 => Op.Ctzw, 0x602 => Op.Cpopw, _ => Op.Illegal };
                break;
            case 5:
                op = f7 switch { 0x00 => Op.Srliw, 0x20 => Op.Sraiw, 0x30 => Op.Roriw, _ => Op.Illegal };
                break;
            default:
                op = Op.Illegal;
                break;
        }

        if (op == Op.Illegal) Illegal(ref s); else Alu(ref s, op, rd, rs1, imm: imm);
    }

    /// <summary>Decode a 16-bit (RVC) instruction into the operation of its expansion.</summary>
    public static void Decode16(ushort h, ref Slot s)
    {
        uint c = h;
        uint f3 = Bits(c, 15, 13);
        int rdFull = (int)Bits(c, 11, 7), rs2Full = (int)Bits(c, 6, 2);
        int rdP = 8 + (int)Bits(c, 4, 2), rs1P = 8 + (int)Bits(c, 9, 7);
        // imm[5] = bit 12, imm[4:0] = bits 6:2, sign-extended (CI format).
        int immCI = SignExtend((Bits(c, 12, 12) << 5) | Bits(c, 6, 2), 6);
        uint shamtCI = (Bits(c, 12, 12) << 5) | Bits(c, 6, 2);

        switch (c & 3)
        {
            case 0:
                switch (f3)
                {
                    case 0: // C.ADDI4SPN: nzuimm[5:4|9:6|2|3] = bits 12:11|10:7|6|5
                        {
                            int imm = (int)((Bits(c, 12, 11) << 4) | (Bits(c, 10, 7) << 6) | (Bits(c, 6, 6) << 2) | (Bits(c, 5, 5) << 3));
                            if (imm == 0) Illegal(ref s); else Alu(ref s, Op.Addi, rdP, 2, imm: imm);
                            return;
                        }
                    case 2: // C.LW: uimm[5:3] = 12:10, uimm[2] = 6, uimm[6] = 5
                        Set(ref s, Op.Lw, rdP, rs1P, imm: (int)((Bits(c, 12, 10) << 3) | (Bits(c, 6, 6) << 2) | (Bits(c, 5, 5) << 6)));
                        return;
                    case 3: // C.LD: uimm[5:3] = 12:10, uimm[7:6] = 6:5
                        Set(ref s, Op.Ld, rdP, rs1P, imm: (int)((Bits(c, 12, 10) << 3) | (Bits(c, 6, 5) << 6)));
                        return;
                    case 6: // C.SW
                        Set(ref s, Op.Sw, 0, rs1P, rdP, (int)((Bits(c, 12, 10) << 3) | (Bits(c, 6, 6) << 2) | (Bits(c, 5, 5) << 6)));
                        return;
                    case 7: // C.SD
                        Set(ref s, Op.Sd, 0, rs1P, rdP, (int)((Bits(c, 12, 10) << 3) | (Bits(c, 6, 5) << 6)));
                        return;
                    default: // C.FLD, C.FSD (no D), Zcb / reserved
                        Illegal(ref s);
                        return;
                }
            case 1:
                switch (f3)
                {
                    case 0: // C.ADDI (rd = x0: C.NOP and HINTs)
                        Alu(ref s, Op.Addi, rdFull, rdFull, imm: immCI);
                        return;
                    case 1: // C.ADDIW (rd = x0 reserved)
                        if (rdFull == 0) Illegal(ref s); else Alu(ref s, Op.Addiw, rdFull, rdFull, imm: immCI);
                        return;
                    case 2: // C.LI
                        Alu(ref s, Op.Li, rdFull, 0, imm: immCI);
                        return;
                    case 3:
                        if (rdFull == 2)
                        {
                            // C.ADDI16SP: nzimm[9] = 12, nzimm[4|6|8:7|5] = 6|5|4:3|2
                            uint u = (Bits(c, 12, 12) << 9) | (Bits(c, 6, 6) << 4) | (Bits(c, 5, 5) << 6) | (Bits(c, 4, 3) << 7) | (Bits(c, 2, 2) << 5);
                            if (u == 0) Illegal(ref s); else Alu(ref s, Op.Addi, 2, 2, imm: SignExtend(u, 10));
                        }
                        else
                        {
                            // C.LUI: nzimm[17] = 12, nzimm[16:12] = 6:2 (zero reserved; rd = x0 HINT)
                            if (immCI == 0) Illegal(ref s); else Alu(ref s, Op.Li, rdFull, 0, imm: immCI << 12);
                        }

                        return;
                    case 4:
                        switch (Bits(c, 11, 10))
                        {
                            case 0: Alu(ref s, Op.Srli, rs1P, rs1P, imm: (int)shamtCI); return;
                            case 1: Alu(ref s, Op.Srai, rs1P, rs1P, imm: (int)shamtCI); return;
                            case 2: Alu(ref s, Op.Andi, rs1P, rs1P, imm: immCI); return;
                            default:
                                {
                                    uint f2 = Bits(c, 6, 5);
                                    Op op = Bits(c, 12, 12) == 0
                                        ? f2 switch { 0 => Op.Sub, 1 => Op.Xor, 2 => Op.Or, _ => Op.And }
                                        : f2 switch { 0 => Op.Subw, 1 => Op.Addw, _ => Op.Illegal };
                                    if (op == Op.Illegal) Illegal(ref s); else Alu(ref s, op, rs1P, rs1P, rdP);
                                    return;
                                }
                        }
                    case 5: // C.J: imm[11|4|9:8|10|6|7|3:1|5] = 12|11|10:9|8|7|6|5:3|2
                        Set(ref s, Op.Jal, 0, imm: CjOffset(c));
                        return;
                    case 6: // C.BEQZ
                        Set(ref s, Op.Beq, 0, rs1P, 0, CbOffset(c));
                        return;
                    default: // C.BNEZ
                        Set(ref s, Op.Bne, 0, rs1P, 0, CbOffset(c));
                        return;
                }
            default: // quadrant 2
                switch (f3)
                {
                    case 0: // C.SLLI (rd = x0 or shamt = 0: HINTs)
                        Alu(ref s, Op.Slli, rdFull, rdFull, imm: (int)shamtCI);
                        return;
                    case 2: // C.LWSP: uimm[5] = 12, uimm[4:2] = 6:4, uimm[7:6] = 3:2; rd = x0 reserved
                        if (rdFull == 0) Illegal(ref s);
                        else Set(ref s, Op.Lw, rdFull, 2, imm: (int)((Bits(c, 12, 12) << 5) | (Bits(c, 6, 4) << 2) | (Bits(c, 3, 2) << 6)));
                        return;
                    case 3: // C.LDSP: uimm[5] = 12, uimm[4:3] = 6:5, uimm[8:6] = 4:2; rd = x0 reserved
                        if (rdFull == 0) Illegal(ref s);
                        else Set(ref s, Op.Ld, rdFull, 2, imm: (int)((Bits(c, 12, 12) << 5) | (Bits(c, 6, 5) << 3) | (Bits(c, 4, 2) << 6)));
                        return;
                    case 4:
                        if (Bits(c, 12, 12) == 0)
                        {
                            if (rs2Full == 0)
                            {
                                // C.JR (rs1 = x0 reserved)
                                if (rdFull == 0) Illegal(ref s); else Set(ref s, Op.Jalr, 0, rdFull);
                            }
                            else
                            {
                                Alu(ref s, Op.Add, rdFull, 0, rs2Full); // C.MV
                            }
                        }
                        else if (rs2Full == 0)
                        {
                            if (rdFull == 0) Set(ref s, Op.Ebreak); // C.EBREAK
                            else Set(ref s, Op.Jalr, 1, rdFull); // C.JALR
                        }
                        else
                        {
                            Alu(ref s, Op.Add, rdFull, rdFull, rs2Full); // C.ADD
                        }

                        return;
                    case 6: // C.SWSP: uimm[5:2] = 12:9, uimm[7:6] = 8:7
                        Set(ref s, Op.Sw, 0, 2, rs2Full, (int)((Bits(c, 12, 9) << 2) | (Bits(c, 8, 7) << 6)));
                        return;
                    case 7: // C.SDSP: uimm[5:3] = 12:10, uimm[8:6] = 9:7
                        Set(ref s, Op.Sd, 0, 2, rs2Full, (int)((Bits(c, 12, 10) << 3) | (Bits(c, 9, 7) << 6)));
                        return;
                    default: // C.FLDSP, C.FSDSP
                        Illegal(ref s);
                        return;
                }
        }
    }

    private static int CjOffset(uint c)
    {
        uint u = (Bits(c, 12, 12) << 11) | (Bits(c, 11, 11) << 4) | (Bits(c, 10, 9) << 8) | (Bits(c, 8, 8) << 10)
            | (Bits(c, 7, 7) << 6) | (Bits(c, 6, 6) << 7) | (Bits(c, 5, 3) << 1) | (Bits(c, 2, 2) << 5);
        return SignExtend(u, 12);
    }

    // C.BEQZ/C.BNEZ: offset[8|4:3] = 12|11:10, offset[7:6|2:1|5] = 6:5|4:3|2
    private static int CbOffset(uint c)
    {
        uint u = (Bits(c, 12, 12) << 8) | (Bits(c, 11, 10) << 3) | (Bits(c, 6, 5) << 6) | (Bits(c, 4, 3) << 1) | (Bits(c, 2, 2) << 5);
        return SignExtend(u, 9);
    }
}
