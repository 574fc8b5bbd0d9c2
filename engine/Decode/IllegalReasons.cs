namespace Thru.Engine;

/// <summary>
/// Why an encoding is not a ThruVM instruction, in words (for fault reports only; the decoder decides legality). The
/// categories follow the RISC-V manual's encoding tables: reserved encodings of a listed instruction, extensions
/// ThruVM does not have, unallocated opcodes and 48-bit or longer encodings.
/// </summary>
internal static class IllegalReasons
{
    private static string Reserved(string what) => $"reserved encoding ({what})";

    private static string Unsupported(string extension) => $"extension {extension} is not part of ThruVM";

    private const string Unallocated = "unallocated encoding";

    private static uint Bits(uint w, int hi, int lo) => (w >> lo) & ((1u << (hi - lo + 1)) - 1);

    /// <summary>The reason for an illegal instruction: a 16-bit parcel (<paramref name="length"/> 2) or a 32-bit word.</summary>
    public static string Describe(uint bits, int length) => length == 2 ? Describe16((ushort)bits) : Describe32(bits);

    private static string Describe32(uint w)
    {
        uint f3 = Bits(w, 14, 12), f7 = Bits(w, 31, 25), imm12 = Bits(w, 31, 20);
        switch (w & 0x7F)
        {
            case 0x67: return Reserved("jalr with funct3≠000");
            case 0x63: return Reserved("branch with funct3=010/011");
            case 0x03: return Reserved("load with funct3=111");
            case 0x1B:
                return (f3 == 1 || f3 == 5) && (f7 == 0x01 || f7 == 0x21 || f7 == 0x31) ? Reserved("32-bit shift with shamt[5]=1") : Unallocated;
            case 0x33: return f7 == 0x04 && (f3 == 4 || f3 == 7) ? Unsupported("Zbkb") : Unallocated;
            case 0x3B: return f7 == 0x04 && f3 == 4 ? Unsupported("Zbkb") : Unallocated;
            case 0x0F:
                return f3 switch { 1 => Unsupported("Zifencei"), 2 => Unsupported("Zicbom/Zicboz"), _ => Unallocated };
            case 0x73:
                return f3 switch
                {
                    0 when imm12 <= 1 => Reserved("ecall/ebreak with non-zero rd or rs1"),
                    0 => Unsupported("privileged"),
                    4 => Unsupported("H"),
                    _ => Unsupported("Zicsr"),
                };
            case 0x2F: return Unsupported("A");
            case 0x07 or 0x27 or 0x43 or 0x47 or 0x4B or 0x4F or 0x53: return Unsupported("F/D/Q");
            case 0x57: return Unsupported("V");
            case var o when (o & 0x1F) == 0x1F: return "48-bit or longer instruction encoding";
            default: return Unallocated; // incl. STORE funct3≥4 and the unassigned OP-IMM encodings
        }
    }

    private static string Describe16(ushort p)
    {
        uint c = p;
        uint f3 = Bits(c, 15, 13);
        switch (c & 3)
        {
            case 0:
                return f3 switch
                {
                    0 when p == 0 => "the all-zero parcel",
                    0 => Reserved("c.addi4spn with nzuimm=0"),
                    4 => Unsupported("Zcb"),
                    _ => Unsupported("D"), // 1, 5
                };
            case 1:
                return f3 switch
                {
                    1 => Reserved("c.addiw with rd=x0"),
                    3 when Bits(c, 11, 7) == 2 => Reserved("c.addi16sp with nzimm=0"),
                    3 => Reserved("c.lui with nzimm=0"),
                    _ => Unsupported("Zcb"), // 4: c.subw/c.addw's neighbours
                };
            case 2:
                return f3 switch
                {
                    2 => Reserved("c.lwsp with rd=x0"),
                    3 => Reserved("c.ldsp with rd=x0"),
                    4 => Reserved("c.jr with rs1=x0"),
                    _ => Unsupported("D"), // 1, 5
                };
            default:
                return Reserved("first half of a 32-bit instruction, not a 16-bit one");
        }
    }
}
