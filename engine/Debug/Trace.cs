using System;

namespace Thru.Engine.Debug;

// The debug and trace API: a transaction or a raw program run one instruction at a time under an observer, for
// conformance traces, a gdb remote stub and a compute-unit profiler.
//
// Why a separate loop: the untraced run (Machine.Run, the interpreter's block modes, the compiled tier) has no test for
// tracing anywhere; a traced run steps the interpreter's Single mode (its own instantiation of the hot loop) through
// Machine.Step, and hands every stop to the same code as the untraced run (ThruVm.Continue, RawMode.Result). So a traced
// run ends exactly as an untraced one (tests/Thru.Tests/Engine/TraceTests.fs checks it on random programs and
// transactions, in every tier), only slower.

/// <summary>A register written by an instruction (x1..x31; writes to x0 are not reported).</summary>
/// <param name="Register">1..31.</param>
/// <param name="Value">The value after the write.</param>
public readonly record struct RegisterWrite(int Register, ulong Value);

/// <summary>The data access of a load or store.</summary>
/// <param name="Address">The guest address.</param>
/// <param name="Size">1, 2, 4 or 8 bytes.</param>
/// <param name="Value">The bytes read or written, zero-extended (a load's value before sign extension).</param>
/// <param name="IsWrite">A store.</param>
public readonly record struct MemoryAccess(ulong Address, int Size, ulong Value, bool IsWrite);

/// <summary>One retired instruction.</summary>
/// <param name="Pc">Its address.</param>
/// <param name="Bits">Its encoding (the low 16 bits only for a 16-bit instruction).</param>
/// <param name="Length">2 or 4 bytes.</param>
/// <param name="Write">The register it wrote, if any.</param>
/// <param name="Memory">Its load or store, if any.</param>
/// <param name="UnitsBefore">Units consumed before it: compute units (Thru), instructions (raw).</param>
/// <param name="UnitsAfter">Units consumed after it. For an ecall: after the ecall itself, before its syscall's charge
/// (see <see cref="TraceObserver.SyscallEntered"/>).</param>
public readonly record struct TracedInstruction(ulong Pc, uint Bits, int Length, RegisterWrite? Write, MemoryAccess? Memory, ulong UnitsBefore, ulong UnitsAfter);

/// <summary>How a traced run ended.</summary>
/// <param name="Reason">Raw: "ecall", "ebreak", "fault" or "limit" (<see cref="RawResult.Stop"/>). Thru: "Exited",
/// "Reverted", "Faulted", "UnknownSyscall", "ComputeExhausted" or "StateExhausted".</param>
/// <param name="Pc">The pc at the end.</param>
/// <param name="Units">Units consumed (compute units, or raw instructions).</param>
/// <param name="Instructions">Instructions counted, as the untraced result counts them.</param>
public readonly record struct TraceEnd(string Reason, ulong Pc, ulong Units, long Instructions);

/// <summary>Guest bytes read through the address space, or the fault that stopped the read.</summary>
/// <param name="Bytes">The bytes read: all of them when <paramref name="Fault"/> is <see cref="FaultKind.None"/>, else
/// those before <paramref name="FaultAddress"/>.</param>
/// <param name="Fault">None, or why the byte at <paramref name="FaultAddress"/> cannot be read.</param>
/// <param name="FaultAddress">The first byte that cannot be read.</param>
public readonly record struct MemoryRead(byte[] Bytes, FaultKind Fault, ulong FaultAddress)
{
    /// <summary>Whether every byte was read.</summary>
    public bool Ok => Fault == FaultKind.None;
}

/// <summary>Whether a traced run paused (it can go on) or ended.</summary>
public enum TraceStatus
{
    /// <summary>Stopped at an instruction boundary (the observer asked, or one <see cref="TraceSession.Step"/> done).</summary>
    Paused,
    /// <summary>The run is over (<see cref="TraceObserver.Ended"/> was called; the result is ready).</summary>
    Ended,
}

