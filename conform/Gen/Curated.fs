/// The curated part of the corpus: targeted fixtures for each coverage item of issue 13 §2 that
/// random generation reaches rarely or never: every syscall with every return code it can produce
/// (the rows of tests/Thru.Tests/Engine/ThruEngineTests.fs, re-created here), compute units running
/// out at each syscall, every fault kind in every segment type, the transaction checks, budgets at
/// instruction and syscall boundaries, invoke depth and authorization, copy-on-write, events, nested
/// reverts, and each decision that changes an outcome.
module Thru.Conform.Gen.Curated

open Thru.Model
open Thru.Model.Isa
open Thru.Model.Memory
open Thru.Model.Runtime
open Thru.Compare.Conformance
open Thru.Conform
open Thru.Conform.Gen.Generators
open Thru.Conform.Gen.Harness
open Thru.Conform.Gen.TxnGen

module N = Codes.SyscallNumber
module C = Codes.Syscall

let verifier = "sha256-binding"

/// The shared world of the generated transactions: the world the stored inputs name.
let basis (verifier: string) : TxnInput = Build.txnInput verifier (worldEnvironment verifier) [||]

let ofGen (g: GenTxn) : TxnInput = Build.txnInput g.Verifier g.Env g.Wire

let txnCase (id: string) (category: string) (description: string) (g: GenTxn) =
    Build.TxnCase(id, category, description, ofGen g, basis g.Verifier)

/// A name usable in an id: lower case, spaces and punctuation as dashes.
let slug (s: string) =
    let chars = s.ToLowerInvariant() |> Seq.map (fun c -> if System.Char.IsLetterOrDigit c || c = '.' then c else '-') |> Array.ofSeq
    (System.String chars).Replace("--", "-").Trim('-')

// ---------------------------------------------------------------------------------------
// Every syscall return code.
// ---------------------------------------------------------------------------------------

/// One row: read-write and read-only keys, the probe (given the index of a key), a header change.
type private Row =
    { Name: string
      Rw: Pubkey list
      Ro: Pubkey list
      Probe: (Pubkey -> uint64) -> ProbeTree
      Header: Transaction.Header -> Transaction.Header }

let private row name rw ro probe = { Name = name; Rw = sortKeys rw; Ro = sortKeys ro; Probe = probe; Header = id }
let private withHeader f r = { r with Header = f }
let private one (n: uint64) (args: Arg list) = leaf [ pc n args ]
let private lits xs = xs |> List.map Lit
let private std name = Std(name, 0UL)
let private size name = Lit(uint64 (blobSize name))
let private seed0 = seedWords seeds[0] |> List.map Lit
let private stackTop = Address.stackBase + 0x100_0000UL
let private mayCompress (h: Transaction.Header) = { h with Flags = Transaction.flagMayCompressAccount }
let private mu n (h: Transaction.Header) = { h with MemoryUnits = n }
let private su n (h: Transaction.Header) = { h with StateUnits = n }
let private bigCu (h: Transaction.Header) = { h with ComputeUnits = 40_000_000u }
let private nestedA1 (inner: ProbeTree) = invokeOf 1UL (resultA1 ||| withStack) inner []

