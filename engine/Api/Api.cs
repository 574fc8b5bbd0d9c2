using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Thru.Engine;

/// <summary>A 32-byte public key (an account address). Ordered byte-wise, as the wire format sorts keys.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct PublicKey : IEquatable<PublicKey>, IComparable<PublicKey>
{
    // The 32 bytes as four big-endian words, so that comparing the words compares the bytes in order.
    private readonly ulong w0, w1, w2, w3;

    /// <summary>The size of a key in bytes.</summary>
    public const int Size = 32;

    /// <summary>The key of 32 bytes.</summary>
    public PublicKey(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException("a public key has 32 bytes", nameof(bytes));
        }

        w0 = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        w1 = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        w2 = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        w3 = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>The all-zero key: the owner of externally owned accounts (the EOA program).</summary>
    public static PublicKey Zero => default;

    /// <summary>Whether every byte is zero.</summary>
    public bool IsZero => (w0 | w1 | w2 | w3) == 0;

    /// <summary>Writes the 32 bytes to <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, w0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], w1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], w2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], w3);
    }

    /// <summary>The 32 bytes as a new array.</summary>
    public byte[] ToArray()
    {
        var b = new byte[Size];
        CopyTo(b);
        return b;
    }

    /// <summary>
    /// Bit <paramref name="i"/> of the key as the state trie numbers them (docs/spec/transactions.md §6.2): bit i mod 64
    /// of the key's little-endian 64-bit word i / 64, that is bit i mod 8 of byte i / 8. The words here hold the bytes
    /// big-endian, so byte i / 8 sits 8 · (7 - (i / 8) mod 8) bits up its word.
    /// </summary>
    public int Bit(int i)
    {
        ulong w = (i >> 6) switch { 0 => w0, 1 => w1, 2 => w2, _ => w3 };
        int byteInWord = (i >> 3) & 7;
        return (int)(w >> (8 * (7 - byteInWord) + (i & 7))) & 1;
    }

    /// <summary>Byte-wise equality.</summary>
    public bool Equals(PublicKey other) => w0 == other.w0 && w1 == other.w1 && w2 == other.w2 && w3 == other.w3;

    /// <summary>Byte-wise equality with another key.</summary>
    public override bool Equals(object? obj) => obj is PublicKey k && Equals(k);

    /// <summary>A hash of the 32 bytes.</summary>
    public override int GetHashCode() => HashCode.Combine(w0, w1, w2, w3);

    /// <summary>Byte-wise order, as the wire format sorts keys.</summary>
    public int CompareTo(PublicKey other)
    {
        int c = w0.CompareTo(other.w0);
        if (c == 0) c = w1.CompareTo(other.w1);
        if (c == 0) c = w2.CompareTo(other.w2);
        if (c == 0) c = w3.CompareTo(other.w3);
        return c;
    }

    /// <summary>Byte-wise equality.</summary>
    public static bool operator ==(PublicKey a, PublicKey b) => a.Equals(b);

    /// <summary>Byte-wise inequality.</summary>
    public static bool operator !=(PublicKey a, PublicKey b) => !a.Equals(b);

    /// <summary>Lower-case hex.</summary>
    public override string ToString() => Convert.ToHexString(ToArray()).ToLowerInvariant();
}

/// <summary>Account flag bits (TSDK_ACCOUNT_FLAG_*).</summary>
public static class AccountFlag
{
    /// <summary>The account holds a program.</summary>
    public const byte Program = 0x01;
    /// <summary>The account is privileged.</summary>
    public const byte Privileged = 0x02;
    /// <summary>The account may not be compressed.</summary>
    public const byte Uncompressable = 0x04;
    /// <summary>The account is ephemeral: no state proof shows it (decision D-EPHEMERAL).</summary>
    public const byte Ephemeral = 0x08;
    /// <summary>The account was deleted.</summary>
    public const byte Deleted = 0x10;
    /// <summary>The account was created in this transaction.</summary>
    public const byte New = 0x20;
    /// <summary>The account is compressed.</summary>
    public const byte Compressed = 0x40;
}

