/// Random transactions, for the corpus and for the model-vs-engine property of tests/: a world of
/// accounts (owned, foreign, programs, broken, deleted, compressed, derived addresses, EOAs) with a state trie whose root
/// every block carries; random syscall sequences run by the prober (Harness.fs) with
/// valid and invalid arguments, nested invokes of the prober to random depths, proofs built with
/// the model's StateProof.prove; random instruction programs that touch every segment; and
/// malformed or pre-execution-failing transactions.
module Thru.Conform.Gen.TxnGen

open FsCheck
open FsCheck.FSharp
open Thru.Model
open Thru.Model.Isa
open Thru.Model.Memory
open Thru.Model.Memory.Layout
open Thru.Model.Runtime
open Thru.Conform.Gen.Generators
open Thru.Conform.Gen.Harness

module N = Codes.SyscallNumber

/// A signature the "sha256-binding" verifier accepts: SHA-256(key ‖ message), then 32 zero bytes.
let bindingSign (key: Pubkey) (message: byte[]) = Array.append (Crypto.sha256 (Array.append key.Bytes message)) (Array.zeroCreate 32)

// ---------------------------------------------------------------------------------------
// The world.
// ---------------------------------------------------------------------------------------

let seeds = [| Array.init 32 byte; Array.init 32 (fun i -> byte (200 - i)) |]
let seedWords (s: byte[]) = [ for i in 0..3 -> Bits.readLE s (8 * i) 8 ]

let acctData, acctBig, acctEmpty, acctUncompressable, acctEphemeral = key 10, key 11, key 12, key 13, key 14
let acctRich, proberSelf, proberOwned, exeData, brokenProgram = key 15, key 16, key 17, key 18, key 19
let deletedAcct, compressedAcct, restoredKey, acctLarge = key 20, key 21, key 22, key 23
let foreign, foreignBig, missing, eoaKey, trieAcct = key 30, key 31, key 40, key 60, key 50
/// Fee payers that are not in the state: one whose record is in the trie, one absent from it.
let payerInTrie, payerAbsent = key 70, key 71

let derived (s: int) = Crypto.derivedAddress programKey false seeds[s]
let derivedEphemeral (s: int) = Crypto.derivedAddress programKey true seeds[s]
let derivedBySelf = Crypto.derivedAddress proberSelf false seeds[0]
/// A prober copy that is an ephemeral account (an ephemeral creator cannot create persistent accounts).
let proberEphemeral = key 24
let derivedByEphemeral = Crypto.derivedAddress proberEphemeral false seeds[0]

let private withFlags (flags: byte) (a: Account) = { a with Meta = { a.Meta with Flags = flags } }

/// The account that decompression restores (keys 21 and 22).
let restored = { Meta = { AccountMeta.create programKey with DataSize = 5u; Balance = 9UL; Seq = 3UL }; Data = [| 1uy; 2uy; 3uy; 4uy; 5uy |] }

/// The record of the fee payer restored from an EXISTING proof.
let payerRecord = { Meta = { AccountMeta.create Pubkey.zero with Balance = 5000UL; Nonce = 2UL }; Data = [||] }

/// An executable that is not a program yet (account_set_flags can make it one).
let smallExe = program [ li a0 7; li a1 0; li a7 11; ecall ]

let trieAccount = owned 3UL [| 7uy |]

let trie =
    [ for i in 51..55 -> key i, Crypto.sha256 [| byte i |] ]
    @ [ compressedAcct, StateProof.accountValueHash restored
        restoredKey, StateProof.accountValueHash restored
        trieAcct, StateProof.accountValueHash trieAccount
        payerInTrie, StateProof.accountValueHash payerRecord ]

let stateRoot = StateProof.root trie

let worldState: Map<Pubkey, Account> =
    Map
        [ feePayerKey, Account.create Pubkey.zero 1_000_000UL [||]
          programKey, programAccount prober
          acctData, owned 1000UL (Array.init 64 (fun i -> byte (i * 7)))
          acctBig, owned 0UL (Array.init 5000 (fun i -> byte (i * 13)))
          acctEmpty, owned 0UL [||]
          acctUncompressable, owned 0UL (Array.init 9000 byte) |> withFlags AccountFlags.uncompressable
          acctEphemeral, owned 500UL [||] |> withFlags AccountFlags.ephemeral
          acctRich, Account.create (key 99) (System.UInt64.MaxValue - 5UL) [||]
          proberSelf, { programAccount prober with Meta = { (programAccount prober).Meta with Owner = proberSelf } }
          proberOwned, { programAccount prober with Meta = { (programAccount prober).Meta with Owner = programKey } }
          exeData, owned 0UL smallExe
          brokenProgram, owned 0UL [| 1uy; 2uy; 3uy |] |> withFlags AccountFlags.program
          deletedAcct, owned 0UL [| 9uy |] |> withFlags AccountFlags.deleted
          compressedAcct, { restored with Meta = { restored.Meta with Flags = AccountFlags.compressed } }
          acctLarge, owned 0UL (Array.init 70_000 (fun i -> byte (i >>> 8)))
          foreign, Account.create (key 99) 7UL (Array.init 16 byte)
          foreignBig, Account.create (key 99) 0UL (Array.init 8192 (fun i -> byte (i / 3)))
          trieAcct, trieAccount
          proberEphemeral, { programAccount prober with Meta = { (programAccount prober).Meta with Owner = programKey; Flags = AccountFlags.program ||| AccountFlags.ephemeral } } ]

let private worlds = System.Collections.Concurrent.ConcurrentDictionary<string, Execution.Environment>()

let private makeWorld (verifier: string) : Execution.Environment =
    { Profile = Decisions.Profile.defaults
      State = worldState
      Blocks = blocks stateRoot
      Verify = (Thru.Compare.TxnFixture.verifier verifier).Value
      VerifyProof = StateProof.merkleVerifier
      Chain = Vm.Chain.mature 1us }

/// The world under a verifier named as fixtures name them (one environment object per name).
let worldEnvironment (verifier: string) : Execution.Environment = worlds.GetOrAdd(verifier, makeWorld)

/// The keys a transaction may list.
let listable =
    [ acctData; acctBig; acctEmpty; acctUncompressable; acctEphemeral; acctRich; proberSelf; proberOwned; exeData; brokenProgram
      deletedAcct; compressedAcct; restoredKey; acctLarge; foreign; foreignBig; missing; eoaKey; trieAcct
      derived 0; derived 1; derivedEphemeral 0; derivedEphemeral 1; derivedBySelf; proberEphemeral; derivedByEphemeral ]

let sortKeys (ks: Pubkey list) = ks |> List.distinct |> List.sortWith (fun a b -> compare a.Bytes b.Bytes)

// ---------------------------------------------------------------------------------------
// Standard payload blobs (proofs, metadata, signatures, text), referenced by absolute address.
// ---------------------------------------------------------------------------------------

let private proofOf (k: Pubkey) (slot: uint64) = StateProof.serialize (StateProof.prove trie k slot)

let private updatingProof (k: Pubkey) =
    let p = StateProof.prove trie k 1000UL
    let v = trie |> List.find (fun (x, _) -> x = k) |> snd
    StateProof.serialize { p with Body = StateProof.Updating v }

/// A CREATION proof of another absent key whose path leaves `k`'s: the first key 60, 61, … that
/// differs from `k` at one of its own path's split bits. Such a proof is about a different part of
/// the trie (a CREATION proof does show the absence of every key on the same path).
let private proofOffPathOf (k: Pubkey) =
    [ 60..400 ]
    |> List.map key
    |> List.map (fun other -> other, StateProof.prove trie other 1000UL)
    |> List.find (fun (other, p) ->
        (match p.Body with StateProof.Creation _ -> true | _ -> false)
        && p.Siblings |> Map.exists (fun bit _ -> StateProof.keyBit other bit <> StateProof.keyBit k bit))
    |> snd
    |> StateProof.serialize

let private corrupt (b: byte[]) = Array.updateAt (b.Length - 1) (b[b.Length - 1] ^^^ 0x5Auy) b

