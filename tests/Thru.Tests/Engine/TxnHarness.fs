/// Running one transaction on the model and on the engine and comparing the observations
/// (compare/TxnObservation.fs), the verifiers both sides share, and saving counterexamples as
/// "txn" fixtures (compare/TxnFixture.fs).
module Thru.Tests.Engine.TxnHarness

open System
open Thru.Model
open Thru.Model.Runtime
open Thru.Compare
open Thru.Tests.Generators

/// A deterministic stand-in for Ed25519 that still binds key and message: a signature is valid
/// when its first 32 bytes are SHA-256(key ‖ message). Both sides get the same function.
let bindingVerify (key: byte[]) (message: byte[]) (signature: byte[]) =
    signature.Length = 64 && signature[..31] = Crypto.sha256 (Array.append key message)

/// A signature `bindingVerify` accepts.
let bindingSign (key: Pubkey) (message: byte[]) = Array.append (Crypto.sha256 (Array.append key.Bytes message)) (Array.zeroCreate 32)

/// The engine's view of a model environment (same state, blocks and verifier).
let engineEnvironment (env: Execution.Environment) : Thru.Engine.EngineEnvironment =
    let state = Collections.Generic.Dictionary<Thru.Engine.PublicKey, Thru.Engine.EngineAccount>()

    for KeyValue(k, a) in env.State do
        state[TxnFixture.engineKey k] <- TxnFixture.engineAccount a

    let blocks = env.Blocks |> List.map TxnFixture.engineBlock |> Array.ofList
    let verify = env.Verify
    Thru.Engine.EngineEnvironment(state, blocks, Thru.Engine.SignatureVerifier(fun k m s -> verify (Pubkey k) m s))

/// Both sides on one transaction: the model's observation and the differences (model vs engine).
let compareTxn (env: Execution.Environment) (engineEnv: Thru.Engine.EngineEnvironment) (wire: byte[]) =
    let model = TxnObservation.ofModel (Execution.execute env wire)

    try
        let engine = TxnObservation.ofEngine engineEnv (Thru.Engine.TransactionExecutor.Execute(engineEnv, ReadOnlySpan wire))
        model, engine, TxnObservation.differences model engine
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
        let name = sprintf "txn-%08x" (hash wire)

        let fixture: TxnFixture.TxnFixture =
            { Name = name
              Description = "counterexample of the model-vs-engine transaction property"
              Verifier = verifier
              State = env.State
              Blocks = env.Blocks
              Wire = wire
              Expected = model }

        let path = IO.Path.Combine(dir, name + ".json")
        IO.File.WriteAllText(path, Json.render (TxnFixture.toJson fixture))
        path
