using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace Thru.Interop;

/// <summary>
/// Builds the static RV64 Linux program that runs a batch of <see cref="QemuCase"/>s inside one qemu-riscv64
/// process. Layout: code at <see cref="CodeBase"/>, the register table in a separate RW segment.
/// </summary>
/// <remarks>
/// For case k the program does, with x31 pointing at the case's 30-entry table row:
/// <code>
///   ld x1..x30, 0..232(x31)          load the case's inputs
///   &lt;case code&gt;                     straight-line, must not touch x31
///   sd x1..x30, 0..232(x31)          overwrite the row with the results
///   write(1, x31, 240)               a0=1 a1=x31 a2=240 a7=64; ecall
///   if (a0 != 240) exit(111)         a short or failed write is a harness failure
///   addi x31, x31, 240               next row
/// </code>
/// and finally <c>exit(0)</c>. A case that kills the process therefore leaves exactly k complete rows on stdout.
/// </remarks>
public static class QemuHarness
{
    /// <summary>Virtual address of the code segment (and entry point).</summary>
    public const ulong CodeBase = 0x10000;

    /// <summary>Result registers per case: x1..x30.</summary>
    public const int RegistersPerCase = 30;

    /// <summary>Bytes written to stdout per case.</summary>
    public const int BytesPerCase = RegistersPerCase * 8;

    /// <summary>Exit status of the harness when a <c>write</c> did not write the whole row.</summary>
    public const int WriteFailureExitCode = 111;

    private const int TablePointer = 31;
    private const int A0 = 10, A1 = 11, A2 = 12, A7 = 17;
    private const int SysWrite = 64, SysExit = 93;

    /// <summary>Builds the ELF image that runs <paramref name="cases"/>[start .. start+count).</summary>
    public static byte[] BuildElf(IReadOnlyList<QemuCase> cases, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, cases.Count);

        var code = new List<byte>(count * 320 + 64);
        var tableSize = count * BytesPerCase;
        var table = new byte[Math.Max(tableSize, 8)];

        // Code size is known before emitting: prologue (lui+addi) + per case + epilogue.
        var codeSize = 8L + 12;
        for (var k = 0; k < count; k++)
        {
            codeSize += PerCaseOverhead + cases[start + k].Code.Length;
        }

        var dataBase = AlignUp(CodeBase + (ulong)codeSize, ElfWriter.PageSize) + ElfWriter.PageSize;
        if (dataBase + (ulong)table.Length >= 0x7FFF_F000)
        {
            throw new ArgumentException("Batch too large for the harness' 31-bit address plan.", nameof(count));
        }

        EmitLoadAddress(code, TablePointer, dataBase);
        for (var k = 0; k < count; k++)
        {
            var c = cases[start + k];
            Validate(c, start + k);
            var row = table.AsSpan(k * BytesPerCase, BytesPerCase);
            for (var r = 1; r <= RegistersPerCase; r++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(row[((r - 1) * 8)..], c.Regs[r]);
            }

            for (var r = 1; r <= RegistersPerCase; r++)
            {
                Emit(code, RvEncode.Ld(r, TablePointer, (r - 1) * 8));
            }

            code.AddRange(c.Code);
            for (var r = 1; r <= RegistersPerCase; r++)
            {
                Emit(code, RvEncode.Sd(r, TablePointer, (r - 1) * 8));
            }

            Emit(code, RvEncode.Addi(A0, 0, 1));
            Emit(code, RvEncode.Addi(A1, TablePointer, 0));
            Emit(code, RvEncode.Addi(A2, 0, BytesPerCase));
            Emit(code, RvEncode.Addi(A7, 0, SysWrite));
            Emit(code, RvEncode.Ecall);
            Emit(code, RvEncode.Addi(A0, A0, -BytesPerCase));
            Emit(code, RvEncode.Beq(A0, 0, 16));
            Emit(code, RvEncode.Addi(A0, 0, WriteFailureExitCode));
            Emit(code, RvEncode.Addi(A7, 0, SysExit));
            Emit(code, RvEncode.Ecall);
            Emit(code, RvEncode.Addi(TablePointer, TablePointer, BytesPerCase));
        }

        Emit(code, RvEncode.Addi(A0, 0, 0));
        Emit(code, RvEncode.Addi(A7, 0, SysExit));
        Emit(code, RvEncode.Ecall);

        if (code.Count != codeSize)
        {
            throw new InvalidOperationException($"Harness size mismatch: planned {codeSize}, emitted {code.Count}.");
        }

