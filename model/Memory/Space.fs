/// The address space of a running ThruVM program: what every address reaches, who may read,
/// write or fetch it, and the pure loads, stores and fetches the ISA runs over.
/// Source: docs/spec/memory.md (all sections). Decisions: D-CHECK-ORDER, D-NULL, D-TXN-EXTENT,
/// D-PROGRAM-SEGMENT, D-FETCH, D-META-VIEW, D-BLOCK-CTX, D-ACCOUNT-WRITE,
/// D-ANON-WRITE, D-COW-POOL.
module Thru.Model.Memory.Space

open Thru.Model
open Thru.Model.Memory.Layout
open Thru.Model.Memory.Paged

/// One account of the transaction as execution sees it.
type AccountState =
    { Key: Pubkey
      /// None when the account does not exist (its metadata reads as zeros, it has no data).
      Meta: AccountMeta option
      Data: Overlay
      /// Data pages written in this transaction (each took a page from the pool: copy-on-write).
      CowPages: Set<int>
      /// Marked by set_account_data_writable (decision D-ACCOUNT-WRITE).
      DataWritable: bool }

module AccountState =
    /// The state of a committed account (or a missing one) at the start of a transaction.
    let ofCommitted (key: Pubkey) (account: Account option) =
        { Key = key
          Meta = account |> Option.map (fun a -> a.Meta)
          Data = account |> Option.map (fun a -> Overlay.ofBytes a.Data) |> Option.defaultValue Overlay.empty
          CowPages = Set.empty
          DataWritable = false }

    let dataSize (a: AccountState) = a.Meta |> Option.map (fun m -> int m.DataSize) |> Option.defaultValue 0

    /// The metadata bytes programs read (decision D-META-VIEW); all zeros for an account that
    /// does not exist.
    let metaBytes (layout: Decisions.MetaLayout) (a: AccountState) =
        match layout, a.Meta with
        | Decisions.SdkView62, Some m -> Layout.metaView m
        | Decisions.RuntimeRecord64, Some m -> Layout.metaRecord m
        | Decisions.SdkView62, None -> Array.zeroCreate Layout.metaViewSize
        | Decisions.RuntimeRecord64, None -> Array.zeroCreate Layout.metaRecordSize

/// Everything the address space holds, plus the execution context that permissions depend on.
type Space =
    { Profile: Decisions.Profile
      /// The serialized transaction (TXN_DATA).
      Txn: byte[]
      /// The current program's segment: the executable after its 8-byte header, trailer included.
      Program: byte[]
      Shadow: ShadowStack
      /// Block contexts, index = blocks ago (0 = current block).
      Blocks: BlockContext list
      Accounts: AccountState[]
      /// Accounts writable in the transaction: index 0 and 2 .. 1 + ReadWriteCount.
      ReadWriteCount: int
      Stack: Anonymous
      Heap: Anonymous
      Pool: PagePool }

module Space =
    /// The call depth of the running frame (1 at top level).
    let depth (s: Space) = s.Shadow.CallDepth

    /// The account index of the running program.
    let programIndex (s: Space) = int (List.last s.Shadow.Frames).ProgramAccIdx

    /// Writable in the transaction: the fee payer (0) and the read-write accounts.
    let isTxnWritable (s: Space) (idx: int) = idx = 0 || (idx >= 2 && idx < 2 + s.ReadWriteCount)

    /// Decision D-ACCOUNT-WRITE: a program may store to an account's data when the account is
    /// writable in the transaction, exists, is neither a program account nor deleted nor
    /// compressed, is owned by the running program, and has been marked with
    /// set_account_data_writable.
    let canWriteData (s: Space) (idx: int) =
        let a = s.Accounts[idx]
        let running = s.Accounts[programIndex s].Key

        match a.Meta with
        | Some m ->
            isTxnWritable s idx
            && not (AccountMeta.hasFlag AccountFlags.program m)
            && not (AccountMeta.hasFlag AccountFlags.deleted m)
            && not (AccountMeta.hasFlag AccountFlags.compressed m)
            && m.Owner = running
            && a.DataWritable
        | None -> false

    /// Block records visible: 512, or fewer near slot 0 (no block before slot 0).
    let visibleBlocks (s: Space) = min s.Blocks.Length Layout.blockHistory

