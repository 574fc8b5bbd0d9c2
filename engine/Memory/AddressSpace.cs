using System;
using System.Runtime.InteropServices;

namespace Thru.Engine;

/// <summary>Why an access or an instruction failed; the kinds of the model's Faults.fs.</summary>
public enum FaultKind : byte
{
    /// <summary>No fault.</summary>
    None = 0,
    /// <summary>The instruction is illegal (or its bytes could not be fetched as an instruction).</summary>
    IllegalInstruction,
    /// <summary>The address is outside every mapped region.</summary>
    InvalidAddress,
    /// <summary>The address names a segment that does not exist.</summary>
    InvalidSegment,
    /// <summary>The segment or page does not allow this kind of access.</summary>
    PermissionDenied,
    /// <summary>The access crosses a page boundary it may not cross.</summary>
    PageBoundaryCross,
    /// <summary>The access is not naturally aligned (decision D-ALIGN).</summary>
    AlignmentViolation,
    /// <summary>A resource (pages, stack, heap) is exhausted.</summary>
    ResourceExhaustion,
}

/// <summary>The kind of a memory access.</summary>
public enum Access : byte
{
    /// <summary>A data load.</summary>
    Read,
    /// <summary>A data store.</summary>
    Write,
    /// <summary>An instruction fetch.</summary>
    Fetch,
}

/// <summary>Which accesses a translated host page may serve directly (from the TLB).</summary>
[Flags]
public enum PagePermissions : byte
{
    /// <summary>No access.</summary>
    None = 0,
    /// <summary>Loads.</summary>
    Read = 1,
    /// <summary>Stores.</summary>
    Write = 2,
    /// <summary>Instruction fetches.</summary>
    Fetch = 4,
}

/// <summary>Names of fault kinds.</summary>
public static class FaultNames
{
    /// <summary>The kebab-case name of a fault kind ("invalid-address", …), as observations print them.</summary>
    public static string Name(FaultKind kind) => kind switch
    {
        FaultKind.IllegalInstruction => "illegal-instruction",
        FaultKind.InvalidAddress => "invalid-address",
        FaultKind.InvalidSegment => "invalid-segment",
        FaultKind.PermissionDenied => "permission-denied",
        FaultKind.PageBoundaryCross => "page-boundary-cross",
        FaultKind.AlignmentViolation => "alignment-violation",
        FaultKind.ResourceExhaustion => "resource-exhaustion",
        _ => "none",
    };
}

/// <summary>
/// The slow path of address translation: how guest pages map to engine-owned host memory.
/// The machine asks only on TLB misses, faults, and when it decodes code, so the hot loop
/// never calls it. Raw mode supplies <see cref="RawAddressSpace"/>; Thru mode will supply the
/// segmented translation (segment type/index/offset, per-segment permissions, copy-on-write).
/// </summary>
/// <remarks>
/// Safety contract: a successful translation returns a pointer to 4096 bytes that the address
/// space owns and keeps alive (and unmoved) until it is disposed or the machine is told with
/// <see cref="Machine.InvalidatePage"/>. Every guest access goes through such a pointer.
/// </remarks>
public abstract unsafe class AddressSpace : IDisposable
{
    /// <summary>The size of a guest page, 4 KiB.</summary>
    public const int PageSize = 4096;

    /// <summary>
    /// Translates the 4 KiB page at <paramref name="pageAddress"/> for an access of kind
    /// <paramref name="access"/>. On success <paramref name="host"/> is the host page and
    /// <paramref name="permissions"/> says which accesses that same host page may serve
    /// without asking again (it always includes <paramref name="access"/>).
    /// </summary>
    public abstract FaultKind TranslatePage(ulong pageAddress, Access access, out byte* host, out PagePermissions permissions);

