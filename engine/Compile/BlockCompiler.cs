using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Numerics;
using System.Reflection;
using System.Reflection.Emit;
using System.Threading;

namespace Thru.Engine;

/// <summary>A compiled region: runs from its entry block like <see cref="Interpreter.Run{TMode}"/> in block mode.</summary>
internal unsafe delegate Exit CompiledCode(Machine machine, State* st);

/// <summary>
/// The compiled tier: turns a region of pre-decoded blocks of one code page into a .NET method (a
/// <see cref="DynamicMethod"/>), which the JIT compiles to machine code.
/// </summary>
/// <remarks>
/// <para><b>Region.</b> The entry block and the decoded blocks it reaches inside its page by fall-through, branches and
/// JAL (breadth first, at most <see cref="MaxRegionInstructions"/> instructions and <see cref="MaxRegionBlocks"/>
/// blocks). A block is what the interpreter calls one: from a slot to the next terminator or the page end, so a slot
/// entered from two places may be compiled in two blocks. Jumps between blocks of the region are IL branches; a loop
/// in a page stays in one method. Any other transfer (JALR, another page, an undecoded or uncompiled target) leaves
/// with the pc and <see cref="Exit.Continue"/>, and the dispatcher goes on.</para>
/// <para><b>Registers.</b> The guest registers the region names live in locals (the JIT keeps them in host registers):
/// loaded at entry, stored back at every exit (those it writes). Only loads and stores call out (on a TLB miss), and
/// those calls touch no register; every exit, fault or not, goes through the write-back, so the state at a fault is
/// exactly the interpreter's. x0 reads as the constant 0; writes to x0 are dropped.</para>
/// <para><b>Metering.</b> Exactly the interpreter's block mode: on entering a block, <c>budget &lt; SuffixCost</c>
/// leaves (pc at the block, nothing paid; the dispatcher then steps it), else the whole block is paid; a stop (ecall,
/// ebreak, fault) refunds the suffix of the stopping instruction and leaves its cost in StopCost; a store into decoded
/// code leaves after the store and refunds the rest of the block. The costs are constants of the slots.</para>
/// <para><b>Memory.</b> Every access is the interpreter's: the inline TLB check (tag = page and alignment), the
/// machine's slow path on a miss. No other memory is touched but the machine's State.</para>
/// <para><b>Safety of the IL.</b> Register numbers come from the decoder (0..32), shift amounts are masked or
/// immediates below 64, division goes through <see cref="Alu"/> (never traps), and the method has no exception
/// handling: it cannot throw.</para>
/// </remarks>
internal static unsafe class BlockCompiler
{
    /// <summary>Guest instructions per region (the entry block alone may use them all).</summary>
    public const int MaxRegionInstructions = 256;
    public const int MaxRegionBlocks = 48;

    private static readonly int OffPc, OffBudget, OffCount, OffFault, OffFaultAddress, OffFaultSize, OffFaultAccess, OffStopCost, OffLoaded, OffTlb;

    private static readonly MethodInfo LoadSlow = typeof(Machine).GetMethod(nameof(Machine.LoadSlow), BindingFlags.Instance | BindingFlags.NonPublic)!;
    private static readonly MethodInfo StoreSlow = typeof(Machine).GetMethod(nameof(Machine.StoreSlow), BindingFlags.Instance | BindingFlags.NonPublic)!;
    private static readonly Type[] Parameters = [typeof(Machine), typeof(State*)];

    static BlockCompiler()
    {
        State s;
        byte* b = (byte*)&s;
        OffPc = (int)((byte*)&s.Pc - b);
        OffBudget = (int)((byte*)&s.Budget - b);
        OffCount = (int)((byte*)&s.Count - b);
        OffFault = (int)((byte*)&s.Fault - b);
        OffFaultAddress = (int)((byte*)&s.FaultAddress - b);
        OffFaultSize = (int)((byte*)&s.FaultSize - b);
        OffFaultAccess = (int)((byte*)&s.FaultAccess - b);
        OffStopCost = (int)((byte*)&s.StopCost - b);
        OffLoaded = (int)((byte*)&s.Loaded - b);
        OffTlb = (int)((byte*)&s.Tlb - b);
    }

    /// <summary>
    /// The decoded blocks of the region entered at <paramref name="entry"/>, entry first; null when the entry block
    /// alone is longer than <see cref="MaxRegionInstructions"/>.
    /// </summary>
    public static List<int>? Region(Slot* slots, int entry, out int instructions) => Region(slots, entry, out instructions, out _);

    /// <summary>As <see cref="Region(Slot*, int, out int)"/>; <paramref name="loops"/>: a block of the region branches or
    /// jumps back to the entry (the region is a loop, whose iterations stay in compiled code).</summary>
    public static List<int>? Region(Slot* slots, int entry, out int instructions, out bool loops) =>
        Region(slots, entry, null, out instructions, out loops);

    /// <summary>As <see cref="Region(Slot*, int, out int, out bool)"/>; <paramref name="decode"/> (when given) decodes
    /// the block at a slot the region reaches but nobody has entered yet, so that the region holds every path its
    /// entry can take in the page, not only those run so far. Decoding ahead changes nothing a run observes (the
    /// interpreter would decode the same bytes on reaching them; the page is watched already).</summary>
    public static List<int>? Region(Slot* slots, int entry, Action<int>? decode, out int instructions, out bool loops)
    {
        loops = false;
        var blocks = new List<int>();
        var seen = new HashSet<int>();
        var queue = new Queue<int>();
        queue.Enqueue(entry);
        seen.Add(entry);
        instructions = 0;
        while (queue.Count > 0 && blocks.Count < MaxRegionBlocks)
        {
            int b = queue.Dequeue();
            int n = 0;
            int i = b;
            while (true)
            {
                Op op = slots[i].Op;
                if (op is Op.Undecoded or Op.PageEnd)
                {
                    break;
                }

                n++;
                if (OpInfo.EndsBlock(op))
                {
                    break;
                }

                i += slots[i].Len;
            }

            if (instructions + n > MaxRegionInstructions)
            {
                if (blocks.Count == 0)
                {
                    return null;
                }

                continue;
            }

            blocks.Add(b);
            instructions += n;
            Slot* t = slots + i; // the terminator (or the pseudo-operation that ends the block)
            bool back = false;
            void Follow(int target)
            {
                back |= target == entry;
                if (decode != null && target >= 0 && target < CodePage.Slots && slots[target].Op == Op.Undecoded)
                {
                    decode(target);
                }

                if (target >= 0 && target < CodePage.Slots && slots[target].Op != Op.Undecoded && seen.Add(target))
                {
                    queue.Enqueue(target);
                }
            }

            switch (t->Op)
            {
                case Op.Beq or Op.Bne or Op.Blt or Op.Bge or Op.Bltu or Op.Bgeu:
                    if (t->Aux != 0)
                    {
                        Follow(i + (t->Imm >> 1));
                    }

                    Follow(i + t->Len);
                    break;
                case Op.Jal:
                    if (t->Aux != 0)
                    {
                        Follow(i + (t->Imm >> 1));
                        if (t->Rd != Decoder.Scratch)
                        {
                            // A call within the page: its return (a JALR) comes back to the next instruction, which a
                            // JALR of the region reaches without leaving (Emitter.IndirectJump). fib's recursion then
                            // runs in one region.
                            Follow(i + t->Len);
                        }
                    }

                    break;
            }

            loops |= back;
        }

        return blocks;
    }

