/// The VM-level outcomes of Thru's public CLI end-to-end test (rpc/cli/tests/thru_cli_e2e.sh), as
/// the vectors of examples/e2e/vectors.json: every step of every vector runs through `thrumodel run
/// --engine both`; the model and the engine must agree, every "model" check must hold, and the
/// verdict on the script's own checks must be the one the file declares (examples/e2e/VECTORS.md).
module Thru.Tests.Examples.E2eVectorTests

open System
open System.Diagnostics
open System.IO
open Expecto

let private root = Path.GetDirectoryName(Thru.Tests.Generators.artifactsDir)

[<Tests>]
let tests =
    testList "Examples.E2eVectorTests" [
        testCase "every vector of examples/e2e/vectors.json runs as declared on the model and the engine" <| fun () ->
            let script = Path.Combine(root, "examples", "e2e", "check-vectors.fsx")
            let psi = ProcessStartInfo("dotnet", WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true)
            [ "fsi"; script ] |> List.iter psi.ArgumentList.Add
            use p = Process.Start psi
            let out = p.StandardOutput.ReadToEndAsync()
            let err = p.StandardError.ReadToEndAsync()
            Expect.isTrue (p.WaitForExit(TimeSpan.FromMinutes 10.0)) "check-vectors.fsx finishes"
            let lines = out.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            Expect.equal p.ExitCode 0 (sprintf "check-vectors.fsx:\n%s\n%s" out.Result err.Result)
            Expect.equal (lines |> Array.filter (fun l -> l.EndsWith " ok") |> Array.length) 19 "19 vectors, each reported ok"
            Expect.stringContains out.Result "all vectors as declared" "the summary line"
    ]
