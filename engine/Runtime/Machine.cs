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
/// The fast interpreter: registers, pc, budget, a software TLB in front of an
/// <see cref="AddressSpace"/>, and a lazily filled cache of pre-decoded code pages. Not thread-safe.
/// </summary>
/// <remarks>
/// <para>Dispatch: <see cref="Run"/> (the dispatcher) finds the code page of the pc, decodes the block at the pc if
/// needed, and enters the hot loop (<see cref="Interpreter"/>), which runs until something it cannot handle
/// locally: a stop (ecall, ebreak, fault, limit), a jump to a page missing from the code TLB, an undecoded slot,
/// the end of a page, or a store into decoded code.</para>
/// <para>Compiled tier (<see cref="EngineOptions.Compile"/>): every decoded slot starts with <see cref="Slot.Heat"/> at
/// the hot threshold; the dispatcher and the interpreter count block entries down, and at 0 the dispatcher asks the tier
/// policy (Runtime/TierPolicy.cs) for the region entered there: from the shared cache, compiled now
/// (<see cref="BlockCompiler"/>) when the compile-cost model says it pays, or not yet (254 more entries). Compiled code
/// runs whenever the budget covers the entry block (as the interpreter's block mode requires); otherwise the interpreter
/// steps. It belongs to its code page and is dropped with the page's slots (self-modifying stores,
/// <see cref="InvalidatePage"/>, the cache limit). A machine compiles at most
/// <see cref="EngineOptions.MaxCompiledInstructions"/> guest instructions.</para>
/// <para>Where things are: this file has the state and the dispatcher; Runtime/TierPolicy.cs when code is compiled;
/// Runtime/CodeCache.cs the decoded pages; Memory/Tlb.cs the data TLB and the slow paths; Interpret/Interpreter.cs the
/// hot loop; Compile/BlockCompiler.cs the compiled tier; Debug/MachineStep.cs the traced single step.</para>
/// <para>Self-modifying code: a page with decoded slots (and the page after one whose last slot straddles into
/// it) is <i>watched</i>: its write-TLB entry is never installed, so every store to it takes the slow path, which
/// writes, marks the page dirty, and makes the hot loop leave after the store. The dispatcher then clears the
/// page's slots before anything else runs, so the next fetch of those bytes decodes the new instruction.</para>
/// </remarks>
public sealed unsafe partial class Machine : IDisposable
{
    /// <summary>Register slots in the machine state: x0 to x31 and the pc.</summary>
    public const int RegisterSlots = 33;
    internal const ulong InvalidTag = 0x800; // bit 11 never survives the tag mask
    /// <summary>Data TLB entries (direct-mapped, 32 bytes each): 4096 cover 16 MiB, the size of a segment, so a program
    /// walking a few MiB at random (ptrchase: 4 MiB) misses only on conflicts; 256 made the miss path 43% of its time.
    /// A flush clears only the entries filled since the last one (<see cref="filledLog"/>), so a bigger TLB does not make
    /// the flush after every syscall dearer.</summary>
    internal const int TlbEntries = 4096;
    private const int FillLogSize = 64;
    internal const int CodeTlbEntries = 256;
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
    /// <summary>The code pages of the code TLB's entries (the dispatcher's lookup before the dictionary).</summary>
    private readonly CodePage?[] codeTlbPages = new CodePage?[CodeTlbEntries];
    /// <summary>The TLB entries filled since the last flush (the first <see cref="FillLogSize"/>); more: a full flush.</summary>
    private readonly int[] filledLog = new int[FillLogSize];
    private int filledCount = int.MaxValue;
    /// <summary>The page of the last dispatch (a dictionary lookup saved when the pc stays in it).</summary>
    private CodePage? lastPage;

    /// <summary>Entries of the chain cache (direct-mapped by pc; a power of two).</summary>
    internal const int ChainEntries = 1024;

    /// <summary>
    /// The chain cache: compiled entries by pc, which the dispatcher tries before anything else (see <see cref="Run"/>).
    /// Filled when the dispatcher runs an entry's compiled code; emptied whole whenever compiled code may go away or stop
    /// matching the bytes (dirty pages, <see cref="FlushCodeTlb"/> on a cache drop or <see cref="SwitchCode"/>, an entry
    /// taken back from the compiled tier). An entry is only a shortcut to what the full dispatch would run.
    /// </summary>
    /// <remarks>Allocated at its first fill and flushed only when something was filled since the last flush: a machine
    /// is made per transaction, and most never run compiled code, so they pay nothing for it.</remarks>
    private ChainEntry[]? chain;

    /// <summary>Whether <see cref="chain"/> holds an entry filled since it was last emptied.</summary>
    private bool chainFilled;