    /// <summary>
    /// Everything the code of a region depends on: the page address (the pcs), the blocks' slots, and the slots, from
    /// each block's entry through the one that ends it, less their hotness counters. Equal keys give the same code.
    /// </summary>
    public static byte[] Key(CodePage page, List<int> blocks)
    {
        Slot* slots = page.SlotArray;
        int length = 8;
        foreach (int b in blocks)
        {
            length += 4 + sizeof(Slot) * (End(slots, b) - b + 1); // at most, counting parcels
        }

        var key = new byte[length];
        int at = 0;
        fixed (byte* k = key)
        {
            *(ulong*)k = page.PageAddress; // the code embeds absolute pcs (PcOf)
            at = 8;
            foreach (int b in blocks)
            {
                *(int*)(k + at) = b;
                at += 4;
                int end = End(slots, b);
                for (int i = b; ; i += slots[i].Len)
                {
                    Slot copy = slots[i];
                    copy.Heat = 0;
                    *(Slot*)(k + at) = copy;
                    at += sizeof(Slot);
                    if (i == end)
                    {
                        break;
                    }
                }
            }
        }

        return key.AsSpan(0, at).ToArray();
    }

    /// <summary>The slot that ends the block entered at <paramref name="b"/>: its terminator, or the pseudo-operation
    /// (page end, undecoded slot) after its last instruction.</summary>
    private static int End(Slot* slots, int b)
    {
        int i = b;
        while (slots[i].Op is not (Op.Undecoded or Op.PageEnd) && !OpInfo.EndsBlock(slots[i].Op))
        {
            i += slots[i].Len;
        }

        return i;
    }

    /// <summary>
    /// Compiles the region <paramref name="blocks"/> (from <see cref="Region(Slot*, int, out int)"/>) of <paramref name="page"/>, and has the
    /// JIT turn it into machine code now: <paramref name="ticks"/> is the whole cost (IL and JIT, <see cref="Stopwatch"/>
    /// ticks), which the compile-cost model learns from (<see cref="CompileCost"/>).
    /// </summary>
    public static CompiledCode Compile(CodePage page, List<int> blocks, out long ticks)
    {
        long start = Stopwatch.GetTimestamp();
        var method = new DynamicMethod($"guest_{page.PageAddress + (ulong)(2 * blocks[0]):x}", typeof(Exit), Parameters, typeof(Machine).Module, skipVisibility: true);
        new Emitter(method.GetILGenerator(), page, blocks).Emit();
        var code = (CompiledCode)method.CreateDelegate(typeof(CompiledCode));

        // The JIT runs at the first call. Make that call here, dry, so that its time is measured with the rest: with a
        // budget no block can pay, the method loads the (dummy) registers, fails the entry block's budget check and
        // writes back; it touches nothing but the dummy State and never reaches a slow path (the machine is unused).
        State dry = default;
        dry.Budget = long.MinValue;
        code(null!, &dry);
        ticks = Stopwatch.GetTimestamp() - start;
        return code;
    }

    /// <summary>
    /// The compile-cost model: what compiling a region costs, measured on this process's own compilations, against
    /// what interpreting its entry block costs. Pacing (<see cref="EngineOptions.PaceCompilation"/>) compiles a region
    /// once the time its interpreted entries took (entries × instructions × <see cref="SavedTicksPerInstruction"/>,
    /// what compiled code would have saved) reaches its estimated compile time: the ski-rental rule, so a region never
    /// costs more than about twice what the better of the two tiers would have, whatever the program.
    /// </summary>
    /// <remarks>
    /// The first compilation of a process also pays the JIT of this compiler and of Reflection.Emit (tens of
    /// milliseconds, far above any region): it is measured apart (<see cref="StartupTicks"/>), and a machine makes the
    /// first compilation of the process only after interpreting about that long. The estimates are shared by every
    /// machine and updated without locks (a lost update only changes an estimate, never a result).
    /// </remarks>
    internal static class CompileCost
    {
        private static readonly double TicksPerNs = Stopwatch.Frequency / 1e9;

        /// <summary>Interpreting minus running compiled, per guest instruction (measured with the real-program suite:
        /// the interpreter runs 250 to 580 M instr/s on the long programs, their compiled code 650 to 2,000).</summary>
        public static readonly double SavedTicksPerInstruction = 2.0 * TicksPerNs;

        /// <summary>Leaving interpreted code for compiled code and back, once per entry of a region that is not a loop
        /// (the dispatcher, the region's loads and write-back of the guest registers; from profiles of switchsm, where
        /// the dispatcher was 13% of the time).</summary>
        public static readonly double TransitionTicks = 20.0 * TicksPerNs;

        /// <summary>An interpreted guest instruction, to count the time a machine has spent (see above).</summary>
        public static readonly double InterpretedTicksPerInstruction = 3.0 * TicksPerNs;

        /// <summary>Compile ticks per guest instruction of a region (moving average; the first guess is 20 µs).</summary>
        public static double TicksPerInstruction = 20_000 * TicksPerNs;

        /// <summary>Compile ticks per region besides its instructions (moving average; the first guess is 200 µs).</summary>
        public static double TicksPerRegion = 200_000 * TicksPerNs;

        /// <summary>The one-time cost of the first compilation (the first guess is 60 ms); 0 once it is paid.</summary>
        public static double StartupTicks = 60_000_000 * TicksPerNs;

        private static int compiled;

        public static bool StartupPaid => Volatile.Read(ref compiled) > 0;

        /// <summary>The estimated ticks of compiling a region of <paramref name="instructions"/> instructions.</summary>
        public static double Estimate(int instructions) => TicksPerRegion + TicksPerInstruction * instructions;

        /// <summary>Learns from one compilation of <paramref name="instructions"/> instructions that took <paramref name="ticks"/>.</summary>
        public static void Record(int instructions, long ticks)
        {
            if (Interlocked.Increment(ref compiled) == 1)
            {
                // The first compilation: what it took beyond an ordinary region is the start-up cost, now paid.
                StartupTicks = 0;
                return;
            }

            // Split the measured time between the two terms in the proportion of the current estimate, then average.
            double estimate = Estimate(instructions);
            double scale = ticks / estimate;
            TicksPerRegion += 0.125 * (TicksPerRegion * scale - TicksPerRegion);
            TicksPerInstruction += 0.125 * (TicksPerInstruction * scale - TicksPerInstruction);
        }
    }

    /// <summary>
    /// Compiled regions shared by every machine of the process, by <see cref="Key"/>: a program that runs in many
    /// transactions (or many raw runs) is compiled once. Holds at most <see cref="SharedCapacity"/> guest instructions;
    /// when full, the least recently used half is evicted (machines keep the code they hold). Thread-safe.
    /// </summary>
    /// <remarks>The capacity is several times the largest program of the suite (manypages compiles about 150,000
    /// instructions counting overlaps): a cache smaller than a program's hot code recompiled it on every run when it was
    /// emptied whole.</remarks>
    internal static class Shared
    {
        public const int SharedCapacity = 1 << 20;
        private static readonly ConcurrentDictionary<byte[], Entry> Regions = new(new KeyComparer());
        private static readonly object EvictLock = new();
        private static int held;
        private static long clock;

