/// The model against Unicorn on random RV64IMC programs: every register, the pc, the stop
/// (ecall, ebreak, limit, fault kind), the retired-instruction count and the data memory must
/// agree. Unicorn runs through interop's UnicornRaw, which imposes ThruVM's alignment rule and
/// reports exact stop states (the differences it normalises are listed on that class).
module Thru.Tests.Oracle.UnicornOracleTests

open Expecto
open Thru.Tests.Support
open FsCheck
open FsCheck.FSharp
open Thru.Model
open Thru.Model.Isa
open Thru.Compare
open Thru.Tests.Oracle.RawPrograms

let baseAddress = 0x8000_0000UL
let maxSteps = 400L

/// Run the model, returning its observation, the data area and the executed instructions.
let runModel (p: RawProgram) =
    let mem = (Raw.load p.Image baseAddress |> Result.toOption).Value
    let result, executed = Raw.runFold (fun acc f -> f.Decoded :: acc) [] Decisions.Profile.defaults maxSteps (Hart.at baseAddress) mem
    let data = Raw.FlatMemory.readBytes result.Memory (baseAddress + uint64 dataOffset) dataSize
    RawObservation.ofModel result, data, executed

let private stoppingInstruction (p: RawProgram) (o: RawObservation.RawObservation) =
    let offset = int (o.Pc - baseAddress)

    if o.Stop = "limit" || offset < 0 || offset + 1 >= p.Image.Length then None
    else
        let low = uint16 p.Image[offset] ||| (uint16 p.Image[offset + 1] <<< 8)
        let high = if offset + 3 < p.Image.Length then uint16 p.Image[offset + 2] ||| (uint16 p.Image[offset + 3] <<< 8) else 0us
        Some(Decode.decode low high)

/// Save a failing program as a fixture in artifacts/counterexamples/, with the model's
/// observation as the expected one. Once the disagreement is understood and fixed, move the file
/// to tests/Thru.Tests/Fixtures/raw/ so that it is replayed forever.
let saveCounterexample (prefix: string) (p: RawProgram) (model: RawObservation.RawObservation) =
    let dir = System.IO.Path.Combine(Thru.Tests.Generators.artifactsDir, "counterexamples")
    System.IO.Directory.CreateDirectory dir |> ignore
    let name = sprintf "%s-%08x" prefix (hash p.Image)

    let fixture: Fixture.RawFixture =
        { Name = name
          Description = "counterexample of the model-vs-Unicorn property"
          Base = baseAddress
          MaxSteps = maxSteps
          Image = p.Image
          Oracle = Some "unicorn"
          Expected = model }

    let path = System.IO.Path.Combine(dir, name + ".json")
    System.IO.File.WriteAllText(path, Json.render (Fixture.rawToJson fixture))
    path

/// Compare the model and Unicorn on one program: the model's observation and the differences.
let compare (p: RawProgram) =
    let model, modelData, executed = runModel p
    let uc = Thru.Interop.UnicornRaw.Run(p.Image, baseAddress, maxSteps, baseAddress + uint64 dataOffset, dataSize)
    let oracle = RawObservation.ofUnicorn uc
    let differences = RawObservation.differences model oracle @ (if modelData <> uc.Memory then [ "data memory differs" ] else [])

    if differences.IsEmpty then
        executed |> List.iter (Coverage.record "unicorn")
        // The stopping instruction (ecall, ebreak, illegal, faulting access) was checked too.
        stoppingInstruction p model |> Option.iter (Coverage.record "unicorn")

    model, differences

[<Tests>]
let tests =
    testList "Oracle.UnicornOracleTests" [
        testCase "the model agrees with Unicorn on 2500 random RV64IMC programs" <| fun () ->
            let programs = Thru.Conform.Gen.Generators.sampleSeeded (Thru.Tests.Generators.testSeed 1UL) 2500 (genProgram Rv64imcOnly baseAddress)

            let failures =
                programs
                |> Array.choose (fun p ->
                    match compare p with
                    | _, [] -> None
                    | model, ds -> Some(sprintf "%s\n(saved as %s)\n--- model vs unicorn:\n%s" (string p) (saveCounterexample "unicorn" p model) (String.concat "\n" ds)))

            expectEmpty failures (sprintf "%d of %d programs differ; first:\n%s" failures.Length programs.Length (Array.tryHead failures |> Option.defaultValue ""))
    ]
    |> testSequencedGroup "unicorn"
