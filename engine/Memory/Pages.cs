using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Thru.Engine;

/// <summary>
/// The host memory of one transaction's address space: 4 KiB pages carved from 64 KiB chunks of native memory,
/// reused through a free list, all released at once by <see cref="Dispose"/>. Host memory therefore grows with the
/// pages a transaction touches, never with the 16 MiB segment limits.
/// </summary>
internal sealed unsafe class PageArena : IDisposable
{
    public const int PageSize = 4096;
    private const int ChunkPages = 16;

    private readonly List<nint> chunks = new();
    private readonly Stack<nint> free = new();
    private byte* next;
    private int leftInChunk;

    /// <summary>Pages handed out and not freed.</summary>
    public long InUse { get; private set; }

    /// <summary>The most pages handed out at once.</summary>
    public long Peak { get; private set; }

    /// <summary>A page; zero-filled when <paramref name="zero"/> (otherwise the caller fills all of it).</summary>
    public byte* Allocate(bool zero = true)
    {
        byte* page;
        if (free.Count > 0)
        {
            page = (byte*)free.Pop();
        }
        else
        {
            if (leftInChunk == 0)
            {
                next = (byte*)NativeMemory.AlignedAlloc((nuint)(ChunkPages * PageSize), PageSize);
                chunks.Add((nint)next);
                leftInChunk = ChunkPages;
            }

            page = next;
            next += PageSize;
            leftInChunk--;
        }

        if (zero)
        {
            new Span<byte>(page, PageSize).Clear();
        }

        InUse++;
        Peak = Math.Max(Peak, InUse);
        return page;
    }

    public void Free(byte* page)
    {
        free.Push((nint)page);
        InUse--;
    }

    public void Dispose()
    {
        foreach (nint c in chunks)
        {
            NativeMemory.AlignedFree((void*)c);
        }

        chunks.Clear();
        free.Clear();
        leftInChunk = 0;
    }
}

/// <summary>
/// Read-only bytes (the transaction, a program segment) presented as 4 KiB host pages, each copied from the managed
/// source the first time it is touched; the last page is padded with zeros that are never visible (the extent checks
/// stop at <see cref="Length"/>).
/// </summary>
internal sealed unsafe class LazyBytes
{
    private readonly byte[] source;
    private readonly int offset;
    private readonly nint[] pages;
    private readonly PageArena arena;

    public int Length { get; }

    public LazyBytes(PageArena arena, byte[] source, int offset, int length)
    {
        this.arena = arena;
        this.source = source;
        this.offset = offset;
        Length = length;
        pages = new nint[(length + PageArena.PageSize - 1) / PageArena.PageSize];
    }

    /// <summary>The host page <paramref name="k"/> (k &lt; number of pages).</summary>
    public byte* Page(int k)
    {
        nint p = pages[k];
        if (p == 0)
        {
            byte* page = arena.Allocate(zero: false);
            int start = k * PageArena.PageSize;
            int n = Math.Min(PageArena.PageSize, Length - start);
            var span = new Span<byte>(page, PageArena.PageSize);
            source.AsSpan(offset + start, n).CopyTo(span);
            span[n..].Clear();
            pages[k] = p = (nint)page;
        }

        return (byte*)p;
    }

    /// <summary>Copies bytes [from, from + destination.Length) (inside the extent).</summary>
    public void CopyTo(int from, Span<byte> destination) => source.AsSpan(offset + from, destination.Length).CopyTo(destination);
}

/// <summary>The transaction's page pool (decision D-MU: one memory unit is one 4 KiB page).</summary>
internal struct PagePool
{
    public int Capacity;
    public int InUse;
    /// <summary>The most pages in use at once (consumed memory units).</summary>
    public int Peak;

    public PagePool(int capacity) => Capacity = capacity;

    public readonly bool CanTake(long n) => n <= 0 || InUse + n <= Capacity;

    /// <summary>Takes <paramref name="n"/> pages, or returns false (and takes nothing) when the pool cannot supply them.</summary>
    public bool Take(long n)
    {
        if (n <= 0)
        {
            return true;
        }

        if (InUse + n > Capacity)
        {
            return false;
        }

        InUse += (int)n;
        Peak = Math.Max(Peak, InUse);
        return true;
    }

    public void Give(long n) => InUse = (int)Math.Max(0, InUse - n);
}
