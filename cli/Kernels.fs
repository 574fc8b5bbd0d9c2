/// The benchmark kernels, assembled with the model's encoder: an ALU loop, a memory loop over
/// 4 KiB, a branchy loop driven by a xorshift generator, and the SHA-256 compression function
/// with the Zknh instructions. Each exists as a raw-mode image (ends with ecall; data at
/// base + 0x10000) and as a Thru executable (ends with exit; data in a one-page heap mapped by
/// syscall 0). The loop count is in t0 (x5), set by the first two instructions from the 32-bit
/// `iterations`; the data pointer is s0 (x8); a kernel's own set-up runs after both.
module Thru.Cli.Kernels

open Thru.Model
open Thru.Model.Isa

let private enc (ds: Decoded list) = ds |> List.collect (fun d -> List.ofArray (Encode.toBytes d).Value) |> Array.ofList
let private r x = x
let t0, t1, t2, a0, a1, a2, a3, a4, a5, a6, a7, s0 = 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 8
let t3, t4, s9, s10, s11 = 28, 29, 25, 26, 27
let private i (op: RegOp) rd a b = Full(Op(op, rd, a, b))
let private imm (op: ImmOp) rd a (v: int64) = Full(OpImm(op, rd, a, v))
let private sh (op: ShiftImmOp) rd a (n: int) = Full(ShiftImm(op, rd, a, n))
let private bnez rs (off: int64) = Full(Branch(BNE, rs, 0, off))
let private beqz rs (off: int64) = Full(Branch(BEQ, rs, 0, off))

/// t0 = iterations (lui + addiw, exact for any value below 2^31).
let private loadCount (iterations: int) =
    let hi = (iterations + 0x800) >>> 12
    [ Full(LUI(t0, uint32 hi &&& 0xFFFFFu)); imm ADDIW t0 t0 (int64 (iterations - (hi <<< 12))) ]

/// How a kernel ends and where its data lives, per mode.
type Mode =
    | RawMode
    | ThruMode

/// Thru mode: map a one-page heap (syscall 0 with 0x0700_0000_1000) and point s0 at it.
/// Raw mode: s0 = base + 0x10000 (auipc-relative).
let private dataSetup (mode: Mode) (offsetOfSetup: int) =
    match mode with
    | ThruMode -> [ imm ADDI a0 0 0x70L; sh SLLI a0 a0 36; Full(LUI(t1, 1u)); i ADD a0 a0 t1; imm ADDI a7 0 0L; Full ECALL; imm ADDI s0 0 0x70L; sh SLLI s0 s0 36 ]
    | RawMode -> [ Full(AUIPC(s0, 0x10u)); imm ADDI s0 s0 (int64 -offsetOfSetup) ]

let private finish (mode: Mode) =
    match mode with
    | ThruMode -> [ imm ADDI a0 0 0L; imm ADDI a1 0 0L; imm ADDI a7 0 11L; Full ECALL ]
    | RawMode -> [ Full ECALL ]

/// 10 instructions per iteration: 8 ALU operations, the counter, the branch.
let private aluBody =
    [ i ADD a2 a0 a1; i XOR a3 a2 a0; sh SLLI a4 a3 3; sh SRLI a5 a4 1; i SUB a0 a5 a1; i OR a1 a1 a0; i AND a6 a2 a4; i SLTU a7 a6 a5
      imm ADDI t0 t0 -1L; bnez t0 -36L ]

/// Per iteration: 512 × (ld, add, sd, addi, addi, bnez) over 4 KiB, then the outer counter.
let private memoryBody =
    [ imm ADDI t1 s0 0L; imm ADDI t2 0 512L
      Full(Load(LD, a2, t1, 0L)); i ADD a2 a2 a0; Full(Store(SD, t1, a2, 0L)); imm ADDI t1 t1 8L; imm ADDI t2 t2 -1L; bnez t2 -20L
      imm ADDI t0 t0 -1L; bnez t0 -36L ]