        private sealed class Entry(CompiledCode code, int instructions)
        {
            public readonly CompiledCode Code = code;
            public readonly int Instructions = instructions;
            public long LastUse;
        }

        /// <summary>Whether nothing was ever added (or everything was evicted).</summary>
        public static bool IsEmpty => Regions.IsEmpty;

        public static bool TryGet(byte[] key, out CompiledCode? code)
        {
            if (Regions.TryGetValue(key, out Entry? e))
            {
                e.LastUse = Interlocked.Increment(ref clock);
                code = e.Code;
                return true;
            }

            code = null;
            return false;
        }

        public static void Add(byte[] key, CompiledCode code, int instructions)
        {
            var e = new Entry(code, instructions) { LastUse = Interlocked.Increment(ref clock) };
            if (!Regions.TryAdd(key, e))
            {
                return;
            }

            if (Interlocked.Add(ref held, instructions) > SharedCapacity)
            {
                Evict();
            }
        }

        /// <summary>Drops the least recently used entries until at most half the capacity is held.</summary>
        private static void Evict()
        {
            lock (EvictLock)
            {
                if (Volatile.Read(ref held) <= SharedCapacity)
                {
                    return;
                }

                // Other threads add and use entries meanwhile. ToArray is an atomic snapshot (copying the
                // dictionary through ICollection.CopyTo is not, and threw when an entry arrived during the
                // copy), and each entry's last use is read once: sorting on a field that other threads
                // update would give the sort an inconsistent order, which it may refuse with an exception.
                var all = Regions.ToArray();
                var lastUse = new long[all.Length];
                for (int i = 0; i < all.Length; i++)
                {
                    lastUse[i] = all[i].Value.LastUse;
                }

                Array.Sort(lastUse, all);
                foreach (var kv in all)
                {
                    if (Volatile.Read(ref held) <= SharedCapacity / 2)
                    {
                        break;
                    }

                    if (Regions.TryRemove(kv.Key, out Entry? removed))
                    {
                        Interlocked.Add(ref held, -removed.Instructions);
                    }
                }
            }
        }

        private sealed class KeyComparer : IEqualityComparer<byte[]>
        {
            public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

            public int GetHashCode(byte[] key)
            {
                var h = new HashCode();
                h.AddBytes(key);
                return h.ToHashCode();
            }
        }
    }

    private sealed class Emitter
    {
        private readonly ILGenerator il;
        private readonly Slot* slots;
        private readonly ulong pageAddress;
        private readonly List<int> blocks;
        private readonly Dictionary<int, Label> blockLabels = new();
        private readonly LocalBuilder?[] regs = new LocalBuilder?[32];
        private readonly bool[] written = new bool[32];
        private readonly List<Action> cold = new();
        private readonly LocalBuilder budget, count, tlb, address, entry, result, exitPc, exitKind;
        private readonly Label exit;

        public Emitter(ILGenerator il, CodePage page, List<int> blocks)
        {
            this.il = il;
            slots = page.SlotArray;
            pageAddress = page.PageAddress;
            this.blocks = blocks;
            budget = il.DeclareLocal(typeof(long));
            count = il.DeclareLocal(typeof(long));
            tlb = il.DeclareLocal(typeof(nint));
            address = il.DeclareLocal(typeof(ulong));
            entry = il.DeclareLocal(typeof(nint));
            result = il.DeclareLocal(typeof(int));
            exitPc = il.DeclareLocal(typeof(ulong));
            exitKind = il.DeclareLocal(typeof(int));
            exit = il.DefineLabel();
            foreach (int b in blocks)
            {
                blockLabels[b] = il.DefineLabel();
            }
        }

        private ulong PcOf(int index) => pageAddress + (ulong)(2 * index);

        // ------------------------------------------------------------ state and registers

        private void StatePointer(int offset)
        {
            il.Emit(OpCodes.Ldarg_1);
            if (offset != 0)
            {
                il.Emit(OpCodes.Ldc_I4, offset);
                il.Emit(OpCodes.Add);
            }
        }

        /// <summary>Pushes register r (x0: the constant 0).</summary>
        private void Get(int r)
        {
            if (r == 0)
            {
                il.Emit(OpCodes.Ldc_I8, 0L);
            }
            else
            {
                il.Emit(OpCodes.Ldloc, regs[r]!);
            }
        }

        /// <summary>Pops the value into register rd (the scratch register 32: dropped).</summary>
        private void Set(int rd)
        {
            if (rd is > 0 and < 32)
            {
                il.Emit(OpCodes.Stloc, regs[rd]!);
            }
            else
            {
                il.Emit(OpCodes.Pop);
            }
        }

        private void Const(long v) => il.Emit(OpCodes.Ldc_I8, v);

        private void AddTo(LocalBuilder local, long delta)
        {
            if (delta != 0)
            {
                il.Emit(OpCodes.Ldloc, local);
                Const(delta);
                il.Emit(OpCodes.Add);
                il.Emit(OpCodes.Stloc, local);
            }
        }

        /// <summary>Leaves the region: refunds, sets the pc, and goes to the write-back.</summary>
        private void Leave(ulong pc, Exit kind, int refundCost = 0, int refundCount = 0)
        {
            AddTo(budget, refundCost);
            AddTo(count, -refundCount);
            Const((long)pc);
            il.Emit(OpCodes.Stloc, exitPc);
            il.Emit(OpCodes.Ldc_I4, (int)kind);
            il.Emit(OpCodes.Stloc, exitKind);
            il.Emit(OpCodes.Br, exit);
        }

        /// <summary>A fault at the instruction in slot <paramref name="index"/>: State.Fault from the int on the stack.</summary>
        private void FaultFromStack(int index)
        {
            Slot* s = slots + index;
            il.Emit(OpCodes.Stloc, result);
            StatePointer(OffFault);
            il.Emit(OpCodes.Ldloc, result);
            il.Emit(OpCodes.Stind_I1);
            StopCost(s->Cost);
            Leave(PcOf(index), Exit.Fault, s->SuffixCost, s->SuffixCount);
        }

        private void StopCost(int cost)
        {
            StatePointer(OffStopCost);
            il.Emit(OpCodes.Ldc_I4, cost);
            il.Emit(OpCodes.Stind_I4);
        }

        /// <summary>Goes to the block at slot <paramref name="target"/>: a branch when it is in the region, else leave.</summary>
        private void Goto(int target)
        {
            if (blockLabels.TryGetValue(target, out Label l))
            {
                il.Emit(OpCodes.Br, l);
            }
            else
            {
                Leave(PcOf(target), Exit.Continue);
            }
        }

        /// <summary>
        /// Before a call out (a slow path): stores what the region may have changed (written registers, budget, count)
        /// into the State. With <see cref="Reload"/> after the call, no local is live across it, so the JIT keeps the
        /// registers in host registers on the hot path instead of spilling them around a call that rarely happens.
        /// The State is then exactly what it would be at an exit, which the callee does not read anyway.
        /// </summary>
        private void Spill()
        {
            for (int r = 1; r < 32; r++)
            {
                if (written[r])
                {
                    StatePointer(8 * r);
                    il.Emit(OpCodes.Ldloc, regs[r]!);
                    il.Emit(OpCodes.Stind_I8);
                }
            }

            StatePointer(OffBudget);
            il.Emit(OpCodes.Ldloc, budget);
            il.Emit(OpCodes.Stind_I8);
            StatePointer(OffCount);
            il.Emit(OpCodes.Ldloc, count);
            il.Emit(OpCodes.Stind_I8);
        }

