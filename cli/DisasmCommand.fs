/// `thru disasm FILE [--base HEX]`: the disassembly of a flat binary or a Thru executable.
module Thru.Cli.DisasmCommand

open Argu
open Thru.Model.Isa
open Thru.Cli.Args
open Thru.Cli.Common

let run (args: ParseResults<DisasmArgs>) : int =
    let bytes = readFile (args.GetResult DisasmArgs.File)
    let baseAddress = args.TryGetResult DisasmArgs.Base |> Option.map (parseHex "--base")

    for line in Disasm.listing (defaultArg baseAddress 0x8000_0000UL) bytes do
        let hex = line.Bytes |> Array.rev |> Array.map (sprintf "%02x") |> String.concat ""
        printfn "%10x:  %-8s  %s" line.Address hex line.Text

    0
