using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Thru.Engine;

/// <summary>How instructions are charged against the budget.</summary>
public enum CostModel : byte
{
    /// <summary>Raw mode: 1 per retired instruction (the budget is maxSteps).</summary>
    Instructions,
    /// <summary>Thru mode: 4 CU per 32-bit and 2 per 16-bit instruction, +1 per byte loaded or stored.</summary>
    ComputeUnits,
}

/// <summary>Why <see cref="Machine.Run"/> returned.</summary>
public enum StopReason : byte
{
    /// <summary>At an ECALL (pc at it; not charged, not counted).</summary>
    Ecall,
    /// <summary>At an EBREAK or C.EBREAK (pc at it; not charged, not counted).</summary>
    Ebreak,
    /// <summary>A fault (<see cref="Machine.Fault"/>); pc at the faulting instruction, state as before it.</summary>
    Fault,
    /// <summary>The budget cannot pay for the next instruction; pc at it.</summary>
    Limit,
}

/// <summary>One entry of the data TLB (direct-mapped). A tag is the page address; it can match
/// only an address whose low bits (under the access size) are zero, so one compare checks the
/// page and the alignment. <see cref="Machine.InvalidTag"/> never matches.</summary>
[StructLayout(LayoutKind.Sequential, Size = 32)]
internal struct TlbEntry
{
    public ulong ReadTag;
    public ulong WriteTag;
    /// <summary>host address = guest address + Addend.</summary>
    public ulong Addend;
}

/// <summary>One entry of the code TLB: guest page number → its slot array.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
internal unsafe struct CodeTlbEntry
{
    public ulong PageNumber;
    public Slot* Slots;
}

/// <summary>The machine state the hot loop works on, in unmanaged memory.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct State
{
    /// <summary>x0..x31, then x32: the scratch register that receives writes to x0.</summary>
    public fixed ulong X[Machine.RegisterSlots];
    public ulong Pc;
    /// <summary>Units still payable (raw mode: instructions).</summary>
    public long Budget;
    /// <summary>Instructions retired.</summary>
    public long Count;
    public FaultKind Fault;
    /// <summary>The access that faulted (a data access or a fetch; not set for an illegal instruction).</summary>
    public ulong FaultAddress;
    public int FaultSize;
    public Access FaultAccess;
    /// <summary>The metered cost of the instruction that stopped the run (ecall, ebreak, a fault); 0 for a failed fetch.</summary>
    public int StopCost;
    /// <summary>Value returned by a slow-path load.</summary>
    public ulong Loaded;
    public TlbEntry* Tlb;
    public CodeTlbEntry* CodeTlb;
    // Where the hot loop starts: the slot, its page's slot array and guest page address.
    public Slot* Entry;
    public Slot* Slots0;
    public ulong PageAddress;
}

/// <summary>
/// The decoded pages of one body of code, by guest page address. Raw mode has one; Thru mode has one per program
/// image (every program runs at the same addresses) and switches between them on invoke and return.
/// </summary>
internal sealed class CodeCache
{
    public readonly Dictionary<ulong, CodePage> Pages = new();

    /// <summary>Releases every decoded page (idempotent).</summary>
    public void Free()
    {
        foreach (CodePage p in Pages.Values)
        {
            p.Free();
        }

        Pages.Clear();
    }
}

/// <summary>A decoded code page: 2048 slots plus two PageEnd sentinels, in unmanaged memory.</summary>
internal sealed unsafe class CodePage
{
    public const int Slots = AddressSpace.PageSize / 2;
    public readonly ulong PageAddress;
    public readonly Slot* SlotArray;
    /// <summary>A decoded 32-bit instruction at offset 0xFFE reads the next page: that page is watched too.</summary>
    public bool Straddles;
    /// <summary>The compiled tier's code, by entry slot (made on the first compilation in the page; dropped with the slots).</summary>
    public CompiledCode?[]? Compiled;
    /// <summary>Entries whose region was looked up in the shared cache and missed, and that the machine could not compile
    /// yet (one bit per slot): later attempts first check that the machine may compile.</summary>
    public ulong[]? LookedUp;

