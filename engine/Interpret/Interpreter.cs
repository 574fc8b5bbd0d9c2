using System.Numerics;
using System.Runtime.CompilerServices;

namespace Thru.Engine;

/// <summary>Why the hot loop returned to the dispatcher.</summary>
internal enum Exit : byte
{
    /// <summary>Carry on at State.Pc (page end, jump to an unknown page, undecoded slot, store into code, budget short of a block).</summary>
    Continue,
    Ecall,
    Ebreak,
    Fault,
    Limit,
}

/// <summary>
/// The hot loop: one <c>switch</c> over <see cref="Op"/>, 1–4 lines per operation, no calls except on slow paths.
/// </summary>
/// <remarks>
/// <para><b>Accounting.</b> Two copies of the loop are compiled from this one method (the JIT specialises the
/// struct type parameter). <see cref="Blocks"/>: on entering a block at slot s, the whole block is paid for at once
/// (<c>budget -= s.SuffixCost</c>, <c>count += s.SuffixCount</c>); the dispatcher and the <c>Enter</c> path only
/// enter when the budget covers it. <see cref="Steps"/>: used when the budget does not cover the block; each
/// instruction is paid before it runs, and the loop stops with <see cref="Exit.Limit"/> at the first one the budget
/// cannot pay, with pc at it.</para>
/// <para>Invariant at every exit: the budget and count cover exactly the instructions that retired. An instruction
/// that stops the run (ecall, ebreak, a fault) was paid for and is refunded (<c>Undo</c>): in block mode its suffix,
/// i.e. itself and the rest of the block, in step mode itself. Its own cost is left in <c>State.StopCost</c>: Thru mode
/// charges it back (D-ECALL-CU: the ecall is paid; D-CU-CHARGE: an executed instruction that faults keeps its charge;
/// illegal encodings and failed fetches cost 0).</para>
/// <para><b>Stepping.</b> A 32-bit operation steps two slots and its compressed twin (<c>AddiC</c>, <c>LdC</c>, …: the
/// operations 16-bit instructions decode to) one, as constants: loading the slot's length to find the next slot put a
/// load on the chain from one instruction to the next and cost about 40% of the ALU loop's speed. Control transfers,
/// which may be either length, still read <c>Len</c>.</para>
/// <para><b>Tiering.</b> <see cref="HotBlocks"/> is <see cref="Blocks"/> plus a hotness count per block entry
/// (<see cref="Slot.Heat"/>): a block entered often enough, or already compiled, makes the loop leave before paying for
/// it, with pc at it, so that the dispatcher runs it compiled (<see cref="BlockCompiler"/>). Leaving at a block boundary
/// is unobservable: the dispatcher goes on from there exactly as the loop would.</para>
/// <para><b>x0.</b> The decoder sends writes to x0 into x32, a scratch register; x0 is never written.</para>
/// <para><b>Safety.</b> Every slot index stays inside the page's array: sequential steps end at the two PageEnd
/// sentinels, in-page branch targets were checked by the decoder (Aux = 1), other targets go through the code TLB.
/// Every data access goes through a TLB entry that maps a whole host page owned by the address space, and the tag
/// compare also checks natural alignment, so an aligned access of at most 8 bytes never leaves that page.</para>
/// </remarks>
internal static unsafe class Interpreter
{
    internal interface IMode;

    /// <summary>Pay per block (the budget covers the block being entered).</summary>
    internal struct Blocks : IMode;

    /// <summary>Pay per instruction (the budget runs out in this block).</summary>
    internal struct Steps : IMode;

    /// <summary>Pay per block, and count block entries for the compiled tier: leave at a block whose
    /// <see cref="Slot.Heat"/> is 0 (hot, or compiled), so that the dispatcher runs its compiled code.</summary>
    internal struct HotBlocks : IMode;

