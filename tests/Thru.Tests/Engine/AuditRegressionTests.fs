/// Regression cases from the spec audit of 2026-11-21: points where the model (and the engine,
/// which agreed with it) departed from an explicit statement of docs/spec/syscalls.md or
/// docs/spec/transactions.md. Each case runs on the model and on the engine: both must give the
/// expected outcome and agree on every observable.
module Thru.Tests.Engine.AuditRegressionTests

open Expecto
open Thru.Tests.Support
open Thru.Model
open Thru.Model.Memory
open Thru.Model.Runtime
open Thru.Conform.Gen.Harness
open Thru.Tests.Engine.TxnHarness

module C = Codes.Syscall
module N = Codes.SyscallNumber

let private sorted (keys: Pubkey list) = keys |> List.sortWith (fun a b -> compare a.Bytes b.Bytes)

/// The account index of `k` when `rw` are the read-write accounts (each list goes on the wire sorted).
let private index (rw: Pubkey list) (k: Pubkey) = uint64 (2 + List.findIndex ((=) k) (sorted rw))

/// Run `wire` on the model and on the engine; they must agree; the model's result.
let private both (env: Execution.Environment) (wire: byte[]) =
    let _, _, differences = compareTxn env (engineEnvironment env) wire
    expectEmpty differences "model vs engine"
    Execution.execute env wire

/// The prober making `calls` (the last call's a0 is the exit code) on both sides.
let private probeBoth (h: Transaction.Header -> Transaction.Header) env (rw: Pubkey list) (ro: Pubkey list) (calls: Call list) =
    both env (wire unsigned (h (header feePayerKey programKey)) (sorted rw) (sorted ro) (probe calls [||]))

let private expect (expected: int64) (r: Execution.TxnResult) =
    Expect.equal r.VmError Codes.Txn.success (sprintf "%s %A %A" (Codes.txnErrorName r.VmError) r.Rejection r.Fault)
    Expect.equal (code r) expected "the syscall's return code"

let private withFlags (flags: byte) (a: Account) = { a with Meta = { a.Meta with Flags = flags } }

let private acct, other, programOwned = key 10, key 11, key 14

