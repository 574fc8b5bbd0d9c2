/// What can stop an instruction. Faults are values, never exceptions.
/// Source: docs/spec/memory.md §4 (access violations), docs/spec/isa.md §7 (traps).
namespace Thru.Model

open Thru.Model.Isa

/// The kind of memory access being made.
type AccessKind =
    | Read
    | Write
    | Fetch

/// The access-violation kinds of docs/spec/memory.md §4.1.
type Violation =
    /// Upper 16 bits non-zero, or the offset lies beyond the segment's current bounds.
    | InvalidAddress
    /// Segment type not implemented, or segment index out of range.
    | InvalidSegment
    /// A write (or fetch) the segment or the execution context does not permit.
    | PermissionDenied
    /// One access spans two 4 KiB pages where the segment forbids it (account data).
    | PageBoundaryCross
    /// The address is not a multiple of the access size (decision D-ALIGN).
    | AlignmentViolation
    /// Anonymous memory needed a page and the transaction's page pool is empty.
    | ResourceExhaustion

/// A failed memory access: what went wrong, where, how wide, and which kind of access.
type AccessFault =
    { Violation: Violation
      Address: uint64
      Size: int
      Kind: AccessKind }

/// Why an instruction could not complete.
type Trap =
    /// The fetched bits are not an instruction ThruVM executes (VM error SIGILL).
    | IllegalInstruction of bits: uint32 * reason: IllegalReason
    /// A load, store or fetch was refused.
    | MemoryFault of AccessFault
    /// EBREAK or C.EBREAK (decision D-EBREAK).
    | Breakpoint

module AccessFault =
    let make violation address size kind =
        { Violation = violation
          Address = address
          Size = size
          Kind = kind }
