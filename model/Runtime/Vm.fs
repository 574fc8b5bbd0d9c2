/// The state of a running transaction's VM, how execution ends, and the metering rules
/// (docs/spec/metering.md). Decisions: D-CU-CHARGE, D-SU, D-MU, D-DEPTH.
module Thru.Model.Runtime.Vm

open Thru.Model
open Thru.Model.Isa
open Thru.Model.Memory
open Thru.Model.Memory.Space

/// An emitted event (proto TransactionEvent).
type Event =
    { Id: int
      /// Unique per program invocation: 0 for the top level, then 1, 2, … in invocation order.
      CallIdx: int
      ProgramIdx: int
      Program: Pubkey
      Payload: byte[] }

/// A log written by the log syscall.
type Log = { ProgramIdx: int; Data: byte[] }

/// Why a transaction's execution stopped.
type Ending =
    /// The top-level program exited with revert = 0.
    | Exited of code: uint64
    /// exit with revert ≠ 0, at any depth: the whole transaction reverts.
    | Reverted of code: uint64 * programIdx: int
    /// An instruction trapped (SIGILL for illegal instructions and ebreak, SIGSEGV for memory).
    | Faulted of trap: Trap * programIdx: int
    /// An ecall with a7 > 0x0F (decision D-UNKNOWN-SYSCALL).
    | UnknownSyscall of number: uint64 * programIdx: int
    /// The compute-unit budget could not pay for an instruction or a syscall.
    | ComputeExhausted of programIdx: int
    /// The state-unit budget could not pay for new persistent state.
    | StateExhausted of programIdx: int

/// What a nested frame must get back when its callee exits: the pc after the caller's ecall, the
/// caller's program segment, and the caller's call index. Not visible to programs.
type ReturnPoint =
    { ReturnPc: uint64
      CallerProgram: byte[]
      CallerCallIdx: int }

/// What the chain knows besides the accounts and the blocks (decisions D-CHAIN-ID, D-COMPRESS).
type Chain =
    {
        /// The chain's id: a transaction for another chain is refused (D-CHAIN-ID).
        ChainId: uint16
        /// The global activated state counter (GASC) in bytes: compression needs it above
        /// 32 GiB (D-COMPRESS). A successful transaction adds the bytes it activated.
        StateCounter: uint64
        /// The slot at which each compressed account was compressed, for the decompression
        /// cool-down (D-COMPRESS).
        CompressedAt: Map<Pubkey, uint64>
    }

module Chain =
    /// TN_STATE_COUNTER_BASELINE_BYTES: compression needs GASC above 32 GiB (docs/spec/syscalls.md §3.6).
    let compressionBaseline = 32UL <<< 30

    /// TN_RUNTIME_CTX_COMPRESSION_TIMEOUT = STATE_HASH_DELAY (256) + ACCEPTS_PROOF_BLOCK_SPAN (128)
    /// slots between compressing an account and decompressing it (docs/spec/syscalls.md §12.5).
    let compressionTimeout = 384UL

    /// A chain past the compression baseline (the GASC the end-to-end test's comment suggests for a
    /// genesis that allows compression), with no compressions recorded.
    let mature (chainId: uint16) =
        { ChainId = chainId
          StateCounter = 934_359_738_368UL
          CompressedAt = Map.empty }

/// What stays fixed for the whole execution.
type Context =
    { Profile: Decisions.Profile
      ChainId: uint16
      FeePayer: Pubkey
      TxnFlags: byte
      /// The slot of the current block (block context 0).
      Slot: uint64
      Verify: Crypto.Verifier
      VerifyProof: StateProof.ProofVerifier
      ComputeBudget: uint64
      StateBudget: uint64
      /// The chain before the transaction.
      Chain: Chain }

type Vm =
    { Ctx: Context
      Hart: Hart
      Space: Space
      /// One per frame above the top level, innermost first.
      Returns: ReturnPoint list
      CallIdx: int
      Invocations: int
      ComputeUsed: uint64
      /// Instructions executed (each one charged), the debug service's instruction_counter.
      Instructions: int64
      StateUsed: uint64
      /// Bytes of account state activated / deactivated (GASC / GDSC).
      Activated: uint64
      Deactivated: uint64
      Logs: Log list
      Events: Event list
      EventBytes: int64
      /// The account compressed by this transaction (at most one).
      Compressed: int option }

module Vm =
    let reg (vm: Vm) (r: Reg) = Registers.get vm.Hart.Regs r

    /// The syscall argument in a0..a6.
    let arg (vm: Vm) (i: int) = reg vm (Reg.a0 + i)

    let programIdx (vm: Vm) = Space.programIndex vm.Space
    let depth (vm: Vm) = Space.depth vm.Space
    let program (vm: Vm) = vm.Space.Accounts[programIdx vm].Key

    /// Decision D-CU-CHARGE: a cost is paid before the work it pays for; when the remaining budget
    /// is smaller, execution stops with SIGCU and the whole budget counts as consumed.
    let charge (cost: uint64) (vm: Vm) : Result<Vm, Vm * Ending> =
        if cost > vm.Ctx.ComputeBudget - vm.ComputeUsed then
            Error({ vm with ComputeUsed = vm.Ctx.ComputeBudget }, ComputeExhausted(programIdx vm))
        else
            Ok { vm with ComputeUsed = vm.ComputeUsed + cost }

    /// Decision D-SU: one state unit pays for up to 4 KiB of growth of persistent account
    /// storage, an account's footprint being its 62-byte metadata view plus its data. Growth from
    /// `before` to `after` footprint bytes costs ceil((after - before) / 4096) units, so any growth
    /// costs at least one (profile PerNewPage: only new 4 KiB pages cost); shrinking is free;
    /// exceeding req_state_units stops execution with SIGSU before the change is made.
    let chargeState (before: int64) (after: int64) (vm: Vm) : Result<Vm, Vm * Ending> =
        let pages (b: int64) = (b + 4095L) / 4096L

        let units =
            match vm.Ctx.Profile.StateUnits with
            | Decisions.PerGrowth -> if after > before then uint64 ((after - before + 4095L) / 4096L) else 0UL
            | Decisions.PerNewPage -> uint64 (max 0L (pages after - pages before))

        if units > vm.Ctx.StateBudget - vm.StateUsed then Error(vm, StateExhausted(programIdx vm))
        else Ok { vm with StateUsed = vm.StateUsed + units }

    /// The persistent footprint of an account with `dataSize` bytes of data.
    let footprint (dataSize: int64) = int64 Layout.metaViewSize + dataSize

/// Decision D-DEPTH: the top level runs at call depth 1; at most 16 frames (depths 1..16), so an
/// invoke made at depth 16 fails with CALL_DEPTH_TOO_DEEP.
let maxDepth = 16

/// The VM error code (execution_code) of an ending (docs/spec/errors.md §2). Decisions D-EBREAK,
/// D-ALIGN: ebreak and illegal instructions are SIGILL, every memory fault is SIGSEGV.
let vmErrorOf (e: Ending) : int64 =
    match e with
    | Exited _
    | Reverted _ -> Codes.VmError.success
    | Faulted(IllegalInstruction _, _)
    | Faulted(Breakpoint, _)
    | UnknownSyscall _ -> Codes.VmError.sigill
    | Faulted(MemoryFault _, _) -> Codes.VmError.sigsegv
    | ComputeExhausted _ -> Codes.VmError.sigcu
    | StateExhausted _ -> Codes.VmError.sigsu