/// <summary>
/// Receives the events of a traced run. Every method does nothing by default: override what you need. The events of
/// one run come in execution order, on the thread that calls <see cref="TraceSession.Run"/> or
/// <see cref="TraceSession.Step"/>; the session's state (<see cref="TraceSession.GetRegister"/>,
/// <see cref="TraceSession.ReadMemory"/>, …) may be read from inside any of them.
/// </summary>
public abstract class TraceObserver
{
    /// <summary>Before each instruction at <paramref name="pc"/>, nothing of it done: true pauses the run there
    /// (breakpoints). Not asked for the first instruction a <see cref="TraceSession.Run"/> resumes with after a pause, nor
    /// by <see cref="TraceSession.Step"/>.</summary>
    public virtual bool ShouldPause(ulong pc) => false;

    /// <summary>An instruction retired.</summary>
    public virtual void Retired(in TracedInstruction instruction)
    {
    }

    /// <summary>A syscall starts (Thru mode, after the ecall's <see cref="Retired"/>): its number (a7), its arguments
    /// (a0..a5) and the units consumed so far.</summary>
    public virtual void SyscallEntered(ulong number, ReadOnlySpan<ulong> args, ulong units)
    {
    }

    /// <summary>A syscall returned to its caller with a0 and a1, and the units consumed after it. For an invoke, this
    /// comes when the callee's frame exits (after <see cref="Exited"/>), in the caller.</summary>
    public virtual void SyscallReturned(ulong a0, ulong a1, ulong units)
    {
    }

    /// <summary>An invoke entered a new frame: its depth (the top-level program is 1) and its program's account index.</summary>
    public virtual void Invoked(int depth, int programIndex)
    {
    }

    /// <summary>A frame exited back to its caller: the exiting frame's depth and program account index. (The top-level
    /// frame's exit ends the run: <see cref="Ended"/>.)</summary>
    public virtual void Exited(int depth, int programIndex)
    {
    }

    /// <summary>The run ended (no event follows).</summary>
    public virtual void Ended(in TraceEnd end)
    {
    }
}

/// <summary>
/// A run under an observer, one instruction at a time: <see cref="Run"/> goes until the observer pauses it or the run
/// ends, <see cref="Step"/> runs one instruction; both can be called again after a pause. Between calls (and inside the
/// observer's events) the registers and memory can be read. Not thread-safe. Dispose it to free the run's memory.
/// </summary>
public abstract partial class TraceSession : IDisposable
{
    private readonly TraceObserver observer;
    private StepRecord record;
    private bool resumed;

    private protected TraceSession(TraceObserver observer) => this.observer = observer ?? throw new ArgumentNullException(nameof(observer));

    /// <summary>Whether the run is over.</summary>
    public bool IsEnded { get; private protected set; }

    private protected abstract Machine Machine { get; }

    /// <summary>Units consumed so far: compute units (Thru), instructions (raw).</summary>
    public abstract ulong Units { get; }

    /// <summary>The pc: of the next instruction, or where the run ended.</summary>
    public ulong Pc => Machine.Pc;

    /// <summary>Register x<paramref name="r"/> (0..31; x0 is 0).</summary>
    public ulong GetRegister(int r) => Machine.GetRegister(r);

    /// <summary>Reads <paramref name="length"/> bytes at <paramref name="address"/> through the run's address space (every
    /// segment, with no effect on the run); a fault is a value, never an exception.</summary>
    public MemoryRead ReadMemory(ulong address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var bytes = new byte[length];
        FaultKind f = Machine.Space.DebugRead(address, bytes, out ulong at);
        return f == FaultKind.None ? new MemoryRead(bytes, f, 0) : new MemoryRead(bytes[..(int)(at - address)], f, at);
    }

    /// <summary>Runs until the observer pauses (before an instruction) or the run ends.</summary>
    public TraceStatus Run() => Go(single: false);

    /// <summary>Runs one instruction (an ecall with its syscall), then pauses; or ends.</summary>
    public TraceStatus Step() => Go(single: true);

    private TraceStatus Go(bool single)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        bool first = true;
        while (!IsEnded)
        {
            if (!first || !resumed)
            {
                if (single && !first)
                {
                    resumed = true; // the next Run goes on without asking again for this instruction
                    return TraceStatus.Paused;
                }

                if (!single && observer.ShouldPause(Machine.Pc))
                {
                    resumed = true;
                    return TraceStatus.Paused;
                }
            }

            first = false;
            resumed = false;
            ulong before = Units;
            StopReason? stop = Machine.Step(ref record);
            if (stop == null)
            {
                observer.Retired(Describe(before, Units));
                continue;
            }

            if (!Stopped(stop.Value, observer, before))
            {
                IsEnded = true;
                observer.Ended(End());
            }
            else if (single)
            {
                resumed = true;
                return TraceStatus.Paused;
            }
        }

