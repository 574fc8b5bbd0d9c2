/// Transaction validation (one test per code, in the documented order) and pre-execution
/// (liveness, fee payer, nonce, fee), with real Ed25519 signatures from libsodium.
module Thru.Tests.Runtime.TransactionTests

open Expecto
open Thru.Tests.Support
open Thru.Model
open Thru.Model.Memory
open Thru.Model.Runtime
open Thru.Interop
open Thru.Conform.Gen.Harness

module T = Codes.Txn

let private seed = Array.init 32 (fun i -> byte (i + 1))
let private payer = Pubkey(Sodium.PublicKeyFromSeed seed)
let private sign (message: byte[]) = Sodium.Sign(seed, message)
let private verify: Crypto.Verifier = fun k m s -> Sodium.Verify(k.Bytes, m, s)

let private env (state: (Pubkey * Account) list) =
    { environment state with
        Verify = verify
        State = (environment state).State.Remove(feePayerKey).Add(payer, Account.create Pubkey.zero 1_000_000UL [||]) }

let private h = { header payer programKey with Fee = 100UL }
let private exitProgram = probe [ call Codes.SyscallNumber.exit [ 0UL; 0UL ] 0 ] [||]
let private signed (h: Transaction.Header) rw ro = wire sign h rw ro exitProgram

let private expectCode (code: int) (r: Execution.TxnResult) =
    Expect.equal r.VmError code (sprintf "%s: %A" (Codes.txnErrorName r.VmError) r.Rejection)

let private run (bytes: byte[]) = Execution.execute (env []) bytes

