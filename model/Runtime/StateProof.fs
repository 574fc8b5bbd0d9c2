/// State proofs (spec/transactions.md §6): a Merkle path in the binary trie of account state.
///
/// Public facts: the binary format (40-byte header: u64 type_slot with the type in bits 63..62
/// and the slot in bits 61..0, a 256-bit path_bitset whose bit i announces a sibling hash at
/// depth i; then the body), the three types (EXISTING 0, UPDATING 1, CREATION 2), the hashes
/// leaf = SHA-256(0x00 ‖ pubkey ‖ value_hash), node = SHA-256(0x01 ‖ left ‖ right), a missing
/// child = 32 zero bytes, bit 0 going left.
///
/// Decision D-STATE-TRIE (what the facts leave open): key bits are read most significant bit of
/// byte 0 first; a leaf sits at the shallowest depth where its subtree holds no other key, so a
/// proof's leaf depth is 1 + its deepest sibling (0 without siblings); a CREATION proof whose
/// existing leaf key and hash are all zero shows an empty position; the value hash of an account
/// is SHA-256(64-byte runtime metadata record ‖ data) (D-STATE-TRIE). The runtime takes the
/// verifier as a parameter, so another reading can be plugged in.
module Thru.Model.Runtime.StateProof

open Thru.Model

/// What a proof carries besides its path, by type.
type ProofBody =
    /// EXISTING (0): the key holds a value (the claim supplies its hash).
    | Existing
    /// UPDATING (1): the key holds the value with this hash.
    | Updating of leafHash: byte[]
    /// CREATION (2): at the key's position lies this other leaf (or, all zero, nothing).
    | Creation of leafKey: Pubkey * leafHash: byte[]

/// A parsed proof.
type Proof =
    { Body: ProofBody
      Slot: uint64
      /// Depth -> sibling hash, for the depths whose path_bitset bit is set.
      Siblings: Map<int, byte[]> }

let headerSize = 40
let private zeros = Array.zeroCreate<byte> 32

/// Why proof bytes are not a proof.
type ParseError =
    | TooShortForHeader
    | InvalidType of int
    /// The length is not 40 + 32 · (type + popcount(path_bitset)).
    | LengthMismatch of expected: int * actual: int

/// The length announced by a proof header (None for type 3).
let expectedLength (header: byte[]) : int option =
    let typeSlot = Bits.readLE header 0 8
    let kind = int (typeSlot >>> 62)
    let n = [ 0..3 ] |> List.sumBy (fun w -> System.Numerics.BitOperations.PopCount(Bits.readLE header (8 + 8 * w) 8))
    if kind = 3 then None else Some(headerSize + 32 * (kind + n))

/// Parse proof bytes.
let parse (b: byte[]) : Result<Proof, ParseError> =
    if b.Length < headerSize then
        Error TooShortForHeader
    else
        let typeSlot = Bits.readLE b 0 8
        let kind = int (typeSlot >>> 62)

        match expectedLength b with
        | None -> Error(InvalidType kind)
        | Some n when n <> b.Length -> Error(LengthMismatch(n, b.Length))
        | Some _ ->
            let depths = [ 0..255 ] |> List.filter (fun i -> (Bits.readLE b (8 + 8 * (i / 64)) 8 >>> (i % 64)) &&& 1UL = 1UL)
            let chunk i = b[headerSize + 32 * i .. headerSize + 32 * i + 31]
            let fixedCount = kind
            let siblings = depths |> List.mapi (fun k d -> d, chunk (fixedCount + k)) |> Map

            let body =
                match kind with
                | 0 -> Existing
                | 1 -> Updating(chunk 0)
                | _ -> Creation(Pubkey(chunk 0), chunk 1)

            Ok
                { Body = body
                  Slot = typeSlot &&& 0x3FFF_FFFF_FFFF_FFFFUL
                  Siblings = siblings }

/// The bytes of a proof.
let serialize (p: Proof) : byte[] =
    let kind, fixedPart =
        match p.Body with
        | Existing -> 0UL, []
        | Updating h -> 1UL, [ h ]
        | Creation(k, h) -> 2UL, [ k.Bytes; h ]

    let bitset = Array.zeroCreate<uint64> 4

    let bitset =
        p.Siblings |> Map.fold (fun (words: uint64[]) d _ -> Array.updateAt (d / 64) (words[d / 64] ||| (1UL <<< (d % 64))) words) bitset

    Array.concat (
        [ Bits.toLE 8 ((kind <<< 62) ||| p.Slot) ]
        @ (bitset |> Array.map (Bits.toLE 8) |> List.ofArray)
        @ fixedPart
        @ (p.Siblings |> Map.toList |> List.map snd)
    )

