using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Thru.Engine;

// The tier policy: when an entry of the interpreter's code becomes compiled code (see Compile's remarks). The costs it
// weighs are BlockCompiler.CompileCost's, measured on the process's own compilations.
public sealed unsafe partial class Machine
{
    // ---------------------------------------------------------------- compiled tier

    /// <summary>
    /// Interpreted entries by entry pc, over every machine of the process: a transaction is one short-lived machine, and
    /// the SHA-256 transaction enters its hot loop too few times in one machine to pay for compiling it, but the same
    /// program runs in transaction after transaction. Keyed by pc only (programs share their addresses in Thru mode): a
    /// collision can only make a region look hotter or colder, never change what runs (the code is keyed by content).
    /// </summary>
    private static readonly ConcurrentDictionary<ulong, long> EntryHeat = new();

    /// <summary>The entry slots that have run compiled code in this process, by page address (one bit per slot): a new
    /// machine decoding such an entry looks it up in the shared cache at once (<see cref="DecodeBlock"/>). Only a hint,
    /// like <see cref="EntryHeat"/>.</summary>
    private static readonly ConcurrentDictionary<ulong, ulong[]> CompiledHints = new();

    private static ulong[]? CompiledEntries(ulong pageAddress) => CompiledHints.TryGetValue(pageAddress, out ulong[]? h) ? h : null;

    /// <summary>Instructions retired by disposed machines (the first compilation's start-up cost is weighed against the
    /// process's interpreted time, not one machine's).</summary>
    private static long retiredByEarlierMachines;

    /// <summary>Adds a disposed machine's retired instructions to the process's count; bounds the heat table.</summary>
    private static void Retire(long instructions)
    {
        Interlocked.Add(ref retiredByEarlierMachines, instructions);
        if (EntryHeat.Count > 1 << 20)
        {
            EntryHeat.Clear();
        }

        if (CompiledHints.Count > 1 << 16)
        {
            CompiledHints.Clear();
        }
    }

    /// <summary>
    /// The compiled code of the region entered at slot <paramref name="index"/>: from the shared cache, or compiled now
    /// when the machine may. Null when not: the entry then counts down 254 more interpreted entries before the next
    /// attempt.
    /// </summary>
    /// <remarks>
    /// <para>The tier policy. An entry reaches this after <see cref="EngineOptions.HotThreshold"/> interpreted entries,
    /// then every 254 more (<see cref="CodePage.Visits"/> counts the attempts). The first attempt looks the region up in
    /// the process-wide cache (<see cref="BlockCompiler.Shared"/>), which costs nothing to use. Compiling is decided by
    /// the compile-cost model (<see cref="BlockCompiler.CompileCost"/>) when <see cref="EngineOptions.PaceCompilation"/>
    /// is set: the region is compiled once its interpreted entries have taken as long as compiling it is estimated to
    /// take (and the process's first compilation, which also pays the compiler's own start-up, waits until the machine
    /// has run about that long). Unpaced (tests), every attempt compiles.</para>
    /// <para>Why entries and not instructions: a region pays back per entry of its entry block (a loop's head is entered
    /// once per iteration, by the interpreter too), so the entries already interpreted are the best predictor of those
    /// to come. JIT time is 0.1 to several ms per region: a threshold of 64 entries compiled regions that never paid it
    /// back (programs with many cold pages ran 2 to 4 times slower than interpreted).</para>
    /// </remarks>
    private CompiledCode? Compile(CodePage page, int index)
    {
        Slot* s = page.SlotArray + index;
        s->Heat = 254;
        ref ushort visits = ref (page.Visits ??= new ushort[CodePage.Slots])[index];
        long entries = EntryHeat.AddOrUpdate(page.PageAddress + (ulong)(2 * index), static (_, n) => n, static (_, total, n) => total + n, visits == 0 ? hotThreshold : 254L);
        if (visits < ushort.MaxValue)
        {
            visits++;
        }

        bool first = visits == 1 && !BlockCompiler.Shared.IsEmpty; // nothing to find in an empty cache: skip the key
        if (!first && !MayCompile(s, entries, s->SuffixCount, loops: true))
        {
            return null; // not worth it even at the most favourable estimate (checked before the region is built)
        }

        List<int>? blocks = BlockCompiler.Region(page.SlotArray, index, at => DecodeBlock(page, at), out int instructions, out bool loops);
        if (blocks == null)
        {
            return null; // the entry block alone is too long: interpreted (tried again every 254 entries, cheaply)
        }

        // The cache is looked up at the first attempt (using what is there costs nothing), later only before compiling.
        bool worth = MayCompile(s, entries, instructions, loops);
        if (!first && !worth)
        {
            return null;
        }

        byte[] key = BlockCompiler.Key(page, blocks);
        if (!BlockCompiler.Shared.TryGet(key, out CompiledCode? compiled))
        {
            if (!worth)
            {
                return null;
            }

            compiled = BlockCompiler.Compile(page, blocks, out long ticks);
            BlockCompiler.CompileCost.Record(instructions, ticks);
            BlockCompiler.Shared.Add(key, compiled, instructions);
            compiledInstructions += instructions;
        }

        ulong[] hints = CompiledHints.GetOrAdd(page.PageAddress, static _ => new ulong[CodePage.Slots / 64]);
        Interlocked.Or(ref hints[index >> 6], 1UL << index);
        s->Heat = 0;
        return (page.Compiled ??= new CompiledCode?[CodePage.Slots])[index] = compiled;
    }

    /// <summary>Whether the machine may compile the region entered at <paramref name="s"/>, of
    /// <paramref name="instructions"/> instructions (a loop or not), after <paramref name="entries"/> interpreted
    /// entries: within the cap, and (paced) worth it by the compile-cost model.</summary>
    private bool MayCompile(Slot* s, long entries, int instructions, bool loops)
    {
        if (compiledInstructions + instructions > maxCompiledInstructions)
        {
            return false;
        }

        if (!paced)
        {
            return true;
        }

        if (!BlockCompiler.CompileCost.StartupPaid
            && (Volatile.Read(ref retiredByEarlierMachines) + st->Count) * BlockCompiler.CompileCost.InterpretedTicksPerInstruction
                < BlockCompiler.CompileCost.StartupTicks)
        {
            return false;
        }

        // What compiled code would have saved on the entries so far: the entry block's instructions, less (unless the
        // region loops back to its entry) the round trip between the tiers that each entry of a compiled region costs.
        double perEntry = s->SuffixCount * BlockCompiler.CompileCost.SavedTicksPerInstruction
            - (loops ? 0 : BlockCompiler.CompileCost.TransitionTicks);
        return perEntry > 0 && entries * perEntry >= BlockCompiler.CompileCost.Estimate(instructions);
    }
}