let private rows: Row list =
    [ // 0x00 set_anonymous_segment_sz
      row "0x00 stack page" [] [] (fun _ -> one N.setAnonymousSegmentSz [ Lit(stackTop - 0x1000UL) ])
      row "0x00 heap" [] [] (fun _ -> one N.setAnonymousSegmentSz [ Lit(Address.heapBase + 0x2000UL) ])
      row "0x00 size 0" [] [] (fun _ -> one N.setAnonymousSegmentSz [ Lit stackTop ])
      row "0x00 not anonymous" [] [] (fun _ -> one N.setAnonymousSegmentSz [ Lit(Address.accountDataBase 0) ])
      row "0x00 heap index 1" [] [] (fun _ -> one N.setAnonymousSegmentSz [ Lit(Address.compose 0x07 1 0u) ])
      row "0x00 not a page multiple" [] [] (fun _ -> one N.setAnonymousSegmentSz [ Lit(Address.heapBase + 0x800UL) ])
      row "0x00 pool" [] [] (fun _ -> one N.setAnonymousSegmentSz [ Lit(Address.heapBase + 0x2000UL) ]) |> withHeader (mu 1us)
      row "0x00 unfreeable" [] [] (fun _ -> nestedA1 (one N.setAnonymousSegmentSz [ Lit stackTop ]))
      // 0x01 increment_anonymous_segment_sz
      row "0x01 grow" [] [] (fun _ -> one N.incrementAnonymousSegmentSz (lits [ Address.heapBase; 0x3000UL ]))
      row "0x01 boundary" [] [] (fun _ -> leaf [ { pc N.incrementAnonymousSegmentSz (lits [ Address.heapBase; 0x3000UL ]) with Flags = resultA1 } ])
      row "0x01 stack boundary" [] [] (fun _ -> leaf [ { pc N.incrementAnonymousSegmentSz (lits [ Address.stackBase + 0xFFFFF0UL; 0x2000UL ]) with Flags = resultA1 } ])
      row "0x01 not anonymous" [] [] (fun _ -> one N.incrementAnonymousSegmentSz (lits [ Address.txnDataBase; 0x1000UL ]))
      row "0x01 odd delta" [] [] (fun _ -> one N.incrementAnonymousSegmentSz (lits [ Address.heapBase; 100UL ]))
      row "0x01 below zero" [] [] (fun _ -> one N.incrementAnonymousSegmentSz (lits [ Address.heapBase; uint64 -4096L ]))
      row "0x01 pool" [] [] (fun _ -> one N.incrementAnonymousSegmentSz (lits [ Address.heapBase; 0x2000UL ])) |> withHeader (mu 1us)
      row "0x01 unfreeable" [] [] (fun _ -> nestedA1 (one N.incrementAnonymousSegmentSz (lits [ Address.stackBase + 0xFFF000UL; uint64 -4096L ])))
      // 0x02 set_account_data_writable
      row "0x02 success" [ acctData ] [] (fun i -> one N.setAccountDataWritable [ Lit(i acctData) ])
      row "0x02 bad index" [ acctData ] [] (fun _ -> one N.setAccountDataWritable [ Lit 3UL ])
      row "0x02 missing" [ missing ] [] (fun i -> one N.setAccountDataWritable [ Lit(i missing) ])
      row "0x02 read-only" [] [ acctData ] (fun i -> one N.setAccountDataWritable [ Lit(i acctData) ])
      row "0x02 foreign" [ foreign ] [] (fun i -> one N.setAccountDataWritable [ Lit(i foreign) ])
      row "0x02 the program" [] [] (fun _ -> one N.setAccountDataWritable [ Lit 1UL ])
      // 0x03 account_transfer
      row "0x03 success" [ acctData; foreign ] [] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit(i foreign); Lit 200UL ])
      row "0x03 to itself" [ acctData ] [] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit(i acctData); Lit 1000UL ])
      row "0x03 bad index" [ acctData ] [] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit 9UL; Lit 1UL ])
      row "0x03 missing" [ acctData; missing ] [] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit(i missing); Lit 1UL ])
      row "0x03 from not owned" [ acctData; foreign ] [] (fun i -> one N.accountTransfer [ Lit(i foreign); Lit(i acctData); Lit 1UL ])
      row "0x03 to read-only" [ acctData ] [ foreign ] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit(i foreign); Lit 1UL ])
      row "0x03 ephemeral" [ acctData; acctEphemeral ] [] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit(i acctEphemeral); Lit 1UL ])
      row "0x03 insufficient" [ acctData; foreign ] [] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit(i foreign); Lit 1001UL ])
      row "0x03 overflow" [ acctData; acctRich ] [] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit(i acctRich); Lit 6UL ])
      // 0x04 account_create
      let create k proof = one N.accountCreate ([ Lit k ] @ seed0 @ [ std proof; size proof ])
      row "0x04 success" [ derived 0 ] [] (fun i -> create (i (derived 0)) "proof-derived0")
      row "0x04 bad index" [ derived 0 ] [] (fun _ -> create 3UL "proof-derived0")
      row "0x04 read-only" [] [ derived 0 ] (fun i -> create (i (derived 0)) "proof-derived0")
      row "0x04 exists" [ derived 0 ] [] (fun i -> { (create (i (derived 0)) "proof-derived0") with Calls = (create (i (derived 0)) "proof-derived0").Calls @ (create (i (derived 0)) "proof-derived0").Calls })
      row "0x04 wrong address" [ derived 1 ] [] (fun i -> create (i (derived 1)) "proof-derived0")
      row "0x04 bad proof pointer" [ derived 0 ] [] (fun i -> one N.accountCreate ([ Lit(i (derived 0)) ] @ seed0 @ [ Lit 0xdeadUL; Lit 200UL ]))
      row "0x04 proof length" [ derived 0 ] [] (fun i -> one N.accountCreate ([ Lit(i (derived 0)) ] @ seed0 @ [ std "proof-derived0"; Lit(uint64 (blobSize "proof-derived0" - 32)) ]))
      row "0x04 future slot" [ derived 0 ] [] (fun i -> create (i (derived 0)) "proof-future")
      row "0x04 old slot" [ derived 0 ] [] (fun i -> create (i (derived 0)) "proof-old")
      row "0x04 proof off the key's path" [ derived 0 ] [] (fun i -> create (i (derived 0)) "proof-off-derived0")
      row "0x04 state units" [ derived 0 ] [] (fun i -> create (i (derived 0)) "proof-derived0") |> withHeader (su 0us)
      row "0x04 ephemeral creator" [ proberEphemeral; derivedByEphemeral ] [] (fun i -> invokeOf (i proberEphemeral) resultA1 (create (i derivedByEphemeral) "proof-derived0") [])
      // 0x05 account_create_ephemeral
      let ephemeral k = one N.accountCreateEphemeral ([ Lit k ] @ seed0)
      row "0x05 success" [ derivedEphemeral 0 ] [] (fun i -> ephemeral (i (derivedEphemeral 0)))
      row "0x05 bad index" [ derivedEphemeral 0 ] [] (fun _ -> ephemeral 3UL)
      row "0x05 read-only" [] [ derivedEphemeral 0 ] (fun i -> ephemeral (i (derivedEphemeral 0)))
      row "0x05 exists" [ derivedEphemeral 0 ] [] (fun i -> { Calls = (ephemeral (i (derivedEphemeral 0))).Calls @ (ephemeral (i (derivedEphemeral 0))).Calls; Nested = [] })
      row "0x05 wrong address" [ derived 0 ] [] (fun i -> ephemeral (i (derived 0)))
      // 0x06 account_delete
      row "0x06 success" [ acctEmpty ] [] (fun i -> one N.accountDelete [ Lit(i acctEmpty); Lit 0UL ])
      row "0x06 with signature" [ acctEmpty ] [] (fun i -> one N.accountDelete [ Lit(i acctEmpty); std "sig-delete-empty" ])
      row "0x06 bad index" [ acctEmpty ] [] (fun _ -> one N.accountDelete [ Lit 5UL; Lit 0UL ])
      row "0x06 missing" [ missing ] [] (fun i -> one N.accountDelete [ Lit(i missing); Lit 0UL ])
      row "0x06 read-only" [] [ acctEmpty ] (fun i -> one N.accountDelete [ Lit(i acctEmpty); Lit 0UL ])
      row "0x06 balance" [ acctData ] [] (fun i -> one N.accountDelete [ Lit(i acctData); Lit 0UL ])
      row "0x06 signature pointer" [ acctEmpty ] [] (fun i -> one N.accountDelete [ Lit(i acctEmpty); Lit 0xdeadUL ])
      row "0x06 bad signature" [ acctEmpty ] [] (fun i -> one N.accountDelete [ Lit(i acctEmpty); std "sig-bad" ])
      // 0x07 account_resize
      row "0x07 grow" [ acctData ] [] (fun i -> one N.accountResize [ Lit(i acctData); Lit 5000UL ])
      row "0x07 shrink" [ acctBig ] [] (fun i -> one N.accountResize [ Lit(i acctBig); Lit 1UL ])
      row "0x07 bad index" [ acctData ] [] (fun _ -> one N.accountResize [ Lit 3UL; Lit 8UL ])
      row "0x07 missing" [ missing ] [] (fun i -> one N.accountResize [ Lit(i missing); Lit 8UL ])
      row "0x07 foreign" [ foreign ] [] (fun i -> one N.accountResize [ Lit(i foreign); Lit 8UL ])
      row "0x07 read-only" [] [ acctData ] (fun i -> one N.accountResize [ Lit(i acctData); Lit 8UL ])
      row "0x07 too big" [ acctData ] [] (fun i -> one N.accountResize [ Lit(i acctData); Lit 0x100_0001UL ])
      row "0x07 pool" [ acctData ] [] (fun i -> one N.accountResize [ Lit(i acctData); Lit 8192UL ]) |> withHeader (mu 0us)
      row "0x07 state units" [ acctData ] [] (fun i -> one N.accountResize [ Lit(i acctData); Lit 8192UL ]) |> withHeader (su 0us)
      // 0x08 account_compress
      let compress k proof = one N.accountCompress [ Lit k; std proof; size proof ]
      row "0x08 success" [ acctData ] [] (fun i -> compress (i acctData) "proof-data") |> withHeader mayCompress
      row "0x08 updating proof" [ trieAcct ] [] (fun i -> compress (i trieAcct) "proof-trie-updating") |> withHeader mayCompress
      row "0x08 bad index" [ acctData ] [] (fun _ -> compress 3UL "proof-data") |> withHeader mayCompress
      row "0x08 missing" [ missing ] [] (fun i -> compress (i missing) "proof-data") |> withHeader mayCompress
      row "0x08 read-only" [] [ acctData ] (fun i -> compress (i acctData) "proof-data") |> withHeader mayCompress
      row "0x08 twice" [ acctData; acctBig ] [] (fun i -> { Calls = (compress (i acctData) "proof-data").Calls @ (compress (i acctBig) "proof-big").Calls; Nested = [] }) |> withHeader mayCompress
      row "0x08 not allowed" [ acctData ] [] (fun i -> compress (i acctData) "proof-data")
      row "0x08 uncompressable" [ acctUncompressable ] [] (fun i -> compress (i acctUncompressable) "proof-data") |> withHeader mayCompress
      row "0x08 proof length" [ acctData ] [] (fun i -> one N.accountCompress [ Lit(i acctData); std "proof-data"; Lit 20UL ]) |> withHeader mayCompress
      row "0x08 wrong proof" [ acctData ] [] (fun i -> compress (i acctData) "proof-big") |> withHeader mayCompress
      row "0x08 ephemeral: deleted" [ acctEphemeral ] [] (fun i -> compress (i acctEphemeral) "proof-data") |> withHeader mayCompress
      row "0x08 in the call stack" [ proberSelf ] [] (fun i -> invokeOf (i proberSelf) resultA1 (compress (i proberSelf) "proof-data") []) |> withHeader mayCompress
      // 0x09 account_decompress
      let decompress k meta proof = one N.accountDecompress [ Lit k; std meta; std "data-restored"; std proof; size proof ]
      row "0x09 success" [ restoredKey ] [] (fun i -> decompress (i restoredKey) "meta-restored" "proof-restored")
      row "0x09 compressed" [ compressedAcct ] [] (fun i -> decompress (i compressedAcct) "meta-restored" "proof-compressed")
      row "0x09 bad index" [ restoredKey ] [] (fun _ -> decompress 3UL "meta-restored" "proof-restored")
      row "0x09 read-only" [] [ restoredKey ] (fun i -> decompress (i restoredKey) "meta-restored" "proof-restored")
      row "0x09 live" [ acctData ] [] (fun i -> decompress (i acctData) "meta-restored" "proof-restored")
      row "0x09 meta pointer" [ restoredKey ] [] (fun i -> one N.accountDecompress [ Lit(i restoredKey); Lit 0xdeadUL; std "data-restored"; std "proof-restored"; size "proof-restored" ])
      row "0x09 data size" [ restoredKey ] [] (fun i -> decompress (i restoredKey) "meta-huge" "proof-restored") |> withHeader bigCu
      row "0x09 proof length" [ restoredKey ] [] (fun i -> one N.accountDecompress [ Lit(i restoredKey); std "meta-restored"; std "data-restored"; std "proof-restored"; Lit 50UL ])
      row "0x09 tampered" [ restoredKey ] [] (fun i -> decompress (i restoredKey) "meta-bad" "proof-restored")
      row "0x09 pool" [ restoredKey ] [] (fun i -> decompress (i restoredKey) "meta-restored" "proof-restored") |> withHeader (mu 0us)
      // 0x0A invoke
      row "0x0A exit code in a1" [] [] (fun _ -> invokeOf 1UL resultA1 (one N.exit (lits [ 42UL; 0UL ])) [])
      row "0x0A success" [] [] (fun _ -> invokeOf 1UL 0 (one N.exit (lits [ 42UL; 0UL ])) [])
      row "0x0A bad index" [] [] (fun _ -> one N.invoke (lits [ Address.txnDataBase; 0UL; 5UL; 0UL ]))
      row "0x0A missing" [] [ missing ] (fun i -> one N.invoke (lits [ Address.txnDataBase; 0UL; i missing; 0UL ]))
      row "0x0A not a program" [] [ acctData ] (fun i -> one N.invoke (lits [ Address.txnDataBase; 0UL; i acctData; 0UL ]))
      row "0x0A invalid image" [] [ brokenProgram ] (fun i -> one N.invoke (lits [ Address.txnDataBase; 0UL; i brokenProgram; 0UL ]))
      row "0x0A too deep" [] [] (fun _ -> (let rec chain d = if d = 16 then one N.invoke (lits [ Address.txnDataBase; 0UL; 1UL; 0UL ]) else invokeOf 1UL resultA1 (chain (d + 1)) [] in chain 1))
      // 0x0B exit
      row "0x0B revert" [ acctData; foreign ] [] (fun i -> leaf [ pc N.accountTransfer [ Lit(i acctData); Lit(i foreign); Lit 200UL ]; pc N.exit (lits [ 77UL; 1UL ]) ])
      row "0x0B revert in a callee" [] [] (fun _ -> invokeOf 1UL resultA1 (one N.exit (lits [ 5UL; 1UL ])) [])
      row "0x0B code" [] [] (fun _ -> one N.exit (lits [ 5UL; 0UL ]))
      // 0x0C log
      row "0x0C success" [] [] (fun _ -> one N.log [ std "text"; Lit 11UL ])
      row "0x0C 1024 bytes" [] [] (fun _ -> one N.log [ std "text"; Lit 1024UL ])
      row "0x0C too large" [] [] (fun _ -> one N.log [ std "text"; Lit 1025UL ])
      row "0x0C bad address" [] [] (fun _ -> one N.log (lits [ 0xdeadUL; 4UL ]))
      row "0x0C past the transaction" [] [] (fun _ -> one N.log (lits [ Address.txnDataBase + 32000UL; 1000UL ]))
      // 0x0D emit_event
      row "0x0D success" [] [] (fun _ -> leaf [ pc N.emitEvent [ std "text"; Lit 3UL ]; pc N.emitEvent [ Std("text", 3UL); Lit 2UL ] ])
      row "0x0D zero size" [] [] (fun _ -> one N.emitEvent [ std "text"; Lit 0UL ])
      row "0x0D too large" [] [] (fun _ -> one N.emitEvent [ std "text"; Lit 0x100_0001UL ]) |> withHeader bigCu
      row "0x0D bad address" [] [] (fun _ -> one N.emitEvent (lits [ 0xdeadUL; 4UL ]))
      row "0x0D pool" [] [] (fun _ -> one N.emitEvent [ std "text"; Lit 4UL ]) |> withHeader (mu 0us)
      // 0x0E account_set_flags
      row "0x0E set PROGRAM" [ exeData ] [] (fun i -> one N.accountSetFlags [ Lit(i exeData); Lit 1UL ])
      row "0x0E bad index" [ exeData ] [] (fun _ -> one N.accountSetFlags [ Lit 3UL; Lit 1UL ])
      row "0x0E missing" [ missing ] [] (fun i -> one N.accountSetFlags [ Lit(i missing); Lit 1UL ])
      row "0x0E read-only" [] [ exeData ] (fun i -> one N.accountSetFlags [ Lit(i exeData); Lit 1UL ])
      row "0x0E other flags" [ exeData ] [] (fun i -> one N.accountSetFlags [ Lit(i exeData); Lit 2UL ])
      row "0x0E not an executable" [ acctData ] [] (fun i -> one N.accountSetFlags [ Lit(i acctData); Lit 1UL ])
      row "0x0E in the call stack" [ proberSelf ] [] (fun i -> invokeOf (i proberSelf) resultA1 (one N.accountSetFlags [ Lit(i proberSelf); Lit 0UL ]) [])
      // 0x0F account_create_eoa
      let eoa k s proof = one N.accountCreateEoa [ Lit k; s; std proof; size proof ]
      row "0x0F success" [ eoaKey ] [] (fun i -> eoa (i eoaKey) (std "sig-eoa") "proof-eoa")
      row "0x0F bad index" [ eoaKey ] [] (fun _ -> eoa 3UL (std "sig-eoa") "proof-eoa")
      row "0x0F read-only" [] [ eoaKey ] (fun i -> eoa (i eoaKey) (std "sig-eoa") "proof-eoa")
      row "0x0F exists" [ acctData ] [] (fun i -> eoa (i acctData) (std "sig-eoa") "proof-eoa")
      row "0x0F signature pointer" [ eoaKey ] [] (fun i -> eoa (i eoaKey) (Lit 0xdeadUL) "proof-eoa")
      row "0x0F bad signature" [ eoaKey ] [] (fun i -> eoa (i eoaKey) (std "sig-bad") "proof-eoa")
      row "0x0F proof length" [ eoaKey ] [] (fun i -> one N.accountCreateEoa [ Lit(i eoaKey); std "sig-eoa"; std "proof-eoa"; Lit 39UL ])
      row "0x0F proof off the key's path" [ eoaKey ] [] (fun i -> eoa (i eoaKey) (std "sig-eoa") "proof-off-eoa")
      // unknown
      row "unknown syscall" [] [] (fun _ -> one 0x10UL []) ]

