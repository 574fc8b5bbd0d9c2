/// One test per syscall return-code path (docs/spec/syscalls.md), run through the prober program.
module Thru.Tests.Runtime.SyscallTests

open Expecto
open Thru.Tests.Support
open Thru.Model
open Thru.Model.Memory
open Thru.Model.Runtime
open Thru.Conform.Gen.Harness

module C = Codes.Syscall

let private ok (r: Execution.TxnResult) =
    if r.VmError <> 0 then failtest (sprintf "transaction failed: %s %A %A" (Codes.txnErrorName r.VmError) r.Rejection r.Fault)

/// Run and check that the last syscall returned `expected`.
let private expect (expected: int64) (r: Execution.TxnResult) =
    ok r
    Expect.equal (code r) expected (sprintf "expected %d, got %d" expected (code r))

module N = Codes.SyscallNumber
let stack (offset: uint64) = Address.stackBase + offset
let heap (offset: uint64) = Address.heapBase + offset
let acct = key 10
let other = key 11
let env0 = environment []

// ---- 0x00 set_anonymous_segment_sz ----

// ---- 0x01 increment_anonymous_segment_sz ----

// ---- 0x02 set_account_data_writable ----

// ---- 0x03 account_transfer ----

// ---- 0x0B exit, 0x0C log, 0x0D emit_event ----

// ---- 0x0A invoke ----

/// Instruction data that makes the prober invoke itself `depth` times, the innermost making `last`.
let rec nested (depth: int) (last: Call list) : byte[] =
    if depth = 0 then probe last [||]
    else
        let inner = nested (depth - 1) last
        let calls = [ call N.invoke [ payloadAt [ call 0UL [] 0 ] 0; uint64 inner.Length; 1UL; 0UL ] (ptr 0 ||| resultA1) ]
        probe calls inner

// ---- account creation: 0x04, 0x05, 0x0F ----

let private seed = Array.init 32 byte
let private seedWords = [ for i in 0..3 -> Bits.readLE seed (8 * i) 8 ]
let private derived = Crypto.derivedAddress programKey false seed
let private derivedEphemeral = Crypto.derivedAddress programKey true seed

/// Some accounts already in the state trie; the environment's blocks carry its root.
let private trie = [ for i in 40..45 -> key i, Crypto.sha256 [| byte i |] ]
let private envWithTrie extra = { environment extra with Blocks = blocks (StateProof.root trie) }
let private proofFor k slot = StateProof.serialize (StateProof.prove trie k slot)

/// account_create with the proof in the payload.
let private create idx (proof: byte[]) proofSize =
    [ call N.accountCreate ([ idx ] @ seedWords @ [ payloadAt [ call 0UL [] 0 ] 0; proofSize ]) (ptr 5) ], proof

// ---- 0x06 account_delete ----

// ---- 0x07 account_resize ----

// ---- 0x08 account_compress, 0x09 account_decompress ----

let private mayCompress (h: Transaction.Header) = { h with Flags = Transaction.flagMayCompressAccount }

let private compress idx (proof: byte[]) = [ call N.accountCompress [ idx; payloadAt [ call 0UL [] 0 ] 0; uint64 proof.Length ] (ptr 1) ]

// ---- 0x0E account_set_flags ----

