/// Regression cases from the fidelity review against the public Thru sources (issue 12 section 2;
/// docs/spec/README.md lists the sources): decisions where the running system contradicted the
/// model's earlier reading. Each case runs on the model and on the engine: both must give the
/// expected outcome and agree on every observable.
module Thru.Tests.Engine.FidelityTests

open Expecto
open Thru.Tests.Support
open Thru.Model
open Thru.Model.Memory
open Thru.Model.Runtime
open Thru.Compare
open Thru.Conform.Gen.Harness
open Thru.Tests.Engine.TxnHarness

module C = Codes.Syscall
module N = Codes.SyscallNumber

let private sorted (keys: Pubkey list) = keys |> List.sortWith (fun a b -> compare a.Bytes b.Bytes)

/// Run `wire` on the model and on the engine; they must agree; the model's result.
let private both (env: Execution.Environment) (wire: byte[]) =
    let _, _, differences = compareTxn env (engineEnvironment env) wire
    expectEmpty (differences) "model vs engine"
    Execution.execute env wire

let private probeBoth (h: Transaction.Header -> Transaction.Header) env (rw: Pubkey list) (calls: Call list) (payload: byte[]) =
    both env (wire unsigned (h (header feePayerKey programKey)) (sorted rw) [] (probe calls payload))

let private expect (expected: int64) (r: Execution.TxnResult) =
    Expect.equal (r.VmError) (Codes.Txn.success) (sprintf "%s %A %A" (Codes.txnErrorName r.VmError) r.Rejection r.Fault)
    Expect.equal (code r) (expected) "the syscall's return code"

let private compressible = key 80
let private gib32 = 32UL * 1024UL * 1024UL * 1024UL
/// A transaction (MAY_COMPRESS_ACCOUNT set) that compresses `compressible` with a CREATION proof.
let private compressTxn (env: Execution.Environment) (entries: (Pubkey * byte[]) list) =
    let proof = StateProof.serialize (StateProof.prove entries compressible 1000UL)
    let calls = [ call N.accountCompress [ 2UL; 0UL; uint64 proof.Length ] 0 ]
    let calls = [ call N.accountCompress [ 2UL; payloadAt calls 0; uint64 proof.Length ] (ptr 1) ]
    probeBoth (fun h -> { h with Flags = Transaction.flagMayCompressAccount }) env [ compressible ] calls proof

