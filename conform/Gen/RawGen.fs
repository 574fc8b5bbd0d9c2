/// Random raw-mode programs for the corpus, compact: the body first (random instructions; branch
/// and jump targets always land on a body instruction or the final ecall, so no instruction is
/// entered in its middle), then 256 bytes of random data that loads and stores aim at. The initial
/// registers are part of the fixture's input (edge-biased values; some are pointers into the data).
/// The test suite's generator (tests/Thru.Tests/Oracle/RawPrograms.fs) draws its bodies from the
/// items here (with a longer memory reach) and lays them out with a register table and a 64 KiB gap.
module Thru.Conform.Gen.RawGen

open FsCheck
open FsCheck.FSharp
open Thru.Model.Isa
open Thru.Conform.Gen.Generators

/// The default base address of raw fixtures.
let baseAddress = 0x8000_0000UL
let dataSize = 256

/// Which instructions a body may contain.
type Flavour =
    /// RV64IMC only: what an RV64IMC engine (Unicorn) decodes.
    | Rv64imcOnly
    /// Every ThruVM instruction.
    | AllExtensions

/// A body item before layout: control transfers name their target by item index (index = the
/// item count is the final ecall).
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

/// How far loads and stores reach from their base register: most offsets are a multiple of the
/// access width in [-Aligned, Aligned] widths, the rest any byte offset in [-Unaligned, Unaligned]
/// (clamped to the 12-bit immediate).
type Reach = { Aligned: int; Unaligned: int }

/// A generated program: the image and the initial registers.
type RawProgram = { Image: byte[]; Regs: uint64[] }

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

let private memOffset (reach: Reach) (size: int) =
    Gen.frequency [ 8, Gen.choose (-reach.Aligned, reach.Aligned) |> Gen.map (fun v -> int64 (v * size)); 1, Gen.choose (-reach.Unaligned, reach.Unaligned) |> Gen.map int64 ]
    |> Gen.map (fun off -> max -2048L (min 2047L off))

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

let private memory (reach: Reach) =
    gen {
        let! store = Gen.elements [ true; false ]
        let! b = baseReg

        if store then
            let! op = Gen.elements (allCases<StoreOp> ())
            let! off = memOffset reach (Semantics.storeWidth op)
            let! rs2 = reg
            return Store(op, b, rs2, off)
        else
            let! op = Gen.elements (allCases<LoadOp> ())
            let! off = memOffset reach (fst (Semantics.loadWidth op))
            let! rd = destReg
            return Load(op, rd, b, off)
    }

/// Compressed instructions other than control transfers, with stack/pointer bases kept.
let private compressedPlain =
    genCInstr
    |> Gen.filter (fun c ->
        match c with
        | C_J _ | C_BEQZ _ | C_BNEZ _ | C_JR _ | C_JALR _ | C_EBREAK -> false
        | C_LW(_, rs1, _) | C_LD(_, rs1, _) | C_SW(rs1, _, _) | C_SD(rs1, _, _) -> List.contains rs1 pointerRegs
        | _ -> true)

/// Encodings that ThruVM rejects and an RV64IMC engine (Unicorn) also decodes as illegal (see
/// interop/UNICORN-BEHAVIOUR.md): 0x0000, c.addi4spn 0, c.lui 0, c.addiw x0, c.ldsp x0, c.jr x0,
/// c.addi16sp 0, an all-ones word, fld. fence.i, CSRs and A are excluded: Unicorn executes them.
let rejected: byte[] list =
    [ [| 0x00uy; 0x00uy |]; [| 0x04uy; 0x00uy |]; [| 0x01uy; 0x65uy |]; [| 0x01uy; 0x20uy |]; [| 0x02uy; 0x60uy |]
      [| 0x02uy; 0x80uy |]; [| 0x01uy; 0x61uy |]; [| 0xFFuy; 0xFFuy; 0xFFuy; 0xFFuy |]; [| 0x07uy; 0x35uy; 0x05uy; 0x00uy |] ]

/// Body item `index` of `count`, its targets anywhere in the body or at the final ecall.
let genItem (reach: Reach) (flavour: Flavour) (count: int) (index: int) : Gen<Item> =
    let near span = Gen.choose (max 0 (index - span), min count (index + span))

    Gen.frequency
        [ 30, computational flavour |> Gen.map (Full >> Fixed)
          14, compressedPlain |> Gen.map (Compressed >> Fixed)
          14, memory reach |> Gen.map (Full >> Fixed)
          6, Gen.map4 (fun op a b t -> BranchTo(op, a, b, t)) (Gen.elements (allCases<BranchOp> ())) reg reg (Gen.choose (0, count))
          2, Gen.map2 (fun rd t -> JalTo(rd, t)) destReg (Gen.choose (0, count))
          2, near 20 |> Gen.map CJTo
          3, Gen.map3 (fun z r t -> CBranchTo(z, r, t)) (Gen.elements [ true; false ]) creg (near 20)
          2, Gen.map3 (fun rt rd t -> AuipcJalrTo(rt, rd, t)) (Gen.choose (11, 31)) destReg (Gen.choose (0, count))
          2, Gen.map3 (fun rt link t -> CIndirectTo(rt, link, t)) (Gen.choose (11, 31)) (Gen.elements [ true; false ]) (Gen.choose (0, count))
          1, Gen.elements [ Fixed(Full(FENCE(0, 15, 15, 0, 0))); Fixed(Full EBREAK); Fixed(Compressed C_EBREAK) ]
          1, Gen.elements rejected |> Gen.map RawBytes ]

let private enc (d: Decoded) = (Encode.toBytes d).Value

/// The items' bytes, their targets resolved (relative offsets do not depend on where the body starts).
let layout (items: Item list) : byte[] list =
    let offsets = items |> List.scan (fun off item -> off + itemSize item) 0 |> Array.ofList
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

/// The initial value of x`r`: edge-biased, or (pointer registers mostly) an address in the
/// `dataSize` bytes at `dataAddress`.
let initialValue (dataSize: int) (dataAddress: uint64) (r: Reg) : Gen<uint64> =
    let pointer =
        Gen.frequency
            [ 6, Gen.choose (0, dataSize / 8 - 1) |> Gen.map (fun k -> dataAddress + uint64 (8 * k))
              1, Gen.choose (0, dataSize - 1) |> Gen.map (fun k -> dataAddress + uint64 k) ]

    if List.contains r pointerRegs then Gen.frequency [ 9, pointer; 1, edgeValue ]
    else Gen.frequency [ 1, pointer; 6, edgeValue ]

/// A random program for raw mode at `baseAddress`.
let genProgram (flavour: Flavour) : Gen<RawProgram> =
    gen {
        let! count = Gen.choose (1, 40)
        let! items = [ 0 .. count - 1 ] |> List.map (genItem { Aligned = 8; Unaligned = 64 } flavour count) |> Gen.sequenceToList
        let body = Array.concat (layout items @ [ enc (Full ECALL) ])
        let dataOffset = (body.Length + 7) / 8 * 8
        let dataAddress = baseAddress + uint64 dataOffset
        let! regs = [ 1..31 ] |> List.map (initialValue dataSize dataAddress) |> Gen.sequenceToList
        let! data = Gen.arrayOfLength dataSize (Gen.choose (0, 255) |> Gen.map byte)
        let image = Array.zeroCreate<byte> (dataOffset + dataSize)
        body.CopyTo(image, 0)
        data.CopyTo(image, dataOffset)
        return { Image = image; Regs = 0UL :: regs |> Array.ofList }
    }