/// Named blobs: (name, bytes).
let standardBlobs: (string * byte[]) list =
    [ "proof-derived0", proofOf (derived 0) 1000UL
      "proof-derived1", proofOf (derived 1) 995UL
      "proof-self", proofOf derivedBySelf 1000UL
      "proof-eoa", proofOf eoaKey 1000UL
      "proof-off-derived0", proofOffPathOf (derived 0)
      "proof-off-eoa", proofOffPathOf eoaKey
      "proof-restored", proofOf restoredKey 1000UL
      "proof-compressed", proofOf compressedAcct 999UL
      "proof-data", proofOf acctData 1000UL
      "proof-big", proofOf acctBig 1000UL
      "proof-large", proofOf acctLarge 998UL
      "proof-trie-updating", updatingProof trieAcct
      "proof-future", proofOf (derived 0) 1001UL
      "proof-old", proofOf (derived 0) 400UL
      "proof-corrupt", corrupt (proofOf (derived 0) 1000UL)
      "meta-restored", metaView restored.Meta
      "meta-huge", metaView { restored.Meta with DataSize = 0x100_0001u }
      "meta-bad", metaView { restored.Meta with Balance = 10UL }
      "data-restored", restored.Data
      "sig-eoa", bindingSign eoaKey (Crypto.eoaCreateMessage 1us feePayerKey eoaKey)
      "sig-delete-empty", bindingSign acctEmpty (Crypto.eoaDeleteMessage 1us feePayerKey acctEmpty)
      "sig-delete-big", bindingSign acctBig (Crypto.eoaDeleteMessage 1us feePayerKey acctBig)
      "sig-bad", Array.create 64 0xEEuy
      "text", Array.init 1100 (fun i -> byte (32 + i % 90)) ]

let private blobIndex = standardBlobs |> List.mapi (fun i (n, _) -> n, i) |> Map
let private blobBytes = standardBlobs |> List.map snd |> Array.ofList
let blobSize (name: string) = blobBytes[blobIndex[name]].Length

/// The blobs as laid out: each padded to 8 bytes, so that the nested probes after them are aligned.
let private paddedBlobs = blobBytes |> Array.map (fun b -> Array.append b (Array.zeroCreate ((8 - b.Length % 8) % 8)))

// ---------------------------------------------------------------------------------------
// Probes: trees of prober instruction data, laid out with absolute addresses.
// ---------------------------------------------------------------------------------------

/// An argument: a literal, an address into a standard blob, or the address / size of a nested probe.
type Arg =
    | Lit of uint64
    | Std of string * uint64
    | NestedAddr of int
    | NestedLen of int

type PCall = { Number: uint64; Args: Arg list; Flags: int }

/// A probe and the probes its invokes run (by position in `Nested`).
type ProbeTree = { Calls: PCall list; Nested: ProbeTree list }

let private recordSize = 72

/// Lay out a probe tree as the top-level instruction data at `dataAddress` (TXN_DATA address of
/// the instruction data): [probe][standard blobs][every nested probe, flattened].
let layout (dataAddress: uint64) (top: ProbeTree) : byte[] =
    // Flatten: each probe gets an id; its nested probes are referred to by their ids.
    let probes = System.Collections.Generic.List<ProbeTree * int list>()

    let rec flatten (p: ProbeTree) : int =
        let id = probes.Count
        probes.Add((p, []))
        let children = p.Nested |> List.map flatten
        probes[id] <- (p, children)
        id

    flatten top |> ignore
    let size (p: ProbeTree) = 8 + recordSize * p.Calls.Length
    let stdStart = size top
    let stdOffsets = paddedBlobs |> Array.scan (fun o b -> o + b.Length) stdStart
    let nestedStart = stdOffsets[stdOffsets.Length - 1]
    let probeOffsets = probes |> Seq.skip 1 |> Seq.map (fun (p, _) -> size p) |> Seq.scan (+) nestedStart |> Array.ofSeq
    let addressOfProbe id = dataAddress + uint64 probeOffsets[id - 1]

    let records (p: ProbeTree, children: int list) =
        let resolve a =
            match a with
            | Lit v -> v
            | Std(name, off) -> dataAddress + uint64 stdOffsets[blobIndex[name]] + off
            | NestedAddr k -> addressOfProbe children[k]
            | NestedLen k -> uint64 (size (fst probes[children[k]]))

        probe [ for c in p.Calls -> call c.Number (c.Args |> List.map resolve) c.Flags ] [||]

    Array.concat ([ records probes[0] ] @ Array.toList paddedBlobs @ [ for id in 1 .. probes.Count - 1 -> records probes[id] ])

// ---------------------------------------------------------------------------------------
// Random calls.
// ---------------------------------------------------------------------------------------

/// What a probe knows about its transaction: the account keys by index.
type Ctx =
    { Keys: Pubkey list
      Depth: int
      MaxDepth: int
      /// Invoke at nearly every level, to reach the depth limit.
      Deep: bool }

let private count (c: Ctx) = c.Keys.Length

let private indexOf (c: Ctx) (k: Pubkey) = c.Keys |> List.tryFindIndex ((=) k)

/// An account index: mostly one of the given keys when listed, else any index, sometimes invalid.
let private idxFor (c: Ctx) (preferred: Pubkey list) : Gen<uint64> =
    let listed = preferred |> List.choose (indexOf c)

    Gen.frequency
        [ (if listed.IsEmpty then 0 else 6), Gen.elements (if listed.IsEmpty then [ 0 ] else listed) |> Gen.map uint64
          3, Gen.choose (0, count c - 1) |> Gen.map uint64
          1, Gen.elements [ uint64 (count c); 1000UL; 0x1_0000_0002UL; System.UInt64.MaxValue ] ]

let private owners = [ acctData; acctBig; acctEmpty; acctUncompressable; acctEphemeral; acctLarge; trieAcct ]

/// Addresses in every segment (absolute): the interesting offsets of each.
let private anyAddress (c: Ctx) : Gen<uint64> =
    let acct = Gen.choose (0, count c) |> Gen.map uint32

    Gen.oneof
        [ Gen.elements [ 0UL; 0xdeadUL; Address.txnDataBase; Address.txnDataBase + 200UL; Address.shadowStackBase; Address.shadowStackBase + 8UL
                         Address.shadowStackBase + 4480UL; Address.programBase; Address.programBase + 0x40UL; Address.blockContextBase
                         Address.blockContextBase + 0x1000UL + 100UL; Address.blockContextBase + 0x1FF000UL; Address.blockContextBase + 0x200000UL
                         Address.stackBase + 0xFFF000UL; Address.stackBase + 0xFFFFF8UL; Address.heapBase; Address.heapBase + 0x10UL
                         Address.compose 0x04 0 0u; Address.compose 0x01 0 0u; 1UL <<< 48 ]
          Gen.map2 (fun i o -> Address.accountMetaBase (int i) + uint64 o) acct (Gen.elements [ 0; 10; 61; 62 ])
          Gen.map2 (fun i o -> Address.accountDataBase (int i) + uint64 o) acct (Gen.elements [ 0; 1; 63; 4095; 4096; 4999; 8191; 69_999 ]) ]

let private sizeArg = Gen.frequency [ 4, Gen.choose (0, 80) |> Gen.map uint64; 1, Gen.elements [ 0UL; 1UL; 62UL; 1024UL; 1025UL; 4096UL; 70_000UL; System.UInt64.MaxValue ] ]

let private proofArg (preferred: string list) : Gen<Arg * Arg> =
    let all = standardBlobs |> List.map fst |> List.filter (fun n -> n.StartsWith "proof")

    Gen.frequency
        [ 6, Gen.elements preferred |> Gen.map (fun n -> Std(n, 0UL), Lit(uint64 (blobSize n)))
          2, Gen.elements all |> Gen.map (fun n -> Std(n, 0UL), Lit(uint64 (blobSize n)))
          1, Gen.elements preferred |> Gen.map (fun n -> Std(n, 0UL), Lit(uint64 (blobSize n - 32)))
          1, Gen.elements [ Lit 0xdeadUL, Lit 100UL; Lit 0UL, Lit 0UL; Std("text", 0UL), Lit 39UL ] ]

let private seedArgs = Gen.frequency [ 5, Gen.elements [ 0; 1 ] |> Gen.map (fun s -> seedWords seeds[s] |> List.map Lit); 1, Gen.listOfLength 4 edgeValue |> Gen.map (List.map Lit) ]

let private textArg = Gen.frequency [ 4, Gen.choose (0, 1000) |> Gen.map (fun o -> Std("text", uint64 o)); 1, Gen.constant (Lit 0UL) ]

let private stackAddr =
    Gen.frequency
        [ 4, Gen.choose (0, 4) |> Gen.map (fun k -> Address.stackBase + 0x100_0000UL - uint64 (k * 4096))
          1, Gen.elements [ Address.stackBase; Address.stackBase + 0x100_0000UL; Address.stackBase + 0xFFF800UL; Address.compose 0x05 1 0x1000u ] ]

