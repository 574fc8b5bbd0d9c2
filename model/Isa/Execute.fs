/// One step of the hart: fetch, decode, execute, over an abstract memory.
/// The memory is a parameter (`MemoryPort`) so the same semantics serve raw mode and the
/// Thru segmented address space.
module Thru.Model.Isa.Execute

open Thru.Model
open Thru.Model.Bits
open Thru.Model.Decisions

/// How the hart reaches memory. Every function is pure: a store returns the new memory.
/// Sizes are 1, 2, 4 or 8 bytes; loaded values are zero-extended.
type MemoryPort<'m> =
    { Load: 'm -> uint64 -> int -> Result<uint64, AccessFault>
      Store: 'm -> uint64 -> int -> uint64 -> Result<'m, AccessFault>
      /// Fetch the 16-bit instruction parcel at an (even) address.
      Fetch: 'm -> uint64 -> Result<uint16, AccessFault> }

/// The outcome of one step.
type Step<'m> =
    /// The instruction completed: the new hart and memory.
    | Retired of Hart * 'm
    /// ECALL: the hart is unchanged (pc at the ecall); the environment (raw mode, or the
    /// Thru runtime's syscall dispatcher) decides what happens next.
    | EnvironmentCall
    /// The instruction could not complete; hart and memory are unchanged.
    | Trapped of Trap

/// A fetched instruction: its decoding, its raw bits (for reporting) and its length in bytes.
type Fetched =
    { Decoded: Decoded
      Bits: uint32
      Length: int }

/// The extension a 32-bit instruction belongs to.
let extensionOf (i: Instr) : Extension =
    match i with
    | Op((MUL | MULH | MULHSU | MULHU | DIV | DIVU | REM | REMU | MULW | DIVW | DIVUW | REMW | REMUW), _, _, _) -> M
    | Op((SH1ADD | SH2ADD | SH3ADD | ADD_UW | SH1ADD_UW | SH2ADD_UW | SH3ADD_UW), _, _, _)
    | ShiftImm(SLLI_UW, _, _, _) -> Zba
    | Op((ANDN | ORN | XNOR | MIN | MINU | MAX | MAXU | ROL | ROR | ROLW | RORW), _, _, _)
    | ShiftImm((RORI | RORIW), _, _, _)
    | Unary((CLZ | CTZ | CPOP | CLZW | CTZW | CPOPW | SEXT_B | SEXT_H | ZEXT_H | ORC_B | REV8), _, _) -> Zbb
    | Op((BCLR | BSET | BINV | BEXT), _, _, _)
    | ShiftImm((BCLRI | BSETI | BINVI | BEXTI), _, _, _) -> Zbs
    | Op((CLMUL | CLMULH | CLMULR), _, _, _) -> Zbc
    | Unary((SHA256SUM0 | SHA256SUM1 | SHA256SIG0 | SHA256SIG1 | SHA512SUM0 | SHA512SUM1 | SHA512SIG0 | SHA512SIG1), _, _) ->
        Zknh
    | _ -> RV64I

/// Whether the profile lets an extension execute (decision D-ZBC).
let enabled (profile: Profile) (ext: Extension) = ext <> Zbc || profile.Zbc

/// Bytes of data an instruction loads or stores (0 for all others).
let dataBytes (i: Instr) : int =
    match i with
    | Load(op, _, _, _) -> fst (Semantics.loadWidth op)
    | Store(op, _, _, _) -> Semantics.storeWidth op
    | _ -> 0

/// Compute units charged for executing a decoded instruction (docs/spec/metering.md §2.1):
/// its length in bytes (4 or 2) plus 1 CU per byte of data loaded or stored.
/// Illegal encodings are never executed and cost nothing.
let cost (d: Decoded) : uint64 =
    match d with
    | Full i -> uint64 (4 + dataBytes i)
    | Compressed c -> uint64 (2 + dataBytes (Expand.expand c))
    | Illegal _ -> 0UL

/// Execute a (32-bit or expanded 16-bit) instruction of length `len` bytes.
let execute (port: MemoryPort<'m>) (instr: Instr) (len: int) (hart: Hart) (mem: 'm) : Step<'m> =
    let x r = Registers.get hart.Regs r
    let next = hart.Pc + uint64 len
    let write rd v = Retired({ Pc = next; Regs = Registers.set hart.Regs rd v }, mem)
    let goto target = Retired({ hart with Pc = target }, mem)
    // A jump writes the link address (pc + length) to rd; the target is computed first,
    // from the registers before the write.
    let jump rd target = Retired({ Pc = target; Regs = Registers.set hart.Regs rd next }, mem)

    match instr with
    | LUI(rd, imm20) -> write rd (signExtend 32 (uint64 imm20 <<< 12))
    | AUIPC(rd, imm20) -> write rd (hart.Pc + signExtend 32 (uint64 imm20 <<< 12))
    | JAL(rd, offset) -> jump rd (hart.Pc + uint64 offset)
    | JALR(rd, rs1, imm) -> jump rd ((x rs1 + uint64 imm) &&& ~~~1UL)
    | Branch(op, rs1, rs2, offset) ->
        if Semantics.branchTaken op (x rs1) (x rs2) then goto (hart.Pc + uint64 offset) else goto next
    | Load(op, rd, rs1, imm) ->
        let size, signed = Semantics.loadWidth op

        match port.Load mem (x rs1 + uint64 imm) size with
        | Ok v -> write rd (if signed then signExtend (8 * size) v else v)
        | Error fault -> Trapped(MemoryFault fault)
    | Store(op, rs1, rs2, imm) ->
        match port.Store mem (x rs1 + uint64 imm) (Semantics.storeWidth op) (x rs2) with
        | Ok mem' -> Retired({ hart with Pc = next }, mem')
        | Error fault -> Trapped(MemoryFault fault)
    | OpImm(op, rd, rs1, imm) -> write rd (Semantics.immOp op (x rs1) imm)
    | ShiftImm(op, rd, rs1, shamt) -> write rd (Semantics.shiftImmOp op (x rs1) shamt)
    | Op(op, rd, rs1, rs2) -> write rd (Semantics.regOp op (x rs1) (x rs2))
    | Unary(op, rd, rs1) -> write rd (Semantics.unaryOp op (x rs1))
    | FENCE _ -> goto next // Decision D-FENCE: no observable effect.
    | ECALL -> EnvironmentCall
    | EBREAK -> Trapped Breakpoint // Decision D-EBREAK

