using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Thru.Engine;

/// <summary>
/// The decoded pages of one body of code, by guest page address. Raw mode has one; Thru mode has one per program
/// image (every program runs at the same addresses) and switches between them on invoke and return.
/// </summary>
internal sealed class CodeCache
{
    public readonly Dictionary<ulong, CodePage> Pages = new();

    /// <summary>Releases every decoded page (idempotent).</summary>
    public void Free()
    {
        foreach (CodePage p in Pages.Values)
        {
            p.Free();
        }

        Pages.Clear();
    }
}

/// <summary>A decoded code page: 2048 slots plus two PageEnd sentinels, in unmanaged memory.</summary>
internal sealed unsafe class CodePage
{
    public const int Slots = AddressSpace.PageSize / 2;
    public readonly ulong PageAddress;
    public readonly Slot* SlotArray;
    /// <summary>A decoded 32-bit instruction at offset 0xFFE reads the next page: that page is watched too.</summary>
    public bool Straddles;
    /// <summary>The compiled tier's code, by entry slot (made on the first compilation in the page; dropped with the slots).</summary>
    public CompiledCode?[]? Compiled;
    /// <summary>Attempts to run compiled code at each entry slot (<see cref="Machine"/>'s tier policy; made on the first).</summary>
    public ushort[]? Visits;

    public CodePage(ulong pageAddress)
    {
        PageAddress = pageAddress;
        SlotArray = (Slot*)NativeMemory.AllocZeroed((nuint)((Slots + 2) * sizeof(Slot)));
        Clear();
    }

    /// <summary>Forget every decoded instruction (after a store into the bytes they came from).</summary>
    public void Clear()
    {
        new Span<byte>(SlotArray, Slots * sizeof(Slot)).Clear();
        for (int i = Slots; i < Slots + 2; i++)
        {
            SlotArray[i] = new Slot { Op = Op.PageEnd };
        }

        Straddles = false;
        Compiled = null;
        Visits = null;
    }

    public void Free() => NativeMemory.Free(SlotArray);
}

// The machine's decoded code: code pages by address (with the code TLB in front), block decoding, and the watch on
// pages holding decoded code (self-modifying code).
public sealed unsafe partial class Machine
{
    // ---------------------------------------------------------------- code cache

    private CodePage? FindCodePage(ulong pageAddress, out FaultKind fault)
    {
        fault = FaultKind.None;
        if (codePages.TryGetValue(pageAddress, out CodePage? page))
        {
            FillCodeTlb(page); // refilled here: an entry evicted by a conflict would otherwise send every jump to this page back here
            return page;
        }

        fault = space.TranslatePage(pageAddress, Access.Fetch, out _, out _);
        if (fault != FaultKind.None)
        {
            return null;
        }

        if (codePages.Count >= MaxCodePages)
        {
            DropCodeCache();
        }

        page = new CodePage(pageAddress);
        codePages.Add(pageAddress, page);
        FlushWrite(pageAddress); // the page is watched from now on
        FillCodeTlb(page);
        return page;
    }

    private void FillCodeTlb(CodePage page)
    {
        CodeTlbEntry* e = st->CodeTlb + ((page.PageAddress >> 12) & (CodeTlbEntries - 1));
        e->PageNumber = page.PageAddress >> 12;
        e->Slots = page.SlotArray;
        codeTlbPages[(page.PageAddress >> 12) & (CodeTlbEntries - 1)] = page;
    }

    private void DropCodeCache()
    {
        lastPage = null;
        code.Free();
        FlushCodeTlb();
    }

    private bool IsWatched(ulong pageAddress) =>
        codePages.ContainsKey(pageAddress)
        || (codePages.TryGetValue(pageAddress - 0x1000, out CodePage? previous) && previous.Straddles);

    private void ProcessDirtyPages()
    {
        FlushChain(); // rare: a store into decoded code, or a page's memory changed
        foreach (ulong p in dirtyPages)
        {
            if (codePages.TryGetValue(p, out CodePage? page))
            {
                page.Clear();
            }

            if (codePages.TryGetValue(p - 0x1000, out CodePage? previous) && previous.Straddles)
            {
                previous.Clear();
            }
        }

        dirtyPages.Clear();
    }