        return TraceStatus.Ended;
    }

    /// <summary>Handles a stop (Thru: an ecall's syscall): false when the run ended.</summary>
    private protected abstract bool Stopped(StopReason stop, TraceObserver observer, ulong unitsBefore);

    /// <summary>The ending, once the run is over.</summary>
    private protected abstract TraceEnd End();

    /// <summary>The encoding of the instruction at <paramref name="pc"/> (<paramref name="length"/> bytes).</summary>
    private protected uint Bits(ulong pc, int length)
    {
        Span<byte> b = stackalloc byte[4];
        b.Clear();
        Machine.Space.DebugRead(pc, b[..length], out _);
        return BitConverter.ToUInt32(b);
    }

    private TracedInstruction Describe(ulong before, ulong after)
    {
        Op op = record.Op;
        int size = OpInfo.DataBytes(op);
        ulong mask = size == 8 ? ulong.MaxValue : (1UL << (8 * size)) - 1;
        bool store = op is Op.Sb or Op.Sh or Op.Sw or Op.Sd or Op.SwC or Op.SdC;
        MemoryAccess? memory = size == 0 ? null
            : new MemoryAccess(record.Address, size, (store ? record.StoreValue : Machine.RawRegister(record.Rd)) & mask, store);
        RegisterWrite? write = WritesRd(op) && record.Rd is > 0 and < 32 ? new RegisterWrite(record.Rd, Machine.RawRegister(record.Rd)) : null;
        return new TracedInstruction(record.Pc, Bits(record.Pc, record.Length), record.Length, write, memory, before, after);
    }

    private static bool WritesRd(Op op) =>
        op is not (Op.Nop or Op.NopC or Op.Sb or Op.Sh or Op.Sw or Op.Sd or Op.SwC or Op.SdC
            or Op.Beq or Op.Bne or Op.Blt or Op.Bge or Op.Bltu or Op.Bgeu
            or Op.Ecall or Op.Ebreak or Op.Illegal or Op.FetchFault or Op.Undecoded or Op.PageEnd);

    private bool disposed;

    /// <summary>Frees the run's memory (machine and address space).</summary>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            Free();
        }

        GC.SuppressFinalize(this);
    }

    private protected abstract void Free();
}

/// <summary>A raw-mode run (<see cref="RawMode"/>) under an observer; its <see cref="Result"/> is the untraced run's.</summary>
public sealed partial class RawTrace : TraceSession
{
    private readonly RawAddressSpace space;
    private readonly Machine machine;
    private readonly ulong windowAddress;
    private readonly int windowLength;
    private StopReason stop;

    /// <summary>Loads a raw run as <see cref="RawMode.Run(ReadOnlySpan{byte}, ulong, long, ReadOnlySpan{ulong}, ulong, ulong, int)"/>
    /// does (same arguments, same exceptions); nothing runs until <see cref="TraceSession.Run"/> or <see cref="TraceSession.Step"/>.</summary>
    public RawTrace(TraceObserver observer, ReadOnlySpan<byte> image, ulong baseAddress, long maxSteps, ReadOnlySpan<ulong> initialRegs, ulong initialPc, ulong windowAddress = 0, int windowLength = 0)
        : base(observer)
    {
        (space, machine) = RawMode.Load(image, baseAddress, maxSteps, initialRegs, initialPc, windowLength);
        this.windowAddress = windowAddress;
        this.windowLength = windowLength;
    }

    /// <summary>The run's result once it ended (equal to the untraced <see cref="RawMode.Run(ReadOnlySpan{byte}, ulong, long, ReadOnlySpan{ulong}, ulong, ulong, int)"/>'s); null before.</summary>
    public RawResult? Result { get; private set; }

    private protected override Machine Machine => machine;

    /// <inheritdoc/>
    public override ulong Units => (ulong)machine.Instructions;