[<Tests>]
let tests =
    testList "Engine.AuditRegressionTests" [
        // syscalls.md §3: "writable by current program" includes "not a program account"; account_transfer
        // needs it of `from`, account_delete returns -10 without it.
        testCase "a program account its program owns is not writable by it: transfer from it and delete it return ACCOUNT_NOT_WRITABLE" <| fun () ->
            let env = environment [ other, Account.create (key 99) 7UL [||]; programOwned, withFlags AccountFlags.program (owned 500UL [||]) ]
            let rw = [ other; programOwned ]
            expect C.accountNotWritable (probeBoth id env rw [] [ call N.accountTransfer [ index rw programOwned; index rw other; 1UL ] 0 ])
            let empty = environment [ programOwned, withFlags AccountFlags.program (owned 0UL [||]) ]
            expect C.accountNotWritable (probeBoth id empty [ programOwned ] [] [ call N.accountDelete [ 2UL; 0UL ] 0 ])
            // The same accounts without the PROGRAM flag: both succeed.
            let plain = environment [ other, Account.create (key 99) 7UL [||]; programOwned, owned 500UL [||] ]
            expect C.success (probeBoth id plain rw [] [ call N.accountTransfer [ index rw programOwned; index rw other; 1UL ] 0 ])
            expect C.success (probeBoth id (environment [ programOwned, owned 0UL [||] ]) [ programOwned ] [] [ call N.accountDelete [ 2UL; 0UL ] 0 ])

        // syscalls.md 0x08: "ephemeral accounts and deleted accounts are deleted instead and the call returns 0".
        testCase "account_compress of a deleted account returns 0 and the account stays deleted" <| fun () ->
            let env = environment [ acct, owned 0UL [| 1uy |] ]
            let r = probeBoth id env [ acct ] [] [ call N.accountDelete [ 2UL; 0UL ] 0; call N.accountCompress [ 2UL; 0UL; 0UL ] 0 ]
            expect C.success r
            Expect.isFalse (r.State.ContainsKey acct) "deleted, not compressed"
            // Writable in the transaction is still required.
            let deleted = environment [ acct, withFlags AccountFlags.deleted (owned 0UL [||]) ]
            expect C.accountNotWritable (probeBoth id deleted [] [ acct ] [ call N.accountCompress [ 2UL; 0UL; 0UL ] 0 ])
            expect C.success (probeBoth id deleted [ acct ] [] [ call N.accountCompress [ 2UL; 0UL; 0UL ] 0 ])

        // syscalls.md 0x01: "CU: 512 + max(0, delta)", a cost of the arguments alone (decision D-CU-CHARGE),
        // also when a0 names no stack or heap segment.
        testCase "increment_anonymous_segment_sz costs 512 + delta even when the segment is invalid" <| fun () ->
            let run delta = probeBoth id (environment []) [] [] [ call N.incrementAnonymousSegmentSz [ Address.txnDataBase; delta ] 0 ]
            let small, large = run 0x1000UL, run 0x3000UL
            expect C.invalidSegmentId small
            expect C.invalidSegmentId large
            Expect.equal large.Instructions small.Instructions "large.Instructions"
            Expect.equal (large.ConsumedComputeUnits - small.ConsumedComputeUnits) 0x2000UL "large.ConsumedComputeUnits - small.ConsumedComputeUnits"
            // A budget that covers 512 but not 512 + delta ends with SIGCU, before the segment is looked at.
            let exact = small.ConsumedComputeUnits
            let r = probeBoth (fun h -> { h with ComputeUnits = uint32 exact + 0x1000u }) (environment []) [] [] [ call N.incrementAnonymousSegmentSz [ Address.txnDataBase; 0x3000UL ] 0 ]
            Expect.equal r.VmError Codes.Txn.cuExhausted "r.VmError"

        // transactions.md §5: the fee payer "must exist, or be created/decompressed using the attached
        // state proof"; a compressed account is archived (decision D-LIVE), so a compressed fee payer
        // needs its proof like an absent one, and a compressed program account cannot run.
        testCase "a compressed or deleted fee payer needs its state proof; a compressed or deleted program is INVALID_PROGRAM_ACCOUNT" <| fun () ->
            let e = environment []

            for flag in [ AccountFlags.compressed; AccountFlags.deleted ] do
                let archived = { e with State = e.State.Add(feePayerKey, withFlags flag (Account.create Pubkey.zero 1_000_000UL [||])) }
                let r = probeBoth id archived [] [] [ call N.exit [ 0UL; 0UL ] 0 ]
                Expect.equal r.VmError Codes.Txn.feePayerAccountDoesNotExist (sprintf "fee payer with flags 0x%02x" flag)
                let program = { e with State = e.State.Add(programKey, withFlags (AccountFlags.program ||| flag) (programAccount prober)) }
                let r = probeBoth id program [] [] [ call N.exit [ 0UL; 0UL ] 0 ]
                Expect.equal r.VmError Codes.Txn.invalidProgramAccount (sprintf "program with flags 0x%02x" flag)

            // With an EXISTING proof of its archived record, a compressed fee payer is restored and pays the fee.
            let record = Account.create Pubkey.zero 5000UL [||]
            let entries = [ feePayerKey, StateProof.accountValueHash record ]
            let archived = { e with Blocks = blocks (StateProof.root entries); State = e.State.Add(feePayerKey, withFlags AccountFlags.compressed record) }
            let proof = StateProof.serialize (StateProof.prove entries feePayerKey 1000UL)
            let body = Transaction.body { header feePayerKey programKey with Flags = 1uy } [] [] (probe [ call N.exit [ 0UL; 0UL ] 0 ] [||]) (Some proof) (Some(Layout.metaRecord record.Meta))
            let r = both archived (Array.append body (unsigned body))
            Expect.equal r.VmError Codes.Txn.success (sprintf "%A" r.Rejection)
            Expect.equal (r.State[feePayerKey].Meta.Flags, r.State[feePayerKey].Meta.Balance, r.State[feePayerKey].Meta.Nonce) (0uy, 4990UL, 1UL) "(r.State[feePayerKey].Meta.Flags, r.State[feePayerKey].Meta.Balance, r.State[feePayerKey].Meta.No..."
    ]
