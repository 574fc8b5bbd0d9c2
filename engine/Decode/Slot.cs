using System.Runtime.InteropServices;

namespace Thru.Engine;

/// <summary>
/// One pre-decoded instruction, 16 bytes. A code page has one slot per 2-byte parcel (2048)
/// plus two <see cref="Op.PageEnd"/> sentinels, so that the slot of the instruction at page
/// offset <c>o</c> is <c>slots + o / 2</c> and the next instruction is <c>slot + Len</c>.
/// </summary>
/// <remarks>
/// Block accounting: a block runs from any slot to the next terminator (<see cref="OpInfo.EndsBlock"/>)
/// or the page end. <see cref="SuffixCost"/> and <see cref="SuffixCount"/> are the cost and the number
/// of instructions from this slot to the end of its block, inclusive; they do not depend on where
/// the block was entered, so any jump target is a block entry. With at most 2048 slots per page
/// and at most 12 units per instruction, both fit 16 bits.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct Slot
{
    public Op Op;
    /// <summary>Destination register; 32 (the scratch register) when the instruction names x0.</summary>
    public byte Rd;
    /// <summary>Source register 1. FetchFault: 1 when the second parcel of a 32-bit instruction could not be fetched (the fault is at pc + 2).</summary>
    public byte Rs1;
    public byte Rs2;
    /// <summary>The immediate, sign-extended on use (every RV64 immediate fits 32 bits).</summary>
    public int Imm;
    /// <summary>Length in parcels: 1 (16-bit) or 2 (32-bit).</summary>
    public byte Len;
    /// <summary>Metered cost of this instruction alone (raw mode: 1).</summary>
    public byte Cost;
    /// <summary>Branches and JAL: 1 when the target lies in the same page. FetchFault: the fault kind.</summary>
    public byte Aux;
    /// <summary>
    /// The compiled tier's hotness counter of the block entered at this slot (<see cref="BlockCompiler"/>): set to the
    /// machine's threshold when the slot is decoded, decremented at each interpreted entry; at 0 the interpreter leaves
    /// to the dispatcher, which runs (or compiles) the block's compiled code. Unused when the tier is off.
    /// </summary>
    public byte Heat;
    public ushort SuffixCount;
    public ushort SuffixCost;
}
