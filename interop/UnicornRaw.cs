using System;

namespace Thru.Interop;

/// <summary>How a raw-mode run on Unicorn ended, in ThruModel's vocabulary.</summary>
/// <param name="Stop">"ecall", "ebreak", "fault" or "limit".</param>
/// <param name="Fault">When <paramref name="Stop"/> is "fault": "illegal-instruction", "alignment-violation" or
/// "invalid-address"; otherwise null.</param>
/// <param name="Pc">The pc of the stopping instruction (ecall, ebreak, fault), or of the next instruction at the limit.</param>
/// <param name="Instructions">Instructions retired (the stopping instruction is not counted).</param>
/// <param name="Regs">x0..x31 before the stopping instruction.</param>
/// <param name="Memory">The bytes of the window the caller asked for, after the run (empty if none).</param>
public sealed record UnicornRawRun(string Stop, string? Fault, ulong Pc, long Instructions, ulong[] Regs, byte[] Memory);

/// <summary>
/// Raw RV64 mode on Unicorn, following ThruVM's rules: a flat 16 MiB read/write region at the base, every
/// register zero, pc at the base; run until ecall, ebreak, a fault or the step limit.
/// </summary>
/// <remarks>
/// Differences between Unicorn 2.0.1 and ThruVM normalised here (each established in UNICORN-BEHAVIOUR.md):
/// <list type="number">
/// <item>Unicorn lets misaligned loads and stores succeed. ThruVM faults (decision D-ALIGN): an access hook
/// (<see cref="Unicorn.CheckAccesses"/>) refuses the first misaligned access, and the run is reported as an
/// "alignment-violation" fault at that instruction.</item>
/// <item>After a trap Unicorn reports pc+4, even for a 16-bit instruction, and after ebreak it stops with
/// UC_ERR_INSN_INVALID instead of a trap. Rather than correct each pc, every run that does not end on the step
/// limit is replayed from the start for exactly the number of instructions retired before the stopping one
/// (Unicorn's count stops before the next instruction executes), which yields the exact pc and registers.
/// Execution is deterministic, so the replay retraces the first run.</item>
/// <item>Unicorn does not decode Zba/Zbb/Zbc/Zbs/Zknh: it reports them as illegal (cause 2). Callers must not
/// use Unicorn as the oracle for those extensions (qemu-user is).</item>
/// <item>Unicorn executes fence.i and csrr cycle/instret, which ThruVM rejects (decision D-ILLEGAL); callers
/// must not compare those encodings.</item>
/// </list>
/// </remarks>
public static class UnicornRaw
{
    /// <summary>The size of the raw-mode region: 16 MiB.</summary>
    public const ulong RegionSize = 0x100_0000;

    /// <summary>An odd address is never a pc (instructions are 2-byte aligned), so it never stops a run.</summary>
    private const ulong NoUntil = 1;