        /// <summary>At entry and after a call out: every register the region uses, the budget, the count and the TLB pointer from the State.</summary>
        private void Reload()
        {
            for (int r = 1; r < 32; r++)
            {
                if (regs[r] != null)
                {
                    StatePointer(8 * r);
                    il.Emit(OpCodes.Ldind_I8);
                    il.Emit(OpCodes.Stloc, regs[r]!);
                }
            }

            StatePointer(OffBudget);
            il.Emit(OpCodes.Ldind_I8);
            il.Emit(OpCodes.Stloc, budget);
            StatePointer(OffCount);
            il.Emit(OpCodes.Ldind_I8);
            il.Emit(OpCodes.Stloc, count);
            StatePointer(OffTlb);
            il.Emit(OpCodes.Ldind_I);
            il.Emit(OpCodes.Stloc, tlb);
        }

        // ------------------------------------------------------------ the method

        public void Emit()
        {
            // Registers the region names: read (Rs1, Rs2) or written (Rd). FetchFault's Rs1 is a flag, harmlessly loaded.
            bool[] used = new bool[32];
            foreach (int b in blocks)
            {
                for (int i = b; ; i += slots[i].Len)
                {
                    Slot* s = slots + i;
                    if (s->Op is Op.Undecoded or Op.PageEnd)
                    {
                        break;
                    }

                    if (s->Rs1 is > 0 and < 32) used[s->Rs1] = true;
                    if (s->Rs2 is > 0 and < 32) used[s->Rs2] = true;
                    if (s->Rd is > 0 and < 32) used[s->Rd] = written[s->Rd] = true;
                    if (OpInfo.EndsBlock(s->Op))
                    {
                        break;
                    }
                }
            }

            for (int r = 1; r < 32; r++)
            {
                if (used[r])
                {
                    regs[r] = il.DeclareLocal(typeof(ulong));
                }
            }

            Reload(); // the prologue loads what a call out reloads

            foreach (int b in blocks)
            {
                EmitBlock(b);
            }

            foreach (Action a in cold)
            {
                a();
            }

            EmitHandlers();

            // The write-back: every exit comes here (the same stores as before a slow-path call, then the pc).
            il.MarkLabel(exit);
            Spill();
            StatePointer(OffPc);
            il.Emit(OpCodes.Ldloc, exitPc);
            il.Emit(OpCodes.Stind_I8);
            il.Emit(OpCodes.Ldloc, exitKind);
            il.Emit(OpCodes.Ret);
        }

        private void EmitBlock(int b)
        {
            il.MarkLabel(blockLabels[b]);
            Slot* first = slots + b;

            // Entering the block: pay for all of it, or leave (nothing paid) for the dispatcher to step it.
            Label shortOfBudget = il.DefineLabel();
            il.Emit(OpCodes.Ldloc, budget);
            Const(first->SuffixCost);
            il.Emit(OpCodes.Blt, shortOfBudget);
            AddTo(budget, -first->SuffixCost);
            AddTo(count, first->SuffixCount);
            ulong blockPc = PcOf(b);
            cold.Add(() =>
            {
                il.MarkLabel(shortOfBudget);
                Leave(blockPc, Exit.Continue);
            });

            for (int i = b; ; i += slots[i].Len)
            {
                if (!EmitInstruction(i))
                {
                    return;
                }
            }
        }