let private rowTxn (r: Row) (h: Transaction.Header -> Transaction.Header) =
    let keys = feePayerKey :: programKey :: r.Rw @ r.Ro
    let index (k: Pubkey) = uint64 (List.findIndex ((=) k) keys)
    proberTxn verifier r.Rw r.Ro (h (r.Header (header feePayerKey programKey))) (r.Probe index)

/// The syscall rows as cases, and decompression inside the compression cool-down (the chain records
/// that the account was compressed 100 slots ago).
let syscallCases () : Build.Case list =
    let timeout =
        let r = rows |> List.find (fun r -> r.Name = "0x09 compressed")
        let g = rowTxn r id
        { g with Env = { g.Env with Chain = { g.Env.Chain with CompressedAt = Map [ compressedAcct, 900UL ] } } }

    (rows |> List.map (fun r -> txnCase ("syscall/" + slug r.Name) "syscall" (sprintf "syscall row: %s" r.Name) (rowTxn r id)))
    @ [ txnCase "syscall/0x09-compression-timeout" "syscall" "account_decompress 100 slots after the account was compressed (ACCOUNT_IN_COMPRESSION_TIMEOUT)" timeout ]

/// For every syscall with a non-zero cost: the budget that pays for the ecall instruction of its
/// first call and not for the syscall (SIGCU at the syscall boundary).
let cuAtSyscallCases () : Build.Case list =
    [ for n in 0UL .. 15UL do
          if n <> N.exit && n <> N.log then
              let prefix = sprintf "0x%02X " n
              match rows |> List.tryFind (fun r -> r.Name.StartsWith prefix) with
              | None -> ()
              | Some r ->
                  let g = rowTxn r (fun h -> { h with ComputeUnits = 40_000_000u })
                  let _, events = Thru.Model.Trace.txn g.Env g.Wire

                  match events |> List.tryFind (fun e -> e.Syscall |> Option.exists (fun s -> s.Number = n)) with
                  | Some e ->
                      let budget = uint32 (fst e.Cu.Value) + 4u
                      let g = rowTxn r (fun h -> { h with ComputeUnits = budget })
                      txnCase (sprintf "exhaustion/cu-at-syscall-0x%02x" n) "exhaustion" (sprintf "compute units run out at %s: the ecall is paid, the syscall is not" (syscallName n)) g
                  | None -> () ]