    private struct ChainEntry
    {
        public ulong Pc;
        public CompiledCode? Code;
        /// <summary>The entry block's cost (its first slot's SuffixCost): the budget the dispatcher requires before running it.</summary>
        public long Cost;
    }

    /// <summary>Empties the chain cache (an odd pc never matches: every entry pc is even).</summary>
    private void FlushChain()
    {
        if (chainFilled)
        {
            Array.Fill(chain!, new ChainEntry { Pc = 1 });
            chainFilled = false;
        }
    }

    /// <summary>The chain cache, allocated empty at its first use.</summary>
    private ChainEntry[] NewChain()
    {
        var entries = new ChainEntry[ChainEntries];
        Array.Fill(entries, new ChainEntry { Pc = 1 });
        return chain = entries;
    }

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
        st->Tlb = RentTlb(out bool clean);
        if (clean)
        {
            filledCount = 0; // a returned TLB was flushed when its machine was disposed
        }

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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public StopReason Run()
    {
        ObjectDisposedException.ThrowIf(st == null, this);
        ChainEntry[]? chain = this.chain;
        while (true)
        {
            Exit exit;
            if (dirtyPages.Count > 0)
            {
                ProcessDirtyPages();
            }

            // ---- the chain: compiled code that leaves at a JALR or for another page (Exit.Continue) comes back here
            // once per region; most of those exits go to an entry that already has compiled code, which this runs at
            // once, without the page lookup, the decode check and the tier decision below. It requires what the full
            // path would: no dirty page (checked above) and a budget that covers the entry block (which also makes the
            // step limit's check below pass: every block costs at least 1 in raw mode).
            if (chain != null)
            {
                ulong cpc = st->Pc;
                ref ChainEntry e = ref chain[(int)(cpc >> 1) & (ChainEntries - 1)];
                if (e.Pc == cpc && st->Budget >= e.Cost)
                {
                    long before = st->Count;
                    exit = e.Code!(this, st);
                    if (exit == Exit.Continue)
                    {
                        if (st->Count == before)
                        {
                            e.Pc = 1; // cannot happen (see below); the full path then decides
                        }

                        continue;
                    }

                    goto Stopped;
                }
            }

            // D-RAW: the step limit is checked before the next instruction is fetched. D-CU-CHARGE (Thru mode): a
            // failed fetch or an illegal encoding wins over an exhausted budget, so the fetch and the decode come
            // first and the step loop stops at the first instruction the budget cannot pay.
            if (st->Budget <= 0 && costModel == CostModel.Instructions)
            {
                return StopReason.Limit;
            }

            // ---- the code page of the pc. Most dispatches stay in the page of the last one; calls and returns between
            // pages (manypages: 117 code pages) go to the code TLB before the dictionary, which was a visible cost.
            ulong pc = st->Pc;
            CodePage? page = lastPage;
            FaultKind fetchFault = FaultKind.None;
            if (page == null || page.PageAddress != (pc & ~0xFFFUL))
            {
                page = codeTlbPages[(pc >> 12) & (CodeTlbEntries - 1)];
                if (page == null || page.PageAddress != (pc & ~0xFFFUL))
                {
                    page = FindCodePage(pc & ~0xFFFUL, out fetchFault);
                }

                lastPage = page;
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

            // ---- which tier runs from here. The budget test comes first: only the interpreter's step mode can stop
            // inside a block, exactly where the model stops. Then: interpreter only; an entry still counting down (the
            // interpreter counts further entries itself); or the entry's compiled code (or the tier policy's verdict).
            st->Entry = s;
            st->Slots0 = page.SlotArray;
            st->PageAddress = page.PageAddress;
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
                    chain ??= NewChain();
                    chain[(int)(pc >> 1) & (ChainEntries - 1)] = new ChainEntry { Pc = pc, Code = compiled, Cost = s->SuffixCost };
                    chainFilled = true;
                    exit = compiled(this, st);
                    if (exit == Exit.Continue && st->Count == before)
                    {
                        // Cannot happen (the dispatcher and the code check the same cost, and a paid block retires
                        // at least one instruction); should it ever, the entry goes back to the interpreter rather
                        // than loop here forever.
                        page.Compiled![index] = null;
                        s->Heat = 254;
                        FlushChain();
                    }
                }
            }

        Stopped:
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

    /// <summary>Releases the machine's state and decoded code.</summary>
    public void Dispose()
    {
        if (st != null)
        {
            Retire(st->Count);
            DropCodeCache();
            ReturnTlb(st->Tlb);
            NativeMemory.Free(st->CodeTlb);
            NativeMemory.Free(st);
            st = null;
        }
    }
}
