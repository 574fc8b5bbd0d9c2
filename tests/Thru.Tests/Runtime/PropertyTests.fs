/// Properties of transactions, metering and invocation (issue 4 §5).
module Thru.Tests.Runtime.PropertyTests

open Expecto
open Thru.Tests.Support
open FsCheck
open FsCheck.FSharp
open Thru.Model
open Thru.Model.Memory
open Thru.Model.Memory.Layout
open Thru.Model.Memory.Space
open Thru.Model.Runtime
open Thru.Conform.Gen.Generators
open Thru.Tests.Generators
open Thru.Conform.Gen.Harness

module N = Codes.SyscallNumber

let private acctA, acctB = key 10, key 11

let private world () =
    environment [ acctA, owned 1000UL (Array.init 64 byte); acctB, Account.create (key 99) 50UL [| 9uy |] ]

/// A random syscall that changes state (or tries to): transfers, resizes, writability, logs,
/// events, heap growth.
let private genCall: Gen<Call> =
    Gen.oneof
        [ Gen.map2 (fun (f: int) (a: int) -> call N.accountTransfer [ uint64 f; uint64 (3 - f + 2); uint64 a ] 0) (Gen.choose (2, 3)) (Gen.choose (0, 1200))
          Gen.map (fun s -> call N.accountResize [ 2UL; uint64 s ] 0) (Gen.choose (0, 9000))
          Gen.constant (call N.setAccountDataWritable [ 2UL ] 0)
          Gen.map (fun n -> call N.emitEvent [ 0UL; uint64 n ] (ptr 0)) (Gen.choose (0, 40))
          Gen.map (fun n -> call N.log [ 0UL; uint64 n ] (ptr 0)) (Gen.choose (0, 40))
          Gen.map (fun p -> call N.incrementAnonymousSegmentSz [ Address.heapBase; uint64 (4096 * p) ] 0) (Gen.choose (0, 3)) ]

/// Run the same random transaction under a given compute budget.
let private underBudget (env: Execution.Environment) (calls: Call list) (budget: uint32) =
    runProbeWith (fun h -> { h with ComputeUnits = budget }) env [ acctA; acctB ] [] calls (Array.zeroCreate 64)

// ---------------------------------------------------------------------------------------
// A callee cannot forge an authorization.
// ---------------------------------------------------------------------------------------

/// The SDK's authorization walk (docs/spec/syscalls.md §14.6, tsdk_is_account_authorized_by_idx),
/// written here from the spec, reading memory as a program would.
let authorized (s: Space) (idx: int) : bool =
    let read addr size = load s addr size |> Result.toOption
    let depth = s.Shadow.CallDepth
    let frameAddr d = Address.shadowStackBase + uint64 (8 + 264 * d)
    let programOf d = read (frameAddr d) 2 |> Option.map int
    let owner i = s.Accounts[i].Meta |> Option.map (fun m -> m.Owner)

    if idx = 0 || Some idx = programOf depth then true
    elif depth = 1 then false
    else
        let rec walk d =
            if d < 1 then false
            else
                let a3 = read (frameAddr d + 8UL + 13UL * 8UL) 8 |> Option.defaultValue 0UL
                let magic = if a3 <> 0UL then read a3 8 else None

                let verdict =
                    if magic = Some 0xC3F7A1D9E5B20846UL then
                        let count o = read (a3 + o) 2 |> Option.map int |> Option.defaultValue 0
                        let auths, deauths = count 8UL, count 10UL
                        let entry k = read (a3 + 12UL + uint64 (2 * k)) 2 |> Option.map int
                        let listed = [ 0 .. auths + deauths - 1 ] |> List.map (fun k -> k, entry k)

                        if listed |> List.exists (fun (k, e) -> k >= auths && e = Some idx) then Some false
                        elif listed |> List.exists (fun (k, e) -> k < auths && e = Some idx) then
                            Some(owner idx = (programOf d |> Option.map (fun p -> s.Accounts[p].Key)))
                        else None
                    else None

                match verdict with
                | Some v -> v
                | None -> if programOf d = Some idx then true else walk (d - 1)

        walk (depth - 1)

