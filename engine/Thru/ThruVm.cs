using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;

namespace Thru.Engine;

/// <summary>Why a transaction's execution stopped.</summary>
internal enum Ending
{
    /// <summary>The top-level program exited with revert = 0.</summary>
    Exited,
    /// <summary>exit with revert ≠ 0, at any depth.</summary>
    Reverted,
    /// <summary>An instruction trapped (illegal, ebreak, memory).</summary>
    Faulted,
    /// <summary>An ecall with a7 above 0x0F (SIGILL).</summary>
    UnknownSyscall,
    ComputeExhausted,
    StateExhausted,
}

/// <summary>
/// A running transaction: the machine over the Thru address space, the 16 syscalls, invoke/exit frames and metering.
/// </summary>
/// <remarks>
/// <para><b>Compute units</b> (D-CU-CHARGE, D-ECALL-CU). The machine meters instructions itself, a block at a time
/// (its budget is the CU still payable); a run it cannot pay stops with the budget untouched at the first instruction it
/// cannot pay, and the whole budget counts as consumed. An ecall, ebreak or faulting instruction leaves the machine
/// refunded; its cost is charged back here (an ecall then pays its syscall's cost; a failed fetch or an illegal
/// encoding costs nothing). Every syscall pays before it checks anything: when it cannot, execution stops with SIGCU.</para>
/// <para><b>State units</b> (D-SU): 4 KiB of new persistent footprint (62-byte metadata view + data) per unit, checked
/// before the change is made. <b>Memory units</b> (D-MU): pool pages taken by stack/heap growth, the first write to an
/// account-data page, account growth and event storage; the peak is the consumption.</para>
/// <para>After every syscall the data TLB is flushed: permissions, extents, mappings and the call depth may have
/// changed. On invoke and return the program segment and the decoded code switch together.</para>
/// </remarks>
internal sealed unsafe class ThruVm : IDisposable
{
    private const long Stopped = long.MinValue;
    private const ulong BaseCost = 512;
    private const ulong MetaCost = Meta.ViewSize;
    private const int PageSize = PageArena.PageSize;
    private const long MaxDataSize = 16 * 1024 * 1024;
    private const ulong ProgramBase = 0x0000_0300_0000;
    private const ulong StackBase = 0x0500_0000_0000;
    private const ulong HeapBase = 0x0700_0000_0000;
    private const ulong LogMax = 1024;
    private const long EventSegmentSize = 0x100_0000;

    private readonly EngineEnvironment env;
    private readonly WireTransaction txn;
    public readonly ThruSpace Space;
    private readonly Machine machine;
    private readonly ulong computeBudget;
    private readonly ulong stateBudget;

    /// <summary>Program images by account index (an invoke reuses one while the account is unchanged), and every image made.</summary>
    private readonly Dictionary<int, ProgramImage> images = new();
    private readonly List<ProgramImage> allImages = new();

    /// <summary>What a nested frame gets back when its callee exits: the pc after the caller's ecall, the caller's
    /// program, the caller's call index. Not visible to programs.</summary>
    private readonly Stack<(ulong ReturnPc, ProgramImage Caller, int CallerCallIdx)> returns = new();

    private int callIdx;
    private int invocations;
    private ulong stateUsed;
    private ulong activated;
    private ulong deactivated;
    private long eventBytes;
    private int compressed = -1;

    /// <summary>The index of the account this transaction compressed, or -1.</summary>
    internal int CompressedIndex => compressed;

    /// <summary>GASC: the bytes of account state this transaction activated.</summary>
    internal ulong ActivatedBytes => activated;

    internal ulong CurrentSlot => env.CurrentSlot;

    public readonly List<EngineLog> Logs = new();
    public readonly List<EngineEvent> Events = new();

    public Ending Ending { get; private set; }
    public ulong ExitCode { get; private set; }
    public int ErrorProgramIdx { get; private set; }
    public EngineFault? Fault { get; private set; }

    public ThruVm(EngineEnvironment env, WireTransaction txn, AccountSlot[] accounts, byte[] programImage)
    {
        this.env = env;
        this.txn = txn;
        computeBudget = txn.ComputeUnits;
        stateBudget = txn.StateUnits;
        Space = new ThruSpace(txn.Bytes, env, accounts, txn.ReadWriteCount, txn.MemoryUnits);
        var root = new ProgramImage { Segment = new LazyBytes(Space.Arena, programImage, 8, programImage.Length - 8) };
        Space.Program = root;
        allImages.Add(root);
        foreach (AccountSlot a in accounts)
        {
            a.Data = new AccountData(Space.Arena, a.InitialData, a.DataSize);
        }

        machine = new Machine(Space, CostModel.ComputeUnits);
        machine.SwitchCode(root.Code);
        machine.Budget = (long)computeBudget;
        // D-ENTRY-REGS: pc at the program's start, a0 = instruction-data address, a1 = its size, every other register 0.
        machine.Pc = ProgramBase;
        machine.SetRegister(10, 0x0000_0100_0000UL + (ulong)txn.InstrDataOffset);
        machine.SetRegister(11, (ulong)txn.InstrDataSize);
    }

    public ulong ComputeUsed => computeBudget - (ulong)machine.Budget;

    /// <summary>Instructions executed, each paid for (the debug service's instruction_counter): those the machine
    /// retired, plus the ecalls, the ebreak and the faulting load or store it refunded and this loop charged back.</summary>
    public long Instructions => machine.Instructions + stoppingInstructions;