    /// <summary>
    /// The fault of an access the fast path could not serve: the page was refused
    /// (<paramref name="pageFault"/>) or the address is misaligned. The default applies the
    /// order of the model's raw mode (D-RAW, D-ALIGN): the whole access must be inside
    /// translatable memory (else that fault), and only then is alignment checked.
    /// </summary>
    public virtual FaultKind Classify(ulong address, int size, Access access, FaultKind pageFault)
    {
        if (pageFault != FaultKind.None)
        {
            return pageFault;
        }

        ulong last = address + (ulong)(size - 1);
        if (last < address)
        {
            return FaultKind.InvalidAddress; // wraps past 2^64
        }

        if ((last >> 12) != (address >> 12))
        {
            FaultKind next = TranslatePage(last & ~0xFFFUL, access, out _, out _);
            if (next != FaultKind.None)
            {
                return next;
            }
        }

        return (address & (ulong)(size - 1)) != 0 ? FaultKind.AlignmentViolation : FaultKind.None;
    }

    /// <summary>
    /// The slow path of a data access of <paramref name="size"/> bytes (1, 2, 4 or 8) at <paramref name="address"/>:
    /// the fault, in the address space's own order, or <paramref name="host"/>, the host bytes of the access, and
    /// <paramref name="cacheable"/>, the accesses the TLB may serve from the same host page without asking again
    /// (<see cref="PagePermissions.None"/>: ask every time). A write that succeeds has been given the page it writes
    /// (copy-on-write and the like happen here). The default serves raw mode: <see cref="TranslatePage"/> on the
    /// access's page, then <see cref="Classify"/> for a refused page or a misaligned address.
    /// </summary>
    public virtual FaultKind Resolve(ulong address, int size, Access access, out byte* host, out PagePermissions cacheable)
    {
        FaultKind f = TranslatePage(address & ~0xFFFUL, access, out byte* page, out PagePermissions perms);
        if (f != FaultKind.None || (address & (ulong)(size - 1)) != 0)
        {
            host = null;
            cacheable = PagePermissions.None;
            f = Classify(address, size, access, f);
            return f == FaultKind.None ? FaultKind.AlignmentViolation : f;
        }

        host = page + (address & 0xFFF);
        cacheable = perms;
        return FaultKind.None;
    }

    /// <summary>
    /// How many bytes from the start of the page at <paramref name="pageAddress"/> may be fetched (the page was
    /// translated for <see cref="Access.Fetch"/>). Raw mode: the whole page; the Thru program segment: up to its end.
    /// Parcels past the limit decode as fetch faults (<see cref="FaultKind.InvalidAddress"/>).
    /// </summary>
    public virtual int FetchLimit(ulong pageAddress) => PageSize;

    /// <summary>
    /// Reads guest bytes for a debugger (<see cref="Debug.TraceSession.ReadMemory"/>): any alignment, across pages, with
    /// no effect on the run (nothing allocated, copied or charged). <see cref="FaultKind.None"/>, or the fault of the first
    /// byte that cannot be read (at <paramref name="faultAddress"/>); the bytes before it are read. An address space that
    /// does not say otherwise cannot be read this way.
    /// </summary>
    internal virtual FaultKind DebugRead(ulong address, Span<byte> destination, out ulong faultAddress)
    {
        faultAddress = address;
        return destination.IsEmpty ? FaultKind.None : FaultKind.InvalidAddress;
    }

    /// <summary>Releases the host memory of the address space.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>
/// Raw mode's memory (decision D-RAW): one flat, zero-filled, read/write/execute region of 16 MiB
/// at a 4 KiB-aligned base. Any address outside it is <see cref="FaultKind.InvalidAddress"/>.
/// </summary>
/// <remarks>
/// Pages are allocated on first write: until then a page reads (and fetches) as a shared page of
/// zeros that is never writable, so a run costs memory only for the pages it loads or writes. The
/// write translation of a fresh page returns a new host page; the machine's TLB fill replaces the
/// entry that pointed at the zero page, and decoded code is re-read from the new page.
/// </remarks>
public sealed unsafe class RawAddressSpace : AddressSpace
{
    /// <summary>The size of the raw region, 16 MiB.</summary>
    public const ulong RegionSize = 0x100_0000;
    private const int PageCount = (int)(RegionSize / PageSize);

