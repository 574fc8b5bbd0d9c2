/// Test-only helpers around the FsCheck generators, which live in the conformance kit
/// (conform/Gen/Generators.fs, shared by the corpus generator and these tests): the artifacts
/// directory, the run's seed, seeded checks and Arbitrary instances.
module Thru.Tests.Generators

open FsCheck
open FsCheck.FSharp
open Thru.Conform.Gen.Generators

/// The repository's artifacts/ directory (found by walking up to ThruModel.sln).
let artifactsDir =
    let rec up (dir: System.IO.DirectoryInfo) =
        if isNull dir then System.IO.Path.Combine(System.IO.Directory.GetCurrentDirectory(), "artifacts")
        elif System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "ThruModel.sln")) then System.IO.Path.Combine(dir.FullName, "artifacts")
        else up dir.Parent

    up (System.IO.DirectoryInfo System.AppContext.BaseDirectory)

/// The seed of the randomised tests: the run's fresh seed in a soak run (Support.Soak), else
/// THRU_TEST_SEED if set (to explore, or to replay a soak failure), else `fallback`, so that
/// `make test` is deterministic and every failure reproducible.
let testSeed (fallback: uint64) =
    match Thru.Tests.Support.Soak.seed () with
    | ValueSome s -> s
    | ValueNone ->
        match System.Environment.GetEnvironmentVariable "THRU_TEST_SEED" with
        | null
        | "" -> fallback
        | s -> uint64 s

/// Check `property` on `n` values drawn from `g` with a fixed seed (THRU_TEST_SEED overrides it);
/// fail with the first counterexample, printed.
let checkSeeded (seed: uint64) (n: int) (g: Gen<'T>) (property: 'T -> bool) =
    let values = sampleSeeded (testSeed seed) n g

    match values |> Array.tryFind (property >> not) with
    | Some v -> Expecto.Tests.failtest (sprintf "counterexample (seed %d):\n%A" (testSeed seed) v)
    | None -> ()

/// Arbitrary instances for properties: `arbitrary = [ typeof<Arbs> ]` in an FsCheckConfig.
type Arbs =
    static member Instr() = Arb.fromGen genInstr
    static member CInstr() = Arb.fromGen genCInstr