/// A xorshift64 step, then two data-dependent branches, then the counter.
let private branchyBody =
    [ sh SLLI t1 a0 13; i XOR a0 a0 t1; sh SRLI t1 a0 7; i XOR a0 a0 t1; sh SLLI t1 a0 17; i XOR a0 a0 t1
      imm ANDI t2 a0 1L; beqz t2 8L; imm ADDI a3 a3 1L
      imm ANDI t2 a0 2L; bnez t2 8L; imm ADDI a4 a4 1L
      imm ADDI t0 t0 -1L; bnez t0 -52L ]

/// rd = the 32-bit value v, sign-extended (lui + addiw).
let private li32 rd (v: uint32) =
    let lo = int64 (int32 (v <<< 20) >>> 20)
    [ Full(LUI(rd, ((v - uint32 lo) >>> 12) &&& 0xFFFFFu)); imm ADDIW rd rd lo ]

/// FIPS 180-4 §4.2.2: the 64 round constants.
let sha256K =
    [| 0x428a2f98u; 0x71374491u; 0xb5c0fbcfu; 0xe9b5dba5u; 0x3956c25bu; 0x59f111f1u; 0x923f82a4u; 0xab1c5ed5u
       0xd807aa98u; 0x12835b01u; 0x243185beu; 0x550c7dc3u; 0x72be5d74u; 0x80deb1feu; 0x9bdc06a7u; 0xc19bf174u
       0xe49b69c1u; 0xefbe4786u; 0x0fc19dc6u; 0x240ca1ccu; 0x2de92c6fu; 0x4a7484aau; 0x5cb0a9dcu; 0x76f988dau
       0x983e5152u; 0xa831c66du; 0xb00327c8u; 0xbf597fc7u; 0xc6e00bf3u; 0xd5a79147u; 0x06ca6351u; 0x14292967u
       0x27b70a85u; 0x2e1b2138u; 0x4d2c6dfcu; 0x53380d13u; 0x650a7354u; 0x766a0abbu; 0x81c2c92eu; 0x92722c85u
       0xa2bfe8a1u; 0xa81a664bu; 0xc24b8b70u; 0xc76c51a3u; 0xd192e819u; 0xd6990624u; 0xf40e3585u; 0x106aa070u
       0x19a4c116u; 0x1e376c08u; 0x2748774cu; 0x34b0bcb5u; 0x391c0cb3u; 0x4ed8aa4au; 0x5b9cca4fu; 0x682e6ff3u
       0x748f82eeu; 0x78a5636fu; 0x84c87814u; 0x8cc70208u; 0x90befffau; 0xa4506cebu; 0xbef9a3f7u; 0xc67178f2u |]

/// FIPS 180-4 §5.3.3: the initial hash value.
let sha256H0 = [| 0x6a09e667u; 0xbb67ae85u; 0x3c6ef372u; 0xa54ff53au; 0x510e527fu; 0x9b05688cu; 0x1f83d9abu; 0x5be0cd19u |]

/// The one message block the kernel compresses: "abc" padded (FIPS 180-2 example B.1), as 16
/// big-endian words.
let sha256Block = Array.init 16 (fun i -> if i = 0 then 0x61626380u elif i = 15 then 0x18u else 0u)

/// The working variables a..h (s1, s2..s8).
let sha256Vars = [| 9; 18; 19; 20; 21; 22; 23; 24 |]

/// Data at s0: K (64 words at 0x000), the schedule W (64 words at 0x100; W[0..15] the block),
/// the hash state H (8 words at 0x200), stored as 32-bit words.
let private sha256Setup =
    let store (offset: int) (values: uint32[]) =
        values |> Array.toList |> List.mapi (fun i v -> li32 t1 v @ [ Full(Store(SW, s0, t1, int64 (offset + 4 * i))) ]) |> List.concat
    store 0x000 sha256K @ store 0x100 sha256Block @ store 0x200 sha256H0

