/// The state trie and state proofs (docs/spec/transactions.md §6).
///
/// The trie is a crit-bit trie over 256-bit keys, as the public Rust port of the runtime's C trie
/// builds it (docs/spec/transactions.md §6.2, §6.3, §6.4): bit i of a key is bit i mod 64 of its little-endian
/// 64-bit word i / 64; every inner node splits on the lowest bit index at which the keys below it
/// differ (0 goes left); a leaf hashes as SHA-256(0x00 ‖ key ‖ value hash), a node as
/// SHA-256(0x01 ‖ left ‖ right), and the empty trie's root is 32 zero bytes.
///
/// A proof (docs/spec/transactions.md §6.1) is a 40-byte header (u64 type_slot: type in bits 63..62, slot in bits 61..0; a
/// 256-bit path_bitset whose bit i says "the key's path passes a node splitting on bit i") and a
/// body: EXISTING carries the sibling hashes; UPDATING a value hash, then the siblings; CREATION
/// the key and value hash of the leaf where the missing key's path ends, then the siblings. The
/// siblings come in ascending bit order, which is the path's order from the root down.
///
/// What the public code leaves open is decision D-STATE-TRIE: how a verifier checks a CREATION
/// proof, what an UPDATING proof's hash is, and the value hash of an account. The runtime takes
/// the verifier as a parameter, so another reading can be plugged in.
module Thru.Model.Runtime.StateProof

open Thru.Model

/// What a proof carries besides its path, by type.
type ProofBody =
    /// EXISTING (0): the key holds a value (the claim supplies its hash).
    | Existing
    /// UPDATING (1): the key holds the value with this value hash (decision D-STATE-TRIE).
    | Updating of valueHash: byte[]
    /// CREATION (2): the key's path ends at the leaf of this other key and value hash; an all-zero
    /// key and hash with no siblings stands for the empty trie.
    | Creation of leafKey: Pubkey * valueHash: byte[]

/// A parsed proof.
type Proof =
    { Body: ProofBody
      Slot: uint64
      /// Split bit -> the hash of the subtree on the other side of the key's path, for the bits
      /// whose path_bitset bit is set. Ascending bit order is the path from the root down.
      Siblings: Map<int, byte[]> }

let headerSize = 40
let private zeros = Array.zeroCreate<byte> 32

/// Why proof bytes are not a proof.
type ParseError =
    | TooShortForHeader
    | InvalidType of int
    /// The length is not 40 + 32 · (type + popcount(path_bitset)).
    | LengthMismatch of expected: int * actual: int

/// A parse error in words.
let describeParseError (e: ParseError) =
    match e with
    | TooShortForHeader -> "shorter than the 40-byte header"
    | InvalidType k -> sprintf "type %d is not EXISTING (0), UPDATING (1) or CREATION (2)" k
    | LengthMismatch(expected, actual) -> sprintf "%d bytes, but its header announces %d" actual expected

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
            let bits = [ 0..255 ] |> List.filter (fun i -> (Bits.readLE b (8 + 8 * (i / 64)) 8 >>> (i % 64)) &&& 1UL = 1UL)
            let chunk i = b[headerSize + 32 * i .. headerSize + 32 * i + 31]
            let siblings = bits |> List.mapi (fun k bit -> bit, chunk (kind + k)) |> Map

            let body =
                match kind with
                | 0 -> Existing
                | 1 -> Updating(chunk 0)
                | _ -> Creation(Pubkey(chunk 0), chunk 1)

            Ok
                { Body = body
                  Slot = typeSlot &&& 0x3FFF_FFFF_FFFF_FFFFUL
                  Siblings = siblings }

/// The type number of a body (the top 2 bits of type_slot).
let typeOf (body: ProofBody) =
    match body with
    | Existing -> 0UL
    | Updating _ -> 1UL
    | Creation _ -> 2UL

