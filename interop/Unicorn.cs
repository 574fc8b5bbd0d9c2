using System;
using System.Runtime.InteropServices;

namespace Thru.Interop;

/// <summary>
/// The result of one <see cref="Unicorn.Run"/>. A guest exception is reported here, never thrown.
/// </summary>
/// <param name="Error">What <c>uc_emu_start</c> returned. <see cref="UnicornError.Ok"/> for a stop on
/// <c>until</c>, on <c>count</c>, on timeout, and also when the interrupt hook caught a trap and stopped
/// emulation (then <see cref="Trapped"/> is true).</param>
/// <param name="Trapped">True when the UC_HOOK_INTR hook saw a RISC-V exception and stopped emulation.</param>
/// <param name="TrapCause">The RISC-V exception cause passed to the hook (<c>intno</c>): 2 illegal instruction,
/// 8 ecall (Unicorn reports 8 even in M-mode), ... Zero when <see cref="Trapped"/> is false.</param>
/// <param name="TrapPc">The pc read inside the hook: the faulting instruction's address + 4, even for 16-bit
/// instructions (see the class remarks of <see cref="Unicorn"/>). Zero when <see cref="Trapped"/> is false.</param>
/// <param name="Pc">The pc after <c>uc_emu_start</c> returned.</param>
/// <param name="TimedOut">True when a timeout was given and <c>uc_query(UC_QUERY_TIMEOUT)</c> says it fired.</param>
public readonly record struct EmulationOutcome(
    UnicornError Error,
    bool Trapped,
    uint TrapCause,
    ulong TrapPc,
    ulong Pc,
    bool TimedOut)
{
    /// <summary>True when emulation ended normally: no error, no trap, no timeout.</summary>
    public bool IsClean => Error == UnicornError.Ok && !Trapped && !TimedOut;
}

/// <summary>A data access refused by <see cref="Unicorn.CheckAccesses"/>.</summary>
/// <param name="Misaligned">True when refused for alignment, false when outside the permitted range.</param>
/// <param name="Write">True for a store.</param>
/// <param name="Address">The effective address.</param>
/// <param name="Size">The access size in bytes.</param>
/// <param name="AtInstruction">The counting hook's count when the access was made (it includes the accessing instruction).</param>
public readonly record struct RefusedAccess(bool Misaligned, bool Write, ulong Address, int Size, ulong AtInstruction);