        var elf = new ElfWriter { Entry = CodeBase };
        elf.AddSegment(CodeBase, code.ToArray(), ElfSegmentFlags.Read | ElfSegmentFlags.Execute);
        elf.AddSegment(dataBase, table, ElfSegmentFlags.Read | ElfSegmentFlags.Write);
        return elf.ToArray();
    }

    private const int PerCaseOverhead = (RegistersPerCase * 2 * 4) + (11 * 4);

    internal static void Validate(QemuCase c, int index)
    {
        if (c is null)
        {
            throw new ArgumentException($"Case {index} is null.");
        }

        if (c.Regs is null || c.Regs.Length != 32)
        {
            throw new ArgumentException($"Case {index}: Regs must have 32 entries.");
        }

        if (c.Code is null || c.Code.Length % 2 != 0)
        {
            throw new ArgumentException($"Case {index}: Code must be a whole number of 16-bit parcels.");
        }
    }

    private static void EmitLoadAddress(List<byte> code, int rd, ulong address)
    {
        // lui rd, hi20 ; addi rd, rd, lo12 (lo12 sign-extended, hi20 rounded accordingly).
        var lo = (int)((long)(address << 52) >> 52);
        var hi = (uint)((address - (ulong)(long)lo) >> 12) & 0xFFFFF;
        Emit(code, RvEncode.Lui(rd, hi));
        Emit(code, RvEncode.Addi(rd, rd, lo));
    }

    private static void Emit(List<byte> code, uint instruction)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, instruction);
        foreach (var x in b)
        {
            code.Add(x);
        }
    }

    private static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) / alignment * alignment;
}

/// <summary>The handful of RV64I encodings the harness needs (hand-encoded, checked against binutils).</summary>
internal static class RvEncode
{
    /// <summary><c>ecall</c>.</summary>
    public const uint Ecall = 0x0000_0073;

    /// <summary><c>ld rd, imm(rs1)</c>.</summary>
    public static uint Ld(int rd, int rs1, int imm) => IType(imm, rs1, 3, rd, 0x03);

    /// <summary><c>sd rs2, imm(rs1)</c>.</summary>
    public static uint Sd(int rs2, int rs1, int imm) => SType(imm, rs2, rs1, 3, 0x23);

    /// <summary><c>addi rd, rs1, imm</c>.</summary>
    public static uint Addi(int rd, int rs1, int imm) => IType(imm, rs1, 0, rd, 0x13);

    /// <summary><c>lui rd, imm20</c> (imm20 is the raw upper-20-bit field).</summary>
    public static uint Lui(int rd, uint imm20)
    {
        CheckReg(rd);
        if (imm20 > 0xFFFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(imm20));
        }

        return (imm20 << 12) | ((uint)rd << 7) | 0x37;
    }

    /// <summary><c>beq rs1, rs2, offset</c> (even offset, ±4 KiB).</summary>
    public static uint Beq(int rs1, int rs2, int offset)
    {
        CheckReg(rs1);
        CheckReg(rs2);
        if (offset % 2 != 0 || offset < -4096 || offset > 4094)
        {
            throw new ArgumentOutOfRangeException(nameof(offset));
        }

        var o = (uint)offset;
        return (((o >> 12) & 1) << 31) | (((o >> 5) & 0x3F) << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15)
            | (((o >> 1) & 0xF) << 8) | (((o >> 11) & 1) << 7) | 0x63;
    }

    private static uint IType(int imm, int rs1, uint funct3, int rd, uint opcode)
    {
        CheckReg(rd);
        CheckReg(rs1);
        CheckImm12(imm);
        return (((uint)imm & 0xFFF) << 20) | ((uint)rs1 << 15) | (funct3 << 12) | ((uint)rd << 7) | opcode;
    }

    private static uint SType(int imm, int rs2, int rs1, uint funct3, uint opcode)
    {
        CheckReg(rs2);
        CheckReg(rs1);
        CheckImm12(imm);
        var u = (uint)imm;
        return (((u >> 5) & 0x7F) << 25) | ((uint)rs2 << 20) | ((uint)rs1 << 15) | (funct3 << 12) | ((u & 0x1F) << 7) | opcode;
    }

    private static void CheckReg(int r)
    {
        if ((uint)r > 31)
        {
            throw new ArgumentOutOfRangeException(nameof(r), r, "Register number must be 0..31.");
        }
    }

    private static void CheckImm12(int imm)
    {
        if (imm < -2048 || imm > 2047)
        {
            throw new ArgumentOutOfRangeException(nameof(imm), imm, "Immediate must fit in 12 signed bits.");
        }
    }
}
