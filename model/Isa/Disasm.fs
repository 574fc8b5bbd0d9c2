/// The assembler-syntax printer. Output is GNU-assembler syntax (ABI register names,
/// explicit `c.` mnemonics for compressed instructions) so that it can be assembled back;
/// branch and jump targets print as `.+off` / `.-off` or, when the pc is known, as an address.
module Thru.Model.Isa.Disasm

let private r (x: Reg) = Reg.name x

/// The lower-case mnemonics of a union's cases by tag, e.g. SH1ADD_UW -> "sh1add.uw"
/// (computed once per type, with FSharp.Reflection, rather than formatting every value).
let private caseNames<'T> () : 'T -> string =
    let tag = Microsoft.FSharp.Reflection.FSharpValue.PreComputeUnionTagReader typeof<'T>
    let names = Microsoft.FSharp.Reflection.FSharpType.GetUnionCases typeof<'T> |> Array.map (fun c -> c.Name.ToLowerInvariant().Replace('_', '.'))
    fun v -> names[tag (box v)]

let private branchName = caseNames<BranchOp> ()
let private loadName = caseNames<LoadOp> ()
let private storeName = caseNames<StoreOp> ()
let private immName = caseNames<ImmOp> ()
let private shiftName = caseNames<ShiftImmOp> ()
let private regName = caseNames<RegOp> ()
let private unaryName = caseNames<UnaryOp> ()
let private compressedName = caseNames<CInstr> ()

/// The mnemonic of an instruction ("fence" for every fence form, "c.nop" for its HINTs).
let mnemonic (d: Decoded) : string =
    match d with
    | Full i ->
        match i with
        | LUI _ -> "lui"
        | AUIPC _ -> "auipc"
        | JAL _ -> "jal"
        | JALR _ -> "jalr"
        | Branch(op, _, _, _) -> branchName op
        | Load(op, _, _, _) -> loadName op
        | Store(op, _, _, _) -> storeName op
        | OpImm(op, _, _, _) -> immName op
        | ShiftImm(op, _, _, _) -> shiftName op
        | Op(op, _, _, _) -> regName op
        | Unary(op, _, _) -> unaryName op
        | FENCE _ -> "fence"
        | ECALL -> "ecall"
        | EBREAK -> "ebreak"
    | Compressed c -> compressedName c
    | Illegal _ -> "illegal"

let private target (pc: uint64 option) (offset: int64) =
    match pc with
    | Some p -> sprintf "0x%x" (p + uint64 offset)
    | None when offset >= 0L -> sprintf ".+%d" offset
    | None -> sprintf ".%d" offset

/// FENCE predecessor/successor sets: i, o, r, w for bits 3..0; "0" for the empty set.
let private fenceSet (v: int) =
    let s = [ 8, "i"; 4, "o"; 2, "r"; 1, "w" ] |> List.choose (fun (b, n) -> if v &&& b <> 0 then Some n else None)
    if s.IsEmpty then "0" else String.concat "" s

/// The text of a 32-bit instruction at `pc` (if known).
let instr (pc: uint64 option) (i: Instr) : string =
    let m = mnemonic (Full i)

    match i with
    | LUI(rd, imm) -> sprintf "lui %s, 0x%x" (r rd) imm
    | AUIPC(rd, imm) -> sprintf "auipc %s, 0x%x" (r rd) imm
    | JAL(rd, off) -> sprintf "jal %s, %s" (r rd) (target pc off)
    | JALR(rd, rs1, imm) -> sprintf "jalr %s, %d(%s)" (r rd) imm (r rs1)
    | Branch(_, rs1, rs2, off) -> sprintf "%s %s, %s, %s" m (r rs1) (r rs2) (target pc off)
    | Load(_, rd, rs1, imm) -> sprintf "%s %s, %d(%s)" m (r rd) imm (r rs1)
    | Store(_, rs1, rs2, imm) -> sprintf "%s %s, %d(%s)" m (r rs2) imm (r rs1)
    | OpImm(_, rd, rs1, imm) -> sprintf "%s %s, %s, %d" m (r rd) (r rs1) imm
    | ShiftImm(_, rd, rs1, shamt) -> sprintf "%s %s, %s, %d" m (r rd) (r rs1) shamt
    | Op(_, rd, rs1, rs2) -> sprintf "%s %s, %s, %s" m (r rd) (r rs1) (r rs2)
    | Unary(_, rd, rs1) -> sprintf "%s %s, %s" m (r rd) (r rs1)
    | FENCE(0, 1, 0, 0, 0) -> "pause"
    | FENCE(8, 3, 3, 0, 0) -> "fence.tso"
    | FENCE(0, pred, succ, 0, 0) -> sprintf "fence %s, %s" (fenceSet pred) (fenceSet succ)
    | FENCE _ -> sprintf ".insn 0x%08x # fence with reserved fields" (Encode.encode32 i)
    | ECALL -> "ecall"
    | EBREAK -> "ebreak"