[<Tests>]
let tests =
    testList "Runtime.TransactionTests" [
        testCase "a valid signed transaction executes, and the fee payer pays fee and nonce" <| fun () ->
            let r = run (signed h [] [])
            expectCode T.success r
            Expect.equal (r.State[payer].Meta.Balance, r.State[payer].Meta.Nonce, r.State[payer].Meta.Seq) (999_900UL, 1UL, 1UL) "(r.State[payer].Meta.Balance, r.State[payer].Meta.Nonce, r.State[payer].Meta.Seq)"

        testCase "validation: size, version, flags, chain id, truncated keys, trailing bytes, fee-payer proof type" <| fun () ->
            let good = signed h [] []
            expectCode T.invalidFormat (run (Array.append good (Array.zeroCreate 32768)))
            expectCode T.invalidFormat (run good[..174])
            expectCode T.invalidVersion (run (Array.updateAt 0 2uy good))
            expectCode T.invalidFlags (run (Array.updateAt 1 0x04uy good))
            expectCode T.invalidFormat (run (signed { h with ChainId = 0us } [] []))
            // rw_cnt = 100 announces 3200 bytes of keys that are not there.
            let tooMany = Array.copy good
            tooMany[2] <- 100uy
            expectCode T.invalidFormat (run tooMany)
            // A byte between the instruction data and the signature.
            let body = Transaction.body h [] [] exitProgram None None
            expectCode T.invalidFormat (run (Array.concat [ body; [| 0uy |]; sign (Crypto.transactionMessage (Array.append body [| 0uy |])) ]))
            // A fee-payer proof of type 3 and of type UPDATING.
            let proofOfType (t: uint64) = Array.append (Bits.toLE 8 (t <<< 62)) (Array.zeroCreate 32)
            for t in [ 3UL; 1UL ] do
                let b = Transaction.body { h with Flags = 1uy } [] [] exitProgram (Some(proofOfType t)) None
                expectCode T.invalidFeePayerStateProofType (run (Array.append b (sign (Crypto.transactionMessage b))))

        testCase "validation: account layout codes" <| fun () ->
            let k (n: byte) = Pubkey(Array.init 32 (fun i -> if i = 0 then n else 0uy))
            expectCode T.duplicateAccount (run (signed { h with Program = payer } [] []))
            expectCode T.duplicateAccount (run (signed h [ k 1uy; k 1uy ] []))
            expectCode T.unsortedReadWriteAccounts (run (signed h [ k 2uy; k 1uy ] []))
            expectCode T.unsortedReadOnlyAccounts (run (signed h [] [ k 2uy; k 1uy ]))
            expectCode T.duplicateAccount (run (signed h [ k 1uy ] [ k 1uy ]))
            expectCode T.duplicateAccount (run (signed h [ payer ] []))
            expectCode T.duplicateAccount (run (signed h [] [ programKey ]))
            // 1022 listed accounts reach the limit of 1024, but their keys alone (32,704 bytes) do not
            // fit the 32,768-byte size limit, which is checked first: through the wire the count limit is
            // unreachable. The check itself is tested directly; 1000 accounts fit and pass.
            let many = [ for i in 0..1022 -> Pubkey(Array.init 32 (fun j -> if j = 0 then byte (i / 256) elif j = 1 then byte i else 7uy)) ]
            let limit = Transaction.checkAccountLayout h many []
            Expect.equal (limit |> Result.mapError (fun e -> e.Code)) (Error T.accountCountLimitExceeded: Result<unit, int>) "limit |> Result.mapError (fun e -> e.Code)"
            Expect.isTrue (Transaction.checkAccountLayout h (List.truncate 1022 many) [] |> Result.isOk) "Transaction.checkAccountLayout h (List.truncate 1022 many) [] |> Result.isOk"
            expectCode T.invalidFormat (run (signed h many []))
            expectCode T.success (run (signed h (List.truncate 1000 many) []))

        testCase "validation: the signature" <| fun () ->
            let good = signed h [] []
            expectCode T.invalidSignature (run (Array.updateAt (good.Length - 1) (good[good.Length - 1] ^^^ 1uy) good))
            expectCode T.invalidSignature (run (Array.updateAt 20 1uy good)) // the body changed after signing
            let otherSeed = Array.create 32 9uy
            let b = Transaction.body h [] [] exitProgram None None
            expectCode T.invalidSignature (run (Array.append b (Sodium.Sign(otherSeed, Crypto.transactionMessage b))))

        testCase "pre-execution: liveness, missing fee payer, owner, nonce, balance (the nonce stays advanced)" <| fun () ->
            expectCode T.notLiveYet (run (signed { h with StartSlot = 1001UL } [] []))
            expectCode T.expired (run (signed { h with StartSlot = 900UL; ExpiryAfter = 100u } [] []))
            expectCode T.success (run (signed { h with StartSlot = 900UL; ExpiryAfter = 101u } [] []))
            expectCode T.success (run (signed { h with StartSlot = 1000UL; ExpiryAfter = System.UInt32.MaxValue } [] []))
            let e = env []
            expectCode T.feePayerAccountDoesNotExist (Execution.execute { e with State = e.State.Remove payer } (signed h [] []))
            expectCode T.invalidFeePayerAccountOwner (Execution.execute { e with State = e.State.Add(payer, Account.create programKey 1_000_000UL [||]) } (signed h [] []))
            expectCode T.nonceTooHigh (run (signed { h with Nonce = 1UL } [] []))
            let used = { e with State = e.State.Add(payer, { Account.create Pubkey.zero 1_000_000UL [||] with Meta = { AccountMeta.create Pubkey.zero with Balance = 1_000_000UL; Nonce = 5UL } }) }
            expectCode T.nonceTooLow (Execution.execute used (signed { h with Nonce = 4UL } [] []))
            let poor = { e with State = e.State.Add(payer, Account.create Pubkey.zero 99UL [||]) }
            let r = Execution.execute poor (signed h [] [])
            expectCode T.insufficientFeePayerBalance r
            Expect.equal (r.State[payer].Meta.Nonce, r.State[payer].Meta.Balance) (1UL, 99UL) "nonce advanced, no fee taken"

        testCase "pre-execution: a fee payer restored or created from a state proof, and each proof failure" <| fun () ->
            let record = { Meta = { AccountMeta.create Pubkey.zero with Balance = 5000UL; Nonce = 0UL }; Data = [||] }
            let entries = [ payer, StateProof.accountValueHash record; key 40, Crypto.sha256 [| 1uy |] ]
            let e = { env [] with Blocks = blocks (StateProof.root entries) }
            let e = { e with State = e.State.Remove payer }

            let withProof (proof: StateProof.Proof) (meta: Account option) =
                let b = Transaction.body { h with Flags = 1uy } [] [] exitProgram (Some(StateProof.serialize proof)) (meta |> Option.map (fun a -> Layout.metaRecord a.Meta))
                Execution.execute e (Array.append b (sign (Crypto.transactionMessage b)))

            let existing = StateProof.prove entries payer 1000UL
            let r = withProof existing (Some record)
            expectCode T.success r
            Expect.equal (r.State[payer].Meta.Balance) 4900UL "restored, then the fee of 100 paid"
            expectCode T.invalidFeePayerStateProofSlot (withProof { existing with Slot = 1001UL } (Some record))
            expectCode T.invalidFeePayerStateProof (withProof existing (Some { record with Meta = { record.Meta with Balance = 6000UL } }))
            expectCode T.invalidFeePayerStateProofAccountOwner (withProof existing (Some { record with Meta = { record.Meta with Owner = programKey } }))
            expectCode T.invalidFeePayerStateProofAccountMetaDataSz (withProof existing (Some { record with Meta = { record.Meta with DataSize = 1u } }))
            // Absent from the trie: a CREATION proof creates an empty EOA, which then cannot pay the fee.
            let absent = [ key 40, Crypto.sha256 [| 1uy |] ]
            let e2 = { e with Blocks = blocks (StateProof.root absent) }
            let b = Transaction.body { h with Flags = 1uy; Fee = 0UL } [] [] exitProgram (Some(StateProof.serialize (StateProof.prove absent payer 1000UL))) None
            let r = Execution.execute e2 (Array.append b (sign (Crypto.transactionMessage b)))
            expectCode T.success r
            Expect.equal (r.State[payer].Meta.Nonce) 1UL "r.State[payer].Meta.Nonce"

        testCase "execution: a missing or invalid program account is INVALID_PROGRAM_ACCOUNT after the fee" <| fun () ->
            let e = env []
            let r = Execution.execute { e with State = e.State.Remove programKey } (signed h [] [])
            expectCode T.invalidProgramAccount r
            Expect.equal (r.State[payer].Meta.Nonce) 1UL "r.State[payer].Meta.Nonce"
            let notProgram = { e with State = e.State.Add(programKey, Account.create Pubkey.zero 0UL prober) }
            expectCode T.invalidProgramAccount (Execution.execute notProgram (signed h [] []))
            let corrupt = { e with State = e.State.Add(programKey, programAccount [| 2uy; 0uy |]) }
            expectCode T.invalidProgramAccount (Execution.execute corrupt (signed h [] []))
    ]