// ---------------------------------------------------------------------------------------
// Programs written for one fixture.
// ---------------------------------------------------------------------------------------

/// A transaction running `code` as the program, with `rw` and `ro` listed and `extra` accounts in
/// the world.
let codeTxn (extra: (Pubkey * Account) list) (code: Decoded list) (rw: Pubkey list) (ro: Pubkey list) (h: Transaction.Header -> Transaction.Header) (instr: byte[]) : GenTxn =
    let env = worldEnvironment verifier
    let state = (extra |> List.fold (fun (s: Map<Pubkey, Account>) (k, a) -> s.Add(k, a)) env.State).Add(programKey, programAccount (program code))
    let hdr = h { header feePayerKey programKey with ComputeUnits = 200_000u }
    let body = Transaction.body hdr (sortKeys rw) (sortKeys ro) instr None None
    { Env = { env with State = state }; Wire = signWire verifier feePayerKey body; Verifier = verifier; Label = "code" }

let private exitOk = liConst a0 0L @ liConst a1 0L @ liConst a7 11L @ [ ecall ]
let private exitRevert = liConst a0 9L @ liConst a1 1L @ liConst a7 11L @ [ ecall ]
let private sys (n: uint64) (args: (int * int64) list) = (args |> List.collect (fun (r, v) -> liConst r v)) @ liConst a7 (int64 n) @ [ ecall ]
let private ldAt (addr: uint64) = liConst t0 (int64 addr) @ [ Full(Load(LD, t1, t0, 0L)) ]
let private sdAt (addr: uint64) = liConst t0 (int64 addr) @ [ Full(Store(SD, t0, t0, 0L)) ]
let private lwAt (addr: uint64) = liConst t0 (int64 addr) @ [ Full(Load(LW, t1, t0, 0L)) ]
let private jumpTo (addr: uint64) = liConst t0 (int64 addr) @ [ Full(JALR(0, t0, 0L)) ]
let private mapStack = sys N.setAnonymousSegmentSz [ a0, int64 (stackTop - 0x1000UL) ]
let private mapHeap = sys N.setAnonymousSegmentSz [ a0, int64 (Address.heapBase + 0x1000UL) ]