/// The bytes of a proof.
let serialize (p: Proof) : byte[] =
    let fixedPart =
        match p.Body with
        | Existing -> []
        | Updating h -> [ h ]
        | Creation(k, h) -> [ k.Bytes; h ]

    let bitset =
        p.Siblings
        |> Map.fold (fun (words: uint64[]) bit _ -> Array.updateAt (bit / 64) (words[bit / 64] ||| (1UL <<< (bit % 64))) words) (Array.zeroCreate 4)

    Array.concat (
        [ Bits.toLE 8 ((typeOf p.Body <<< 62) ||| (p.Slot &&& 0x3FFF_FFFF_FFFF_FFFFUL)) ]
        @ (bitset |> Array.map (Bits.toLE 8) |> List.ofArray)
        @ fixedPart
        @ (p.Siblings |> Map.toList |> List.map snd)
    )

// ---------------------------------------------------------------------------------------
// Keys and hashes (docs/spec/transactions.md §6.2, §6.4).
// ---------------------------------------------------------------------------------------

let private sha256 = Crypto.sha256

/// Bit `i` of a key: bit i mod 64 of its little-endian 64-bit word i / 64, which is bit i mod 8 of
/// byte i / 8.
let keyBit (key: Pubkey) (i: int) = (key.Bytes[i / 8] >>> (i % 8)) &&& 1uy

let leafHash (key: Pubkey) (valueHash: byte[]) = sha256 (Array.concat [ [| 0uy |]; key.Bytes; valueHash ])
let nodeHash (left: byte[]) (right: byte[]) = sha256 (Array.concat [ [| 1uy |]; left; right ])

/// Decision D-STATE-TRIE: the value hash of an account (unpublished): SHA-256 of its 64-byte
/// runtime record followed by its data.
let accountValueHash (a: Account) = sha256 (Array.append (Memory.Layout.metaRecord a.Meta) a.Data)

// ---------------------------------------------------------------------------------------
// The trie.
// ---------------------------------------------------------------------------------------

/// A crit-bit trie: its shape depends only on the set of keys, not on the order of insertion.
type Trie =
    | Empty
    | Leaf of key: Pubkey * valueHash: byte[]
    /// Splits on `bit`: keys with that bit 0 are left, 1 right.
    | Node of bit: int * left: Trie * right: Trie

/// The lowest bit index at which some of the keys differ (None for fewer than two distinct keys).
let private splitBit (keys: Pubkey list) =
    [ 0..255 ] |> List.tryFind (fun i -> keys |> List.map (fun k -> keyBit k i) |> List.distinct |> List.length > 1)

/// Why a list of entries makes no trie.
type TrieError = DuplicateKey of Pubkey

/// The trie of (key, value hash) entries; the keys must be distinct.
let build (entries: (Pubkey * byte[]) list) : Result<Trie, TrieError> =
    let rec go (entries: (Pubkey * byte[]) list) =
        match entries with
        | [] -> Empty
        | [ k, v ] -> Leaf(k, v)
        | _ ->
            match splitBit (List.map fst entries) with
            | None -> Empty // unreachable: duplicates are refused below
            | Some bit ->
                let left, right = entries |> List.partition (fun (k, _) -> keyBit k bit = 0uy)
                Node(bit, go left, go right)

    match entries |> List.countBy fst |> List.tryFind (fun (_, n) -> n > 1) with
    | Some(k, _) -> Error(DuplicateKey k)
    | None -> Ok(go entries)

/// The hash of a trie; the empty trie's is 32 zero bytes.
let rec hash (t: Trie) : byte[] =
    match t with
    | Empty -> zeros
    | Leaf(k, v) -> leafHash k v
    | Node(_, l, r) -> nodeHash (hash l) (hash r)

/// The state root of (key, value hash) entries with distinct keys (a later duplicate replaces an
/// earlier one).
let root (entries: (Pubkey * byte[]) list) : byte[] =
    let distinct = entries |> List.rev |> List.distinctBy fst

    match build distinct with
    | Ok t -> hash t
    | Error _ -> zeros // unreachable: the keys are distinct

/// The proof the public code builds for `key` in `t` at `slot`: EXISTING when the key is in the
/// trie, otherwise CREATION with the leaf its path reaches (all zero for the empty trie).
let proveIn (t: Trie) (key: Pubkey) (slot: uint64) : Proof =
    let rec walk t (siblings: Map<int, byte[]>) =
        match t with
        | Empty -> Creation(Pubkey.zero, zeros), siblings
        | Leaf(k, _) when k = key -> Existing, siblings
        | Leaf(k, v) -> Creation(k, v), siblings
        | Node(bit, l, r) when keyBit key bit = 0uy -> walk l (siblings.Add(bit, hash r))
        | Node(bit, l, r) -> walk r (siblings.Add(bit, hash l))

    let body, siblings = walk t Map.empty
    { Body = body; Slot = slot; Siblings = siblings }

