using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Thru.Engine;

/// <summary>Account metadata (the fields of tsdk_account_meta_t).</summary>
internal struct Meta
{
    public byte Version;
    public byte Flags;
    public uint DataSize;
    public ulong Seq;
    public PublicKey Owner;
    public ulong Balance;
    public ulong Nonce;

    public const int ViewSize = 62;

    public readonly bool Has(byte flag) => (Flags & flag) != 0;

    public static Meta Of(EngineAccount a) => new()
    {
        Version = a.Version,
        Flags = a.Flags,
        DataSize = a.DataSize,
        Seq = a.Seq,
        Owner = a.Owner,
        Balance = a.Balance,
        Nonce = a.Nonce,
    };

    /// <summary>A fresh account of <paramref name="owner"/> (version 1, everything else 0).</summary>
    public static Meta Fresh(PublicKey owner, byte flags) => new() { Version = 1, Flags = flags, Owner = owner };

    /// <summary>The 62-byte view (packed): version@0 flags@1 data_sz@2 seq@6 owner@14 balance@46 nonce@54 (D-META-VIEW).</summary>
    public readonly void WriteView(Span<byte> b)
    {
        b[0] = Version;
        b[1] = Flags;
        BinaryPrimitives.WriteUInt32LittleEndian(b[2..], DataSize);
        BinaryPrimitives.WriteUInt64LittleEndian(b[6..], Seq);
        Owner.CopyTo(b[14..]);
        BinaryPrimitives.WriteUInt64LittleEndian(b[46..], Balance);
        BinaryPrimitives.WriteUInt64LittleEndian(b[54..], Nonce);
    }

    public static Meta ReadView(ReadOnlySpan<byte> b) => new()
    {
        Version = b[0],
        Flags = b[1],
        DataSize = BinaryPrimitives.ReadUInt32LittleEndian(b[2..]),
        Seq = BinaryPrimitives.ReadUInt64LittleEndian(b[6..]),
        Owner = new PublicKey(b.Slice(14, 32)),
        Balance = BinaryPrimitives.ReadUInt64LittleEndian(b[46..]),
        Nonce = BinaryPrimitives.ReadUInt64LittleEndian(b[54..]),
    };

    /// <summary>The runtime record's leading magic (docs/spec/memory.md §7.2).</summary>
    public const ushort Magic = 0xC7A3;

    /// <summary>The 64-byte runtime record: magic 0xC7A3, then the view (what state proofs hash).</summary>
    public readonly void WriteRecord(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(b, Magic);
        WriteView(b[2..]);
    }

    public readonly EngineAccount ToAccount(byte[] data) => new()
    {
        Version = Version,
        Flags = Flags,
        DataSize = DataSize,
        Seq = Seq,
        Owner = Owner,
        Balance = Balance,
        Nonce = Nonce,
        Data = data,
    };

    public readonly bool SameExceptSeq(in Meta o) =>
        Version == o.Version && Flags == o.Flags && DataSize == o.DataSize && Owner == o.Owner && Balance == o.Balance && Nonce == o.Nonce;
}

/// <summary>
/// The data of one account during a transaction: the committed bytes (never modified; bytes at or past
/// <c>baseLimit</c> read as zero, which is how a shrink forgets old contents) and, per 4 KiB page, a host copy made
/// when the page is first touched and whether the page is copy-on-write, i.e. took a page of the pool (D-COW-POOL).
/// </summary>
internal sealed unsafe class AccountData
{
    public const int MaxPages = 4096;

    private readonly PageArena arena;
    private byte[] baseBytes;
    private int baseLimit;
    private nint[]? pages;
    private bool[]? cow;

    public AccountData(PageArena arena, byte[] committed, int size)
    {
        this.arena = arena;
        baseBytes = committed;
        baseLimit = Math.Min(committed.Length, size);
    }

    /// <summary>New contents: <paramref name="bytes"/> (creation: empty; decompression: the restored data).</summary>
    public void Reset(byte[] bytes, int size)
    {
        FreePages();
        cow = null;
        baseBytes = bytes;
        baseLimit = Math.Min(bytes.Length, size);
    }

    private void FreePages()
    {
        if (pages != null)
        {
            for (int p = 0; p < MaxPages; p++)
            {
                if (pages[p] != 0)
                {
                    arena.Free((byte*)pages[p]);
                    pages[p] = 0;
                }
            }
        }
    }

