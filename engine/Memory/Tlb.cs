using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Thru.Engine;

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

// The machine's data TLB and its slow paths: what the hot loop and compiled code call when the inline TLB test fails.
public sealed unsafe partial class Machine
{
    // ---------------------------------------------------------------- data TLB and slow paths

    private void FlushTlb()
    {
        if (filledCount <= FillLogSize)
        {
            for (int i = 0; i < filledCount; i++)
            {
                st->Tlb[filledLog[i]] = new TlbEntry { ReadTag = InvalidTag, WriteTag = InvalidTag };
            }
        }
        else
        {
            for (int i = 0; i < TlbEntries; i++)
            {
                st->Tlb[i] = new TlbEntry { ReadTag = InvalidTag, WriteTag = InvalidTag };
            }
        }

        filledCount = 0;
    }

    // A data TLB is 128 KiB: allocating and clearing one per machine cost tens of microseconds, more than a whole token
    // transfer. Disposed machines leave theirs, flushed (usually only the few entries they filled), for the next machine
    // made on the same thread.
    [ThreadStatic]
    private static Stack<nint>? spareTlbs;

    private static TlbEntry* RentTlb(out bool clean)
    {
        if (spareTlbs != null && spareTlbs.Count > 0)
        {
            clean = true;
            return (TlbEntry*)spareTlbs.Pop();
        }

        clean = false;
        return (TlbEntry*)NativeMemory.Alloc((nuint)(TlbEntries * sizeof(TlbEntry)));
    }

    private void ReturnTlb(TlbEntry* tlb)
    {
        spareTlbs ??= new Stack<nint>();
        if (spareTlbs.Count < 4)
        {
            FlushTlb();
            spareTlbs.Push((nint)tlb);
        }
        else
        {
            NativeMemory.Free(tlb);
        }
    }

    private void FlushCodeTlb()
    {
        FlushChain(); // the chain cache holds compiled code of the pages the code TLB maps
        Array.Clear(codeTlbPages);
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
        if (filledCount < FillLogSize)
        {
            filledLog[filledCount] = (int)(e - st->Tlb);
        }

        if (filledCount <= FillLogSize)
        {
            filledCount++;
        }

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
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
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
}
