using System;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Thru.Interop;

/// <summary>The <c>uc_err</c> codes of Unicorn 2.0.1 (values as in <c>unicorn.h</c>).</summary>
public enum UnicornError
{
    /// <summary>UC_ERR_OK: no error (also the result of a stop on count, until, timeout or uc_emu_stop).</summary>
    Ok = 0,
    /// <summary>UC_ERR_NOMEM.</summary>
    NoMemory = 1,
    /// <summary>UC_ERR_ARCH.</summary>
    Arch = 2,
    /// <summary>UC_ERR_HANDLE.</summary>
    Handle = 3,
    /// <summary>UC_ERR_MODE.</summary>
    Mode = 4,
    /// <summary>UC_ERR_VERSION.</summary>
    Version = 5,
    /// <summary>UC_ERR_READ_UNMAPPED: emulation stopped on a read of unmapped memory.</summary>
    ReadUnmapped = 6,
    /// <summary>UC_ERR_WRITE_UNMAPPED: emulation stopped on a write to unmapped memory.</summary>
    WriteUnmapped = 7,
    /// <summary>UC_ERR_FETCH_UNMAPPED: emulation stopped on a fetch from unmapped memory.</summary>
    FetchUnmapped = 8,
    /// <summary>UC_ERR_HOOK.</summary>
    Hook = 9,
    /// <summary>UC_ERR_INSN_INVALID: emulation stopped on an invalid instruction.</summary>
    InstructionInvalid = 10,
    /// <summary>UC_ERR_MAP.</summary>
    Map = 11,
    /// <summary>UC_ERR_WRITE_PROT.</summary>
    WriteProtected = 12,
    /// <summary>UC_ERR_READ_PROT.</summary>
    ReadProtected = 13,
    /// <summary>UC_ERR_FETCH_PROT.</summary>
    FetchProtected = 14,
    /// <summary>UC_ERR_ARG.</summary>
    Argument = 15,
    /// <summary>UC_ERR_READ_UNALIGNED.</summary>
    ReadUnaligned = 16,
    /// <summary>UC_ERR_WRITE_UNALIGNED.</summary>
    WriteUnaligned = 17,
    /// <summary>UC_ERR_FETCH_UNALIGNED.</summary>
    FetchUnaligned = 18,
    /// <summary>UC_ERR_HOOK_EXIST.</summary>
    HookExists = 19,
    /// <summary>UC_ERR_RESOURCE.</summary>
    Resource = 20,
    /// <summary>UC_ERR_EXCEPTION: an unhandled CPU exception stopped emulation.</summary>
    Exception = 21,
}

/// <summary>Memory permissions for <see cref="Unicorn.Map"/> (UC_PROT_*).</summary>
[Flags]
public enum UnicornPermissions : uint
{
    /// <summary>UC_PROT_NONE.</summary>
    None = 0,
    /// <summary>UC_PROT_READ.</summary>
    Read = 1,
    /// <summary>UC_PROT_WRITE.</summary>
    Write = 2,
    /// <summary>UC_PROT_EXEC.</summary>
    Execute = 4,
    /// <summary>UC_PROT_ALL.</summary>
    All = Read | Write | Execute,
}

/// <summary>A failing <c>uc_*</c> call.</summary>
public sealed class UnicornException : Exception
{
    /// <summary>Creates the exception for <paramref name="call"/> failing with <paramref name="error"/>.</summary>
    public UnicornException(string call, UnicornError error)
        : base($"{call} failed: {UnicornNative.StrError(error)} (uc_err {(int)error} {error})")
    {
        Call = call;
        Error = error;
    }

    /// <summary>The name of the failing native call, e.g. <c>uc_mem_map</c>.</summary>
    public string Call { get; }

    /// <summary>The <c>uc_err</c> code it returned.</summary>
    public UnicornError Error { get; }
}

/// <summary>
/// Owns a <c>uc_engine*</c> and the native hook-state block that Unicorn's callbacks write into.
/// Both are released together (<c>uc_close</c> first, then the block), so a callback can never see freed state.
/// </summary>
internal sealed unsafe class UnicornHandle : SafeHandle
{
    /// <summary>Creates an invalid handle (filled in by the marshaller of <c>uc_open</c>).</summary>
    public UnicornHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    internal HookState* State { get; set; }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        var err = UnicornNative.uc_close(handle);
        if (State != null)
        {
            NativeMemory.Free(State);
            State = null;
        }

        return err == UnicornError.Ok;
    }
}

/// <summary>Native block written by the hook callbacks (reached through <c>user_data</c>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct HookState
{
    public ulong Instructions;
    public ulong TrapPc;
    public uint TrapCause;
    public uint Trapped;

    // Access checking (see Unicorn.CheckAccesses): the permitted range [AccessLow, AccessHigh)
    // and the first refused access.
    public ulong AccessLow;
    public ulong AccessHigh;
    public uint AccessRefused; // 0 none, 1 misaligned, 2 outside the range
    public uint AccessWrite;
    public ulong AccessAddress;
    public ulong AccessSize;
    public ulong AccessAtInstruction; // value of Instructions when the access was refused
}

/// <summary>P/Invoke declarations for libunicorn.so.2 (Unicorn 2.0.1).</summary>
internal static unsafe partial class UnicornNative
{
    internal const string LibraryName = "libunicorn.so.2";

    internal const int UC_ARCH_RISCV = 8;
    internal const int UC_MODE_RISCV64 = 1 << 3;
    internal const int UC_HOOK_INTR = 1 << 0;
    internal const int UC_HOOK_CODE = 1 << 2;
    internal const int UC_HOOK_MEM_READ = 1 << 10;
    internal const int UC_HOOK_MEM_WRITE = 1 << 11;
    internal const int UC_MEM_WRITE = 17;
    internal const int UC_QUERY_TIMEOUT = 4;
    internal const int UC_RISCV_REG_X0 = 1;

