using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;

namespace Thru.Engine;

/// <summary>
/// A version-1 transaction (docs/spec/transactions.md §1, §2, §3, §4): header 112 | rw keys, ro keys (32 each) |
/// instr_data | [state proof] | [fee payer meta 64] | signature 64, parsed and validated in the order of
/// docs/spec/transactions.md §3 with its codes.
/// </summary>
internal sealed class WireTransaction
{
    public const int HeaderSize = 112;
    public const int SignatureSize = 64;
    public const int MinimumSize = HeaderSize + SignatureSize;
    public const int MaximumSize = 32768;
    public const int MaxAccounts = 1024;
    public const byte FlagHasFeePayerProof = 0x01;
    public const byte FlagMayCompressAccount = 0x02;

    public required byte[] Bytes;
    public byte Flags;
    public int ReadWriteCount;
    public int ReadOnlyCount;
    public uint ComputeUnits;
    public ushort StateUnits;
    public ushort MemoryUnits;
    public ulong Fee;
    public ulong Nonce;
    public ulong StartSlot;
    public uint ExpiryAfter;
    public ushort ChainId;
    public PublicKey FeePayer;
    public PublicKey Program;
    public PublicKey[] ReadWrite = [];
    public PublicKey[] ReadOnly = [];
    public int InstrDataOffset;
    public int InstrDataSize;
    /// <summary>The attached fee-payer state proof (flags bit 0), or null.</summary>
    public byte[]? Proof;
    /// <summary>The 64-byte runtime metadata record that accompanies an EXISTING fee-payer proof.</summary>
    public byte[]? FeePayerRecord;

    /// <summary>Account keys by index: fee payer, program, read-write, read-only.</summary>
    public PublicKey Key(int i) => i switch
    {
        0 => FeePayer,
        1 => Program,
        _ when i - 2 < ReadWrite.Length => ReadWrite[i - 2],
        _ => ReadOnly[i - 2 - ReadWrite.Length],
    };

    public int AccountCount => 2 + ReadWrite.Length + ReadOnly.Length;

    private static readonly byte[] SignDomain = Encoding.ASCII.GetBytes("tn_txn_sign_v1__");

    /// <summary>Parses and validates <paramref name="b"/>: the transaction, or the runtime code and the reason.</summary>
    public static WireTransaction? Parse(byte[] b, SignatureVerifier verify, out int code, out string reason)
    {
        code = TxnError.Success;
        reason = "";
        int size = b.Length;
        if (size > MaximumSize)
        {
            return Reject(TxnError.InvalidFormat, $"transaction of {size} bytes exceeds the {MaximumSize}-byte limit", out code, out reason);
        }

        if (size < MinimumSize)
        {
            return Reject(TxnError.InvalidFormat, $"transaction of {size} bytes is shorter than the minimum of {MinimumSize}", out code, out reason);
        }

        if (b[0] != 1)
        {
            return Reject(TxnError.InvalidVersion, $"version byte is {b[0]}, only 1 is supported", out code, out reason);
        }

        if ((b[1] & ~0x03) != 0)
        {
            return Reject(TxnError.InvalidFlags, $"flags 0x{b[1]:x2} set undefined bits", out code, out reason);
        }

        ReadOnlySpan<byte> s = b;
        var t = new WireTransaction
        {
            Bytes = b,
            Flags = b[1],
            ReadWriteCount = BinaryPrimitives.ReadUInt16LittleEndian(s[2..]),
            ReadOnlyCount = BinaryPrimitives.ReadUInt16LittleEndian(s[4..]),
            InstrDataSize = BinaryPrimitives.ReadUInt16LittleEndian(s[6..]),
            ComputeUnits = BinaryPrimitives.ReadUInt32LittleEndian(s[8..]),
            StateUnits = BinaryPrimitives.ReadUInt16LittleEndian(s[12..]),
            MemoryUnits = BinaryPrimitives.ReadUInt16LittleEndian(s[14..]),
            Fee = BinaryPrimitives.ReadUInt64LittleEndian(s[16..]),
            Nonce = BinaryPrimitives.ReadUInt64LittleEndian(s[24..]),
            StartSlot = BinaryPrimitives.ReadUInt64LittleEndian(s[32..]),
            ExpiryAfter = BinaryPrimitives.ReadUInt32LittleEndian(s[40..]),
            ChainId = BinaryPrimitives.ReadUInt16LittleEndian(s[44..]),
            FeePayer = new PublicKey(s.Slice(48, 32)),
            Program = new PublicKey(s.Slice(80, 32)),
        };

        int body = size - SignatureSize;
        int keysEnd = HeaderSize + 32 * (t.ReadWriteCount + t.ReadOnlyCount);
        int dataEnd = keysEnd + t.InstrDataSize;
        if (t.ChainId == 0)
        {
            return Reject(TxnError.InvalidFormat, "chain_id is 0", out code, out reason);
        }

        if (dataEnd > body)
        {
            return Reject(TxnError.InvalidFormat, $"account keys and instruction data ({dataEnd} bytes) run past the signature", out code, out reason);
        }

        int metaEnd = dataEnd;
        if ((t.Flags & FlagHasFeePayerProof) != 0)
        {
            if (dataEnd + StateProof.HeaderSize > body)
            {
                return Reject(TxnError.InvalidFormat, "the fee-payer state proof header does not fit", out code, out reason);
            }

            ReadOnlySpan<byte> header = s.Slice(dataEnd, StateProof.HeaderSize);
            int n = StateProof.ExpectedLength(header);
            int kind = StateProof.TypeOf(header);
            if (n < 0)
            {
                return Reject(TxnError.InvalidFeePayerStateProofType, "fee-payer state proof of type 3", out code, out reason);
            }

            if (kind == 1)
            {
                return Reject(TxnError.InvalidFeePayerStateProofType, "fee-payer state proof of type UPDATING", out code, out reason);
            }

            if (dataEnd + n > body)
            {
                return Reject(TxnError.InvalidFormat, $"the fee-payer state proof ({n} bytes) does not fit", out code, out reason);
            }

            t.Proof = s.Slice(dataEnd, n).ToArray();
            metaEnd = dataEnd + n;
            if (kind == 0)
            {
                if (dataEnd + n + 64 > body)
                {
                    return Reject(TxnError.InvalidFormat, "the fee-payer metadata after an EXISTING proof does not fit", out code, out reason);
                }

                t.FeePayerRecord = s.Slice(dataEnd + n, 64).ToArray();
                metaEnd += 64;
            }
        }

        if (metaEnd != body)
        {
            return Reject(TxnError.InvalidFormat, $"{body - metaEnd} trailing bytes before the signature", out code, out reason);
        }

        t.ReadWrite = new PublicKey[t.ReadWriteCount];
        t.ReadOnly = new PublicKey[t.ReadOnlyCount];
        for (int i = 0; i < t.ReadWriteCount + t.ReadOnlyCount; i++)
        {
            var k = new PublicKey(s.Slice(HeaderSize + 32 * i, 32));
            if (i < t.ReadWriteCount) t.ReadWrite[i] = k; else t.ReadOnly[i - t.ReadWriteCount] = k;
        }

        t.InstrDataOffset = keysEnd;
        if (!CheckAccountLayout(t, out code, out reason))
        {
            return null;
        }

        var message = new byte[48];
        SignDomain.CopyTo(message, 0);
        SHA256.HashData(s[..body], message.AsSpan(16));
        if (!verify(t.FeePayer.ToArray(), message, s[body..].ToArray()))
        {
            return Reject(TxnError.InvalidSignature, "the fee payer's signature does not verify", out code, out reason);
        }

        return t;
    }

