/// Random raw-mode programs for differential testing (model vs Unicorn, model vs engine).
///
/// Layout, from the 4 KiB-aligned base:
///   0x000  jal x0, 0x100             skip the register table
///   0x008  31 × 8-byte initial values of x1..x31 (edge-biased, some pointers into the data area)
///   0x100  auipc x31, 0; ld x1..x30, …(x31); ld x31, …(x31)   load the table
///   0x180  the body: random instructions; branch and jump targets always land on a body
///          instruction (or the final ecall), so no instruction is entered in its middle
///   …      ecall
///   0x10000  4 KiB of random data that loads and stores aim at
module Thru.Tests.Oracle.RawPrograms

open FsCheck
open FsCheck.FSharp
open Thru.Model.Isa
open Thru.Conform.Gen.Generators
open Thru.Tests.Generators

let tableOffset = 0x8
let preambleOffset = 0x100
let bodyOffset = 0x180
let dataOffset = 0x10000
let dataSize = 4096

/// Which instructions a body may contain.
type Flavour =
    /// RV64IMC only: what Unicorn decodes.
    | Rv64imcOnly
    /// Every ThruVM instruction (model vs engine).
    | AllExtensions

/// A body item before layout: control transfers name their target by item index.
type Item =
    | Fixed of Decoded
    | BranchTo of BranchOp * Reg * Reg * target: int
    | JalTo of Reg * target: int
    | CJTo of target: int
    | CBranchTo of beqz: bool * Reg * target: int
    /// auipc rt, 0; jalr rd, off(rt): an indirect jump to a known item.
    | AuipcJalrTo of rt: Reg * rd: Reg * target: int
    /// auipc rt, 0; addi rt, rt, off; c.jr rt (or c.jalr rt): a compressed indirect jump.
    | CIndirectTo of rt: Reg * link: bool * target: int
    /// Bytes that are not an instruction of ThruVM.
    | RawBytes of byte[]

let private itemSize item =
    match item with
    | Fixed(Compressed _)
    | CJTo _
    | CBranchTo _ -> 2
    | AuipcJalrTo _ -> 8
    | CIndirectTo _ -> 10
    | RawBytes b -> b.Length
    | _ -> 4

/// A generated program: the image, the initial register values, the listing for reports.
type RawProgram =
    { Image: byte[]
      InitialRegs: uint64[]
      BodyLength: int
      /// The body's disassembly, computed only when a report needs it.
      Listing: Lazy<string list> }

    override p.ToString() = String.concat "\n" p.Listing.Value

/// Registers that hold pointers into the data area at the start (and that ALU results avoid
/// most of the time, so that memory instructions keep hitting the data area).
let pointerRegs = [ 2; 8; 9; 10 ]

let private isRv64imc (i: Instr) =
    match Execute.extensionOf i with
    | RV64I
    | M -> true
    | _ -> false

/// A register that is a pointer most of the time, so that memory accesses mostly land.
let private baseReg = Gen.frequency [ 6, Gen.elements pointerRegs; 1, reg ]
let private destReg = Gen.frequency [ 8, Gen.elements ([ 1..31 ] |> List.except pointerRegs); 1, reg ]

/// Memory offsets: mostly naturally aligned for the width, sometimes not.
let private memOffset (size: int) =
    Gen.frequency [ 8, Gen.choose (-64, 64) |> Gen.map (fun v -> int64 (v * size)); 1, Gen.choose (-256, 256) |> Gen.map int64 ]

let private computational flavour =
    let ok i = flavour = AllExtensions || isRv64imc i

    genInstr
    |> Gen.filter (fun i ->
        ok i
        && (match i with
            | OpImm _ | ShiftImm _ | Op _ | Unary _ | LUI _ | AUIPC _ -> true
            | _ -> false))
    |> Gen.zip destReg
    |> Gen.map (fun (rd, i) ->
        match i with
        | OpImm(op, _, rs1, imm) -> OpImm(op, rd, rs1, imm)
        | ShiftImm(op, _, rs1, s) -> ShiftImm(op, rd, rs1, s)
        | Op(op, _, rs1, rs2) -> Op(op, rd, rs1, rs2)
        | Unary(op, _, rs1) -> Unary(op, rd, rs1)
        | other -> other)

let private storeOps = Gen.elements (allCases<StoreOp> ())
let private loadOps = Gen.elements (allCases<LoadOp> ())
let private branchOps = Gen.elements (allCases<BranchOp> ())

let private memory =
    gen {
        let! store = Gen.elements [ true; false ]
        let! b = baseReg

        if store then
            let! op = storeOps
            let! off = memOffset (Semantics.storeWidth op)
            let! rs2 = reg
            return Store(op, b, rs2, max -2048L (min 2047L off))
        else
            let! op = loadOps
            let! off = memOffset (fst (Semantics.loadWidth op))
            let! rd = destReg
            return Load(op, rd, b, max -2048L (min 2047L off))
    }

/// Compressed instructions other than control transfers, with stack/pointer bases kept.
let private compressedPlain =
    genCInstr
    |> Gen.filter (fun c ->
        match c with
        | C_J _ | C_BEQZ _ | C_BNEZ _ | C_JR _ | C_JALR _ | C_EBREAK -> false
        | C_LW(_, rs1, _) | C_LD(_, rs1, _) | C_SW(rs1, _, _) | C_SD(rs1, _, _) -> List.contains rs1 pointerRegs
        | _ -> true)