    /// <summary>
    /// Decodes the block starting at slot <paramref name="index"/>: forward until a terminator, an
    /// already decoded slot or the page end; then backward, filling the suffix sums.
    /// </summary>
    private void DecodeBlock(CodePage page, int index)
    {
        // Translate again rather than keep a host pointer: the address space may have moved the page
        // (copy-on-write) since the code page was created.
        if (space.TranslatePage(page.PageAddress, Access.Fetch, out byte* host, out _) != FaultKind.None)
        {
            host = null; // cannot happen for a page that was found; decode as fetch faults
        }

        int limit = host == null ? 0 : space.FetchLimit(page.PageAddress);
        Span<short> chain = stackalloc short[CodePage.Slots];
        int n = 0;
        int i = index;
        Slot* slots = page.SlotArray;
        ulong[]? compiledHere = tiered ? CompiledEntries(page.PageAddress) : null;
        while (i < CodePage.Slots && slots[i].Op == Op.Undecoded)
        {
            DecodeSlot(page, host, limit, i, ref slots[i]);
            // An entry this process has run compiled before (in another machine: an earlier transaction or run) goes to
            // the shared cache at its first entry instead of after hotThreshold interpreted ones.
            slots[i].Heat = compiledHere != null && (compiledHere[i >> 6] & (1UL << i)) != 0 ? (byte)0 : hotThreshold;
            chain[n++] = (short)i;
            if (OpInfo.EndsBlock(slots[i].Op))
            {
                break;
            }

            i += slots[i].Len;
        }

        for (int k = n - 1; k >= 0; k--)
        {
            ref Slot s = ref slots[chain[k]];
            if (OpInfo.EndsBlock(s.Op))
            {
                s.SuffixCost = s.Cost;
                s.SuffixCount = 1;
            }
            else
            {
                ref Slot next = ref slots[chain[k] + s.Len]; // a decoded slot or a sentinel (0, 0)
                s.SuffixCost = (ushort)(s.Cost + next.SuffixCost);
                s.SuffixCount = (ushort)(1 + next.SuffixCount);
            }
        }
    }

    private void DecodeSlot(CodePage page, byte* host, int limit, int index, ref Slot s)
    {
        int offset = index * 2;
        if (host == null || offset + 2 > limit)
        {
            s = new Slot { Op = Op.FetchFault, Aux = (byte)FaultKind.InvalidAddress, Len = 1 };
        }
        else
        {
            ushort low = *(ushort*)(host + offset);
            switch (Decoder.Length(low))
            {
                case 2:
                    Decoder.Decode16(low, ref s);
                    s.Op = OpInfo.Compressed(s.Op);
                    s.Len = 1;
                    break;
                default:
                    {
                        ushort high;
                        if (offset + 2 < AddressSpace.PageSize)
                        {
                            if (offset + 4 > limit)
                            {
                                s = new Slot { Op = Op.FetchFault, Aux = (byte)FaultKind.InvalidAddress, Len = 2, Rs1 = 1 };
                                break;
                            }

                            high = *(ushort*)(host + offset + 2);
                        }
                        else
                        {
                            // The instruction straddles into the next page.
                            ulong next = page.PageAddress + 0x1000;
                            FaultKind f = space.TranslatePage(next, Access.Fetch, out byte* nextHost, out _);
                            if (f == FaultKind.None && space.FetchLimit(next) < 2)
                            {
                                f = FaultKind.InvalidAddress;
                            }

                            if (f != FaultKind.None)
                            {
                                s = new Slot { Op = Op.FetchFault, Aux = (byte)f, Len = 2, Rs1 = 1 };
                                break;
                            }

                            high = *(ushort*)nextHost;
                            page.Straddles = true;
                            FlushWrite(next);
                        }

                        Decoder.Decode32(low | ((uint)high << 16), ref s);
                        s.Len = 2;
                        break;
                    }
            }
        }

        // Branch and JAL targets in the same page are followed inside the hot loop without a lookup.
        if (s.Op is Op.Jal or Op.Beq or Op.Bne or Op.Blt or Op.Bge or Op.Bltu or Op.Bgeu)
        {
            long target = offset + (long)s.Imm;
            s.Aux = (byte)(target >= 0 && target < AddressSpace.PageSize ? 1 : 0);
        }

        s.Cost = CostOf(s);
    }

    private byte CostOf(in Slot s)
    {
        if (costModel == CostModel.Instructions)
        {
            return 1;
        }

        if (s.Op is Op.Illegal or Op.FetchFault)
        {
            return 0; // never executed
        }

        return (byte)(2 * s.Len + OpInfo.DataBytes(s.Op));
    }
}
