/// The state trie and state proofs against the public vectors (Unto-Labs/thru
/// rpc/thru-base/src/bintrie_tests.rs, roots checked against the runtime's C trie; copied with the
/// keys in hex to Vectors/state-trie.json), against an independent insertion-order
/// implementation of the public algorithm, and model against engine.
module Thru.Tests.Runtime.StateTrieTests

open System
open System.IO
open System.Text.Json
open Expecto
open Thru.Tests.Support
open FsCheck
open FsCheck.FSharp
open Thru.Model
open Thru.Model.Runtime
open Thru.Conform.Gen.Generators
open Thru.Tests.Generators

let private hex (b: byte[]) = Convert.ToHexString(b).ToLowerInvariant()
let private unhex (s: string) = Convert.FromHexString s

let private vectors () =
    JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "state-trie.json"))).RootElement

let private entriesOf (r: JsonElement) =
    [ for e in r.GetProperty("entries").EnumerateArray() -> Pubkey(unhex (e.GetProperty("pubkey").GetString())), unhex (e.GetProperty("value_hash").GetString()) ]

/// The public algorithm as it is written there, re-implemented independently of the model: insert
/// keys one at a time; walk to a leaf with the new key's bits; split on the lowest bit where the new
/// key and that leaf differ, below the deepest node of the path whose split bit is lower.
type private MTrie =
    | MLeaf of Pubkey * byte[]
    | MNode of int * MTrie * MTrie

let private bitLE (k: Pubkey) (i: int) = int ((BitConverter.ToUInt64(k.Bytes, 8 * (i / 64)) >>> (i % 64)) &&& 1UL)

let rec private leafOf (k: Pubkey) t =
    match t with
    | MLeaf(l, _) -> l
    | MNode(b, l, r) -> leafOf k (if bitLE k b = 0 then l else r)

let private insert (k: Pubkey, v: byte[]) (t: MTrie option) =
    match t with
    | None -> MLeaf(k, v)
    | Some t ->
        let other = leafOf k t
        let split = [ 0..255 ] |> List.find (fun i -> bitLE k i <> bitLE other i)
        let place sub = if bitLE k split = 0 then MNode(split, MLeaf(k, v), sub) else MNode(split, sub, MLeaf(k, v))

        let rec down t =
            match t with
            | MNode(b, l, r) when b < split -> if bitLE k b = 0 then MNode(b, down l, r) else MNode(b, l, down r)
            | _ -> place t

        down t

let rec private mhash t =
    match t with
    | MLeaf(k, v) -> Crypto.sha256 (Array.concat [ [| 0uy |]; k.Bytes; v ])
    | MNode(_, l, r) -> Crypto.sha256 (Array.concat [ [| 1uy |]; mhash l; mhash r ])

let private insertAll entries =
    entries |> List.fold (fun t e -> Some(insert e t)) None |> Option.map mhash |> Option.defaultValue (Array.zeroCreate 32)

let private engineVerify (proof: byte[]) (key: Pubkey) (claim: StateProof.Claim) (root: byte[]) =
    match Thru.Engine.StateProof.Parse(ReadOnlySpan proof) with
    | null -> false
    | p ->
        let k = Thru.Engine.PublicKey(ReadOnlySpan key.Bytes)

        match claim with
        | StateProof.Absent -> p.Verify(k, Thru.Engine.StateProof.Claim.Absent, ReadOnlySpan.Empty, ReadOnlySpan root)
        | StateProof.Holds v -> p.Verify(k, Thru.Engine.StateProof.Claim.Holds, ReadOnlySpan v, ReadOnlySpan root)
        | StateProof.Replaceable -> p.Verify(k, Thru.Engine.StateProof.Claim.Replaceable, ReadOnlySpan.Empty, ReadOnlySpan root)