[<Tests>]
let tests =
    testList "Engine.FidelityTests" [
        // Decision D-EPHEMERAL: Thru's CLI end-to-end test writes and runs ephemeral accounts in later
        // transactions (docs/spec/syscalls.md §9), so an ephemeral account a successful transaction
        // creates is in the committed state, with its EPHEMERAL flag, and a later transaction uses it.
        testCase "an ephemeral account created by a successful transaction persists and a later transaction uses it" <| fun () ->
            let seed = Array.init 32 (fun i -> byte (i + 1))
            let eph = Crypto.derivedAddress programKey true seed
            let seedWords = [ for w in 0..3 -> Bits.readLE seed (8 * w) 8 ]
            let env = environment []
            let r = probeBoth id env [ eph ] [ call N.accountCreateEphemeral (2UL :: seedWords) 0 ] [||]
            expect C.success r
            Expect.isTrue (r.State.ContainsKey eph) "the ephemeral account is committed"
            Expect.isTrue (AccountMeta.hasFlag AccountFlags.ephemeral r.State[eph].Meta) "and keeps its EPHEMERAL flag"
            // The next transaction (nonce 1) resizes it and writes to it.
            let next = { env with State = r.State }
            let r2 = probeBoth (fun h -> { h with Nonce = 1UL }) next [ eph ] [ call N.accountResize [ 2UL; 16UL ] 0 ] [||]
            expect C.success r2
            Expect.equal (r2.State[eph].Meta.DataSize) (16u) "r2.State[eph].Meta.DataSize"
            // Creating it again fails: it exists.
            let r3 = probeBoth (fun h -> { h with Nonce = 2UL }) { env with State = r2.State } [ eph ] [ call N.accountCreateEphemeral (2UL :: seedWords) 0 ] [||]
            expect C.accountAlreadyExists r3

        // Decision D-PROOF-WINDOW: a proof is accepted for the ACCEPTS_PROOF_BLOCK_SPAN (128) most recent
        // blocks: its slot is at most 127 slots before the current one (docs/spec/transactions.md §6.9).
        testCase "a state proof is accepted up to 127 slots back and refused with INVALID_PROOF_SLOT from 128" <| fun () ->
            let seed = Array.init 32 (fun i -> byte (100 + i))
            let target = Crypto.derivedAddress programKey false seed
            let seedWords = [ for w in 0..3 -> Bits.readLE seed (8 * w) 8 ]
            let entries = [ key 70, Crypto.sha256 [| 1uy |]; key 71, Crypto.sha256 [| 2uy |] ]
            let env = { environment [] with Blocks = blocks (StateProof.root entries) }

            let create (slot: uint64) =
                let proof = StateProof.serialize (StateProof.prove entries target slot)
                let calls = [ call N.accountCreate ([ 2UL ] @ seedWords @ [ 0UL; uint64 proof.Length ]) 0 ]
                let calls = [ call N.accountCreate ([ 2UL ] @ seedWords @ [ payloadAt calls 0; uint64 proof.Length ]) (ptr 5) ]
                probeBoth id env [ target ] calls proof

            expect C.success (create 1000UL)
            expect C.success (create 873UL) // 127 slots back
            expect C.invalidProofSlot (create 872UL) // 128 slots back
            expect C.invalidProofSlot (create 1001UL) // the future

        // The same window for the fee payer's proof: INVALID_FEE_PAYER_STATE_PROOF_SLOT from 128 back.
        testCase "a fee-payer state proof 128 slots old is INVALID_FEE_PAYER_STATE_PROOF_SLOT" <| fun () ->
            let env = { environment [] with State = (environment []).State.Remove feePayerKey }

            let run (slot: uint64) =
                let proof = StateProof.serialize (StateProof.prove [] feePayerKey slot)
                let body = Transaction.body { header feePayerKey programKey with Flags = 1uy; Fee = 0UL } [] [] (probe [ call N.exit [ 0UL; 0UL ] 0 ] [||]) (Some proof) None
                both env (Array.append body (unsigned body))

            Expect.equal ((run 873UL).VmError) (Codes.Txn.success) "(run 873UL).VmError"
            Expect.equal ((run 872UL).VmError) (Codes.Txn.invalidFeePayerStateProofSlot) "(run 872UL).VmError"

        // Decision D-FEE-PAYER-RECORD: the 64-byte record after an EXISTING fee-payer proof starts with
        // the runtime record's magic 0xC7A3 (bytes a3 c7); with another magic it is not a record, and two
        // transactions that differ only there must not have one effect.
        testCase "a fee-payer record whose magic is not 0xC7A3 is refused with INVALID_FEE_PAYER_STATE_PROOF" <| fun () ->
            let record = Account.create Pubkey.zero 5000UL [||]
            let entries = [ feePayerKey, StateProof.accountValueHash record ]
            let e = environment []
            let env = { e with Blocks = blocks (StateProof.root entries); State = e.State.Remove feePayerKey }
            let proof = StateProof.serialize (StateProof.prove entries feePayerKey 1000UL)

            let run (recordBytes: byte[]) =
                let body = Transaction.body { header feePayerKey programKey with Flags = 1uy } [] [] (probe [ call N.exit [ 0UL; 0UL ] 0 ] [||]) (Some proof) (Some recordBytes)
                both env (Array.append body (unsigned body))

            let good = Layout.metaRecord record.Meta
            Expect.equal ((good[0], good[1])) ((0xA3uy, 0xC7uy)) "(good[0], good[1])"
            Expect.equal ((run good).VmError) (Codes.Txn.success) "(run good).VmError"

            for bad in [ Array.updateAt 0 0uy good; Array.updateAt 1 0xC8uy good ] do
                let r = run bad
                Expect.equal (r.VmError) (Codes.Txn.invalidFeePayerStateProof) (sprintf "%A" r.Rejection)

        // Decision D-PC: the debug service's program_counter is an offset from the program's .text start
        // (Thru's CLI adds the ELF's .text address to it); the full address is reported as "pc".
        testCase "program_counter is the offset of the stopping instruction from the program segment's start; pc is the full address" <| fun () ->
            // A store to address 0 (the NULL segment) at offset 4 of the program.
            let faulty = program [ li t0 0; sd t0 t0 0 ]
            let env = { environment [] with State = (environment []).State.Add(programKey, programAccount faulty) }
            let w = wire unsigned (header feePayerKey programKey) [] [] [||]
            let _, _, differences = compareTxn env (engineEnvironment env) w
            expectEmpty (differences) "model vs engine"
            let faulting = Execution.execute env w
            Expect.equal (faulting.VmError) (Codes.Txn.vmFailed) "faulting.VmError"
            let o = TxnObservation.ofModel faulting
            let json = TxnObservation.toJson o o.State
            Expect.equal (faulting.Pc) (Address.programBase + 4UL) "faulting.Pc"
            Expect.equal (json["pc"].GetValue<string>()) (Hex.u64 faulting.Pc) "json[\"pc\"].GetValue<string>()"
            Expect.equal (json["program_counter"].GetValue<string>()) (Hex.u64 4UL) "json[\"program_counter\"].GetValue<string>()"

        // Decision D-RESERVED: the uploader (Thru's CLI, commands/program.rs) does not check the header's
        // reserved bytes and the format page calls them "typically zero": an executable with non-zero
        // reserved bytes runs.
        testCase "an executable whose reserved header bytes are not zero runs" <| fun () ->
            let image = Array.copy prober
            image[1] <- 0x5Auy
            image[7] <- 0xFFuy
            let env = { environment [] with State = (environment []).State.Add(programKey, programAccount image) }
            let r = probeBoth id env [] [ call N.exit [ 0UL; 0UL ] 0 ] [||]
            Expect.equal (r.VmError) (Codes.Txn.success) (sprintf "%A %A" r.Rejection r.ExecutionCode)

        // Decision D-CHAIN-ID: a replay-protected chain refuses a transaction signed for another chain
        // (docs/spec/transactions.md §3); it is refused like a zero chain_id, with INVALID_FORMAT, and
        // changes nothing (no fee, no nonce).
        testCase "a transaction whose chain_id is not the chain's is refused with INVALID_FORMAT and changes nothing" <| fun () ->
            let env = environment []
            Expect.equal (env.Chain.ChainId) (1us) "env.Chain.ChainId"
            let run (chain: uint16) = both env (wire unsigned { header feePayerKey programKey with ChainId = chain } [] [] (probe [ call N.exit [ 0UL; 0UL ] 0 ] [||]))
            Expect.equal ((run 1us).VmError) (Codes.Txn.success) "(run 1us).VmError"
            let r = run 2us
            Expect.equal (r.VmError) (Codes.Txn.invalidFormat) (sprintf "%A" r.Rejection)
            Expect.isTrue ((r.State = env.State)) "nothing changes"

        // Decision D-COMPRESS: compression needs the chain's global activated state counter above 32 GiB
        // (TN_STATE_COUNTER_BASELINE_BYTES, docs/spec/syscalls.md §3.6); below it account_compress returns
        // ACCOUNT_COMPRESSION_NOT_ALLOWED, like a transaction without MAY_COMPRESS_ACCOUNT.
        testCase "account_compress at or below the 32 GiB state baseline returns ACCOUNT_COMPRESSION_NOT_ALLOWED" <| fun () ->
            let entries = [ key 70, Crypto.sha256 [| 1uy |] ]
            let env = { environment [ compressible, owned 0UL [| 1uy; 2uy |] ] with Blocks = blocks (StateProof.root entries) }
            let at counter = { env with Chain = { env.Chain with StateCounter = counter } }
            expect C.accountCompressionNotAllowed (compressTxn (at gib32) entries)
            let r = compressTxn (at (gib32 + 1UL)) entries
            expect C.success r
            Expect.isTrue (AccountMeta.hasFlag AccountFlags.compressed r.State[compressible].Meta) "AccountMeta.hasFlag AccountFlags.compressed r.State[compressible].Meta"
            // The chain records when the account was compressed (the current slot), for the cool-down.
            Expect.equal (r.Chain.CompressedAt.TryFind compressible) (Some 1000UL) "r.Chain.CompressedAt.TryFind compressible"

        // Decision D-COMPRESS: a compressed account cannot be decompressed until 384 slots
        // (TN_RUNTIME_CTX_COMPRESSION_TIMEOUT = STATE_HASH_DELAY 256 + ACCEPTS_PROOF_BLOCK_SPAN 128) have
        // passed since its compression; before that account_decompress returns
        // ACCOUNT_IN_COMPRESSION_TIMEOUT (docs/spec/syscalls.md §13.2).
        testCase "account_decompress within 384 slots of the compression returns ACCOUNT_IN_COMPRESSION_TIMEOUT" <| fun () ->
            let restored = owned 9UL [| 5uy; 6uy; 7uy |]
            let entries = [ compressible, StateProof.accountValueHash restored; key 70, Crypto.sha256 [| 1uy |] ]
            let archived = { restored with Meta = { restored.Meta with Flags = AccountFlags.compressed } }
            let env = { environment [ compressible, archived ] with Blocks = blocks (StateProof.root entries) }
            let proof = StateProof.serialize (StateProof.prove entries compressible 1000UL)
            let view = Layout.metaView restored.Meta
            let payload = Array.concat [ view; restored.Data; proof ]

            let decompress (compressedAt: uint64) =
                let env = { env with Chain = { env.Chain with CompressedAt = Map [ compressible, compressedAt ] } }
                let calls = [ call N.accountDecompress [ 2UL; 0UL; 0UL; 0UL; uint64 proof.Length ] 0 ]
                let at k = payloadAt calls k
                let calls = [ call N.accountDecompress [ 2UL; at 0; at view.Length; at (view.Length + restored.Data.Length); uint64 proof.Length ] (ptr 1 ||| ptr 2 ||| ptr 3) ]
                probeBoth id env [ compressible ] calls payload

            expect C.accountInCompressionTimeout (decompress 1000UL)
            expect C.accountInCompressionTimeout (decompress 617UL) // 383 slots ago
            let r = decompress 616UL // 384 slots ago
            expect C.success r
            Expect.isTrue ((r.State[compressible].Data = restored.Data)) "the data is restored"
            Expect.isFalse (r.Chain.CompressedAt.ContainsKey compressible) "the account is active again"

        // Decision D-SU: any growth of persistent state costs state units, at least one: growth by d > 0
        // bytes costs ceil(d / 4096). Thru's client budgets 1 + new_size/4096 units for any resize, and the
        // end-to-end test's ExhaustSU phase (thru_cli_e2e.sh, debug scenario, command 7 on a scratch
        // account with --state-units 0) expects SIGSU (docs/spec/metering.md §3).
        testCase "growing a persistent account by one byte with no state units stops with SIGSU; ceil(delta / 4096) units otherwise" <| fun () ->
            let acct = key 81
            let env = environment [ acct, owned 0UL [| 1uy |] ]
            let grow (su: uint16) (size: uint64) = probeBoth (fun h -> { h with StateUnits = su }) env [ acct ] [ call N.accountResize [ 2UL; size ] 0 ] [||]
            let r = grow 0us 2UL
            Expect.equal ((r.VmError, r.FaultCode)) ((Codes.Txn.suExhausted, Codes.FaultCode.sigsu)) "(r.VmError, r.FaultCode)"
            let r = grow 1us 2UL
            expect C.success r
            Expect.equal (r.ConsumedStateUnits) (1UL) "r.ConsumedStateUnits"
            Expect.equal ((grow 1us 4097UL).VmError) (Codes.Txn.success) "4096 bytes of growth: one unit"
            Expect.equal ((grow 1us 4098UL).VmError) (Codes.Txn.suExhausted) "4097 bytes of growth: two units"
            Expect.equal ((grow 0us 1UL).VmError) (Codes.Txn.success) "shrinking costs nothing"
    ]