    /// <summary>Pay per instruction, and leave after one (<see cref="Debug"/>'s traced runs: the untraced modes are other
    /// instantiations of this method, so they carry no test for it).</summary>
    internal struct Single : IMode;

    private const ulong TlbMask = Machine.TlbEntries - 1;
    private const ulong CodeTlbMask = Machine.CodeTlbEntries - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PcOf(Slot* s, Slot* slots0, ulong pageAddress) => pageAddress + ((ulong)((byte*)s - (byte*)slots0) >> 3);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public static Exit Run<TMode>(Machine m, State* st)
        where TMode : struct, IMode
    {
        bool single = typeof(TMode) == typeof(Single);
        bool stepping = typeof(TMode) == typeof(Steps) || single;
        bool retired = false;
        bool counting = typeof(TMode) == typeof(HotBlocks);
        ulong* x = st->X;
        TlbEntry* tlb = st->Tlb;
        Slot* s = st->Entry;
        Slot* slots0 = st->Slots0;
        ulong pageAddress = st->PageAddress;
        long budget = st->Budget;
        long count = st->Count;
        ulong target;
        ulong a;
        ulong v;
        TlbEntry* e;
        int stored;
        FaultKind fault;
        Exit exit;

        if (!stepping)
        {
            budget -= s->SuffixCost;
            count += s->SuffixCount;
        }

        while (true)
        {
            if (single)
            {
                if (retired)
                {
                    exit = Exit.Continue; // one instruction retired: pc at the next
                    goto Leave;
                }

                retired = true;
            }

            if (stepping)
            {
                if (budget < s->Cost)
                {
                    exit = Exit.Limit;
                    goto Leave;
                }

                budget -= s->Cost;
                count++;
            }

            switch (s->Op)
            {
                // ---- pseudo-operations and stops
                case Op.Undecoded:
                case Op.PageEnd:
                    exit = Exit.Continue;
                    goto Undo;
                case Op.Illegal:
                    fault = FaultKind.IllegalInstruction;
                    goto Fault;
                case Op.FetchFault:
                    fault = (FaultKind)s->Aux;
                    st->FaultAddress = PcOf(s, slots0, pageAddress) + (s->Rs1 != 0 ? 2UL : 0UL);
                    st->FaultSize = 2;
                    st->FaultAccess = Access.Fetch;
                    goto Fault;
                case Op.Ecall:
                    st->StopCost = s->Cost;
                    exit = Exit.Ecall;
                    goto Undo;
                case Op.Ebreak:
                    st->StopCost = s->Cost;
                    exit = Exit.Ebreak;
                    goto Undo;

                // ---- moves, upper immediates
                case Op.Nop: s += 2; continue;
                case Op.Li: x[s->Rd] = (ulong)(long)s->Imm; s += 2; continue;
                case Op.Mv: x[s->Rd] = x[s->Rs2]; s += 2; continue;
                case Op.Auipc: x[s->Rd] = PcOf(s, slots0, pageAddress) + (ulong)(long)s->Imm; s += s->Len; continue;

                // ---- control transfers: end the block; the next one is entered (and paid) at Enter
                case Op.Jal:
                    x[s->Rd] = PcOf(s, slots0, pageAddress) + (ulong)(s->Len * 2);
                    goto Taken;
                case Op.Jalr:
                    target = (x[s->Rs1] + (ulong)(long)s->Imm) & ~1UL;
                    x[s->Rd] = PcOf(s, slots0, pageAddress) + (ulong)(s->Len * 2);
                    goto Far;
                case Op.Beq: if (x[s->Rs1] == x[s->Rs2]) goto Taken; s += s->Len; goto Enter;
                case Op.Bne: if (x[s->Rs1] != x[s->Rs2]) goto Taken; s += s->Len; goto Enter;
                case Op.Blt: if ((long)x[s->Rs1] < (long)x[s->Rs2]) goto Taken; s += s->Len; goto Enter;
                case Op.Bge: if ((long)x[s->Rs1] >= (long)x[s->Rs2]) goto Taken; s += s->Len; goto Enter;
                case Op.Bltu: if (x[s->Rs1] < x[s->Rs2]) goto Taken; s += s->Len; goto Enter;
                case Op.Bgeu: if (x[s->Rs1] >= x[s->Rs2]) goto Taken; s += s->Len; goto Enter;

                // ---- loads: TLB hit when the tag matches the page and the address is aligned
                case Op.Lb:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFFFUL) == e->ReadTag) v = (ulong)(long)*(sbyte*)(a + e->Addend);
                    else if ((fault = m.LoadSlow(a, 1)) == FaultKind.None) v = (ulong)(long)(sbyte)st->Loaded;
                    else goto Fault;
                    x[s->Rd] = v; s += 2; continue;
                case Op.Lbu:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFFFUL) == e->ReadTag) v = *(byte*)(a + e->Addend);
                    else if ((fault = m.LoadSlow(a, 1)) == FaultKind.None) v = st->Loaded;
                    else goto Fault;
                    x[s->Rd] = v; s += 2; continue;
                case Op.Lh:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFFEUL) == e->ReadTag) v = (ulong)(long)*(short*)(a + e->Addend);
                    else if ((fault = m.LoadSlow(a, 2)) == FaultKind.None) v = (ulong)(long)(short)st->Loaded;
                    else goto Fault;
                    x[s->Rd] = v; s += 2; continue;
                case Op.Lhu:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFFEUL) == e->ReadTag) v = *(ushort*)(a + e->Addend);
                    else if ((fault = m.LoadSlow(a, 2)) == FaultKind.None) v = st->Loaded;
                    else goto Fault;
                    x[s->Rd] = v; s += 2; continue;
                case Op.Lw:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFFCUL) == e->ReadTag) v = (ulong)(long)*(int*)(a + e->Addend);
                    else if ((fault = m.LoadSlow(a, 4)) == FaultKind.None) v = (ulong)(long)(int)st->Loaded;
                    else goto Fault;
                    x[s->Rd] = v; s += 2; continue;
                case Op.Lwu:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFFCUL) == e->ReadTag) v = *(uint*)(a + e->Addend);
                    else if ((fault = m.LoadSlow(a, 4)) == FaultKind.None) v = st->Loaded;
                    else goto Fault;
                    x[s->Rd] = v; s += 2; continue;
                case Op.Ld:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFF8UL) == e->ReadTag) v = *(ulong*)(a + e->Addend);
                    else if ((fault = m.LoadSlow(a, 8)) == FaultKind.None) v = st->Loaded;
                    else goto Fault;
                    x[s->Rd] = v; s += 2; continue;

                // ---- stores: the write tag is never set for a page holding decoded code
                case Op.Sb:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFFFUL) == e->WriteTag) { *(byte*)(a + e->Addend) = (byte)x[s->Rs2]; s += 2; continue; }
                    stored = m.StoreSlow(a, 1, x[s->Rs2]);
                    goto Stored;
                case Op.Sh:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFFEUL) == e->WriteTag) { *(ushort*)(a + e->Addend) = (ushort)x[s->Rs2]; s += 2; continue; }
                    stored = m.StoreSlow(a, 2, x[s->Rs2]);
                    goto Stored;
                case Op.Sw:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFFCUL) == e->WriteTag) { *(uint*)(a + e->Addend) = (uint)x[s->Rs2]; s += 2; continue; }
                    stored = m.StoreSlow(a, 4, x[s->Rs2]);
                    goto Stored;
                case Op.Sd:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFF8UL) == e->WriteTag) { *(ulong*)(a + e->Addend) = x[s->Rs2]; s += 2; continue; }
                    stored = m.StoreSlow(a, 8, x[s->Rs2]);
                    goto Stored;

                // ---- register-immediate
                case Op.Addi: x[s->Rd] = x[s->Rs1] + (ulong)(long)s->Imm; s += 2; continue;
                case Op.Slti: x[s->Rd] = (long)x[s->Rs1] < s->Imm ? 1UL : 0UL; s += 2; continue;
                case Op.Sltiu: x[s->Rd] = x[s->Rs1] < (ulong)(long)s->Imm ? 1UL : 0UL; s += 2; continue;
                case Op.Xori: x[s->Rd] = x[s->Rs1] ^ (ulong)(long)s->Imm; s += 2; continue;
                case Op.Ori: x[s->Rd] = x[s->Rs1] | (ulong)(long)s->Imm; s += 2; continue;
                case Op.Andi: x[s->Rd] = x[s->Rs1] & (ulong)(long)s->Imm; s += 2; continue;
                case Op.Addiw: x[s->Rd] = Alu.SignExtend32((uint)x[s->Rs1] + (uint)s->Imm); s += 2; continue;
                case Op.Slli: x[s->Rd] = x[s->Rs1] << s->Imm; s += 2; continue;
                case Op.Srli: x[s->Rd] = x[s->Rs1] >> s->Imm; s += 2; continue;
                case Op.Srai: x[s->Rd] = (ulong)((long)x[s->Rs1] >> s->Imm); s += 2; continue;
                case Op.Slliw: x[s->Rd] = Alu.SignExtend32((uint)x[s->Rs1] << s->Imm); s += 2; continue;
                case Op.Srliw: x[s->Rd] = Alu.SignExtend32((uint)x[s->Rs1] >> s->Imm); s += 2; continue;
                case Op.Sraiw: x[s->Rd] = (ulong)(long)((int)x[s->Rs1] >> s->Imm); s += 2; continue;
                case Op.SlliUw: x[s->Rd] = (ulong)(uint)x[s->Rs1] << s->Imm; s += 2; continue;
                case Op.Rori: x[s->Rd] = BitOperations.RotateRight(x[s->Rs1], s->Imm); s += 2; continue;
                case Op.Roriw: x[s->Rd] = Alu.SignExtend32(BitOperations.RotateRight((uint)x[s->Rs1], s->Imm)); s += 2; continue;
                case Op.Bclri: x[s->Rd] = x[s->Rs1] & ~(1UL << s->Imm); s += 2; continue;
                case Op.Bseti: x[s->Rd] = x[s->Rs1] | (1UL << s->Imm); s += 2; continue;
                case Op.Binvi: x[s->Rd] = x[s->Rs1] ^ (1UL << s->Imm); s += 2; continue;
                case Op.Bexti: x[s->Rd] = (x[s->Rs1] >> s->Imm) & 1; s += 2; continue;

                // ---- register-register: RV64I (shift amounts: rs2[5:0], W forms rs2[4:0])
                case Op.Add: x[s->Rd] = x[s->Rs1] + x[s->Rs2]; s += 2; continue;
                case Op.Sub: x[s->Rd] = x[s->Rs1] - x[s->Rs2]; s += 2; continue;
                case Op.Sll: x[s->Rd] = x[s->Rs1] << (int)(x[s->Rs2] & 63); s += 2; continue;
                case Op.Slt: x[s->Rd] = (long)x[s->Rs1] < (long)x[s->Rs2] ? 1UL : 0UL; s += 2; continue;
                case Op.Sltu: x[s->Rd] = x[s->Rs1] < x[s->Rs2] ? 1UL : 0UL; s += 2; continue;
                case Op.Xor: x[s->Rd] = x[s->Rs1] ^ x[s->Rs2]; s += 2; continue;
                case Op.Srl: x[s->Rd] = x[s->Rs1] >> (int)(x[s->Rs2] & 63); s += 2; continue;
                case Op.Sra: x[s->Rd] = (ulong)((long)x[s->Rs1] >> (int)(x[s->Rs2] & 63)); s += 2; continue;
                case Op.Or: x[s->Rd] = x[s->Rs1] | x[s->Rs2]; s += 2; continue;
                case Op.And: x[s->Rd] = x[s->Rs1] & x[s->Rs2]; s += 2; continue;
                case Op.Addw: x[s->Rd] = Alu.SignExtend32((uint)x[s->Rs1] + (uint)x[s->Rs2]); s += 2; continue;
                case Op.Subw: x[s->Rd] = Alu.SignExtend32((uint)x[s->Rs1] - (uint)x[s->Rs2]); s += 2; continue;
                case Op.Sllw: x[s->Rd] = Alu.SignExtend32((uint)x[s->Rs1] << (int)(x[s->Rs2] & 31)); s += 2; continue;
                case Op.Srlw: x[s->Rd] = Alu.SignExtend32((uint)x[s->Rs1] >> (int)(x[s->Rs2] & 31)); s += 2; continue;
                case Op.Sraw: x[s->Rd] = (ulong)(long)((int)x[s->Rs1] >> (int)(x[s->Rs2] & 31)); s += 2; continue;

                // ---- M
                case Op.Mul: x[s->Rd] = x[s->Rs1] * x[s->Rs2]; s += 2; continue;
                case Op.Mulh: x[s->Rd] = Alu.Mulh(x[s->Rs1], x[s->Rs2]); s += 2; continue;
                case Op.Mulhsu: x[s->Rd] = Alu.Mulhsu(x[s->Rs1], x[s->Rs2]); s += 2; continue;
                case Op.Mulhu: x[s->Rd] = Alu.Mulhu(x[s->Rs1], x[s->Rs2]); s += 2; continue;
                case Op.Div: x[s->Rd] = Alu.Div(x[s->Rs1], x[s->Rs2]); s += 2; continue;
                case Op.Divu: x[s->Rd] = Alu.Divu(x[s->Rs1], x[s->Rs2]); s += 2; continue;
                case Op.Rem: x[s->Rd] = Alu.Rem(x[s->Rs1], x[s->Rs2]); s += 2; continue;
                case Op.Remu: x[s->Rd] = Alu.Remu(x[s->Rs1], x[s->Rs2]); s += 2; continue;
                case Op.Mulw: x[s->Rd] = Alu.SignExtend32((uint)x[s->Rs1] * (uint)x[s->Rs2]); s += 2; continue;
                case Op.Divw: x[s->Rd] = Alu.Divw(x[s->Rs1], x[s->Rs2]); s += 2; continue;
                case Op.Divuw: x[s->Rd] = Alu.Divuw(x[s->Rs1], x[s->Rs2]); s += 2; continue;
                case Op.Remw: x[s->Rd] = Alu.Remw(x[s->Rs1], x[s->Rs2]); s += 2; continue;
                case Op.Remuw: x[s->Rd] = Alu.Remuw(x[s->Rs1], x[s->Rs2]); s += 2; continue;

                // ---- Zba
                case Op.Sh1add: x[s->Rd] = (x[s->Rs1] << 1) + x[s->Rs2]; s += 2; continue;
                case Op.Sh2add: x[s->Rd] = (x[s->Rs1] << 2) + x[s->Rs2]; s += 2; continue;
                case Op.Sh3add: x[s->Rd] = (x[s->Rs1] << 3) + x[s->Rs2]; s += 2; continue;
                case Op.AddUw: x[s->Rd] = (ulong)(uint)x[s->Rs1] + x[s->Rs2]; s += 2; continue;
                case Op.Sh1addUw: x[s->Rd] = ((ulong)(uint)x[s->Rs1] << 1) + x[s->Rs2]; s += 2; continue;
                case Op.Sh2addUw: x[s->Rd] = ((ulong)(uint)x[s->Rs1] << 2) + x[s->Rs2]; s += 2; continue;
                case Op.Sh3addUw: x[s->Rd] = ((ulong)(uint)x[s->Rs1] << 3) + x[s->Rs2]; s += 2; continue;

                // ---- Zbb
                case Op.Andn: x[s->Rd] = x[s->Rs1] & ~x[s->Rs2]; s += 2; continue;
                case Op.Orn: x[s->Rd] = x[s->Rs1] | ~x[s->Rs2]; s += 2; continue;
                case Op.Xnor: x[s->Rd] = ~(x[s->Rs1] ^ x[s->Rs2]); s += 2; continue;
                case Op.Min: x[s->Rd] = (long)x[s->Rs1] < (long)x[s->Rs2] ? x[s->Rs1] : x[s->Rs2]; s += 2; continue;
                case Op.Minu: x[s->Rd] = x[s->Rs1] < x[s->Rs2] ? x[s->Rs1] : x[s->Rs2]; s += 2; continue;
                case Op.Max: x[s->Rd] = (long)x[s->Rs1] > (long)x[s->Rs2] ? x[s->Rs1] : x[s->Rs2]; s += 2; continue;
                case Op.Maxu: x[s->Rd] = x[s->Rs1] > x[s->Rs2] ? x[s->Rs1] : x[s->Rs2]; s += 2; continue;
                case Op.Rol: x[s->Rd] = BitOperations.RotateLeft(x[s->Rs1], (int)(x[s->Rs2] & 63)); s += 2; continue;
                case Op.Ror: x[s->Rd] = BitOperations.RotateRight(x[s->Rs1], (int)(x[s->Rs2] & 63)); s += 2; continue;
                case Op.Rolw: x[s->Rd] = Alu.SignExtend32(BitOperations.RotateLeft((uint)x[s->Rs1], (int)(x[s->Rs2] & 31))); s += 2; continue;
                case Op.Rorw: x[s->Rd] = Alu.SignExtend32(BitOperations.RotateRight((uint)x[s->Rs1], (int)(x[s->Rs2] & 31))); s += 2; continue;
                case Op.Clz: x[s->Rd] = (ulong)BitOperations.LeadingZeroCount(x[s->Rs1]); s += 2; continue;
                case Op.Ctz: x[s->Rd] = (ulong)BitOperations.TrailingZeroCount(x[s->Rs1]); s += 2; continue;
                case Op.Cpop: x[s->Rd] = (ulong)BitOperations.PopCount(x[s->Rs1]); s += 2; continue;
                case Op.Clzw: x[s->Rd] = (ulong)BitOperations.LeadingZeroCount((uint)x[s->Rs1]); s += 2; continue;
                case Op.Ctzw: x[s->Rd] = (ulong)BitOperations.TrailingZeroCount((uint)x[s->Rs1]); s += 2; continue;
                case Op.Cpopw: x[s->Rd] = (ulong)BitOperations.PopCount((uint)x[s->Rs1]); s += 2; continue;
                case Op.SextB: x[s->Rd] = (ulong)(long)(sbyte)x[s->Rs1]; s += 2; continue;
                case Op.SextH: x[s->Rd] = (ulong)(long)(short)x[s->Rs1]; s += 2; continue;
                case Op.ZextH: x[s->Rd] = (ushort)x[s->Rs1]; s += 2; continue;
                case Op.OrcB: x[s->Rd] = Alu.OrcB(x[s->Rs1]); s += 2; continue;
                case Op.Rev8: x[s->Rd] = Alu.Rev8(x[s->Rs1]); s += 2; continue;

                // ---- Zbs (bit index: rs2[5:0])
                case Op.Bclr: x[s->Rd] = x[s->Rs1] & ~(1UL << (int)(x[s->Rs2] & 63)); s += 2; continue;
                case Op.Bset: x[s->Rd] = x[s->Rs1] | (1UL << (int)(x[s->Rs2] & 63)); s += 2; continue;
                case Op.Binv: x[s->Rd] = x[s->Rs1] ^ (1UL << (int)(x[s->Rs2] & 63)); s += 2; continue;
                case Op.Bext: x[s->Rd] = (x[s->Rs1] >> (int)(x[s->Rs2] & 63)) & 1; s += 2; continue;

                // ---- Zbc
                case Op.Clmul: x[s->Rd] = Alu.Clmul(x[s->Rs1], x[s->Rs2]); s += 2; continue;
                case Op.Clmulh: x[s->Rd] = Alu.Clmulh(x[s->Rs1], x[s->Rs2]); s += 2; continue;
                case Op.Clmulr: x[s->Rd] = Alu.Clmulr(x[s->Rs1], x[s->Rs2]); s += 2; continue;

                // ---- Zknh
                case Op.Sha256Sum0: x[s->Rd] = Alu.Sha256Sum0(x[s->Rs1]); s += 2; continue;
                case Op.Sha256Sum1: x[s->Rd] = Alu.Sha256Sum1(x[s->Rs1]); s += 2; continue;
                case Op.Sha256Sig0: x[s->Rd] = Alu.Sha256Sig0(x[s->Rs1]); s += 2; continue;
                case Op.Sha256Sig1: x[s->Rd] = Alu.Sha256Sig1(x[s->Rs1]); s += 2; continue;
                case Op.Sha512Sum0: x[s->Rd] = Alu.Sha512Sum0(x[s->Rs1]); s += 2; continue;
                case Op.Sha512Sum1: x[s->Rd] = Alu.Sha512Sum1(x[s->Rs1]); s += 2; continue;
                case Op.Sha512Sig0: x[s->Rd] = Alu.Sha512Sig0(x[s->Rs1]); s += 2; continue;
                case Op.Sha512Sig1: x[s->Rd] = Alu.Sha512Sig1(x[s->Rs1]); s += 2; continue;

                // ---- the compressed forms: the same operations, one parcel long (a constant step, no load of Len)
                case Op.AddiC: x[s->Rd] = x[s->Rs1] + (ulong)(long)s->Imm; s += 1; continue;
                case Op.LwC:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFFCUL) == e->ReadTag) v = (ulong)(long)*(int*)(a + e->Addend);
                    else if ((fault = m.LoadSlow(a, 4)) == FaultKind.None) v = (ulong)(long)(int)st->Loaded;
                    else goto Fault;
                    x[s->Rd] = v; s += 1; continue;
                case Op.LdC:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFF8UL) == e->ReadTag) v = *(ulong*)(a + e->Addend);
                    else if ((fault = m.LoadSlow(a, 8)) == FaultKind.None) v = st->Loaded;
                    else goto Fault;
                    x[s->Rd] = v; s += 1; continue;
                case Op.SwC:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFFCUL) == e->WriteTag) { *(uint*)(a + e->Addend) = (uint)x[s->Rs2]; s += 1; continue; }
                    stored = m.StoreSlow(a, 4, x[s->Rs2]);
                    goto Stored;
                case Op.SdC:
                    a = x[s->Rs1] + (ulong)(long)s->Imm;
                    e = tlb + ((a >> 12) & TlbMask);
                    if ((a & ~0xFF8UL) == e->WriteTag) { *(ulong*)(a + e->Addend) = x[s->Rs2]; s += 1; continue; }
                    stored = m.StoreSlow(a, 8, x[s->Rs2]);
                    goto Stored;
                case Op.NopC: s += 1; continue;
                case Op.AddiwC: x[s->Rd] = Alu.SignExtend32((uint)x[s->Rs1] + (uint)s->Imm); s += 1; continue;
                case Op.LiC: x[s->Rd] = (ulong)(long)s->Imm; s += 1; continue;
                case Op.SrliC: x[s->Rd] = x[s->Rs1] >> s->Imm; s += 1; continue;
                case Op.SraiC: x[s->Rd] = (ulong)((long)x[s->Rs1] >> s->Imm); s += 1; continue;
                case Op.AndiC: x[s->Rd] = x[s->Rs1] & (ulong)(long)s->Imm; s += 1; continue;
                case Op.SubC: x[s->Rd] = x[s->Rs1] - x[s->Rs2]; s += 1; continue;
                case Op.XorC: x[s->Rd] = x[s->Rs1] ^ x[s->Rs2]; s += 1; continue;
                case Op.OrC: x[s->Rd] = x[s->Rs1] | x[s->Rs2]; s += 1; continue;
                case Op.AndC: x[s->Rd] = x[s->Rs1] & x[s->Rs2]; s += 1; continue;
                case Op.SubwC: x[s->Rd] = Alu.SignExtend32((uint)x[s->Rs1] - (uint)x[s->Rs2]); s += 1; continue;
                case Op.AddwC: x[s->Rd] = Alu.SignExtend32((uint)x[s->Rs1] + (uint)x[s->Rs2]); s += 1; continue;
                case Op.SlliC: x[s->Rd] = x[s->Rs1] << s->Imm; s += 1; continue;
                case Op.MvC: x[s->Rd] = x[s->Rs2]; s += 1; continue;
                case Op.AddC: x[s->Rd] = x[s->Rs1] + x[s->Rs2]; s += 1; continue;
                default:
                    fault = FaultKind.IllegalInstruction; // unreachable: every Op is handled above
                    goto Fault;
            }

            // A store that missed the TLB: 0 (done), a fault, or done-but-hit-decoded-code.
        Stored:
            if (stored == 0)
            {
                s += s->Len;
                continue;
            }

            if (stored != Machine.CodeModified)
            {
                fault = (FaultKind)stored;
                goto Fault;
            }

            // The store retired; leave before running anything decoded from the old bytes.
            // In block mode the rest of the block (from the next slot) was paid for: refund it.
            s += s->Len;
            exit = Exit.Continue;
            if (stepping)
            {
                goto Leave;
            }

            goto Undo;

            // A taken branch or JAL: follow it in the page, or look the target page up.
        Taken:
            if (s->Aux != 0)
            {
                s = (Slot*)((byte*)s + ((long)s->Imm << 3)); // 2 bytes of code = 1 slot of 16 bytes
                goto Enter;
            }

            target = PcOf(s, slots0, pageAddress) + (ulong)(long)s->Imm;

        Far:
            if ((target >> 12) == (pageAddress >> 12))
            {
                s = slots0 + ((target & 0xFFF) >> 1);
                goto Enter;
            }

            {
                CodeTlbEntry* ce = st->CodeTlb + ((target >> 12) & CodeTlbMask);
                if (ce->PageNumber != (target >> 12))
                {
                    st->Pc = target;
                    exit = Exit.Continue;
                    goto Save;
                }

                slots0 = ce->Slots;
                pageAddress = target & ~0xFFFUL;
                s = slots0 + ((target & 0xFFF) >> 1);
            }

            // Entering a block: pay for all of it, or let the dispatcher switch to step mode.
        Enter:
            if (!stepping)
            {
                if (counting)
                {
                    if (s->Heat == 0)
                    {
                        exit = Exit.Continue; // nothing of this block is paid yet
                        goto Leave;
                    }

                    s->Heat--;
                }

                if (budget < s->SuffixCost)
                {
                    exit = Exit.Continue;
                    goto Leave;
                }

                budget -= s->SuffixCost;
                count += s->SuffixCount;
            }
        }

    Fault:
        st->Fault = fault;
        st->StopCost = s->Cost;
        exit = Exit.Fault;

        // The instruction at s was paid for but does not retire: refund it (and, in block mode, the rest of its block).
    Undo:
        if (stepping)
        {
            budget += s->Cost;
            count--;
        }
        else
        {
            budget += s->SuffixCost;
            count -= s->SuffixCount;
        }

    Leave:
        st->Pc = PcOf(s, slots0, pageAddress);

    Save:
        st->Budget = budget;
        st->Count = count;
        return exit;
    }
}