    private long stoppingInstructions;

    public ulong StateUsed => stateUsed;

    public ulong Pc => machine.Pc;

    public ulong[] Registers()
    {
        var r = new ulong[32];
        for (int i = 0; i < 32; i++)
        {
            r[i] = machine.GetRegister(i);
        }

        return r;
    }

    // ------------------------------------------------------------------ the loop

    /// <summary>Runs until the execution ends (<see cref="Ending"/>).</summary>
    public void Run()
    {
        while (Continue(machine.Run()))
        {
        }
    }

    /// <summary>
    /// Handles a stop of the machine (the syscall of an ecall, or the ending); false when execution ended. The one place
    /// both the untraced <see cref="Run"/> and the traced runs (<see cref="Debug.TransactionTrace"/>) go through.
    /// </summary>
    internal bool Continue(StopReason stop)
    {
        switch (stop)
        {
            case StopReason.Ecall:
                machine.Budget -= machine.StopCost; // the ecall itself (D-ECALL-CU); always payable here
                stoppingInstructions++;
                if (!Syscall())
                {
                    return false;
                }

                machine.FlushDataTlb();
                return true;
            case StopReason.Ebreak:
                machine.Budget -= machine.StopCost;
                stoppingInstructions++;
                Fault = new EngineFault(EngineFaultKind.Breakpoint, machine.Pc, FaultKind.None, 0, 0, Access.Read, 0, null, 0);
                End(Ending.Faulted);
                return false;
            case StopReason.Fault:
                machine.Budget -= machine.StopCost;
                stoppingInstructions += machine.StopCost > 0 ? 1 : 0; // a load or store that faulted was paid for
                Fault = DescribeFault();
                End(Ending.Faulted);
                return false;
            default: // the budget cannot pay for the next instruction
                machine.Budget = 0;
                End(Ending.ComputeExhausted);
                return false;
        }
    }

    /// <summary>The machine (traced runs step it).</summary>
    internal Machine Machine => machine;

    private EngineFault DescribeFault()
    {
        ulong pc = machine.Pc;
        if (machine.Fault != FaultKind.IllegalInstruction)
        {
            return new EngineFault(EngineFaultKind.MemoryFault, pc, machine.Fault, machine.FaultAddress, machine.FaultSize, machine.FaultAccess, 0, null, 0);
        }

        // The instruction was fetched from the program segment, so its parcels are there.
        LazyBytes segment = Space.Program.Segment;
        int offset = (int)(pc - ProgramBase);
        Span<byte> parcel = stackalloc byte[4];
        segment.CopyTo(offset, parcel[..2]);
        uint bits = BinaryPrimitives.ReadUInt16LittleEndian(parcel);
        int length = (bits & 3) == 3 ? 4 : 2;
        if (length == 4)
        {
            segment.CopyTo(offset + 2, parcel.Slice(2, 2));
            bits = BinaryPrimitives.ReadUInt32LittleEndian(parcel);
        }

        return new EngineFault(EngineFaultKind.IllegalInstruction, pc, FaultKind.IllegalInstruction, 0, 0, Access.Fetch, bits, IllegalReasons.Describe(bits, length), 0);
    }

    private void End(Ending ending, ulong code = 0)
    {
        Ending = ending;
        ExitCode = code;
        ErrorProgramIdx = Space.ProgramIndex;
    }

    // ------------------------------------------------------------------ helpers

    private ulong Arg(int i) => machine.GetRegister(10 + i);

    private int ProgramIdx => Space.ProgramIndex;

    private PublicKey ProgramKey => Space.ProgramKey;

    /// <summary>D-CU-CHARGE: pay <paramref name="cost"/>, or stop with SIGCU (the whole budget consumed).</summary>
    private bool Charge(ulong cost)
    {
        if (cost > (ulong)machine.Budget)
        {
            machine.Budget = 0;
            End(Ending.ComputeExhausted);
            return false;
        }

        machine.Budget -= (long)cost;
        return true;
    }

    /// <summary>
    /// D-SU: pay for persistent growth from <paramref name="before"/> to <paramref name="after"/> footprint bytes:
    /// ceil(growth / 4096) units, so any growth costs at least one; shrinking is free.
    /// </summary>
    private bool ChargeState(long before, long after)
    {
        ulong units = after > before ? (ulong)((after - before + 4095) / 4096) : 0;
        if (units > stateBudget - stateUsed)
        {
            End(Ending.StateExhausted);
            return false;
        }

        stateUsed += units;
        return true;
    }

    private static ulong SaturatingAdd(ulong a, ulong b) => b > ulong.MaxValue - a ? ulong.MaxValue : a + b;

    private static long Footprint(long dataSize) => Meta.ViewSize + dataSize;

    private static int PagesFor(long bytes) => (int)((bytes + PageSize - 1) / PageSize);

    private bool Index(ulong v, out int i)
    {
        i = v < (ulong)Space.Accounts.Length ? (int)v : -1;
        return i >= 0;
    }

    /// <summary>D-LIVE: for syscalls an account exists when it has metadata and is neither deleted nor compressed.</summary>
    private static bool Live(AccountSlot a) => a.Exists && !a.Meta.Has(AccountFlag.Deleted) && !a.Meta.Has(AccountFlag.Compressed);