[<Tests>]
let tests =
    testList "Runtime.SyscallTests" [
        testCase "0x00 set_anonymous_segment_sz: success, invalid segment, invalid size, insufficient pages, unfreeable" <| fun () ->
            expect C.success (runProbe env0 [] [] [ call N.setAnonymousSegmentSz [ stack 0xFFF000UL ] 0 ] [||])
            expect C.success (runProbe env0 [] [] [ call N.setAnonymousSegmentSz [ heap 0x2000UL ] 0 ] [||])
            expect C.success (runProbe env0 [] [] [ call N.setAnonymousSegmentSz [ Address.stackBase + 0x100_0000UL ] 0 ] [||]) // size 0
            expect C.invalidSegmentId (runProbe env0 [] [] [ call N.setAnonymousSegmentSz [ Address.accountDataBase 0 ] 0 ] [||])
            expect C.invalidSegmentId (runProbe env0 [] [] [ call N.setAnonymousSegmentSz [ Address.compose 0x07 1 0u ] 0 ] [||])
            expect C.invalidSegmentSize (runProbe env0 [] [] [ call N.setAnonymousSegmentSz [ heap 0x800UL ] 0 ] [||])
            expect C.insufficientPages (runProbeWith (fun h -> { h with MemoryUnits = 1us }) env0 [] [] [ call N.setAnonymousSegmentSz [ heap 0x2000UL ] 0 ] [||])
            // A callee may not free its caller's stack page: the caller maps one page and invokes the
            // prober again, which asks for a stack of size 0; the callee's result comes back in a1.
            let inner = probe [ call N.setAnonymousSegmentSz [ Address.stackBase + 0x100_0000UL ] 0 ] [||]
            let outer = [ call N.invoke [ 0UL; uint64 inner.Length; 1UL; 0UL ] (ptr 0 ||| resultA1 ||| withStack) ]
            let outer = [ call N.invoke [ payloadAt outer 0; uint64 inner.Length; 1UL; 0UL ] (ptr 0 ||| resultA1 ||| withStack) ]
            expect C.unfreeablePage (runProbe env0 [] [] outer inner)

        testCase "0x01 increment_anonymous_segment_sz: grow, query, boundary in a1, invalid segment, invalid size, pages, unfreeable" <| fun () ->
            expect C.success (runProbe env0 [] [] [ call N.incrementAnonymousSegmentSz [ heap 0UL; 0x3000UL ] 0 ] [||])
            expect (int64 (heap 0x3000UL)) (runProbe env0 [] [] [ call N.incrementAnonymousSegmentSz [ heap 0UL; 0x3000UL ] resultA1 ] [||])
            expect (int64 (stack 0xFFE000UL)) (runProbe env0 [] [] [ call N.incrementAnonymousSegmentSz [ stack 0xFFFFF0UL; 0x2000UL ] resultA1 ] [||])
            expect (int64 (stack 0x100_0000UL)) (runProbe env0 [] [] [ call N.incrementAnonymousSegmentSz [ stack 0UL; 0UL ] resultA1 ] [||]) // query: empty stack
            expect C.invalidSegmentId (runProbe env0 [] [] [ call N.incrementAnonymousSegmentSz [ Address.txnDataBase; 0x1000UL ] 0 ] [||])
            expect C.invalidSegmentSize (runProbe env0 [] [] [ call N.incrementAnonymousSegmentSz [ heap 0UL; 100UL ] 0 ] [||])
            expect C.invalidSegmentSize (runProbe env0 [] [] [ call N.incrementAnonymousSegmentSz [ heap 0UL; uint64 -4096L ] 0 ] [||])
            expect C.insufficientPages (runProbeWith (fun h -> { h with MemoryUnits = 1us }) env0 [] [] [ call N.incrementAnonymousSegmentSz [ heap 0UL; 0x2000UL ] 0 ] [||])
            let inner = probe [ call N.incrementAnonymousSegmentSz [ stack 0xFFF000UL; uint64 -4096L ] 0 ] [||]
            let outer = [ call N.invoke [ 0UL; 0UL; 1UL ] (ptr 0 ||| resultA1 ||| withStack) ]
            let outer = [ call N.invoke [ payloadAt outer 0; uint64 inner.Length; 1UL; 0UL ] (ptr 0 ||| resultA1 ||| withStack) ]
            expect C.unfreeablePage (runProbe env0 [] [] outer inner)

        testCase "0x02 set_account_data_writable: success, bad index, missing, not writable (read-only, other owner, program)" <| fun () ->
            let env = environment [ acct, owned 0UL [| 1uy |]; other, Account.create (key 99) 0UL [||] ]
            expect C.success (runProbe env [ acct ] [] [ call N.setAccountDataWritable [ 2UL ] 0 ] [||])
            expect C.invalidAccountIndex (runProbe env [ acct ] [] [ call N.setAccountDataWritable [ 3UL ] 0 ] [||])
            expect C.accountDoesNotExist (runProbe env [ key 12 ] [] [ call N.setAccountDataWritable [ 2UL ] 0 ] [||])
            expect C.accountNotWritable (runProbe env [] [ acct ] [ call N.setAccountDataWritable [ 2UL ] 0 ] [||])
            expect C.accountNotWritable (runProbe env [ other ] [] [ call N.setAccountDataWritable [ 2UL ] 0 ] [||])
            expect C.accountNotWritable (runProbe env [] [] [ call N.setAccountDataWritable [ 1UL ] 0 ] [||])

        testCase "0x03 account_transfer: success and balances, bad index, missing, not writable, ephemeral, insufficient, overflow" <| fun () ->
            let rich = owned 500UL [||]
            let full = Account.create (key 99) System.UInt64.MaxValue [||]
            let eph = { owned 500UL [||] with Meta = { (owned 500UL [||]).Meta with Flags = AccountFlags.ephemeral } }
            let env = environment [ acct, rich; other, Account.create (key 99) 7UL [||]; key 12, full; key 13, eph ]
            let r = runProbe env [ acct; other ] [] [ call N.accountTransfer [ 2UL; 3UL; 200UL ] 0 ] [||]
            expect C.success r
            Expect.equal (r.State[acct].Meta.Balance, r.State[other].Meta.Balance) (300UL, 207UL) "(r.State[acct].Meta.Balance, r.State[other].Meta.Balance)"
            expect C.success (runProbe env [ acct ] [] [ call N.accountTransfer [ 2UL; 2UL; 500UL ] 0 ] [||]) // to itself
            expect C.invalidAccountIndex (runProbe env [ acct ] [] [ call N.accountTransfer [ 2UL; 9UL; 1UL ] 0 ] [||])
            expect C.accountDoesNotExist (runProbe env [ acct; key 20 ] [] [ call N.accountTransfer [ 2UL; 3UL; 1UL ] 0 ] [||])
            expect C.accountNotWritable (runProbe env [ acct; other ] [] [ call N.accountTransfer [ 3UL; 2UL; 1UL ] 0 ] [||]) // from not owned
            expect C.accountNotWritable (runProbe env [ acct ] [ other ] [ call N.accountTransfer [ 2UL; 3UL; 1UL ] 0 ] [||]) // to read-only
            expect C.invalidAccount (runProbe env [ acct; key 13 ] [] [ call N.accountTransfer [ 2UL; 3UL; 1UL ] 0 ] [||])
            expect C.insufficientBalance (runProbe env [ acct; other ] [] [ call N.accountTransfer [ 2UL; 3UL; 501UL ] 0 ] [||])
            expect C.balanceOverflow (runProbe env [ acct; key 12 ] [] [ call N.accountTransfer [ 2UL; 3UL; 1UL ] 0 ] [||])

        testCase "0x0B exit: the code, and revert rolls back" <| fun () ->
            let env = environment [ acct, owned 500UL [||]; other, Account.create (key 99) 7UL [||] ]
            let r = runProbe env [ acct; other ] [] [ call N.accountTransfer [ 2UL; 3UL; 200UL ] 0; call N.exit [ 77UL; 1UL ] 0 ] [||]
            Expect.equal r.VmError Codes.Txn.vmRevert "r.VmError"
            Expect.equal (r.UserErrorCode, r.ErrorProgramAccIdx, r.FaultCode) (77UL, Some 1, Codes.FaultCode.revert) "(r.UserErrorCode, r.ErrorProgramAccIdx, r.FaultCode)"
            Expect.equal (r.State[acct].Meta.Balance) 500UL "the transfer was rolled back"
            let r = runProbe env [ acct; other ] [] [ call N.exit [ 5UL; 0UL ] 0 ] [||]
            Expect.equal (r.VmError, r.UserErrorCode) (0, 5UL) "(r.VmError, r.UserErrorCode)"

        testCase "0x0C log: success, too large, invalid address" <| fun () ->
            let text = System.Text.Encoding.ASCII.GetBytes "hello, thru"
            let calls = [ call N.log [ 0UL; uint64 text.Length ] (ptr 0) ]
            let calls = [ call N.log [ payloadAt calls 0; uint64 text.Length ] (ptr 0) ]
            let r = runProbe env0 [] [] calls text
            expect C.success r
            Expect.isTrue (r.Logs |> List.map (fun (l: Vm.Log) -> System.Text.Encoding.ASCII.GetString l.Data) = [ "hello, thru" ]) "the log"
            expect C.success (runProbe env0 [] [] [ call N.log [ 0UL; 1024UL ] (ptr 0) ] (Array.zeroCreate 1100))
            expect C.logDataTooLarge (runProbe env0 [] [] [ call N.log [ 0UL; 1025UL ] (ptr 0) ] (Array.zeroCreate 1100))
            expect C.invalidAddress (runProbe env0 [] [] [ call N.log [ 0xdeadUL; 4UL ] 0 ] [||])
            expect C.invalidAddress (runProbe env0 [] [] [ call N.log [ Address.txnDataBase + 1000UL; 1000UL ] 0 ] [||]) // runs past TXN_DATA

        testCase "0x0D emit_event: success with metadata, zero size, too large, invalid address, insufficient pages" <| fun () ->
            let calls = [ call N.emitEvent [ 0UL; 3UL ] (ptr 0); call N.emitEvent [ 0UL; 2UL ] (ptr 0) ]
            let calls = [ call N.emitEvent [ payloadAt calls 0; 3UL ] (ptr 0); call N.emitEvent [ payloadAt calls 3; 2UL ] (ptr 0) ]
            let r = runProbe env0 [] [] calls [| 1uy; 2uy; 3uy; 4uy; 5uy |]
            expect C.success r
            let events = r.Events |> List.map (fun (e: Vm.Event) -> e.Id, e.CallIdx, e.ProgramIdx, List.ofArray e.Payload)
            Expect.isTrue (events = [ 0, 0, 1, [ 1uy; 2uy; 3uy ]; 1, 0, 1, [ 4uy; 5uy ] ]) (sprintf "%A" events)
            Expect.equal r.EventsSize 5UL "r.EventsSize"
            expect C.eventIsZeroSize (runProbe env0 [] [] [ call N.emitEvent [ 0UL; 0UL ] (ptr 0) ] [||])
            expect C.eventTooLarge (runProbeWith (fun h -> { h with ComputeUnits = 20_000_000u }) env0 [] [] [ call N.emitEvent [ 0UL; 0x100_0001UL ] (ptr 0) ] [||])
            expect C.invalidAddress (runProbe env0 [] [] [ call N.emitEvent [ 0xdeadUL; 4UL ] 0 ] [||])
            expect C.insufficientPages (runProbeWith (fun h -> { h with MemoryUnits = 0us }) env0 [] [] [ call N.emitEvent [ 0UL; 4UL ] (ptr 0) ] [||])

        testCase "0x0A invoke: the callee's exit code in a1, bad index, missing, not a program, too deep, invalid image" <| fun () ->
            let broken = { programAccount [| 1uy; 2uy |] with Data = [| 7uy; 7uy |] }
            let env = environment [ acct, owned 0UL [||]; key 12, broken ]
            let inner = probe [ call N.exit [ 42UL; 0UL ] 0 ] [||]
            let invokeOf idx = [ call N.invoke [ payloadAt [ call 0UL [] 0 ] 0; uint64 inner.Length; idx; 0UL ] (ptr 0 ||| resultA1) ]
            expect 42L (runProbe env [] [] (invokeOf 1UL) inner)
            let invokeA0 idx = [ call N.invoke [ payloadAt [ call 0UL [] 0 ] 0; uint64 inner.Length; idx; 0UL ] (ptr 0) ]
            expect C.success (runProbe env [] [] (invokeA0 1UL) inner)
            expect C.invalidAccountIndex (runProbe env [] [] (invokeA0 5UL) inner)
            expect C.accountDoesNotExist (runProbe env [] [ key 30 ] (invokeA0 2UL) inner)
            expect C.accountIsNotProgram (runProbe env [] [ acct ] (invokeA0 2UL) inner)
            expect C.accountIsNotProgram (runProbe env [] [ key 12 ] (invokeA0 2UL) inner)

        testCase "0x0A invoke: depth 16 is the deepest frame; an invoke made there fails with CALL_DEPTH_TOO_DEEP" <| fun () ->
            // 15 nested invokes reach depth 16; the innermost prober then tries one more.
            let tryInvoke = [ call N.invoke [ 0UL; 0UL; 1UL; 0UL ] 0 ]
            let r = Execution.execute env0 (wire unsigned (header feePayerKey programKey) [] [] (nested 15 tryInvoke))
            ok r
            Expect.equal (code r) C.callDepthTooDeep "code r"
            Expect.equal r.MaxCallDepth 16 "r.MaxCallDepth"
            let r = Execution.execute env0 (wire unsigned (header feePayerKey programKey) [] [] (nested 14 [ call N.exit [ 3UL; 0UL ] 0 ]))
            Expect.equal (r.VmError, r.UserErrorCode, r.MaxCallDepth, r.CallDepth) (0, 3UL, 15, 1) "(r.VmError, r.UserErrorCode, r.MaxCallDepth, r.CallDepth)"

        testCase "an unknown syscall number stops execution with SIGILL" <| fun () ->
            let r = runProbe env0 [] [] [ call 0x10UL [] 0 ] [||]
            Expect.equal (r.VmError, r.ExecutionCode) (Codes.Txn.vmFailed, Codes.VmError.sigill) "(r.VmError, r.ExecutionCode)"

        testCase "0x04 account_create: success, bad index, not writable, exists, bad address, bad pointer, proof length, slot, invalid proof, state units" <| fun () ->
            let env = envWithTrie [ acct, owned 0UL [||] ]
            let proof = proofFor derived 1000UL
            let calls, payload = create 2UL proof (uint64 proof.Length)
            let r = runProbe env [ derived ] [] calls payload
            expect C.success r
            Expect.equal (r.State[derived].Meta.Owner) programKey "r.State[derived].Meta.Owner"
            Expect.equal r.ConsumedStateUnits 1UL "62 bytes of metadata: one state unit"
            expect C.invalidAccountIndex (runProbe env [ derived ] [] (fst (create 3UL proof (uint64 proof.Length))) payload)
            expect C.accountNotWritable (runProbe env [] [ derived ] calls payload)
            expect C.accountAlreadyExists (runProbe (envWithTrie [ derived, owned 0UL [||] ]) [ derived ] [] calls payload)
            expect C.badAccountAddress (runProbe env [ key 50 ] [] calls payload)
            expect C.invalidAddress (runProbe env [ derived ] [] [ call N.accountCreate ([ 2UL ] @ seedWords @ [ 0xdeadUL; uint64 proof.Length ]) 0 ] [||])
            expect C.invalidProofLen (runProbe env [ derived ] [] (fst (create 2UL proof (uint64 proof.Length - 32UL))) payload)
            let future = proofFor derived 1001UL
            expect C.invalidProofSlot (runProbe env [ derived ] [] (fst (create 2UL future (uint64 future.Length))) future)
            let old = proofFor derived 400UL // 600 blocks ago: beyond the 512 visible
            expect C.invalidProofSlot (runProbe env [ derived ] [] (fst (create 2UL old (uint64 old.Length))) old)
            let wrongRoot = { env with Blocks = blocks (Array.create 32 7uy) }
            expect C.invalidStateProof (runProbe wrongRoot [ derived ] [] calls payload)
            let existing = StateProof.serialize (StateProof.prove trie (key 41) 1000UL) // an EXISTING proof: not a proof of absence
            expect C.invalidStateProof (runProbe env [ derived ] [] (fst (create 2UL existing (uint64 existing.Length))) existing)
            let r = runProbeWith (fun h -> { h with StateUnits = 0us }) env [ derived ] [] calls payload
            Expect.equal (r.VmError, r.FaultCode, r.ExecutionCode) (Codes.Txn.suExhausted, Codes.FaultCode.sigsu, Codes.VmError.sigsu) "(r.VmError, r.FaultCode, r.ExecutionCode)"

        testCase "0x04 account_create: an ephemeral creator cannot create a persistent account" <| fun () ->
            let ephemeralProgram = { programAccount prober with Meta = { (programAccount prober).Meta with Flags = AccountFlags.program ||| AccountFlags.ephemeral } }
            let env = { envWithTrie [] with State = (envWithTrie []).State.Add(programKey, ephemeralProgram) }
            let proof = proofFor derived 1000UL
            let calls, payload = create 2UL proof (uint64 proof.Length)
            expect C.ephemeralAccountCannotCreatePersistent (runProbe env [ derived ] [] calls payload)

        testCase "0x05 account_create_ephemeral: success (committed with its EPHEMERAL flag, D-EPHEMERAL), bad index, not writable, exists, bad address" <| fun () ->
            let calls idx = [ call N.accountCreateEphemeral ([ idx ] @ seedWords) 0 ]
            let r = runProbe env0 [ derivedEphemeral ] [] (calls 2UL) [||]
            expect C.success r
            Expect.isTrue (r.State.ContainsKey derivedEphemeral) "an ephemeral account outlives its transaction"
            Expect.isTrue (AccountMeta.hasFlag AccountFlags.ephemeral r.State[derivedEphemeral].Meta) "with its EPHEMERAL flag"
            // Under the older reading (profile switch EphemeralPersists off) it leaves the state at commit.
            let older = runProbe { env0 with Profile = { env0.Profile with EphemeralPersists = false } } [ derivedEphemeral ] [] (calls 2UL) [||]
            expect C.success older
            Expect.isFalse (older.State.ContainsKey derivedEphemeral) "EphemeralPersists = false"
            Expect.equal r.ConsumedStateUnits 0UL "r.ConsumedStateUnits"
            expect C.invalidAccountIndex (runProbe env0 [ derivedEphemeral ] [] (calls 3UL) [||])
            expect C.accountNotWritable (runProbe env0 [] [ derivedEphemeral ] (calls 2UL) [||])
            expect C.accountAlreadyExists (runProbe (environment [ derivedEphemeral, owned 0UL [||] ]) [ derivedEphemeral ] [] (calls 2UL) [||])
            expect C.badAccountAddress (runProbe env0 [ derived ] [] (calls 2UL) [||]) // the persistent address

        testCase "0x0F account_create_eoa: success, bad index, not writable, exists, bad signature pointer, invalid signature, proof errors" <| fun () ->
            let eoa = key 60
            let proof = proofFor eoa 1000UL
            let signature = Array.create 64 9uy
            let payload = Array.append signature proof
            let mk idx sigPtr proofSize = [ call N.accountCreateEoa [ idx; sigPtr; payloadAt [ call 0UL [] 0 ] 64; proofSize ] (ptr 1 ||| ptr 2) ]
            let good = mk 2UL (payloadAt [ call 0UL [] 0 ] 0) (uint64 proof.Length)
            let env = envWithTrie []
            let r = runProbe env [ eoa ] [] good payload
            expect C.success r
            Expect.equal (r.State[eoa].Meta.Owner) Pubkey.zero "owned by the EOA program"
            expect C.invalidAccountIndex (runProbe env [ eoa ] [] (mk 3UL (payloadAt [ call 0UL [] 0 ] 0) (uint64 proof.Length)) payload)
            expect C.accountNotWritable (runProbe env [] [ eoa ] good payload)
            expect C.accountAlreadyExists (runProbe (envWithTrie [ eoa, Account.create Pubkey.zero 0UL [||] ]) [ eoa ] [] good payload)
            expect C.invalidAddress (runProbe env [ eoa ] [] [ call N.accountCreateEoa [ 2UL; 0xdeadUL; payloadAt [ call 0UL [] 0 ] 64; uint64 proof.Length ] (ptr 2) ] payload)
            // The signed message is "tn_eoa_create_v1" ‖ chain_id ‖ fee payer ‖ eoa, by the eoa's key.
            let expectedMessage = Crypto.eoaCreateMessage 1us feePayerKey eoa
            let strict = { env with Verify = fun k m s -> k = feePayerKey || (k = eoa && m = expectedMessage && s = signature) }
            expect C.success (runProbe strict [ eoa ] [] good payload)
            let refusing = { env with Verify = fun k _ _ -> k = feePayerKey }
            expect C.invalidSignature (runProbe refusing [ eoa ] [] good payload)
            expect C.invalidProofLen (runProbe env [ eoa ] [] (mk 2UL (payloadAt [ call 0UL [] 0 ] 0) 39UL) payload)
            expect C.invalidStateProof (runProbe { env with Blocks = blocks (Array.create 32 1uy) } [ eoa ] [] good payload)

        testCase "0x06 account_delete: success, bad index, missing, not writable, balance or nonce, signature pointer, invalid signature" <| fun () ->
            let env = environment [ acct, owned 0UL [| 1uy; 2uy |]; other, owned 5UL [||]; key 12, { owned 0UL [||] with Meta = { (owned 0UL [||]).Meta with Nonce = 1UL } } ]
            let r = runProbe env [ acct ] [] [ call N.accountDelete [ 2UL; 0UL ] 0 ] [||]
            expect C.success r
            Expect.isFalse (r.State.ContainsKey acct) "a deleted account leaves the state"
            expect C.invalidAccountIndex (runProbe env [ acct ] [] [ call N.accountDelete [ 5UL; 0UL ] 0 ] [||])
            expect C.accountDoesNotExist (runProbe env [ key 30 ] [] [ call N.accountDelete [ 2UL; 0UL ] 0 ] [||])
            expect C.accountNotWritable (runProbe env [] [ acct ] [ call N.accountDelete [ 2UL; 0UL ] 0 ] [||])
            expect C.invalidAccount (runProbe env [ other ] [] [ call N.accountDelete [ 2UL; 0UL ] 0 ] [||])
            expect C.invalidAccount (runProbe env [ key 12 ] [] [ call N.accountDelete [ 2UL; 0UL ] 0 ] [||])
            expect C.invalidAddress (runProbe env [ acct ] [] [ call N.accountDelete [ 2UL; 0xdeadUL ] 0 ] [||])
            let refusing = { env with Verify = fun k _ _ -> k = feePayerKey } // only the transaction's own signature verifies
            expect C.invalidSignature (runProbe refusing [ acct ] [] [ call N.accountDelete [ 2UL; 0UL ] (ptr 1) ] (Array.zeroCreate 64))

        testCase "0x07 account_resize: grow (zero-filled, state units), shrink, bad index, missing, not writable, too big, pages" <| fun () ->
            let env = environment [ acct, owned 0UL [| 1uy; 2uy; 3uy |]; other, Account.create (key 99) 0UL [||] ]
            let r = runProbe env [ acct ] [] [ call N.accountResize [ 2UL; 5000UL ] 0 ] [||]
            expect C.success r
            Expect.equal (r.State[acct].Data.Length) 5000 "r.State[acct].Data.Length"
            Expect.isTrue (r.State[acct].Data[0..2] = [| 1uy; 2uy; 3uy |] && Array.forall ((=) 0uy) r.State[acct].Data[3..]) "kept, then zeros"
            Expect.equal r.ConsumedStateUnits 2UL "D-SU: 4997 bytes of growth cost ceil(4997 / 4096) = 2 units"
            let pages = runProbe { env with Profile = { env.Profile with StateUnits = Decisions.PerNewPage } } [ acct ] [] [ call N.accountResize [ 2UL; 5000UL ] 0 ] [||]
            Expect.equal pages.ConsumedStateUnits 1UL "PerNewPage: 65 -> 5062 footprint bytes, from 1 to 2 pages"
            let r = runProbe env [ acct ] [] [ call N.accountResize [ 2UL; 1UL ] 0 ] [||]
            expect C.success r
            Expect.isTrue (r.State[acct].Data = [| 1uy |]) "truncated to one byte"
            expect C.invalidAccountIndex (runProbe env [ acct ] [] [ call N.accountResize [ 3UL; 8UL ] 0 ] [||])
            expect C.accountDoesNotExist (runProbe env [ key 30 ] [] [ call N.accountResize [ 2UL; 8UL ] 0 ] [||])
            expect C.accountNotWritable (runProbe env [ other ] [] [ call N.accountResize [ 2UL; 8UL ] 0 ] [||])
            expect C.accountNotWritable (runProbe env [] [ acct ] [ call N.accountResize [ 2UL; 8UL ] 0 ] [||])
            expect C.accountTooBig (runProbe env [ acct ] [] [ call N.accountResize [ 2UL; 16UL * 1024UL * 1024UL + 1UL ] 0 ] [||])
            expect C.success (runProbeWith (fun h -> { h with MemoryUnits = 1us }) env [ acct ] [] [ call N.accountResize [ 2UL; 8192UL ] 0 ] [||]) // one new page
            expect C.insufficientPages (runProbeWith (fun h -> { h with MemoryUnits = 0us }) env [ acct ] [] [ call N.accountResize [ 2UL; 8192UL ] 0 ] [||])
            let r = runProbeWith (fun h -> { h with StateUnits = 0us }) env [ acct ] [] [ call N.accountResize [ 2UL; 8192UL ] 0 ] [||]
            Expect.equal r.VmError Codes.Txn.suExhausted "r.VmError"

        testCase "0x08 account_compress: success, bad index, missing, not writable, twice, not allowed, uncompressable, proof errors, ephemeral deleted" <| fun () ->
            let env = envWithTrie [ acct, owned 0UL [| 1uy |]; other, { owned 0UL [||] with Meta = { (owned 0UL [||]).Meta with Flags = AccountFlags.uncompressable } } ]
            let proof = proofFor acct 1000UL
            let r = runProbeWith mayCompress env [ acct ] [] (compress 2UL proof) proof
            expect C.success r
            Expect.isTrue (AccountMeta.hasFlag AccountFlags.compressed r.State[acct].Meta) "the account is marked compressed"
            expect C.invalidAccountIndex (runProbeWith mayCompress env [ acct ] [] (compress 3UL proof) proof)
            expect C.accountDoesNotExist (runProbeWith mayCompress env [ key 30 ] [] (compress 2UL proof) proof)
            expect C.accountNotWritable (runProbeWith mayCompress env [] [ acct ] (compress 2UL proof) proof)
            let proof2 = proofFor (key 12) 1000UL
            let twice = [ call N.accountCompress [ 2UL; 0UL; uint64 proof.Length ] (ptr 1); call N.accountCompress [ 3UL; 0UL; uint64 proof2.Length ] (ptr 1) ]
            let twice = [ call N.accountCompress [ 2UL; payloadAt twice 0; uint64 proof.Length ] (ptr 1); call N.accountCompress [ 3UL; payloadAt twice proof.Length; uint64 proof2.Length ] (ptr 1) ]
            let env2 = envWithTrie [ acct, owned 0UL [||]; key 12, owned 0UL [||] ]
            expect C.txnHasCompressedAccount (runProbeWith mayCompress env2 [ acct; key 12 ] [] twice (Array.append proof proof2))
            expect C.accountCompressionNotAllowed (runProbe env [ acct ] [] (compress 2UL proof) proof)
            expect C.accountUncompressable (runProbeWith mayCompress env [ other ] [] (compress 2UL (proofFor other 1000UL)) (proofFor other 1000UL))
            expect C.invalidProofLen (runProbeWith mayCompress env [ acct ] [] [ call N.accountCompress [ 2UL; payloadAt [ call 0UL [] 0 ] 0; 20UL ] (ptr 1) ] proof)
            expect C.invalidStateProof (runProbeWith mayCompress { env with Blocks = blocks (Array.create 32 3uy) } [ acct ] [] (compress 2UL proof) proof)
            let eph = { owned 0UL [||] with Meta = { (owned 0UL [||]).Meta with Flags = AccountFlags.ephemeral } }
            let r = runProbeWith mayCompress (envWithTrie [ acct, eph ]) [ acct ] [] (compress 2UL proof) proof
            expect C.success r
            Expect.isFalse (r.State.ContainsKey acct) "an ephemeral account is deleted instead"

        testCase "0x08 account_compress: a program in the call stack cannot be compressed" <| fun () ->
            // The prober, also stored at a read-write index, invokes that copy, which compresses itself.
            let copy = key 70
            let proof = proofFor copy 1000UL
            let inner = probe (compress 2UL proof) proof
            let outer = [ call N.invoke [ payloadAt [ call 0UL [] 0 ] 0; uint64 inner.Length; 2UL; 0UL ] (ptr 0 ||| resultA1) ]
            let selfOwned = { programAccount prober with Meta = { (programAccount prober).Meta with Owner = copy } }
            expect C.programInCallStack (runProbeWith mayCompress (envWithTrie [ copy, selfOwned ]) [ copy ] [] outer inner)

        testCase "0x09 account_decompress: success, bad index, not writable, already active, bad pointers, data size, proof errors, pages" <| fun () ->
            let restored = { Meta = { AccountMeta.create programKey with DataSize = 5u; Balance = 9UL }; Data = [| 1uy; 2uy; 3uy; 4uy; 5uy |] }
            let entries = (acct, StateProof.accountValueHash restored) :: trie
            let env = { environment [] with Blocks = blocks (StateProof.root entries) }
            let proof = StateProof.serialize (StateProof.prove entries acct 1000UL)
            let meta = Memory.Layout.metaView restored.Meta
            let payload = Array.concat [ meta; restored.Data; proof ]
            let mk idx (metaPtr: uint64) (mask: int) = [ call N.accountDecompress [ idx; metaPtr; payloadAt [ call 0UL [] 0 ] 62; payloadAt [ call 0UL [] 0 ] 67; uint64 proof.Length ] mask ]
            let good = mk 2UL (payloadAt [ call 0UL [] 0 ] 0) (ptr 1 ||| ptr 2 ||| ptr 3)
            let r = runProbe env [ acct ] [] good payload
            expect C.success r
            Expect.equal (r.State[acct].Meta.Balance, r.State[acct].Data) (9UL, restored.Data) "(r.State[acct].Meta.Balance, r.State[acct].Data)"
            expect C.invalidAccountIndex (runProbe env [ acct ] [] (mk 3UL (payloadAt [ call 0UL [] 0 ] 0) (ptr 1 ||| ptr 2 ||| ptr 3)) payload)
            expect C.accountNotWritable (runProbe env [] [ acct ] good payload)
            expect C.accountAlreadyExists (runProbe { env with State = env.State.Add(acct, restored) } [ acct ] [] good payload)
            expect C.invalidAddress (runProbe env [ acct ] [] (mk 2UL 0xdeadUL (ptr 2 ||| ptr 3)) payload)
            let huge = Array.concat [ Memory.Layout.metaView { restored.Meta with DataSize = 0x100_0001u }; restored.Data; proof ]
            expect C.invalidAccountDataSize (runProbeWith (fun h -> { h with ComputeUnits = 40_000_000u }) env [ acct ] [] good huge)
            expect C.invalidProofLen (runProbe env [ acct ] [] [ call N.accountDecompress [ 2UL; payloadAt [ call 0UL [] 0 ] 0; payloadAt [ call 0UL [] 0 ] 62; payloadAt [ call 0UL [] 0 ] 67; 50UL ] (ptr 1 ||| ptr 2 ||| ptr 3) ] payload)
            let tampered = Array.concat [ meta; [| 9uy; 2uy; 3uy; 4uy; 5uy |]; proof ]
            expect C.invalidStateProof (runProbe env [ acct ] [] good tampered)
            expect C.insufficientPages (runProbeWith (fun h -> { h with MemoryUnits = 0us }) env [ acct ] [] good payload)

        testCase "0x0E account_set_flags: set PROGRAM, bad index, missing, not writable, other flags, invalid program, in call stack" <| fun () ->
            let exeData = program [ li a0 0 ]
            let env = environment [ acct, owned 0UL exeData; other, owned 0UL [| 1uy |] ]
            let r = runProbe env [ acct ] [] [ call N.accountSetFlags [ 2UL; uint64 AccountFlags.program ] 0 ] [||]
            expect C.success r
            Expect.isTrue (Account.isProgram r.State[acct]) "Account.isProgram r.State[acct]"
            expect C.invalidAccountIndex (runProbe env [ acct ] [] [ call N.accountSetFlags [ 3UL; 1UL ] 0 ] [||])
            expect C.accountDoesNotExist (runProbe env [ key 30 ] [] [ call N.accountSetFlags [ 2UL; 1UL ] 0 ] [||])
            expect C.accountNotWritable (runProbe env [] [ acct ] [ call N.accountSetFlags [ 2UL; 1UL ] 0 ] [||])
            expect C.invalidFlags (runProbe env [ acct ] [] [ call N.accountSetFlags [ 2UL; uint64 AccountFlags.privileged ] 0 ] [||])
            expect C.accountIsNotProgram (runProbe env [ other ] [] [ call N.accountSetFlags [ 2UL; 1UL ] 0 ] [||])
            // A self-owned copy of the prober clears its own PROGRAM flag while running.
            let copy = key 70
            let inner = probe [ call N.accountSetFlags [ 2UL; 0UL ] 0 ] [||]
            let outer = [ call N.invoke [ payloadAt [ call 0UL [] 0 ] 0; uint64 inner.Length; 2UL; 0UL ] (ptr 0 ||| resultA1) ]
            let selfOwned = { programAccount prober with Meta = { (programAccount prober).Meta with Owner = copy } }
            expect C.programInCallStack (runProbe (environment [ copy, selfOwned ]) [ copy ] [] outer inner)
    ]