let private heapAddr =
    Gen.frequency
        [ 4, Gen.choose (0, 4) |> Gen.map (fun k -> Address.heapBase + uint64 (k * 4096))
          1, Gen.elements [ Address.heapBase + 0x800UL; Address.heapBase + 0xFFF000UL; Address.compose 0x07 1 0u; Address.txnDataBase ] ]

let private deltaArg =
    Gen.frequency
        [ 4, Gen.choose (-3, 3) |> Gen.map (fun k -> uint64 (int64 (k * 4096)))
          1, Gen.elements [ 100UL; uint64 -4096L * 5000UL; System.UInt64.MaxValue; 0x7FFF_FFFF_FFFF_F000UL; uint64 System.Int64.MinValue ] ]

let private flagsOf = Gen.frequency [ 3, Gen.constant 0; 1, Gen.elements [ resultA1; withStack; resultA1 ||| withStack ] ]

let rec genCall (c: Ctx) : Gen<PCall * ProbeTree option> =
    let simple n args = Gen.map (fun f -> { Number = n; Args = args; Flags = f }, None) flagsOf
    let lits (xs: uint64 list) = xs |> List.map Lit

    let ownedIdx = idxFor c owners

    let cases: (int * Gen<PCall * ProbeTree option>) list =
        [ 3, gen { let! a = Gen.oneof [ stackAddr; heapAddr ] in return! simple N.setAnonymousSegmentSz [ Lit a ] }
          3, gen {
              let! a = Gen.oneof [ stackAddr; heapAddr ]
              let! d = deltaArg
              return! simple N.incrementAnonymousSegmentSz [ Lit a; Lit d ] }
          3, gen { let! i = ownedIdx in return! simple N.setAccountDataWritable [ Lit i ] }
          3, gen {
              let! f = idxFor c (feePayerKey :: owners)
              let! t = idxFor c (acctRich :: foreign :: owners)
              let! amount = Gen.frequency [ 4, Gen.choose (0, 1200) |> Gen.map uint64; 1, Gen.elements [ 500UL; 1000UL; 1_000_000UL; System.UInt64.MaxValue ] ]
              return! simple N.accountTransfer (lits [ f; t; amount ]) }
          3, gen {
              let! i = idxFor c [ derived 0; derived 1; derivedBySelf; acctData ]
              let! seed = seedArgs
              let! proof, size = proofArg [ "proof-derived0"; "proof-derived1"; "proof-self" ]
              return! simple N.accountCreate ([ Lit i ] @ seed @ [ proof; size ]) }
          2, gen {
              let! i = idxFor c [ derivedEphemeral 0; derivedEphemeral 1; derived 0 ]
              let! seed = seedArgs
              return! simple N.accountCreateEphemeral ([ Lit i ] @ seed) }
          2, gen {
              let! i = idxFor c [ acctEmpty; acctBig; acctData; acctEphemeral; deletedAcct; foreign ]
              let! sigArg = Gen.frequency [ 3, Gen.constant (Lit 0UL); 2, Gen.elements [ "sig-delete-empty"; "sig-delete-big"; "sig-bad" ] |> Gen.map (fun n -> Std(n, 0UL)); 1, Gen.constant (Lit 0xdeadUL) ]
              return! simple N.accountDelete [ Lit i; sigArg ] }
          4, gen {
              let! i = ownedIdx
              let! size = Gen.frequency [ 4, Gen.elements [ 0UL; 1UL; 63UL; 4095UL; 4096UL; 4097UL; 5000UL; 8192UL; 9000UL; 20_000UL ]; 1, Gen.elements [ 0x100_0000UL; 0x100_0001UL; System.UInt64.MaxValue ] ]
              return! simple N.accountResize [ Lit i; Lit size ] }
          2, gen {
              let! i = idxFor c [ acctData; acctBig; acctLarge; acctUncompressable; acctEphemeral; trieAcct; proberSelf ]
              let! proof, size = proofArg [ "proof-data"; "proof-big"; "proof-large"; "proof-trie-updating" ]
              return! simple N.accountCompress [ Lit i; proof; size ] }
          2, gen {
              let! i = idxFor c [ restoredKey; compressedAcct; acctData ]
              let! meta = Gen.frequency [ 5, Gen.constant (Std("meta-restored", 0UL)); 1, Gen.elements [ Std("meta-huge", 0UL); Std("meta-bad", 0UL); Lit 0xdeadUL ] ]
              let! data = Gen.frequency [ 5, Gen.constant (Std("data-restored", 0UL)); 1, Gen.constant (Lit 0xdeadUL) ]
              let! proof, size = proofArg [ "proof-restored"; "proof-compressed" ]
              return! simple N.accountDecompress [ Lit i; meta; data; proof; size ] }
          (if c.Depth < c.MaxDepth then 4 else 1), genInvoke c
          1, gen {
              let! code = Gen.elements [ 0UL; 7UL; System.UInt64.MaxValue ]
              let! revert = Gen.frequency [ 2, Gen.constant 0UL; 1, Gen.elements [ 1UL; 0x100UL ] ]
              return! simple N.exit [ Lit code; Lit revert ] }
          3, gen {
              let! p = Gen.frequency [ 3, textArg; 2, anyAddress c |> Gen.map Lit ]
              let! n = sizeArg
              return! simple N.log [ p; Lit n ] }
          3, gen {
              let! p = Gen.frequency [ 3, textArg; 1, anyAddress c |> Gen.map Lit ]
              let! n = Gen.frequency [ 4, Gen.choose (0, 100) |> Gen.map uint64; 1, Gen.elements [ 0UL; 4096UL; 5000UL; 0x100_0001UL ] ]
              return! simple N.emitEvent [ p; Lit n ] }
          2, gen {
              let! i = idxFor c [ exeData; proberOwned; proberSelf; acctData; brokenProgram ]
              let! flags = Gen.frequency [ 4, Gen.elements [ 0UL; 1UL ]; 1, Gen.elements [ 2UL; 0x41UL; 0x101UL; 0x21UL ] ]
              return! simple N.accountSetFlags [ Lit i; Lit flags ] }
          2, gen {
              let! i = idxFor c [ eoaKey; acctData ]
              let! signature = Gen.frequency [ 5, Gen.constant (Std("sig-eoa", 0UL)); 1, Gen.elements [ Std("sig-bad", 0UL); Lit 0xdeadUL ] ]
              let! proof, size = proofArg [ "proof-eoa" ]
              return! simple N.accountCreateEoa [ Lit i; signature; proof; size ] }
          1, gen { let! n = Gen.elements [ 0x10UL; 0x11UL; 0x1000UL; System.UInt64.MaxValue ] in return! simple n [] } ]

    Gen.frequency cases

/// An invoke: of the prober itself mostly, with a nested probe when the depth allows.
and genInvoke (c: Ctx) : Gen<PCall * ProbeTree option> =
    gen {
        let! i = Gen.frequency [ 6, Gen.constant 1UL; 3, idxFor c [ proberSelf; proberOwned; exeData; brokenProgram; acctData ] ]
        let! a3 = Gen.elements [ 0UL; 0UL; Address.stackBase + 0xFFF100UL ]
        let! f = flagsOf

        if c.Depth < c.MaxDepth then
            let! inner = genProbe { c with Depth = c.Depth + 1 }
            return { Number = N.invoke; Args = [ NestedAddr 0; NestedLen 0; Lit i; Lit a3 ]; Flags = f }, Some inner
        else
            return { Number = N.invoke; Args = [ Lit Address.txnDataBase; Lit 0UL; Lit i; Lit a3 ]; Flags = f }, None
    }

/// A probe: a few random calls; in deep mode, a chain: a few calls without nesting, one invoke
/// one level down (of the prober itself, mostly), and maybe one more call after it returns.
and genProbe (c: Ctx) : Gen<ProbeTree> =
    gen {
        let! calls =
            if c.Deep && c.Depth < c.MaxDepth then
                gen {
                    let flat = { c with Deep = false; MaxDepth = c.Depth }
                    let! pre = Gen.choose (0, 2) |> Gen.bind (fun k -> Gen.listOfLength k (genCall flat))
                    let! self = Gen.frequency [ 8, Gen.constant true; 1, Gen.constant false ]
                    let! inv = genInvoke c

                    let inv =
                        if self then
                            let p, inner = inv
                            { p with Args = List.updateAt 2 (Lit 1UL) p.Args }, inner
                        else inv

                    let! post = Gen.choose (0, 1) |> Gen.bind (fun k -> Gen.listOfLength k (genCall flat))
                    return pre @ [ inv ] @ post
                }
            else
                Gen.frequency [ 3, Gen.choose (1, 4); 1, Gen.choose (5, 8) ] |> Gen.bind (fun n -> Gen.listOfLength n (genCall c))

        return { Calls = calls |> List.map fst; Nested = calls |> List.choose snd }
    }