    /// <summary>Writable in the transaction and owned by the running program (account_set_flags' check, D-SET-FLAGS).</summary>
    private bool OwnedAndTxnWritable(int i) => Space.IsTxnWritable(i) && Space.Accounts[i].Meta.Owner == ProgramKey;

    /// <summary>"Writable by the current program" (docs/spec/syscalls.md §3.3): owned, writable in the transaction, not a program account.</summary>
    private bool WritableByProgram(int i) => OwnedAndTxnWritable(i) && !Space.Accounts[i].Meta.Has(AccountFlag.Program);

    private bool InCallStack(int i)
    {
        foreach (Frame f in Space.Frames)
        {
            if (f.ProgramAccIdx == i)
            {
                return true;
            }
        }

        return false;
    }

    private byte[] Seed()
    {
        var seed = new byte[32];
        for (int k = 0; k < 4; k++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(seed.AsSpan(8 * k), Arg(1 + k));
        }

        return seed;
    }

    /// <summary>Program-derived address: SHA-256(program ‖ is_ephemeral ‖ seed).</summary>
    private static PublicKey Derived(PublicKey program, bool ephemeral, byte[] seed)
    {
        Span<byte> b = stackalloc byte[65];
        program.CopyTo(b);
        b[32] = ephemeral ? (byte)1 : (byte)0;
        seed.CopyTo(b[33..]);
        return new PublicKey(SHA256.HashData(b));
    }

    /// <summary>The 82-byte EOA authorisation message: domain ‖ chain_id (u16 LE) ‖ fee payer ‖ account.</summary>
    private byte[] EoaMessage(string domain, PublicKey account)
    {
        var m = new byte[82];
        Encoding.ASCII.GetBytes(domain).CopyTo(m, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(16), txn.ChainId);
        txn.FeePayer.CopyTo(m.AsSpan(18));
        account.CopyTo(m.AsSpan(50));
        return m;
    }

    /// <summary>A proof and its block's state root (D-PROOF-WINDOW: the proof's slot is one of the 128 most recent blocks).</summary>
    private long ProofAndRoot(byte[] bytes, out StateProof? proof, out byte[] root)
    {
        root = [];
        proof = StateProof.Parse(bytes);
        if (proof == null)
        {
            return SyscallCode.InvalidProofLen;
        }

        ulong slot = env.CurrentSlot;
        ulong ago = slot - proof.Slot;
        if (proof.Slot > slot || ago >= (ulong)env.ProofBlocks)
        {
            return SyscallCode.InvalidProofSlot;
        }

        root = env.Blocks[(int)ago].StateRoot;
        return SyscallCode.Success;
    }

    private void Fresh(int i, Meta meta)
    {
        AccountSlot a = Space.Accounts[i];
        Space.Pool.Give(a.Data.CowPagesFrom(0)); // a previous incarnation's copied pages go back to the pool
        a.Exists = true;
        a.Meta = meta;
        a.Data.Reset([], 0);
        a.DataWritable = false;
        a.Generation++;
    }

    private bool Activate(long bytes)
    {
        ulong total = activated + (ulong)bytes;
        if (total < activated)
        {
            return false;
        }

        activated = total;
        return true;
    }

    private bool Deactivate(long bytes)
    {
        ulong total = deactivated + (ulong)bytes;
        if (total < deactivated)
        {
            return false;
        }

        deactivated = total;
        return true;
    }

    /// <summary>
    /// D-TRAILER, D-IMAGE-MIN, D-RESERVED: version 1, an 8-byte zero trailer, at least 16 bytes and at most 16 MiB;
    /// the reserved header bytes are not checked.
    /// </summary>
    public static bool ValidExecutable(ReadOnlySpan<byte> image)
    {
        if (image.Length < 16 || image.Length > MaxDataSize || image[0] != 1)
        {
            return false;
        }

        return !image[^8..].ContainsAnyExcept((byte)0);
    }

    // ------------------------------------------------------------------ dispatch

    /// <summary>Runs the syscall named by a7; false when execution ended.</summary>
    private bool Syscall()
    {
        ulong number = machine.GetRegister(17);
        long code;
        switch (number)
        {
            case 0x00: code = SetAnonymousSegmentSz(); break;
            case 0x01: return IncrementAnonymousSegmentSz();
            case 0x02: code = SetAccountDataWritable(); break;
            case 0x03: code = AccountTransfer(); break;
            case 0x04: code = AccountCreate(); break;
            case 0x05: code = AccountCreateEphemeral(); break;
            case 0x06: code = AccountDelete(); break;
            case 0x07: code = AccountResize(); break;
            case 0x08: code = AccountCompress(); break;
            case 0x09: code = AccountDecompress(); break;
            case 0x0A: return Invoke();
            case 0x0B: return Exit();
            case 0x0C: code = Log(); break;
            case 0x0D: code = EmitEvent(); break;
            case 0x0E: code = AccountSetFlags(); break;
            case 0x0F: code = AccountCreateEoa(); break;
            default:
                // D-UNKNOWN-SYSCALL: like an illegal instruction.
                Fault = new EngineFault(EngineFaultKind.UnknownSyscall, machine.Pc, FaultKind.None, 0, 0, Access.Read, 0, null, number);
                End(Ending.UnknownSyscall);
                return false;
        }

        if (code == Stopped)
        {
            return false;
        }

        machine.SetRegister(10, (ulong)code);
        machine.Pc += 4;
        return true;
    }