/// Where an access lands, once translation has accepted it.
type Location =
    | TxnData of offset: int
    | ShadowStackAt of offset: int
    | ProgramAt of offset: int
    | BlockContextAt of blocksAgo: int * offset: int
    | MetaAt of account: int * offset: int
    | DataAt of account: int * offset: int
    | StackAt of offset: int
    | HeapAt of offset: int

/// The segment an address names, before bounds are considered.
type Segment =
    | NullSegment
    | TxnSegment
    | ShadowStackSegment
    | ProgramSegment
    | BlockContextSegment
    | MetaSegment of account: int
    | DataSegment of account: int
    | StackSegment
    | HeapSegment
    | UnknownSegment

/// The segment of (seg_type, seg_idx). Decision D-NULL: the NULL segment,
/// the event segment (0x04), types 0x01, 0x06, ≥ 0x08, unknown indices of type 0x00, account
/// indices ≥ the account count, and stack/heap indices other than 0 are not segments.
let segmentOf (s: Space) (segType: int) (segIdx: int) : Segment =
    let accounts = s.Accounts.Length

    match segType, segIdx with
    | 0x00, 0x0000 -> NullSegment
    | 0x00, 0x0001 -> TxnSegment
    | 0x00, 0x0002 -> ShadowStackSegment
    | 0x00, 0x0003 -> ProgramSegment
    | 0x00, 0x0004 -> BlockContextSegment
    | 0x02, i when i < accounts -> MetaSegment i
    | 0x03, i when i < accounts -> DataSegment i
    | 0x05, 0 -> StackSegment
    | 0x07, 0 -> HeapSegment
    | _ -> UnknownSegment

