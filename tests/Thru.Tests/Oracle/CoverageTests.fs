/// Runs after the oracle tests: every mnemonic of ThruVM must have been checked against an
/// oracle (RV64IMC on Unicorn, B/Zbc/Zknh on qemu), and at least 100,000 instructions in all.
/// Writes the report to artifacts/isa-coverage.txt.
module Thru.Tests.Oracle.CoverageTests

open System.IO
open Expecto
open Thru.Tests.Support
open Thru.Model.Isa

/// Where a mnemonic is expected to be checked.
let private oracleFor (ext: Extension) =
    match ext with
    | RV64I
    | M
    | C -> "unicorn"
    | Zba
    | Zbb
    | Zbc
    | Zbs
    | Zknh -> "qemu"

let private artifacts = Thru.Tests.Generators.artifactsDir

[<Tests>]
let tests =
    testList "Oracle.CoverageTests" [
        testCase "every mnemonic was checked against an oracle, and at least 100000 instructions in all" <| fun () ->
            let rows =
                Catalog.all
                |> List.map (fun (m, ext) -> m, ext, oracleFor ext, Coverage.count m (oracleFor ext))

            let total = Coverage.oracles |> List.sumBy Coverage.total

            let report =
                [ sprintf "ISA coverage: %d oracle-checked instructions (unicorn %d, qemu %d)" total (Coverage.total "unicorn") (Coverage.total "qemu")
                  sprintf "%-14s %-6s %-8s %s" "mnemonic" "ext" "oracle" "checked" ]
                @ [ for m, ext, oracle, n in rows -> sprintf "%-14s %-6s %-8s %d" m (sprintf "%A" ext) oracle n ]

            Directory.CreateDirectory artifacts |> ignore
            File.WriteAllLines(Path.Combine(artifacts, "isa-coverage.txt"), report)
            note (String.concat "\n" report)
            Thru.Tests.Support.report report.Head

            let missing = rows |> List.filter (fun (_, _, _, n) -> n = 0L) |> List.map (fun (m, _, o, _) -> sprintf "%s (%s)" m o)
            expectEmpty missing "mnemonics never checked against their oracle"
            Expect.isGreaterThanOrEqual total 100_000L "total"
    ]
    |> testSequenced