    // ------------------------------------------------------------------ 0x00, 0x01: anonymous segments

    /// <summary>The stack (0x05/0) or heap (0x07/0) an address names (D-ANON-SIZE: the stack's one-past-the-top
    /// address 0x05_0001_000000 names the stack at offset 0x1000000).</summary>
    private Anonymous? AnonymousTarget(ulong address, out long offset)
    {
        offset = 0;
        if (address == StackBase + Anonymous.Limit)
        {
            offset = Anonymous.Limit;
            return Space.Stack;
        }

        if (address >> 48 != 0 || ((address >> 24) & 0xFFFF) != 0)
        {
            return null;
        }

        offset = (long)(address & 0xFF_FFFF);
        return ((address >> 40) & 0xFF) switch
        {
            0x05 => Space.Stack,
            0x07 => Space.Heap,
            _ => null,
        };
    }

    private long Resize(Anonymous segment, long newSize)
    {
        switch (segment.Resize(Space.Depth, newSize, ref Space.Pool, Space.Arena))
        {
            case Anonymous.ResizeError.NotPageMultiple:
            case Anonymous.ResizeError.TooLarge:
                return SyscallCode.InvalidSegmentSize;
            case Anonymous.ResizeError.OwnedByShallowerFrame:
                return SyscallCode.UnfreeablePage;
            case Anonymous.ResizeError.PoolExhausted:
                return SyscallCode.InsufficientPages;
        }

        // The running frame records the segments' sizes; the header holds the totals.
        Frame f = Space.Frames[^1];
        f.StackPages = (ushort)(Space.Stack.Size / PageSize);
        f.HeapPages = (ushort)(Space.Heap.Size / PageSize);
        Space.RenderShadow();
        return SyscallCode.Success;
    }

    /// <summary>0x00 set_anonymous_segment_sz(addr). Cost 512 + bytes grown.</summary>
    private long SetAnonymousSegmentSz()
    {
        Anonymous? segment = AnonymousTarget(Arg(0), out long offset);
        if (segment == null)
        {
            return Charge(BaseCost) ? SyscallCode.InvalidSegmentId : Stopped;
        }

        long newSize = segment.GrowsDown ? Anonymous.Limit - offset : offset;
        long grown = Math.Max(0, newSize - segment.Size);
        if (!Charge(BaseCost + (ulong)grown))
        {
            return Stopped;
        }

        if (newSize % PageSize != 0)
        {
            return SyscallCode.InvalidSegmentSize;
        }

        return Resize(segment, newSize);
    }

    /// <summary>0x01 increment_anonymous_segment_sz(addr, delta): a1 returns the boundary (also on failure). Cost 512 + max(0, delta).</summary>
    private bool IncrementAnonymousSegmentSz()
    {
        long delta = (long)Arg(1);

        // D-CU-CHARGE: the cost is a function of the arguments alone, paid before the segment is looked at.
        if (!Charge(BaseCost + (ulong)Math.Max(0, delta)))
        {
            return false;
        }

        Anonymous? segment = AnonymousTarget(Arg(0), out _);
        if (segment == null)
        {
            machine.SetRegister(10, unchecked((ulong)SyscallCode.InvalidSegmentId)); // D-ANON-SIZE: a1 unchanged
            machine.Pc += 4;
            return true;
        }

        long newSize = unchecked(segment.Size + delta);
        long code = newSize >= 0 && newSize <= Anonymous.Limit && newSize % PageSize == 0
            ? Resize(segment, newSize)
            : SyscallCode.InvalidSegmentSize;
        ulong boundary = segment.GrowsDown ? StackBase + (ulong)(Anonymous.Limit - segment.Size) : HeapBase + (ulong)segment.Size;
        machine.SetRegister(10, (ulong)code);
        machine.SetRegister(11, boundary);
        machine.Pc += 4;
        return true;
    }

    // ------------------------------------------------------------------ 0x02, 0x03

    /// <summary>0x02 set_account_data_writable(idx). Cost 512.</summary>
    private long SetAccountDataWritable()
    {
        if (!Charge(BaseCost)) return Stopped;
        if (!Index(Arg(0), out int i)) return SyscallCode.InvalidAccountIndex;
        AccountSlot a = Space.Accounts[i];
        if (!Live(a)) return SyscallCode.AccountDoesNotExist;
        if (!WritableByProgram(i)) return SyscallCode.AccountNotWritable;
        a.DataWritable = true;
        return SyscallCode.Success;
    }

    /// <summary>0x03 account_transfer(from, to, amount). Cost 512.</summary>
    private long AccountTransfer()
    {
        if (!Charge(BaseCost)) return Stopped;
        if (!Index(Arg(0), out int f) || !Index(Arg(1), out int t)) return SyscallCode.InvalidAccountIndex;
        ulong amount = Arg(2);
        AccountSlot from = Space.Accounts[f], to = Space.Accounts[t];
        if (!Live(from) || !Live(to)) return SyscallCode.AccountDoesNotExist;
        if (!WritableByProgram(f) || !Space.IsTxnWritable(t)) return SyscallCode.AccountNotWritable;
        if (from.Meta.Has(AccountFlag.Ephemeral) || to.Meta.Has(AccountFlag.Ephemeral)) return SyscallCode.InvalidAccount;
        if (amount > from.Meta.Balance) return SyscallCode.InsufficientBalance;
        if (f != t && to.Meta.Balance > ulong.MaxValue - amount) return SyscallCode.BalanceOverflow;
        from.Meta.Balance -= amount;
        to.Meta.Balance += amount;
        from.Generation++;
        to.Generation++;
        return SyscallCode.Success;
    }