        /// <summary>Emits the instruction in slot <paramref name="i"/>; false when it ends the block.</summary>
        private bool EmitInstruction(int i)
        {
            Slot* s = slots + i;
            ulong pc = PcOf(i);
            int rd = s->Rd, rs1 = s->Rs1, rs2 = s->Rs2;
            long imm = s->Imm;
            switch (s->Op)
            {
                // ---- pseudo-operations and stops
                case Op.Undecoded:
                case Op.PageEnd:
                    Leave(pc, Exit.Continue, s->SuffixCost, s->SuffixCount);
                    return false;
                case Op.Illegal:
                    il.Emit(OpCodes.Ldc_I4, (int)FaultKind.IllegalInstruction);
                    FaultFromStack(i);
                    return false;
                case Op.FetchFault:
                    StatePointer(OffFaultAddress);
                    Const((long)(pc + (s->Rs1 != 0 ? 2UL : 0UL)));
                    il.Emit(OpCodes.Stind_I8);
                    StatePointer(OffFaultSize);
                    il.Emit(OpCodes.Ldc_I4_2);
                    il.Emit(OpCodes.Stind_I4);
                    StatePointer(OffFaultAccess);
                    il.Emit(OpCodes.Ldc_I4, (int)Access.Fetch);
                    il.Emit(OpCodes.Stind_I1);
                    il.Emit(OpCodes.Ldc_I4, (int)s->Aux);
                    FaultFromStack(i);
                    return false;
                case Op.Ecall:
                    StopCost(s->Cost);
                    Leave(pc, Exit.Ecall, s->SuffixCost, s->SuffixCount);
                    return false;
                case Op.Ebreak:
                    StopCost(s->Cost);
                    Leave(pc, Exit.Ebreak, s->SuffixCost, s->SuffixCount);
                    return false;

                // ---- control transfers
                case Op.Jal:
                    if (rd != Decoder.Scratch)
                    {
                        Const((long)(pc + (ulong)(2 * s->Len)));
                        Set(rd);
                    }

                    if (s->Aux != 0)
                    {
                        Goto(i + (s->Imm >> 1));
                    }
                    else
                    {
                        Leave(pc + (ulong)imm, Exit.Continue);
                    }

                    return false;
                case Op.Jalr:
                    Get(rs1);
                    Const(imm);
                    il.Emit(OpCodes.Add);
                    Const(~1L);
                    il.Emit(OpCodes.And);
                    il.Emit(OpCodes.Stloc, exitPc);
                    if (rd != Decoder.Scratch)
                    {
                        Const((long)(pc + (ulong)(2 * s->Len)));
                        Set(rd);
                    }

                    IndirectJump();
                    il.Emit(OpCodes.Ldc_I4, (int)Exit.Continue);
                    il.Emit(OpCodes.Stloc, exitKind);
                    il.Emit(OpCodes.Br, exit);
                    return false;
                case Op.Beq: Branch(i, OpCodes.Beq); return false;
                case Op.Bne: Branch(i, OpCodes.Bne_Un); return false;
                case Op.Blt: Branch(i, OpCodes.Blt); return false;
                case Op.Bge: Branch(i, OpCodes.Bge); return false;
                case Op.Bltu: Branch(i, OpCodes.Blt_Un); return false;
                case Op.Bgeu: Branch(i, OpCodes.Bge_Un); return false;

                // ---- loads and stores
                case Op.Lb: Load(i, 1, OpCodes.Ldind_I1, OpCodes.Conv_I1, signed: true); return true;
                case Op.Lbu: Load(i, 1, OpCodes.Ldind_U1, null, signed: false); return true;
                case Op.Lh: Load(i, 2, OpCodes.Ldind_I2, OpCodes.Conv_I2, signed: true); return true;
                case Op.Lhu: Load(i, 2, OpCodes.Ldind_U2, null, signed: false); return true;
                case Op.Lw or Op.LwC: Load(i, 4, OpCodes.Ldind_I4, OpCodes.Conv_I4, signed: true); return true;
                case Op.Lwu: Load(i, 4, OpCodes.Ldind_U4, null, signed: false); return true;
                case Op.Ld or Op.LdC: Load(i, 8, OpCodes.Ldind_I8, null, signed: false); return true;
                case Op.Sb: Store(i, 1, OpCodes.Stind_I1); return true;
                case Op.Sh: Store(i, 2, OpCodes.Stind_I2); return true;
                case Op.Sw or Op.SwC: Store(i, 4, OpCodes.Stind_I4); return true;
                case Op.Sd or Op.SdC: Store(i, 8, OpCodes.Stind_I8); return true;

                case Op.Nop or Op.NopC:
                    return true;
            }

            if (rd == Decoder.Scratch)
            {
                return true; // a computation into x0 has no effect (the decoder makes most of them Nop already)
            }

            switch (s->Op)
            {
                // ---- moves, upper immediates
                case Op.Li or Op.LiC: Const(imm); break;
                case Op.Mv or Op.MvC: Get(rs2); break;
                case Op.Auipc: Const((long)(pc + (ulong)imm)); break;

                // ---- register-immediate
                case Op.Addi or Op.AddiC: Get(rs1); Const(imm); il.Emit(OpCodes.Add); break;
                case Op.Slti: Get(rs1); Const(imm); il.Emit(OpCodes.Clt); il.Emit(OpCodes.Conv_U8); break;
                case Op.Sltiu: Get(rs1); Const(imm); il.Emit(OpCodes.Clt_Un); il.Emit(OpCodes.Conv_U8); break;
                case Op.Xori: Get(rs1); Const(imm); il.Emit(OpCodes.Xor); break;
                case Op.Ori: Get(rs1); Const(imm); il.Emit(OpCodes.Or); break;
                case Op.Andi or Op.AndiC: Get(rs1); Const(imm); il.Emit(OpCodes.And); break;
                case Op.Addiw or Op.AddiwC: Get(rs1); Const(imm); il.Emit(OpCodes.Add); Word(); break;
                case Op.Slli or Op.SlliC: Get(rs1); Shift(imm); il.Emit(OpCodes.Shl); break;
                case Op.Srli or Op.SrliC: Get(rs1); Shift(imm); il.Emit(OpCodes.Shr_Un); break;
                case Op.Srai or Op.SraiC: Get(rs1); Shift(imm); il.Emit(OpCodes.Shr); break;
                case Op.Slliw: Get(rs1); il.Emit(OpCodes.Conv_U4); Shift(imm); il.Emit(OpCodes.Shl); il.Emit(OpCodes.Conv_I8); break;
                case Op.Srliw: Get(rs1); il.Emit(OpCodes.Conv_U4); Shift(imm); il.Emit(OpCodes.Shr_Un); il.Emit(OpCodes.Conv_I8); break;
                case Op.Sraiw: Get(rs1); il.Emit(OpCodes.Conv_I4); Shift(imm); il.Emit(OpCodes.Shr); il.Emit(OpCodes.Conv_I8); break;
                case Op.SlliUw: Get(rs1); il.Emit(OpCodes.Conv_U4); il.Emit(OpCodes.Conv_U8); Shift(imm); il.Emit(OpCodes.Shl); break;
                case Op.Rori: Get(rs1); Shift(imm); Call(typeof(BitOperations), nameof(BitOperations.RotateRight), typeof(ulong), typeof(int)); break;
                case Op.Roriw:
                    Get(rs1); il.Emit(OpCodes.Conv_U4); Shift(imm);
                    Call(typeof(BitOperations), nameof(BitOperations.RotateRight), typeof(uint), typeof(int));
                    il.Emit(OpCodes.Conv_I8);
                    break;
                case Op.Bclri: Get(rs1); Const((long)~(1UL << (int)imm)); il.Emit(OpCodes.And); break;
                case Op.Bseti: Get(rs1); Const((long)(1UL << (int)imm)); il.Emit(OpCodes.Or); break;
                case Op.Binvi: Get(rs1); Const((long)(1UL << (int)imm)); il.Emit(OpCodes.Xor); break;
                case Op.Bexti: Get(rs1); Shift(imm); il.Emit(OpCodes.Shr_Un); Const(1); il.Emit(OpCodes.And); break;

                // ---- register-register
                case Op.Add or Op.AddC: Binary(rs1, rs2, OpCodes.Add); break;
                case Op.Sub or Op.SubC: Binary(rs1, rs2, OpCodes.Sub); break;
                case Op.Xor or Op.XorC: Binary(rs1, rs2, OpCodes.Xor); break;
                case Op.Or or Op.OrC: Binary(rs1, rs2, OpCodes.Or); break;
                case Op.And or Op.AndC: Binary(rs1, rs2, OpCodes.And); break;
                case Op.Sll: Get(rs1); Amount(rs2, 63); il.Emit(OpCodes.Shl); break;
                case Op.Srl: Get(rs1); Amount(rs2, 63); il.Emit(OpCodes.Shr_Un); break;
                case Op.Sra: Get(rs1); Amount(rs2, 63); il.Emit(OpCodes.Shr); break;
                case Op.Slt: Binary(rs1, rs2, OpCodes.Clt); il.Emit(OpCodes.Conv_U8); break;
                case Op.Sltu: Binary(rs1, rs2, OpCodes.Clt_Un); il.Emit(OpCodes.Conv_U8); break;
                case Op.Addw or Op.AddwC: Binary(rs1, rs2, OpCodes.Add); Word(); break;
                case Op.Subw or Op.SubwC: Binary(rs1, rs2, OpCodes.Sub); Word(); break;
                case Op.Sllw: Get(rs1); il.Emit(OpCodes.Conv_U4); Amount(rs2, 31); il.Emit(OpCodes.Shl); il.Emit(OpCodes.Conv_I8); break;
                case Op.Srlw: Get(rs1); il.Emit(OpCodes.Conv_U4); Amount(rs2, 31); il.Emit(OpCodes.Shr_Un); il.Emit(OpCodes.Conv_I8); break;
                case Op.Sraw: Get(rs1); il.Emit(OpCodes.Conv_I4); Amount(rs2, 31); il.Emit(OpCodes.Shr); il.Emit(OpCodes.Conv_I8); break;

                // ---- M
                case Op.Mul: Binary(rs1, rs2, OpCodes.Mul); break;
                case Op.Mulw: Binary(rs1, rs2, OpCodes.Mul); Word(); break;
                case Op.Mulh: AluCall(nameof(Alu.Mulh), rs1, rs2); break;
                case Op.Mulhsu: AluCall(nameof(Alu.Mulhsu), rs1, rs2); break;
                case Op.Mulhu: AluCall(nameof(Alu.Mulhu), rs1, rs2); break;
                case Op.Div: AluCall(nameof(Alu.Div), rs1, rs2); break;
                case Op.Divu: AluCall(nameof(Alu.Divu), rs1, rs2); break;
                case Op.Rem: AluCall(nameof(Alu.Rem), rs1, rs2); break;
                case Op.Remu: AluCall(nameof(Alu.Remu), rs1, rs2); break;
                case Op.Divw: AluCall(nameof(Alu.Divw), rs1, rs2); break;
                case Op.Divuw: AluCall(nameof(Alu.Divuw), rs1, rs2); break;
                case Op.Remw: AluCall(nameof(Alu.Remw), rs1, rs2); break;
                case Op.Remuw: AluCall(nameof(Alu.Remuw), rs1, rs2); break;

                // ---- Zba
                case Op.Sh1add: Get(rs1); Shift(1); il.Emit(OpCodes.Shl); Get(rs2); il.Emit(OpCodes.Add); break;
                case Op.Sh2add: Get(rs1); Shift(2); il.Emit(OpCodes.Shl); Get(rs2); il.Emit(OpCodes.Add); break;
                case Op.Sh3add: Get(rs1); Shift(3); il.Emit(OpCodes.Shl); Get(rs2); il.Emit(OpCodes.Add); break;
                case Op.AddUw: Unsigned32(rs1); Get(rs2); il.Emit(OpCodes.Add); break;
                case Op.Sh1addUw: Unsigned32(rs1); Shift(1); il.Emit(OpCodes.Shl); Get(rs2); il.Emit(OpCodes.Add); break;
                case Op.Sh2addUw: Unsigned32(rs1); Shift(2); il.Emit(OpCodes.Shl); Get(rs2); il.Emit(OpCodes.Add); break;
                case Op.Sh3addUw: Unsigned32(rs1); Shift(3); il.Emit(OpCodes.Shl); Get(rs2); il.Emit(OpCodes.Add); break;

                // ---- Zbb
                case Op.Andn: Get(rs1); Get(rs2); il.Emit(OpCodes.Not); il.Emit(OpCodes.And); break;
                case Op.Orn: Get(rs1); Get(rs2); il.Emit(OpCodes.Not); il.Emit(OpCodes.Or); break;
                case Op.Xnor: Binary(rs1, rs2, OpCodes.Xor); il.Emit(OpCodes.Not); break;
                case Op.Min: Get(rs1); Get(rs2); Call(typeof(Math), nameof(Math.Min), typeof(long), typeof(long)); break;
                case Op.Minu: Get(rs1); Get(rs2); Call(typeof(Math), nameof(Math.Min), typeof(ulong), typeof(ulong)); break;
                case Op.Max: Get(rs1); Get(rs2); Call(typeof(Math), nameof(Math.Max), typeof(long), typeof(long)); break;
                case Op.Maxu: Get(rs1); Get(rs2); Call(typeof(Math), nameof(Math.Max), typeof(ulong), typeof(ulong)); break;
                case Op.Rol: Get(rs1); Amount(rs2, 63); Call(typeof(BitOperations), nameof(BitOperations.RotateLeft), typeof(ulong), typeof(int)); break;
                case Op.Ror: Get(rs1); Amount(rs2, 63); Call(typeof(BitOperations), nameof(BitOperations.RotateRight), typeof(ulong), typeof(int)); break;
                case Op.Rolw:
                    Get(rs1); il.Emit(OpCodes.Conv_U4); Amount(rs2, 31);
                    Call(typeof(BitOperations), nameof(BitOperations.RotateLeft), typeof(uint), typeof(int));
                    il.Emit(OpCodes.Conv_I8);
                    break;
                case Op.Rorw:
                    Get(rs1); il.Emit(OpCodes.Conv_U4); Amount(rs2, 31);
                    Call(typeof(BitOperations), nameof(BitOperations.RotateRight), typeof(uint), typeof(int));
                    il.Emit(OpCodes.Conv_I8);
                    break;
                case Op.Clz: Get(rs1); Call(typeof(BitOperations), nameof(BitOperations.LeadingZeroCount), typeof(ulong)); il.Emit(OpCodes.Conv_I8); break;
                case Op.Ctz: Get(rs1); Call(typeof(BitOperations), nameof(BitOperations.TrailingZeroCount), typeof(ulong)); il.Emit(OpCodes.Conv_I8); break;
                case Op.Cpop: Get(rs1); Call(typeof(BitOperations), nameof(BitOperations.PopCount), typeof(ulong)); il.Emit(OpCodes.Conv_I8); break;
                case Op.Clzw: Get(rs1); il.Emit(OpCodes.Conv_U4); Call(typeof(BitOperations), nameof(BitOperations.LeadingZeroCount), typeof(uint)); il.Emit(OpCodes.Conv_I8); break;
                case Op.Ctzw: Get(rs1); il.Emit(OpCodes.Conv_U4); Call(typeof(BitOperations), nameof(BitOperations.TrailingZeroCount), typeof(uint)); il.Emit(OpCodes.Conv_I8); break;
                case Op.Cpopw: Get(rs1); il.Emit(OpCodes.Conv_U4); Call(typeof(BitOperations), nameof(BitOperations.PopCount), typeof(uint)); il.Emit(OpCodes.Conv_I8); break;
                case Op.SextB: Get(rs1); il.Emit(OpCodes.Conv_I1); il.Emit(OpCodes.Conv_I8); break;
                case Op.SextH: Get(rs1); il.Emit(OpCodes.Conv_I2); il.Emit(OpCodes.Conv_I8); break;
                case Op.ZextH: Get(rs1); il.Emit(OpCodes.Conv_U2); il.Emit(OpCodes.Conv_U8); break;
                case Op.OrcB: AluCall(nameof(Alu.OrcB), rs1); break;
                case Op.Rev8: AluCall(nameof(Alu.Rev8), rs1); break;

                // ---- Zbs
                case Op.Bclr: Get(rs1); Const(1); Amount(rs2, 63); il.Emit(OpCodes.Shl); il.Emit(OpCodes.Not); il.Emit(OpCodes.And); break;
                case Op.Bset: Get(rs1); Const(1); Amount(rs2, 63); il.Emit(OpCodes.Shl); il.Emit(OpCodes.Or); break;
                case Op.Binv: Get(rs1); Const(1); Amount(rs2, 63); il.Emit(OpCodes.Shl); il.Emit(OpCodes.Xor); break;
                case Op.Bext: Get(rs1); Amount(rs2, 63); il.Emit(OpCodes.Shr_Un); Const(1); il.Emit(OpCodes.And); break;

                // ---- Zbc, Zknh
                case Op.Clmul: AluCall(nameof(Alu.Clmul), rs1, rs2); break;
                case Op.Clmulh: AluCall(nameof(Alu.Clmulh), rs1, rs2); break;
                case Op.Clmulr: AluCall(nameof(Alu.Clmulr), rs1, rs2); break;
                // Zknh inline, not as calls to Alu: the JIT did not inline those into the region (profiles of the
                // SHA-256 transaction showed Alu.Sha256Sum0 and Alu.Ror32 as called functions). Alu's formulas.
                case Op.Sha256Sum0: Sigma(rs1, wide: false, 2, 13, 22, shiftLast: false); break;
                case Op.Sha256Sum1: Sigma(rs1, wide: false, 6, 11, 25, shiftLast: false); break;
                case Op.Sha256Sig0: Sigma(rs1, wide: false, 7, 18, 3, shiftLast: true); break;
                case Op.Sha256Sig1: Sigma(rs1, wide: false, 17, 19, 10, shiftLast: true); break;
                case Op.Sha512Sum0: Sigma(rs1, wide: true, 28, 34, 39, shiftLast: false); break;
                case Op.Sha512Sum1: Sigma(rs1, wide: true, 14, 18, 41, shiftLast: false); break;
                case Op.Sha512Sig0: Sigma(rs1, wide: true, 1, 8, 7, shiftLast: true); break;
                case Op.Sha512Sig1: Sigma(rs1, wide: true, 19, 61, 6, shiftLast: true); break;

                default:
                    throw new InvalidOperationException($"no compiled form for {s->Op}"); // every Op is handled above
            }

            Set(rd);
            return true;
        }

