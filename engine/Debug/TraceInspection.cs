using System;
using System.Collections.Generic;

namespace Thru.Engine.Debug;

// What a debugger needs of a traced run beyond the trace itself (for the gdb stub, the source-level reports and the
// profiler of cli/Debug/EngineTarget.fs): writing registers and the pc between steps, the units consumed so far, the
// shadow stack's frames with each caller's invoke pc and saved registers, the program segment of an account, and a
// raw run's fault in words. Read-only views of the run's state, plus the two writes gdb's `P` packet asks for; none of
// it touches the untraced run's code.

/// <summary>A frame of the Thru shadow stack, as a debugger shows it.</summary>
/// <param name="ProgramIndex">The account index of the frame's program.</param>
/// <param name="Depth">The call depth (the top-level program is 1).</param>
/// <param name="Pc">The running frame's pc; for a caller, the pc of the ecall of its invoke.</param>
/// <param name="Registers">x0..x31: the running frame's registers; for a caller, those saved in its shadow frame at its
/// invoke.</param>
public sealed record TraceFrame(int ProgramIndex, int Depth, ulong Pc, ulong[] Registers);

public abstract partial class TraceSession
{
    /// <summary>Sets register x<paramref name="r"/> (1..31) at the current instruction boundary.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="r"/> is not 1..31.</exception>
    /// <exception cref="InvalidOperationException">The run is over.</exception>
    public void SetRegister(int r, ulong value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(r, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(r, 31);
        ThrowIfOver();
        Machine.SetRegister(r, value);
    }

    /// <summary>Moves the pc (the next instruction) at the current instruction boundary.</summary>
    /// <exception cref="InvalidOperationException">The run is over.</exception>
    public void SetPc(ulong pc)
    {
        ThrowIfOver();
        Machine.Pc = pc;
    }

    private void ThrowIfOver()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (IsEnded)
        {
            throw new InvalidOperationException("the run is over");
        }
    }
}

public sealed partial class TransactionTrace
{
    /// <summary>The pcs of the invoke ecalls of the callers on the shadow stack, innermost last.</summary>
    private readonly Stack<ulong> invokePcs = new();

    /// <summary>Instructions executed so far, each paid for (as <see cref="EngineResult.Instructions"/> counts them).</summary>
    public long Instructions => vm?.Instructions ?? 0;

    /// <summary>State units consumed so far.</summary>
    public ulong StateUnits => vm?.StateUsed ?? 0;

    /// <summary>Memory units consumed so far: the peak of the pool's pages in use.</summary>
    public ulong MemoryUnits => (ulong)(vm?.Space.Pool.Peak ?? 0);

    /// <summary>The shadow stack, innermost first: the running frame, then each caller at the ecall of its invoke with the
    /// registers saved in its shadow frame. Empty for a transaction refused before execution.</summary>
    public IReadOnlyList<TraceFrame> Frames()
    {
        if (vm == null)
        {
            return [];
        }

        List<Frame> frames = vm.Space.Frames;
        var result = new List<TraceFrame>(frames.Count)
        {
            new(frames[^1].ProgramAccIdx, frames.Count, vm.Pc, vm.Registers()),
        };
        ulong[] pcs = invokePcs.ToArray(); // innermost first
        for (int i = 0; i < frames.Count - 1 && i < pcs.Length; i++)
        {
            Frame caller = frames[frames.Count - 2 - i];
            result.Add(new TraceFrame(caller.ProgramAccIdx, frames.Count - 1 - i, pcs[i], (ulong[])caller.SavedRegs.Clone()));
        }

        return result;
    }

    /// <summary>The program segment (the executable after its 8-byte header) of account <paramref name="index"/>: the
    /// running program's segment, or another account's data after the header; null when there is no such account, its
    /// data is no longer than the header, or the transaction was refused before execution.</summary>
    public byte[]? ProgramSegment(int index)
    {
        if (vm == null)
        {
            return null;
        }

        if (index == vm.Space.ProgramIndex)
        {
            LazyBytes segment = vm.Space.Program.Segment;
            var bytes = new byte[segment.Length];
            segment.CopyTo(0, bytes);
            return bytes;
        }

        if (index < 0 || index >= vm.Space.Accounts.Length)
        {
            return null;
        }

        AccountSlot a = vm.Space.Accounts[index];
        byte[] data = a.Data.ToArray(a.DataSize);
        return data.Length > 8 ? data[8..] : null;
    }
}

public sealed partial class RawTrace
{
    /// <summary>The fault that ended the run in full (kind, access, size, address; or the illegal encoding and why), as
    /// <see cref="EngineFault.Describe"/> words it; null unless the run ended with a fault.</summary>
    public EngineFault? Fault
    {
        get
        {
            if (Result == null || stop != StopReason.Fault)
            {
                return null;
            }

            ulong pc = machine.Pc;
            if (machine.Fault != FaultKind.IllegalInstruction)
            {
                return new EngineFault(EngineFaultKind.MemoryFault, pc, machine.Fault, machine.FaultAddress, machine.FaultSize, machine.FaultAccess, 0, null, 0);
            }

            int length = (Bits(pc, 2) & 3) == 3 ? 4 : 2;
            uint bits = Bits(pc, length);
            return new EngineFault(EngineFaultKind.IllegalInstruction, pc, FaultKind.IllegalInstruction, 0, 0, Access.Fetch, bits, IllegalReasons.Describe(bits, length), 0);
        }
    }
}