/// Random tries: keys that share long prefixes in the little-endian bit order (so splits land deep
/// and in every word), and random value hashes.
let private genKey: Gen<Pubkey> =
    gen {
        let! bytes = Gen.arrayOfLength 32 (Gen.choose (0, 255) |> Gen.map byte)
        let! shared = Gen.choose (0, 31)
        let! pattern = Gen.elements [ 0uy; 0xFFuy; 0x5Auy ]
        return Pubkey(Array.init 32 (fun i -> if i < shared then pattern else bytes[i]))
    }

let private genEntries =
    gen {
        let! n = Gen.choose (0, 24)
        let! keys = Gen.listOfLength n genKey
        let! values = Gen.listOfLength n (Gen.arrayOfLength 32 (Gen.choose (0, 255) |> Gen.map byte))
        return List.zip keys values |> List.distinctBy fst
    }

[<Tests>]
let tests =
    testList "Runtime.StateTrieTests" [
        testCase "the model's root matches each of the six public roots computed by the runtime's C trie" <| fun () ->
            let roots = vectors().GetProperty("roots")
            Expect.equal (roots.GetArrayLength()) (6) "roots.GetArrayLength()"

            for r in roots.EnumerateArray() do
                let entries = entriesOf r
                let expected = r.GetProperty("root").GetString()
                Expect.equal (hex (StateProof.root entries)) (expected) (r.GetProperty("name").GetString())
                Expect.equal (hex (insertAll entries)) (expected) ("the independent insertion algorithm: " + r.GetProperty("name").GetString())

        testCase "the public non-existence proof: the leaf its path reaches, its first sibling hashes, and it verifies on the model and the engine" <| fun () ->
            let v = vectors ()
            let ne = v.GetProperty("non_existence")
            let source = v.GetProperty("roots").EnumerateArray() |> Seq.find (fun r -> r.GetProperty("name").GetString() = ne.GetProperty("entries_of").GetString())
            let entries = entriesOf source
            let missing = Pubkey(unhex (ne.GetProperty("missing_key").GetString()))
            let p = StateProof.prove entries missing 77UL

            match p.Body with
            | StateProof.Creation(k, h) ->
                Expect.equal (hex k.Bytes) (ne.GetProperty("expected_existing_pubkey").GetString()) "hex k.Bytes"
                Expect.equal (hex h) (ne.GetProperty("expected_existing_value_hash").GetString()) "hex h"
            | other -> failtest (sprintf "expected a CREATION proof, got %A" other)

            let siblings = p.Siblings |> Map.toList |> List.map (snd >> hex)
            let prefixes = [ for s in ne.GetProperty("expected_siblings_prefix").EnumerateArray() -> s.GetString() ]

            for i, prefix in List.indexed prefixes do
                Expect.stringStarts (siblings[i]) (prefix) (sprintf "sibling %d" i)

            let root = StateProof.root entries
            let wire = StateProof.serialize p
            Expect.isTrue (StateProof.verify missing StateProof.Absent root p) "model"
            Expect.isTrue (engineVerify wire missing StateProof.Absent root) "engine"
            // Type in the top 2 bits of the slot word, slot below.
            Expect.equal (BitConverter.ToUInt64(wire, 0)) ((2UL <<< 62) ||| 77UL) "BitConverter.ToUInt64(wire, 0)"
            // The same proof does not show the absence of a key that is in the trie.
            let present = fst entries[6]
            Expect.isFalse (StateProof.verify present StateProof.Absent root p) "StateProof.verify present StateProof.Absent root p"
            Expect.isFalse (engineVerify wire present StateProof.Absent root) "engineVerify wire present StateProof.Absent root"

        testCase "the empty trie: zero root, and a CREATION proof with zero leaf and no siblings that verifies only against the zero root" <| fun () ->
            let k = Pubkey(Array.init 32 byte)
            let p = StateProof.prove [] k 5UL
            Expect.isTrue (StateProof.root [] = Array.zeroCreate 32) "zero root"
            Expect.equal (p.Body) (StateProof.Creation(Pubkey.zero, Array.zeroCreate 32)) "p.Body"
            Expect.equal (StateProof.serialize p |> Array.length) (40 + 64) "StateProof.serialize p |> Array.length"
            Expect.isTrue (StateProof.verify k StateProof.Absent (Array.zeroCreate 32) p) "StateProof.verify k StateProof.Absent (Array.zeroCreate 32) p"
            Expect.isTrue (engineVerify (StateProof.serialize p) k StateProof.Absent (Array.zeroCreate 32)) "engineVerify (StateProof.serialize p) k StateProof.Absent (Array.zeroCreate 32)"
            let nonZero = Array.init 32 (fun i -> byte (i + 1))
            Expect.isFalse (StateProof.verify k StateProof.Absent nonZero p) "StateProof.verify k StateProof.Absent nonZero p"
            Expect.isFalse (engineVerify (StateProof.serialize p) k StateProof.Absent nonZero) "engineVerify (StateProof.serialize p) k StateProof.Absent nonZero"

        testCase "the root does not depend on insertion order, and equals the independent insertion algorithm's for every order" <| fun () ->
            let g = Gen.zip genEntries (Gen.choose (0, Int32.MaxValue))

            checkSeeded 31UL 400 g (fun (entries, seed) ->
                let shuffled = entries |> List.sortBy (fun _ -> Random(seed).Next()) |> List.rev
                let r = StateProof.root entries
                r = StateProof.root shuffled && r = insertAll shuffled && r = insertAll entries)

        testCase "every proof the model builds verifies on the model and the engine, round-trips its bytes, and shows nothing else" <| fun () ->
            let g = Gen.zip3 genEntries genKey (Gen.choose (0, 1))

            checkSeeded 32UL 400 g (fun (entries, outsider, pickPresent) ->
                let key = if pickPresent = 1 && not entries.IsEmpty then fst entries[entries.Length / 2] else outsider
                let root = StateProof.root entries
                let p = StateProof.prove entries key 1000UL
                let wire = StateProof.serialize p

                let claim =
                    match entries |> List.tryFind (fun (k, _) -> k = key) with
                    | Some(_, v) -> StateProof.Holds v
                    | None -> StateProof.Absent

                let wrongClaim =
                    match claim with
                    | StateProof.Holds v -> StateProof.Holds(Array.map (fun b -> b ^^^ 1uy) v)
                    | _ -> StateProof.Holds(Array.zeroCreate 32)

                StateProof.parse wire = Ok p
                && StateProof.verify key claim root p
                && engineVerify wire key claim root
                && not (StateProof.verify key wrongClaim root p)
                && not (engineVerify wire key wrongClaim root))

        testCase "a proof with one bit flipped either fails to parse or fails to verify, on the model and the engine alike" <| fun () ->
            let g = Gen.zip3 genEntries genKey (Gen.choose (0, Int32.MaxValue))

            checkSeeded 33UL 300 g (fun (entries, key, flip) ->
                let root = StateProof.root entries
                let p = StateProof.prove entries key 1000UL
                let wire = StateProof.serialize p

                let claim =
                    match entries |> List.tryFind (fun (k, _) -> k = key) with
                    | Some(_, v) -> StateProof.Holds v
                    | None -> StateProof.Absent

                // Bits of the slot field (bits 0..61 of the first word) do not take part in verification.
                let bit = 62 + flip % (wire.Length * 8 - 62)
                let mutated = Array.copy wire
                mutated[bit / 8] <- mutated[bit / 8] ^^^ (1uy <<< (bit % 8))

                let model =
                    match StateProof.parse mutated with
                    | Ok q -> StateProof.verify key claim root q
                    | Error _ -> false

                let engine = engineVerify mutated key claim root
                // Flipping a bit of an all-zero empty-trie leaf or of a path_bitset bit can at most make
                // the proof unparsable or wrong, never valid: the trie holds one proof per key.
                model = engine && not model)
    ]