/// The text of a compressed instruction at `pc` (if known).
let compressed (pc: uint64 option) (c: CInstr) : string =
    let m = mnemonic (Compressed c)

    match c with
    | C_ADDI4SPN(rd, imm) -> sprintf "%s %s, sp, %d" m (r rd) imm
    | C_LW(rd, rs1, imm)
    | C_LD(rd, rs1, imm) -> sprintf "%s %s, %d(%s)" m (r rd) imm (r rs1)
    | C_SW(rs1, rs2, imm)
    | C_SD(rs1, rs2, imm) -> sprintf "%s %s, %d(%s)" m (r rs2) imm (r rs1)
    | C_NOP 0 -> "c.nop"
    | C_NOP imm -> sprintf "c.nop %d" imm
    | C_ADDI(rd, imm)
    | C_ADDIW(rd, imm)
    | C_LI(rd, imm)
    | C_ANDI(rd, imm) -> sprintf "%s %s, %d" m (r rd) imm
    | C_ADDI16SP imm -> sprintf "%s sp, %d" m imm
    | C_LUI(rd, imm) -> sprintf "%s %s, 0x%x" m (r rd) (imm &&& 0xFFFFF)
    | C_SRLI(rd, sh)
    | C_SRAI(rd, sh)
    | C_SLLI(rd, sh) -> sprintf "%s %s, %d" m (r rd) sh
    | C_SUB(rd, rs2)
    | C_XOR(rd, rs2)
    | C_OR(rd, rs2)
    | C_AND(rd, rs2)
    | C_SUBW(rd, rs2)
    | C_ADDW(rd, rs2)
    | C_MV(rd, rs2)
    | C_ADD(rd, rs2) -> sprintf "%s %s, %s" m (r rd) (r rs2)
    | C_J off -> sprintf "%s %s" m (target pc off)
    | C_BEQZ(rs1, off)
    | C_BNEZ(rs1, off) -> sprintf "%s %s, %s" m (r rs1) (target pc off)
    | C_LWSP(rd, imm)
    | C_LDSP(rd, imm) -> sprintf "%s %s, %d(sp)" m (r rd) imm
    | C_SWSP(rs2, imm)
    | C_SDSP(rs2, imm) -> sprintf "%s %s, %d(sp)" m (r rs2) imm
    | C_JR rs1
    | C_JALR rs1 -> sprintf "%s %s" m (r rs1)
    | C_EBREAK -> "c.ebreak"

/// Describe why an encoding is illegal.
let illegalReason (reason: IllegalReason) =
    match reason with
    | ZeroParcel -> "the all-zero parcel"
    | Reserved what -> sprintf "reserved encoding (%s)" what
    | Unsupported ext -> sprintf "extension %s is not part of ThruVM" ext
    | Unallocated -> "unallocated encoding"
    | LongEncoding -> "48-bit or longer instruction encoding"

/// The text of any decoded instruction; an illegal one prints as data with a comment.
let decoded (pc: uint64 option) (bits: uint32) (length: int) (d: Decoded) : string =
    match d with
    | Full i -> instr pc i
    | Compressed c -> compressed pc c
    | Illegal reason when length = 2 -> sprintf ".2byte 0x%04x # illegal: %s" bits (illegalReason reason)
    | Illegal reason -> sprintf ".4byte 0x%08x # illegal: %s" bits (illegalReason reason)

/// One line of a listing.
type Line =
    { Address: uint64
      Bytes: byte[]
      Text: string }

/// Disassemble a code buffer loaded at `baseAddress`, one line per instruction. A trailing
/// half of a 32-bit instruction that the buffer cuts off prints as data.
let listing (baseAddress: uint64) (code: byte[]) : Line list =
    let parcel i = uint16 code[i] ||| (uint16 code[i + 1] <<< 8)

    let rec go offset acc =
        if offset + 1 >= code.Length then
            let tail =
                if offset < code.Length then
                    [ { Address = baseAddress + uint64 offset
                        Bytes = [| code[offset] |]
                        Text = sprintf ".byte 0x%02x" code[offset] } ]
                else
                    []

            List.rev acc @ tail
        else
            let low = parcel offset
            let pc = baseAddress + uint64 offset

            if Decode.isLongParcel low && offset + 3 < code.Length then
                let high = parcel (offset + 2)
                let bits = (uint32 high <<< 16) ||| uint32 low
                let text = decoded (Some pc) bits 4 (Decode.decode low high)
                go (offset + 4) ({ Address = pc; Bytes = code[offset .. offset + 3]; Text = text } :: acc)
            elif Decode.isLongParcel low then
                let text = sprintf ".2byte 0x%04x # first half of a 32-bit instruction cut off by the end" low
                go (offset + 2) ({ Address = pc; Bytes = code[offset .. offset + 1]; Text = text } :: acc)
            else
                let text = decoded (Some pc) (uint32 low) 2 (Decode.decode16 low)
                go (offset + 2) ({ Address = pc; Bytes = code[offset .. offset + 1]; Text = text } :: acc)

    go 0 []