    public bool IsCow(int page) => cow != null && cow[page];

    public void SetCow(int page, bool value)
    {
        if (cow == null)
        {
            if (!value)
            {
                return;
            }

            cow = new bool[MaxPages];
        }

        cow[page] = value;
    }

    /// <summary>The number of pages marked copy-on-write at or past <paramref name="from"/>.</summary>
    public int CowPagesFrom(int from)
    {
        int n = 0;
        if (cow != null)
        {
            for (int p = from; p < MaxPages; p++)
            {
                if (cow[p]) n++;
            }
        }

        return n;
    }

    /// <summary>The host copy of page <paramref name="p"/>, made on first use.</summary>
    public byte* Page(int p)
    {
        pages ??= new nint[MaxPages];
        nint h = pages[p];
        if (h == 0)
        {
            byte* page = arena.Allocate(zero: false);
            var span = new Span<byte>(page, PageArena.PageSize);
            int start = p * PageArena.PageSize;
            int n = Math.Clamp(baseLimit - start, 0, PageArena.PageSize);
            if (n > 0)
            {
                baseBytes.AsSpan(start, n).CopyTo(span);
            }

            span[n..].Clear();
            pages[p] = h = (nint)page;
        }

        return (byte*)h;
    }

    /// <summary>Every byte at or past <paramref name="size"/> becomes zero (a shrink; and a growth truncates at the old size).</summary>
    public void Truncate(int size)
    {
        baseLimit = Math.Min(baseLimit, size);
        if (pages == null)
        {
            return;
        }

        int first = (size + PageArena.PageSize - 1) / PageArena.PageSize;
        for (int p = first; p < MaxPages; p++)
        {
            if (pages[p] != 0)
            {
                arena.Free((byte*)pages[p]);
                pages[p] = 0;
            }
        }

        if (size % PageArena.PageSize != 0 && pages[size / PageArena.PageSize] != 0)
        {
            int inPage = size % PageArena.PageSize;
            new Span<byte>((byte*)pages[size / PageArena.PageSize] + inPage, PageArena.PageSize - inPage).Clear();
        }
    }

    /// <summary>Copies bytes [from, from + destination.Length) of the current contents.</summary>
    public void CopyOut(int from, Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            int p = from / PageArena.PageSize;
            int inPage = from % PageArena.PageSize;
            int n = Math.Min(destination.Length, PageArena.PageSize - inPage);
            Span<byte> d = destination[..n];
            if (pages != null && pages[p] != 0)
            {
                new ReadOnlySpan<byte>((byte*)pages[p] + inPage, n).CopyTo(d);
            }
            else
            {
                int fromBase = Math.Clamp(baseLimit - from, 0, n);
                if (fromBase > 0)
                {
                    baseBytes.AsSpan(from, fromBase).CopyTo(d);
                }

                d[fromBase..].Clear();
            }

            destination = destination[n..];
            from += n;
        }
    }

    public byte[] ToArray(int size)
    {
        var b = new byte[size];
        CopyOut(0, b);
        return b;
    }

    /// <summary>Whether the first <paramref name="size"/> bytes are exactly <paramref name="committed"/> (D-SEQ).</summary>
    public bool SameAs(byte[] committed, int size)
    {
        if (committed.Length != size)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[PageArena.PageSize];
        for (int start = 0; start < size; start += PageArena.PageSize)
        {
            int p = start / PageArena.PageSize;
            int n = Math.Min(PageArena.PageSize, size - start);
            bool untouched = (pages == null || pages[p] == 0) && ReferenceEquals(baseBytes, committed) && baseLimit >= start + n;
            if (!untouched)
            {
                CopyOut(start, buffer[..n]);
                if (!buffer[..n].SequenceEqual(committed.AsSpan(start, n)))
                {
                    return false;
                }
            }
        }

        return true;
    }
}

/// <summary>One account of the transaction as execution sees it.</summary>
internal sealed class AccountSlot
{
    public PublicKey Key;
    /// <summary>False when the account does not exist (its metadata reads as zeros, it has no data).</summary>
    public bool Exists;
    public Meta Meta;
    public AccountData Data = null!;
    /// <summary>The data the transaction starts from (the committed bytes, or the fee payer's).</summary>
    public byte[] InitialData = [];
    /// <summary>Marked by set_account_data_writable (D-ACCOUNT-WRITE).</summary>
    public bool DataWritable;
    /// <summary>The committed account (null when it did not exist).</summary>
    public EngineAccount? Committed;
    /// <summary>Bumped whenever a syscall changes the account, so that a cached program image is rebuilt.</summary>
    public int Generation;