        // ------------------------------------------------------------ helpers of the operations

        private void Binary(int rs1, int rs2, OpCode op)
        {
            Get(rs1);
            Get(rs2);
            il.Emit(op);
        }

        /// <summary>The low 32 bits of the int64 on the stack, sign-extended.</summary>
        private void Word()
        {
            il.Emit(OpCodes.Conv_I4);
            il.Emit(OpCodes.Conv_I8);
        }

        private void Shift(long amount) => il.Emit(OpCodes.Ldc_I4, (int)amount);

        /// <summary>A shift amount from a register: its low bits under <paramref name="mask"/>.</summary>
        private void Amount(int rs, int mask)
        {
            Get(rs);
            il.Emit(OpCodes.Conv_I4);
            il.Emit(OpCodes.Ldc_I4, mask);
            il.Emit(OpCodes.And);
        }

        private void Unsigned32(int rs)
        {
            Get(rs);
            il.Emit(OpCodes.Conv_U4);
            il.Emit(OpCodes.Conv_U8);
        }

        private void Call(Type type, string name, params Type[] args) =>
            il.Emit(OpCodes.Call, type.GetMethod(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, args)!);

        private LocalBuilder? sigma32, sigma64;

        /// <summary>ror(x, a) ^ ror(x, b) ^ (ror or shr)(x, c) of rs1's low 32 bits (sign-extended) or of all 64.</summary>
        private void Sigma(int rs1, bool wide, int a, int b, int c, bool shiftLast)
        {
            Type t = wide ? typeof(ulong) : typeof(uint);
            LocalBuilder x = wide ? sigma64 ??= il.DeclareLocal(typeof(ulong)) : sigma32 ??= il.DeclareLocal(typeof(uint));
            Get(rs1);
            if (!wide)
            {
                il.Emit(OpCodes.Conv_U4);
            }

            il.Emit(OpCodes.Stloc, x);
            il.Emit(OpCodes.Ldloc, x);
            Shift(a);
            Call(typeof(BitOperations), nameof(BitOperations.RotateRight), t, typeof(int));
            il.Emit(OpCodes.Ldloc, x);
            Shift(b);
            Call(typeof(BitOperations), nameof(BitOperations.RotateRight), t, typeof(int));
            il.Emit(OpCodes.Xor);
            il.Emit(OpCodes.Ldloc, x);
            Shift(c);
            if (shiftLast)
            {
                il.Emit(OpCodes.Shr_Un);
            }
            else
            {
                Call(typeof(BitOperations), nameof(BitOperations.RotateRight), t, typeof(int));
            }

            il.Emit(OpCodes.Xor);
            if (!wide)
            {
                il.Emit(OpCodes.Conv_I4);
                il.Emit(OpCodes.Conv_I8);
            }
        }