/// <summary>
/// A Unicorn 2.0.1 engine in RISC-V 64 mode (<c>uc_open(UC_ARCH_RISCV, UC_MODE_RISCV64)</c>, default CPU model,
/// machine mode, FPU off). An interrupt hook is always installed: every RISC-V exception Unicorn delivers to
/// it is recorded (cause + pc) and stops emulation, so <see cref="Run"/> returns an <see cref="EmulationOutcome"/>.
/// </summary>
/// <remarks>
/// <para>Behaviour of Unicorn 2.0.1 (Debian libunicorn2 2.0.1.post1) for RV64, each established by an experiment
/// (programs and raw results: interop/UNICORN-BEHAVIOUR.md). "Trap" below means the UC_HOOK_INTR hook of this class
/// was called (it records cause and pc and calls uc_emu_stop; uc_emu_start then returns UC_ERR_OK). Without such a
/// hook the same events make uc_emu_start return UC_ERR_EXCEPTION with the same pc.</para>
/// <list type="bullet">
/// <item>(a) None of Zba/Zbb/Zbc/Zbs/Zknh is decoded: all 49 tried (sh1add/sh2add/sh3add, add.uw, sh1add.uw, slli.uw, andn, orn,
/// xnor, clz/ctz/cpop[w], min[u]/max[u], sext.b/h, zext.h, rol/ror[w], rori[w], orc.b, rev8, clmul/clmulh/clmulr,
/// bset/bclr/binv/bext[i], sha256sum0/1, sha256sig0/1, sha512sum0/1, sha512sig0/1) trap with cause 2 (illegal
/// instruction); instructions before them have executed, the destination is unchanged.</item>
/// <item>(b) Misaligned loads and stores (lh/lw/ld/sh/sw/sd/c.ld/c.sd at odd offsets, also straddling a 4 KiB page
/// inside a mapping) succeed silently with little-endian results. A misaligned access running off the end of the
/// mapping gives UC_ERR_READ_UNMAPPED / UC_ERR_WRITE_UNMAPPED with pc = the access instruction's own address.</item>
/// <item>(c) After a trap the pc (read in the hook, and <see cref="Pc"/> afterwards) is the faulting instruction's
/// address + 4, for 32-bit and for 16-bit instructions alike (e.g. 0x0000 at A reports A+4, not A+2).</item>
/// <item>(d) <c>count</c> counts executed instructions, 16- and 32-bit alike; 0 = unlimited. After stopping on
/// count n the pc is the address of instruction n+1 (not executed). A trapping instruction within the count traps
/// as usual. The counting hook also sees the trapping instruction (3 hooked for c.nop, c.addi, clz).</item>
/// <item>(e) ecall: trap cause 8 (the raw "U-mode ecall" index, although the hart runs in M-mode), pc = ecall+4.
/// ebreak and c.ebreak: NOT delivered to the hook; uc_emu_start returns UC_ERR_INSN_INVALID and pc = the
/// breakpoint's own address. 0x0000 and every reserved compressed encoding tried (c.addi4spn imm=0 0x0004,
/// c.lui imm=0, c.addiw rd=0, c.ldsp rd=0, c.jr x0, c.addi16sp imm=0, 0x3001): trap cause 2, pc+4.
/// fence.i: no-op. CSRs: csrr cycle / instret execute and return host-derived, NON-deterministic values;
/// csrr mhartid = 0 (M-mode); csrr time, csrr fflags (FPU off), csrw cycle and unknown CSRs trap with cause 2.
/// wfi ends emulation with UC_ERR_OK and pc = wfi+4. mret jumps to mepc (0) and faults with UC_ERR_FETCH_UNMAPPED.</item>
/// <item>(f) FENCE (any pred/succ, fence.tso, pause, and even fm=1111 with rs1/rd != 0) is a no-op that only
/// advances pc; a MISC-MEM encoding with funct3 = 6 traps with cause 2.</item>
/// <item>(g) Translation-cache staleness: after a block that begins with ecall has been translated, overwriting
/// that code with a bare <c>uc_mem_write</c> does not invalidate it (the old ecall keeps trapping). <see cref="Write"/>
/// therefore also calls <c>uc_ctl_remove_cache</c> for the written range; <see cref="FlushTranslations"/> drops all.</item>
/// </list>
/// <para>Costs measured (Release, this machine): a hot 3-instruction loop runs at ~3 G instr/s without hooks and
/// ~110 M instr/s with the counting hook installed (~9 ns per hooked instruction).</para>
/// <para>The counting hook (<see cref="CountInstructions"/>) is a UC_HOOK_CODE over all addresses whose
/// unmanaged callback only increments a native counter; it exists to measure what per-instruction metering costs.</para>
/// </remarks>
public sealed unsafe class Unicorn : IDisposable
{
    private const int RegisterCount = 32;