/// <summary>A committed account: its metadata and data. The engine never modifies an account it is given.</summary>
public sealed class EngineAccount
{
    /// <summary>The metadata version (1).</summary>
    public byte Version { get; init; } = 1;
    /// <summary>The flag bits (<see cref="AccountFlag"/>).</summary>
    public byte Flags { get; init; }
    /// <summary>The size of the data in bytes.</summary>
    public uint DataSize { get; init; }
    /// <summary>The sequence number, raised by every change.</summary>
    public ulong Seq { get; init; }
    /// <summary>The owner program's key (zero for an externally owned account).</summary>
    public PublicKey Owner { get; init; }
    /// <summary>The balance in tokens.</summary>
    public ulong Balance { get; init; }
    /// <summary>The nonce (of a fee payer).</summary>
    public ulong Nonce { get; init; }
    /// <summary>The data; normally <see cref="DataSize"/> bytes (bytes past DataSize are never visible; missing ones read as 0).</summary>
    public byte[] Data { get; init; } = [];
}

/// <summary>One block's context (the 128-byte record programs read in segment 0x00/0x0004).</summary>
public sealed class EngineBlock
{
    /// <summary>The block's slot.</summary>
    public ulong Slot { get; init; }
    /// <summary>The block's time.</summary>
    public ulong BlockTime { get; init; }
    /// <summary>The block's price.</summary>
    public ulong BlockPrice { get; init; }
    /// <summary>The state root (32 bytes) the block commits to.</summary>
    public byte[] StateRoot { get; init; } = new byte[32];
    /// <summary>The block's hash (32 bytes).</summary>
    public byte[] BlockHash { get; init; } = new byte[32];
    /// <summary>The key of the block's producer (32 bytes).</summary>
    public byte[] BlockProducer { get; init; } = new byte[32];
    /// <summary>The weight slot.</summary>
    public ulong WeightSlot { get; init; }
}

/// <summary>
/// What the chain knows besides the accounts and the blocks (D-CHAIN-ID, D-COMPRESS): its id, the global activated state
/// counter in bytes, and the slot at which each compressed account was compressed.
/// </summary>
public sealed class EngineChain
{
    /// <summary>TN_STATE_COUNTER_BASELINE_BYTES: compression needs the state counter above 32 GiB (docs/spec/syscalls.md §3.6).</summary>
    public const ulong CompressionBaseline = 32UL << 30;

    /// <summary>TN_RUNTIME_CTX_COMPRESSION_TIMEOUT: slots between compressing an account and decompressing it (docs/spec/syscalls.md §12.5).</summary>
    public const ulong CompressionTimeout = 384;

    /// <summary>The chain id, which every transaction must name (decision D-CHAIN-ID).</summary>
    public ushort ChainId { get; init; }
    /// <summary>The global activated state counter in bytes.</summary>
    public ulong StateCounter { get; init; }
    /// <summary>The slot at which each compressed account was compressed.</summary>
    public IReadOnlyDictionary<PublicKey, ulong> CompressedAt { get; init; } = new Dictionary<PublicKey, ulong>();
}

/// <summary>Ed25519 verification: public key (32 bytes), message, signature (64 bytes) → valid?</summary>
public delegate bool SignatureVerifier(byte[] publicKey, byte[] message, byte[] signature);

/// <summary>
/// The world a transaction runs in: the committed accounts by key, the block contexts (index = blocks ago; block 0 is
/// the current block, whose slot is the current slot) and the signature verifier. Immutable; may be shared by threads.
/// </summary>
public sealed class EngineEnvironment
{
    /// <summary>The committed accounts by key.</summary>
    public IReadOnlyDictionary<PublicKey, EngineAccount> State { get; }
    /// <summary>The block contexts, most recent first (index 0 is the current block).</summary>
    public IReadOnlyList<EngineBlock> Blocks { get; }
    /// <summary>The Ed25519 signature verifier.</summary>
    public SignatureVerifier Verify { get; }
    /// <summary>The chain: its id, state counter and compressed accounts.</summary>
    public EngineChain Chain { get; }

    /// <summary>The 128-byte records of the visible blocks (at most 512), back to back.</summary>
    internal readonly byte[] BlockRecords;

    internal int VisibleBlocks => BlockRecords.Length / BlockRecordSize;