/// Encodings that both the model and Unicorn must reject (Unicorn traps on each; see
/// interop/UNICORN-BEHAVIOUR.md): 0x0000, c.addi4spn 0, c.lui 0, c.addiw x0, c.ldsp x0, c.jr x0,
/// c.addi16sp 0, an all-ones word, fld. fence.i, CSRs and A are excluded: Unicorn executes them.
let rejectedByBoth: byte[] list =
    [ [| 0x00uy; 0x00uy |]; [| 0x04uy; 0x00uy |]; [| 0x01uy; 0x65uy |]; [| 0x01uy; 0x20uy |]; [| 0x02uy; 0x60uy |]
      [| 0x02uy; 0x80uy |]; [| 0x01uy; 0x61uy |]; [| 0xFFuy; 0xFFuy; 0xFFuy; 0xFFuy |]; [| 0x07uy; 0x35uy; 0x05uy; 0x00uy |] ]

let private genItem (flavour: Flavour) (count: int) (index: int) : Gen<Item> =
    let near span = Gen.choose (max 0 (index - span), min count (index + span))

    Gen.frequency
        [ 30, computational flavour |> Gen.map (Full >> Fixed)
          14, compressedPlain |> Gen.map (Compressed >> Fixed)
          14, memory |> Gen.map (Full >> Fixed)
          6, Gen.map4 (fun op a b t -> BranchTo(op, a, b, t)) branchOps reg reg (Gen.choose (0, count))
          2, Gen.map2 (fun rd t -> JalTo(rd, t)) destReg (Gen.choose (0, count))
          2, near 20 |> Gen.map CJTo
          3, Gen.map3 (fun z r t -> CBranchTo(z, r, t)) (Gen.elements [ true; false ]) creg (near 20)
          2, Gen.map3 (fun rt rd t -> AuipcJalrTo(rt, rd, t)) (Gen.choose (11, 31)) destReg (Gen.choose (0, count))
          2, Gen.map3 (fun rt link t -> CIndirectTo(rt, link, t)) (Gen.choose (11, 31)) (Gen.elements [ true; false ]) (Gen.choose (0, count))
          1, Gen.elements [ Fixed(Decoded.Full(FENCE(0, 15, 15, 0, 0))); Fixed(Decoded.Full EBREAK); Fixed(Compressed C_EBREAK) ]
          1, Gen.elements rejectedByBoth |> Gen.map RawBytes ]

let private enc (d: Decoded) = (Encode.toBytes d).Value

/// Lay out the items at `bodyOffset`, resolving targets (index `count` is the final ecall).
let private layout (items: Item list) : byte[] list =
    let offsets =
        items |> List.scan (fun off item -> off + itemSize item) bodyOffset |> Array.ofList

    let rel i target = int64 (offsets[target] - offsets[i])

    items
    |> List.mapi (fun i item ->
        match item with
        | Fixed d -> enc d
        | BranchTo(op, a, b, t) -> enc (Full(Branch(op, a, b, rel i t)))
        | JalTo(rd, t) -> enc (Full(JAL(rd, rel i t)))
        | CJTo t -> enc (Compressed(C_J(rel i t)))
        | CBranchTo(true, r, t) -> enc (Compressed(C_BEQZ(r, rel i t)))
        | CBranchTo(false, r, t) -> enc (Compressed(C_BNEZ(r, rel i t)))
        | AuipcJalrTo(rt, rd, t) -> Array.append (enc (Full(AUIPC(rt, 0u)))) (enc (Full(JALR(rd, rt, rel i t))))
        | CIndirectTo(rt, link, t) ->
            Array.concat
                [ enc (Full(AUIPC(rt, 0u)))
                  enc (Full(OpImm(ADDI, rt, rt, rel i t)))
                  enc (Compressed(if link then C_JALR rt else C_JR rt)) ]
        | RawBytes b -> b)

let private initialValue (baseAddress: uint64) (r: Reg) : Gen<uint64> =
    let pointer =
        Gen.frequency
            [ 6, Gen.choose (0, dataSize / 8 - 1) |> Gen.map (fun k -> baseAddress + uint64 dataOffset + uint64 (8 * k))
              1, Gen.choose (0, dataSize - 1) |> Gen.map (fun k -> baseAddress + uint64 dataOffset + uint64 k) ]

    if List.contains r pointerRegs then Gen.frequency [ 9, pointer; 1, edgeValue ]
    else Gen.frequency [ 1, pointer; 6, edgeValue ]

/// A random program for raw mode at `baseAddress`.
let genProgram (flavour: Flavour) (baseAddress: uint64) : Gen<RawProgram> =
    gen {
        let! count = Gen.choose (1, 40)
        let! items = [ 0 .. count - 1 ] |> List.map (genItem flavour count) |> Gen.sequenceToList
        let! regs = [ 1..31 ] |> List.map (initialValue baseAddress) |> Gen.sequenceToList
        let! data = Gen.arrayOfLength dataSize (Gen.choose (0, 255) |> Gen.map byte)
        let body = layout items @ [ enc (Full ECALL) ]
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