    // ------------------------------------------------------------------ 0x04, 0x05, 0x0F: creation

    /// <summary>0x04 account_create(idx, seed a1..a4, proof, proof_sz). Cost 512 + 32 + proof_sz + 62.</summary>
    private long AccountCreate()
    {
        ulong proofSize = Arg(6);
        if (!Charge(SaturatingAdd(BaseCost + 32 + MetaCost, proofSize))) return Stopped;
        if (!Index(Arg(0), out int i)) return SyscallCode.InvalidAccountIndex;
        AccountSlot a = Space.Accounts[i];
        if (!Space.IsTxnWritable(i)) return SyscallCode.AccountNotWritable;
        if (Live(a)) return SyscallCode.AccountAlreadyExists;
        AccountSlot creator = Space.Accounts[ProgramIdx];
        if (Live(creator) && creator.Meta.Has(AccountFlag.Ephemeral)) return SyscallCode.EphemeralAccountCannotCreatePersistent;
        if (Derived(ProgramKey, false, Seed()) != a.Key) return SyscallCode.BadAccountAddress;
        byte[]? proofBytes = Space.ReadRange(Arg(5), proofSize);
        if (proofBytes == null) return SyscallCode.InvalidAddress;
        long c = ProofAndRoot(proofBytes, out StateProof? proof, out byte[] root);
        if (c != SyscallCode.Success) return c;
        if (!proof!.Verify(a.Key, StateProof.Claim.Absent, default, root)) return SyscallCode.InvalidStateProof;
        if (!Activate(Footprint(0))) return SyscallCode.StateBytesAddedOverflow;
        if (!ChargeState(0, Footprint(0))) return Stopped;
        Fresh(i, Meta.Fresh(ProgramKey, AccountFlag.New));
        return SyscallCode.Success;
    }

    /// <summary>0x05 account_create_ephemeral(idx, seed a1..a4): no proof, no state units. Cost 512 + 32 + 62.</summary>
    private long AccountCreateEphemeral()
    {
        if (!Charge(BaseCost + 32 + MetaCost)) return Stopped;
        if (!Index(Arg(0), out int i)) return SyscallCode.InvalidAccountIndex;
        AccountSlot a = Space.Accounts[i];
        if (!Space.IsTxnWritable(i)) return SyscallCode.AccountNotWritable;
        if (Live(a)) return SyscallCode.AccountAlreadyExists;
        if (Derived(ProgramKey, true, Seed()) != a.Key) return SyscallCode.BadAccountAddress;
        if (!Activate(Footprint(0))) return SyscallCode.StateBytesAddedOverflow;
        Fresh(i, Meta.Fresh(ProgramKey, AccountFlag.Ephemeral | AccountFlag.New));
        return SyscallCode.Success;
    }

    /// <summary>0x0F account_create_eoa(idx, signature, proof, proof_sz). Cost 512 + 64 + proof_sz + 62.</summary>
    private long AccountCreateEoa()
    {
        ulong proofSize = Arg(3);
        if (!Charge(SaturatingAdd(BaseCost + 64 + MetaCost, proofSize))) return Stopped;
        if (!Index(Arg(0), out int i)) return SyscallCode.InvalidAccountIndex;
        AccountSlot a = Space.Accounts[i];
        if (!Space.IsTxnWritable(i)) return SyscallCode.AccountNotWritable;
        if (Live(a)) return SyscallCode.AccountAlreadyExists;
        byte[]? signature = Space.ReadRange(Arg(1), 64);
        if (signature == null) return SyscallCode.InvalidAddress;
        if (!env.Verify(a.Key.ToArray(), EoaMessage("tn_eoa_create_v1", a.Key), signature)) return SyscallCode.InvalidSignature;
        byte[]? proofBytes = Space.ReadRange(Arg(2), proofSize);
        if (proofBytes == null) return SyscallCode.InvalidAddress;
        long c = ProofAndRoot(proofBytes, out StateProof? proof, out byte[] root);
        if (c != SyscallCode.Success) return c;
        if (!proof!.Verify(a.Key, StateProof.Claim.Absent, default, root)) return SyscallCode.InvalidStateProof;
        if (!Activate(Footprint(0))) return SyscallCode.StateBytesAddedOverflow;
        if (!ChargeState(0, Footprint(0))) return Stopped;
        Fresh(i, Meta.Fresh(PublicKey.Zero, AccountFlag.New));
        return SyscallCode.Success;
    }

    // ------------------------------------------------------------------ 0x06, 0x07

