/// Replays every saved fixture (tests/Thru.Tests/Fixtures/): the model must reproduce the
/// expected observation exactly, and the named oracle must agree with it.
module Thru.Tests.FixtureTests

open System.IO
open NUnit.Framework
open Thru.Model
open Thru.Model.Isa
open Thru.Compare

let private dir = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "raw")

let rawFixtures () =
    Directory.GetFiles(dir, "*.json") |> Array.sort |> Array.map (fun p -> TestCaseData(Path.GetFileName p).SetName(Path.GetFileNameWithoutExtension p))

[<TestCaseSource(nameof rawFixtures)>]
let ``raw fixture replays`` (file: string) =
    match Fixture.rawOfJson (File.ReadAllText(Path.Combine(dir, file))) with
    | Error e -> Assert.Fail(sprintf "%s: %s" file e)
    | Ok f ->
        let model = Raw.run Decisions.Profile.defaults f.Image f.Base f.MaxSteps |> Result.map RawObservation.ofModel
        match model with
        | Error e -> Assert.Fail(Raw.describeLoadError e)
        | Ok m ->
            Assert.That(RawObservation.differences f.Expected m, Is.Empty, "model vs expected")

            if f.Oracle = Some "unicorn" then
                let uc = RawObservation.ofUnicorn (Thru.Interop.UnicornRaw.Run(f.Image, f.Base, f.MaxSteps))
                Assert.That(RawObservation.differences f.Expected uc, Is.Empty, "unicorn vs expected")

[<Test>]
let ``there are fixtures to replay`` () =
    Assert.That(rawFixtures().Length, Is.GreaterThan 0)

[<Test>]
let ``a malformed fixture is refused with the field named`` () =
    let cases =
        [ "[]", "a fixture must be a JSON object"
          "{", "not valid JSON"
          """{"format": "x"}""", "format is 'x'"
          """{"format": "thrumodel-fixture", "version": 2}""", "version 2 is not supported"
          """{"format": "thrumodel-fixture", "version": 1, "kind": "raw", "name": "n", "description": "d", "raw": {"base": "zz"}}""", "field 'base' must be a hex number" ]

    for text, expected in cases do
        match Fixture.rawOfJson text with
        | Ok _ -> Assert.Fail(sprintf "accepted: %s" text)
        | Error e -> Assert.That(e, Does.Contain expected, text)