/// Per iteration: H = compress(H, block), with sha256sig0/sig1 in the message schedule and
/// sha256sum0/sum1 in the 64 rounds (Zbb andn for Ch). After the loop, a..h = H, so that one
/// iteration leaves SHA-256("abc") in s1..s8 (sign-extended words).
let private sha256Body =
    let v i = sha256Vars[i]
    let a, b, c, d, e, f, g, h = v 0, v 1, v 2, v 3, v 4, v 5, v 6, v 7
    let schedule =
        [ Full(Load(LW, t1, s10, -8L)); Full(Unary(SHA256SIG1, t1, t1)); Full(Load(LW, t2, s10, -28L)); i ADDW t1 t1 t2
          Full(Load(LW, t2, s10, -60L)); Full(Unary(SHA256SIG0, t2, t2)); i ADDW t1 t1 t2; Full(Load(LW, t2, s10, -64L)); i ADDW t1 t1 t2
          Full(Store(SW, s10, t1, 0L)); imm ADDI s10 s10 4L; imm ADDI s11 s11 -1L ]
    let round =
        [ Full(Unary(SHA256SUM1, t1, e)); i ADDW t1 t1 h; i AND t2 e f; i ANDN t3 g e; i XOR t2 t2 t3; i ADDW t1 t1 t2
          Full(Load(LW, t2, s9, 0L)); i ADDW t1 t1 t2; Full(Load(LW, t2, s10, 0L)); i ADDW t1 t1 t2
          Full(Unary(SHA256SUM0, t2, a)); i AND t3 a b; i OR t4 a b; i AND t4 t4 c; i OR t3 t3 t4; i ADDW t2 t2 t3
          imm ADDI h g 0L; imm ADDI g f 0L; imm ADDI f e 0L; i ADDW e d t1; imm ADDI d c 0L; imm ADDI c b 0L; imm ADDI b a 0L; i ADDW a t1 t2
          imm ADDI s9 s9 4L; imm ADDI s10 s10 4L; imm ADDI s11 s11 -1L ]
    let back (code: Decoded list) = int64 (-4 * code.Length) // every instruction here is 32-bit
    let loadState = [ for k in 0..7 -> Full(Load(LW, v k, s0, int64 (0x200 + 4 * k))) ]
    let addState = [ for k in 0..7 do yield Full(Load(LW, t1, s0, int64 (0x200 + 4 * k))); yield i ADDW t1 t1 (v k); yield Full(Store(SW, s0, t1, int64 (0x200 + 4 * k))) ]
    let iteration =
        [ imm ADDI s10 s0 0x140L; imm ADDI s11 0 48L ] @ schedule @ [ bnez s11 (back schedule) ]
        @ loadState @ [ imm ADDI s9 s0 0L; imm ADDI s10 s0 0x100L; imm ADDI s11 0 64L ] @ round @ [ bnez s11 (back round) ]
        @ addState @ [ imm ADDI t0 t0 -1L ]
    iteration @ [ bnez t0 (back iteration) ] @ loadState

/// A kernel: its name, its code for a mode and an iteration count, and whether Unicorn can run it
/// (the Unicorn here decodes no B or Zknh instruction).
type Kernel = { Name: string; Code: Mode -> int -> byte[]; Unicorn: bool }

let private build (body: Decoded list) (setup: Decoded list) (mode: Mode) (iterations: int) =
    let count = loadCount iterations
    let setupOffset = (enc count).Length
    enc (count @ dataSetup mode setupOffset @ setup @ body @ finish mode)

let alu = { Name = "alu"; Code = build aluBody [ imm ADDI a0 0 1L; imm ADDI a1 0 3L ]; Unicorn = true }
let memory = { Name = "memory"; Code = build memoryBody [ imm ADDI a0 0 1L ]; Unicorn = true }
let branchy = { Name = "branchy"; Code = build branchyBody [ imm ADDI a0 0 0x2545L ]; Unicorn = true }
let sha256 = { Name = "sha256"; Code = build sha256Body sha256Setup; Unicorn = false }

let all = [ alu; memory; branchy; sha256 ]

/// A Thru executable of a kernel.
let executable (k: Kernel) (iterations: int) = Executable.build (k.Code ThruMode iterations)

/// The transfer program of the transactions/s benchmark: moves the u64 amount in its instruction
/// data from account 2 to account 3 and exits with the syscall's result (9 instructions).
let transferProgram =
    Executable.build (
        enc
            [ Full(Load(LD, a2, a0, 0L)); imm ADDI a0 0 2L; imm ADDI a1 0 3L; imm ADDI a7 0 3L; Full ECALL
              imm ADDI a1 0 0L; imm ADDI a7 0 11L; Full ECALL ]
    )
