/// The engine (engine/, C#) against the model (model/, F#) on whole transactions: every field of
/// the observation (compare/TxnObservation.fs) must agree: result codes, consumed compute, state
/// and memory units, pages, events, logs, the fault, registers, pc, depths and the post-state of
/// every account. Random prober transactions (all 16 syscalls with valid and invalid arguments,
/// nested invokes, reverts, exhaustion of every budget), random instruction programs that touch
/// every segment, and malformed or refused transactions. A failing transaction is saved to
/// artifacts/counterexamples/ as a "txn" fixture; saved fixtures replay from Fixtures/txn/.
[<NUnit.Framework.Order(4)>]
module Thru.Tests.Engine.TxnDifferentialTests

open System
open NUnit.Framework
open FsCheck.FSharp
open Thru.Model
open Thru.Model.Runtime
open Thru.Compare
open Thru.Tests.Generators
open Thru.Tests.Runtime.Harness
open Thru.Tests.Engine.TxnHarness
open Thru.Tests.Engine.TxnGen

/// `n` values of `gen`, generated on every core in deterministic chunks (seeds derived from `seed`).
let private sampleParallel (seed: uint64) (n: int) (gen: FsCheck.Gen<'T>) : 'T[] =
    let chunks = 8
    Array.Parallel.init chunks (fun c -> sampleSeeded (seed * 0x100UL + uint64 c) (n / chunks + (if c < n % chunks then 1 else 0)) gen)
    |> Array.concat

/// The engine environments of the generated worlds, one per distinct model environment object.
let private engineEnvs = Runtime.CompilerServices.ConditionalWeakTable<Execution.Environment, Thru.Engine.EngineEnvironment>()

let private engineEnvOf (env: Execution.Environment) = engineEnvs.GetValue(env, fun e -> engineEnvironment e)

/// Run every case on both sides; the failures, described (and saved as fixtures).
let private differential (cases: GenTxn[]) =
    cases
    |> Array.Parallel.choose (fun t ->
        match compareTxn t.Env (engineEnvOf t.Env) t.Wire with
        | _, _, [] -> None
        | model, _, ds ->
            let saved = saveCounterexample t.Env t.Verifier t.Wire model
            Some(sprintf "%s transaction (saved as %s):\n%s" t.Label saved (String.concat "\n" ds)))

let private assertAgree (what: string) (cases: GenTxn[]) =
    let failures = differential cases
    Assert.That(failures, Is.Empty, sprintf "%d of %d %s differ; first:\n%s" failures.Length cases.Length what (Array.tryHead failures |> Option.defaultValue ""))

/// The observations of the model on some cases (for coverage checks).
let private outcomes (cases: GenTxn[]) =
    cases |> Array.Parallel.map (fun t -> TxnObservation.ofModel (Execution.execute t.Env t.Wire))

[<Test>]
let ``the engine agrees with the model on 3000 random prober transactions`` () =
    let cases = sampleParallel (testSeed 61UL) 3000 (genProberTxn "sha256-binding")
    assertAgree "prober transactions" cases
    // They reach every way a transaction can end.
    let codes = outcomes cases[..999] |> Array.map (fun o -> o.VmError) |> Set.ofArray
    let expected = set [ 0; Codes.Txn.vmRevert; Codes.Txn.vmFailed; Codes.Txn.cuExhausted; Codes.Txn.suExhausted ]
    Assert.That(Set.difference expected codes, Is.Empty, "endings never reached")

[<Test>]
let ``the engine agrees with the model on 1500 random programs that touch every segment`` () =
    let cases = sampleParallel (testSeed 62UL) 1500 (genProgramTxn "sha256-binding")
    assertAgree "program transactions" cases
    let faults = outcomes cases[..499] |> Array.choose (fun o -> o.Fault) |> Array.map (fun f -> f.Split(' ')[0]) |> Set.ofArray

    let expected =
        set [ "invalid-address"; "invalid-segment"; "permission-denied"; "alignment-violation"; "illegal-instruction"; "breakpoint"; "unknown-syscall" ]

    Assert.That(Set.difference expected faults, Is.Empty, "fault kinds never reached")

[<Test>]
let ``the engine agrees with the model on 800 malformed or refused transactions`` () =
    let cases = sampleParallel (testSeed 63UL) 800 (genBadTxn "sha256-binding")
    assertAgree "malformed or refused transactions" cases
    let codes = outcomes cases |> Array.map (fun o -> o.VmError) |> Set.ofArray

    let expected =
        set
            [ Codes.Txn.invalidFormat; Codes.Txn.invalidVersion; Codes.Txn.invalidFlags; Codes.Txn.invalidSignature; Codes.Txn.duplicateAccount
              Codes.Txn.unsortedReadWriteAccounts; Codes.Txn.unsortedReadOnlyAccounts; Codes.Txn.nonceTooLow; Codes.Txn.nonceTooHigh
              Codes.Txn.insufficientFeePayerBalance; Codes.Txn.feePayerAccountDoesNotExist; Codes.Txn.notLiveYet; Codes.Txn.expired
              Codes.Txn.invalidFeePayerStateProof; Codes.Txn.invalidFeePayerStateProofType; Codes.Txn.invalidFeePayerStateProofSlot
              Codes.Txn.invalidFeePayerAccountOwner; Codes.Txn.invalidFeePayerStateProofAccountOwner
              Codes.Txn.invalidFeePayerStateProofAccountMetaDataSz; Codes.Txn.invalidProgramAccount; 0 ]

    Assert.That(Set.difference expected codes, Is.Empty, "codes never reached")

[<Test>]
let ``every saved txn fixture replays on the model and on the engine`` () =
    let dir = IO.Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "txn")
    let files = if IO.Directory.Exists dir then IO.Directory.GetFiles(dir, "*.json") else [||]

    for file in files do
        match TxnFixture.ofJson (IO.File.ReadAllText file) with
        | Error e -> Assert.Fail(sprintf "%s: %s" file e)
        | Ok f ->
            let model, engine, ds = compareTxn f.Environment (engineEnvironment f.Environment) f.Wire
            let name = IO.Path.GetFileName file
            Assert.That(ds, Is.Empty, sprintf "%s: model vs engine" name)
            Assert.That(Text.Json.Nodes.JsonNode.DeepEquals(TxnFixture.expectedJson model, f.Expected), sprintf "%s: model vs expected" name)
            Assert.That(Text.Json.Nodes.JsonNode.DeepEquals(TxnFixture.expectedJson engine, f.Expected), sprintf "%s: engine vs expected" name)

