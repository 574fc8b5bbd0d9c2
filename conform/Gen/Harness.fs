/// Building blocks of generated transactions (shared by the corpus generator and the test suite): keys,
/// hand-assembled programs (the syscall prober), transactions and environments. Programs are
/// assembled with the model's encoder from readable instruction lists.
module Thru.Conform.Gen.Harness

open Thru.Model
open Thru.Model.Isa
open Thru.Model.Memory
open Thru.Model.Memory.Layout
open Thru.Model.Runtime

let key (n: int) = Pubkey(Array.init 32 (fun i -> byte (n * 37 + i * 11)))

/// A verifier that accepts every signature (for tests that are not about signatures).
let acceptAll: Crypto.Verifier = fun _ _ _ -> true

let enc (ds: Decoded list) = ds |> List.collect (fun d -> List.ofArray (Encode.toBytes d).Value) |> Array.ofList

/// An executable from a list of instructions.
let program (code: Decoded list) = Executable.build (enc code)

// Register numbers.
let zero, ra, sp, t0, t1, t2 = 0, 1, 2, 5, 6, 7
let a0, a1, a2, a3, a4, a5, a6, a7 = 10, 11, 12, 13, 14, 15, 16, 17

let li rd (v: int) = Full(OpImm(ADDI, rd, 0, int64 v))
let addi rd rs (v: int) = Full(OpImm(ADDI, rd, rs, int64 v))
let mv rd rs = Full(OpImm(ADDI, rd, rs, 0L))
let ld rd rs (off: int) = Full(Load(LD, rd, rs, int64 off))
let sd rs2 rs1 (off: int) = Full(Store(SD, rs1, rs2, int64 off))
let add rd r1 r2 = Full(Op(ADD, rd, r1, r2))
let andi rd rs (v: int) = Full(OpImm(ANDI, rd, rs, int64 v))
let beqz rs (off: int) = Full(Branch(BEQ, rs, 0, int64 off))
let bnez rs (off: int) = Full(Branch(BNE, rs, 0, int64 off))
let ecall = Full ECALL

/// exit(a0 = code register, revert)
let exitWith (revert: int) = [ li a1 revert; li a7 11; ecall ]

let s0, s1, s2 = 8, 9, 18

/// The syscall prober. Instruction data: [n: u64] then n records of 9 u64 — [a7][mask][a0..a6] —
/// then a payload. For each record, registers whose mask bit (0..6) is set get the
/// instruction-data address added (a pointer into the data); mask bit 9 first maps a one-page
/// stack (syscall 0); the syscall is made; mask bit 8 keeps a1 instead of a0 as the record's
/// result. After the last record the program exits (no revert) with the last result.
let prober: byte[] =
    let loadArg i = [ ld (a0 + i) s2 (16 + 8 * i); andi t2 t1 (1 <<< i); beqz t2 8; add (a0 + i) (a0 + i) s0 ]

    let stackSetup =
        // if mask bit 9: set_anonymous_segment_sz(0x0500_00FF_F000), a one-page stack
        [ andi t2 t1 0x200; beqz t2 28; li a0 0x50; Full(ShiftImm(SLLI, a0, a0, 36)); Full(LUI(t2, 0xFFFu)); add a0 a0 t2; li a7 0; ecall ]

    let body =
        [ ld t1 s2 8 ] @ stackSetup @ List.collect loadArg [ 0..6 ]
        @ [ ld a7 s2 0; ecall; andi t2 t1 0x100; beqz t2 8; mv a0 a1; addi s2 s2 72; addi s1 s1 -1 ]

    let bodySize = (enc body).Length
    program ([ mv s0 a0; ld s1 s0 0; addi s2 s0 8 ] @ body @ [ bnez s1 (-(bodySize)) ] @ exitWith 0)

/// One syscall record for the prober: number, arguments (a0..a6), and the pointer mask.
type Call = { Number: uint64; Args: uint64 list; Mask: int }

let call number args mask = { Number = number; Args = args; Mask = mask }