    /// <summary>D-PROOF-WINDOW: a state proof's slot must be one of the ACCEPTS_PROOF_BLOCK_SPAN (128) most recent blocks.</summary>
    internal int ProofBlocks => Math.Min(VisibleBlocks, ProofBlockSpan);

    internal const int ProofBlockSpan = 128;

    internal const int BlockRecordSize = 128;
    internal const int BlockHistory = 512;

    /// <summary>An environment of committed accounts, recent blocks (most recent first), a verifier and the chain.</summary>
    public EngineEnvironment(IReadOnlyDictionary<PublicKey, EngineAccount> state, IReadOnlyList<EngineBlock> blocks, SignatureVerifier verify, EngineChain chain)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(verify);
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(chain.CompressedAt);
        if (blocks.Count == 0)
        {
            throw new ArgumentException("at least the current block is needed", nameof(blocks));
        }

        int visible = Math.Min(blocks.Count, BlockHistory);
        BlockRecords = new byte[visible * BlockRecordSize];
        for (int k = 0; k < visible; k++)
        {
            EngineBlock b = blocks[k] ?? throw new ArgumentException("a block is null", nameof(blocks));
            if (b.StateRoot.Length != 32 || b.BlockHash.Length != 32 || b.BlockProducer.Length != 32)
            {
                throw new ArgumentException("state roots, block hashes and producers have 32 bytes", nameof(blocks));
            }

            Span<byte> r = BlockRecords.AsSpan(k * BlockRecordSize, BlockRecordSize);
            BinaryPrimitives.WriteUInt64LittleEndian(r, b.Slot);
            BinaryPrimitives.WriteUInt64LittleEndian(r[8..], b.BlockTime);
            BinaryPrimitives.WriteUInt64LittleEndian(r[16..], b.BlockPrice);
            b.StateRoot.CopyTo(r[24..]);
            b.BlockHash.CopyTo(r[56..]);
            b.BlockProducer.CopyTo(r[88..]);
            BinaryPrimitives.WriteUInt64LittleEndian(r[120..], b.WeightSlot);
        }

        foreach (KeyValuePair<PublicKey, EngineAccount> a in state)
        {
            if (a.Value?.Data == null || a.Value.DataSize > 16 * 1024 * 1024)
            {
                throw new ArgumentException($"account {a.Key}: data is missing or larger than 16 MiB", nameof(state));
            }
        }

        State = state;
        Blocks = blocks;
        Verify = verify;
        Chain = chain;
    }

    internal ulong CurrentSlot => Blocks[0].Slot;
}

/// <summary>An event emitted by emit_event (proto TransactionEvent).</summary>
public sealed record EngineEvent(int Id, int CallIdx, int ProgramIdx, PublicKey Program, byte[] Payload);

/// <summary>Bytes written by the log syscall, and the index of the program that wrote them.</summary>
public sealed record EngineLog(int ProgramIdx, byte[] Data);

/// <summary>What stopped execution abnormally.</summary>
public enum EngineFaultKind
{
    /// <summary>The fetched bits are not an instruction ThruVM executes (SIGILL).</summary>
    IllegalInstruction,
    /// <summary>EBREAK or C.EBREAK (SIGILL).</summary>
    Breakpoint,
    /// <summary>A load, store or fetch was refused (SIGSEGV).</summary>
    MemoryFault,
    /// <summary>An ecall with a7 above 0x0F (SIGILL).</summary>
    UnknownSyscall,
}

/// <summary>The details of a fault (the debug service's fields).</summary>
public sealed record EngineFault(
    EngineFaultKind Kind,
    ulong Pc,
    FaultKind Violation,
    ulong Address,
    int Size,
    Access Access,
    uint IllegalBits,
    string? IllegalReason,
    ulong SyscallNumber)
{
    /// <summary>In words, as the observations print it: "illegal-instruction 0x00000000 (the all-zero parcel)",
    /// "breakpoint", "alignment-violation write 8 @0x…", "unknown-syscall 16".</summary>
    public string Describe() => Kind switch
    {
        EngineFaultKind.IllegalInstruction => $"illegal-instruction 0x{IllegalBits:x8} ({IllegalReason})",
        EngineFaultKind.Breakpoint => "breakpoint",
        EngineFaultKind.UnknownSyscall => $"unknown-syscall {SyscallNumber}",
        _ => $"{FaultNames.Name(Violation)} {Access.ToString().ToLowerInvariant()} {Size} @0x{Address:x}",
    };
}