/// Fetch and decode the instruction at `pc`: one parcel, or two for a 32-bit instruction.
let fetch (port: MemoryPort<'m>) (mem: 'm) (pc: uint64) : Result<Fetched, Trap> =
    match port.Fetch mem pc with
    | Error fault -> Error(MemoryFault fault)
    | Ok low when not (Decode.isLongParcel low) ->
        Ok
            { Decoded = Decode.decode16 low
              Bits = uint32 low
              Length = 2 }
    | Ok low ->
        match port.Fetch mem (pc + 2UL) with
        | Error fault -> Error(MemoryFault fault)
        | Ok high ->
            Ok
                { Decoded = Decode.decode low high
                  Bits = (uint32 high <<< 16) ||| uint32 low
                  Length = 4 }

/// Execute an already fetched instruction under a profile.
let run (profile: Profile) (port: MemoryPort<'m>) (f: Fetched) (hart: Hart) (mem: 'm) : Step<'m> =
    match f.Decoded with
    | Illegal reason -> Trapped(IllegalInstruction(f.Bits, reason))
    | Full i when not (enabled profile (extensionOf i)) ->
        Trapped(IllegalInstruction(f.Bits, Unsupported(sprintf "%A (disabled by the profile)" (extensionOf i))))
    | Full i -> execute port i 4 hart mem
    | Compressed c -> execute port (Expand.expand c) 2 hart mem

/// One complete step: fetch, decode and execute the instruction at the hart's pc.
let step (profile: Profile) (port: MemoryPort<'m>) (hart: Hart) (mem: 'm) : Step<'m> =
    match fetch port mem hart.Pc with
    | Error trap -> Trapped trap
    | Ok f -> run profile port f hart mem