[<Tests>]
let tests =
    testList "Runtime.PropertyTests" [
        testCase "a reverted or faulted transaction leaves every account as before, except the fee payer's fee and nonce" <| fun () ->
            let env = world ()
            let g = Gen.zip (Gen.listOfLength 6 genCall) (Gen.elements [ true; false ])

            checkSeeded 21UL 300 g (fun (calls, revert) ->
                let last = if revert then call N.exit [ 9UL; 1UL ] 0 else call 0x33UL [] 0
                let r = runProbe env [ acctA; acctB ] [] (calls @ [ last ]) (Array.zeroCreate 64)
                let payerBefore = env.State[feePayerKey].Meta
                let payerAfter = r.State[feePayerKey].Meta

                r.VmError = (if revert then Codes.Txn.vmRevert else Codes.Txn.vmFailed)
                && r.Events.IsEmpty
                && (r.State |> Map.forall (fun k a -> k = feePayerKey || env.State.TryFind k = Some a))
                && r.State.Count = env.State.Count
                && payerAfter = { payerBefore with Balance = payerBefore.Balance - 10UL; Nonce = payerBefore.Nonce + 1UL; Seq = payerBefore.Seq + 1UL })

        testCase "consumed compute units never exceed the budget" <| fun () ->
            let env = world ()
            checkSeeded 22UL 300 (Gen.zip (Gen.listOfLength 5 genCall) (Gen.choose (0, 20_000))) (fun (calls, budget) ->
                let r = underBudget env calls (uint32 budget)
                r.ConsumedComputeUnits <= uint64 budget)

        testCase "budgets b and b+1 differ exactly as the metering rule says" <| fun () ->
            // With C the units a transaction consumes under an ample budget: every b >= C gives the same
            // observation; every b < C stops with SIGCU having consumed exactly b, the state rolled back.
            let env = world ()

            checkSeeded 23UL 60 (Gen.listOfLength 4 genCall) (fun calls ->
                let full = underBudget env calls 10_000_000u
                let c = uint32 full.ConsumedComputeUnits
                let observe (r: Execution.TxnResult) = Thru.Compare.TxnObservation.ofModel r

                let atOrAbove = [ c; c + 1u; c + 1000u ] |> List.forall (fun b -> observe (underBudget env calls b) = observe full)

                let below =
                    [ 0u; c / 3u; c - 1u ]
                    |> List.forall (fun b ->
                        let r = underBudget env calls b
                        r.VmError = Codes.Txn.cuExhausted && r.ConsumedComputeUnits = uint64 b && r.FaultCode = Codes.FaultCode.sigcu)

                full.VmError = 0 && atOrAbove && below)

        testCase "the invoke depth limit holds at every nesting depth" <| fun () ->
            for depth in 0..20 do
                let r = Execution.execute SyscallTests.env0 (wire unsigned (header feePayerKey programKey) [] [] (SyscallTests.nested depth [ call N.exit [ 5UL; 0UL ] 0 ]))
                Expect.equal r.VmError 0 "r.VmError"
                Expect.equal r.MaxCallDepth (min depth 15 + 1) (sprintf "depth %d" depth)
                // Beyond 15 nested invokes, the invoke made at depth 16 fails: only its a0 changes
                // (D-INVOKE-RETURN), so the prober there exits with the untouched a1, the size it passed.
                let expected = if depth <= 15 then 5UL else uint64 (SyscallTests.nested (depth - 16) [ call N.exit [ 5UL; 0UL ] 0 ]).Length
                Expect.equal r.UserErrorCode expected (sprintf "depth %d" depth)

        // ---------------------------------------------------------------- A callee cannot forge an authorization

        testCase "a callee cannot forge an authorization: no store it can make changes what the walk concludes" <| fun () ->
            // Depth 1 (program 1) authorized account 2 through a descriptor on its stack and invoked
            // program 3 (depth 2), which owns a stack page of its own. The callee tries random stores,
            // aimed at the descriptor, the caller's saved a3, its own page, and anywhere.
            let descriptorAddr = Address.stackBase + 0xFFF100UL
            let exe = (Executable.parse (Executable.build [| 0x73uy; 0uy; 0uy; 0uy |]) |> Result.toOption).Value
            let accounts = [ feePayerKey, Some(Account.create Pubkey.zero 5UL [||]); programKey, Some(programAccount prober); acctA, Some(owned 0UL [||]); key 12, Some(programAccount prober); acctB, Some(Account.create (key 12) 0UL [||]) ]
            let s = Space.initial Decisions.Profile.defaults (Array.zeroCreate 200) 3 accounts exe [] 16
            let stack, pool = (Paged.Anonymous.resize 1 4096L s.Stack s.Pool |> Result.toOption).Value
            let stack, pool = (Paged.Anonymous.resize 2 8192L stack pool |> Result.toOption).Value
            let descriptor = Array.concat [ Bits.toLE 8 0xC3F7A1D9E5B20846UL; Bits.toLE 2 1UL; Bits.toLE 2 0UL; Bits.toLE 2 2UL ]
            let stack = { stack with Bytes = Paged.Overlay.writeBytes stack.Bytes 0xFFF100 descriptor }
            let callerRegs = Array.init 32 (fun i -> if i = 13 then descriptorAddr else 0UL)

            let s =
                { s with
                    Stack = stack
                    Pool = pool
                    Shadow =
                        { s.Shadow with
                            CallDepth = 2
                            MaxCallDepth = 2
                            Frames = [ { s.Shadow.Frames.Head with SavedRegs = callerRegs }; { ProgramAccIdx = 3us; StackPages = 2us; HeapPages = 0us; SavedRegs = Array.zeroCreate 32 } ] } }

            let before = [ 0..4 ] |> List.map (authorized s)
            // 0 fee payer, 1 the caller's program, 2 authorized by the descriptor (owned by program 1),
            // 3 the running program; 4 (owned by program 3) is not authorized.
            Expect.isTrue (before = [ true; true; true; true; false ]) (sprintf "the walk before the callee acts: %A" before)

            let target =
                Gen.frequency
                    [ 3, Gen.choose (0, 17) |> Gen.map (fun k -> descriptorAddr + uint64 k)
                      2, Gen.choose (0, 264 * 3) |> Gen.map (fun k -> Address.shadowStackBase + uint64 k)
                      2, Gen.choose (0, 4095) |> Gen.map (fun k -> Address.stackBase + 0xFFE000UL + uint64 k)
                      1, Thru.Tests.Memory.SpaceGen.genAddress ]

            let stores = Gen.listOfLength 40 (Gen.zip3 target (Gen.elements [ 1; 2; 4; 8 ]) (Gen.choose (0, 0xFFFF) |> Gen.map uint64))

            checkSeeded 24UL 500 stores (fun attempts ->
                let after = attempts |> List.fold (fun s (a, size, v) -> match store s (a / uint64 size * uint64 size) size v with Ok s' -> s' | Error _ -> s) s
                [ 0..4 ] |> List.map (authorized after) = before)

        // ---------------------------------------------------------------- Malformed transactions

        testCase "every malformed transaction yields its validation code and never an exception" <| fun () ->
            let good = wire unsigned (header feePayerKey programKey) [ acctA ] [ acctB ] (probe [ call N.exit [ 0UL; 0UL ] 0 ] [||])
            let env = world ()
            let validationCodes = set [ -255; -254; -253; -252; -251; -250; -249; -248; -247 ]

            // Targeted mutations with known codes.
            let expect (code: int) (bytes: byte[]) = Expect.equal ((Execution.execute env bytes).VmError) code "(Execution.execute env bytes).VmError"
            expect Codes.Txn.invalidVersion (Array.updateAt 0 7uy good)
            expect Codes.Txn.invalidFlags (Array.updateAt 1 0x80uy good)
            expect Codes.Txn.invalidFormat good[.. good.Length - 2]
            expect Codes.Txn.invalidFormat (Array.append good [| 0uy |])
            expect Codes.Txn.invalidFormat good[..100]

            // Random damage: flipped bytes, cuts, random tails. Never an exception; the result is one of
            // the protocol's codes; with a strict verifier any damage to the signed bytes is refused.
            let strict = { env with Verify = fun k m s -> k = feePayerKey && m = Crypto.transactionMessage good[.. good.Length - 65] && s = good[good.Length - 64 ..] }
            let mutation =
                Gen.oneof
                    [ Gen.map2 (fun (i: int) (b: int) -> Array.updateAt (i % good.Length) (byte b) good) (Gen.choose (0, 100000)) (Gen.choose (0, 255))
                      Gen.map (fun (n: int) -> good[.. (n % good.Length)]) (Gen.choose (0, 100000))
                      Gen.map (fun (n: int) -> Array.append good (Array.create (n % 300) 0xAAuy)) (Gen.choose (1, 100000)) ]

            checkSeeded 25UL 3000 mutation (fun bytes ->
                let r = Execution.execute strict bytes
                bytes = good || validationCodes.Contains r.VmError || r.VmError = Codes.Txn.feePayerAccountDoesNotExist || r.VmError = Codes.Txn.invalidFeePayerStateProofType)
    ]
