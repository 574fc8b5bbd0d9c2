/// The engine (engine/, C#) against the model (model/, F#) on whole transactions: every field of
/// the observation (compare/TxnObservation.fs) must agree: result codes, consumed compute, state
/// and memory units, pages, events, logs, the fault, registers, pc, depths and the post-state of
/// every account. Random prober transactions (all 16 syscalls with valid and invalid arguments,
/// nested invokes, reverts, exhaustion of every budget), random instruction programs that touch
/// every segment, and malformed or refused transactions. A failing transaction is saved to
/// artifacts/counterexamples/ as a "txn" fixture; saved fixtures replay from Fixtures/txn/.
module Thru.Tests.Engine.TxnDifferentialTests

open System
open Expecto
open Thru.Tests.Support
open FsCheck.FSharp
open Thru.Model
open Thru.Model.Runtime
open Thru.Compare
open Thru.Conform.Gen.Generators
open Thru.Tests.Generators
open Thru.Conform.Gen.Harness
open Thru.Tests.Engine.TxnHarness
open Thru.Conform.Gen.TxnGen

/// `n` values of `gen`, generated on every core in deterministic chunks (seeds derived from `seed`).
let private sampleParallel (seed: uint64) (n: int) (gen: FsCheck.Gen<'T>) : 'T[] =
    let chunks = 8
    Array.Parallel.init chunks (fun c -> sampleSeeded (seed * 0x100UL + uint64 c) (n / chunks + (if c < n % chunks then 1 else 0)) gen)
    |> Array.concat

/// The engine environments of the generated worlds, one per distinct model environment object.
let private engineEnvs = Runtime.CompilerServices.ConditionalWeakTable<Execution.Environment, Thru.Engine.EngineEnvironment>()

let private engineEnvOf (env: Execution.Environment) = engineEnvs.GetValue(env, fun e -> engineEnvironment e)

/// Run every case on both sides: the model's observations, and the failures, described (and saved
/// as fixtures).
let private differential (cases: GenTxn[]) =
    let results =
        cases
        |> Array.Parallel.map (fun t ->
            match compareTxn t.Env (engineEnvOf t.Env) t.Wire with
            | model, _, [] -> model, None
            | model, _, ds ->
                let saved = saveCounterexample t.Env t.Verifier t.Wire model
                model, Some(sprintf "%s transaction (saved as %s):\n%s" t.Label saved (String.concat "\n" ds)))

    Array.map fst results, Array.choose snd results

/// Assert that the two sides agree on every case; the model's observations.
let private assertAgree (what: string) (cases: GenTxn[]) =
    let observations, failures = differential cases
    expectEmpty failures (sprintf "%d of %d %s differ; first:\n%s" failures.Length cases.Length what (Array.tryHead failures |> Option.defaultValue ""))
    observations

[<Tests>]
let tests =
    testList "Engine.TxnDifferentialTests" [
        Tiers.testDifferential "the engine agrees with the model on 3000 random prober transactions" [ "interpreter"; "compiled" ] <| fun tier ->
            use _ = Tiers.select tier
            let observations = assertAgree "prober transactions" (sampleParallel (testSeed 61UL) 3000 (genProberTxn "sha256-binding"))
            // They reach every way a transaction can end, and every call depth.
            let codes = observations |> Array.map (fun o -> o.VmError) |> Set.ofArray
            let expected = set [ 0; Codes.Txn.vmRevert; Codes.Txn.vmFailed; Codes.Txn.cuExhausted; Codes.Txn.suExhausted ]
            Soak.fixedSeedOnly (fun () -> expectEmpty (Set.difference expected codes) "endings never reached")
            let depths = observations |> Array.map (fun o -> o.MaxCallDepth) |> Set.ofArray
            Soak.fixedSeedOnly (fun () -> expectEmpty (Set.difference (set [ 1..16 ]) depths) "call depths never reached")

        Tiers.testDifferential "the engine agrees with the model on 1500 random programs that touch every segment" [ "interpreter"; "compiled" ] <| fun tier ->
            use _ = Tiers.select tier
            let observations = assertAgree "program transactions" (sampleParallel (testSeed 62UL) 1500 (genProgramTxn "sha256-binding"))
            let faults = observations |> Array.choose (fun o -> o.Fault) |> Array.map (fun f -> f.Split(' ')[0]) |> Set.ofArray

            let expected =
                set [ "invalid-address"; "invalid-segment"; "permission-denied"; "alignment-violation"; "resource-exhaustion"; "illegal-instruction"; "breakpoint"; "unknown-syscall" ]

            Soak.fixedSeedOnly (fun () -> expectEmpty (Set.difference expected faults) "fault kinds never reached")

        Tiers.testDifferential "the engine agrees with the model on 800 malformed or refused transactions" [ "interpreter"; "compiled" ] <| fun tier ->
            use _ = Tiers.select tier
            let observations = assertAgree "malformed or refused transactions" (sampleParallel (testSeed 63UL) 800 (genBadTxn "sha256-binding"))
            let codes = observations |> Array.map (fun o -> o.VmError) |> Set.ofArray

            let expected =
                set
                    [ Codes.Txn.invalidFormat; Codes.Txn.invalidVersion; Codes.Txn.invalidFlags; Codes.Txn.invalidSignature; Codes.Txn.duplicateAccount
                      Codes.Txn.unsortedReadWriteAccounts; Codes.Txn.unsortedReadOnlyAccounts; Codes.Txn.nonceTooLow; Codes.Txn.nonceTooHigh
                      Codes.Txn.insufficientFeePayerBalance; Codes.Txn.feePayerAccountDoesNotExist; Codes.Txn.notLiveYet; Codes.Txn.expired
                      Codes.Txn.invalidFeePayerStateProof; Codes.Txn.invalidFeePayerStateProofType; Codes.Txn.invalidFeePayerStateProofSlot
                      Codes.Txn.invalidFeePayerAccountOwner; Codes.Txn.invalidFeePayerStateProofAccountOwner
                      Codes.Txn.invalidFeePayerStateProofAccountMetaDataSz; Codes.Txn.invalidProgramAccount; 0 ]

            Soak.fixedSeedOnly (fun () -> expectEmpty (Set.difference expected codes) "codes never reached")

        Tiers.testTiers "every saved txn fixture replays on the model and on the engine" [ "interpreter"; "compiled"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            let dir = IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "txn")
            let files = if IO.Directory.Exists dir then IO.Directory.GetFiles(dir, "*.json") else [||]

            for file in files do
                match TxnFixture.ofJson (IO.File.ReadAllText file) with
                | Error e -> failtest (sprintf "%s: %s" file e)
                | Ok f ->
                    let model, engine, ds = compareTxn f.Environment (engineEnvironment f.Environment) f.Wire
                    let name = IO.Path.GetFileName file
                    expectEmpty ds (sprintf "%s: model vs engine" name)
                    Expect.isTrue (Text.Json.Nodes.JsonNode.DeepEquals(TxnFixture.expectedJson model, f.Expected)) (sprintf "%s: model vs expected" name)
                    Expect.isTrue (Text.Json.Nodes.JsonNode.DeepEquals(TxnFixture.expectedJson engine, f.Expected)) (sprintf "%s: engine vs expected" name)

        Tiers.testDifferential "random bytes as transactions and as programs: neither side throws, and both agree" [ "interpreter"; "compiled" ] <| fun tier ->
            use _ = Tiers.select tier
            let bytes (lo: int) (hi: int) = Gen.choose (lo, hi) |> Gen.bind (fun n -> Gen.arrayOfLength n (Gen.choose (0, 255) |> Gen.map byte))

            // Random wire bytes, mostly with a plausible header so that they get past the first checks.
            let wires =
                Gen.oneof
                    [ bytes 0 400
                      Gen.map2 (fun (body: byte[]) (rwro: int) -> Array.concat [ [| 1uy; 0uy; byte rwro; 0uy; 0uy; 0uy; 8uy; 0uy |]; body ]) (bytes 168 600) (Gen.choose (0, 3)) ]

            let env = worldEnvironment "accept-all"
            let txns = sampleParallel (testSeed 64UL) 1000 wires |> Array.map (fun w -> { Env = env; Wire = w; Verifier = "accept-all"; Label = "random-bytes" })
            assertAgree "random byte strings" txns |> ignore

            // Random bytes as the program's code (and a few words of valid instructions in between).
            let programTxn (code: byte[]) =
                let env = { env with State = env.State.Add(programKey, programAccount (Executable.build code)) }
                { Env = env; Wire = wire unsigned { header feePayerKey programKey with ComputeUnits = 20_000u } [ acctData ] [ foreign ] [| 1uy; 2uy; 3uy |]; Verifier = "accept-all"; Label = "random-code" }

            let code =
                Gen.frequency
                    [ 1, bytes 0 600
                      2, Gen.listOf (Gen.oneof [ genInstr |> Gen.map (fun i -> (Isa.Encode.toBytes (Isa.Full i)).Value); genCInstr |> Gen.map (fun c -> (Isa.Encode.toBytes (Isa.Compressed c)).Value); bytes 2 2 ]) |> Gen.map Array.concat ]

            assertAgree "random programs" (sampleParallel (testSeed 65UL) 500 code |> Array.map programTxn) |> ignore
    ]