    public int DataSize => Exists ? (int)Meta.DataSize : 0;
}

/// <summary>A stack (grows down from offset 0xFFFFFF) or heap (grows up from 0): pages with the call depth that allocated them.</summary>
internal sealed unsafe class Anonymous
{
    public const int Limit = 0x100_0000;
    private const int Pages = Limit / PageArena.PageSize;

    public readonly bool GrowsDown;
    public int Size;
    private nint[]? pages;
    private byte[]? owner;

    public Anonymous(bool growsDown) => GrowsDown = growsDown;

    public int Low => GrowsDown ? Limit - Size : 0;

    public int High => GrowsDown ? Limit : Size;

    public bool Contains(int offset, int size) => offset >= Low && offset + size <= High;

    /// <summary>The depth that allocated the page holding a mapped offset.</summary>
    public int OwnerOf(int offset) => owner![offset / PageArena.PageSize];

    private PageArena? arena;

    /// <summary>The host page holding a mapped offset, allocated (zero-filled) when first touched, so that host
    /// memory follows the pages a program uses rather than the size it maps.</summary>
    public byte* Page(int offset)
    {
        int p = offset / PageArena.PageSize;
        nint h = pages![p];
        if (h == 0)
        {
            pages[p] = h = (nint)arena!.Allocate();
        }

        return (byte*)h;
    }

    public enum ResizeError
    {
        None,
        NotPageMultiple,
        TooLarge,
        PoolExhausted,
        OwnedByShallowerFrame,
    }

    /// <summary>Resize to <paramref name="newSize"/> at call depth <paramref name="depth"/>: new pages are zero and
    /// tagged with the depth; freed pages must have been allocated at that depth or deeper.</summary>
    public ResizeError Resize(int depth, long newSize, ref PagePool pool, PageArena arena)
    {
        if (newSize < 0 || newSize % PageArena.PageSize != 0)
        {
            return ResizeError.NotPageMultiple;
        }

        if (newSize > Limit)
        {
            return ResizeError.TooLarge;
        }

        int oldCount = Size / PageArena.PageSize, newCount = (int)newSize / PageArena.PageSize;
        // The mapped pages are [first, first + count): anchored at the top (stack) or at 0 (heap).
        int First(int count) => GrowsDown ? Pages - count : 0;
        pages ??= new nint[Pages];
        owner ??= new byte[Pages];
        this.arena = arena;

        if (newCount < oldCount)
        {
            int from = GrowsDown ? First(oldCount) : newCount, until = GrowsDown ? First(newCount) : oldCount;
            for (int p = from; p < until; p++)
            {
                if (owner[p] < depth)
                {
                    return ResizeError.OwnedByShallowerFrame;
                }
            }

            for (int p = from; p < until; p++)
            {
                if (pages[p] != 0)
                {
                    arena.Free((byte*)pages[p]);
                    pages[p] = 0;
                }

                owner[p] = 0;
            }

            pool.Give(oldCount - newCount);
        }
        else if (newCount > oldCount)
        {
            if (!pool.Take(newCount - oldCount))
            {
                return ResizeError.PoolExhausted;
            }

            int from = GrowsDown ? First(newCount) : oldCount, until = GrowsDown ? First(oldCount) : newCount;
            for (int p = from; p < until; p++)
            {
                owner[p] = (byte)depth; // the host page comes on first touch
            }
        }

        Size = (int)newSize;
        return ResizeError.None;
    }

    /// <summary>Copies mapped bytes [from, from + destination.Length).</summary>
    public void CopyOut(int from, Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            int inPage = from % PageArena.PageSize;
            int n = Math.Min(destination.Length, PageArena.PageSize - inPage);
            nint h = pages![from / PageArena.PageSize];
            if (h == 0)
            {
                destination[..n].Clear();
            }
            else
            {
                new ReadOnlySpan<byte>((byte*)h + inPage, n).CopyTo(destination);
            }

            destination = destination[n..];
            from += n;
        }
    }
}