/// `proveIn` over entries (see `root` for duplicates).
let prove (entries: (Pubkey * byte[]) list) (key: Pubkey) (slot: uint64) : Proof =
    match build (entries |> List.rev |> List.distinctBy fst) with
    | Ok t -> proveIn t key slot
    | Error _ -> proveIn Empty key slot // unreachable: the keys are distinct

// ---------------------------------------------------------------------------------------
// Verification (decision D-STATE-TRIE).
// ---------------------------------------------------------------------------------------

/// The root reached by climbing from `start`, the hash at the end of `key`'s path: at each split
/// bit, deepest first, the key's bit says on which side of its sibling the path runs.
let rootFrom (key: Pubkey) (p: Proof) (start: byte[]) : byte[] =
    p.Siblings
    |> Map.toList
    |> List.rev
    |> List.fold (fun h (bit, sibling) -> if keyBit key bit = 0uy then nodeHash h sibling else nodeHash sibling h) start

/// What a proof must show about a key.
type Claim =
    /// The key is absent (CREATION).
    | Absent
    /// The key holds this value hash (EXISTING).
    | Holds of valueHash: byte[]
    /// The key is absent or holds some value that will be replaced (compress: CREATION or UPDATING).
    | Replaceable

let private hex (b: byte[]) = System.Convert.ToHexString(b).ToLowerInvariant()

let private sameRoot (key: Pubkey) (p: Proof) (start: byte[]) (root: byte[]) =
    let got = rootFrom key p start
    if got = root then Ok() else Error(sprintf "the proof leads to root %s, not %s" (hex got) (hex root))

/// Decision D-STATE-TRIE: a CREATION proof shows `key` absent when its leaf is the empty-trie
/// form (all-zero key and hash, no siblings) and the root is zero, or when its leaf's key differs
/// from `key`, agrees with it on every split bit of the path (so `key`'s own path reaches that
/// leaf) and the hashes climb to the root.
let private creationShowsAbsent (key: Pubkey) (p: Proof) (leafKey: Pubkey) (valueHash: byte[]) (root: byte[]) =
    if leafKey = Pubkey.zero && valueHash = zeros && p.Siblings.IsEmpty then
        if root = zeros then Ok() else Error(sprintf "an empty-trie CREATION proof needs the zero root, not %s" (hex root))
    elif leafKey = key then
        Error "the CREATION proof's leaf is the key itself, so the key is present"
    else
        match p.Siblings |> Map.toList |> List.tryFind (fun (bit, _) -> keyBit leafKey bit <> keyBit key bit) with
        | Some(bit, _) -> Error(sprintf "the CREATION proof's leaf %s is not on the key's path (they differ at split bit %d)" (string leafKey) bit)
        | None -> sameRoot key p (leafHash leafKey valueHash) root

/// Verify a proof for `key` against a state root; the error says why it fails.
let check (key: Pubkey) (claim: Claim) (root: byte[]) (p: Proof) : Result<unit, string> =
    match claim, p.Body with
    | Absent, Creation(k, h)
    | Replaceable, Creation(k, h) -> creationShowsAbsent key p k h root
    | Holds v, Existing -> sameRoot key p (leafHash key v) root
    | Replaceable, Updating h -> sameRoot key p (leafHash key h) root
    | Absent, _ -> Error "showing a key absent needs a CREATION proof"
    | Holds _, _ -> Error "showing a key's value needs an EXISTING proof"
    | Replaceable, Existing -> Error "an EXISTING proof cannot be used where a CREATION or UPDATING proof is needed"

/// Verify a proof for `key` against a state root (decision D-STATE-TRIE).
let verify (key: Pubkey) (claim: Claim) (root: byte[]) (p: Proof) : bool = (check key claim root p).IsOk

/// A pluggable verifier: key, claim, state root of the proof's slot, proof -> valid?
type ProofVerifier = Pubkey -> Claim -> byte[] -> Proof -> bool

/// The default verifier (decision D-STATE-TRIE).
let merkleVerifier: ProofVerifier = verify