/// <summary>
/// The result of a transaction: the fields of the protocol's TransactionExecutionResult, the logs, the debug fields
/// (execution code, fault code, fault, registers, pc, depths), and the accounts that changed.
/// </summary>
public sealed class EngineResult
{
    /// <summary>The runtime code (TransactionVmError): 0 on success.</summary>
    public int VmError { get; init; }
    /// <summary>Why validation or pre-execution refused the transaction; null once it executed.</summary>
    public string? Rejection { get; init; }
    /// <summary>The program's exit or revert code.</summary>
    public ulong UserErrorCode { get; init; }
    /// <summary>The VM error code (TN_VM_ERR_*).</summary>
    public long ExecutionCode { get; init; }
    /// <summary>The VM fault code (TN_VM_FAULT_*).</summary>
    public int FaultCode { get; init; }
    /// <summary>Compute units consumed.</summary>
    public ulong ConsumedComputeUnits { get; init; }
    /// <summary>Instructions executed, each paid for (VmExecutionDetails.instruction_counter).</summary>
    public long Instructions { get; init; }
    /// <summary>State units consumed.</summary>
    public ulong ConsumedStateUnits { get; init; }
    /// <summary>Memory units consumed.</summary>
    public ulong ConsumedMemoryUnits { get; init; }
    /// <summary>Pages in use at the end.</summary>
    public ulong PagesUsed { get; init; }
    /// <summary>The events the transaction emitted, in order.</summary>
    public IReadOnlyList<EngineEvent> Events { get; init; } = [];
    /// <summary>The total size of the events in bytes.</summary>
    public ulong EventsSize { get; init; }
    /// <summary>The log lines, in order, each with the index of the account that wrote it.</summary>
    public IReadOnlyList<EngineLog> Logs { get; init; } = [];
    /// <summary>The account index of the program that reverted or faulted, when one did.</summary>
    public int? ErrorProgramAccIdx { get; init; }
    /// <summary>The read-write accounts of the transaction, in account-index order.</summary>
    public IReadOnlyList<PublicKey> ReadWriteAccounts { get; init; } = [];
    /// <summary>The read-only accounts, in account-index order.</summary>
    public IReadOnlyList<PublicKey> ReadOnlyAccounts { get; init; } = [];
    /// <summary>The fault that ended execution, when one did.</summary>
    public EngineFault? Fault { get; init; }
    /// <summary>The 32 registers at the end.</summary>
    public ulong[] Registers { get; init; } = new ulong[32];
    /// <summary>The pc at the end.</summary>
    public ulong Pc { get; init; }
    /// <summary>The call depth at the end.</summary>
    public int CallDepth { get; init; }
    /// <summary>The deepest call depth reached.</summary>
    public int MaxCallDepth { get; init; }
    /// <summary>The accounts the transaction changed, in account-index order: the new account, or null when the
    /// account left the state (deleted, ephemeral).</summary>
    public IReadOnlyList<KeyValuePair<PublicKey, EngineAccount?>> Updates { get; init; } = [];
    /// <summary>The chain after the transaction (changed only by a successful execution).</summary>
    public EngineChain Chain { get; init; } = new();

    /// <summary>The most 4 KiB pages of host memory the engine held at once for the transaction's address space
    /// (pages it copied or allocated: touched account-data pages, stack, heap, decoded code is not included).</summary>
    public long PeakHostPages { get; init; }

    /// <summary>The state after the transaction: <paramref name="before"/> with <see cref="Updates"/> applied.</summary>
    public Dictionary<PublicKey, EngineAccount> PostState(IReadOnlyDictionary<PublicKey, EngineAccount> before)
    {
        var state = new Dictionary<PublicKey, EngineAccount>(before);
        foreach (KeyValuePair<PublicKey, EngineAccount?> u in Updates)
        {
            if (u.Value == null)
            {
                state.Remove(u.Key);
            }
            else
            {
                state[u.Key] = u.Value;
            }
        }

        return state;
    }
}