    /// <summary>0x06 account_delete(idx, signature or 0). Cost 512.</summary>
    private long AccountDelete()
    {
        if (!Charge(BaseCost)) return Stopped;
        if (!Index(Arg(0), out int i)) return SyscallCode.InvalidAccountIndex;
        AccountSlot a = Space.Accounts[i];
        if (!Live(a)) return SyscallCode.AccountDoesNotExist;
        if (!WritableByProgram(i)) return SyscallCode.AccountNotWritable;
        if (a.Meta.Balance != 0 || a.Meta.Nonce != 0) return SyscallCode.InvalidAccount;
        if (Arg(1) != 0)
        {
            byte[]? signature = Space.ReadRange(Arg(1), 64);
            if (signature == null) return SyscallCode.InvalidAddress;
            if (!env.Verify(a.Key.ToArray(), EoaMessage("tn_eoa_delete_v1", a.Key), signature)) return SyscallCode.InvalidSignature;
        }

        if (!Deactivate(Footprint(a.Meta.DataSize))) return SyscallCode.StateBytesRemovedOverflow;
        a.Meta.Flags |= AccountFlag.Deleted;
        a.Generation++;
        return SyscallCode.Success;
    }

    /// <summary>
    /// 0x07 account_resize(idx, new_size): new bytes read as zero; makes the data writable; new pages come from the
    /// pool, copy-on-write pages past a shrink go back to it. D-RESIZE: checks in the order size limit, pages, state
    /// units (persistent accounts). Cost 512.
    /// </summary>
    private long AccountResize()
    {
        if (!Charge(BaseCost)) return Stopped;
        if (!Index(Arg(0), out int i)) return SyscallCode.InvalidAccountIndex;
        AccountSlot a = Space.Accounts[i];
        if (!Live(a)) return SyscallCode.AccountDoesNotExist;
        if (!WritableByProgram(i)) return SyscallCode.AccountNotWritable;
        ulong requested = Arg(1);
        if (requested > MaxDataSize) return SyscallCode.AccountTooBig;
        long newSize = (long)requested, oldSize = a.Meta.DataSize;
        int oldPages = PagesFor(oldSize), newPages = PagesFor(newSize);
        int added = Math.Max(0, newPages - oldPages);
        int dropped = a.Data.CowPagesFrom(newPages);
        if (!Space.Pool.CanTake(added)) return SyscallCode.InsufficientPages;
        bool persistent = !a.Meta.Has(AccountFlag.Ephemeral);
        if (!ChargeState(persistent ? Footprint(oldSize) : 0, persistent ? Footprint(newSize) : 0)) return Stopped;
        Space.Pool.Take(added);
        Space.Pool.Give(dropped);
        a.Meta.DataSize = (uint)newSize;
        a.Data.Truncate((int)Math.Min(oldSize, newSize));
        for (int p = newPages; p < AccountData.MaxPages; p++)
        {
            a.Data.SetCow(p, false);
        }

        for (int p = oldPages; p < newPages; p++)
        {
            a.Data.SetCow(p, true);
        }

        a.DataWritable = true;
        a.Generation++;
        return SyscallCode.Success;
    }

    // ------------------------------------------------------------------ 0x08, 0x09: compression

    /// <summary>
    /// 0x08 account_compress(idx, proof, proof_sz). An ephemeral account is deleted instead, a deleted one stays deleted
    /// (both return 0). D-COMPRESS. Cost 512 + proof_sz + data_sz + 62 (D-META-COST).
    /// </summary>
    private long AccountCompress()
    {
        ulong proofSize = Arg(2);
        ulong dataSize = Index(Arg(0), out int j) ? (ulong)Space.Accounts[j].DataSize : 0;
        if (!Charge(SaturatingAdd(SaturatingAdd(BaseCost + MetaCost, proofSize), dataSize))) return Stopped;
        if (!Index(Arg(0), out int i)) return SyscallCode.InvalidAccountIndex;
        AccountSlot a = Space.Accounts[i];
        if (a.Exists && a.Meta.Has(AccountFlag.Deleted))
        {
            // A deleted account is "deleted instead": it stays deleted and the call returns 0.
            return Space.IsTxnWritable(i) ? SyscallCode.Success : SyscallCode.AccountNotWritable;
        }

        if (!Live(a)) return SyscallCode.AccountDoesNotExist;
        if (!Space.IsTxnWritable(i)) return SyscallCode.AccountNotWritable;
        if (a.Meta.Has(AccountFlag.Ephemeral))
        {
            a.Meta.Flags |= AccountFlag.Deleted; // an ephemeral account is deleted instead
            a.Generation++;
            return SyscallCode.Success;
        }

        if (compressed >= 0) return SyscallCode.TxnHasCompressedAccount;
        if ((txn.Flags & WireTransaction.FlagMayCompressAccount) == 0) return SyscallCode.AccountCompressionNotAllowed;
        if (env.Chain.StateCounter <= EngineChain.CompressionBaseline) return SyscallCode.AccountCompressionNotAllowed; // D-COMPRESS
        if (a.Meta.Has(AccountFlag.Uncompressable)) return SyscallCode.AccountUncompressable;
        if (InCallStack(i)) return SyscallCode.ProgramInCallStack;
        byte[]? proofBytes = Space.ReadRange(Arg(1), proofSize);
        if (proofBytes == null) return SyscallCode.InvalidAddress;
        long c = ProofAndRoot(proofBytes, out StateProof? proof, out byte[] root);
        if (c != SyscallCode.Success) return c;
        if (!proof!.Verify(a.Key, StateProof.Claim.Replaceable, default, root)) return SyscallCode.InvalidStateProof;
        if (!Deactivate(Footprint(a.Meta.DataSize))) return SyscallCode.StateBytesRemovedOverflow;
        a.Meta.Flags |= AccountFlag.Compressed;
        a.Generation++;
        compressed = i;
        return SyscallCode.Success;
    }

