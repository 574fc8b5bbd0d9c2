/// The engine's execution configurations, so that the differential tests run in each: the
/// interpreter alone, and the compiled tier (engine/Compile/BlockCompiler.cs). Both must give exactly the
/// model's observations. A test takes the configuration's name as its parameter and runs inside
/// `use _ = Tiers.select tier`, which every machine made in the test (in parallel loops too) uses.
/// The selection is scoped to the test's execution context (EngineOptions.Use is AsyncLocal), so
/// tests of different configurations run in parallel without seeing each other's.
module Thru.Tests.Engine.Tiers

open Expecto
open Thru.Engine
open Thru.Tests.Support

/// - "interpreter": no compiled code at all.
/// - "compiled": every block compiled from its second entry, unpaced: loops and repeated calls run
///   compiled, with budget checks at block entries, side exits and faults inside compiled code.
/// - "eager": every block compiled the first time the dispatcher sees it (straight-line code and
///   single instructions too); dearer in JIT time, so kept for the tests where it adds coverage.
/// The default of the engine (compile after 64 entries, paced by execution) runs the examples and
/// the CLI; it compiles little in short test programs, so it is not a configuration here.
let options (tier: string) =
    match tier with
    | "interpreter" -> EngineOptions.InterpreterOnly
    | "compiled" -> EngineOptions(HotThreshold = 1, PaceCompilation = false)
    | "eager" -> EngineOptions.Eager
    | _ -> invalidArg "tier" tier

/// Make `tier` the configuration of the machines made until the result is disposed.
let select (tier: string) = EngineOptions.Use(options tier)

/// One test per configuration of `tiers`, named by it, in a list named `name`; `body` gets the
/// configuration's name.
let testTiers (name: string) (tiers: string list) (body: string -> unit) =
    testList name [ for tier in tiers -> testCase tier (fun () -> body tier) ]

/// `testTiers` for a randomised model-vs-engine property: `make soak` runs these (and only these)
/// under Expecto's --stress, each run with a fresh seed (Support.Soak).
let testDifferential (name: string) (tiers: string list) (body: string -> unit) =
    Soak.register name
    testList name [ for tier in tiers -> testCase tier (fun () -> Soak.run (fun () -> body tier)) ]