        private void AluCall(string name, int rs1)
        {
            Get(rs1);
            Call(typeof(Alu), name, typeof(ulong));
        }

        private void AluCall(string name, int rs1, int rs2)
        {
            Get(rs1);
            Get(rs2);
            Call(typeof(Alu), name, typeof(ulong), typeof(ulong));
        }

        private ulong[]? blockPcs;

        /// <summary>
        /// A JALR's target (in exitPc) that is the entry of a block of the region goes to that block, which checks the
        /// budget as any entry does; any other target falls through (and leaves). A binary search on the pc over the
        /// region's blocks (at most <see cref="MaxRegionBlocks"/>: six or seven compares): returns within the page and
        /// jump tables whose targets are in the region no longer go back to the dispatcher.
        /// </summary>
        private void IndirectJump()
        {
            if (blockPcs == null)
            {
                blockPcs = new ulong[blocks.Count];
                for (int k = 0; k < blocks.Count; k++)
                {
                    blockPcs[k] = PcOf(blocks[k]);
                }

                Array.Sort(blockPcs);
            }

            Search(0, blockPcs.Length);

            void Search(int lo, int hi)
            {
                if (hi - lo <= 3)
                {
                    for (int k = lo; k < hi; k++)
                    {
                        il.Emit(OpCodes.Ldloc, exitPc);
                        Const((long)blockPcs[k]);
                        il.Emit(OpCodes.Beq, blockLabels[(int)((blockPcs[k] - pageAddress) >> 1)]);
                    }

                    return;
                }

                int mid = (lo + hi) / 2;
                Label upper = il.DefineLabel(), done = il.DefineLabel();
                il.Emit(OpCodes.Ldloc, exitPc);
                Const((long)blockPcs[mid]);
                il.Emit(OpCodes.Bge_Un, upper);
                Search(lo, mid);
                il.Emit(OpCodes.Br, done);
                il.MarkLabel(upper);
                Search(mid, hi);
                il.MarkLabel(done);
            }
        }

        private void Branch(int i, OpCode taken)
        {
            Slot* s = slots + i;
            ulong pc = PcOf(i);
            Get(s->Rs1);
            Get(s->Rs2);
            if (s->Aux != 0 && blockLabels.TryGetValue(i + (s->Imm >> 1), out Label inRegion))
            {
                il.Emit(taken, inRegion);
            }
            else
            {
                Label away = il.DefineLabel();
                il.Emit(taken, away);
                ulong target = pc + (ulong)(long)s->Imm;
                cold.Add(() =>
                {
                    il.MarkLabel(away);
                    Leave(target, Exit.Continue);
                });
            }

            Goto(i + s->Len);
        }

