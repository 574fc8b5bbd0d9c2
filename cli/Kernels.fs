/// The benchmark kernels, assembled with the model's encoder: an ALU loop, a memory loop over
/// 4 KiB, and a branchy loop driven by a xorshift generator. Each exists as a raw-mode image
/// (ends with ecall; data at base + 0x10000) and as a Thru executable (ends with exit; data in a
/// one-page heap mapped by syscall 0). The loop count is in t0 (x5), set by the first two
/// instructions from the 32-bit `iterations`.
module Thru.Cli.Kernels

open Thru.Model
open Thru.Model.Isa

let private enc (ds: Decoded list) = ds |> List.collect (fun d -> List.ofArray (Encode.toBytes d).Value) |> Array.ofList
let private r x = x
let t0, t1, t2, a0, a1, a2, a3, a4, a5, a6, a7, s0 = 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 8
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

/// A kernel: its name and its code for a mode and an iteration count.
type Kernel = { Name: string; Code: Mode -> int -> byte[] }

let private build (body: Decoded list) (prologue: Decoded list) (mode: Mode) (iterations: int) =
    let head = loadCount iterations @ prologue
    let setupOffset = (enc head).Length
    enc (head @ dataSetup mode setupOffset @ body @ finish mode)

let alu = { Name = "alu"; Code = build aluBody [ imm ADDI a0 0 1L; imm ADDI a1 0 3L ] }
let memory = { Name = "memory"; Code = build memoryBody [ imm ADDI a0 0 1L ] }
let branchy = { Name = "branchy"; Code = build branchyBody [ imm ADDI a0 0 0x2545L ] }

let all = [ alu; memory; branchy ]

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
