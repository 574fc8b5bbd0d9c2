using System;
using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Thru.Engine;

/// <summary>
/// State proofs and their verification in the crit-bit state trie (docs/spec/transactions.md §6; decision D-STATE-TRIE).
/// Header: u64 type_slot (type in bits 63..62, slot in 61..0) and a 256-bit path_bitset whose bit i says the key's path
/// passes a node splitting on key bit i; body: EXISTING the sibling hashes; UPDATING a value hash, then the siblings;
/// CREATION the key and value hash of the leaf where the missing key's path ends, then the siblings. Siblings come in
/// ascending bit order (root first). Key bit i is <see cref="PublicKey.Bit"/>; leaf = SHA-256(0x00 ‖ key ‖ value hash),
/// node = SHA-256(0x01 ‖ left ‖ right), key bit 0 goes left; the empty trie's root is 32 zero bytes. Decision
/// D-STATE-TRIE: a CREATION proof needs a leaf other than the key that agrees with it on every split bit (or the
/// empty-trie form: zero key and hash, no siblings, zero root); an account's value hash is SHA-256(64-byte record ‖ data).
/// </summary>
public sealed class StateProof
{
    /// <summary>The size of a proof's header in bytes.</summary>
    public const int HeaderSize = 40;

    /// <summary>The type of a proof.</summary>
    public enum Kind
    {
        /// <summary>The key exists; the proof shows its value hash.</summary>
        Existing = 0,
        /// <summary>The key exists and its value will be replaced.</summary>
        Updating = 1,
        /// <summary>The key is absent.</summary>
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

    /// <summary>The proof's type.</summary>
    public Kind Type { get; private init; }
    /// <summary>The slot the proof is for.</summary>
    public ulong Slot { get; private init; }

    /// <summary>The split bits of the path, ascending (root first), and the sibling hash at each.</summary>
    private readonly System.Collections.Generic.List<(int Bit, byte[] Hash)> path = [];
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
        for (int bit = 0; bit < 256; bit++)
        {
            ulong word = BinaryPrimitives.ReadUInt64LittleEndian(b[(8 + 8 * (bit / 64))..]);
            if (((word >> (bit % 64)) & 1) != 0)
            {
                p.path.Add((bit, Chunk(b, kind + p.path.Count).ToArray()));
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

    /// <summary>The hash of a trie leaf: the key and its value hash.</summary>
    public static byte[] LeafHash(PublicKey key, ReadOnlySpan<byte> valueHash)
    {
        Span<byte> buffer = stackalloc byte[65];
        buffer[0] = 0;
        key.CopyTo(buffer[1..]);
        valueHash.CopyTo(buffer[33..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>The value hash of an account: SHA-256(64-byte record ‖ data).</summary>
    internal static byte[] AccountValueHash(in Meta meta, ReadOnlySpan<byte> data)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> record = stackalloc byte[64];
        meta.WriteRecord(record);
        h.AppendData(record);
        h.AppendData(data);
        return h.GetHashAndReset();
    }

    /// <summary>The root reached by climbing from <paramref name="start"/>, the hash at the end of the key's path, deepest split first.</summary>
    private byte[] RootFrom(PublicKey key, byte[] start)
    {
        Span<byte> node = stackalloc byte[65];
        byte[] h = start;
        for (int i = path.Count - 1; i >= 0; i--)
        {
            (int bit, byte[] sibling) = path[i];
            node[0] = 1;
            if (key.Bit(bit) == 0)
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
        if (AllZero(leafKey) && AllZero(leafHash) && path.Count == 0)
        {
            return AllZero(root);
        }

        var other = new PublicKey(leafKey);
        if (other == key)
        {
            return false;
        }

        foreach ((int bit, _) in path)
        {
            if (other.Bit(bit) != key.Bit(bit))
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