    /// <summary>
    /// 0x09 account_decompress(idx, meta, data, proof, proof_sz): restore an account from the caller's 62-byte metadata
    /// view and data, proven by an EXISTING proof of their value hash; not within 384 slots of its compression
    /// (D-COMPRESS). Cost 512 + data_sz + proof_sz.
    /// </summary>
    private long AccountDecompress()
    {
        ulong proofSize = Arg(4);
        byte[]? metaBytes = Space.ReadRange(Arg(1), Meta.ViewSize);
        ulong declared = metaBytes != null ? Meta.ReadView(metaBytes).DataSize : 0;
        if (!Charge(SaturatingAdd(SaturatingAdd(BaseCost, declared), proofSize))) return Stopped;
        if (!Index(Arg(0), out int i)) return SyscallCode.InvalidAccountIndex;
        AccountSlot a = Space.Accounts[i];
        if (!Space.IsTxnWritable(i)) return SyscallCode.AccountNotWritable;
        if (Live(a)) return SyscallCode.AccountAlreadyExists;
        // D-COMPRESS: an account compressed less than 384 slots ago is still cooling down.
        if (env.Chain.CompressedAt.TryGetValue(a.Key, out ulong at) && env.CurrentSlot - at < EngineChain.CompressionTimeout)
        {
            return SyscallCode.AccountInCompressionTimeout;
        }

        if (metaBytes == null) return SyscallCode.InvalidAddress;
        Meta m = Meta.ReadView(metaBytes);
        if (m.DataSize > MaxDataSize) return SyscallCode.InvalidAccountDataSize;
        byte[]? data = Space.ReadRange(Arg(2), m.DataSize);
        if (data == null) return SyscallCode.InvalidAddress;
        byte[]? proofBytes = Space.ReadRange(Arg(3), proofSize);
        if (proofBytes == null) return SyscallCode.InvalidAddress;
        long c = ProofAndRoot(proofBytes, out StateProof? proof, out byte[] root);
        if (c != SyscallCode.Success) return c;
        if (!proof!.Verify(a.Key, StateProof.Claim.Holds, StateProof.AccountValueHash(m, data), root)) return SyscallCode.InvalidStateProof;
        // GASC is checked for overflow here but grows only once nothing else can fail (a failed syscall changes nothing).
        if (activated + (ulong)Footprint(m.DataSize) < activated) return SyscallCode.StateBytesAddedOverflow;
        int pages = PagesFor(m.DataSize);
        int released = a.Data.CowPagesFrom(0); // pages an earlier incarnation copied are released first
        if ((long)Space.Pool.InUse - released + pages > Space.Pool.Capacity) return SyscallCode.InsufficientPages;
        if (!ChargeState(0, Footprint(m.DataSize))) return Stopped;
        Activate(Footprint(m.DataSize));
        Space.Pool.Give(released);
        Space.Pool.Take(pages);
        m.Flags = (byte)(m.Flags & ~AccountFlag.Compressed);
        a.Exists = true;
        a.Meta = m;
        a.Data.Reset(data, (int)m.DataSize);
        for (int p = 0; p < pages; p++)
        {
            a.Data.SetCow(p, true);
        }

        a.DataWritable = false;
        a.Generation++;
        return SyscallCode.Success;
    }

    // ------------------------------------------------------------------ 0x0A, 0x0B: invoke and exit

    /// <summary>The image of the program at account <paramref name="i"/> as its data is now; null when not a valid executable.</summary>
    private ProgramImage? ImageOf(int i)
    {
        AccountSlot a = Space.Accounts[i];
        if (images.TryGetValue(i, out ProgramImage? cached) && cached.Generation == a.Generation)
        {
            return cached;
        }

        byte[] image = a.Data.ToArray(a.DataSize);
        if (!ValidExecutable(image))
        {
            return null;
        }

        var made = new ProgramImage { Segment = new LazyBytes(Space.Arena, image, 8, image.Length - 8), Generation = a.Generation };
        images[i] = made;
        allImages.Add(made);
        return made;
    }

    /// <summary>
    /// 0x0A invoke(instr, instr_sz, program_idx, auth): the caller's 32 registers go into its public shadow frame; the
    /// callee starts like a top-level program (D-ENTRY-REGS) with a0/a1 = instr/instr_sz; D-FRAME-PAGES: its frame's
    /// stack/heap pages start at the current sizes. D-DEPTH: at most 16 frames. Cost 512.
    /// </summary>
    private bool Invoke()
    {
        if (!Charge(BaseCost)) return false;
        long code = SyscallCode.Success;
        ProgramImage? image = null;
        if (!Index(Arg(2), out int i)) code = SyscallCode.InvalidAccountIndex;
        else if (!Live(Space.Accounts[i])) code = SyscallCode.AccountDoesNotExist;
        else if (!Space.Accounts[i].Meta.Has(AccountFlag.Program)) code = SyscallCode.AccountIsNotProgram;
        else if (Space.Depth >= ThruSpace.MaxDepth) code = SyscallCode.CallDepthTooDeep;
        else if ((image = ImageOf(i)) == null) code = SyscallCode.AccountIsNotProgram;

        if (code != SyscallCode.Success)
        {
            machine.SetRegister(10, (ulong)code);
            machine.Pc += 4;
            return true;
        }

        ulong instr = Arg(0), instrSize = Arg(1);
        Frame caller = Space.Frames[^1];
        for (int r = 0; r < 32; r++)
        {
            caller.SavedRegs[r] = machine.GetRegister(r);
        }

        Space.Frames.Add(new Frame
        {
            ProgramAccIdx = (ushort)i,
            StackPages = (ushort)(Space.Stack.Size / PageSize),
            HeapPages = (ushort)(Space.Heap.Size / PageSize),
        });
        Space.MaxCallDepth = Math.Max(Space.MaxCallDepth, Space.Depth);
        Space.RenderShadow();
        returns.Push((machine.Pc + 4, Space.Program, callIdx));
        callIdx = ++invocations;
        for (int r = 1; r < 32; r++)
        {
            machine.SetRegister(r, 0);
        }

        machine.SetRegister(10, instr);
        machine.SetRegister(11, instrSize);
        machine.Pc = ProgramBase;
        SwitchProgram(image!);
        return true;
    }

