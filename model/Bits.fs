/// Small, total helpers on 64-bit words used throughout the specification.
/// Every function here is pure and defined for every input.
module Thru.Model.Bits

/// Bits [hi:lo] of `x`, shifted down to bit 0 (inclusive range, as in the RISC-V manual).
let inline bits (hi: int) (lo: int) (x: uint64) : uint64 =
    (x >>> lo) &&& ((1UL <<< (hi - lo + 1)) - 1UL)

/// Bit `i` of `x` as 0 or 1.
let inline bit (i: int) (x: uint64) : uint64 = (x >>> i) &&& 1UL

/// Sign-extend the low `width` bits of `x` to 64 bits.
let signExtend (width: int) (x: uint64) : uint64 =
    let shift = 64 - width
    uint64 ((int64 (x <<< shift)) >>> shift)

/// Zero-extend the low `width` bits of `x` to 64 bits.
let zeroExtend (width: int) (x: uint64) : uint64 =
    if width >= 64 then x else x &&& ((1UL <<< width) - 1UL)

/// The low 32 bits of `x`, sign-extended: the result rule of every RV64 "W" instruction.
let sext32 (x: uint64) : uint64 = signExtend 32 x

/// The low 32 bits of `x`, zero-extended.
let zext32 (x: uint64) : uint64 = x &&& 0xFFFF_FFFFUL

/// Rotate a 64-bit value right by `n` (mod 64).
let ror64 (x: uint64) (n: int) : uint64 =
    let n = n &&& 63
    if n = 0 then x else (x >>> n) ||| (x <<< (64 - n))

/// Rotate the low 32 bits of `x` right by `n` (mod 32); the result is the 32-bit value, zero-extended.
let ror32 (x: uint64) (n: int) : uint64 =
    let v = uint32 x
    let n = n &&& 31
    uint64 (if n = 0 then v else (v >>> n) ||| (v <<< (32 - n)))

/// Signed view of a register value.
let inline signed (x: uint64) : int64 = int64 x

/// Read a little-endian unsigned value of `size` bytes (1, 2, 4 or 8) at `offset` in `bytes`.
let readLE (bytes: byte[]) (offset: int) (size: int) : uint64 =
    List.foldBack (fun i v -> (v <<< 8) ||| uint64 bytes[offset + i]) [ 0 .. size - 1 ] 0UL

/// The little-endian bytes of the low `size` bytes of `value`.
let toLE (size: int) (value: uint64) : byte[] =
    Array.init size (fun i -> byte (value >>> (8 * i)))