/// Accounts of the fault programs: 2 = acctData (owned, 64 bytes, read-write), 3 = foreign (read-only).
let private faultRw, faultRo = [ acctData ], [ foreign ]

/// A callee program for the invoke fixtures (listed read-only at index 3 after acctData).
let private calleeKey = key 90

let private callee (code: Decoded list) = calleeKey, programAccount (program code)

/// A program that executes one instruction, then an all-ones word.
let private illegalProgram () =
    let image = Executable.build (Array.append (Harness.enc [ Full(OpImm(ADDI, t0, 0, 1L)) ]) [| 0xFFuy; 0xFFuy; 0xFFuy; 0xFFuy |])
    let g = codeTxn [] [] [ acctData ] [ foreign ] id [| 1uy; 2uy; 3uy |]
    txnCase "fault/illegal-instruction" "fault" "an all-ones word in the program" { g with Env = { g.Env with State = g.Env.State.Add(programKey, programAccount image) } }

/// Every fault kind in every segment type it can happen in (the default profile: an aligned access
/// never crosses a page, so page-boundary-cross needs the AllowMisaligned switch and is not here).
let faultCases () : Build.Case list =
    let f (name: string) (desc: string) (code: Decoded list) (extra: (Pubkey * Account) list) (ro: Pubkey list) (h: Transaction.Header -> Transaction.Header) =
        txnCase ("fault/" + name) "fault" desc (codeTxn extra (code @ exitOk) faultRw (faultRo @ ro) h [| 1uy; 2uy; 3uy |])

    let dataIdx, metaIdx = 2, 2

    [ f "invalid-address-upper-bits" "a load from an address with bits 63..48 set" (ldAt (1UL <<< 48)) [] [] id
      f "invalid-segment-null" "a load from the NULL segment" (ldAt 8UL) [] [] id
      f "invalid-address-txn-data" "a load past the end of the transaction" (ldAt (Address.txnDataBase + 8192UL)) [] [] id
      f "invalid-address-shadow-stack" "a load past the shadow stack" (ldAt (Address.shadowStackBase + 8192UL)) [] [] id
      f "invalid-address-program" "a load past the end of the program" (ldAt (Address.programBase + 0x10000UL)) [] [] id
      f "invalid-address-block-context" "a load past a block record (offset 128)" (ldAt (Address.blockContextBase + 128UL)) [] [] id
      f "invalid-address-account-meta" "a load at offset 64 of the 62-byte metadata view" (ldAt (Address.accountMetaBase metaIdx + 64UL)) [] [] id
      f "invalid-address-account-data" "a load past the account's 64 bytes of data" (ldAt (Address.accountDataBase dataIdx + 64UL)) [] [] id
      f "invalid-address-stack" "a load from the stack before any page is mapped" (ldAt (stackTop - 8UL)) [] [] id
      f "invalid-address-heap" "a load from the heap before any page is mapped" (ldAt Address.heapBase) [] [] id
      f "invalid-segment-type-01" "a load from segment type 0x01" (ldAt (Address.compose 0x01 0 0u)) [] [] id
      f "invalid-segment-events" "a load from the event segment (0x04), which programs cannot address" (ldAt (Address.compose 0x04 0 0u)) [] [] id
      f "invalid-segment-type-06" "a load from segment type 0x06" (ldAt (Address.compose 0x06 0 0u)) [] [] id
      f "invalid-segment-type-08" "a load from segment type 0x08" (ldAt (Address.compose 0x08 0 0u)) [] [] id
      f "invalid-segment-account-meta-index" "a load from the metadata of account 9 (of 4)" (ldAt (Address.accountMetaBase 9)) [] [] id
      f "invalid-segment-account-data-index" "a load from the data of account 9 (of 4)" (ldAt (Address.accountDataBase 9)) [] [] id
      f "invalid-segment-stack-index" "a load from stack segment index 1" (ldAt (Address.compose 0x05 1 0u)) [] [] id
      f "invalid-segment-read-only-index" "a load from read-only segment index 5" (ldAt (Address.compose 0x00 5 0u)) [] [] id
      f "permission-denied-txn-data" "a store into the transaction" (sdAt Address.txnDataBase) [] [] id
      f "permission-denied-shadow-stack" "a store into the shadow stack" (sdAt Address.shadowStackBase) [] [] id
      f "permission-denied-program" "a store into the program" (sdAt Address.programBase) [] [] id
      f "permission-denied-block-context" "a store into the block context" (sdAt Address.blockContextBase) [] [] id
      f "permission-denied-account-meta" "a store into account metadata" (sdAt (Address.accountMetaBase metaIdx)) [] [] id
      f "permission-denied-account-data-unmarked" "a store into owned account data not marked writable" (sdAt (Address.accountDataBase dataIdx)) [] [] id
      f "permission-denied-account-data-foreign" "a store into a read-only foreign account" (sys N.setAccountDataWritable [ a0, 3L ] @ sdAt (Address.accountDataBase 3)) [] [] id
      f "permission-denied-fetch-stack" "a jump into a mapped stack page (only the program segment is executable)" (mapStack @ jumpTo (stackTop - 0x1000UL)) [] [] id
      f "permission-denied-fetch-account-data" "a jump into account data" (jumpTo (Address.accountDataBase dataIdx)) [] [] id
      f "permission-denied-fetch-txn-data" "a jump into the transaction" (jumpTo Address.txnDataBase) [] [] id
      f "invalid-address-fetch-program" "a jump past the end of the program" (jumpTo (Address.programBase + 0x10000UL)) [] [] id
      f "alignment-txn-data" "a misaligned load from the transaction" (ldAt (Address.txnDataBase + 4UL)) [] [] id
      f "alignment-account-meta" "a misaligned load from metadata" (lwAt (Address.accountMetaBase metaIdx + 2UL)) [] [] id
      f "alignment-account-data" "a misaligned store into marked account data" (sys N.setAccountDataWritable [ a0, int64 dataIdx ] @ sdAt (Address.accountDataBase dataIdx + 4UL)) [] [] id
      f "alignment-stack" "a misaligned store into a mapped stack page" (mapStack @ sdAt (stackTop - 0xFFCUL)) [] [] id
      f "alignment-heap" "a misaligned load from a mapped heap page" (mapHeap @ ldAt (Address.heapBase + 2UL)) [] [] id
      f "alignment-program" "a misaligned load from the program" (ldAt (Address.programBase + 1UL)) [] [] id
      f "resource-exhaustion-account-data" "the first store into an account-data page needs a pool page, and the pool is empty" (sys N.setAccountDataWritable [ a0, int64 dataIdx ] @ sdAt (Address.accountDataBase dataIdx)) [] [] (fun h -> { h with MemoryUnits = 0us })
      illegalProgram ()
      f "breakpoint" "an ebreak" [ Full EBREAK ] [] [] id
      f "unknown-syscall" "an ecall with a7 = 0x10" (sys 0x10UL []) [] [] id
      f "permission-denied-callee-writes-caller-stack" "a callee stores into a stack page its caller mapped (decision D-ANON-WRITE)"
          (mapStack @ sys N.invoke [ a0, int64 Address.txnDataBase; a1, 0L; a2, int64 (3 + List.findIndex ((=) calleeKey) (sortKeys [ foreign; calleeKey ])); a3, 0L ])
          [ callee (sdAt (stackTop - 8UL) @ exitOk) ]
          [ calleeKey ]
          id ]

