/// Hand-assembled programs end to end through transaction execution: logging, a transfer, and
/// an invoke chain (issue 4 §5).
module Thru.Tests.Runtime.EndToEndTests

open Expecto
open Thru.Tests.Support
open Thru.Model
open Thru.Model.Isa
open Thru.Model.Runtime
open Thru.Conform.Gen.Harness

let private exit0 = [ li a0 0; li a1 0; li a7 11; ecall ]

/// Logs its instruction data (a0, a1 at entry point at it), then exits 0.
let logger = program ([ li a7 12; ecall ] @ exit0)

/// Transfers the u64 amount in its instruction data from account 2 to account 3 and exits with
/// the syscall's result.
let transfer = program [ ld a2 a0 0; li a0 2; li a1 3; li a7 3; ecall; li a1 0; li a7 11; ecall ]

/// Invokes the program at index 2 with its own instruction data, then exits with the callee's
/// exit code + 1.
let caller = program [ li a2 2; li a3 0; li a7 10; ecall; addi a0 a1 1; li a1 0; li a7 11; ecall ]

/// Logs its instruction data and exits with its first byte.
let callee = program [ Full(Load(LBU, s0, a0, 0L)); li a7 12; ecall; mv a0 s0; li a1 0; li a7 11; ecall ]

let private run (programImage: byte[]) (extra: (Pubkey * Account) list) rw ro (instr: byte[]) =
    let env = environment extra
    let env = { env with State = env.State.Add(programKey, programAccount programImage) }
    Execution.execute env (wire unsigned (header feePayerKey programKey) rw ro instr)

/// Marks account 2 writable, compresses it with the proof in its instruction data, then stores
/// into its data.
let private compressThenStore =
    program
        [ mv s0 a0; mv s1 a1
          li a0 2; li a7 2; ecall
          li a0 2; mv a1 s0; mv a2 s1; li a7 8; ecall
          li t0 3; Full(ShiftImm(SLLI, t0, t0, 40)); Full(LUI(t1, 0x2000u)); add t0 t0 t1; sd a0 t0 0 ]