/// <summary>One call frame of the public shadow stack (tsdk_shadow_stack_frame_t).</summary>
internal sealed class Frame
{
    public ushort ProgramAccIdx;
    public ushort StackPages;
    public ushort HeapPages;
    /// <summary>x0..x31 when this frame invoked the next one (zeros until it does).</summary>
    public readonly ulong[] SavedRegs = new ulong[32];
}

/// <summary>A program image ready to run: its segment (the executable after the header) and its decoded code.</summary>
internal sealed class ProgramImage
{
    public required LazyBytes Segment;
    public readonly CodeCache Code = new();
    /// <summary>The account generation the image was read at (invoke reuses the image while it is unchanged).</summary>
    public int Generation;
}

/// <summary>Where an accepted address lands.</summary>
internal enum Seg : byte
{
    Null,
    Txn,
    Shadow,
    Program,
    Blocks,
    Meta,
    Data,
    Stack,
    Heap,
    Unknown,
}

/// <summary>
/// ThruVM's segmented address space for the machine (docs/spec/memory.md): translation with the checks in the order of
/// decision D-CHECK-ORDER, per-segment permissions (D-FETCH, D-ACCOUNT-WRITE, D-ANON-WRITE), copy-on-write account
/// pages from the page pool (D-COW-POOL), stack and heap pages tagged with call depths, and the byte-exact shadow stack,
/// metadata view and block context (D-META-VIEW, D-BLOCK-CTX).
/// </summary>
/// <remarks>
/// <para>The machine asks on TLB misses only (<see cref="Resolve"/>). A page goes into the TLB only when every
/// access of that kind to any aligned address in it would be accepted with the same host bytes: full pages of the
/// transaction, the program, the shadow stack's first page, account data (reads; writes once the page is
/// copy-on-write and the account writable) and mapped stack/heap pages (writes at the page's depth or deeper). Partial
/// pages, metadata and block records always take this slow path, which checks the extent. Whatever changes what a page
/// may do (any syscall: writability, sizes, depth) is followed by a TLB flush by the caller.</para>
/// <para>The program segment is the only fetchable one and is read-only, so decoded code never goes stale within a
/// program image; on invoke and return the caller switches the segment and the machine's code cache together.</para>
/// </remarks>
internal sealed unsafe class ThruSpace : AddressSpace
{
    public const int ShadowSize = 8 + 17 * 264;
    public const int MaxDepth = 16;

    public readonly PageArena Arena = new();
    public readonly LazyBytes Txn;
    /// <summary>The running program (set by the owner before the first run; switched on invoke and return).</summary>
    public ProgramImage Program = null!;
    private readonly byte[] blockRecords;
    private readonly int visibleBlocks;
    public readonly AccountSlot[] Accounts;
    public readonly int ReadWriteCount;
    public readonly Anonymous Stack = new(growsDown: true);
    public readonly Anonymous Heap = new(growsDown: false);
    public PagePool Pool;

    // The public shadow stack: frames of depths 1..CallDepth (outermost first), rendered into two host pages.
    public readonly List<Frame> Frames = new();
    public int MaxCallDepth = 1;
    private byte* shadow;
    /// <summary>8 bytes where composed reads (metadata, block records) are assembled.</summary>
    private readonly byte* scratch;

    public ThruSpace(byte[] txn, EngineEnvironment env, AccountSlot[] accounts, int readWriteCount, int poolPages)
    {
        Txn = new LazyBytes(Arena, txn, 0, txn.Length);
        blockRecords = env.BlockRecords;
        visibleBlocks = env.VisibleBlocks;
        Accounts = accounts;
        ReadWriteCount = readWriteCount;
        Pool = new PagePool(poolPages);
        // The shadow stack's two pages, then the scratch bytes.
        shadow = (byte*)NativeMemory.AllocZeroed(2 * PageArena.PageSize + 8);
        scratch = shadow + 2 * PageArena.PageSize;
        Frames.Add(new Frame { ProgramAccIdx = 1 });
        RenderShadow();
    }

    public int Depth => Frames.Count;

    public int ProgramIndex => Frames[^1].ProgramAccIdx;

    public PublicKey ProgramKey => Accounts[ProgramIndex].Key;

    /// <summary>Writable in the transaction: the fee payer (0) and the read-write accounts.</summary>
    public bool IsTxnWritable(int i) => i == 0 || (i >= 2 && i < 2 + ReadWriteCount);