    // UC_CTL(type, nr, rw) = type | nr << 26 | rw << 30; UC_CTL_IO_WRITE = 1.
    internal const int UC_CTL_TB_REMOVE_CACHE_WRITE2 = 9 | (2 << 26) | (1 << 30);
    internal const int UC_CTL_TB_FLUSH_WRITE0 = 10 | (1 << 30);
    internal const int UC_RISCV_REG_PC = 190;

    static UnicornNative()
    {
        NativeLibrary.SetDllImportResolver(typeof(UnicornNative).Assembly, Resolve);
    }

    /// <summary>Touching this forces the static constructor (and thus the resolver) to run.</summary>
    internal static void EnsureResolver()
    {
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != LibraryName)
        {
            return IntPtr.Zero;
        }

        // The exact soname first (works without the -dev symlink), then the usual fallbacks.
        foreach (var candidate in new[] { "libunicorn.so.2", "/usr/lib/x86_64-linux-gnu/libunicorn.so.2", "libunicorn.so" })
        {
            if (NativeLibrary.TryLoad(candidate, out var h))
            {
                return h;
            }
        }

        return IntPtr.Zero;
    }

    internal static string StrError(UnicornError error)
    {
        try
        {
            return Marshal.PtrToStringUTF8((IntPtr)uc_strerror(error)) ?? "(null)";
        }
        catch (DllNotFoundException)
        {
            return "(libunicorn not loadable)";
        }
    }

    internal static void Check(UnicornError err, string call)
    {
        if (err != UnicornError.Ok)
        {
            throw new UnicornException(call, err);
        }
    }

    [LibraryImport(LibraryName)]
    internal static partial uint uc_version(uint* major, uint* minor);

    [LibraryImport(LibraryName)]
    internal static partial byte* uc_strerror(UnicornError code);

    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_open(int arch, int mode, out UnicornHandle uc);

    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_close(IntPtr uc);

    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_query(UnicornHandle uc, int type, nuint* result);

    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_mem_map(UnicornHandle uc, ulong address, nuint size, uint perms);

    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_mem_unmap(UnicornHandle uc, ulong address, nuint size);

    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_mem_protect(UnicornHandle uc, ulong address, nuint size, uint perms);

    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_mem_write(UnicornHandle uc, ulong address, byte* bytes, nuint size);

    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_mem_read(UnicornHandle uc, ulong address, byte* bytes, nuint size);

    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_reg_read(UnicornHandle uc, int regid, void* value);

    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_reg_write(UnicornHandle uc, int regid, void* value);

    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_reg_read_batch(UnicornHandle uc, int* regs, void** vals, int count);

    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_reg_write_batch(UnicornHandle uc, int* regs, void** vals, int count);

    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_emu_start(UnicornHandle uc, ulong begin, ulong until, ulong timeout, nuint count);

    // uc_hook_add is variadic in C; with the fixed arguments only (no UC_HOOK_INSN extra) the SysV call is identical.
    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_hook_add(UnicornHandle uc, nuint* hh, int type, void* callback, void* userData, ulong begin, ulong end);

    // uc_ctl is variadic in C; integer variadic arguments travel exactly like fixed ones in the SysV ABI.
    [LibraryImport(LibraryName, EntryPoint = "uc_ctl")]
    internal static partial UnicornError uc_ctl_0(UnicornHandle uc, int control);

    [LibraryImport(LibraryName, EntryPoint = "uc_ctl")]
    internal static partial UnicornError uc_ctl_2(UnicornHandle uc, int control, ulong arg0, ulong arg1);

    [LibraryImport(LibraryName)]
    internal static partial UnicornError uc_hook_del(UnicornHandle uc, nuint hh);

    // Raw-engine variants used from inside callbacks (Unicorn passes the uc_engine* itself).
    [LibraryImport(LibraryName, EntryPoint = "uc_emu_stop")]
    internal static partial UnicornError uc_emu_stop_raw(IntPtr uc);

    [LibraryImport(LibraryName, EntryPoint = "uc_reg_read")]
    internal static partial UnicornError uc_reg_read_raw(IntPtr uc, int regid, void* value);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    internal static void CountInstruction(IntPtr uc, ulong address, uint size, void* userData)
    {
        ((HookState*)userData)->Instructions++;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    internal static void OnInterrupt(IntPtr uc, uint intno, void* userData)
    {
        var state = (HookState*)userData;
        ulong pc = 0;
        _ = uc_reg_read_raw(uc, UC_RISCV_REG_PC, &pc);
        state->Trapped = 1;
        state->TrapCause = intno;
        state->TrapPc = pc;
        _ = uc_emu_stop_raw(uc);
    }

    /// <summary>
    /// UC_HOOK_MEM_READ/WRITE callback: refuses (records and stops emulation at) the first access that is
    /// misaligned or leaves [AccessLow, AccessHigh). Called before the access is performed.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    internal static void OnAccess(IntPtr uc, int type, ulong address, int size, long value, void* userData)
    {
        var state = (HookState*)userData;
        if (state->AccessRefused != 0 || size <= 0)
        {
            return;
        }

        var width = (ulong)size;
        var outside = address < state->AccessLow || address - state->AccessLow > state->AccessHigh - state->AccessLow - width;
        var misaligned = (address & (width - 1)) != 0;
        if (outside || misaligned)
        {
            state->AccessRefused = outside ? 2u : 1u;
            state->AccessWrite = type == UC_MEM_WRITE ? 1u : 0u;
            state->AccessAddress = address;
            state->AccessSize = width;
            state->AccessAtInstruction = state->Instructions;
            _ = uc_emu_stop_raw(uc);
        }
    }
}