// ---------------------------------------------------------------------------------------
// Hashing and verification.
// ---------------------------------------------------------------------------------------

let private sha256 = Crypto.sha256

/// Bit `i` (0 = most significant bit of byte 0) of a key.
let keyBit (key: Pubkey) (i: int) = (key.Bytes[i / 8] >>> (7 - i % 8)) &&& 1uy

let leafHash (key: Pubkey) (valueHash: byte[]) = sha256 (Array.concat [ [| 0uy |]; key.Bytes; valueHash ])
let nodeHash (left: byte[]) (right: byte[]) = sha256 (Array.concat [ [| 1uy |]; left; right ])

/// Decision D-STATE-TRIE: the value hash of an account.
let accountValueHash (a: Account) = sha256 (Array.append (Memory.Layout.metaRecord a.Meta) a.Data)

/// The root obtained by climbing from `start` (the hash at the leaf's position) along `key`'s path.
let rootFrom (key: Pubkey) (p: Proof) (start: byte[]) : byte[] =
    let depth = if p.Siblings.IsEmpty then 0 else (p.Siblings |> Map.toList |> List.map fst |> List.max) + 1

    [ depth - 1 .. -1 .. 0 ]
    |> List.fold
        (fun h i ->
            let sibling = p.Siblings |> Map.tryFind i |> Option.defaultValue zeros
            if keyBit key i = 0uy then nodeHash h sibling else nodeHash sibling h)
        start

/// What a proof must show about a key.
type Claim =
    /// The key is absent (CREATION).
    | Absent
    /// The key holds this value hash (EXISTING).
    | Holds of valueHash: byte[]
    /// The key is absent or holds some value that will be replaced (compress: CREATION or UPDATING).
    | Replaceable

/// Verify a proof for `key` against a state root (decision D-STATE-TRIE).
let verify (key: Pubkey) (claim: Claim) (root: byte[]) (p: Proof) : bool =
    let depth = if p.Siblings.IsEmpty then 0 else (p.Siblings |> Map.toList |> List.map fst |> List.max) + 1

    let creationOk (k: Pubkey) (h: byte[]) =
        if k.Bytes = zeros && h = zeros then rootFrom key p zeros = root
        else k <> key && List.forall (fun i -> keyBit k i = keyBit key i) [ 0 .. depth - 1 ] && rootFrom key p (leafHash k h) = root

    match claim, p.Body with
    | Absent, Creation(k, h)
    | Replaceable, Creation(k, h) -> creationOk k h
    | Holds v, Existing -> rootFrom key p (leafHash key v) = root
    | Replaceable, Updating h -> rootFrom key p (leafHash key h) = root
    | _ -> false

/// A pluggable verifier: key, claim, state root of the proof's slot, proof -> valid?
type ProofVerifier = Pubkey -> Claim -> byte[] -> Proof -> bool

/// The default verifier (decision D-STATE-TRIE).
let merkleVerifier: ProofVerifier = verify

// ---------------------------------------------------------------------------------------
// Building tries and proofs (for tests, fixtures and the CLI).
// ---------------------------------------------------------------------------------------

/// The root hash of a set of (key, value hash) leaves, from `depth` down.
let rec subtreeHash (entries: (Pubkey * byte[]) list) (depth: int) : byte[] =
    match entries with
    | [] -> zeros
    | [ k, v ] -> leafHash k v
    | _ ->
        let left, right = entries |> List.partition (fun (k, _) -> keyBit k depth = 0uy)
        nodeHash (subtreeHash left (depth + 1)) (subtreeHash right (depth + 1))

let root (entries: (Pubkey * byte[]) list) = subtreeHash entries 0

/// A proof about `key` in the trie of `entries`: EXISTING when the key is there, else CREATION.
let prove (entries: (Pubkey * byte[]) list) (key: Pubkey) (slot: uint64) : Proof =
    let rec walk (entries: (Pubkey * byte[]) list) depth siblings =
        match entries with
        | []
        | [ _ ] -> entries, siblings
        | _ ->
            let same, other = entries |> List.partition (fun (k, _) -> keyBit k depth = keyBit key depth)
            let siblings = if other.IsEmpty then siblings else siblings |> Map.add depth (subtreeHash other (depth + 1))
            walk same (depth + 1) siblings

    let found, siblings = walk entries 0 Map.empty

    let body =
        match found with
        | [ k, _ ] when k = key -> Existing
        | [ k, v ] -> Creation(k, v)
        | _ -> Creation(Pubkey zeros, zeros)

    { Body = body; Slot = slot; Siblings = siblings }