/// Mask bits.
let ptr (i: int) = 1 <<< i
let resultA1 = 0x100
let withStack = 0x200

/// Instruction data for the prober: the calls, then the payload. A pointer argument (mask bit set)
/// is an offset from the start of the instruction data: use `payloadAt calls k` for byte k of the
/// payload.
let probe (calls: Call list) (payload: byte[]) =
    let record c =
        let args = (c.Args @ List.replicate 7 0UL) |> List.truncate 7
        Array.concat ([ Bits.toLE 8 c.Number; Bits.toLE 8 (uint64 c.Mask) ] @ (args |> List.map (Bits.toLE 8)))

    Array.concat ([ Bits.toLE 8 (uint64 calls.Length) ] @ (calls |> List.map record) @ [ payload ])

/// The offset of payload byte `k` from the start of the instruction data.
let payloadAt (calls: Call list) (k: int) = uint64 (8 + 72 * calls.Length + k)

/// A header with generous budgets.
let header (feePayer: Pubkey) (programKey: Pubkey) : Transaction.Header =
    { Version = 1uy
      Flags = 0uy
      ReadWriteCount = 0
      ReadOnlyCount = 0
      InstrDataSize = 0
      ComputeUnits = 1_000_000u
      StateUnits = 100us
      MemoryUnits = 100us
      Fee = 10UL
      Nonce = 0UL
      StartSlot = 990UL
      ExpiryAfter = 100u
      ChainId = 1us
      Padding = 0us
      FeePayer = feePayer
      Program = programKey }

/// Wire bytes of a transaction, signed with `sign` (64 zero bytes when the verifier ignores it).
let wire (sign: byte[] -> byte[]) (h: Transaction.Header) (rw: Pubkey list) (ro: Pubkey list) (instr: byte[]) =
    let body = Transaction.body h rw ro instr None None
    Array.append body (sign (Crypto.transactionMessage body))

let unsigned (_: byte[]) = Array.zeroCreate<byte> 64

/// 600 blocks of history ending at slot 1000, with the given state root on every block.
let blocks (root: byte[]) : BlockContext list =
    [ for k in 0..599 ->
          { Slot = 1000UL - uint64 k
            BlockTime = 1_700_000_000_000_000_000UL
            BlockPrice = 1UL
            StateRoot = root
            BlockHash = Array.create 32 (byte k)
            BlockProducer = Array.zeroCreate 32
            WeightSlot = 0UL } ]

let feePayerKey = key 1
let programKey = key 2

/// An account holding a program.
let programAccount (image: byte[]) =
    { Account.create Pubkey.zero 0UL image with Meta = { (Account.create Pubkey.zero 0UL image).Meta with Flags = AccountFlags.program } }

/// An environment with a funded fee payer, the prober at `programKey`, and `extra` accounts.
let environment (extra: (Pubkey * Account) list) : Execution.Environment =
    { Profile = Decisions.Profile.defaults
      State = Map([ feePayerKey, Account.create Pubkey.zero 1_000_000UL [||]; programKey, programAccount prober ] @ extra)
      Blocks = blocks (Array.zeroCreate 32)
      Verify = acceptAll
      VerifyProof = StateProof.merkleVerifier
      Chain = Vm.Chain.mature 1us }

/// Run the prober: returns the result (UserErrorCode = the last syscall's a0 or a1).
let runProbeWith (h: Transaction.Header -> Transaction.Header) (env: Execution.Environment) (rw: Pubkey list) (ro: Pubkey list) (calls: Call list) (payload: byte[]) =
    Execution.execute env (wire unsigned (h (header feePayerKey programKey)) rw ro (probe calls payload))

let runProbe env rw ro calls payload = runProbeWith id env rw ro calls payload

/// The user error code as the signed value a syscall returned.
let code (r: Execution.TxnResult) = int64 r.UserErrorCode

/// An account owned by the prober.
let owned (balance: uint64) (data: byte[]) = Account.create programKey balance data