    /// <summary>D-ACCOUNT-WRITE: the program may store to the account's data.</summary>
    public bool CanWriteData(int i)
    {
        AccountSlot a = Accounts[i];
        return a.Exists
            && IsTxnWritable(i)
            && !a.Meta.Has(AccountFlag.Program)
            && !a.Meta.Has(AccountFlag.Deleted)
            && !a.Meta.Has(AccountFlag.Compressed)
            && a.Meta.Owner == ProgramKey
            && a.DataWritable;
    }

    /// <summary>Writes the shadow stack's 4496 bytes from the frames (after every change).</summary>
    public void RenderShadow()
    {
        var b = new Span<byte>(shadow, ShadowSize);
        b.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)Frames.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], (ushort)(Stack.Size / PageArena.PageSize));
        BinaryPrimitives.WriteUInt16LittleEndian(b[4..], (ushort)(Heap.Size / PageArena.PageSize));
        BinaryPrimitives.WriteUInt16LittleEndian(b[6..], (ushort)MaxCallDepth);
        for (int d = 1; d <= Frames.Count; d++)
        {
            Frame f = Frames[d - 1];
            Span<byte> fb = b.Slice(8 + 264 * d, 264);
            BinaryPrimitives.WriteUInt16LittleEndian(fb, f.ProgramAccIdx);
            BinaryPrimitives.WriteUInt16LittleEndian(fb[2..], f.StackPages);
            BinaryPrimitives.WriteUInt16LittleEndian(fb[4..], f.HeapPages);
            for (int r = 0; r < 32; r++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(fb[(8 + 8 * r)..], f.SavedRegs[r]);
            }
        }
    }

    // ------------------------------------------------------------------ translation

    private Seg SegmentOf(int type, int idx) => (type, idx) switch
    {
        (0x00, 0x0000) => Seg.Null,
        (0x00, 0x0001) => Seg.Txn,
        (0x00, 0x0002) => Seg.Shadow,
        (0x00, 0x0003) => Seg.Program,
        (0x00, 0x0004) => Seg.Blocks,
        (0x02, _) when idx < Accounts.Length => Seg.Meta,
        (0x03, _) when idx < Accounts.Length => Seg.Data,
        (0x05, 0) => Seg.Stack,
        (0x07, 0) => Seg.Heap,
        _ => Seg.Unknown,
    };

    /// <summary>
    /// The checks of one access, in the order of D-CHECK-ORDER: (1) bits 63..48 zero, (2) natural alignment, (3) a
    /// segment, (4) the segment permits the kind of access, (5) the extent (and, for a write to the stack or heap, a page
    /// of the current depth or deeper). On success, the segment, its index and the offset.
    /// </summary>
    public FaultKind Locate(ulong address, int size, Access access, out Seg seg, out int index, out int offset)
    {
        seg = Seg.Unknown;
        index = (int)(address >> 24) & 0xFFFF;
        offset = (int)(address & 0xFF_FFFF);
        if (address >> 48 != 0)
        {
            return FaultKind.InvalidAddress;
        }

        if ((address & (ulong)(size - 1)) != 0)
        {
            return FaultKind.AlignmentViolation;
        }

        seg = SegmentOf((int)(address >> 40) & 0xFF, index);
        if (seg is Seg.Null or Seg.Unknown)
        {
            return FaultKind.InvalidSegment;
        }

        if (access == Access.Fetch)
        {
            if (seg != Seg.Program)
            {
                return FaultKind.PermissionDenied;
            }

            return offset + size <= Program.Segment.Length ? FaultKind.None : FaultKind.InvalidAddress;
        }

        if (access == Access.Write)
        {
            if (seg is Seg.Txn or Seg.Shadow or Seg.Program or Seg.Blocks or Seg.Meta)
            {
                return FaultKind.PermissionDenied;
            }

            if (seg == Seg.Data && !CanWriteData(index))
            {
                return FaultKind.PermissionDenied;
            }
        }

        switch (seg)
        {
            case Seg.Txn:
                return Within(offset, size, Txn.Length);
            case Seg.Shadow:
                return Within(offset, size, ShadowSize);
            case Seg.Program:
                return Within(offset, size, Program.Segment.Length);
            case Seg.Blocks:
                {
                    int k = offset / 0x1000, inRecord = offset % 0x1000;
                    return k < visibleBlocks && inRecord + size <= EngineEnvironment.BlockRecordSize ? FaultKind.None : FaultKind.InvalidAddress;
                }

            case Seg.Meta:
                return Within(offset, size, Meta.ViewSize);
            case Seg.Data:
                if (offset + size > Accounts[index].DataSize)
                {
                    return FaultKind.InvalidAddress;
                }

                return offset / PageArena.PageSize != (offset + size - 1) / PageArena.PageSize ? FaultKind.PageBoundaryCross : FaultKind.None;
            default: // Stack, Heap
                {
                    Anonymous a = seg == Seg.Stack ? Stack : Heap;
                    if (!a.Contains(offset, size))
                    {
                        return FaultKind.InvalidAddress;
                    }

                    return access == Access.Write && a.OwnerOf(offset) < Depth ? FaultKind.PermissionDenied : FaultKind.None;
                }
        }
    }

    private static FaultKind Within(int offset, int size, int extent) => offset + size <= extent ? FaultKind.None : FaultKind.InvalidAddress;

    private static bool FullPage(int offset, int extent) => (offset & ~0xFFF) + PageArena.PageSize <= extent;

    public override FaultKind Resolve(ulong address, int size, Access access, out byte* host, out PagePermissions cacheable)
    {
        host = null;
        cacheable = PagePermissions.None;
        FaultKind f = Locate(address, size, access, out Seg seg, out int index, out int offset);
        if (f != FaultKind.None)
        {
            return f;
        }

        int inPage = offset & 0xFFF;
        switch (seg)
        {
            case Seg.Txn:
                host = Txn.Page(offset >> 12) + inPage;
                cacheable = FullPage(offset, Txn.Length) ? PagePermissions.Read : PagePermissions.None;
                return FaultKind.None;
            case Seg.Program:
                host = Program.Segment.Page(offset >> 12) + inPage;
                cacheable = FullPage(offset, Program.Segment.Length) ? PagePermissions.Read : PagePermissions.None;
                return FaultKind.None;
            case Seg.Shadow:
                host = shadow + offset;
                cacheable = FullPage(offset, ShadowSize) ? PagePermissions.Read : PagePermissions.None;
                return FaultKind.None;
            case Seg.Blocks:
                {
                    int k = offset / 0x1000;
                    new ReadOnlySpan<byte>(blockRecords, k * EngineEnvironment.BlockRecordSize + inPage, size).CopyTo(new Span<byte>(scratch, size));
                    host = scratch;
                    return FaultKind.None;
                }

            case Seg.Meta:
                {
                    Span<byte> view = stackalloc byte[Meta.ViewSize];
                    AccountSlot a = Accounts[index];
                    if (a.Exists)
                    {
                        a.Meta.WriteView(view);
                    }
                    else
                    {
                        view.Clear();
                    }

                    view.Slice(offset, size).CopyTo(new Span<byte>(scratch, size));
                    host = scratch;
                    return FaultKind.None;
                }

            case Seg.Data:
                {
                    AccountSlot a = Accounts[index];
                    int p = offset >> 12;
                    bool writable = access == Access.Write || CanWriteData(index);
                    if (access == Access.Write && !a.Data.IsCow(p))
                    {
                        // D-COW-POOL: the first write to a page takes a page from the pool.
                        if (!Pool.Take(1))
                        {
                            return FaultKind.ResourceExhaustion;
                        }

                        a.Data.SetCow(p, true);
                    }

                    host = a.Data.Page(p) + inPage;
                    if (FullPage(offset, a.DataSize))
                    {
                        cacheable = writable && a.Data.IsCow(p) ? PagePermissions.Read | PagePermissions.Write : PagePermissions.Read;
                    }

                    return FaultKind.None;
                }

            default: // Stack, Heap
                {
                    Anonymous a = seg == Seg.Stack ? Stack : Heap;
                    host = a.Page(offset) + inPage;
                    cacheable = a.OwnerOf(offset) >= Depth ? PagePermissions.Read | PagePermissions.Write : PagePermissions.Read;
                    return FaultKind.None;
                }
        }
    }

    /// <summary>Fetch translation (the machine's code cache): the program segment's pages.</summary>
    public override FaultKind TranslatePage(ulong pageAddress, Access access, out byte* host, out PagePermissions permissions)
    {
        permissions = PagePermissions.None;
        host = null;
        if (access != Access.Fetch)
        {
            return Resolve(pageAddress, 1, access, out host, out permissions);
        }

        FaultKind f = Locate(pageAddress, 2, Access.Fetch, out _, out _, out int offset);
        if (f != FaultKind.None)
        {
            return f;
        }

        host = Program.Segment.Page(offset >> 12);
        permissions = PagePermissions.Read | PagePermissions.Fetch;
        return FaultKind.None;
    }

    public override int FetchLimit(ulong pageAddress) => Math.Clamp(Program.Segment.Length - (int)(pageAddress & 0xFF_F000), 0, PageSize);

    /// <summary>The fault of a fetch the code cache could not serve: the full checks (the page fault is not enough,
    /// the address decides).</summary>
    public override FaultKind Classify(ulong address, int size, Access access, FaultKind pageFault) =>
        Locate(address, size, access, out _, out _, out _);

    // ------------------------------------------------------------------ syscall buffers

    /// <summary>
    /// The <paramref name="count"/> bytes at <paramref name="address"/> for a syscall that reads a buffer: any alignment,
    /// pages may be crossed, but every byte must be readable and the buffer must lie in one extent (one account's
    /// metadata or data, one block record, …). Every extent is contiguous, so checking the first and the last byte checks
    /// them all. Null when not readable.
    /// </summary>
    public byte[]? ReadRange(ulong address, ulong count)
    {
        if (count == 0)
        {
            return [];
        }

        if (count > Anonymous.Limit || address + count - 1 < address)
        {
            return null;
        }

        ulong last = address + count - 1;
        if (Locate(address, 1, Access.Read, out Seg s1, out int i1, out int o1) != FaultKind.None
            || Locate(last, 1, Access.Read, out Seg s2, out int i2, out int o2) != FaultKind.None
            || s1 != s2)
        {
            return null;
        }

        bool sameExtent = s1 switch
        {
            Seg.Blocks => o1 / 0x1000 == o2 / 0x1000,
            Seg.Meta or Seg.Data => i1 == i2,
            _ => true,
        };
        if (!sameExtent)
        {
            return null;
        }

        var bytes = new byte[count];
        int n = (int)count;
        switch (s1)
        {
            case Seg.Txn:
                Txn.CopyTo(o1, bytes);
                break;
            case Seg.Program:
                Program.Segment.CopyTo(o1, bytes);
                break;
            case Seg.Shadow:
                new ReadOnlySpan<byte>(shadow + o1, n).CopyTo(bytes);
                break;
            case Seg.Blocks:
                blockRecords.AsSpan(o1 / 0x1000 * EngineEnvironment.BlockRecordSize + o1 % 0x1000, n).CopyTo(bytes);
                break;
            case Seg.Meta:
                {
                    Span<byte> view = stackalloc byte[Meta.ViewSize];
                    view.Clear();
                    if (Accounts[i1].Exists)
                    {
                        Accounts[i1].Meta.WriteView(view);
                    }

                    view.Slice(o1, n).CopyTo(bytes);
                    break;
                }

            case Seg.Data:
                Accounts[i1].Data.CopyOut(o1, bytes);
                break;
            default:
                (s1 == Seg.Stack ? Stack : Heap).CopyOut(o1, bytes);
                break;
        }

        return bytes;
    }

    internal override FaultKind DebugRead(ulong address, Span<byte> destination, out ulong faultAddress)
    {
        faultAddress = 0;
        byte[]? whole = ReadRange(address, (ulong)destination.Length);
        if (whole != null)
        {
            whole.CopyTo(destination);
            return FaultKind.None;
        }

        // Across extents or partly unreadable: byte by byte, to the first byte that cannot be read.
        for (int i = 0; i < destination.Length; i++)
        {
            ulong a = address + (ulong)i;
            byte[]? one = ReadRange(a, 1);
            if (one == null)
            {
                faultAddress = a;
                FaultKind f = Locate(a, 1, Access.Read, out _, out _, out _);
                return f == FaultKind.None ? FaultKind.InvalidAddress : f;
            }

            destination[i] = one[0];
        }

        return FaultKind.None;
    }

    public override void Dispose()
    {
        Arena.Dispose();
        if (shadow != null)
        {
            NativeMemory.Free(shadow);
            shadow = null;
        }

        base.Dispose();
    }
}