// ---------------------------------------------------------------------------------------
// Budgets, invoke, copy-on-write, events, reverts.
// ---------------------------------------------------------------------------------------

/// A loop of 4-CU instructions with a load and a store (12 and 12 CU) in it.
let private loopCode =
    mapStack
    @ liConst s1 (int64 (stackTop - 0x800UL)) @ liConst t0 50L
    @ [ Full(OpImm(ADDI, t1, t1, 1L)); Compressed(C_ADDI(t1, 1)); Full(Store(SD, s1, t1, 0L)); Full(Load(LD, t2, s1, 0L)); Full(OpImm(ADDI, t0, t0, -1L)); Full(Branch(BNE, t0, 0, -18L)) ]
    @ exitOk

let budgetCases () : Build.Case list =
    let full = codeTxn [] loopCode [] [] (fun h -> { h with ComputeUnits = 10_000_000u }) [||]
    let r = Execution.execute full.Env full.Wire
    let total = uint32 r.ConsumedComputeUnits

    [ for b in [ 0u; 1u; 3u; 4u; 5u; 600u; 1200u; 1203u; 1210u; total - 20u; total - 5u; total - 1u; total; total + 1u ] do
          yield txnCase (sprintf "exhaustion/cu-budget-%d" b) "exhaustion" (sprintf "a loop of 2-, 4- and 12-CU instructions with a budget of %d CU (the whole run needs %d)" b total)
              (codeTxn [] loopCode [] [] (fun h -> { h with ComputeUnits = b }) [||])
      // Memory units: mapping more stack than the pool holds; a store that needs a copy-on-write page.
      yield txnCase "exhaustion/mu-syscall-stack" "exhaustion" "set_anonymous_segment_sz asks for more pages than the pool holds (INSUFFICIENT_PAGES)"
          (codeTxn [] (sys N.setAnonymousSegmentSz [ a0, int64 (stackTop - 0x3000UL) ] @ liConst a1 0L @ liConst a7 11L @ [ ecall ]) [] [] (fun h -> { h with MemoryUnits = 2us }) [||])
      yield txnCase "exhaustion/mu-instruction-cow" "exhaustion" "the stack takes the only pool page; the first store into account data has none left"
          (codeTxn [] (mapStack @ sys N.setAccountDataWritable [ a0, 2L ] @ sdAt (Address.accountDataBase 2) @ exitOk) [ acctData ] [] (fun h -> { h with MemoryUnits = 1us }) [||])
      yield txnCase "exhaustion/su-resize" "exhaustion" "account_resize grows persistent data with no state units left (SIGSU)"
          (codeTxn [] (sys N.accountResize [ a0, 2L; a1, 65L ] @ exitOk) [ acctData ] [] (fun h -> { h with StateUnits = 0us }) [||]) ]

/// invoke: the depth limit, the authorization descriptor, what a callee may not touch.
let invokeCases () : Build.Case list =
    let rec chain d last = if d = 16 then last else invokeOf 1UL resultA1 (chain (d + 1) last) []
    let frame1Regs = Address.shadowStackBase + uint64 (Memory.Layout.shadowHeaderSize + Memory.Layout.frameSize + 8)
    let rw = sortKeys [ acctData; proberSelf ]
    let idx k = uint64 (2 + List.findIndex ((=) k) rw)

    [ txnCase "invoke/depth-16" "invoke" "a chain of invokes 16 frames deep; the innermost exits with 3"
          (proberTxn verifier [] [] (header feePayerKey programKey) (chain 1 (one N.exit (lits [ 3UL; 0UL ]))))
      txnCase "invoke/depth-16-revert" "invoke" "a chain of invokes 16 frames deep; the innermost reverts"
          (proberTxn verifier [] [] (header feePayerKey programKey) (chain 1 (one N.exit (lits [ 3UL; 1UL ]))))
      txnCase "invoke/authorization-descriptor" "invoke" "the caller passes an authorization descriptor in a3; the callee reads the caller's saved registers (a3 among them) in the shadow stack"
          (proberTxn verifier [] [] (header feePayerKey programKey)
              { Calls = [ { Number = N.invoke; Args = [ NestedAddr 0; NestedLen 0; Lit 1UL; Lit(stackTop - 0xF00UL) ]; Flags = withStack ||| resultA1 } ]
                Nested = [ leaf [ pc N.log [ Lit frame1Regs; Lit 256UL ] ] ] })
      txnCase "invoke/callee-refused-caller-account" "invoke" "a callee (another program) asks to write an account its caller owns: ACCOUNT_NOT_WRITABLE"
          (proberTxn verifier rw [] (header feePayerKey programKey) (invokeOf (idx proberSelf) resultA1 (leaf [ pc N.setAccountDataWritable [ Lit(idx acctData) ] ]) []))
      txnCase "invoke/callee-transfer-from-caller-account" "invoke" "a callee (another program) transfers from an account its caller owns: ACCOUNT_NOT_WRITABLE"
          (proberTxn verifier (sortKeys [ acctData; proberSelf; foreign ]) [] (header feePayerKey programKey)
              (let rw = sortKeys [ acctData; proberSelf; foreign ]
               let i k = uint64 (2 + List.findIndex ((=) k) rw)
               invokeOf (i proberSelf) resultA1 (leaf [ pc N.accountTransfer [ Lit(i acctData); Lit(i foreign); Lit 1UL ] ]) []))
      txnCase "invoke/callee-writes-marked-caller-data" "invoke" "the caller marks its account writable; the callee (another program) stores into it: the mark does not make it the callee's"
          (codeTxn [ callee (sdAt (Address.accountDataBase 2) @ exitOk) ]
              (sys N.setAccountDataWritable [ a0, 2L ] @ sys N.invoke [ a0, int64 Address.txnDataBase; a1, 0L; a2, 3L; a3, 0L ] @ exitOk)
              [ acctData ] [ calleeKey ] id [||]) ]

