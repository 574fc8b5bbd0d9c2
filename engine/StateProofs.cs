using System;
using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Thru.Engine;

/// <summary>
/// State proofs (spec/transactions.md §6) and their verification in the binary state trie, decision D-STATE-TRIE:
/// a 40-byte header (u64 type_slot: type in bits 63..62, slot in bits 61..0; a 256-bit path_bitset whose bit i
/// announces a sibling hash at depth i), then the body (EXISTING: siblings; UPDATING: the leaf's value hash, siblings;
/// CREATION: the key and value hash of the leaf found at the position, siblings). Key bits are read from the most
/// significant bit of byte 0; leaf = SHA-256(0x00 ‖ key ‖ value hash); node = SHA-256(0x01 ‖ left ‖ right); a missing
/// sibling is 32 zero bytes; the leaf sits one below the deepest sibling (at the root without siblings); a CREATION
/// proof whose leaf key and hash are all zero shows an empty position. An account's value hash is
/// SHA-256(64-byte runtime record ‖ data) (D-STATE-TRIE).
/// </summary>
internal sealed class StateProof
{
    public const int HeaderSize = 40;

    public enum Kind
    {
        Existing = 0,
        Updating = 1,
        Creation = 2,
    }

    /// <summary>What a proof must show about a key.</summary>
    public enum Claim
    {
        /// <summary>The key is absent (CREATION).</summary>
        Absent,
        /// <summary>The key holds a given value hash (EXISTING).</summary>
        Holds,
        /// <summary>The key is absent or holds a value that will be replaced (CREATION or UPDATING).</summary>
        Replaceable,
    }

    public Kind Type { get; private init; }
    public ulong Slot { get; private init; }

    /// <summary>Sibling hash by depth (null where the path_bitset bit is clear).</summary>
    private readonly byte[]?[] siblings = new byte[]?[256];
    private int depth;
    private byte[] leafHash = [];
    private byte[] leafKey = [];

    /// <summary>The length a header announces: 40 + 32·(type + popcount(path_bitset)); -1 for type 3.</summary>
    public static int ExpectedLength(ReadOnlySpan<byte> header)
    {
        int kind = (int)(BinaryPrimitives.ReadUInt64LittleEndian(header) >> 62);
        if (kind == 3)
        {
            return -1;
        }

        int n = 0;
        for (int w = 0; w < 4; w++)
        {
            n += BitOperations.PopCount(BinaryPrimitives.ReadUInt64LittleEndian(header[(8 + 8 * w)..]));
        }

        return HeaderSize + 32 * (kind + n);
    }

    /// <summary>The type field of a header (bits 63..62 of its first word).</summary>
    public static int TypeOf(ReadOnlySpan<byte> header) => (int)(BinaryPrimitives.ReadUInt64LittleEndian(header) >> 62);

    /// <summary>Parses proof bytes; null when they are too short for the header, of type 3, or not of the announced length.</summary>
    public static StateProof? Parse(ReadOnlySpan<byte> b)
    {
        if (b.Length < HeaderSize)
        {
            return null;
        }

        int expected = ExpectedLength(b);
        if (expected < 0 || expected != b.Length)
        {
            return null;
        }

        ulong typeSlot = BinaryPrimitives.ReadUInt64LittleEndian(b);
        int kind = (int)(typeSlot >> 62);
        var p = new StateProof { Type = (Kind)kind, Slot = typeSlot & 0x3FFF_FFFF_FFFF_FFFFUL };
        ReadOnlySpan<byte> Chunk(ReadOnlySpan<byte> bytes, int i) => bytes.Slice(HeaderSize + 32 * i, 32);
        int k = 0;
        for (int d = 0; d < 256; d++)
        {
            ulong word = BinaryPrimitives.ReadUInt64LittleEndian(b[(8 + 8 * (d / 64))..]);
            if (((word >> (d % 64)) & 1) != 0)
            {
                p.siblings[d] = Chunk(b, kind + k).ToArray();
                p.depth = d + 1;
                k++;
            }
        }

        if (p.Type == Kind.Updating)
        {
            p.leafHash = Chunk(b, 0).ToArray();
        }
        else if (p.Type == Kind.Creation)
        {
            p.leafKey = Chunk(b, 0).ToArray();
            p.leafHash = Chunk(b, 1).ToArray();
        }

        return p;
    }

    public static byte[] LeafHash(PublicKey key, ReadOnlySpan<byte> valueHash)
    {
        Span<byte> buffer = stackalloc byte[65];
        buffer[0] = 0;
        key.CopyTo(buffer[1..]);
        valueHash.CopyTo(buffer[33..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>The value hash of an account: SHA-256(64-byte record ‖ data).</summary>
    public static byte[] AccountValueHash(in Meta meta, ReadOnlySpan<byte> data)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> record = stackalloc byte[64];
        meta.WriteRecord(record);
        h.AppendData(record);
        h.AppendData(data);
        return h.GetHashAndReset();
    }

    /// <summary>The root reached by climbing from <paramref name="start"/> (the hash at the key's position).</summary>
    private byte[] RootFrom(PublicKey key, byte[] start)
    {
        Span<byte> node = stackalloc byte[65];
        byte[] h = start;
        for (int i = depth - 1; i >= 0; i--)
        {
            ReadOnlySpan<byte> sibling = siblings[i] ?? new byte[32];
            node[0] = 1;
            if (key.Bit(i) == 0)
            {
                h.CopyTo(node[1..]);
                sibling.CopyTo(node[33..]);
            }
            else
            {
                sibling.CopyTo(node[1..]);
                h.CopyTo(node[33..]);
            }

            h = SHA256.HashData(node);
        }

        return h;
    }

    private static bool AllZero(ReadOnlySpan<byte> b) => !b.ContainsAnyExcept((byte)0);

    private bool CreationOk(PublicKey key, ReadOnlySpan<byte> root)
    {
        if (AllZero(leafKey) && AllZero(leafHash))
        {
            return RootFrom(key, new byte[32]).AsSpan().SequenceEqual(root);
        }

        var other = new PublicKey(leafKey);
        if (other == key)
        {
            return false;
        }

        for (int i = 0; i < depth; i++)
        {
            if (other.Bit(i) != key.Bit(i))
            {
                return false;
            }
        }

        return RootFrom(key, LeafHash(other, leafHash)).AsSpan().SequenceEqual(root);
    }

    /// <summary>Verifies the proof for <paramref name="key"/> against a state root (D-STATE-TRIE).</summary>
    public bool Verify(PublicKey key, Claim claim, ReadOnlySpan<byte> valueHash, ReadOnlySpan<byte> root) => (claim, Type) switch
    {
        (Claim.Absent, Kind.Creation) => CreationOk(key, root),
        (Claim.Holds, Kind.Existing) => RootFrom(key, LeafHash(key, valueHash)).AsSpan().SequenceEqual(root),
        (Claim.Replaceable, Kind.Creation) => CreationOk(key, root),
        (Claim.Replaceable, Kind.Updating) => RootFrom(key, LeafHash(key, leafHash)).AsSpan().SequenceEqual(root),
        _ => false,
    };
}