/// Fix the NestedAddr/NestedLen indices: each invoke refers to its own nested probe, in order.
let rec private renumber (p: ProbeTree) : ProbeTree =
    let mutable k = -1

    let calls =
        p.Calls
        |> List.map (fun c ->
            match c.Args with
            | NestedAddr _ :: NestedLen _ :: rest ->
                k <- k + 1
                { c with Args = NestedAddr k :: NestedLen k :: rest }
            | _ -> c)

    { Calls = calls; Nested = p.Nested |> List.map renumber }

// ---------------------------------------------------------------------------------------
// Whole prober transactions.
// ---------------------------------------------------------------------------------------

/// A generated transaction: its environment, the wire bytes, and the verifier's name.
type GenTxn = { Env: Execution.Environment; Wire: byte[]; Verifier: string; Label: string }

let private genLists =
    gen {
        let! rwMask = Gen.listOfLength listable.Length (Gen.frequency [ 2, Gen.constant true; 3, Gen.constant false ])
        let! roMask = Gen.listOfLength listable.Length (Gen.frequency [ 1, Gen.constant true; 5, Gen.constant false ])
        let rw = List.zip listable rwMask |> List.filter snd |> List.map fst
        let ro = List.zip listable roMask |> List.filter (fun (k, m) -> m && not (List.contains k rw)) |> List.map fst
        return sortKeys rw, sortKeys ro
    }

let private genBudgets =
    gen {
        let! cu = Gen.frequency [ 6, Gen.constant 2_000_000u; 3, Gen.choose (0, 30_000) |> Gen.map uint32; 1, Gen.choose (0, 600) |> Gen.map uint32; 1, Gen.constant 40_000_000u ]
        let! su = Gen.frequency [ 4, Gen.constant 100us; 1, Gen.elements [ 0us; 1us; 2us ] ]
        let! mu = Gen.frequency [ 4, Gen.constant 100us; 2, Gen.elements [ 0us; 1us; 2us; 3us; 5us ] ]
        let! flags = Gen.frequency [ 3, Gen.constant 0uy; 1, Gen.constant Transaction.flagMayCompressAccount ]
        return cu, su, mu, flags
    }

let signWire (verifier: string) (payer: Pubkey) (body: byte[]) =
    let signature =
        match verifier with
        | "sha256-binding" -> bindingSign payer (Crypto.transactionMessage body)
        | _ -> Array.zeroCreate 64

    Array.append body signature

/// A prober transaction: random lists, budgets, and a random probe tree up to a random depth.
let proberTxn (verifier: string) (rw: Pubkey list) (ro: Pubkey list) (h: Transaction.Header) (tree: ProbeTree) =
    let keys = feePayerKey :: programKey :: rw @ ro
    let dataAddress = Address.txnDataBase + uint64 (Transaction.headerSize + 32 * (keys.Length - 2))
    let instr = layout dataAddress (renumber tree)
    let body = Transaction.body h rw ro instr None None
    { Env = worldEnvironment verifier; Wire = signWire verifier feePayerKey body; Verifier = verifier; Label = "prober" }

let pc (n: uint64) (args: Arg list) = { Number = n; Args = args; Flags = 0 }
let leaf (calls: PCall list) = { Calls = calls; Nested = [] }
let invokeOf (idx: uint64) (flags: int) (inner: ProbeTree) (calls: PCall list) =
    { Calls = { Number = N.invoke; Args = [ NestedAddr 0; NestedLen 0; Lit idx; Lit 0UL ]; Flags = flags } :: calls; Nested = [ inner ] }

/// Recipes: sequences that set up the preconditions of paths random calls rarely reach (a callee
/// freeing its caller's pages, a program in the call stack, an ephemeral creator, overflows,
/// limits that need a large budget, shrink-then-grow reads, recreation after deletion, …).
let private recipe (verifier: string) : Gen<GenTxn> =
    gen {
        let! extra = Gen.listOfLength 3 (Gen.elements listable)
        let! cu, su, mu, flags = genBudgets
        let h = { header feePayerKey programKey with ComputeUnits = cu; StateUnits = su; MemoryUnits = mu; Flags = flags }
        let withKeys (needed: Pubkey list) = sortKeys (needed @ extra)
        let idx (rw: Pubkey list) (k: Pubkey) = uint64 (2 + List.findIndex ((=) k) rw)
        let! which = Gen.choose (0, 15)
        let! sizeA = Gen.elements [ 0UL; 1UL; 100UL; 4095UL; 4096UL; 4097UL; 9000UL ]
        let! sizeB = Gen.elements [ 0UL; 50UL; 4096UL; 5000UL; 12_000UL ]

        let rw, ro, h, tree =
            match which with
            | 0 -> [], [], h, invokeOf 1UL (resultA1 ||| withStack) (leaf [ pc N.setAnonymousSegmentSz [ Lit(Address.stackBase + 0x100_0000UL) ] ]) []
            | 1 -> [], [], h, invokeOf 1UL (resultA1 ||| withStack) (leaf [ pc N.incrementAnonymousSegmentSz [ Lit(Address.stackBase + 0xFFF000UL); Lit(uint64 -4096L) ] ]) []
            | 2 ->
                let rw = withKeys [ proberSelf ]
                rw, [], { h with Flags = Transaction.flagMayCompressAccount }, invokeOf (idx rw proberSelf) resultA1 (leaf [ pc N.accountCompress [ Lit(idx rw proberSelf); Std("proof-data", 0UL); Lit(uint64 (blobSize "proof-data")) ] ]) []
            | 3 ->
                let rw = withKeys [ proberSelf ]
                rw, [], h, invokeOf (idx rw proberSelf) resultA1 (leaf [ pc N.accountSetFlags [ Lit(idx rw proberSelf); Lit 0UL ] ]) []
            | 4 ->
                let rw = withKeys [ acctData; acctRich ]
                rw, [], h, leaf [ pc N.accountTransfer [ Lit(idx rw acctData); Lit(idx rw acctRich); Lit 10UL ] ]
            | 5 ->
                let rw = withKeys [ proberEphemeral; derivedByEphemeral ]
                rw, [], h, invokeOf (idx rw proberEphemeral) resultA1 (leaf [ pc N.accountCreate ([ Lit(idx rw derivedByEphemeral) ] @ (seedWords seeds[0] |> List.map Lit) @ [ Std("proof-derived0", 0UL); Lit(uint64 (blobSize "proof-derived0")) ]) ]) []
            | 6 -> [], [], { h with ComputeUnits = 40_000_000u }, leaf [ pc N.emitEvent [ Std("text", 0UL); Lit 0x100_0001UL ] ]
            | 7 ->
                let rw = withKeys [ restoredKey ]
                rw, [], { h with ComputeUnits = 40_000_000u }, leaf [ pc N.accountDecompress [ Lit(idx rw restoredKey); Std("meta-huge", 0UL); Std("data-restored", 0UL); Std("proof-restored", 0UL); Lit(uint64 (blobSize "proof-restored")) ] ]
            | 8 ->
                // Decompress, then read the restored data back through a log.
                let rw = withKeys [ restoredKey ]
                let i = idx rw restoredKey
                rw, [], h, leaf [ pc N.accountDecompress [ Lit i; Std("meta-restored", 0UL); Std("data-restored", 0UL); Std("proof-restored", 0UL); Lit(uint64 (blobSize "proof-restored")) ]; pc N.log [ Lit(Address.accountDataBase (int i)); Lit 5UL ] ]
            | 9 ->
                let rw = withKeys [ acctData ]
                rw, [], { h with Flags = Transaction.flagMayCompressAccount }, leaf [ pc N.accountCompress [ Lit(idx rw acctData); Std("proof-future", 0UL); Lit(uint64 (blobSize "proof-future")) ]; pc N.accountCompress [ Lit(idx rw acctData); Lit 0xdeadUL; Lit 100UL ] ]
            | 10 ->
                // Shrink, grow, then read what the shrink forgot (zeros) and what it kept.
                let rw = withKeys [ acctBig ]
                let i = idx rw acctBig
                let data = Address.accountDataBase (int i)
                rw, [], h,
                leaf
                    [ pc N.accountResize [ Lit i; Lit sizeA ]; pc N.accountResize [ Lit i; Lit sizeB ]
                      pc N.log [ Lit(data + (sizeA - min sizeA 8UL)); Lit(min 16UL sizeB) ]; pc N.log [ Lit(data + 4090UL); Lit 12UL ]
                      pc N.emitEvent [ Lit data; Lit(max 1UL (min sizeB 300UL)) ] ]
            | 11 ->
                // Create, delete and recreate; an ephemeral account in a transfer and a compression.
                let rw = withKeys [ derived 0; derivedEphemeral 0; acctData ]
                let d, e = idx rw (derived 0), idx rw (derivedEphemeral 0)
                let seed = seedWords seeds[0] |> List.map Lit
                rw, [], { h with Flags = Transaction.flagMayCompressAccount },
                leaf
                    [ pc N.accountCreate ([ Lit d ] @ seed @ [ Std("proof-derived0", 0UL); Lit(uint64 (blobSize "proof-derived0")) ])
                      pc N.accountCreate ([ Lit d ] @ seed @ [ Std("proof-derived0", 0UL); Lit(uint64 (blobSize "proof-derived0")) ])
                      pc N.accountResize [ Lit d; Lit sizeA ]; pc N.accountDelete [ Lit d; Lit 0UL ]
                      pc N.accountCreate ([ Lit d ] @ seed @ [ Std("proof-derived0", 0UL); Lit(uint64 (blobSize "proof-derived0")) ])
                      pc N.accountCreateEphemeral ([ Lit e ] @ seed); pc N.accountTransfer [ Lit(idx rw acctData); Lit e; Lit 1UL ]
                      pc N.accountCompress [ Lit e; Lit 0UL; Lit 0UL ] ]
            | 12 ->
                // Make an executable a program, run it, make it data again, change it, run it again.
                let rw = withKeys [ exeData ]
                let i = idx rw exeData
                rw, [], h,
                { Calls =
                    [ pc N.accountSetFlags [ Lit i; Lit 1UL ]; { Number = N.invoke; Args = [ Lit Address.txnDataBase; Lit 0UL; Lit i; Lit 0UL ]; Flags = resultA1 }
                      pc N.accountSetFlags [ Lit i; Lit 0UL ]; pc N.accountResize [ Lit i; Lit sizeA ]; pc N.accountSetFlags [ Lit i; Lit 1UL ]
                      { Number = N.invoke; Args = [ Lit Address.txnDataBase; Lit 0UL; Lit i; Lit 0UL ]; Flags = 0 } ]
                  Nested = [] }
            | 13 -> [], [], { h with MemoryUnits = 0us }, leaf [ pc N.emitEvent [ Std("text", 0UL); Lit 10UL ]; pc N.setAnonymousSegmentSz [ Lit(Address.heapBase + 0x1000UL) ] ]
            | 14 ->
                // The depth limit: a chain of invokes of the prober down to depth 16, then one more.
                let rec chain d = if d = 16 then leaf [ pc N.invoke [ Lit Address.txnDataBase; Lit 0UL; Lit 1UL; Lit 0UL ] ] else invokeOf 1UL resultA1 (chain (d + 1)) []
                [], [], h, chain 1
            | _ ->
                // Stack and heap reads across pages through logs, at two depths.
                let reads = [ pc N.log [ Lit(Address.stackBase + 0xFFEFF8UL); Lit 16UL ]; pc N.log [ Lit(Address.heapBase + 0xFF8UL); Lit 16UL ] ]
                [], [], h, invokeOf 1UL 0 (leaf ([ pc N.incrementAnonymousSegmentSz [ Lit Address.heapBase; Lit 0x2000UL ] ] @ reads)) ([ pc N.setAnonymousSegmentSz [ Lit(Address.stackBase + 0xFFE000UL) ] ] @ reads)

        return proberTxn verifier rw ro h tree
    }