/// Translate an access of `size` bytes at `addr`: its location, or the violation.
///
/// Decision D-CHECK-ORDER, following the order of docs/spec/memory.md §3.2:
///   1. bits 63..48 must be zero                         (InvalidAddress)
///   2. the address must be a multiple of the size       (AlignmentViolation)
///   3. (seg_type, seg_idx) must name a segment          (InvalidSegment)
///   4. the segment must permit the kind of access:      (PermissionDenied)
///      fetch only from the program segment (D-FETCH); no write to type 0x00 or 0x02;
///      account data only when `canWriteData` holds
///   5. the access must lie inside the segment's extent  (InvalidAddress), not cross a 4 KiB
///      page of account data (PageBoundaryCross; only reachable when the profile lets
///      misaligned accesses through, since an aligned access never crosses), and a write to
///      anonymous memory must hit a page allocated at the current depth or deeper (D-ANON-WRITE,
///      PermissionDenied)
let resolve (s: Space) (addr: uint64) (size: int) (kind: AccessKind) : Result<Location, AccessFault> =
    let fault v = Error(AccessFault.make v addr size kind)

    match Address.split addr with
    | None -> fault InvalidAddress
    | Some _ when addr % uint64 size <> 0UL && not s.Profile.AllowMisaligned -> fault AlignmentViolation
    | Some a ->
        let offset = int a.Offset
        // Within the segment's current extent, which never passes the 16 MiB segment limit.
        let within (extent: int) = offset + size <= min extent (int Address.segmentLimit)

        match segmentOf s a.SegType a.SegIdx, kind with
        | (NullSegment | UnknownSegment), _ -> fault InvalidSegment
        | ProgramSegment, Fetch -> if within s.Program.Length then Ok(ProgramAt offset) else fault InvalidAddress
        | _, Fetch -> fault PermissionDenied
        | (TxnSegment | ShadowStackSegment | ProgramSegment | BlockContextSegment | MetaSegment _), Write -> fault PermissionDenied
        | DataSegment i, Write when not (Space.canWriteData s i) -> fault PermissionDenied
        | TxnSegment, _ -> if within s.Txn.Length then Ok(TxnData offset) else fault InvalidAddress
        | ShadowStackSegment, _ -> if within Layout.shadowStackSize then Ok(ShadowStackAt offset) else fault InvalidAddress
        | ProgramSegment, _ -> if within s.Program.Length then Ok(ProgramAt offset) else fault InvalidAddress
        | BlockContextSegment, _ ->
            let k = offset / Layout.blockSpacing
            let inRecord = offset % Layout.blockSpacing

            if k < Space.visibleBlocks s && inRecord + size <= Layout.blockRecordSize then Ok(BlockContextAt(k, inRecord))
            else fault InvalidAddress
        | MetaSegment i, _ ->
            let size = match s.Profile.MetaLayout with Decisions.SdkView62 -> Layout.metaViewSize | Decisions.RuntimeRecord64 -> Layout.metaRecordSize
            if within size then Ok(MetaAt(i, offset)) else fault InvalidAddress
        | DataSegment i, _ ->
            if not (within (AccountState.dataSize s.Accounts[i])) then fault InvalidAddress
            elif offset / Address.pageSize <> (offset + size - 1) / Address.pageSize then fault PageBoundaryCross
            else Ok(DataAt(i, offset))
        | StackSegment, _
        | HeapSegment, _ ->
            let seg, loc = if a.SegType = Address.SegType.stack then s.Stack, StackAt offset else s.Heap, HeapAt offset

            // Every page the access touches must belong to this depth or a deeper one (an access
            // spans two pages only under the AllowMisaligned profile).
            let shallower o = Anonymous.ownerOf seg o |> Option.exists (fun d -> d < Space.depth s)

            if not (Anonymous.contains seg offset size) then fault InvalidAddress
            elif kind = Write && (shallower offset || shallower (offset + size - 1)) then fault PermissionDenied
            else Ok loc

/// Read `size` bytes at an accepted location.
let read (s: Space) (loc: Location) (size: int) : uint64 =
    let fromBytes (b: byte[]) offset = Bits.readLE b offset size

    match loc with
    | TxnData o -> fromBytes s.Txn o
    | ShadowStackAt o -> fromBytes (Layout.shadowStackBytes s.Shadow) o
    | ProgramAt o -> fromBytes s.Program o
    | BlockContextAt(k, o) -> fromBytes (Layout.blockContextBytes s.Blocks[k]) o
    | MetaAt(i, o) -> fromBytes (AccountState.metaBytes s.Profile.MetaLayout s.Accounts[i]) o
    | DataAt(i, o) -> Overlay.read s.Accounts[i].Data o size
    | StackAt o -> Overlay.read s.Stack.Bytes o size
    | HeapAt o -> Overlay.read s.Heap.Bytes o size