/// Copy-on-write pages, committed and rolled back.
let cowCases () : Build.Case list =
    let store k = sys N.setAccountDataWritable [ a0, 2L ] @ liConst t0 (int64 (Address.accountDataBase 2 + uint64 k)) @ liConst t1 0x1122334455667788L @ [ Full(Store(SD, t0, t1, 0L)); Full(Load(LD, t2, t0, 0L)) ]

    [ txnCase "cow/store-commit" "cow" "a store into account data copies the page; the transaction commits it"
          (codeTxn [] (store 8 @ exitOk) [ acctData ] [] id [||])
      txnCase "cow/store-revert" "cow" "a store into account data, then a revert: the account is unchanged"
          (codeTxn [] (store 8 @ exitRevert) [ acctData ] [] id [||])
      txnCase "cow/store-fault" "cow" "a store into account data, then a fault: the account is unchanged"
          (codeTxn [] (store 8 @ ldAt 0UL @ exitOk) [ acctData ] [] id [||])
      txnCase "cow/two-pages" "cow" "stores into two pages of a 5000-byte account: two pool pages"
          (codeTxn [] (sys N.setAccountDataWritable [ a0, 2L ] @ sdAt (Address.accountDataBase 2 + 8UL) @ sdAt (Address.accountDataBase 2 + 4096UL) @ exitOk) [ acctBig ] [] id [||])
      txnCase "cow/after-resize" "cow" "resize grows the data (writable without a mark), a store into the new bytes"
          (codeTxn [] (sys N.accountResize [ a0, 2L; a1, 128L ] @ sdAt (Address.accountDataBase 2 + 120UL) @ exitOk) [ acctData ] [] id [||]) ]

/// Events: reported on success, dropped on failure (decision D-REVERT-EVENTS), in callees.
let eventCases () : Build.Case list =
    let emit = pc N.emitEvent [ std "text"; Lit 5UL ]

    [ txnCase "events/success" "events" "two events, then success"
          (proberTxn verifier [] [] (header feePayerKey programKey) (leaf [ emit; pc N.emitEvent [ Std("text", 7UL); Lit 9UL ] ]))
      txnCase "events/revert" "events" "an event, then a revert: no event is reported"
          (proberTxn verifier [] [] (header feePayerKey programKey) (leaf [ emit; pc N.exit (lits [ 4UL; 1UL ]) ]))
      txnCase "events/fault" "events" "an event, then an unknown syscall: no event is reported"
          (proberTxn verifier [] [] (header feePayerKey programKey) (leaf [ emit; pc 0x10UL [] ]))
      txnCase "events/callee" "events" "events from the caller and from a callee (call_idx 0 and 1)"
          (proberTxn verifier [] [] (header feePayerKey programKey) (invokeOf 1UL resultA1 (leaf [ emit ]) [ emit ]))
      txnCase "events/cu-exhausted" "events" "an event, then the compute budget runs out: no event is reported"
          (proberTxn verifier [] [] { header feePayerKey programKey with ComputeUnits = 1500u } (leaf [ emit; emit; emit ])) ]

/// Reverts at every depth, after changes that must be rolled back.
let revertCases () : Build.Case list =
    let rw = sortKeys [ acctData; foreign ]
    let i k = uint64 (2 + List.findIndex ((=) k) rw)
    let transfer = pc N.accountTransfer [ Lit(i acctData); Lit(i foreign); Lit 100UL ]
    let revert code = pc N.exit (lits [ code; 1UL ])
    let h = header feePayerKey programKey

    [ txnCase "revert/depth-1" "revert" "a transfer, then a revert at the top level" (proberTxn verifier rw [] h (leaf [ transfer; revert 11UL ]))
      txnCase "revert/depth-2" "revert" "the caller transfers, the callee reverts: everything rolls back" (proberTxn verifier rw [] h (invokeOf 1UL resultA1 (leaf [ revert 12UL ]) [] |> fun t -> { t with Calls = transfer :: t.Calls }))
      txnCase "revert/depth-3-after-callee-transfer" "revert" "a callee transfers and returns; its own callee reverts"
          (proberTxn verifier rw [] h (invokeOf 1UL resultA1 (invokeOf 1UL resultA1 (leaf [ revert 13UL ]) [] |> fun t -> { t with Calls = transfer :: t.Calls }) []))
      txnCase "revert/caller-after-callee-success" "revert" "a callee transfers and exits normally; then the caller reverts"
          (proberTxn verifier rw [] h (invokeOf 1UL resultA1 (leaf [ transfer ]) [ revert 14UL ]))
      txnCase "revert/depth-16" "revert" "a revert 16 frames deep" (proberTxn verifier rw [] h (let rec c d = if d = 16 then leaf [ transfer; revert 15UL ] else invokeOf 1UL resultA1 (c (d + 1)) [] in c 1)) ]

// ---------------------------------------------------------------------------------------
// Decisions that change an outcome.
// ---------------------------------------------------------------------------------------