/// A prober transaction: random lists, budgets, and a random probe tree up to a random depth; or
/// a recipe.
let genProberTxn (verifier: string) : Gen<GenTxn> =
    let random =
        gen {
            let! rw, ro = genLists
            let! cu, su, mu, flags = genBudgets
            let! maxDepth = Gen.frequency [ 6, Gen.choose (0, 2); 2, Gen.choose (3, 6); 2, Gen.choose (14, 17) ]
            let keys = feePayerKey :: programKey :: rw @ ro
            let! tree = genProbe { Keys = keys; Depth = 1; MaxDepth = maxDepth; Deep = maxDepth >= 14 }
            let h = { header feePayerKey programKey with ComputeUnits = cu; StateUnits = su; MemoryUnits = mu; Flags = flags }
            return proberTxn verifier rw ro h tree
        }

    Gen.frequency [ 4, random; 1, recipe verifier ]

// ---------------------------------------------------------------------------------------
// Random instruction programs touching every segment.
// ---------------------------------------------------------------------------------------

/// li rd, v for any 64-bit value (lui/addiw, then shifts and addi for wider values).
let rec liConst (rd: Reg) (v: int64) : Decoded list =
    if v >= -2048L && v <= 2047L then
        [ Full(OpImm(ADDI, rd, 0, v)) ]
    elif v >= int64 System.Int32.MinValue && v <= int64 System.Int32.MaxValue then
        let hi = (v + 0x800L) >>> 12
        let lo = v - (hi <<< 12)
        [ Full(LUI(rd, uint32 hi &&& 0xFFFFFu)); Full(OpImm(ADDIW, rd, rd, lo)) ]
    else
        let lo = (v <<< 52) >>> 52 // the low 12 bits, sign-extended
        let hi = (v - lo) >>> 12
        liConst rd hi @ [ Full(ShiftImm(SLLI, rd, rd, 12)) ] @ (if lo = 0L then [] else [ Full(OpImm(ADDI, rd, rd, lo)) ])

/// Registers that hold pointers: readable ones (any segment) for loads, writable ones (mapped stack
/// and heap pages, owned account data) for stores; scratch registers take the results.
let private readRegs = [ 5; 6; 7; 8; 9; 18; 19 ]
let private writeRegs = [ 20; 21; 22; 23; 24; 25; 26; 27 ]
let private pointerRegs = readRegs @ writeRegs
let private scratchRegs = [ 1; 28; 29; 30; 31; 10; 11; 12; 13 ]

type private PItem =
    | PFixed of Decoded list
    | PBranch of BranchOp * Reg * Reg * target: int
    | PJal of Reg * target: int
    | PRaw of byte[]

let private pItemSize (i: PItem) =
    match i with
    | PFixed ds -> ds |> List.sumBy (fun d -> (Encode.toBytes d).Value.Length)
    | PBranch _
    | PJal _ -> 4
    | PRaw b -> b.Length

/// What a random program's transaction looks like to the generator.
type private ProgramWorld =
    { Keys: Pubkey list
      ProgramLength: int
      TxnLength: int
      StackPages: int
      HeapPages: int }

let private dataSizeOf (w: ProgramWorld) (i: int) =
    if i < w.Keys.Length then worldState.TryFind w.Keys[i] |> Option.map (fun a -> int a.Meta.DataSize) |> Option.defaultValue 0 else 0

let private aligned (lo: int) (hi: int) = if hi < lo then Gen.constant lo else Gen.choose (lo / 8, hi / 8) |> Gen.map (fun k -> 8 * k)

/// Readable addresses: inside the transaction, the shadow stack, the program, block records,
/// metadata, account data and the mapped stack and heap.
let rec private readablePointer (w: ProgramWorld) : Gen<uint64> =
    let n = w.Keys.Length

    Gen.oneof
        [ aligned 0 (w.TxnLength - 8) |> Gen.map (fun o -> Address.txnDataBase + uint64 o)
          aligned 0 4488 |> Gen.map (fun o -> Address.shadowStackBase + uint64 o)
          aligned 0 (w.ProgramLength - 8) |> Gen.map (fun o -> Address.programBase + uint64 o)
          Gen.map2 (fun k o -> Address.blockContextBase + uint64 (k * 0x1000 + o)) (Gen.elements [ 0; 1; 511 ]) (aligned 0 120)
          Gen.map2 (fun i o -> Address.accountMetaBase i + uint64 o) (Gen.choose (0, n - 1)) (aligned 0 48)
          gen {
              let! i = Gen.choose (0, n - 1)
              let! o = aligned 0 (dataSizeOf w i - 8)
              return Address.accountDataBase i + uint64 o
          }
          writablePointerOf w ]