    public CodePage(ulong pageAddress)
    {
        PageAddress = pageAddress;
        SlotArray = (Slot*)NativeMemory.AllocZeroed((nuint)((Slots + 2) * sizeof(Slot)));
        Clear();
    }

    /// <summary>Forget every decoded instruction (after a store into the bytes they came from).</summary>
    public void Clear()
    {
        new Span<byte>(SlotArray, Slots * sizeof(Slot)).Clear();
        for (int i = Slots; i < Slots + 2; i++)
        {
            SlotArray[i] = new Slot { Op = Op.PageEnd };
        }

        Straddles = false;
        Compiled = null;
        LookedUp = null;
    }

    public void Free() => NativeMemory.Free(SlotArray);
}

/// <summary>
/// The fast interpreter: registers, pc, budget, a software TLB in front of an
/// <see cref="AddressSpace"/>, and a lazily filled cache of pre-decoded code pages. Not thread-safe.
/// </summary>
/// <remarks>
/// <para>Dispatch: <see cref="Run"/> (the dispatcher) finds the code page of the pc, decodes the block at the pc if
/// needed, and enters the hot loop (<see cref="Interpreter"/>), which runs until something it cannot handle
/// locally: a stop (ecall, ebreak, fault, limit), a jump to a page missing from the code TLB, an undecoded slot,
/// the end of a page, or a store into decoded code.</para>
/// <para>Compiled tier (<see cref="EngineOptions.Compile"/>): every decoded slot starts with <see cref="Slot.Heat"/> at
/// the hot threshold; the dispatcher and the interpreter count block entries down, and at 0 the dispatcher compiles the
/// region entered there (<see cref="BlockCompiler"/>) and from then on runs it compiled whenever the budget covers the
/// entry block (as the interpreter's block mode requires); otherwise the interpreter steps. Compiled code belongs to its
/// code page and is dropped with the page's slots (self-modifying stores, <see cref="InvalidatePage"/>, the cache
/// limit). A machine compiles at most <see cref="EngineOptions.MaxCompiledInstructions"/> guest instructions.</para>
/// <para>Self-modifying code: a page with decoded slots (and the page after one whose last slot straddles into
/// it) is <i>watched</i>: its write-TLB entry is never installed, so every store to it takes the slow path, which
/// writes, marks the page dirty, and makes the hot loop leave after the store. The dispatcher then clears the
/// page's slots before anything else runs, so the next fetch of those bytes decodes the new instruction.</para>
/// </remarks>
public sealed unsafe class Machine : IDisposable
{
    /// <summary>Register slots in the machine state: x0 to x31 and the pc.</summary>
    public const int RegisterSlots = 33;
    internal const ulong InvalidTag = 0x800; // bit 11 never survives the tag mask
    internal const int TlbEntries = 256;
    internal const int CodeTlbEntries = 64;
    /// <summary>Decoded pages kept before the whole cache is dropped (bounds memory at ~70 MB).</summary>
    private const int MaxCodePages = 2048;

    private readonly AddressSpace space;
    private readonly CostModel costModel;
    private State* st;
    private CodeCache code = new();
    private Dictionary<ulong, CodePage> codePages;
    private readonly List<ulong> dirtyPages = new();
    private readonly bool tiered;
    private readonly byte hotThreshold;
    private readonly int maxCompiledInstructions;
    private int compiledInstructions;
    private readonly bool paced;
    /// <summary>Retired instructions already spent on compilation (<see cref="EngineOptions.PaceCompilation"/>).</summary>
    private long compileSpent;
    /// <summary>What compiling costs, in interpreted instructions of about the same time (measured: ~100 µs of JIT per
    /// region and ~2 µs per guest instruction, against ~1.5 ns per interpreted instruction, on the 2-core machine).</summary>
    private const long CompileCostRegion = 60_000, CompileCostInstruction = 1_200;
    /// <summary>The page of the last dispatch (a dictionary lookup saved when the pc stays in it).</summary>
    private CodePage? lastPage;