    private static WireTransaction? Reject(int c, string r, out int code, out string reason)
    {
        code = c;
        reason = r;
        return null;
    }

    /// <summary>
    /// Account layout (docs/spec/transactions.md §2.2, D-TXN-CHECKS): the count limit; fee payer = program; a merge
    /// walk over both lists in key order reporting, at the first offending key, a key in both lists, a repeated key or a
    /// descent; finally the fee payer or the program in either list.
    /// </summary>
    private static bool CheckAccountLayout(WireTransaction t, out int code, out string reason)
    {
        code = TxnError.Success;
        reason = "";
        int total = 2 + t.ReadWrite.Length + t.ReadOnly.Length;
        if (total > MaxAccounts)
        {
            Reject(TxnError.AccountCountLimitExceeded, $"{total} accounts exceed the limit of {MaxAccounts}", out code, out reason);
            return false;
        }

        if (t.FeePayer == t.Program)
        {
            Reject(TxnError.DuplicateAccount, "the fee payer is also the program", out code, out reason);
            return false;
        }

        PublicKey[] rw = t.ReadWrite, ro = t.ReadOnly;
        int i = 0, j = 0;
        while (i < rw.Length || j < ro.Length)
        {
            bool takeRw = i < rw.Length && (j >= ro.Length || rw[i].CompareTo(ro[j]) <= 0);
            PublicKey x = takeRw ? rw[i] : ro[j];
            int prevIndex = takeRw ? i - 1 : j - 1;
            PublicKey[] own = takeRw ? rw : ro;
            PublicKey[] other = takeRw ? ro : rw;
            int otherIndex = takeRw ? j : i;
            if (prevIndex >= 0)
            {
                int c = x.CompareTo(own[prevIndex]);
                if (c == 0)
                {
                    Reject(TxnError.DuplicateAccount, $"{(takeRw ? "read-write" : "read-only")} account {x} appears twice", out code, out reason);
                    return false;
                }

                if (c < 0)
                {
                    Reject(takeRw ? TxnError.UnsortedReadWriteAccounts : TxnError.UnsortedReadOnlyAccounts, $"{(takeRw ? "read-write" : "read-only")} accounts are not in ascending order at {x}", out code, out reason);
                    return false;
                }
            }

            if (otherIndex < other.Length && other[otherIndex] == x)
            {
                Reject(TxnError.DuplicateAccount, $"account {x} is both read-write and read-only", out code, out reason);
                return false;
            }

            if (takeRw) i++; else j++;
        }

        var listed = new HashSet<PublicKey>(rw);
        listed.UnionWith(ro);
        if (listed.Contains(t.FeePayer))
        {
            Reject(TxnError.DuplicateAccount, "the fee payer is also listed as an account", out code, out reason);
            return false;
        }

        if (listed.Contains(t.Program))
        {
            Reject(TxnError.DuplicateAccount, "the program is also listed as an account", out code, out reason);
            return false;
        }

        return true;
    }
}
