/// The kernels of `thrumodel bench` (cli/Kernels.fs) compute what they claim, so that a benchmark
/// figure is a figure for real work: the SHA-256 kernel against FIPS 180-2, and every kernel on
/// the engine against the model, raw and Thru mode.
module Thru.Tests.Engine.KernelTests

open System
open Expecto
open Thru.Tests.Support
open Thru.Model
open Thru.Model.Isa
open Thru.Model.Runtime
open Thru.Compare
open Thru.Cli
open Thru.Conform.Gen.Harness
open Thru.Tests.Engine.TxnHarness
open Thru.Conform.Gen.TxnGen

let private baseAddress = 0x8000_0000UL

[<Tests>]
let tests =
    testList "Engine.KernelTests" [
        testCase "one iteration of the SHA-256 kernel leaves SHA-256(\"abc\") in a..h (FIPS 180-2 example B.1)" <| fun () ->
            let image = Kernels.sha256.Code Kernels.RawMode 1
            let run = (Raw.run Decisions.Profile.defaults image baseAddress 1_000_000L |> Result.toOption).Value
            Expect.equal run.Stop Raw.StoppedAtEcall "run.Stop"
            let digest = Crypto.sha256 "abc"B
            let expected = Array.init 8 (fun k -> uint64 (int64 (Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(ReadOnlySpan(digest, 4 * k, 4)))))
            let actual = Kernels.sha256Vars |> Array.map (Registers.get run.Hart.Regs)
            Expect.equal actual expected "actual"

        testCase "every kernel agrees on the engine and the model before it is timed (raw mode)" <| fun () ->
            for k in Kernels.all do
                match (try BenchCommand.checkAgreement k; None with e -> Some e) with
                | Some e -> failtestf "%s: %s" k.Name (string e)
                | None -> ()

        testCase "every kernel runs to its exit with the same consumed units on the engine and the model (Thru mode)" <| fun () ->
            for k in Kernels.all do
                for iterations in [ 1; 2 ] do
                    let world = worldEnvironment "accept-all"
                    let env = { world with State = world.State.Add(programKey, programAccount (Kernels.executable k iterations)) }
                    let wire = wire unsigned (header feePayerKey programKey) [] [] [||]
                    let model = Execution.execute env wire
                    Expect.equal model.VmError 0 (sprintf "%s: the model's exit" k.Name)
                    let engineEnv = TxnFixture.engineEnvironment env
                    let engine = Thru.Engine.TransactionExecutor.Execute(engineEnv, ReadOnlySpan wire)
                    expectEmpty (TxnObservation.differences (TxnObservation.ofModel model) (TxnObservation.ofEngine engineEnv engine)) k.Name
    ]
