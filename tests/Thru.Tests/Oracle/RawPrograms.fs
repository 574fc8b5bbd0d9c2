/// Random raw-mode programs for differential testing (model vs Unicorn, model vs engine).
///
/// Layout, from the 4 KiB-aligned base:
///   0x000  jal x0, 0x100             skip the register table
///   0x008  31 × 8-byte initial values of x1..x31 (edge-biased, some pointers into the data area)
///   0x100  auipc x31, 0; ld x1..x30, …(x31); ld x31, …(x31)   load the table
///   0x180  the body: random instructions (the items of conform/Gen/RawGen.fs, with loads and
///          stores reaching ±64 widths); branch and jump targets always land on a body
///          instruction (or the final ecall), so no instruction is entered in its middle
///   …      ecall
///   0x10000  4 KiB of random data that loads and stores aim at
module Thru.Tests.Oracle.RawPrograms

open FsCheck
open FsCheck.FSharp
open Thru.Model.Isa
open Thru.Conform.Gen
open Thru.Conform.Gen.Generators
open Thru.Tests.Generators

let tableOffset = 0x8
let preambleOffset = 0x100
let bodyOffset = 0x180
let dataOffset = 0x10000
let dataSize = 4096

/// Which instructions a body may contain (RV64IMC only: what Unicorn decodes; or every ThruVM
/// instruction, model vs engine).
type Flavour = RawGen.Flavour

let Rv64imcOnly = RawGen.Rv64imcOnly
let AllExtensions = RawGen.AllExtensions

/// A generated program: the image, the initial register values, the listing for reports.
type RawProgram =
    { Image: byte[]
      InitialRegs: uint64[]
      BodyLength: int
      /// The body's disassembly, computed only when a report needs it.
      Listing: Lazy<string list> }

    override p.ToString() = String.concat "\n" p.Listing.Value

let private enc (d: Decoded) = (Encode.toBytes d).Value

/// A random program for raw mode at `baseAddress`.
let genProgram (flavour: Flavour) (baseAddress: uint64) : Gen<RawProgram> =
    gen {
        let! count = Gen.choose (1, 40)
        let! items = [ 0 .. count - 1 ] |> List.map (RawGen.genItem { Aligned = 64; Unaligned = 256 } flavour count) |> Gen.sequenceToList
        let! regs = [ 1..31 ] |> List.map (RawGen.initialValue dataSize (baseAddress + uint64 dataOffset)) |> Gen.sequenceToList
        let! data = Gen.arrayOfLength dataSize (Gen.choose (0, 255) |> Gen.map byte)
        let body = RawGen.layout items @ [ enc (Full ECALL) ]
        let preamble = Full(AUIPC(31, 0u)) :: [ for r in [ 1..30 ] @ [ 31 ] -> Full(Load(LD, r, 31, int64 (tableOffset + 8 * (r - 1) - preambleOffset))) ]
        let image = Array.zeroCreate<byte> (dataOffset + dataSize)
        let put (offset: int) (bytes: byte[]) = bytes.CopyTo(image, offset)
        put 0 (Encode.toBytes (Full(JAL(0, int64 preambleOffset)))).Value
        regs |> List.iteri (fun i v -> put (tableOffset + 8 * i) (System.BitConverter.GetBytes v))
        preamble |> List.fold (fun off d -> put off (enc d); off + (enc d).Length) preambleOffset |> ignore
        let bodyEnd = body |> List.fold (fun off b -> put off b; off + b.Length) bodyOffset
        put dataOffset data

        let listing =
            lazy
                (Disasm.listing (baseAddress + uint64 bodyOffset) image[bodyOffset .. bodyEnd - 1]
                 |> List.map (fun l -> sprintf "%x: %s" l.Address l.Text))

        return
            { Image = image[.. max (bodyEnd - 1) (dataOffset + dataSize - 1)]
              InitialRegs = 0UL :: regs |> Array.ofList
              BodyLength = bodyEnd - bodyOffset
              Listing = listing }
    }