    /// <summary>A machine over <paramref name="space"/>, metered by <paramref name="costModel"/>, with the tiers of <paramref name="options"/> (default: <see cref="EngineOptions.Current"/>).</summary>
    public Machine(AddressSpace space, CostModel costModel, EngineOptions? options = null)
    {
        options ??= EngineOptions.Current;
        tiered = options.Compile;
        hotThreshold = (byte)Math.Clamp(options.HotThreshold, 0, 254);
        maxCompiledInstructions = Math.Max(0, options.MaxCompiledInstructions);
        paced = options.PaceCompilation;
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("the engine needs a little-endian host");
        }

        this.space = space;
        this.costModel = costModel;
        codePages = code.Pages;
        st = (State*)NativeMemory.AllocZeroed((nuint)sizeof(State));
        st->Tlb = (TlbEntry*)NativeMemory.AllocZeroed((nuint)(TlbEntries * sizeof(TlbEntry)));
        st->CodeTlb = (CodeTlbEntry*)NativeMemory.AllocZeroed((nuint)(CodeTlbEntries * sizeof(CodeTlbEntry)));
        FlushTlb();
        FlushCodeTlb();
    }

    /// <summary>The program counter.</summary>
    public ulong Pc
    {
        get => st->Pc;
        set => st->Pc = value;
    }

    /// <summary>Units the run may still spend (raw mode: instructions).</summary>
    public long Budget
    {
        get => st->Budget;
        set => st->Budget = value;
    }

    /// <summary>Instructions retired so far.</summary>
    public long Instructions
    {
        get => st->Count;
        set => st->Count = value;
    }

    /// <summary>The fault of the last run that stopped with <see cref="StopReason.Fault"/>.</summary>
    public FaultKind Fault => st->Fault;

    /// <summary>The access that faulted: address, size and kind (not set for an illegal instruction).</summary>
    internal ulong FaultAddress => st->FaultAddress;

    internal int FaultSize => st->FaultSize;

    internal Access FaultAccess => st->FaultAccess;

    /// <summary>The metered cost of the instruction that stopped the last run (0 for a failed fetch or an illegal one).</summary>
    internal int StopCost => st->StopCost;

    /// <summary>
    /// Makes <paramref name="cache"/> the decoded code of the pages the machine fetches from (Thru mode: the program
    /// segment changed on invoke or return). The caller owns the caches it passes and frees them.
    /// </summary>
    internal void SwitchCode(CodeCache cache)
    {
        code = cache;
        codePages = cache.Pages;
        lastPage = null;
        dirtyPages.Clear();
        FlushCodeTlb();
    }

    /// <summary>Guest instructions this machine has compiled so far (every region it compiled counts; regions it found in
    /// the shared cache do not). A diagnostic: compilation never changes what a run observes.</summary>
    public int CompiledInstructions => compiledInstructions;

    /// <summary>Forgets every data translation (Thru mode: after a syscall changed permissions, extents or pages).</summary>
    internal void FlushDataTlb() => FlushTlb();

    /// <summary>The value of register x<paramref name="r"/> (x0 reads 0).</summary>
    public ulong GetRegister(int r) => (uint)r < 32 ? (r == 0 ? 0 : st->X[r]) : throw new ArgumentOutOfRangeException(nameof(r));

    /// <summary>Sets register x<paramref name="r"/> (writes to x0 are discarded).</summary>
    public void SetRegister(int r, ulong value)
    {
        if ((uint)r >= 32)
        {
            throw new ArgumentOutOfRangeException(nameof(r));
        }

        if (r != 0)
        {
            st->X[r] = value;
        }
    }

    /// <summary>
    /// Runs until ecall, ebreak, a fault, or the budget cannot pay for the next instruction.
    /// Never throws for any guest program; the budget bounds every run.
    /// </summary>
    public StopReason Run()
    {
        ObjectDisposedException.ThrowIf(st == null, this);
        while (true)
        {
            if (dirtyPages.Count > 0)
            {
                ProcessDirtyPages();
            }

            // D-RAW: the step limit is checked before the next instruction is fetched. D-CU-CHARGE (Thru mode): a
            // failed fetch or an illegal encoding wins over an exhausted budget, so the fetch and the decode come
            // first and the step loop stops at the first instruction the budget cannot pay.
            if (st->Budget <= 0 && costModel == CostModel.Instructions)
            {
                return StopReason.Limit;
            }

            ulong pc = st->Pc;
            CodePage? page = lastPage;
            FaultKind fetchFault = FaultKind.None;
            if (page == null || page.PageAddress != (pc & ~0xFFFUL))
            {
                page = lastPage = FindCodePage(pc & ~0xFFFUL, out fetchFault);
            }

            if (page == null || (pc & 1) != 0)
            {
                st->Fault = space.Classify(pc, 2, Access.Fetch, fetchFault);
                if (st->Fault == FaultKind.None)
                {
                    st->Fault = FaultKind.AlignmentViolation;
                }

                st->FaultAddress = pc;
                st->FaultSize = 2;
                st->FaultAccess = Access.Fetch;
                st->StopCost = 0;
                return StopReason.Fault;
            }

            int index = (int)((pc & 0xFFF) >> 1);
            Slot* s = page.SlotArray + index;
            if (s->Op == Op.Undecoded)
            {
                DecodeBlock(page, index);
            }

            st->Entry = s;
            st->Slots0 = page.SlotArray;
            st->PageAddress = page.PageAddress;
            Exit exit;
            if (st->Budget < s->SuffixCost)
            {
                exit = Interpreter.Run<Interpreter.Steps>(this, st);
            }
            else if (!tiered)
            {
                exit = Interpreter.Run<Interpreter.Blocks>(this, st);
            }
            else if (s->Heat != 0)
            {
                s->Heat--;
                exit = Interpreter.Run<Interpreter.HotBlocks>(this, st);
            }
            else
            {
                CompiledCode? compiled = page.Compiled?[index] ?? Compile(page, index);
                if (compiled == null)
                {
                    exit = Interpreter.Run<Interpreter.HotBlocks>(this, st);
                }
                else
                {
                    long before = st->Count;
                    exit = compiled(this, st);
                    if (exit == Exit.Continue && st->Count == before)
                    {
                        // Cannot happen (the dispatcher and the code check the same cost, and a paid block retires
                        // at least one instruction); should it ever, the entry goes back to the interpreter rather
                        // than loop here forever.
                        page.Compiled![index] = null;
                        s->Heat = 254;
                    }
                }
            }

            switch (exit)
            {
                case Exit.Continue:
                    continue;
                case Exit.Ecall:
                    return StopReason.Ecall;
                case Exit.Ebreak:
                    return StopReason.Ebreak;
                case Exit.Fault:
                    return StopReason.Fault;
                default:
                    return StopReason.Limit;
            }
        }
    }

    // ---------------------------------------------------------------- compiled tier

    /// <summary>
    /// The compiled code of the region entered at slot <paramref name="index"/>: from the shared cache, or compiled now
    /// when the machine may (<see cref="EngineOptions.PaceCompilation"/>, <see cref="EngineOptions.MaxCompiledInstructions"/>).
    /// Null when not: the entry then counts down from 254 before the next attempt, which (the first lookup having
    /// missed) only compiles, when the allowance has grown enough.
    /// </summary>
    private CompiledCode? Compile(CodePage page, int index)
    {
        Slot* s = page.SlotArray + index;
        s->Heat = 254;
        bool lookedUp = page.LookedUp != null && (page.LookedUp[index >> 6] & (1UL << index)) != 0;
        if (lookedUp && !MayCompile(s->SuffixCount))
        {
            return null;
        }

        List<int>? blocks = BlockCompiler.Region(page.SlotArray, index, out int instructions);
        if (blocks == null)
        {
            return null; // the entry block alone is too long: interpreted (tried again every 254 entries, cheaply)
        }

        byte[] key = BlockCompiler.Key(page, blocks);
        if (!BlockCompiler.Shared.TryGet(key, out CompiledCode? compiled))
        {
            if (!MayCompile(instructions))
            {
                (page.LookedUp ??= new ulong[CodePage.Slots / 64])[index >> 6] |= 1UL << index;
                return null;
            }

            compiled = BlockCompiler.Compile(page, blocks);
            BlockCompiler.Shared.Add(key, compiled, instructions);
            compiledInstructions += instructions;
            compileSpent += CompileCostRegion + CompileCostInstruction * instructions;
        }

        s->Heat = 0;
        return (page.Compiled ??= new CompiledCode?[CodePage.Slots])[index] = compiled;
    }

    /// <summary>Whether the machine may compile a region of <paramref name="instructions"/> instructions now.</summary>
    private bool MayCompile(int instructions) =>
        compiledInstructions + instructions <= maxCompiledInstructions
        && (!paced || st->Count - compileSpent >= CompileCostRegion + CompileCostInstruction * instructions);

    // ---------------------------------------------------------------- code cache

    private CodePage? FindCodePage(ulong pageAddress, out FaultKind fault)
    {
        fault = FaultKind.None;
        if (codePages.TryGetValue(pageAddress, out CodePage? page))
        {
            return page;
        }

        fault = space.TranslatePage(pageAddress, Access.Fetch, out _, out _);
        if (fault != FaultKind.None)
        {
            return null;
        }

        if (codePages.Count >= MaxCodePages)
        {
            DropCodeCache();
        }

        page = new CodePage(pageAddress);
        codePages.Add(pageAddress, page);
        FlushWrite(pageAddress); // the page is watched from now on
        CodeTlbEntry* e = st->CodeTlb + ((pageAddress >> 12) & (CodeTlbEntries - 1));
        e->PageNumber = pageAddress >> 12;
        e->Slots = page.SlotArray;
        return page;
    }

    private void DropCodeCache()
    {
        lastPage = null;
        code.Free();
        FlushCodeTlb();
    }

    private bool IsWatched(ulong pageAddress) =>
        codePages.ContainsKey(pageAddress)
        || (codePages.TryGetValue(pageAddress - 0x1000, out CodePage? previous) && previous.Straddles);

    private void ProcessDirtyPages()
    {
        foreach (ulong p in dirtyPages)
        {
            if (codePages.TryGetValue(p, out CodePage? page))
            {
                page.Clear();
            }

            if (codePages.TryGetValue(p - 0x1000, out CodePage? previous) && previous.Straddles)
            {
                previous.Clear();
            }
        }

        dirtyPages.Clear();
    }

    /// <summary>
    /// Decodes the block starting at slot <paramref name="index"/>: forward until a terminator, an
    /// already decoded slot or the page end; then backward, filling the suffix sums.
    /// </summary>
    private void DecodeBlock(CodePage page, int index)
    {
        // Translate again rather than keep a host pointer: the address space may have moved the page
        // (copy-on-write) since the code page was created.
        if (space.TranslatePage(page.PageAddress, Access.Fetch, out byte* host, out _) != FaultKind.None)
        {
            host = null; // cannot happen for a page that was found; decode as fetch faults
        }

        int limit = host == null ? 0 : space.FetchLimit(page.PageAddress);
        Span<short> chain = stackalloc short[CodePage.Slots];
        int n = 0;
        int i = index;
        Slot* slots = page.SlotArray;
        while (i < CodePage.Slots && slots[i].Op == Op.Undecoded)
        {
            DecodeSlot(page, host, limit, i, ref slots[i]);
            slots[i].Heat = hotThreshold;
            chain[n++] = (short)i;
            if (OpInfo.EndsBlock(slots[i].Op))
            {
                break;
            }

            i += slots[i].Len;
        }

        for (int k = n - 1; k >= 0; k--)
        {
            ref Slot s = ref slots[chain[k]];
            if (OpInfo.EndsBlock(s.Op))
            {
                s.SuffixCost = s.Cost;
                s.SuffixCount = 1;
            }
            else
            {
                ref Slot next = ref slots[chain[k] + s.Len]; // a decoded slot or a sentinel (0, 0)
                s.SuffixCost = (ushort)(s.Cost + next.SuffixCost);
                s.SuffixCount = (ushort)(1 + next.SuffixCount);
            }
        }
    }

    private void DecodeSlot(CodePage page, byte* host, int limit, int index, ref Slot s)
    {
        int offset = index * 2;
        if (host == null || offset + 2 > limit)
        {
            s = new Slot { Op = Op.FetchFault, Aux = (byte)FaultKind.InvalidAddress, Len = 1 };
        }
        else
        {
            ushort low = *(ushort*)(host + offset);
            switch (Decoder.Length(low))
            {
                case 2:
                    Decoder.Decode16(low, ref s);
                    s.Op = OpInfo.Compressed(s.Op);
                    s.Len = 1;
                    break;
                default:
                    {
                        ushort high;
                        if (offset + 2 < AddressSpace.PageSize)
                        {
                            if (offset + 4 > limit)
                            {
                                s = new Slot { Op = Op.FetchFault, Aux = (byte)FaultKind.InvalidAddress, Len = 2, Rs1 = 1 };
                                break;
                            }

                            high = *(ushort*)(host + offset + 2);
                        }
                        else
                        {
                            // The instruction straddles into the next page.
                            ulong next = page.PageAddress + 0x1000;
                            FaultKind f = space.TranslatePage(next, Access.Fetch, out byte* nextHost, out _);
                            if (f == FaultKind.None && space.FetchLimit(next) < 2)
                            {
                                f = FaultKind.InvalidAddress;
                            }

                            if (f != FaultKind.None)
                            {
                                s = new Slot { Op = Op.FetchFault, Aux = (byte)f, Len = 2, Rs1 = 1 };
                                break;
                            }

                            high = *(ushort*)nextHost;
                            page.Straddles = true;
                            FlushWrite(next);
                        }

                        Decoder.Decode32(low | ((uint)high << 16), ref s);
                        s.Len = 2;
                        break;
                    }
            }
        }

        // Branch and JAL targets in the same page are followed inside the hot loop without a lookup.
        if (s.Op is Op.Jal or Op.Beq or Op.Bne or Op.Blt or Op.Bge or Op.Bltu or Op.Bgeu)
        {
            long target = offset + (long)s.Imm;
            s.Aux = (byte)(target >= 0 && target < AddressSpace.PageSize ? 1 : 0);
        }

        s.Cost = CostOf(s);
    }

    private byte CostOf(in Slot s)
    {
        if (costModel == CostModel.Instructions)
        {
            return 1;
        }

        if (s.Op is Op.Illegal or Op.FetchFault)
        {
            return 0; // never executed
        }

        return (byte)(2 * s.Len + OpInfo.DataBytes(s.Op));
    }

    // ---------------------------------------------------------------- data TLB and slow paths

    private void FlushTlb()
    {
        for (int i = 0; i < TlbEntries; i++)
        {
            st->Tlb[i] = new TlbEntry { ReadTag = InvalidTag, WriteTag = InvalidTag };
        }
    }

    private void FlushCodeTlb()
    {
        for (int i = 0; i < CodeTlbEntries; i++)
        {
            st->CodeTlb[i] = new CodeTlbEntry { PageNumber = ulong.MaxValue };
        }
    }

    private void FlushWrite(ulong pageAddress)
    {
        TlbEntry* e = st->Tlb + ((pageAddress >> 12) & (TlbEntries - 1));
        if (e->WriteTag == pageAddress)
        {
            e->WriteTag = InvalidTag;
        }
    }

    /// <summary>
    /// Forget every cached translation of a guest page (address spaces call this when a page's host
    /// memory or permissions change, e.g. a copy-on-write copy) and its decoded code.
    /// </summary>
    public void InvalidatePage(ulong pageAddress)
    {
        pageAddress &= ~0xFFFUL;
        TlbEntry* e = st->Tlb + ((pageAddress >> 12) & (TlbEntries - 1));
        if (e->ReadTag == pageAddress || e->WriteTag == pageAddress)
        {
            *e = new TlbEntry { ReadTag = InvalidTag, WriteTag = InvalidTag };
        }

        dirtyPages.Add(pageAddress);
    }

    private void Fill(ulong pageAddress, byte* host, PagePermissions permissions)
    {
        TlbEntry* e = st->Tlb + ((pageAddress >> 12) & (TlbEntries - 1));
        ulong addend = (ulong)host - pageAddress;
        if (e->Addend != addend || (e->ReadTag != pageAddress && e->WriteTag != pageAddress))
        {
            *e = new TlbEntry { ReadTag = InvalidTag, WriteTag = InvalidTag, Addend = addend };
        }

        if ((permissions & PagePermissions.Read) != 0)
        {
            e->ReadTag = pageAddress;
        }

        if ((permissions & PagePermissions.Write) != 0 && !IsWatched(pageAddress))
        {
            e->WriteTag = pageAddress;
        }
    }

    /// <summary>A load the TLB could not serve. The value is left in State.Loaded (zero-extended).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal FaultKind LoadSlow(ulong address, int size)
    {
        FaultKind f = space.Resolve(address, size, Access.Read, out byte* p, out PagePermissions perms);
        if (f != FaultKind.None)
        {
            st->FaultAddress = address;
            st->FaultSize = size;
            st->FaultAccess = Access.Read;
            return f;
        }

        if (perms != PagePermissions.None)
        {
            Fill(address & ~0xFFFUL, p - (address & 0xFFF), perms);
        }

        st->Loaded = size switch
        {
            1 => *p,
            2 => *(ushort*)p,
            4 => *(uint*)p,
            _ => *(ulong*)p,
        };
        return FaultKind.None;
    }

    /// <summary>Result of <see cref="StoreSlow"/> when the store hit decoded code: the hot loop must leave.</summary>
    internal const int CodeModified = 0x100;

    /// <summary>A store the TLB could not serve: 0, a <see cref="FaultKind"/>, or <see cref="CodeModified"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal int StoreSlow(ulong address, int size, ulong value)
    {
        ulong page = address & ~0xFFFUL;
        FaultKind f = space.Resolve(address, size, Access.Write, out byte* p, out PagePermissions perms);
        if (f != FaultKind.None)
        {
            st->FaultAddress = address;
            st->FaultSize = size;
            st->FaultAccess = Access.Write;
            return (int)f;
        }

        if (perms != PagePermissions.None)
        {
            Fill(page, p - (address & 0xFFF), perms);
        }

        switch (size)
        {
            case 1: *p = (byte)value; break;
            case 2: *(ushort*)p = (ushort)value; break;
            case 4: *(uint*)p = (uint)value; break;
            default: *(ulong*)p = value; break;
        }

        if (IsWatched(page))
        {
            dirtyPages.Add(page);
            return CodeModified;
        }

        return 0;
    }

    /// <summary>Releases the machine's state and decoded code.</summary>
    public void Dispose()
    {
        if (st != null)
        {
            DropCodeCache();
            NativeMemory.Free(st->Tlb);
            NativeMemory.Free(st->CodeTlb);
            NativeMemory.Free(st);
            st = null;
        }
    }
}
