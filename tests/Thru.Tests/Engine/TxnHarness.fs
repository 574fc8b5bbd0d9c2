/// Running one transaction on the model and on the engine and comparing the observations
/// (compare/TxnObservation.fs), the verifiers both sides share, and saving counterexamples as
/// "txn" fixtures (compare/TxnFixture.fs).
module Thru.Tests.Engine.TxnHarness

open System
open Thru.Model
open Thru.Model.Runtime
open Thru.Compare
open Thru.Conform.Gen.Generators
open Thru.Tests.Generators

/// A deterministic stand-in for Ed25519 that still binds key and message: a signature is valid
/// when its first 32 bytes are SHA-256(key ‖ message). Both sides get the same function.
let bindingVerify (key: byte[]) (message: byte[]) (signature: byte[]) =
    signature.Length = 64 && signature[..31] = Crypto.sha256 (Array.append key message)


/// The engine's view of a model environment (same state, blocks and verifier).
let engineEnvironment (env: Execution.Environment) = TxnFixture.engineEnvironment env

/// Both sides on one transaction: the model's observation and the differences (model vs engine).
let compareTxn (env: Execution.Environment) (engineEnv: Thru.Engine.EngineEnvironment) (wire: byte[]) =
    let modelResult = Execution.execute env wire
    let model = TxnObservation.ofModel modelResult

    try
        let engineResult = Thru.Engine.TransactionExecutor.Execute(engineEnv, ReadOnlySpan wire)
        let engine = TxnObservation.ofEngine engineEnv engineResult
        // The instruction counter (VmExecutionDetails.instruction_counter) is not part of the observation.
        let counter =
            if modelResult.Instructions = engineResult.Instructions then []
            else [ sprintf "instructions: %d vs %d" modelResult.Instructions engineResult.Instructions ]

        model, engine, TxnObservation.differences model engine @ counter
    with e ->
        model, { model with Engine = "engine" }, [ sprintf "the engine threw %s" (string e) ]

/// Save a transaction on which the engine and the model differ as a fixture (expected = the
/// model); once understood it moves to tests/Thru.Tests/Fixtures/txn/.
let private saved = ref 0

let saveCounterexample (env: Execution.Environment) (verifier: string) (wire: byte[]) (model: TxnObservation.TxnObservation) =
    if Threading.Interlocked.Increment saved > 5 then
        "(not saved: five counterexamples already saved by this run)"
    else
        let dir = IO.Path.Combine(artifactsDir, "counterexamples")
        IO.Directory.CreateDirectory dir |> ignore
        let name = "txn-" + (Convert.ToHexString(Crypto.sha256 wire)).Substring(0, 12).ToLowerInvariant()

        let fixture: TxnFixture.TxnFixture =
            { Name = name
              Description = "counterexample of the model-vs-engine transaction property"
              Verifier = verifier
              State = env.State
              Blocks = env.Blocks
              Chain = env.Chain
              Wire = wire
              Expected = model }

        let path = IO.Path.Combine(dir, name + ".json")
        IO.File.WriteAllText(path, Json.render (TxnFixture.toJson fixture))
        path