/// Writable addresses (once the setup mapped the pages and marked the accounts).
and private writablePointerOf (w: ProgramWorld) : Gen<uint64> =
    let owned = w.Keys |> List.indexed |> List.filter (fun (_, k) -> worldState.TryFind k |> Option.exists (fun a -> a.Meta.Owner = programKey)) |> List.map fst

    Gen.frequency
        [ (if w.StackPages > 0 then 3 else 0), aligned (0x100_0000 - 4096 * w.StackPages) (0x100_0000 - 8) |> Gen.map (fun o -> Address.stackBase + uint64 o)
          (if w.HeapPages > 0 then 2 else 0), aligned 0 (4096 * w.HeapPages - 8) |> Gen.map (fun o -> Address.heapBase + uint64 o)
          (if owned.IsEmpty then 0 else 3),
          gen {
              let! i = Gen.elements (if owned.IsEmpty then [ 0 ] else owned)
              let! o = aligned 0 (dataSizeOf w i - 8)
              return Address.accountDataBase i + uint64 o
          }
          1, Gen.constant (Address.stackBase + 0xFFF800UL) ]

/// Addresses at the edges of every segment, and outside them.
let private edgePointer (w: ProgramWorld) : Gen<uint64> =
    let n = w.Keys.Length

    Gen.oneof
        [ Gen.elements [ w.TxnLength - 4; w.TxnLength; 4096 ] |> Gen.map (fun o -> Address.txnDataBase + uint64 o)
          Gen.elements [ 4492; 4496; 8192 ] |> Gen.map (fun o -> Address.shadowStackBase + uint64 o)
          Gen.elements [ w.ProgramLength - 2; w.ProgramLength; 0x10000 ] |> Gen.map (fun o -> Address.programBase + uint64 o)
          Gen.elements [ 124; 128; 0x1000 + 0xF00; 0x200000; 0x3FF000 ] |> Gen.map (fun o -> Address.blockContextBase + uint64 o)
          Gen.map2 (fun i o -> Address.accountMetaBase i + uint64 o) (Gen.choose (0, n)) (Gen.elements [ 56; 60; 62; 64 ])
          gen {
              let! i = Gen.choose (0, n)
              let size = dataSizeOf w i
              let! o = Gen.elements [ size - 4; size; 4094; 4096 ]
              return Address.accountDataBase i + uint64 (max 0 o)
          }
          Gen.elements [ 0xFFE000; 0xFFF004; 0 ] |> Gen.map (fun o -> Address.stackBase + uint64 o)
          Gen.elements [ 0x10_0000; 0xFFF000 ] |> Gen.map (fun o -> Address.heapBase + uint64 o)
          Gen.elements [ 0UL; 0xdeadUL; Address.compose 0x04 0 0u; Address.compose 0x01 0 8u; Address.compose 0x05 1 0u; Address.compose 0x06 0 0u; 1UL <<< 48; 0xFFFF_FFFF_FFFF_FFF8UL ] ]

let private mv rd rs = Full(OpImm(ADDI, rd, rs, 0L))
let private ecallWith (number: uint64) (argCode: Decoded list) = PFixed(argCode @ liConst 17 (int64 number) @ [ Full ECALL ])

/// A syscall item: li a0..; li a7 n; ecall. Pointer arguments come from pointer registers.
let private syscallItem (n: int) : Gen<PItem> =
    let set r v = liConst r v

    Gen.frequency
        [ 2, Gen.choose (1, 5) |> Gen.map (fun k -> ecallWith N.setAnonymousSegmentSz (set 10 (int64 (Address.stackBase + 0x100_0000UL - uint64 (k * 4096)))))
          2, Gen.choose (0, 4) |> Gen.map (fun k -> ecallWith N.setAnonymousSegmentSz (set 10 (int64 (Address.heapBase + uint64 (k * 4096)))))
          2, Gen.map2 (fun stack d -> ecallWith N.incrementAnonymousSegmentSz (set 10 (int64 (if stack then Address.stackBase else Address.heapBase)) @ set 11 (int64 (d * 4096)))) (Gen.elements [ true; false ]) (Gen.choose (-2, 2))
          3, Gen.choose (0, n) |> Gen.map (fun i -> ecallWith N.setAccountDataWritable (set 10 (int64 i)))
          2, Gen.map2 (fun i s -> ecallWith N.accountResize (set 10 (int64 i) @ set 11 s)) (Gen.choose (0, n)) (Gen.elements [ 0L; 100L; 4096L; 5000L; 12_000L ])
          3, Gen.map2 (fun p len -> ecallWith N.log ([ mv 10 p ] @ set 11 len)) (Gen.elements pointerRegs) (Gen.elements [ 0L; 1L; 8L; 64L; 200L ])
          3, Gen.map2 (fun p len -> ecallWith N.emitEvent ([ mv 10 p ] @ set 11 len)) (Gen.elements pointerRegs) (Gen.elements [ 1L; 8L; 100L ])
          1, Gen.map2 (fun f t -> ecallWith N.accountTransfer (set 10 (int64 f) @ set 11 (int64 t) @ set 12 3L)) (Gen.choose (0, n)) (Gen.choose (0, n))
          1, Gen.elements [ 0L; 1L ] |> Gen.map (fun revert -> ecallWith N.exit (set 10 5L @ set 11 revert))
          1, Gen.elements [ 1L; 2L ] |> Gen.map (fun i -> ecallWith N.invoke (set 10 (int64 Address.txnDataBase) @ set 11 0L @ set 12 i @ set 13 0L))
          1, Gen.constant (ecallWith 0x10UL []) ]

let private genPItem (n: int) (count: int) : Gen<PItem> =
    let computational =
        genInstr
        |> Gen.filter (fun i ->
            match i with
            | OpImm _ | ShiftImm _ | Op _ | Unary _ | LUI _ | AUIPC _ -> true
            | _ -> false)
        |> Gen.zip (Gen.frequency [ 8, Gen.elements scratchRegs; 1, reg ])
        |> Gen.map (fun (rd, i) ->
            match i with
            | OpImm(op, _, rs1, imm) -> OpImm(op, rd, rs1, imm)
            | ShiftImm(op, _, rs1, s) -> ShiftImm(op, rd, rs1, s)
            | Op(op, _, rs1, rs2) -> Op(op, rd, rs1, rs2)
            | Unary(op, _, rs1) -> Unary(op, rd, rs1)
            | other -> other)

    let memory =
        gen {
            let! store = Gen.frequency [ 2, Gen.constant true; 3, Gen.constant false ]
            let! b = Gen.frequency [ 12, Gen.elements (if store then writeRegs else pointerRegs); 2, Gen.elements pointerRegs; 1, reg ]
            let! size = Gen.elements [ 1; 2; 4; 8 ]
            let! off = Gen.frequency [ 12, Gen.choose (-2, 2) |> Gen.map (fun k -> int64 (k * 8)); 1, Gen.choose (-16, 16) |> Gen.map int64 ]

            if store then
                let op = match size with 1 -> SB | 2 -> SH | 4 -> SW | _ -> SD
                let! rs2 = reg
                return Store(op, b, rs2, off)
            else
                let! op = Gen.elements (match size with 1 -> [ LB; LBU ] | 2 -> [ LH; LHU ] | 4 -> [ LW; LWU ] | _ -> [ LD ])
                let! rd = Gen.elements scratchRegs
                return Load(op, rd, b, off)
        }

    let compressedMemory =
        Gen.elements
            [ C_LD(10, 8, 0); C_LW(11, 9, 4); C_SD(8, 12, 8); C_LDSP(28, 16); C_SDSP(29, 8); C_LWSP(30, 4); C_SWSP(31, 0) ]

    Gen.frequency
        [ 20, computational |> Gen.map (fun i -> PFixed [ Full i ])
          6, Gen.elements [ C_ADDI(28, 3); C_MV(29, 5); C_SLLI(30, 2); C_LI(31, -7); C_NOP 0 ] |> Gen.map (fun c -> PFixed [ Compressed c ])
          30, memory |> Gen.map (fun i -> PFixed [ Full i ])
          2, compressedMemory |> Gen.map (fun c -> PFixed [ Compressed c ])
          2, Gen.map2 (fun r k -> PFixed [ Full(OpImm(ADDI, r, r, int64 (k * 8))) ]) (Gen.elements pointerRegs) (Gen.choose (-64, 64))
          8, syscallItem n
          5, Gen.map4 (fun op a b t -> PBranch(op, a, b, t)) (Gen.elements (allCases<BranchOp> ())) (Gen.elements scratchRegs) (Gen.elements scratchRegs) (Gen.choose (0, count))
          1, Gen.map2 (fun rd t -> PJal(rd, t)) (Gen.elements [ 0; 1 ]) (Gen.choose (0, count))
          1, Gen.elements pointerRegs |> Gen.map (fun r -> PFixed [ Full(JALR(1, r, 0L)) ])
          1, Gen.elements [ PFixed [ Full EBREAK ]; PFixed [ Full(FENCE(0, 15, 15, 0, 0)) ]; PRaw [| 0uy; 0uy |]; PRaw [| 0x73uy; 0x10uy; 0x20uy; 0x00uy |]; PRaw [| 0x2Fuy; 0x30uy; 0uy; 0uy |] ]
          1, Gen.choose (300, 1100) |> Gen.map (fun k -> PFixed(List.replicate k (Full(OpImm(ADDI, 28, 28, 1L))))) ]

