using System;

namespace Thru.Engine;

/// <summary>What one traced step did: the instruction, its register write and its memory access.</summary>
internal struct StepRecord
{
    public ulong Pc;
    public Op Op;
    public int Length;
    public int Rd;
    public ulong Address;
    public ulong StoreValue;
}

// The machine's single step, for the traced runs of Debug/ (TransactionTrace, RawTrace). It runs the interpreter's
// Single mode, its own instantiation of the hot loop, so the untraced modes carry no test for tracing. The dispatch is
// Run's, less the compiled tier.
public sealed unsafe partial class Machine
{
    /// <summary>
    /// Runs one instruction: null when it retired (<paramref name="record"/> says what it was), else why the run stopped
    /// before retiring one, exactly as <see cref="Run"/> would stop there (the state is the same).
    /// </summary>
    internal StopReason? Step(ref StepRecord record)
    {
        ObjectDisposedException.ThrowIf(st == null, this);
        while (true)
        {
            if (dirtyPages.Count > 0)
            {
                ProcessDirtyPages();
            }

            if (st->Budget <= 0 && costModel == CostModel.Instructions)
            {
                return StopReason.Limit;
            }

            ulong pc = st->Pc;
            CodePage? page = lastPage;
            FaultKind fetchFault = FaultKind.None;
            if (page == null || page.PageAddress != (pc & ~0xFFFUL))
            {
                page = lastPage = FindCodePage(pc & ~0xFFFUL, out fetchFault);
            }

            if (page == null || (pc & 1) != 0)
            {
                st->Fault = space.Classify(pc, 2, Access.Fetch, fetchFault);
                if (st->Fault == FaultKind.None)
                {
                    st->Fault = FaultKind.AlignmentViolation;
                }

                st->FaultAddress = pc;
                st->FaultSize = 2;
                st->FaultAccess = Access.Fetch;
                st->StopCost = 0;
                return StopReason.Fault;
            }

            int index = (int)((pc & 0xFFF) >> 1);
            Slot* s = page.SlotArray + index;
            if (s->Op == Op.Undecoded)
            {
                DecodeBlock(page, index);
            }

            record.Pc = pc;
            record.Op = s->Op;
            record.Length = s->Len * 2;
            record.Rd = s->Rd;
            record.Address = st->X[s->Rs1] + (ulong)(long)s->Imm; // meaningful for loads and stores only
            record.StoreValue = st->X[s->Rs2];
            st->Entry = s;
            st->Slots0 = page.SlotArray;
            st->PageAddress = page.PageAddress;
            long before = st->Count;
            switch (Interpreter.Run<Interpreter.Single>(this, st))
            {
                case Exit.Continue:
                    if (st->Count == before)
                    {
                        continue; // a page end or an undecoded slot: dispatch again
                    }

                    return null;
                case Exit.Ecall:
                    return StopReason.Ecall;
                case Exit.Ebreak:
                    return StopReason.Ebreak;
                case Exit.Fault:
                    return StopReason.Fault;
                default:
                    return StopReason.Limit;
            }
        }
    }

    /// <summary>Register <paramref name="r"/> including the scratch register 32 (where writes to x0 land).</summary>
    internal ulong RawRegister(int r) => st->X[r];

    /// <summary>The address space the machine runs on (debug reads).</summary>
    internal AddressSpace Space => space;
}
