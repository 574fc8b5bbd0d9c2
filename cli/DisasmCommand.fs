/// `thrumodel disasm FILE [--base HEX]`: the disassembly of a flat binary or of a Thru executable.
/// A valid Thru executable (version header, zero trailer) is listed as the program segment sees
/// it: from 0x3000000 (decision D-PC), the header skipped, the trailer marked.
module Thru.Cli.DisasmCommand

open Argu
open Thru.Model
open Thru.Model.Isa
open Thru.Cli.Args
open Thru.Cli.Common

let private print (lines: Disasm.Line list) =
    for line in lines do
        let hex = line.Bytes |> Array.rev |> Array.map (sprintf "%02x") |> String.concat ""
        printfn "%10x:  %-8s  %s" line.Address hex line.Text

let run (args: ParseResults<DisasmArgs>) : int =
    let bytes = readFile (args.GetResult DisasmArgs.File)
    let baseOption = args.TryGetResult DisasmArgs.Base |> Option.map (parseHex "--base")

    match Executable.parse bytes with
    | Ok exe ->
        let start = defaultArg baseOption Memory.Address.programBase
        printfn "# Thru executable: %d-byte header (version 0x01), %d bytes of program, %d-byte zero trailer" Executable.headerSize exe.Code.Length exe.Trailer
        print (Disasm.listing start exe.Code)
        printfn "%10x:  # the zero trailer (decodes as the illegal 0x0000 parcel)" (start + uint64 exe.Code.Length)
    | Error _ -> print (Disasm.listing (defaultArg baseOption 0x8000_0000UL) bytes)

    0