    private void SwitchProgram(ProgramImage image)
    {
        Space.Program = image;
        machine.SwitchCode(image.Code);
    }

    /// <summary>
    /// 0x0B exit(code, revert): revert ≠ 0 ends the whole transaction; the top level ends successfully; a nested frame
    /// returns to its caller with the caller's registers from its shadow frame, a0 = 0 and a1 = the code
    /// (D-INVOKE-RETURN), after the caller's ecall, on the caller's program. Cost 0.
    /// </summary>
    private bool Exit()
    {
        ulong code = Arg(0), revert = Arg(1);
        if (revert != 0)
        {
            End(Ending.Reverted, code);
            return false;
        }

        if (returns.Count == 0)
        {
            End(Ending.Exited, code);
            return false;
        }

        (ulong returnPc, ProgramImage callerProgram, int callerCallIdx) = returns.Pop();
        Space.Frames.RemoveAt(Space.Frames.Count - 1);
        Space.RenderShadow();
        Frame caller = Space.Frames[^1];
        for (int r = 1; r < 32; r++)
        {
            machine.SetRegister(r, caller.SavedRegs[r]);
        }

        machine.SetRegister(10, 0);
        machine.SetRegister(11, code);
        machine.Pc = returnPc;
        callIdx = callerCallIdx;
        SwitchProgram(callerProgram);
        return true;
    }

    // ------------------------------------------------------------------ 0x0C, 0x0D, 0x0E

    /// <summary>0x0C log(data, len): checks size, then address. Cost 0.</summary>
    private long Log()
    {
        ulong length = Arg(1);
        if (length > LogMax) return SyscallCode.LogDataTooLarge;
        byte[]? data = Space.ReadRange(Arg(0), length);
        if (data == null) return SyscallCode.InvalidAddress;
        Logs.Add(new EngineLog(ProgramIdx, data));
        return SyscallCode.Success;
    }

    /// <summary>0x0D emit_event(data, size): checks zero size, too large (D-EVENT-LIMIT), address, pages. Cost 512 + size.</summary>
    private long EmitEvent()
    {
        ulong size = Arg(1);
        if (!Charge(SaturatingAdd(BaseCost, size))) return Stopped;
        if (size == 0) return SyscallCode.EventIsZeroSize;
        if (size > (ulong)(EventSegmentSize - eventBytes)) return SyscallCode.EventTooLarge;
        byte[]? payload = Space.ReadRange(Arg(0), size);
        if (payload == null) return SyscallCode.InvalidAddress;
        long total = eventBytes + (long)size;
        if (!Space.Pool.Take(PagesFor(total) - PagesFor(eventBytes))) return SyscallCode.InsufficientPages;
        Events.Add(new EngineEvent(Events.Count, callIdx, ProgramIdx, ProgramKey, payload));
        eventBytes = total;
        return SyscallCode.Success;
    }

    /// <summary>
    /// 0x0E account_set_flags(idx, flags): only PROGRAM may change; setting it validates the data as an executable and
    /// makes the data non-writable; clearing it is refused while the program is in the call stack (D-SET-FLAGS). Cost 512.
    /// </summary>
    private long AccountSetFlags()
    {
        if (!Charge(BaseCost)) return Stopped;
        if (!Index(Arg(0), out int i)) return SyscallCode.InvalidAccountIndex;
        AccountSlot a = Space.Accounts[i];
        if (!Live(a)) return SyscallCode.AccountDoesNotExist;
        if (!OwnedAndTxnWritable(i)) return SyscallCode.AccountNotWritable;
        byte flags = (byte)Arg(1);
        if (((flags ^ a.Meta.Flags) & ~AccountFlag.Program & 0xFF) != 0) return SyscallCode.InvalidFlags;
        bool setting = (flags & AccountFlag.Program) != 0 && !a.Meta.Has(AccountFlag.Program);
        bool clearing = (flags & AccountFlag.Program) == 0 && a.Meta.Has(AccountFlag.Program);
        if (setting && !ValidExecutable(a.Data.ToArray(a.DataSize))) return SyscallCode.AccountIsNotProgram;
        if (clearing && InCallStack(i)) return SyscallCode.ProgramInCallStack;
        a.Meta.Flags = flags;
        if (setting)
        {
            a.DataWritable = false;
        }

        a.Generation++;
        return SyscallCode.Success;
    }

    public void Dispose()
    {
        machine.Dispose();
        foreach (ProgramImage image in allImages)
        {
            image.Code.Free();
        }

        Space.Dispose();
    }
}
