/// `thrumodel disasm FILE [--base HEX] [--json]`: the disassembly of a flat binary, of a Thru
/// executable or of an RV64 ELF executable. A valid Thru executable (version header, zero trailer)
/// is listed as the program segment sees it: from 0x3000000 (decision D-PC), the header skipped,
/// the trailer marked. An ELF is listed segment by segment (its executable loadable segments, at
/// their addresses). The listing is printed as it is decoded, so memory stays bounded.
module Thru.Cli.DisasmCommand

open Argu
open Thru.Model
open Thru.Model.Isa
open Thru.Cli.Args
open Thru.Cli.Common

/// The largest flat binary or Thru executable: a 16 MiB region (or an account's data).
let private maxImage = 16 * 1024 * 1024

/// One listed region: a title and its code at its address.
type private Region =
    { Title: string
      Address: uint64
      Code: byte[]
      /// A note printed after the listing (the Thru executable's trailer).
      Trailer: string option }

/// The lines of `code` at `address`, decoded a slice at a time (the model's `Disasm.listing`
/// over each slice, with 4 bytes of look-ahead so no instruction is cut at a slice's end).
let private lines (address: uint64) (code: byte[]) : seq<Disasm.Line> =
    let slice = 64 * 1024

    seq {
        let mut = ref 0

        while mut.Value < code.Length do
            let start = mut.Value
            let stop = min code.Length (start + slice + 4)
            let decoded = Disasm.listing (address + uint64 start) code[start .. stop - 1]

            let kept =
                if stop = code.Length then decoded
                else decoded |> List.filter (fun l -> l.Address - address < uint64 (start + slice))

            yield! kept
            let last = List.last kept
            mut.Value <- int (last.Address - address) + last.Bytes.Length
    }

let private regions (path: string) (bytes: byte[]) (baseOption: uint64 option) : string * Region list =
    if Elf.isElf bytes then
        if baseOption.IsSome then fail "--base: an ELF file gives its own addresses; leave --base out"
        let image = Elf.load path bytes

        match image.Segments |> List.filter (fun s -> s.Executable) with
        | [] -> fail "%s: the ELF file has no executable loadable segment" path
        | code ->
            "elf",
            [ for s in code ->
                  { Title =
                      sprintf "# ELF segment at 0x%x, %d bytes, %s%s%s%s" s.Address s.Bytes.Length (if s.Readable then "r" else "-") (if s.Writable then "w" else "-") (if s.Executable then "x" else "-") (if image.Entry >= s.Address && image.Entry < s.Address + uint64 s.Bytes.Length then sprintf " (entry point 0x%x)" image.Entry else "")
                    Address = s.Address
                    Code = s.Bytes
                    Trailer = None } ]
    else
        if bytes.Length > maxImage then fail "%s: %d bytes, more than a 16 MiB image" path bytes.Length
        if bytes.Length = 0 then fail "%s: the file is empty" path

        match Executable.parse bytes with
        | Ok exe ->
            let start = defaultArg baseOption Memory.Address.programBase

            "thru-executable",
            [ { Title = sprintf "# Thru executable: %d-byte header (version 0x01), %d bytes of program, %d-byte zero trailer" Executable.headerSize exe.Code.Length exe.Trailer
                Address = start
                Code = exe.Code
                Trailer = Some(sprintf "%10x:  # the zero trailer (decodes as the illegal 0x0000 parcel)" (start + uint64 exe.Code.Length)) } ]
        | Error _ ->
            "flat",
            [ { Title = ""
                Address = defaultArg baseOption 0x8000_0000UL
                Code = bytes
                Trailer = None } ]

let private hexOf (line: Disasm.Line) = line.Bytes |> Array.rev |> Array.map (sprintf "%02x") |> String.concat ""

let private printText (rs: Region list) =
    let out = System.Console.Out

    for r in rs do
        if r.Title <> "" then out.WriteLine r.Title

        for line in lines r.Address r.Code do
            out.WriteLine(line.Address.ToString("x").PadLeft(10) + ":  " + (hexOf line).PadRight(8) + "  " + line.Text)

        r.Trailer |> Option.iter out.WriteLine

/// Streamed JSON: {"kind", "segments": [{"address", "size", "lines": [{"address", "bytes", "text"}]}]},
/// written to Console.Out a piece at a time.
let private printJsonListing (kind: string) (rs: Region list) =
    let buffer = new System.IO.MemoryStream()
    use w = new System.Text.Json.Utf8JsonWriter(buffer)

    let drain () =
        w.Flush()
        System.Console.Out.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, int buffer.Length))
        buffer.SetLength 0L

    w.WriteStartObject()
    w.WriteString("kind", kind)
    w.WriteStartArray "segments"

    for r in rs do
        w.WriteStartObject()
        w.WriteString("address", sprintf "0x%x" r.Address)
        w.WriteNumber("size", r.Code.Length)
        w.WriteStartArray "lines"

        for line in lines r.Address r.Code do
            w.WriteStartObject()
            w.WriteString("address", "0x" + line.Address.ToString("x"))
            w.WriteString("bytes", hexOf line)
            w.WriteString("text", line.Text)
            w.WriteEndObject()

            if w.BytesPending + int buffer.Length > 65536 then drain ()

        w.WriteEndArray()
        w.WriteEndObject()

    w.WriteEndArray()
    w.WriteEndObject()
    drain ()
    System.Console.Out.WriteLine()

let run (args: ParseResults<DisasmArgs>) : int =
    let path = args.GetResult DisasmArgs.File
    let bytes = readFileAtMost Elf.maxFile "a binary to disassemble" path
    let baseOption = args.TryGetResult DisasmArgs.Base |> Option.map (parseHex "--base")
    let kind, rs = regions path bytes baseOption

    if args.Contains DisasmArgs.Json then printJsonListing kind rs else printText rs
    0
