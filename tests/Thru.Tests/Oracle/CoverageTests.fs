/// Runs after the oracle tests: every mnemonic of ThruVM must have been checked against an
/// oracle (RV64IMC on Unicorn, B/Zbc/Zknh on qemu), and at least 100,000 instructions in all.
/// Writes the report to artifacts/isa-coverage.txt.
[<NUnit.Framework.Order(3)>]
module Thru.Tests.Oracle.CoverageTests

open System.IO
open NUnit.Framework
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

[<Test>]
let ``every mnemonic was checked against an oracle, and at least 100000 instructions in all`` () =
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
    TestContext.Out.WriteLine(String.concat "\n" report)

    let missing = rows |> List.filter (fun (_, _, _, n) -> n = 0L) |> List.map (fun (m, _, o, _) -> sprintf "%s (%s)" m o)
    Assert.That(missing, Is.Empty, "mnemonics never checked against their oracle")
    Assert.That(total, Is.GreaterThanOrEqualTo 100_000L)