[<Test>]
let ``zz stats`` () =
    let show name (cases: GenTxn[]) =
        let os = cases |> Array.Parallel.map (fun t -> let m, e, _ = compareTxn t.Env (engineEnvOf t.Env) t.Wire in m, e)
        printfn "== %s" name
        os |> Array.countBy (fun (m, _) -> Codes.txnErrorName m.VmError) |> Array.sortBy snd |> Array.iter (fun (k, n) -> printfn "  %s: %d" k n)
        os |> Array.choose (fun (m, _) -> m.Fault) |> Array.countBy (fun f -> f.Split(' ')[0] + " " + (if f.Split(' ').Length > 1 then f.Split(' ')[1] else "")) |> Array.sortBy snd |> Array.iter (fun (k, n) -> printfn "  fault %s: %d" k n)
        os |> Array.countBy (fun (m, _) -> int64 m.UserErrorCode) |> Array.sortBy snd |> Array.iter (fun (k, n) -> printfn "  user %d: %d" k n)
        printfn "  mean CU %f, max depth %d, events %d, logs %d" (os |> Array.averageBy (fun (m, _) -> float m.ConsumedComputeUnits)) (os |> Array.map (fun (m, _) -> m.MaxCallDepth) |> Array.max) (os |> Array.sumBy (fun (m, _) -> m.Events.Length)) (os |> Array.sumBy (fun (m, _) -> m.Logs.Length))
        os |> Array.countBy (fun (m, _) -> m.MaxCallDepth) |> Array.sortBy fst |> Array.iter (fun (k, n) -> printfn "  depth %d: %d" k n)
        printfn "  engine obs equal count %d" (os |> Array.filter (fun (m, e) -> TxnObservation.differences m e = []) |> Array.length)
    show "prober" (sampleParallel (testSeed 61UL) 1000 (genProberTxn "sha256-binding"))
    show "program" (sampleParallel (testSeed 62UL) 500 (genProgramTxn "sha256-binding"))
    show "bad" (sampleParallel (testSeed 63UL) 500 (genBadTxn "sha256-binding"))