    /// <summary>The page every unwritten page reads as. Shared, never written (it is only ever given
    /// out without <see cref="PagePermissions.Write"/>), never freed.</summary>
    private static readonly byte* ZeroPage = (byte*)NativeMemory.AllocZeroed(PageSize);

    private byte** pages;

    /// <summary>The guest address of the region's first byte.</summary>
    public ulong Base { get; }

    /// <summary>A zero-filled raw region at <paramref name="baseAddress"/> (4 KiB aligned, ending at or below 2^64).</summary>
    public RawAddressSpace(ulong baseAddress)
    {
        if (baseAddress % PageSize != 0 || baseAddress > ulong.MaxValue - RegionSize + 1)
        {
            throw new ArgumentException("the raw region must be 4 KiB aligned and end at or below 2^64", nameof(baseAddress));
        }

        Base = baseAddress;
        pages = (byte**)NativeMemory.AllocZeroed((nuint)(PageCount * sizeof(byte*)));
    }

    private byte* PageForWrite(int index)
    {
        byte* p = pages[index];
        if (p == null)
        {
            p = (byte*)NativeMemory.AllocZeroed(PageSize);
            pages[index] = p;
        }

        return p;
    }

    /// <summary>Copies <paramref name="bytes"/> into the region at <paramref name="offset"/> from the base (loading an image).</summary>
    public void Write(ulong offset, ReadOnlySpan<byte> bytes)
    {
        ObjectDisposedException.ThrowIf(pages == null, this);
        if (offset > RegionSize || (ulong)bytes.Length > RegionSize - offset)
        {
            throw new ArgumentException("the bytes must lie inside the region", nameof(offset));
        }

        while (bytes.Length > 0)
        {
            int inPage = (int)(offset % PageSize);
            int n = Math.Min(bytes.Length, PageSize - inPage);
            bytes[..n].CopyTo(new Span<byte>(PageForWrite((int)(offset / PageSize)) + inPage, n));
            bytes = bytes[n..];
            offset += (ulong)n;
        }
    }

    /// <summary>The byte at guest address <paramref name="address"/>; 0 outside the region.</summary>
    public byte ReadByte(ulong address)
    {
        ObjectDisposedException.ThrowIf(pages == null, this);
        ulong offset = address - Base;
        if (offset >= RegionSize)
        {
            return 0;
        }

        byte* p = pages[offset / PageSize];
        return p == null ? (byte)0 : p[offset % PageSize];
    }

    internal override FaultKind DebugRead(ulong address, Span<byte> destination, out ulong faultAddress)
    {
        faultAddress = 0;
        for (int i = 0; i < destination.Length; i++)
        {
            ulong a = address + (ulong)i;
            if (a - Base >= RegionSize || pages == null)
            {
                faultAddress = a;
                return FaultKind.InvalidAddress;
            }

            destination[i] = ReadByte(a);
        }

        return FaultKind.None;
    }

    /// <inheritdoc/>
    public override FaultKind TranslatePage(ulong pageAddress, Access access, out byte* host, out PagePermissions permissions)
    {
        ulong offset = pageAddress - Base; // wraps for addresses below the base
        if (offset >= RegionSize || pages == null)
        {
            host = null;
            permissions = PagePermissions.None;
            return FaultKind.InvalidAddress;
        }

        int index = (int)(offset / PageSize);
        if (pages[index] == null && access != Access.Write)
        {
            host = ZeroPage;
            permissions = PagePermissions.Read | PagePermissions.Fetch;
            return FaultKind.None;
        }

        host = PageForWrite(index);
        permissions = PagePermissions.Read | PagePermissions.Write | PagePermissions.Fetch;
        return FaultKind.None;
    }

    private void Free()
    {
        if (pages != null)
        {
            for (int i = 0; i < PageCount; i++)
            {
                if (pages[i] != null)
                {
                    NativeMemory.Free(pages[i]);
                }
            }

            NativeMemory.Free(pages);
            pages = null;
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        Free();
        base.Dispose();
    }

    /// <summary>Frees the pages if the address space was not disposed.</summary>
    ~RawAddressSpace() => Free();
}
