/// What every computational instruction computes, as pure functions of its operands.
/// One match arm per instruction, in the manual's words (docs/spec/isa.md §3).
module Thru.Model.Isa.Semantics

open System.Numerics
open Thru.Model.Bits

let private bool (b: bool) = if b then 1UL else 0UL

/// Shift amount of a 64-bit shift: rs2[5:0]; of a 32-bit (W) shift: rs2[4:0].
let private sh64 (b: uint64) = int (b &&& 63UL)
let private sh32 (b: uint64) = int (b &&& 31UL)

/// The high 64 bits of an exact (unbounded) product, as the manual defines MULH*.
let private high64 (product: BigInteger) : uint64 =
    uint64 ((product >>> 64) &&& BigInteger System.UInt64.MaxValue)

/// Signed division, round toward zero. x/0 = -1; MIN/-1 = MIN (no trap; manual §M).
let private div (x: int64) (y: int64) : int64 =
    if y = 0L then -1L
    elif x = System.Int64.MinValue && y = -1L then x
    else x / y

/// Signed remainder, sign of the dividend. x%0 = x; MIN%-1 = 0.
let private rem (x: int64) (y: int64) : int64 =
    if y = 0L then x
    elif x = System.Int64.MinValue && y = -1L then 0L
    else x % y

let private div32 (x: int32) (y: int32) : int32 =
    if y = 0 then -1
    elif x = System.Int32.MinValue && y = -1 then x
    else x / y

let private rem32 (x: int32) (y: int32) : int32 =
    if y = 0 then x
    elif x = System.Int32.MinValue && y = -1 then 0
    else x % y

/// Carry-less multiply (Zbc): bit-serial definitions of the Zbc specification.
let private clmul (a: uint64) (b: uint64) =
    [ 0..63 ] |> List.fold (fun acc i -> if bit i b = 1UL then acc ^^^ (a <<< i) else acc) 0UL

let private clmulh (a: uint64) (b: uint64) =
    [ 1..63 ] |> List.fold (fun acc i -> if bit i b = 1UL then acc ^^^ (a >>> (64 - i)) else acc) 0UL

let private clmulr (a: uint64) (b: uint64) =
    [ 0..63 ] |> List.fold (fun acc i -> if bit i b = 1UL then acc ^^^ (a >>> (63 - i)) else acc) 0UL

/// rd of a register-register operation with operands rs1 = a, rs2 = b.
let regOp (op: RegOp) (a: uint64) (b: uint64) : uint64 =
    match op with
    | ADD -> a + b
    | SUB -> a - b
    | SLL -> a <<< sh64 b
    | SLT -> bool (int64 a < int64 b)
    | SLTU -> bool (a < b)
    | XOR -> a ^^^ b
    | SRL -> a >>> sh64 b
    | SRA -> uint64 (int64 a >>> sh64 b)
    | OR -> a ||| b
    | AND -> a &&& b
    | ADDW -> sext32 (a + b)
    | SUBW -> sext32 (a - b)
    | SLLW -> sext32 (a <<< sh32 b)
    | SRLW -> sext32 (zext32 a >>> sh32 b)
    | SRAW -> sext32 (uint64 (int32 a >>> sh32 b))
    | MUL -> a * b
    | MULH -> high64 (BigInteger(int64 a) * BigInteger(int64 b))
    | MULHSU -> high64 (BigInteger(int64 a) * BigInteger b)
    | MULHU -> high64 (BigInteger a * BigInteger b)
    | DIV -> uint64 (div (int64 a) (int64 b))
    | DIVU -> if b = 0UL then System.UInt64.MaxValue else a / b
    | REM -> uint64 (rem (int64 a) (int64 b))
    | REMU -> if b = 0UL then a else a % b
    | MULW -> sext32 (a * b)
    | DIVW -> sext32 (uint64 (div32 (int32 a) (int32 b)))
    | DIVUW -> sext32 (if uint32 b = 0u then 0xFFFF_FFFFUL else uint64 (uint32 a / uint32 b))
    | REMW -> sext32 (uint64 (rem32 (int32 a) (int32 b)))
    | REMUW -> sext32 (if uint32 b = 0u then zext32 a else uint64 (uint32 a % uint32 b))
    | SH1ADD -> (a <<< 1) + b
    | SH2ADD -> (a <<< 2) + b
    | SH3ADD -> (a <<< 3) + b
    | ADD_UW -> zext32 a + b
    | SH1ADD_UW -> (zext32 a <<< 1) + b
    | SH2ADD_UW -> (zext32 a <<< 2) + b
    | SH3ADD_UW -> (zext32 a <<< 3) + b
    | ANDN -> a &&& ~~~b
    | ORN -> a ||| ~~~b
    | XNOR -> ~~~(a ^^^ b)
    | MIN -> if int64 a < int64 b then a else b
    | MINU -> if a < b then a else b
    | MAX -> if int64 a < int64 b then b else a
    | MAXU -> if a < b then b else a
    | ROL -> ror64 a (64 - sh64 b)
    | ROR -> ror64 a (sh64 b)
    | ROLW -> sext32 (ror32 a (32 - sh32 b))
    | RORW -> sext32 (ror32 a (sh32 b))
    | BCLR -> a &&& ~~~(1UL <<< sh64 b)
    | BSET -> a ||| (1UL <<< sh64 b)
    | BINV -> a ^^^ (1UL <<< sh64 b)
    | BEXT -> (a >>> sh64 b) &&& 1UL
    | CLMUL -> clmul a b
    | CLMULH -> clmulh a b
    | CLMULR -> clmulr a b