    private protected override bool Stopped(StopReason stop, TraceObserver observer, ulong unitsBefore)
    {
        this.stop = stop;
        Result = RawMode.Result(space, machine, stop, windowAddress, windowLength);
        return false;
    }

    private protected override TraceEnd End() => new(Result!.Stop, machine.Pc, Units, machine.Instructions);

    private protected override void Free()
    {
        machine.Dispose();
        space.Dispose();
    }
}

/// <summary>
/// A transaction executed under an observer (<see cref="TransactionExecutor.Execute"/>, traced); its
/// <see cref="Result"/> is the untraced execution's. A transaction refused before execution has no instruction: it is
/// ended from the start, with its result, and no event; it has no machine either, so <see cref="TraceSession.Pc"/>,
/// <see cref="TraceSession.GetRegister"/> and <see cref="TraceSession.ReadMemory"/> throw
/// <see cref="InvalidOperationException"/> (check <see cref="TraceSession.IsEnded"/> and <see cref="Result"/> first).
/// </summary>
public sealed partial class TransactionTrace : TraceSession
{
    private readonly TransactionExecutor.Prepared? prepared;
    private readonly ThruVm? vm;

    /// <summary>Parses and checks the transaction and charges its fee as <see cref="TransactionExecutor.Execute"/> does;
    /// nothing runs until <see cref="TraceSession.Run"/> or <see cref="TraceSession.Step"/>.</summary>
    public TransactionTrace(TraceObserver observer, EngineEnvironment env, ReadOnlySpan<byte> wire)
        : base(observer)
    {
        prepared = TransactionExecutor.Prepare(env, wire, out EngineResult? early);
        vm = prepared?.Vm;
        if (prepared == null)
        {
            Result = early;
            IsEnded = true;
        }
    }

    /// <summary>The result once the run ended (equal to the untraced execution's); null before.</summary>
    public EngineResult? Result { get; private set; }

    /// <summary>The call depth (the top-level program is 1).</summary>
    public int Depth => vm?.Space.Depth ?? 0;

    /// <summary>The account index of the running program.</summary>
    public int ProgramIndex => vm?.Space.ProgramIndex ?? 0;

    private protected override Machine Machine => vm?.Machine ?? throw new InvalidOperationException("the transaction was refused before execution; it has no machine");

    /// <inheritdoc/>
    public override ulong Units => vm?.ComputeUsed ?? 0;

    private protected override bool Stopped(StopReason stop, TraceObserver observer, ulong unitsBefore)
    {
        ThruVm v = vm!;
        if (stop != StopReason.Ecall)
        {
            v.Continue(stop);
            Result = TransactionExecutor.Finish(prepared!);
            return false;
        }

        // The ecall retires (it is paid and counted) and its syscall runs.
        ulong pc = v.Pc;
        int length = (Bits(pc, 2) & 3) == 3 ? 4 : 2;
        observer.Retired(new TracedInstruction(pc, Bits(pc, length), length, null, null, unitsBefore, unitsBefore + (ulong)v.Machine.StopCost));
        Span<ulong> args = stackalloc ulong[6];
        for (int i = 0; i < 6; i++)
        {
            args[i] = v.Machine.GetRegister(10 + i);
        }

        observer.SyscallEntered(v.Machine.GetRegister(17), args, unitsBefore + (ulong)v.Machine.StopCost);
        int depth = v.Space.Depth, program = v.Space.ProgramIndex;
        if (!v.Continue(stop))
        {
            Result = TransactionExecutor.Finish(prepared!);
            return false;
        }

        if (v.Space.Depth > depth)
        {
            invokePcs.Push(pc); // for Frames() (TraceInspection.cs)
            observer.Invoked(v.Space.Depth, v.Space.ProgramIndex);
            return true;
        }

        if (v.Space.Depth < depth)
        {
            invokePcs.Pop();
            observer.Exited(depth, program);
        }

        observer.SyscallReturned(v.Machine.GetRegister(10), v.Machine.GetRegister(11), Units);
        return true;
    }

    private protected override TraceEnd End() => new(vm!.Ending.ToString(), vm.Pc, vm.ComputeUsed, vm.Instructions);

    private protected override void Free() => vm?.Dispose();
}