        /// <summary>address = rs1 + imm; entry = the TLB entry of its page.</summary>
        private void Address(Slot* s)
        {
            Get(s->Rs1);
            Const(s->Imm);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Stloc, address);
            // entry = tlb + ((address >> 12) & (TlbEntries - 1)) * sizeof(TlbEntry)
            il.Emit(OpCodes.Ldloc, tlb);
            il.Emit(OpCodes.Ldloc, address);
            il.Emit(OpCodes.Ldc_I4, 12 - 5);
            il.Emit(OpCodes.Shr_Un);
            il.Emit(OpCodes.Conv_I4);
            il.Emit(OpCodes.Ldc_I4, (Machine.TlbEntries - 1) << 5);
            il.Emit(OpCodes.And);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Stloc, entry);
        }

        /// <summary>Branches to <paramref name="miss"/> unless the TLB tag at <paramref name="tagOffset"/> serves an aligned
        /// access of <paramref name="size"/> bytes; else leaves the host address on the stack.</summary>
        private void HostAddress(int size, int tagOffset, Label miss)
        {
            il.Emit(OpCodes.Ldloc, address);
            Const(~(0xFFFL & ~(size - 1L)));
            il.Emit(OpCodes.And);
            il.Emit(OpCodes.Ldloc, entry);
            if (tagOffset != 0)
            {
                il.Emit(OpCodes.Ldc_I4, tagOffset);
                il.Emit(OpCodes.Add);
            }

            il.Emit(OpCodes.Ldind_I8);
            il.Emit(OpCodes.Bne_Un, miss);
            il.Emit(OpCodes.Ldloc, address);
            il.Emit(OpCodes.Ldloc, entry);
            il.Emit(OpCodes.Ldc_I4, 16); // TlbEntry.Addend
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Ldind_I8);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Conv_U);
        }

        // ------------------------------------------------------------ slow paths, out of line
        //
        // A TLB miss is rare but every load and store can take one. Emitting the spill, the call and the reload at each
        // site made the IL (and the JIT's time, which grows faster than the method) several times larger than the hot
        // path: up to 150 bytes of x64 per guest instruction. Instead each site only records which site it is (and the
        // access size, and for a store the value), then jumps to one shared handler per method, which spills, calls the
        // machine's slow path, reloads, and comes back through an IL switch on the site number. The per-site cold code is
        // a handful of instructions; the handler is emitted once.

        private readonly List<Label> loadBack = new(), loadFault = new(), storeBack = new(), storeNotDone = new();
        private LocalBuilder? site, size, storeValue;

        private LocalBuilder Site => site ??= il.DeclareLocal(typeof(int));

        private LocalBuilder Size => size ??= il.DeclareLocal(typeof(int));

        private LocalBuilder StoreValue => storeValue ??= il.DeclareLocal(typeof(ulong));

        private Label? loadHandler, storeHandler;

        private void Load(int i, int size, OpCode load, OpCode? narrow, bool signed)
        {
            Slot* s = slots + i;
            int rd = s->Rd;
            Label miss = il.DefineLabel(), back = il.DefineLabel(), resume = il.DefineLabel(), fault = il.DefineLabel();
            loadHandler ??= il.DefineLabel();
            int id = loadBack.Count;
            loadBack.Add(resume);
            loadFault.Add(fault);
            Address(s);
            HostAddress(size, 0, miss); // TlbEntry.ReadTag
            il.Emit(load);
            il.Emit(signed || size == 8 ? OpCodes.Conv_I8 : OpCodes.Conv_U8);
            Set(rd);
            il.MarkLabel(back);
            Label handler = loadHandler.Value;
            cold.Add(() =>
            {
                il.MarkLabel(miss);
                il.Emit(OpCodes.Ldc_I4, id);
                il.Emit(OpCodes.Stloc, Site);
                il.Emit(OpCodes.Ldc_I4, size);
                il.Emit(OpCodes.Stloc, Size);
                il.Emit(OpCodes.Br, handler);

                // Back from the handler: the value is in State.Loaded (zero-extended).
                il.MarkLabel(resume);
                StatePointer(OffLoaded);
                il.Emit(OpCodes.Ldind_I8);
                if (narrow is OpCode n)
                {
                    il.Emit(n);
                    il.Emit(OpCodes.Conv_I8);
                }

                Set(rd);
                il.Emit(OpCodes.Br, back);
                il.MarkLabel(fault);
                il.Emit(OpCodes.Ldloc, result);
                FaultFromStack(i);
            });
        }

        private void Store(int i, int size, OpCode store)
        {
            Slot* s = slots + i;
            Label miss = il.DefineLabel(), back = il.DefineLabel(), notDone = il.DefineLabel(), fault = il.DefineLabel();
            storeHandler ??= il.DefineLabel();
            storeBack.Add(back);
            storeNotDone.Add(notDone);
            int id = storeBack.Count - 1;
            Address(s);
            HostAddress(size, 8, miss); // TlbEntry.WriteTag
            Get(s->Rs2);
            if (size != 8)
            {
                il.Emit(OpCodes.Conv_U4);
            }

            il.Emit(store);
            il.MarkLabel(back);
            int next = i + s->Len;
            Slot* after = slots + next;
            Label handler = storeHandler.Value;
            cold.Add(() =>
            {
                il.MarkLabel(miss);
                Get(s->Rs2);
                il.Emit(OpCodes.Stloc, StoreValue);
                il.Emit(OpCodes.Ldc_I4, id);
                il.Emit(OpCodes.Stloc, Site);
                il.Emit(OpCodes.Ldc_I4, size);
                il.Emit(OpCodes.Stloc, Size);
                il.Emit(OpCodes.Br, handler);

                // StoreSlow returned a fault or CodeModified (done, but the store hit decoded code: leave after it,
                // refunding the rest of the block, which was paid for).
                il.MarkLabel(notDone);
                il.Emit(OpCodes.Ldloc, result);
                il.Emit(OpCodes.Ldc_I4, Machine.CodeModified);
                il.Emit(OpCodes.Bne_Un, fault);
                Leave(PcOf(next), Exit.Continue, after->SuffixCost, after->SuffixCount);
                il.MarkLabel(fault);
                il.Emit(OpCodes.Ldloc, result);
                FaultFromStack(i);
            });
        }

        /// <summary>The shared handlers (emitted once, after the cold code): spill, call the slow path, reload, and go
        /// back to the site (or to its fault tail) through a switch on the site number.</summary>
        private void EmitHandlers()
        {
            if (loadHandler is Label lh)
            {
                il.MarkLabel(lh);
                Spill();
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldloc, address);
                il.Emit(OpCodes.Ldloc, Size);
                il.Emit(OpCodes.Call, LoadSlow);
                il.Emit(OpCodes.Stloc, result);
                Reload();
                Label failed = il.DefineLabel();
                il.Emit(OpCodes.Ldloc, result);
                il.Emit(OpCodes.Brtrue, failed);
                il.Emit(OpCodes.Ldloc, Site);
                il.Emit(OpCodes.Switch, loadBack.ToArray());
                il.Emit(OpCodes.Br, loadBack[0]); // unreachable: the site number is always in range
                il.MarkLabel(failed);
                il.Emit(OpCodes.Ldloc, Site);
                il.Emit(OpCodes.Switch, loadFault.ToArray());
                il.Emit(OpCodes.Br, loadFault[0]);
            }

            if (storeHandler is Label sh)
            {
                il.MarkLabel(sh);
                Spill();
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(OpCodes.Ldloc, address);
                il.Emit(OpCodes.Ldloc, Size);
                il.Emit(OpCodes.Ldloc, StoreValue);
                il.Emit(OpCodes.Call, StoreSlow);
                il.Emit(OpCodes.Stloc, result);
                Reload();
                Label failed = il.DefineLabel();
                il.Emit(OpCodes.Ldloc, result);
                il.Emit(OpCodes.Brtrue, failed);
                il.Emit(OpCodes.Ldloc, Site);
                il.Emit(OpCodes.Switch, storeBack.ToArray());
                il.Emit(OpCodes.Br, storeBack[0]);
                il.MarkLabel(failed);
                il.Emit(OpCodes.Ldloc, Site);
                il.Emit(OpCodes.Switch, storeNotDone.ToArray());
                il.Emit(OpCodes.Br, storeNotDone[0]);
            }
        }
    }
}