    private static readonly Lazy<bool> Available = new(() =>
    {
        try
        {
            _ = Version;
            return true;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    });

    private readonly UnicornHandle _handle;
    private nuint _codeHook;
    private nuint _accessHook;

    /// <summary>Opens a RISC-V 64 engine and installs the interrupt hook.</summary>
    public Unicorn()
    {
        UnicornNative.EnsureResolver();
        UnicornNative.Check(UnicornNative.uc_open(UnicornNative.UC_ARCH_RISCV, UnicornNative.UC_MODE_RISCV64, out _handle), "uc_open");
        _handle.State = (HookState*)NativeMemory.AllocZeroed((nuint)sizeof(HookState));
        nuint hh;
        delegate* unmanaged[Cdecl]<IntPtr, uint, void*, void> cb = &UnicornNative.OnInterrupt;
        UnicornNative.Check(UnicornNative.uc_hook_add(_handle, &hh, UnicornNative.UC_HOOK_INTR, cb, _handle.State, 1, 0), "uc_hook_add(UC_HOOK_INTR)");
    }

    /// <summary>True when libunicorn.so.2 can be loaded.</summary>
    public static bool IsAvailable => Available.Value;

    /// <summary>The library version as "major.minor" (from <c>uc_version</c>), e.g. "2.0".</summary>
    public static string Version
    {
        get
        {
            UnicornNative.EnsureResolver();
            uint major, minor;
            var combined = UnicornNative.uc_version(&major, &minor);
            return $"{major}.{minor} (0x{combined:x})";
        }
    }

    /// <summary>The program counter.</summary>
    public ulong Pc
    {
        get => ReadRegister(UnicornNative.UC_RISCV_REG_PC);
        set => WriteRegister(UnicornNative.UC_RISCV_REG_PC, value);
    }

    /// <summary>
    /// Whether the per-instruction counting hook (UC_HOOK_CODE, all addresses) is installed. Installing or removing
    /// it is done with <c>uc_hook_add</c>/<c>uc_hook_del</c>, so when disabled there is no hook cost at all.
    /// </summary>
    public bool CountInstructions
    {
        get => _codeHook != 0;
        set
        {
            if (value == CountInstructions)
            {
                return;
            }

            if (value)
            {
                nuint hh;
                delegate* unmanaged[Cdecl]<IntPtr, ulong, uint, void*, void> cb = &UnicornNative.CountInstruction;
                UnicornNative.Check(UnicornNative.uc_hook_add(_handle, &hh, UnicornNative.UC_HOOK_CODE, cb, _handle.State, 1, 0), "uc_hook_add(UC_HOOK_CODE)");
                _codeHook = hh;
            }
            else
            {
                UnicornNative.Check(UnicornNative.uc_hook_del(_handle, _codeHook), "uc_hook_del(UC_HOOK_CODE)");
                _codeHook = 0;
            }
        }
    }

    /// <summary>
    /// Installs a UC_HOOK_MEM_READ/WRITE hook that refuses the first data access that is misaligned or outside
    /// [<paramref name="low"/>, <paramref name="high"/>): it records the access in <see cref="RefusedAccess"/> and
    /// stops emulation. Unicorn itself lets misaligned accesses succeed; this is how ThruVM's alignment rule is
    /// imposed on it. The recorded instruction index is only meaningful with <see cref="CountInstructions"/> on.
    /// </summary>
    public void CheckAccesses(ulong low, ulong high)
    {
        var state = State;
        state->AccessLow = low;
        state->AccessHigh = high;
        state->AccessRefused = 0;
        if (_accessHook == 0)
        {
            nuint hh;
            delegate* unmanaged[Cdecl]<IntPtr, int, ulong, int, long, void*, void> cb = &UnicornNative.OnAccess;
            UnicornNative.Check(
                UnicornNative.uc_hook_add(_handle, &hh, UnicornNative.UC_HOOK_MEM_READ | UnicornNative.UC_HOOK_MEM_WRITE, cb, state, 1, 0),
                "uc_hook_add(UC_HOOK_MEM_READ|UC_HOOK_MEM_WRITE)");
            _accessHook = hh;
        }
    }

    /// <summary>The first access refused by <see cref="CheckAccesses"/> since the last <see cref="Run"/>, if any.</summary>
    public RefusedAccess? RefusedAccess
    {
        get
        {
            var s = State;
            return s->AccessRefused == 0
                ? null
                : new RefusedAccess(s->AccessRefused == 1, s->AccessWrite != 0, s->AccessAddress, (int)s->AccessSize, s->AccessAtInstruction);
        }
    }

    /// <summary>Instructions seen by the counting hook since creation or the last reset (settable).</summary>
    public ulong HookedInstructions
    {
        get => State->Instructions;
        set => State->Instructions = value;
    }

    private HookState* State
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.State;
        }
    }

    /// <summary>Maps <paramref name="size"/> bytes at <paramref name="address"/> (both 4 KiB aligned), zero-filled.</summary>
    public void Map(ulong address, ulong size, UnicornPermissions permissions = UnicornPermissions.All) =>
        UnicornNative.Check(UnicornNative.uc_mem_map(_handle, address, checked((nuint)size), (uint)permissions), "uc_mem_map");

    /// <summary>Unmaps a previously mapped range (4 KiB aligned).</summary>
    public void Unmap(ulong address, ulong size) =>
        UnicornNative.Check(UnicornNative.uc_mem_unmap(_handle, address, checked((nuint)size)), "uc_mem_unmap");

    /// <summary>Changes the permissions of a mapped range (4 KiB aligned).</summary>
    public void Protect(ulong address, ulong size, UnicornPermissions permissions) =>
        UnicornNative.Check(UnicornNative.uc_mem_protect(_handle, address, checked((nuint)size), (uint)permissions), "uc_mem_protect");

    /// <summary>
    /// Writes bytes into guest memory (must be mapped) and drops any cached translation covering them, because
    /// Unicorn 2.0.1's <c>uc_mem_write</c> alone does not always do so (a block that ended in <c>ecall</c> survives
    /// a rewrite; see the class remarks, item (g)). Use <see cref="WriteData"/> to skip the invalidation.
    /// </summary>
    public void Write(ulong address, ReadOnlySpan<byte> data)
    {
        WriteData(address, data);
        if (!data.IsEmpty)
        {
            InvalidateCode(address, (ulong)data.Length);
        }
    }

    /// <summary>Writes bytes into guest memory (must be mapped) with a bare <c>uc_mem_write</c>: for data only.</summary>
    public void WriteData(ulong address, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            UnicornNative.Check(UnicornNative.uc_mem_write(_handle, address, p, (nuint)data.Length), "uc_mem_write");
        }
    }

    /// <summary>
    /// Drops cached translations of guest code in [<paramref name="address"/>, <paramref name="address"/> +
    /// <paramref name="length"/>) (<c>uc_ctl_remove_cache</c>).
    /// </summary>
    public void InvalidateCode(ulong address, ulong length) =>
        UnicornNative.Check(UnicornNative.uc_ctl_2(_handle, UnicornNative.UC_CTL_TB_REMOVE_CACHE_WRITE2, address, address + length), "uc_ctl(UC_CTL_TB_REMOVE_CACHE)");

    /// <summary>Drops all cached translations (<c>uc_ctl_flush_tlb</c>, i.e. UC_CTL_TB_FLUSH).</summary>
    public void FlushTranslations() =>
        UnicornNative.Check(UnicornNative.uc_ctl_0(_handle, UnicornNative.UC_CTL_TB_FLUSH_WRITE0), "uc_ctl(UC_CTL_TB_FLUSH)");

    /// <summary>Reads bytes from guest memory (must be mapped).</summary>
    public void Read(ulong address, Span<byte> destination)
    {
        fixed (byte* p = destination)
        {
            UnicornNative.Check(UnicornNative.uc_mem_read(_handle, address, p, (nuint)destination.Length), "uc_mem_read");
        }
    }

    /// <summary>Reads <c>x<paramref name="i"/></c> (0..31).</summary>
    public ulong ReadX(int i) => ReadRegister(XId(i));

    /// <summary>Writes <c>x<paramref name="i"/></c> (0..31; writes to x0 are ignored by the CPU).</summary>
    public void WriteX(int i, ulong value) => WriteRegister(XId(i), value);

    /// <summary>Reads x0..x31 into <paramref name="destination"/> (at least 32 entries) with one <c>uc_reg_read_batch</c>.</summary>
    public void ReadAllX(Span<ulong> destination)
    {
        if (destination.Length < RegisterCount)
        {
            throw new ArgumentException("Need room for 32 registers.", nameof(destination));
        }

        int* ids = stackalloc int[RegisterCount];
        void** ptrs = stackalloc void*[RegisterCount];
        fixed (ulong* d = destination)
        {
            for (var i = 0; i < RegisterCount; i++)
            {
                ids[i] = UnicornNative.UC_RISCV_REG_X0 + i;
                ptrs[i] = d + i;
            }

            UnicornNative.Check(UnicornNative.uc_reg_read_batch(_handle, ids, ptrs, RegisterCount), "uc_reg_read_batch");
        }
    }

    /// <summary>Writes x0..x31 from <paramref name="values"/> (at least 32 entries) with one <c>uc_reg_write_batch</c>.</summary>
    public void WriteAllX(ReadOnlySpan<ulong> values)
    {
        if (values.Length < RegisterCount)
        {
            throw new ArgumentException("Need 32 register values.", nameof(values));
        }

        int* ids = stackalloc int[RegisterCount];
        void** ptrs = stackalloc void*[RegisterCount];
        fixed (ulong* s = values)
        {
            for (var i = 0; i < RegisterCount; i++)
            {
                ids[i] = UnicornNative.UC_RISCV_REG_X0 + i;
                ptrs[i] = s + i;
            }

            UnicornNative.Check(UnicornNative.uc_reg_write_batch(_handle, ids, ptrs, RegisterCount), "uc_reg_write_batch");
        }
    }

    /// <summary>
    /// Runs <c>uc_emu_start(begin, until, timeoutMicros, count)</c>: emulation stops when pc reaches
    /// <paramref name="until"/>, after <paramref name="count"/> instructions (0 = no limit), after the timeout
    /// (0 = none), or on a guest exception / memory fault, all reported in the returned outcome.
    /// </summary>
    /// <exception cref="UnicornException">For failures that are not an emulation outcome (bad arguments, out of memory, ...).</exception>
    public EmulationOutcome Run(ulong begin, ulong until, ulong count = 0, ulong timeoutMicros = 0)
    {
        var state = State;
        state->Trapped = 0;
        state->TrapCause = 0;
        state->TrapPc = 0;
        state->AccessRefused = 0;
        var err = UnicornNative.uc_emu_start(_handle, begin, until, timeoutMicros, checked((nuint)count));
        if (!IsEmulationOutcome(err))
        {
            throw new UnicornException("uc_emu_start", err);
        }

        var timedOut = false;
        if (timeoutMicros != 0)
        {
            nuint result;
            UnicornNative.Check(UnicornNative.uc_query(_handle, UnicornNative.UC_QUERY_TIMEOUT, &result), "uc_query(UC_QUERY_TIMEOUT)");
            timedOut = result != 0;
        }

        var trapped = state->Trapped != 0;
        return new EmulationOutcome(err, trapped, trapped ? state->TrapCause : 0, trapped ? state->TrapPc : 0, Pc, timedOut);
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();

    private static bool IsEmulationOutcome(UnicornError err) => err switch
    {
        UnicornError.Ok or UnicornError.Exception or UnicornError.InstructionInvalid => true,
        UnicornError.ReadUnmapped or UnicornError.WriteUnmapped or UnicornError.FetchUnmapped => true,
        UnicornError.ReadProtected or UnicornError.WriteProtected or UnicornError.FetchProtected => true,
        UnicornError.ReadUnaligned or UnicornError.WriteUnaligned or UnicornError.FetchUnaligned => true,
        _ => false,
    };

    private static int XId(int i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(i, 31);
        return UnicornNative.UC_RISCV_REG_X0 + i;
    }

    private ulong ReadRegister(int id)
    {
        ulong v = 0;
        UnicornNative.Check(UnicornNative.uc_reg_read(_handle, id, &v), "uc_reg_read");
        return v;
    }

    private void WriteRegister(int id, ulong value) =>
        UnicornNative.Check(UnicornNative.uc_reg_write(_handle, id, &value), "uc_reg_write");
}