let decisionCases () : Build.Case list =
    let withImage (image: byte[]) (g: GenTxn) = { g with Env = { g.Env with State = g.Env.State.Add(programKey, programAccount image) } }
    let run (image: byte[]) = codeTxn [] [] [] [] id [||] |> withImage image
    let code (ds: Decoded list) = Harness.enc ds
    let header8 = [| 1uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy |]
    let proof700 = StateProof.serialize (StateProof.prove trie (derived 0) 700UL)
    let rw = [ derived 0 ]
    let createCalls = [ call N.accountCreate ([ 2UL ] @ seedWords seeds[0] @ [ 0UL; uint64 proof700.Length ]) (ptr 5) ]
    let createCalls = [ call N.accountCreate ([ 2UL ] @ seedWords seeds[0] @ [ payloadAt createCalls 0; uint64 proof700.Length ]) (ptr 5) ]

    let probeWire (h: Transaction.Header) (rw: Pubkey list) (instr: byte[]) =
        { Env = worldEnvironment verifier; Wire = signWire verifier feePayerKey (Transaction.body h rw [] instr None None); Verifier = verifier; Label = "probe" }

    let h = header feePayerKey programKey

    let clmul = (Isa.all () |> List.find (fun c -> c.Mnemonic = "clmul")).Input

    [ Build.RawCase("decision/zbc-clmul", "decision", "clmul executes (D-ZBC; the alternative makes it illegal)", { clmul with Regs = Array.init 32 (fun r -> if r = 11 then 0x8000_0000_0000_0001UL elif r = 12 then 3UL else 0UL) })
      txnCase "decision/trailer-4" "decision" "an image whose last 8 bytes are not all zero but whose last 4 are: invalid under the 8-byte trailer (D-TRAILER)"
          (run (Array.concat [ header8; code (exitOk); [| 1uy; 2uy; 3uy; 4uy; 0uy; 0uy; 0uy; 0uy |] ]))
      txnCase "decision/meta-view" "decision" "the program returns the first 8 bytes of account 0's metadata (D-META-VIEW: no magic in the 62-byte view)"
          (codeTxn [] (ldAt (Address.accountMetaBase 0) @ [ Full(OpImm(ADDI, a0, t1, 0L)) ] @ liConst a1 0L @ liConst a7 11L @ [ ecall ]) [] [] id [||])
      txnCase "decision/align" "decision" "a misaligned load from the transaction faults (D-ALIGN; the alternative lets it through)"
          (codeTxn [] (ldAt (Address.txnDataBase + 4UL) @ exitOk) [] [] id [||])
      txnCase "decision/ephemeral-persists" "decision" "an ephemeral account created by a successful transaction stays in the state (D-EPHEMERAL)"
          (proberTxn verifier [ derivedEphemeral 0 ] [] h (leaf [ pc N.accountCreateEphemeral ([ Lit 2UL ] @ seed0) ]))
      txnCase "decision/proof-window" "decision" "account_create with a proof 300 slots old: beyond the 128 most recent blocks (D-PROOF-WINDOW)"
          (probeWire h rw (probe createCalls proof700))
      txnCase "decision/reserved-bytes" "decision" "a program whose header has a non-zero reserved byte runs (D-RESERVED)"
          (run (Array.concat [ [| 1uy; 0uy; 0uy; 7uy; 0uy; 0uy; 0uy; 0uy |]; code exitOk; Array.zeroCreate 8 ]))
      txnCase "decision/image-min" "decision" "a program with 2 bytes of code (c.nop, then the trailer's illegal parcel) is a valid program (D-IMAGE-MIN)"
          (run (Array.concat [ header8; code [ Compressed(C_NOP 0) ]; Array.zeroCreate 8 ]))
      txnCase "decision/su-small-growth" "decision" "resize by one byte with no state units: SIGSU, since any growth costs a unit (D-SU)"
          (codeTxn [] (sys N.accountResize [ a0, 2L; a1, 65L ] @ exitOk) [ acctData ] [] (fun h -> { h with StateUnits = 0us }) [||]) ]

/// Transactions refused at validation or pre-execution: every variant of the bad-transaction
/// generator, drawn with fixed seeds.
let checkCases (count: int) : Build.Case list =
    [ for k in 0 .. count - 1 do
          let g = (sampleSeeded (uint64 (1000 + k)) 1 (genBadTxn verifier))[0]
          txnCase (sprintf "txn-check/%03d" k) "txn-check" (sprintf "a malformed or refused transaction (%s)" g.Label) g ]

/// Each header field a validation or pre-execution check reads, set wrong (the same variants as the
/// bad-transaction generator, listed so that each one is in the corpus).
let headerCases () : Build.Case list =
    let exitProbe = probe [ call N.exit [ 0UL; 0UL ] 0 ] [||]
    let h = header feePayerKey programKey
    let signed (h: Transaction.Header) = { Env = worldEnvironment verifier; Wire = signWire verifier h.FeePayer (Transaction.body h [] [] exitProbe None None); Verifier = verifier; Label = "header" }

    [ "version-2", { h with Version = 2uy }
      "undefined-flag", { h with Flags = 0x04uy }
      "chain-id-0", { h with ChainId = 0us }
      "other-chain", { h with ChainId = 7us }
      "nonce-high", { h with Nonce = 1UL }
      "not-live-yet", { h with StartSlot = 1001UL }
      "expired", { h with StartSlot = 900UL; ExpiryAfter = 100u }
      "expiry-saturates", { h with StartSlot = System.UInt64.MaxValue - 3UL; ExpiryAfter = 100u }
      "fee-too-high", { h with Fee = 1_000_001UL }
      "fee-whole-balance", { h with Fee = 1_000_000UL }
      "program-not-a-program", { h with Program = acctData }
      "program-missing", { h with Program = missing }
      "program-is-fee-payer", { h with Program = feePayerKey }
      "fee-payer-foreign-owner", { h with FeePayer = foreign }
      "fee-payer-missing", { h with FeePayer = missing } ]
    |> List.map (fun (n, h) -> txnCase ("txn-check/header-" + n) "txn-check" (sprintf "a transaction whose header is wrong: %s" n) (signed h))

/// The ISA cases as raw cases.
let isaCases () : Build.Case list =
    Isa.all ()
    |> List.map (fun c -> Build.RawCase(sprintf "isa/%s/%s" c.Mnemonic (slug c.Name), "isa", sprintf "%s with edge operands (%s)" c.Mnemonic c.Name, c.Input))

/// Every curated case, in a fixed order.
let all () : Build.Case list =
    isaCases ()
    @ syscallCases ()
    @ cuAtSyscallCases ()
    @ faultCases ()
    @ budgetCases ()
    @ invokeCases ()
    @ cowCases ()
    @ eventCases ()
    @ revertCases ()
    @ decisionCases ()
    @ headerCases ()
    @ checkCases 160
