/// Targeted checks of the engine's Thru mode where the random differential tests are thin:
/// metering at every budget, host memory that follows touched pages, real Ed25519 signatures,
/// and the speed of the metered hot loop.
module Thru.Tests.Engine.ThruEngineTests

open System
open Expecto
open Thru.Tests.Support
open Thru.Model
open Thru.Model.Isa
open Thru.Model.Memory
open Thru.Model.Runtime
open Thru.Compare
open Thru.Conform.Gen.Harness
open Thru.Tests.Engine.TxnHarness
open Thru.Conform.Gen.TxnGen

module N = Codes.SyscallNumber

let private exitSeq (revert: int64) = liConst a0 0L @ liConst a1 revert @ liConst a7 11L @ [ ecall ]

/// A transaction running `code` as the program (account 1), with `rw` listed read-write.
let private programTxn (env: Execution.Environment) (code: Decoded list) (rw: Pubkey list) (cu: uint32) =
    let env = { env with State = env.State.Add(programKey, programAccount (program code)) }
    let h = { header feePayerKey programKey with ComputeUnits = cu }
    env, wire unsigned h rw [] [||]

let private assertSame (env: Execution.Environment) (w: byte[]) (what: string) =
    let _, _, ds = compareTxn env (engineEnvironment env) w
    expectEmpty ds what

// ---------------------------------------------------------------------------------------
// Metering.
// ---------------------------------------------------------------------------------------

/// Every budget from 0 to the full consumption (and a little more) gives the same observation on
/// both sides: the block accounting of the engine stops where the model's per-instruction rule
/// does, with the same registers, pc, consumed units and state.
let private everyBudget (env: Execution.Environment) (mkWire: uint32 -> byte[]) (name: string) =
    let full = Execution.execute env (mkWire 100_000_000u)
    Expect.equal (full.VmError, full.Fault) (0, (None: Execution.FaultInfo option)) (sprintf "%s runs to its end" name)
    let c = uint32 full.ConsumedComputeUnits
    let engineEnv = engineEnvironment env

    let failures =
        [| 0u .. c + 8u |]
        |> Array.Parallel.choose (fun b ->
            match compareTxn env engineEnv (mkWire b) with
            | _, _, [] -> None
            | _, _, ds -> Some(sprintf "%s with a budget of %d CU (full run: %d):\n%s" name b c (String.concat "\n" ds)))

    expectEmpty failures "failures"

// ---------------------------------------------------------------------------------------
// Host memory.
// ---------------------------------------------------------------------------------------

let private big = key 80

/// A world with a 16 MiB account owned by the program (lazy: built when its test runs).
let private bigWorld =
    lazy { worldEnvironment "accept-all" with State = (worldEnvironment "accept-all").State.Add(big, owned 0UL (Array.init (16 * 1024 * 1024) byte)) }

/// Read a few pages of the big account (index 2), write one, then exit (revert or not).
let private touchFew (write: bool) (revert: int64) =
    let data = int64 (Address.accountDataBase 2)
    liConst a0 2L @ liConst a7 2L @ [ ecall ]
    @ liConst s1 data @ [ ld t1 s1 0; ld t2 s1 8 ]
    @ liConst s2 (data + 0x80_0000L) @ [ ld t1 s2 0 ]
    @ liConst s2 (data + 0xFF_FFF8L) @ [ ld t1 s2 0 ]
    @ (if write then [ sd t1 s1 16 ] else [])
    @ exitSeq revert

let private engineRun (env: Thru.Engine.EngineEnvironment) (w: byte[]) =
    let before = GC.GetAllocatedBytesForCurrentThread()
    let r = Thru.Engine.TransactionExecutor.Execute(env, ReadOnlySpan w)
    r, GC.GetAllocatedBytesForCurrentThread() - before

// ---------------------------------------------------------------------------------------
// Every syscall return code, on both sides.
// ---------------------------------------------------------------------------------------

module C = Codes.Syscall

/// What a row expects: the prober's exit code (the last call's a0, or a1 with resultA1), or a
/// transaction error.
type private Expected =
    | Code of int64
    | Txn of int

/// One row: the read-write and read-only keys, the probe (given the index of a key), a header
/// change, and the expected outcome.
type private Row = { Name: string; Rw: Pubkey list; Ro: Pubkey list; Probe: (Pubkey -> uint64) -> ProbeTree; Header: Transaction.Header -> Transaction.Header; Expect: Expected }