/// Write at an accepted location. The first write to a page of account data copies it: one page
/// from the pool (decision D-COW-POOL), or ResourceExhaustion when the pool is empty.
let write (s: Space) (loc: Location) (addr: uint64) (size: int) (value: uint64) : Result<Space, AccessFault> =
    match loc with
    | DataAt(i, o) ->
        let a = s.Accounts[i]
        let page = o / Address.pageSize

        let pool =
            if a.CowPages.Contains page then Some s.Pool else PagePool.take 1 s.Pool

        match pool with
        | None -> Error(AccessFault.make ResourceExhaustion addr size Write)
        | Some pool ->
            let a' = { a with Data = Overlay.write a.Data o size value; CowPages = a.CowPages.Add page }
            Ok { s with Accounts = Array.updateAt i a' s.Accounts; Pool = pool }
    | StackAt o -> Ok { s with Stack = { s.Stack with Bytes = Overlay.write s.Stack.Bytes o size value } }
    | HeapAt o -> Ok { s with Heap = { s.Heap with Bytes = Overlay.write s.Heap.Bytes o size value } }
    | TxnData _
    | ShadowStackAt _
    | ProgramAt _
    | BlockContextAt _
    | MetaAt _ -> Error(AccessFault.make PermissionDenied addr size Write) // unreachable: resolve refuses these

let load (s: Space) (addr: uint64) (size: int) = resolve s addr size Read |> Result.map (fun loc -> read s loc size)

let store (s: Space) (addr: uint64) (size: int) (value: uint64) =
    resolve s addr size Write |> Result.bind (fun loc -> write s loc addr size value)

let fetch (s: Space) (addr: uint64) = resolve s addr 2 Fetch |> Result.map (fun loc -> uint16 (read s loc 2))

/// The port through which the hart reaches the Thru address space.
let port: Isa.Execute.MemoryPort<Space> = { Load = load; Store = store; Fetch = fetch }

/// The address space at the start of a transaction's execution: depth 1 running the program at
/// account index 1, nothing mapped in the stack or heap, a pool of `poolPages` pages.
let initial
    (profile: Decisions.Profile)
    (txn: byte[])
    (readWriteCount: int)
    (accounts: (Pubkey * Account option) list)
    (program: Executable.Executable)
    (blocks: BlockContext list)
    (poolPages: int)
    : Space =
    { Profile = profile
      Txn = txn
      Program = program.Segment
      Shadow =
        { CallDepth = 1
          MaxCallDepth = 1
          TotalStackPages = 0
          TotalHeapPages = 0
          Frames = [ { ProgramAccIdx = 1us; StackPages = 0us; HeapPages = 0us; SavedRegs = Array.zeroCreate 32 } ] }
      Blocks = blocks
      Accounts = accounts |> List.map (fun (k, a) -> AccountState.ofCommitted k a) |> Array.ofList
      ReadWriteCount = readWriteCount
      Stack = Anonymous.create GrowsDown
      Heap = Anonymous.create GrowsUp
      Pool = PagePool.create poolPages }

/// The location `delta` bytes further on (same segment).
let private shift (loc: Location) (delta: int) =
    match loc with
    | TxnData o -> TxnData(o + delta)
    | ShadowStackAt o -> ShadowStackAt(o + delta)
    | ProgramAt o -> ProgramAt(o + delta)
    | BlockContextAt(k, o) -> BlockContextAt(k, o + delta)
    | MetaAt(i, o) -> MetaAt(i, o + delta)
    | DataAt(i, o) -> DataAt(i, o + delta)
    | StackAt o -> StackAt(o + delta)
    | HeapAt o -> HeapAt(o + delta)

let private sameExtent (a: Location) (b: Location) =
    match a, b with
    | TxnData _, TxnData _
    | ShadowStackAt _, ShadowStackAt _
    | ProgramAt _, ProgramAt _
    | StackAt _, StackAt _
    | HeapAt _, HeapAt _ -> true
    | BlockContextAt(k1, _), BlockContextAt(k2, _) -> k1 = k2
    | MetaAt(i1, _), MetaAt(i2, _)
    | DataAt(i1, _), DataAt(i2, _) -> i1 = i2
    | _ -> false

/// The `count` bytes at `addr` for a syscall that reads a buffer (log data, event payloads,
/// proofs, signatures): any alignment, pages may be crossed, but every byte must be readable and
/// the buffer must lie in one segment (one record of the block context). Every extent is
/// contiguous, so checking the first and the last byte checks them all. None when not readable.
let readRange (s: Space) (addr: uint64) (count: uint64) : byte[] option =
    if count = 0UL then
        Some [||]
    elif count > Address.segmentLimit || addr + count - 1UL < addr then
        None
    else
        match resolve s addr 1 Read, resolve s (addr + count - 1UL) 1 Read with
        | Ok first, Ok last when sameExtent first last -> Some(Array.init (int count) (fun i -> byte (read s (shift first i) 1)))
        | _ -> None