    /// <summary>
    /// Runs <paramref name="image"/> at <paramref name="baseAddress"/> for at most <paramref name="maxSteps"/> instructions
    /// and returns the final state, with the <paramref name="windowLength"/> bytes at <paramref name="windowAddress"/>.
    /// </summary>
    /// <exception cref="ArgumentException">When the base is not 4 KiB aligned, the region passes 2^64, the image is larger
    /// than 16 MiB, or the window is not inside the region.</exception>
    public static UnicornRawRun Run(ReadOnlySpan<byte> image, ulong baseAddress, long maxSteps, ulong windowAddress = 0, int windowLength = 0)
    {
        if (baseAddress % 0x1000 != 0)
        {
            throw new ArgumentException($"base 0x{baseAddress:x} is not a multiple of 0x1000", nameof(baseAddress));
        }

        if (baseAddress > ulong.MaxValue - RegionSize + 1)
        {
            throw new ArgumentException($"base 0x{baseAddress:x} leaves no room for a 16 MiB region", nameof(baseAddress));
        }

        if ((ulong)image.Length > RegionSize)
        {
            throw new ArgumentException($"image of {image.Length} bytes does not fit the 16 MiB region", nameof(image));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(maxSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(windowLength);
        if (windowLength > 0 && (windowAddress < baseAddress || windowAddress - baseAddress > RegionSize - (ulong)windowLength))
        {
            throw new ArgumentException("the memory window must lie inside the region", nameof(windowAddress));
        }

        var window = (windowAddress, windowLength);

        using var uc = Prepare(image, baseAddress);
        if (maxSteps == 0)
        {
            return Snapshot(uc, "limit", null, 0, baseAddress, window);
        }

        uc.CountInstructions = true;
        var first = uc.Run(baseAddress, NoUntil, (ulong)maxSteps);
        if (first.IsClean && uc.RefusedAccess is null && (long)uc.HookedInstructions >= maxSteps)
        {
            return Snapshot(uc, "limit", null, maxSteps, uc.Pc, window);
        }

        // The run stopped early. Find the stopping instruction exactly: replay on a fresh engine to a few
        // instructions before the hooked count, then single-step, noting the pc before each step, until a step
        // does not complete cleanly. (The hook count alone is not exact: Unicorn does not call the code hook for
        // some instructions that fail at translation time, and a failed fetch never starts an instruction.)
        var retired = Math.Max(0, (long)uc.HookedInstructions - 3);
        using var search = Replay(image, baseAddress, retired, expectedPc: null);

        while (true)
        {
            if (retired >= maxSteps)
            {
                return Snapshot(search, "limit", null, maxSteps, search.Pc, window);
            }

            var pc = search.Pc;
            var step = search.Run(pc, NoUntil, 1);
            var refused = search.RefusedAccess;
            if (step.IsClean && refused is null)
            {
                retired++;
                continue;
            }

            var (stop, fault) = Classify(step, refused);

            // A jump into unmapped memory fails inside the jump's own step (Unicorn must fetch the target to go
            // on), with the pc already at the target: the jump retired and the fetch fault belongs to the target.
            if (step.Error == UnicornError.FetchUnmapped && step.Pc != pc)
            {
                retired++;
                pc = step.Pc;
            }

            // The failed step may have changed state (a refused store may have been performed before emulation
            // stopped), so take the final state from one more replay of exactly the retired instructions.
            using var final = Replay(image, baseAddress, retired, pc);
            return Snapshot(final, stop, fault, retired, pc, window);
        }
    }

    /// <summary>ThruModel's stop and fault names for a step that did not complete.</summary>
    private static (string Stop, string? Fault) Classify(EmulationOutcome step, RefusedAccess? refused) => (step, refused) switch
    {
        (_, { Misaligned: true }) => ("fault", "alignment-violation"),
        (_, { Misaligned: false }) => ("fault", "invalid-address"),
        ({ Trapped: true, TrapCause: 8 }, _) => ("ecall", null), // Unicorn reports cause 8 for ecall
        ({ Trapped: true, TrapCause: 2 }, _) => ("fault", "illegal-instruction"),
        ({ Error: UnicornError.InstructionInvalid }, _) => ("ebreak", null), // ebreak and c.ebreak
        ({ Error: UnicornError.FetchUnmapped or UnicornError.ReadUnmapped or UnicornError.WriteUnmapped }, _) => ("fault", "invalid-address"),
        _ => ("fault", $"unicorn-{step.Error}-cause-{step.TrapCause}"),
    };

    /// <summary>
    /// A fresh engine that has run exactly <paramref name="count"/> instructions from the base. A replay whose last
    /// instruction jumps into unmapped memory ends with a failed fetch at the target: that is the state sought when
    /// the target is <paramref name="expectedPc"/>. Any other outcome means the replay diverged (a bug).
    /// </summary>
    private static Unicorn Replay(ReadOnlySpan<byte> image, ulong baseAddress, long count, ulong? expectedPc)
    {
        var uc = Prepare(image, baseAddress);
        if (count > 0)
        {
            var outcome = uc.Run(baseAddress, NoUntil, (ulong)count);
            var fetchAtTarget = outcome.Error == UnicornError.FetchUnmapped && outcome.Pc == expectedPc;
            if (!outcome.IsClean && !fetchAtTarget)
            {
                uc.Dispose();
                throw new InvalidOperationException($"Unicorn replay of {count} instructions did not retrace the first run ({outcome}).");
            }
        }

        if (expectedPc is { } target && uc.Pc != target)
        {
            var at = uc.Pc;
            uc.Dispose();
            throw new InvalidOperationException($"Unicorn replay ended at 0x{at:x}, not at the stopping instruction 0x{target:x}.");
        }

        return uc;
    }

    /// <summary>
    /// A fresh engine with the image loaded, registers zero, pc at the base, and the access check installed.
    /// The check must be in place before the first instruction runs: Unicorn skips memory hooks for accesses that
    /// hit a TLB entry filled while no hook was installed (found by the oracle tests: a misaligned load slipped
    /// through after a hook-less replay).
    /// </summary>
    private static Unicorn Prepare(ReadOnlySpan<byte> image, ulong baseAddress)
    {
        var uc = new Unicorn();
        uc.Map(baseAddress, RegionSize, UnicornPermissions.All);
        uc.Write(baseAddress, image);
        uc.WriteAllX(new ulong[32]);
        uc.Pc = baseAddress;
        uc.CheckAccesses(baseAddress, baseAddress + RegionSize);
        return uc;
    }

    private static UnicornRawRun Snapshot(Unicorn uc, string stop, string? fault, long retired, ulong pc, (ulong Address, int Length) window)
    {
        var regs = new ulong[32];
        uc.ReadAllX(regs);
        var memory = new byte[window.Length];
        if (window.Length > 0)
        {
            uc.Read(window.Address, memory);
        }

        return new UnicornRawRun(stop, fault, pc, retired, regs, memory);
    }
}