let private row name rw ro probe expect = { Name = name; Rw = sortKeys rw; Ro = sortKeys ro; Probe = probe; Header = id; Expect = expect }
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
      row "0x00 stack page" [] [] (fun _ -> one N.setAnonymousSegmentSz [ Lit(stackTop - 0x1000UL) ]) (Code C.success)
      row "0x00 heap" [] [] (fun _ -> one N.setAnonymousSegmentSz [ Lit(Address.heapBase + 0x2000UL) ]) (Code C.success)
      row "0x00 size 0" [] [] (fun _ -> one N.setAnonymousSegmentSz [ Lit stackTop ]) (Code C.success)
      row "0x00 not anonymous" [] [] (fun _ -> one N.setAnonymousSegmentSz [ Lit(Address.accountDataBase 0) ]) (Code C.invalidSegmentId)
      row "0x00 heap index 1" [] [] (fun _ -> one N.setAnonymousSegmentSz [ Lit(Address.compose 0x07 1 0u) ]) (Code C.invalidSegmentId)
      row "0x00 not a page multiple" [] [] (fun _ -> one N.setAnonymousSegmentSz [ Lit(Address.heapBase + 0x800UL) ]) (Code C.invalidSegmentSize)
      row "0x00 pool" [] [] (fun _ -> one N.setAnonymousSegmentSz [ Lit(Address.heapBase + 0x2000UL) ]) (Code C.insufficientPages) |> withHeader (mu 1us)
      row "0x00 unfreeable" [] [] (fun _ -> nestedA1 (one N.setAnonymousSegmentSz [ Lit stackTop ])) (Code C.unfreeablePage)
      // 0x01 increment_anonymous_segment_sz
      row "0x01 grow" [] [] (fun _ -> one N.incrementAnonymousSegmentSz (lits [ Address.heapBase; 0x3000UL ])) (Code C.success)
      row "0x01 boundary" [] [] (fun _ -> leaf [ { pc N.incrementAnonymousSegmentSz (lits [ Address.heapBase; 0x3000UL ]) with Flags = resultA1 } ]) (Code(int64 (Address.heapBase + 0x3000UL)))
      row "0x01 stack boundary" [] [] (fun _ -> leaf [ { pc N.incrementAnonymousSegmentSz (lits [ Address.stackBase + 0xFFFFF0UL; 0x2000UL ]) with Flags = resultA1 } ]) (Code(int64 (Address.stackBase + 0xFFE000UL)))
      row "0x01 not anonymous" [] [] (fun _ -> one N.incrementAnonymousSegmentSz (lits [ Address.txnDataBase; 0x1000UL ])) (Code C.invalidSegmentId)
      row "0x01 odd delta" [] [] (fun _ -> one N.incrementAnonymousSegmentSz (lits [ Address.heapBase; 100UL ])) (Code C.invalidSegmentSize)
      row "0x01 below zero" [] [] (fun _ -> one N.incrementAnonymousSegmentSz (lits [ Address.heapBase; uint64 -4096L ])) (Code C.invalidSegmentSize)
      row "0x01 pool" [] [] (fun _ -> one N.incrementAnonymousSegmentSz (lits [ Address.heapBase; 0x2000UL ])) (Code C.insufficientPages) |> withHeader (mu 1us)
      row "0x01 unfreeable" [] [] (fun _ -> nestedA1 (one N.incrementAnonymousSegmentSz (lits [ Address.stackBase + 0xFFF000UL; uint64 -4096L ]))) (Code C.unfreeablePage)
      // 0x02 set_account_data_writable
      row "0x02 success" [ acctData ] [] (fun i -> one N.setAccountDataWritable [ Lit(i acctData) ]) (Code C.success)
      row "0x02 bad index" [ acctData ] [] (fun _ -> one N.setAccountDataWritable [ Lit 3UL ]) (Code C.invalidAccountIndex)
      row "0x02 missing" [ missing ] [] (fun i -> one N.setAccountDataWritable [ Lit(i missing) ]) (Code C.accountDoesNotExist)
      row "0x02 read-only" [] [ acctData ] (fun i -> one N.setAccountDataWritable [ Lit(i acctData) ]) (Code C.accountNotWritable)
      row "0x02 foreign" [ foreign ] [] (fun i -> one N.setAccountDataWritable [ Lit(i foreign) ]) (Code C.accountNotWritable)
      row "0x02 the program" [] [] (fun _ -> one N.setAccountDataWritable [ Lit 1UL ]) (Code C.accountNotWritable)
      // 0x03 account_transfer
      row "0x03 success" [ acctData; foreign ] [] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit(i foreign); Lit 200UL ]) (Code C.success)
      row "0x03 to itself" [ acctData ] [] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit(i acctData); Lit 1000UL ]) (Code C.success)
      row "0x03 bad index" [ acctData ] [] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit 9UL; Lit 1UL ]) (Code C.invalidAccountIndex)
      row "0x03 missing" [ acctData; missing ] [] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit(i missing); Lit 1UL ]) (Code C.accountDoesNotExist)
      row "0x03 from not owned" [ acctData; foreign ] [] (fun i -> one N.accountTransfer [ Lit(i foreign); Lit(i acctData); Lit 1UL ]) (Code C.accountNotWritable)
      row "0x03 to read-only" [ acctData ] [ foreign ] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit(i foreign); Lit 1UL ]) (Code C.accountNotWritable)
      row "0x03 ephemeral" [ acctData; acctEphemeral ] [] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit(i acctEphemeral); Lit 1UL ]) (Code C.invalidAccount)
      row "0x03 insufficient" [ acctData; foreign ] [] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit(i foreign); Lit 1001UL ]) (Code C.insufficientBalance)
      row "0x03 overflow" [ acctData; acctRich ] [] (fun i -> one N.accountTransfer [ Lit(i acctData); Lit(i acctRich); Lit 6UL ]) (Code C.balanceOverflow)
      // 0x04 account_create
      let create k proof = one N.accountCreate ([ Lit k ] @ seed0 @ [ std proof; size proof ])
      row "0x04 success" [ derived 0 ] [] (fun i -> create (i (derived 0)) "proof-derived0") (Code C.success)
      row "0x04 bad index" [ derived 0 ] [] (fun _ -> create 3UL "proof-derived0") (Code C.invalidAccountIndex)
      row "0x04 read-only" [] [ derived 0 ] (fun i -> create (i (derived 0)) "proof-derived0") (Code C.accountNotWritable)
      row "0x04 exists" [ derived 0 ] [] (fun i -> { (create (i (derived 0)) "proof-derived0") with Calls = (create (i (derived 0)) "proof-derived0").Calls @ (create (i (derived 0)) "proof-derived0").Calls }) (Code C.accountAlreadyExists)
      row "0x04 wrong address" [ derived 1 ] [] (fun i -> create (i (derived 1)) "proof-derived0") (Code C.badAccountAddress)
      row "0x04 bad proof pointer" [ derived 0 ] [] (fun i -> one N.accountCreate ([ Lit(i (derived 0)) ] @ seed0 @ [ Lit 0xdeadUL; Lit 200UL ])) (Code C.invalidAddress)
      row "0x04 proof length" [ derived 0 ] [] (fun i -> one N.accountCreate ([ Lit(i (derived 0)) ] @ seed0 @ [ std "proof-derived0"; Lit(uint64 (blobSize "proof-derived0" - 32)) ])) (Code C.invalidProofLen)
      row "0x04 future slot" [ derived 0 ] [] (fun i -> create (i (derived 0)) "proof-future") (Code C.invalidProofSlot)
      row "0x04 old slot" [ derived 0 ] [] (fun i -> create (i (derived 0)) "proof-old") (Code C.invalidProofSlot)
      row "0x04 proof off the key's path" [ derived 0 ] [] (fun i -> create (i (derived 0)) "proof-off-derived0") (Code C.invalidStateProof)
      row "0x04 state units" [ derived 0 ] [] (fun i -> create (i (derived 0)) "proof-derived0") (Txn Codes.Txn.suExhausted) |> withHeader (su 0us)
      row "0x04 ephemeral creator" [ proberEphemeral; derivedByEphemeral ] [] (fun i -> invokeOf (i proberEphemeral) resultA1 (create (i derivedByEphemeral) "proof-derived0") []) (Code C.ephemeralAccountCannotCreatePersistent)
      // 0x05 account_create_ephemeral
      let ephemeral k = one N.accountCreateEphemeral ([ Lit k ] @ seed0)
      row "0x05 success" [ derivedEphemeral 0 ] [] (fun i -> ephemeral (i (derivedEphemeral 0))) (Code C.success)
      row "0x05 bad index" [ derivedEphemeral 0 ] [] (fun _ -> ephemeral 3UL) (Code C.invalidAccountIndex)
      row "0x05 read-only" [] [ derivedEphemeral 0 ] (fun i -> ephemeral (i (derivedEphemeral 0))) (Code C.accountNotWritable)
      row "0x05 exists" [ derivedEphemeral 0 ] [] (fun i -> { Calls = (ephemeral (i (derivedEphemeral 0))).Calls @ (ephemeral (i (derivedEphemeral 0))).Calls; Nested = [] }) (Code C.accountAlreadyExists)
      row "0x05 wrong address" [ derived 0 ] [] (fun i -> ephemeral (i (derived 0))) (Code C.badAccountAddress)
      // 0x06 account_delete
      row "0x06 success" [ acctEmpty ] [] (fun i -> one N.accountDelete [ Lit(i acctEmpty); Lit 0UL ]) (Code C.success)
      row "0x06 with signature" [ acctEmpty ] [] (fun i -> one N.accountDelete [ Lit(i acctEmpty); std "sig-delete-empty" ]) (Code C.success)
      row "0x06 bad index" [ acctEmpty ] [] (fun _ -> one N.accountDelete [ Lit 5UL; Lit 0UL ]) (Code C.invalidAccountIndex)
      row "0x06 missing" [ missing ] [] (fun i -> one N.accountDelete [ Lit(i missing); Lit 0UL ]) (Code C.accountDoesNotExist)
      row "0x06 read-only" [] [ acctEmpty ] (fun i -> one N.accountDelete [ Lit(i acctEmpty); Lit 0UL ]) (Code C.accountNotWritable)
      row "0x06 balance" [ acctData ] [] (fun i -> one N.accountDelete [ Lit(i acctData); Lit 0UL ]) (Code C.invalidAccount)
      row "0x06 signature pointer" [ acctEmpty ] [] (fun i -> one N.accountDelete [ Lit(i acctEmpty); Lit 0xdeadUL ]) (Code C.invalidAddress)
      row "0x06 bad signature" [ acctEmpty ] [] (fun i -> one N.accountDelete [ Lit(i acctEmpty); std "sig-bad" ]) (Code C.invalidSignature)
      // 0x07 account_resize
      row "0x07 grow" [ acctData ] [] (fun i -> one N.accountResize [ Lit(i acctData); Lit 5000UL ]) (Code C.success)
      row "0x07 shrink" [ acctBig ] [] (fun i -> one N.accountResize [ Lit(i acctBig); Lit 1UL ]) (Code C.success)
      row "0x07 bad index" [ acctData ] [] (fun _ -> one N.accountResize [ Lit 3UL; Lit 8UL ]) (Code C.invalidAccountIndex)
      row "0x07 missing" [ missing ] [] (fun i -> one N.accountResize [ Lit(i missing); Lit 8UL ]) (Code C.accountDoesNotExist)
      row "0x07 foreign" [ foreign ] [] (fun i -> one N.accountResize [ Lit(i foreign); Lit 8UL ]) (Code C.accountNotWritable)
      row "0x07 read-only" [] [ acctData ] (fun i -> one N.accountResize [ Lit(i acctData); Lit 8UL ]) (Code C.accountNotWritable)
      row "0x07 too big" [ acctData ] [] (fun i -> one N.accountResize [ Lit(i acctData); Lit 0x100_0001UL ]) (Code C.accountTooBig)
      row "0x07 pool" [ acctData ] [] (fun i -> one N.accountResize [ Lit(i acctData); Lit 8192UL ]) (Code C.insufficientPages) |> withHeader (mu 0us)
      row "0x07 state units" [ acctData ] [] (fun i -> one N.accountResize [ Lit(i acctData); Lit 8192UL ]) (Txn Codes.Txn.suExhausted) |> withHeader (su 0us)
      // 0x08 account_compress
      let compress k proof = one N.accountCompress [ Lit k; std proof; size proof ]
      row "0x08 success" [ acctData ] [] (fun i -> compress (i acctData) "proof-data") (Code C.success) |> withHeader mayCompress
      row "0x08 updating proof" [ trieAcct ] [] (fun i -> compress (i trieAcct) "proof-trie-updating") (Code C.success) |> withHeader mayCompress
      row "0x08 bad index" [ acctData ] [] (fun _ -> compress 3UL "proof-data") (Code C.invalidAccountIndex) |> withHeader mayCompress
      row "0x08 missing" [ missing ] [] (fun i -> compress (i missing) "proof-data") (Code C.accountDoesNotExist) |> withHeader mayCompress
      row "0x08 read-only" [] [ acctData ] (fun i -> compress (i acctData) "proof-data") (Code C.accountNotWritable) |> withHeader mayCompress
      row "0x08 twice" [ acctData; acctBig ] [] (fun i -> { Calls = (compress (i acctData) "proof-data").Calls @ (compress (i acctBig) "proof-big").Calls; Nested = [] }) (Code C.txnHasCompressedAccount) |> withHeader mayCompress
      row "0x08 not allowed" [ acctData ] [] (fun i -> compress (i acctData) "proof-data") (Code C.accountCompressionNotAllowed)
      row "0x08 uncompressable" [ acctUncompressable ] [] (fun i -> compress (i acctUncompressable) "proof-data") (Code C.accountUncompressable) |> withHeader mayCompress
      row "0x08 proof length" [ acctData ] [] (fun i -> one N.accountCompress [ Lit(i acctData); std "proof-data"; Lit 20UL ]) (Code C.invalidProofLen) |> withHeader mayCompress
      row "0x08 wrong proof" [ acctData ] [] (fun i -> compress (i acctData) "proof-big") (Code C.invalidStateProof) |> withHeader mayCompress
      row "0x08 ephemeral: deleted" [ acctEphemeral ] [] (fun i -> compress (i acctEphemeral) "proof-data") (Code C.success) |> withHeader mayCompress
      row "0x08 in the call stack" [ proberSelf ] [] (fun i -> invokeOf (i proberSelf) resultA1 (compress (i proberSelf) "proof-data") []) (Code C.programInCallStack) |> withHeader mayCompress
      // 0x09 account_decompress
      let decompress k meta proof = one N.accountDecompress [ Lit k; std meta; std "data-restored"; std proof; size proof ]
      row "0x09 success" [ restoredKey ] [] (fun i -> decompress (i restoredKey) "meta-restored" "proof-restored") (Code C.success)
      row "0x09 compressed" [ compressedAcct ] [] (fun i -> decompress (i compressedAcct) "meta-restored" "proof-compressed") (Code C.success)
      row "0x09 bad index" [ restoredKey ] [] (fun _ -> decompress 3UL "meta-restored" "proof-restored") (Code C.invalidAccountIndex)
      row "0x09 read-only" [] [ restoredKey ] (fun i -> decompress (i restoredKey) "meta-restored" "proof-restored") (Code C.accountNotWritable)
      row "0x09 live" [ acctData ] [] (fun i -> decompress (i acctData) "meta-restored" "proof-restored") (Code C.accountAlreadyExists)
      row "0x09 meta pointer" [ restoredKey ] [] (fun i -> one N.accountDecompress [ Lit(i restoredKey); Lit 0xdeadUL; std "data-restored"; std "proof-restored"; size "proof-restored" ]) (Code C.invalidAddress)
      row "0x09 data size" [ restoredKey ] [] (fun i -> decompress (i restoredKey) "meta-huge" "proof-restored") (Code C.invalidAccountDataSize) |> withHeader bigCu
      row "0x09 proof length" [ restoredKey ] [] (fun i -> one N.accountDecompress [ Lit(i restoredKey); std "meta-restored"; std "data-restored"; std "proof-restored"; Lit 50UL ]) (Code C.invalidProofLen)
      row "0x09 tampered" [ restoredKey ] [] (fun i -> decompress (i restoredKey) "meta-bad" "proof-restored") (Code C.invalidStateProof)
      row "0x09 pool" [ restoredKey ] [] (fun i -> decompress (i restoredKey) "meta-restored" "proof-restored") (Code C.insufficientPages) |> withHeader (mu 0us)
      // 0x0A invoke
      row "0x0A exit code in a1" [] [] (fun _ -> invokeOf 1UL resultA1 (one N.exit (lits [ 42UL; 0UL ])) []) (Code 42L)
      row "0x0A success" [] [] (fun _ -> invokeOf 1UL 0 (one N.exit (lits [ 42UL; 0UL ])) []) (Code C.success)
      row "0x0A bad index" [] [] (fun _ -> one N.invoke (lits [ Address.txnDataBase; 0UL; 5UL; 0UL ])) (Code C.invalidAccountIndex)
      row "0x0A missing" [] [ missing ] (fun i -> one N.invoke (lits [ Address.txnDataBase; 0UL; i missing; 0UL ])) (Code C.accountDoesNotExist)
      row "0x0A not a program" [] [ acctData ] (fun i -> one N.invoke (lits [ Address.txnDataBase; 0UL; i acctData; 0UL ])) (Code C.accountIsNotProgram)
      row "0x0A invalid image" [] [ brokenProgram ] (fun i -> one N.invoke (lits [ Address.txnDataBase; 0UL; i brokenProgram; 0UL ])) (Code C.accountIsNotProgram)
      row "0x0A too deep" [] [] (fun _ -> (let rec chain d = if d = 16 then one N.invoke (lits [ Address.txnDataBase; 0UL; 1UL; 0UL ]) else invokeOf 1UL resultA1 (chain (d + 1)) [] in chain 1)) (Code C.callDepthTooDeep)
      // 0x0B exit
      row "0x0B revert" [ acctData; foreign ] [] (fun i -> leaf [ pc N.accountTransfer [ Lit(i acctData); Lit(i foreign); Lit 200UL ]; pc N.exit (lits [ 77UL; 1UL ]) ]) (Txn Codes.Txn.vmRevert)
      row "0x0B revert in a callee" [] [] (fun _ -> invokeOf 1UL resultA1 (one N.exit (lits [ 5UL; 1UL ])) []) (Txn Codes.Txn.vmRevert)
      row "0x0B code" [] [] (fun _ -> one N.exit (lits [ 5UL; 0UL ])) (Code 5L)
      // 0x0C log
      row "0x0C success" [] [] (fun _ -> one N.log [ std "text"; Lit 11UL ]) (Code C.success)
      row "0x0C 1024 bytes" [] [] (fun _ -> one N.log [ std "text"; Lit 1024UL ]) (Code C.success)
      row "0x0C too large" [] [] (fun _ -> one N.log [ std "text"; Lit 1025UL ]) (Code C.logDataTooLarge)
      row "0x0C bad address" [] [] (fun _ -> one N.log (lits [ 0xdeadUL; 4UL ])) (Code C.invalidAddress)
      row "0x0C past the transaction" [] [] (fun _ -> one N.log (lits [ Address.txnDataBase + 32000UL; 1000UL ])) (Code C.invalidAddress)
      // 0x0D emit_event
      row "0x0D success" [] [] (fun _ -> leaf [ pc N.emitEvent [ std "text"; Lit 3UL ]; pc N.emitEvent [ Std("text", 3UL); Lit 2UL ] ]) (Code C.success)
      row "0x0D zero size" [] [] (fun _ -> one N.emitEvent [ std "text"; Lit 0UL ]) (Code C.eventIsZeroSize)
      row "0x0D too large" [] [] (fun _ -> one N.emitEvent [ std "text"; Lit 0x100_0001UL ]) (Code C.eventTooLarge) |> withHeader bigCu
      row "0x0D bad address" [] [] (fun _ -> one N.emitEvent (lits [ 0xdeadUL; 4UL ])) (Code C.invalidAddress)
      row "0x0D pool" [] [] (fun _ -> one N.emitEvent [ std "text"; Lit 4UL ]) (Code C.insufficientPages) |> withHeader (mu 0us)
      // 0x0E account_set_flags
      row "0x0E set PROGRAM" [ exeData ] [] (fun i -> one N.accountSetFlags [ Lit(i exeData); Lit 1UL ]) (Code C.success)
      row "0x0E bad index" [ exeData ] [] (fun _ -> one N.accountSetFlags [ Lit 3UL; Lit 1UL ]) (Code C.invalidAccountIndex)
      row "0x0E missing" [ missing ] [] (fun i -> one N.accountSetFlags [ Lit(i missing); Lit 1UL ]) (Code C.accountDoesNotExist)
      row "0x0E read-only" [] [ exeData ] (fun i -> one N.accountSetFlags [ Lit(i exeData); Lit 1UL ]) (Code C.accountNotWritable)
      row "0x0E other flags" [ exeData ] [] (fun i -> one N.accountSetFlags [ Lit(i exeData); Lit 2UL ]) (Code C.invalidFlags)
      row "0x0E not an executable" [ acctData ] [] (fun i -> one N.accountSetFlags [ Lit(i acctData); Lit 1UL ]) (Code C.accountIsNotProgram)
      row "0x0E in the call stack" [ proberSelf ] [] (fun i -> invokeOf (i proberSelf) resultA1 (one N.accountSetFlags [ Lit(i proberSelf); Lit 0UL ]) []) (Code C.programInCallStack)
      // 0x0F account_create_eoa
      let eoa k s proof = one N.accountCreateEoa [ Lit k; s; std proof; size proof ]
      row "0x0F success" [ eoaKey ] [] (fun i -> eoa (i eoaKey) (std "sig-eoa") "proof-eoa") (Code C.success)
      row "0x0F bad index" [ eoaKey ] [] (fun _ -> eoa 3UL (std "sig-eoa") "proof-eoa") (Code C.invalidAccountIndex)
      row "0x0F read-only" [] [ eoaKey ] (fun i -> eoa (i eoaKey) (std "sig-eoa") "proof-eoa") (Code C.accountNotWritable)
      row "0x0F exists" [ acctData ] [] (fun i -> eoa (i acctData) (std "sig-eoa") "proof-eoa") (Code C.accountAlreadyExists)
      row "0x0F signature pointer" [ eoaKey ] [] (fun i -> eoa (i eoaKey) (Lit 0xdeadUL) "proof-eoa") (Code C.invalidAddress)
      row "0x0F bad signature" [ eoaKey ] [] (fun i -> eoa (i eoaKey) (std "sig-bad") "proof-eoa") (Code C.invalidSignature)
      row "0x0F proof length" [ eoaKey ] [] (fun i -> one N.accountCreateEoa [ Lit(i eoaKey); std "sig-eoa"; std "proof-eoa"; Lit 39UL ]) (Code C.invalidProofLen)
      row "0x0F proof off the key's path" [ eoaKey ] [] (fun i -> eoa (i eoaKey) (std "sig-eoa") "proof-off-eoa") (Code C.invalidStateProof)
      // unknown
      row "unknown syscall" [] [] (fun _ -> one 0x10UL []) (Txn Codes.Txn.vmFailed) ]

