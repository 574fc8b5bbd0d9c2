namespace Thru.Engine;

/// <summary>
/// The dense operation numbers of pre-decoded instructions: the hot loop switches on these.
/// A compressed instruction is decoded to the operation of its 32-bit expansion (its slot says
/// it is 2 bytes long). Pseudo-operations come first.
/// </summary>
internal enum Op : byte
{
    // Pseudo-operations (no instruction is retired when they run).
    /// <summary>Slot not decoded yet (all-zero memory): exit so the dispatcher decodes the block.</summary>
    Undecoded = 0,
    /// <summary>The two sentinel slots past the end of a code page: exit, pc = next page.</summary>
    PageEnd,

    // Terminators that stop the run (never retired in raw mode).
    Illegal,
    /// <summary>The second parcel of a 32-bit instruction could not be fetched; Aux holds the fault kind.</summary>
    FetchFault,
    Ecall,
    Ebreak,

    // Everything below retires.
    Nop,
    /// <summary>rd = Imm (LUI, C.LUI, C.LI, ADDI rd, x0, imm).</summary>
    Li,
    /// <summary>rd = rs2 (C.MV, ADD rd, x0, rs2).</summary>
    Mv,
    Auipc,
    Jal,
    Jalr,
    Beq,
    Bne,
    Blt,
    Bge,
    Bltu,
    Bgeu,
    Lb,
    Lh,
    Lw,
    Ld,
    Lbu,
    Lhu,
    Lwu,
    Sb,
    Sh,
    Sw,
    Sd,
    Addi,
    Slti,
    Sltiu,
    Xori,
    Ori,
    Andi,
    Addiw,
    Slli,
    Srli,
    Srai,
    Slliw,
    Srliw,
    Sraiw,
    SlliUw,
    Rori,
    Roriw,
    Bclri,
    Bseti,
    Binvi,
    Bexti,
    Add,
    Sub,
    Sll,
    Slt,
    Sltu,
    Xor,
    Srl,
    Sra,
    Or,
    And,
    Addw,
    Subw,
    Sllw,
    Srlw,
    Sraw,
    Mul,
    Mulh,
    Mulhsu,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
    Mulw,
    Divw,
    Divuw,
    Remw,
    Remuw,
    Sh1add,
    Sh2add,
    Sh3add,
    AddUw,
    Sh1addUw,
    Sh2addUw,
    Sh3addUw,
    Andn,
    Orn,
    Xnor,
    Min,
    Minu,
    Max,
    Maxu,
    Rol,
    Ror,
    Rolw,
    Rorw,
    Bclr,
    Bset,
    Binv,
    Bext,
    Clmul,
    Clmulh,
    Clmulr,
    Clz,
    Ctz,
    Cpop,
    Clzw,
    Ctzw,
    Cpopw,
    SextB,
    SextH,
    ZextH,
    OrcB,
    Rev8,
    Sha256Sum0,
    Sha256Sum1,
    Sha256Sig0,
    Sha256Sig1,
    Sha512Sum0,
    Sha512Sum1,
    Sha512Sig0,
    Sha512Sig1,

    // The compressed forms of the operations 16-bit instructions decode to (other than control transfers): the
    // hot loop steps over them by a constant one parcel instead of loading the slot's length.
    AddiC,
    LwC,
    LdC,
    SwC,
    SdC,
    NopC,
    AddiwC,
    LiC,
    SrliC,
    SraiC,
    AndiC,
    SubC,
    XorC,
    OrC,
    AndC,
    SubwC,
    AddwC,
    SlliC,
    MvC,
    AddC,
}

internal static class OpInfo
{
    /// <summary>Whether the operation ends a basic block (control transfer or stop).</summary>
    public static bool EndsBlock(Op op) =>
        op is Op.Illegal or Op.FetchFault or Op.Ecall or Op.Ebreak or Op.Jal or Op.Jalr
            or Op.Beq or Op.Bne or Op.Blt or Op.Bge or Op.Bltu or Op.Bgeu;

    /// <summary>Bytes of data a load or store moves (0 for every other operation).</summary>
    public static int DataBytes(Op op) => op switch
    {
        Op.Lb or Op.Lbu or Op.Sb => 1,
        Op.Lh or Op.Lhu or Op.Sh => 2,
        Op.Lw or Op.Lwu or Op.Sw or Op.LwC or Op.SwC => 4,
        Op.Ld or Op.Sd or Op.LdC or Op.SdC => 8,
        _ => 0,
    };

    /// <summary>The compressed form of an operation a 16-bit instruction decoded to (itself for control transfers and stops).</summary>
    public static Op Compressed(Op op) => op switch
    {
        Op.Addi => Op.AddiC,
        Op.Lw => Op.LwC,
        Op.Ld => Op.LdC,
        Op.Sw => Op.SwC,
        Op.Sd => Op.SdC,
        Op.Nop => Op.NopC,
        Op.Addiw => Op.AddiwC,
        Op.Li => Op.LiC,
        Op.Srli => Op.SrliC,
        Op.Srai => Op.SraiC,
        Op.Andi => Op.AndiC,
        Op.Sub => Op.SubC,
        Op.Xor => Op.XorC,
        Op.Or => Op.OrC,
        Op.And => Op.AndC,
        Op.Subw => Op.SubwC,
        Op.Addw => Op.AddwC,
        Op.Slli => Op.SlliC,
        Op.Mv => Op.MvC,
        Op.Add => Op.AddC,
        _ => op,
    };
}