/// A random program for account 1 and its transaction: a register table (pointers into every
/// segment), a setup that maps stack and heap pages and marks owned accounts writable, a random
/// body, and an exit.
let genProgramTxn (verifier: string) : Gen<GenTxn> =
    gen {
        let! rw, ro = genLists
        let keys = feePayerKey :: programKey :: rw @ ro
        let n = keys.Length
        let! stackPages = Gen.frequency [ 4, Gen.choose (1, 4); 1, Gen.constant 0 ]
        let! heapPages = Gen.frequency [ 3, Gen.choose (1, 3); 1, Gen.constant 0 ]
        let ownedIdx = keys |> List.indexed |> List.filter (fun (_, k) -> worldState.TryFind k |> Option.exists (fun a -> a.Meta.Owner = programKey)) |> List.map fst
        let! marked = Gen.listOfLength ownedIdx.Length (Gen.frequency [ 3, Gen.constant true; 1, Gen.constant false ])
        let! doSetup = Gen.frequency [ 5, Gen.constant true; 1, Gen.constant false ]

        let setup =
            if not doSetup then []
            else
                [ if stackPages > 0 then ecallWith N.setAnonymousSegmentSz (liConst 10 (int64 (Address.stackBase + 0x100_0000UL - uint64 (stackPages * 4096))))
                  if heapPages > 0 then ecallWith N.setAnonymousSegmentSz (liConst 10 (int64 (Address.heapBase + uint64 (heapPages * 4096))))
                  for i, m in List.zip ownedIdx marked do
                      if m then ecallWith N.setAccountDataWritable (liConst 10 (int64 i)) ]

        let! count = Gen.choose (1, 40)
        let! body = Gen.listOfLength count (genPItem n (count + setup.Length))
        let items = setup @ body
        let count = items.Length
        let! revert = Gen.frequency [ 4, Gen.constant 0L; 1, Gen.constant 1L ]
        let! fallOff = Gen.frequency [ 9, Gen.constant false; 1, Gen.constant true ]
        let tail = if fallOff then [] else liConst 10 3L @ liConst 11 revert @ liConst 17 11L @ [ Full ECALL ]

        // Layout: jal over the table, the table of x1..x31, the loads, the body, the exit.
        let bodyOffset = 0x180
        let offsets = items |> List.scan (fun o i -> o + pItemSize i) bodyOffset |> Array.ofList
        let rel i t = int64 (offsets[min t count] - offsets[i])
        let enc (d: Decoded) = (Encode.toBytes d).Value

        let bodyBytes =
            items
            |> List.mapi (fun i item ->
                match item with
                | PFixed ds -> ds |> List.map enc |> Array.concat
                | PBranch(op, a, b, t) -> enc (Full(Branch(op, a, b, rel i t)))
                | PJal(rd, t) -> enc (Full(JAL(rd, rel i t)))
                | PRaw b -> b)
            |> Array.concat

        let code = Array.zeroCreate<byte> bodyOffset
        let tailBytes = tail |> List.map enc |> Array.concat
        let programLength = bodyOffset + bodyBytes.Length + tailBytes.Length + 8
        let! instr = Gen.arrayOfLength 40 (Gen.choose (0, 255) |> Gen.map byte)
        let txnLength = Transaction.headerSize + 32 * (n - 2) + instr.Length + 64

        let w =
            { Keys = keys
              ProgramLength = programLength
              TxnLength = txnLength
              StackPages = (if doSetup then stackPages else 0)
              HeapPages = (if doSetup then heapPages else 0) }

        let! regs =
            Gen.sequenceToList
                [ for r in 1..31 ->
                      if List.contains r writeRegs then Gen.frequency [ 8, writablePointerOf w; 1, edgePointer w; 1, readablePointer w ]
                      elif List.contains r readRegs then Gen.frequency [ 8, readablePointer w; 2, edgePointer w ]
                      else Gen.frequency [ 2, readablePointer w; 1, edgeValue ] ]

        (enc (Full(JAL(0, 0x100L)))).CopyTo(code, 0)
        regs |> List.iteri (fun i v -> System.BitConverter.GetBytes(v: uint64).CopyTo(code, 8 + 8 * i))
        let loads = Full(AUIPC(31, 0u)) :: [ for r in 1..31 -> Full(Load(LD, r, 31, int64 (8 + 8 * (r - 1) - 0x100))) ]
        loads |> List.fold (fun (off: int) d -> (enc d).CopyTo(code, off); off + 4) 0x100 |> ignore
        let image = Executable.build (Array.concat [ code; bodyBytes; tailBytes ])
        let! cu, su, mu, flags = genBudgets
        let! cu = Gen.frequency [ 4, Gen.constant (min cu 40_000u); 1, Gen.choose (0, 3000) |> Gen.map uint32 ]
        // Sometimes a pool just large enough for the stack and heap: the first copy-on-write page exhausts it.
        let setupPages = uint16 (w.StackPages + w.HeapPages)
        let! mu = Gen.frequency [ 5, Gen.constant mu; 1, Gen.constant setupPages ]
        let env = worldEnvironment verifier
        let env = { env with State = env.State.Add(programKey, programAccount image) }
        let h = { header feePayerKey programKey with ComputeUnits = cu; StateUnits = su; MemoryUnits = mu; Flags = flags }
        let txBody = Transaction.body h rw ro instr None None
        return { Env = env; Wire = signWire verifier feePayerKey txBody; Verifier = verifier; Label = "program" }
    }

// ---------------------------------------------------------------------------------------
// Malformed and pre-execution-failing transactions.
// ---------------------------------------------------------------------------------------

let private exitProbe = probe [ call N.exit [ 0UL; 0UL ] 0 ] [||]

let private feePayerProof (payer: Pubkey) (slot: uint64) = StateProof.serialize (StateProof.prove trie payer slot)

let private updatingProofBytes () =
    let p = StateProof.prove trie payerInTrie 1000UL
    StateProof.serialize { p with Body = StateProof.Updating(Array.zeroCreate 32) }