[<Tests>]
let tests =
    testList "Engine.ThruEngineTests" [
        // ---------------------------------------------------------------- Metering

        Tiers.testTiers "every compute budget stops both at the same point: loops, loads, stores and syscalls" [ "interpreter"; "compiled"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            let env = worldEnvironment "accept-all"
            // Map a stack page, then a loop of compressed and 32-bit ALU instructions, loads and stores, a
            // log and an event every few iterations, then exit.
            let code =
                liConst a0 (int64 (Address.stackBase + 0xFFF000UL)) @ liConst a7 0L @ [ ecall ]
                @ liConst s1 (int64 (Address.stackBase + 0xFFF800UL)) @ liConst t0 12L
                @ [ Compressed(C_ADDI(t1, 1)); add t2 t2 t1; sd t2 s1 0; ld t2 s1 0; Full(Store(SB, s1, t1, 3L)); Full(Load(LBU, t2, s1, 3L)) ]
                @ [ andi t2 t0 3; bnez t2 36 ]
                @ [ mv a0 s1; li a1 24; li a7 12; ecall; mv a0 s1; li a1 8; li a7 13; ecall ]
                @ [ addi t0 t0 -1; bnez t0 -66 ]
                @ exitSeq 0L

            let env, _ = programTxn env code [] 0u
            let mk (b: uint32) = wire unsigned { header feePayerKey programKey with ComputeUnits = b } [] [] [||]
            everyBudget env mk "a loop"

        Tiers.testTiers "every compute budget stops both at the same point: syscall sequences with invokes" [ "interpreter"; "compiled"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            let env = worldEnvironment "accept-all"
            let inner = probe [ call N.emitEvent [ 0UL; 8UL ] (ptr 0); call N.log [ 0UL; 16UL ] (ptr 0); call N.exit [ 9UL; 0UL ] 0 ] [||]
            let calls = [ call N.invoke [ 0UL; uint64 inner.Length; 1UL; 0UL ] (ptr 0 ||| resultA1 ||| withStack) ]
            let calls = [ call N.invoke [ payloadAt calls 0; uint64 inner.Length; 1UL; 0UL ] (ptr 0 ||| resultA1 ||| withStack); call N.incrementAnonymousSegmentSz [ Address.heapBase; 0x2000UL ] 0; call N.accountResize [ 2UL; 5000UL ] 0 ]
            let instr = probe calls inner
            let mk (b: uint32) = wire unsigned { header feePayerKey programKey with ComputeUnits = b } [ acctData ] [] instr
            everyBudget env mk "the prober"

        // ---------------------------------------------------------------- Host memory

        Tiers.testTiers "host memory follows the pages a transaction touches, not the 16 MiB of an account" [ "interpreter"; "compiled" ] <| fun tier ->
            use _ = Tiers.select tier
            let env, w = programTxn bigWorld.Value (touchFew true 1L) [ big ] 1_000_000u
            let engineEnv = engineEnvironment env
            engineRun engineEnv w |> ignore // warm up (JIT)
            let r, allocated = engineRun engineEnv w
            Expect.equal r.VmError Codes.Txn.vmRevert "r.VmError"
            Expect.isLessThan r.PeakHostPages 16L "host pages: the transaction, the program, four data pages"
            Expect.isLessThan allocated (1L <<< 20) "managed bytes allocated by the engine"
            assertSame env w "model vs engine (reverted write)"

            // Reading only and succeeding: the account is unchanged, nothing of it is copied.
            let env, w = programTxn bigWorld.Value (touchFew false 0L) [ big ] 1_000_000u
            let engineEnv = engineEnvironment env
            let r, allocated = engineRun engineEnv w
            Expect.equal r.VmError 0 "r.VmError"
            Expect.equal (r.Updates |> Seq.map (fun u -> string u.Key) |> List.ofSeq |> List.sort) [ string (TxnFixture.engineKey feePayerKey) ] "only the fee payer changed"
            Expect.isLessThan r.PeakHostPages 16L "r.PeakHostPages"
            Expect.isLessThan allocated (1L <<< 20) "allocated"

            // A 16 MiB stack mapped and three of its pages touched: four host pages, not 4096.
            let stackCode =
                liConst a0 (int64 Address.stackBase) @ liConst a7 0L @ [ ecall ]
                @ liConst s1 (int64 (Address.stackBase + 0xFFF000UL)) @ [ sd s1 s1 0 ]
                @ liConst s1 (int64 (Address.stackBase + 0x10UL)) @ [ sd s1 s1 0; ld t1 s1 0x7F0 ]
                @ exitSeq 0L

            let env, _ = programTxn (worldEnvironment "accept-all") stackCode [] 40_000_000u
            let h = { header feePayerKey programKey with ComputeUnits = 40_000_000u; MemoryUnits = 5000us }
            let w = wire unsigned h [] [] [||]
            let r, _ = engineRun (engineEnvironment env) w
            Expect.equal (r.VmError, r.ConsumedMemoryUnits) (0, 4096UL) "the whole stack is mapped (4096 pool pages)"
            Expect.isLessThan r.PeakHostPages 16L "but only the touched pages have host memory"

        // ---------------------------------------------------------------- Real signatures

        Tiers.testTiers "Ed25519-signed transactions and EOA creation agree on both sides" [ "interpreter"; "compiled" ] <| fun tier ->
            use _ = Tiers.select tier
            if not Thru.Interop.Sodium.IsAvailable then skiptest "libsodium is not installed"
            let seed = Array.init 32 (fun i -> byte (i * 3 + 1))
            let payer = Pubkey(Thru.Interop.Sodium.PublicKeyFromSeed seed)
            let sign (m: byte[]) = Thru.Interop.Sodium.Sign(ReadOnlySpan seed, ReadOnlySpan m)
            let eoaSeed = Array.init 32 (fun i -> byte (200 - i))
            let eoa = Pubkey(Thru.Interop.Sodium.PublicKeyFromSeed eoaSeed)
            let entries = [ key 40, Crypto.sha256 [| 1uy |] ]
            let env =
                { worldEnvironment "ed25519" with
                    State = (worldEnvironment "ed25519").State.Add(payer, Account.create Pubkey.zero 1000UL [||])
                    Blocks = blocks (StateProof.root entries) }

            let proof = StateProof.serialize (StateProof.prove entries eoa 1000UL)
            let eoaSig = Thru.Interop.Sodium.Sign(ReadOnlySpan eoaSeed, ReadOnlySpan(Crypto.eoaCreateMessage 1us payer eoa))
            let badSig = Array.updateAt 5 (eoaSig[5] ^^^ 1uy) eoaSig
            let create (s: byte[]) =
                let calls = [ call N.accountCreateEoa [ 2UL; 0UL; 64UL; uint64 proof.Length ] (ptr 1 ||| ptr 2) ]
                let calls = [ call N.accountCreateEoa [ 2UL; payloadAt calls 0; payloadAt calls 64; uint64 proof.Length ] (ptr 1 ||| ptr 2) ]
                probe calls (Array.append s proof)

            for instr, expected in [ create eoaSig, 0L; create badSig, Codes.Syscall.invalidSignature ] do
                let w = wire sign { header payer programKey with Fee = 3UL } [ eoa ] [] instr
                let model, _, ds = compareTxn env (engineEnvironment env) w
                expectEmpty ds "ds"
                Expect.equal (model.VmError, int64 model.UserErrorCode) (0, expected) "(model.VmError, int64 model.UserErrorCode)"
                // Any damage to the signed transaction is refused by both.
                let damaged = Array.updateAt 20 (w[20] ^^^ 0x10uy) w
                let model, _, ds = compareTxn env (engineEnvironment env) damaged
                expectEmpty ds "ds"
                Expect.equal model.VmError Codes.Txn.invalidSignature "model.VmError"

        // ---------------------------------------------------------------- Speed

        testCaseAlone "the metered hot loop: instructions per second on an ALU loop in Thru mode" <| fun () ->
            // 5 instructions (20 CU) per iteration; the budget runs out inside the loop.
            let loop = [ addi t1 t1 1; Full(Op(XOR, t2, t2, t1)); add s1 s1 t2; addi t0 t0 -1; bnez t0 -16 ]
            let code = liConst t0 100_000_000L @ loop @ exitSeq 0L
            let env, _ = programTxn (worldEnvironment "accept-all") code [] 0u
            let engineEnv = engineEnvironment env
            let run (cu: uint32) = Thru.Engine.TransactionExecutor.Execute(engineEnv, ReadOnlySpan(wire unsigned { header feePayerKey programKey with ComputeUnits = cu } [] [] [||]))
            run 1_000_000u |> ignore // JIT
            let cu = 400_000_000u
            let sw = Diagnostics.Stopwatch.StartNew()
            let r = run cu
            sw.Stop()
            Expect.equal (r.VmError, r.ConsumedComputeUnits) (Codes.Txn.cuExhausted, uint64 cu) "(r.VmError, r.ConsumedComputeUnits)"
            let instructions = float cu / 4.0
            note (sprintf "Thru mode, metered ALU loop: %.0f M instructions in %.3f s = %.0f M instructions/s" (instructions / 1e6) sw.Elapsed.TotalSeconds (instructions / sw.Elapsed.TotalSeconds / 1e6))

        // ---------------------------------------------------------------- Every syscall return code, on both sides

        Tiers.testTiers "every syscall return code: the model and the engine both give it" [ "interpreter"; "compiled" ] <| fun tier ->
            use _ = Tiers.select tier
            let failures =
                rows
                |> List.choose (fun r ->
                    let keys = feePayerKey :: programKey :: r.Rw @ r.Ro
                    let index (k: Pubkey) = uint64 (List.findIndex ((=) k) keys)
                    let h = r.Header (header feePayerKey programKey)
                    let t = proberTxn "sha256-binding" r.Rw r.Ro h (r.Probe index)
                    let model, _, ds = compareTxn t.Env (engineEnvironment t.Env) t.Wire

                    let got =
                        match r.Expect with
                        | Code _ when model.VmError = 0 -> Code(int64 model.UserErrorCode)
                        | _ -> Txn model.VmError

                    if not ds.IsEmpty then Some(sprintf "%s: model vs engine:\n%s" r.Name (String.concat "\n" ds))
                    elif got <> r.Expect then Some(sprintf "%s: expected %A, got %A (%s)" r.Name r.Expect got (Codes.txnErrorName model.VmError))
                    else None)

            expectEmpty failures "failures"
    ]
