/// Which mnemonics the oracle tests have checked, and how many instructions in all.
/// Shared by the Unicorn and qemu tests; CoverageTests reports and checks it at the end.
module Thru.Tests.Oracle.Coverage

open System.Collections.Concurrent
open Thru.Model.Isa

/// mnemonic -> (oracle -> count of checked executions)
let private counts = ConcurrentDictionary<string * string, int64>()
let private totals = ConcurrentDictionary<string, int64>()

/// Record that `oracle` agreed with the model on an execution of `d`.
let record (oracle: string) (d: Decoded) =
    counts.AddOrUpdate((Disasm.mnemonic d, oracle), 1L, fun _ n -> n + 1L) |> ignore
    totals.AddOrUpdate(oracle, 1L, fun _ n -> n + 1L) |> ignore

/// Checked executions of a mnemonic by an oracle.
let count (mnemonic: string) (oracle: string) =
    match counts.TryGetValue((mnemonic, oracle)) with
    | true, n -> n
    | _ -> 0L

/// Oracle-checked instructions so far, per oracle.
let total (oracle: string) =
    match totals.TryGetValue oracle with
    | true, n -> n
    | _ -> 0L

let oracles = [ "unicorn"; "qemu" ]
