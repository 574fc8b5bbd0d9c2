/// ThruVM's 48-bit segmented virtual address (docs/spec/memory.md §1):
///
///    63        48 47      40 39              24 23                 0
///   +-----------+----------+------------------+--------------------+
///   | must be 0 | seg_type |     seg_idx      |       offset       |
///   +-----------+----------+------------------+--------------------+
///
/// addr = (seg_type << 40) | (seg_idx << 24) | offset   (SDK TSDK_ADDR)
module Thru.Model.Memory.Address

/// An address split into its fields. Only addresses whose upper 16 bits are zero split.
type Split =
    { SegType: int
      SegIdx: int
      Offset: uint32 }

/// The three fields of an address, or None when bits 63..48 are not all zero.
let split (addr: uint64) : Split option =
    if addr >>> 48 <> 0UL then
        None
    else
        Some
            { SegType = int ((addr >>> 40) &&& 0xFFUL)
              SegIdx = int ((addr >>> 24) &&& 0xFFFFUL)
              Offset = uint32 (addr &&& 0xFF_FFFFUL) }

/// The address of (seg_type, seg_idx, offset); the inverse of `split` on valid addresses.
let compose (segType: int) (segIdx: int) (offset: uint32) : uint64 =
    (uint64 (segType &&& 0xFF) <<< 40) ||| (uint64 (segIdx &&& 0xFFFF) <<< 24) ||| uint64 (offset &&& 0xFF_FFFFu)

/// Segment size limit: offsets are 24 bits, so every segment is at most 16 MiB.
let segmentLimit = 0x100_0000UL

/// Segment types (docs/spec/memory.md §2).
[<RequireQualifiedAccess>]
module SegType =
    let readOnly = 0x00
    let accountMeta = 0x02
    let accountData = 0x03
    let events = 0x04
    let stack = 0x05
    let heap = 0x07

/// Indices of the read-only segments (type 0x00).
[<RequireQualifiedAccess>]
module ReadOnlyIdx =
    let nullSegment = 0x0000
    let txnData = 0x0001
    let shadowStack = 0x0002
    let program = 0x0003
    let blockContext = 0x0004

/// Well-known base addresses.
let txnDataBase = compose SegType.readOnly ReadOnlyIdx.txnData 0u
let shadowStackBase = compose SegType.readOnly ReadOnlyIdx.shadowStack 0u
let programBase = compose SegType.readOnly ReadOnlyIdx.program 0u
let blockContextBase = compose SegType.readOnly ReadOnlyIdx.blockContext 0u
let accountMetaBase (idx: int) = compose SegType.accountMeta idx 0u
let accountDataBase (idx: int) = compose SegType.accountData idx 0u
let stackBase = compose SegType.stack 0 0u
let heapBase = compose SegType.heap 0 0u

/// Page size of account data and anonymous memory (TN_RUNTIME_PAGE_SZ).
let pageSize = 4096
