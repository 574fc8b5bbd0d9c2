/// Replays every saved fixture (tests/Thru.Tests/Fixtures/): the model must reproduce the
/// expected observation exactly, and the named oracle must agree with it.
module Thru.Tests.FixtureTests

open System
open System.IO
open Expecto
open Thru.Tests.Support
open Thru.Model
open Thru.Model.Isa
open Thru.Compare

let private dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "raw")

/// The file names of the raw fixtures, in order.
let rawFixtures () =
    Directory.GetFiles(dir, "*.json") |> Array.sort |> Array.map Path.GetFileName

[<Tests>]
let tests =
    testList "FixtureTests" [
        // Unicorn replays run in the "unicorn" group, one at a time, with the Unicorn oracle test.
        testSequencedGroup "unicorn"
        <| testList "raw fixture replays" [
            for file in rawFixtures () ->
                testCase (Path.GetFileNameWithoutExtension file) <| fun () ->
                    match Fixture.rawOfJson (File.ReadAllText(Path.Combine(dir, file))) with
                    | Error e -> failtest (sprintf "%s: %s" file e)
                    | Ok f ->
                        let model = Raw.run Decisions.Profile.defaults f.Image f.Base f.MaxSteps |> Result.map RawObservation.ofModel
                        match model with
                        | Error e -> failtest (Raw.describeLoadError e)
                        | Ok m ->
                            expectEmpty (RawObservation.differences f.Expected m) "model vs expected"

                            if f.Oracle = Some "unicorn" then
                                let uc = RawObservation.ofUnicorn (Thru.Interop.UnicornRaw.Run(f.Image, f.Base, f.MaxSteps))
                                expectEmpty (RawObservation.differences f.Expected uc) "unicorn vs expected"
        ]

        testCase "there are fixtures to replay" <| fun () ->
            Expect.isGreaterThan (rawFixtures().Length) 0 "rawFixtures().Length"

        testCase "a malformed fixture is refused with the field named" <| fun () ->
            let cases =
                [ "[]", "a fixture must be a JSON object"
                  "{", "not valid JSON"
                  """{"format": "x"}""", "format is 'x'"
                  """{"format": "thrumodel-fixture", "version": 2}""", "version 2 is not supported"
                  """{"format": "thrumodel-fixture", "version": 1, "kind": "raw", "name": "n", "description": "d", "raw": {"base": "zz"}}""", "field 'base' must be a hex number" ]

            for text, expected in cases do
                match Fixture.rawOfJson text with
                | Ok _ -> failtest (sprintf "accepted: %s" text)
                | Error e -> Expect.stringContains e expected text
    ]
