/// `thrumodel fixtures generate`: fixtures made deterministically from a seed. Fixture i of a run
/// is drawn from a seed derived from (seed, i) alone, so a shard K/N (the indices i with
/// i mod N = K - 1) produces exactly the fixtures a single run produces at those indices, and the
/// union of the N shards is the single run.
module Thru.Conform.Generate

open Thru.Compare.Conformance
open Thru.Conform.Gen
open Thru.Conform.Gen.Generators

/// The kinds of fixtures the generator makes.
let kinds = [ "raw"; "txn"; "curated" ]

/// The seed of fixture i of a run with seed s (SplitMix64 of both, so neighbouring indices and
/// seeds give unrelated draws).
let indexSeed (s: uint64) (i: int) =
    let mutable z = s * 0x9E37_79B9_7F4A_7C15UL + uint64 i + 0x632B_E59B_D9B4_E019UL
    z <- (z ^^^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9UL
    z <- (z ^^^ (z >>> 27)) * 0x94D0_49BB_1331_11EBUL
    z ^^^ (z >>> 31)

/// Random raw program i: half RV64IMC only, half every extension; at most 500 steps.
let rawCase (seed: uint64) (i: int) : Build.Case =
    let flavour = if i % 2 = 0 then RawGen.Rv64imcOnly else RawGen.AllExtensions
    let p = (sampleSeeded (indexSeed seed i) 1 (RawGen.genProgram flavour))[0]
    let name = if flavour = RawGen.Rv64imcOnly then "rv64imc" else "all-extensions"

    Build.RawCase(
        sprintf "raw-random/s%d/%05d" seed i,
        "raw-random",
        sprintf "random raw program (%s), seed %d, index %d" name seed i,
        { Base = RawGen.baseAddress; MaxSteps = 500L; Image = p.Image; Regs = p.Regs; Isa = [] }
    )

/// Random transaction i: prober transactions (every syscall, nested invokes, budgets), programs that
/// touch every segment, and malformed or refused transactions, 5:3:2.
let txnCase (seed: uint64) (i: int) : Build.Case =
    let v = Curated.verifier
    let s = indexSeed seed i

    let g, what =
        match i % 10 with
        | 0 | 1 | 2 | 3 | 4 -> (sampleSeeded s 1 (TxnGen.genProberTxn v))[0], "prober"
        | 5 | 6 | 7 -> (sampleSeeded s 1 (TxnGen.genProgramTxn v))[0], "program"
        | _ -> (sampleSeeded s 1 (TxnGen.genBadTxn v))[0], "malformed or refused"

    Curated.txnCase (sprintf "txn-random/s%d/%05d" seed i) "txn-random" (sprintf "random %s transaction (%s), seed %d, index %d" what g.Label seed i) g

/// The cases of a run: for "curated" the curated list (count and seed ignored), else `count` random
/// cases of the seed.
let cases (kind: string) (count: int) (seed: uint64) : (int * (unit -> Build.Case)) list =
    match kind with
    | "raw" -> [ for i in 0 .. count - 1 -> i, (fun () -> rawCase seed i) ]
    | "txn" -> [ for i in 0 .. count - 1 -> i, (fun () -> txnCase seed i) ]
    | "curated" ->
        let all = Curated.all () |> Array.ofList
        [ for i in 0 .. all.Length - 1 -> i, (fun () -> all[i]) ]
    | other -> failwithf "unknown kind '%s'" other

/// The indices of shard k of n.
let inShard (k: int, n: int) (i: int) = i % n = k - 1

/// Build the fixtures of a run (or of one shard of it), in index order, on every core.
let fixtures (kind: string) (count: int) (seed: uint64) (shard: (int * int) option) : (Fixture * World option)[] =
    let selected =
        cases kind count seed
        |> List.filter (fun (i, _) -> shard |> Option.forall (fun s -> inShard s i))
        |> Array.ofList

    selected |> Array.Parallel.map (fun (_, make) -> Build.build (make ()))