[<Tests>]
let tests =
    testList "Runtime.EndToEndTests" [
        testCase "a hand-assembled logger logs its instruction data" <| fun () ->
            let r = run logger [] [] [] "hello from ThruVM"B
            Expect.equal r.VmError 0 "r.VmError"
            Expect.isTrue (r.Logs |> List.map (fun l -> l.ProgramIdx, System.Text.Encoding.ASCII.GetString l.Data) = [ 1, "hello from ThruVM" ]) "r.Logs |> List.map (fun l -> l.ProgramIdx, System.Text.Encoding.ASCII.GetString l.Data) = [ 1, \"h..."
            // 2 + 2 + (li, li, li) ... every instruction is 4 CU here: li a7; ecall; li a0; li a1; li a7; ecall.
            Expect.equal r.ConsumedComputeUnits (6UL * 4UL) "six 32-bit instructions; log and exit cost nothing more"

        testCase "a hand-assembled transfer moves the balance and pays 512 CU for the syscall" <| fun () ->
            let from, to' = key 10, key 11
            let extra = [ from, Account.create programKey 1000UL [||]; to', Account.create (key 99) 5UL [||] ]
            let r = run transfer extra [ from; to' ] [] (Bits.toLE 8 300UL)
            Expect.equal (r.VmError, r.UserErrorCode) (0, 0UL) "(r.VmError, r.UserErrorCode)"
            Expect.equal (r.State[from].Meta.Balance, r.State[to'].Meta.Balance) (700UL, 305UL) "(r.State[from].Meta.Balance, r.State[to'].Meta.Balance)"
            Expect.equal (r.State[from].Meta.Seq, r.State[to'].Meta.Seq) (1UL, 1UL) "(r.State[from].Meta.Seq, r.State[to'].Meta.Seq)"
            Expect.equal r.ConsumedComputeUnits (8UL * 4UL + 8UL + 512UL) "8 instructions, an 8-byte load, one syscall"
            let r = run transfer extra [ from; to' ] [] (Bits.toLE 8 1001UL)
            Expect.equal (int64 r.UserErrorCode) Codes.Syscall.insufficientBalance "int64 r.UserErrorCode"
            Expect.equal (r.State[from].Meta.Balance) 1000UL "r.State[from].Meta.Balance"

        testCase "a hand-assembled invoke chain: the callee logs, its exit code comes back in a1" <| fun () ->
            let calleeKey = key 20
            let r = run caller [ calleeKey, programAccount callee ] [] [ calleeKey ] [| 41uy; 0x21uy |]
            Expect.equal (r.VmError, r.UserErrorCode) (0, 42UL) "(r.VmError, r.UserErrorCode)"
            Expect.equal (r.CallDepth, r.MaxCallDepth) (1, 2) "(r.CallDepth, r.MaxCallDepth)"
            Expect.isTrue (r.Logs |> List.map (fun l -> l.ProgramIdx, List.ofArray l.Data) = [ 2, [ 41uy; 0x21uy ] ]) "the callee (index 2) logged the caller's instruction data"
            // The callee reverting ends the whole transaction, reported against the callee.
            let reverting = program [ li a0 9; li a1 1; li a7 11; ecall ]
            let r = run caller [ calleeKey, programAccount reverting ] [] [ calleeKey ] [| 1uy |]
            Expect.equal (r.VmError, r.UserErrorCode, r.ErrorProgramAccIdx, r.CallDepth) (Codes.Txn.vmRevert, 9UL, Some 2, 2) "(r.VmError, r.UserErrorCode, r.ErrorProgramAccIdx, r.CallDepth)"

        testCase "regression: a compressed account's data is not writable, even if it was marked before" <| fun () ->
            let acct = key 10
            let trie = [ key 40, Crypto.sha256 [| 1uy |] ]
            let proof = StateProof.serialize (StateProof.prove trie acct 1000UL)
            let env = { environment [ acct, owned 0UL (Array.zeroCreate 64) ] with Blocks = blocks (StateProof.root trie) }
            let env = { env with State = env.State.Add(programKey, programAccount compressThenStore) }
            let h = { header feePayerKey programKey with Flags = Transaction.flagMayCompressAccount }
            let r = Execution.execute env (wire unsigned h [ acct ] [] proof)
            Expect.equal r.VmError Codes.Txn.vmFailed (sprintf "%A" r.Fault)
            Expect.equal (r.Fault |> Option.bind (fun f -> f.Trap)) (Some(MemoryFault(AccessFault.make PermissionDenied (Memory.Address.accountDataBase 2) 8 Write))) "r.Fault |> Option.bind (fun f -> f.Trap)"

        testCase "regression: recreating a deleted account gives its copy-on-write pages back to the pool" <| fun () ->
            let seed = Array.init 32 byte
            let seedWords = [ for i in 0..3 -> Bits.readLE seed (8 * i) 8 ]
            let eph = Crypto.derivedAddress programKey true seed
            let calls =
                [ call Codes.SyscallNumber.accountCreateEphemeral (2UL :: seedWords) 0
                  call Codes.SyscallNumber.accountResize [ 2UL; 4096UL ] 0
                  call Codes.SyscallNumber.accountDelete [ 2UL; 0UL ] 0
                  call Codes.SyscallNumber.accountCreateEphemeral (2UL :: seedWords) 0 ]
            let r = runProbe (environment []) [ eph ] [] calls [||]
            Expect.equal (r.VmError, r.UserErrorCode) (0, 0UL) "(r.VmError, r.UserErrorCode)"
            Expect.equal r.PagesUsed 0UL "the deleted incarnation's page was returned"
            Expect.equal r.ConsumedMemoryUnits 1UL "it was in use at the peak"
    ]