/// One damaged or refused transaction.
let genBadTxn (verifier: string) : Gen<GenTxn> =
    gen {
        let! rw, ro = genLists
        let! cu, su, mu, flags = genBudgets
        let h = { header feePayerKey programKey with ComputeUnits = cu; StateUnits = su; MemoryUnits = mu; Flags = flags }
        let env = worldEnvironment verifier
        let signed (h: Transaction.Header) rw ro proof meta = signWire verifier h.FeePayer (Transaction.body h rw ro exitProbe proof meta)
        let good = signed h rw ro None None

        let! kind = Gen.choose (0, 15)

        let! env, wire =
            match kind with
            | 0 -> Gen.map2 (fun (i: int) (b: int) -> env, Array.updateAt (i % good.Length) (byte b) good) (Gen.choose (0, 200)) (Gen.choose (0, 255))
            | 1 -> Gen.map (fun (n: int) -> env, good[.. (n % good.Length)]) (Gen.choose (0, 100000))
            | 2 -> Gen.map (fun (n: int) -> env, Array.append good (Array.create n 0xAAuy)) (Gen.choose (1, 300))
            | 3 ->
                Gen.elements
                    [ env, signed { h with Version = 2uy } rw ro None None
                      env, signed { h with Flags = 0x04uy } rw ro None None
                      env, signed { h with ChainId = 0us } rw ro None None
                      env, signed { h with Nonce = 1UL } rw ro None None
                      env, signed { h with StartSlot = 1001UL } rw ro None None
                      env, signed { h with StartSlot = 900UL; ExpiryAfter = 100u } rw ro None None
                      env, signed { h with StartSlot = System.UInt64.MaxValue - 3UL; ExpiryAfter = 100u } rw ro None None
                      env, signed { h with StartSlot = 0UL; ExpiryAfter = System.UInt32.MaxValue } rw ro None None
                      env, signed { h with Fee = 1_000_001UL } rw ro None None
                      env, signed { h with Fee = 1_000_000UL } rw ro None None
                      env, signed { h with Program = acctData } rw ro None None
                      env, signed { h with Program = brokenProgram } rw ro None None
                      env, signed { h with Program = missing } rw ro None None
                      env, signed { h with Program = exeData } rw ro None None
                      env, signed { h with Program = feePayerKey } rw ro None None
                      env, signed { h with FeePayer = foreign } rw ro None None
                      env, signed { h with FeePayer = missing } rw ro None None ]
            | 4 ->
                // Account lists out of order, repeated, overlapping, or naming the fee payer or the program.
                Gen.elements
                    [ env, signed h (List.rev (sortKeys [ acctData; acctBig; foreign ])) [] None None
                      env, signed h [ acctData; acctData ] [] None None
                      env, signed h [] (List.rev (sortKeys [ acctData; acctBig ])) None None
                      env, signed h [] [ foreign; foreign ] None None
                      env, signed h [ acctData ] [ acctData ] None None
                      env, signed h (sortKeys [ acctData; feePayerKey ]) [] None None
                      env, signed h [] [ programKey ] None None
                      env, signed h (sortKeys [ acctBig; acctData ]) (sortKeys [ acctBig; foreign ]) None None ]
            | 5 | 6 | 7 ->
                // A fee payer that is not in the state, restored or created from an attached proof.
                let hp payer = { h with FeePayer = payer; Flags = flags ||| Transaction.flagHasFeePayerProof; Nonce = (if payer = payerInTrie then 2UL else 0UL); Fee = 3UL }
                let record (m: AccountMeta) = Some(metaRecord m)

                Gen.elements
                    [ env, signed (hp payerInTrie) rw ro (Some(feePayerProof payerInTrie 1000UL)) (record payerRecord.Meta)
                      env, signed (hp payerInTrie) rw ro (Some(feePayerProof payerInTrie 990UL)) (record payerRecord.Meta)
                      env, signed (hp payerInTrie) rw ro (Some(feePayerProof payerInTrie 1001UL)) (record payerRecord.Meta)
                      env, signed (hp payerInTrie) rw ro (Some(feePayerProof payerInTrie 300UL)) (record payerRecord.Meta)
                      env, signed (hp payerInTrie) rw ro (Some(feePayerProof payerInTrie 1000UL)) (record { payerRecord.Meta with Balance = 1UL })
                      env, signed (hp payerInTrie) rw ro (Some(feePayerProof payerInTrie 1000UL)) (record { payerRecord.Meta with DataSize = 3u })
                      env, signed (hp payerInTrie) rw ro (Some(feePayerProof payerInTrie 1000UL)) (record { payerRecord.Meta with Owner = programKey })
                      env, signed (hp payerInTrie) rw ro (Some(feePayerProof payerInTrie 1000UL)) (record { payerRecord.Meta with Flags = AccountFlags.deleted })
                      env, signed { hp payerInTrie with Nonce = 0UL } rw ro (Some(feePayerProof payerInTrie 1000UL)) (record payerRecord.Meta)
                      env, signed (hp payerAbsent) rw ro (Some(feePayerProof payerAbsent 1000UL)) None
                      env, signed { hp payerAbsent with Fee = 0UL } rw ro (Some(feePayerProof payerAbsent 1000UL)) None
                      env, signed { hp payerAbsent with Fee = 0UL } rw ro (Some(corrupt (feePayerProof payerAbsent 1000UL))) None
                      env, signed { hp payerAbsent with Fee = 0UL } rw ro (Some(feePayerProof payerInTrie 1000UL)) (record payerRecord.Meta)
                      env, signed { hp payerAbsent with Flags = flags } rw ro None None
                      env, signed { hp payerInTrie with Flags = flags } rw ro None None
                      env, signed { hp feePayerKey with Nonce = 0UL } rw ro (Some(feePayerProof payerAbsent 1000UL)) None
                      env, signed { hp payerInTrie with Fee = 0UL } rw ro (Some(updatingProofBytes ())) None
                      env, signed { hp payerInTrie with Fee = 0UL } rw ro (Some(Array.append (feePayerProof payerAbsent 1000UL) [| 1uy |])) None
                      { env with Blocks = [ List.head env.Blocks ] }, signed { hp payerAbsent with Fee = 0UL } rw ro (Some(feePayerProof payerAbsent 995UL)) None ]
            | 8 ->
                // Proof bytes whose header announces another type or length (format checks).
                Gen.map2
                    (fun (t: int) (extra: int) ->
                        let p = feePayerProof payerAbsent 1000UL
                        let p = Array.updateAt 7 ((p[7] &&& 0x3Fuy) ||| byte (t <<< 6)) p
                        let p = if extra >= 0 then Array.append p (Array.zeroCreate extra) else p[.. p.Length + extra - 1]
                        let body = Transaction.body { h with FeePayer = payerAbsent; Flags = 1uy; Fee = 0UL } rw ro exitProbe (Some p) None
                        env, signWire verifier payerAbsent body)
                    (Gen.choose (0, 3))
                    (Gen.elements [ -40; -32; -1; 0; 0; 1; 32; 64; 100 ])
            | 9 -> Gen.constant (env, Array.append (Array.sub good 0 (good.Length - 64)) (Array.create 64 0x11uy))
            | 10 ->
                // A fee payer owned by a program, or with a different balance or nonce.
                Gen.elements
                    [ { env with State = env.State.Add(feePayerKey, owned 1000UL [||]) }, good
                      { env with State = env.State.Add(feePayerKey, { Account.create Pubkey.zero 10UL [||] with Meta = { (Account.create Pubkey.zero 10UL [||]).Meta with Nonce = 0UL } }) }, good
                      { env with State = env.State.Add(feePayerKey, Account.create Pubkey.zero 9UL [| 1uy; 2uy |]) }, good
                      { env with State = env.State.Add(feePayerKey, { Account.create Pubkey.zero 50UL [||] with Meta = { (Account.create Pubkey.zero 50UL [||]).Meta with Nonce = 5UL; Seq = 9UL; Flags = AccountFlags.newlyCreated } }) }, signed { h with Nonce = 5UL } rw ro None None ]
            | 11 ->
                // The program account in other shapes.
                let withProgram (a: Account) = { env with State = env.State.Add(programKey, a) }

                Gen.elements
                    [ withProgram (programAccount (Executable.build [||])), good
                      withProgram (programAccount [| 1uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 1uy |]), good
                      withProgram (programAccount (Array.append [| 1uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 1uy |] (Array.zeroCreate 8))), good
                      withProgram (programAccount [| 0x7Fuy; byte 'E'; byte 'L'; byte 'F'; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy |]), good
                      withProgram { programAccount prober with Meta = { (programAccount prober).Meta with Flags = 0uy } }, good
                      withProgram (programAccount (Executable.build [| 0x13uy; 0uy |])), good
                      withProgram (programAccount (Executable.build [| 0x73uy; 0uy; 0uy |])), good ]
            | 12 ->
                // Instruction data that the prober misreads: too short, random, huge record counts.
                Gen.map
                    (fun (instr: byte[]) -> env, signWire verifier feePayerKey (Transaction.body h rw ro instr None None))
                    (Gen.oneof
                        [ Gen.arrayOfLength 3 (Gen.choose (0, 255) |> Gen.map byte)
                          Gen.arrayOfLength 100 (Gen.choose (0, 255) |> Gen.map byte)
                          Gen.constant (Array.append (Bits.toLE 8 1000UL) (Array.zeroCreate 100)) ])
            | _ -> Gen.constant (env, good)

        return { Env = env; Wire = wire; Verifier = verifier; Label = sprintf "bad-%d" kind }
    }