/// rd of a register-immediate operation (imm already sign-extended).
let immOp (op: ImmOp) (a: uint64) (imm: int64) : uint64 =
    let i = uint64 imm

    match op with
    | ADDI -> a + i
    | SLTI -> bool (int64 a < imm)
    | SLTIU -> bool (a < i)
    | XORI -> a ^^^ i
    | ORI -> a ||| i
    | ANDI -> a &&& i
    | ADDIW -> sext32 (a + i)

/// rd of a shift-immediate: the register form with rs2 = shamt, except SLLI.UW.
let shiftImmOp (op: ShiftImmOp) (a: uint64) (shamt: int) : uint64 =
    let s = uint64 shamt

    match op with
    | SLLI -> regOp SLL a s
    | SRLI -> regOp SRL a s
    | SRAI -> regOp SRA a s
    | SLLIW -> regOp SLLW a s
    | SRLIW -> regOp SRLW a s
    | SRAIW -> regOp SRAW a s
    | SLLI_UW -> zext32 a <<< shamt
    | RORI -> regOp ROR a s
    | RORIW -> regOp RORW a s
    | BCLRI -> regOp BCLR a s
    | BSETI -> regOp BSET a s
    | BINVI -> regOp BINV a s
    | BEXTI -> regOp BEXT a s

/// Each byte of `a` becomes 0xFF if non-zero, else 0x00 (ORC.B).
let private orcB (a: uint64) =
    [ 0..7 ] |> List.fold (fun acc i -> if bits (8 * i + 7) (8 * i) a <> 0UL then acc ||| (0xFFUL <<< (8 * i)) else acc) 0UL

/// The bytes of `a` in reverse order (REV8).
let private rev8 (a: uint64) =
    [ 0..7 ] |> List.fold (fun acc i -> acc ||| (bits (8 * i + 7) (8 * i) a <<< (8 * (7 - i)))) 0UL

/// rd of a one-source operation. SHA-256 forms work on the low 32 bits and sign-extend
/// the result (Zknh, RV64).
let unaryOp (op: UnaryOp) (a: uint64) : uint64 =
    match op with
    | CLZ -> uint64 (BitOperations.LeadingZeroCount a)
    | CTZ -> uint64 (BitOperations.TrailingZeroCount a)
    | CPOP -> uint64 (BitOperations.PopCount a)
    | CLZW -> uint64 (BitOperations.LeadingZeroCount(uint32 a))
    | CTZW -> uint64 (BitOperations.TrailingZeroCount(uint32 a))
    | CPOPW -> uint64 (BitOperations.PopCount(uint32 a))
    | SEXT_B -> signExtend 8 a
    | SEXT_H -> signExtend 16 a
    | ZEXT_H -> zeroExtend 16 a
    | ORC_B -> orcB a
    | REV8 -> rev8 a
    | SHA256SUM0 -> sext32 (ror32 a 2 ^^^ ror32 a 13 ^^^ ror32 a 22)
    | SHA256SUM1 -> sext32 (ror32 a 6 ^^^ ror32 a 11 ^^^ ror32 a 25)
    | SHA256SIG0 -> sext32 (ror32 a 7 ^^^ ror32 a 18 ^^^ (zext32 a >>> 3))
    | SHA256SIG1 -> sext32 (ror32 a 17 ^^^ ror32 a 19 ^^^ (zext32 a >>> 10))
    | SHA512SUM0 -> ror64 a 28 ^^^ ror64 a 34 ^^^ ror64 a 39
    | SHA512SUM1 -> ror64 a 14 ^^^ ror64 a 18 ^^^ ror64 a 41
    | SHA512SIG0 -> ror64 a 1 ^^^ ror64 a 8 ^^^ (a >>> 7)
    | SHA512SIG1 -> ror64 a 19 ^^^ ror64 a 61 ^^^ (a >>> 6)

/// Whether a conditional branch is taken.
let branchTaken (op: BranchOp) (a: uint64) (b: uint64) : bool =
    match op with
    | BEQ -> a = b
    | BNE -> a <> b
    | BLT -> int64 a < int64 b
    | BGE -> int64 a >= int64 b
    | BLTU -> a < b
    | BGEU -> a >= b

/// Bytes accessed by a load and whether the value is sign-extended.
let loadWidth (op: LoadOp) : int * bool =
    match op with
    | LB -> 1, true
    | LH -> 2, true
    | LW -> 4, true
    | LD -> 8, true
    | LBU -> 1, false
    | LHU -> 2, false
    | LWU -> 4, false

/// Bytes written by a store.
let storeWidth (op: StoreOp) : int =
    match op with
    | SB -> 1
    | SH -> 2
    | SW -> 4
    | SD -> 8
