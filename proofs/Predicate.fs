/// `Space.resolve` (model/Memory/Space.fs) written once as a term: the translation and permission
/// predicate every theorem is about. Read it side by side with the model; each step carries the
/// model line it mirrors. The constants come from the model itself (Layout, Address), so the
/// predicate cannot drift from the model's numbers; the theorems (Theorems.fs) state the spec's
/// numbers independently.
///
/// The cross-check (tests/Thru.Tests/Proofs/ProofTests.fs) evaluates these very terms on concrete
/// spaces and compares them with `Space.resolve`, `Space.segmentOf`, `Space.canWriteData`,
/// `Address.split` and `Address.compose`.
module Thru.Proofs.Predicate

open Thru.Proofs.Dsl
open Thru.Model.Memory

/// The encoding of `AccessKind` (8-bit).
module Kind =
    let read = 0
    let write = 1
    let fetch = 2

/// The encoding of the verdict: 0 = accepted, else the `Violation`.
module Code =
    let ok = 0
    let invalidAddress = 1
    let invalidSegment = 2
    let permissionDenied = 3
    let pageBoundaryCross = 4
    let alignmentViolation = 5

/// The encoding of `Location` cases (8-bit tag; index = block or account; offset).
module Tag =
    let none = 0
    let txn = 1
    let shadowStack = 2
    let program = 3
    let blockContext = 4
    let meta = 5
    let data = 6
    let stack = 7
    let heap = 8

/// The encoding of `Segment` cases (what `Space.segmentOf` returns).
module Seg =
    let unknown = 0
    let nullSegment = 1
    let txn = 2
    let shadowStack = 3
    let program = 4
    let blockContext = 5
    let meta = 6
    let data = 7
    let stack = 8
    let heap = 9

/// The parts of a `Space` that translation reads, as symbolic inputs (model `int`s are 32-bit).
module Sp =
    /// Profile.AllowMisaligned.
    let allowMisaligned = boolVar "allowMisaligned"
    /// Profile.MetaLayout = RuntimeRecord64.
    let metaRecord64 = boolVar "metaRecord64"
    /// Txn.Length, Program.Length, Blocks.Length, Accounts.Length.
    let txnLen = intVar "txnLen"
    let programLen = intVar "programLen"
    let blocksLen = intVar "blocksLen"
    let accountCount = intVar "accountCount"
    /// ReadWriteCount.
    let readWriteCount = intVar "readWriteCount"
    /// Shadow.CallDepth (Space.depth).
    let depth = intVar "depth"
    /// Stack.Size, Heap.Size, and whether each one's Direction is GrowsDown.
    let stackSize = intVar "stackSize"
    let heapSize = intVar "heapSize"
    let stackGrowsDown = boolVar "stackGrowsDown"
    let heapGrowsDown = boolVar "heapGrowsDown"

    // Per account i (uninterpreted: every assignment to every account is covered).
    /// Accounts[i].Meta.IsSome.
    let exists i = app "accountExists" [ i ] Bool
    /// int Accounts[i].Meta.DataSize (when it exists).
    let dataSizeField i = app "dataSizeField" [ i ] (BV 32)
    /// The PROGRAM, DELETED and COMPRESSED flags of Accounts[i].Meta.
    let flagProgram i = app "flagProgram" [ i ] Bool
    let flagDeleted i = app "flagDeleted" [ i ] Bool
    let flagCompressed i = app "flagCompressed" [ i ] Bool
    /// Accounts[i].Meta.Owner = the key of the running program's account.
    let ownedByRunning i = app "ownedByRunning" [ i ] Bool
    /// Accounts[i].DataWritable (set_account_data_writable's mark).
    let marked i = app "dataWritableMark" [ i ] Bool

    // Per page p of the stack (Stack.Owners) and of the heap (Heap.Owners).
    let stackOwned p = app "stackOwned" [ p ] Bool
    let stackOwner p = app "stackOwner" [ p ] (BV 32)
    let heapOwned p = app "heapOwned" [ p ] Bool
    let heapOwner p = app "heapOwner" [ p ] (BV 32)

/// One access: its address (uint64), size (int) and kind (8-bit code). Variables of the access
/// carry `Prefix` so that a theorem can speak about two accesses to one space.
type Access =
    { Prefix: string
      Addr: Term
      Size: Term
      Kind: Term }

let access (prefix: string) =
    { Prefix = prefix
      Addr = var (prefix + "addr") (BV 64)
      Size = intVar (prefix + "size")
      Kind = var (prefix + "kind") (BV 8) }

/// What `resolve` returns: Code 0 and a location (Tag, Index, Offset), or the violation's code.
type Verdict =
    { Code: Term
      Tag: Term
      Index: Term
      Offset: Term }

module Verdict =
    let pick (c: Term) (a: Verdict) (b: Verdict) =
        { Code = ite c a.Code b.Code
          Tag = ite c a.Tag b.Tag
          Index = ite c a.Index b.Index
          Offset = ite c a.Offset b.Offset }

    let fault (code: int) = { Code = u8 code; Tag = u8 Tag.none; Index = i32 0; Offset = i32 0 }
    let ok (tag: Term) (index: Term) (offset: Term) = { Code = u8 Code.ok; Tag = tag; Index = index; Offset = offset }
    let accepted (v: Verdict) = v.Code =. u8 Code.ok

// ---- Address.split / Address.compose ----

/// Address.split succeeds: `addr >>> 48 = 0`.
let splits (addr: Term) = (addr >>> 48) =. u64 0UL
/// SegType = int ((addr >>> 40) &&& 0xFF).
let segTypeOf (addr: Term) = resize 32 ((addr >>> 40) &&& u64 0xFFUL)
/// SegIdx = int ((addr >>> 24) &&& 0xFFFF).
let segIdxOf (addr: Term) = resize 32 ((addr >>> 24) &&& u64 0xFFFFUL)
/// int Offset, Offset = uint32 (addr &&& 0xFF_FFFF).
let offsetOf (addr: Term) = resize 32 (addr &&& u64 0xFF_FFFFUL)

/// Address.compose segType segIdx offset (int, int, uint32):
/// (uint64 (segType &&& 0xFF) <<< 40) ||| (uint64 (segIdx &&& 0xFFFF) <<< 24) ||| uint64 (offset &&& 0xFF_FFFF).
let compose (segType: Term) (segIdx: Term) (offset: Term) =
    (sext 32 (segType &&& i32 0xFF) <<< 40) ||| (sext 32 (segIdx &&& i32 0xFFFF) <<< 24) ||| zext 32 (offset &&& i32 0xFF_FFFF)

// ---- Space.isTxnWritable, Space.canWriteData, Space.visibleBlocks, Space.segmentOf ----

/// isTxnWritable: idx = 0 || (idx >= 2 && idx < 2 + ReadWriteCount).
let isTxnWritable (idx: Term) = (idx =. i32 0) ||. ((idx >=. i32 2) &&. (idx <. i32 2 + Sp.readWriteCount))

/// canWriteData (decision D-ACCOUNT-WRITE): Meta is Some m and isTxnWritable, not PROGRAM, not
/// DELETED, owned by the running program, and DataWritable.
let canWriteData (idx: Term) =
    Sp.exists idx
    &&. all [ isTxnWritable idx; not' (Sp.flagProgram idx); not' (Sp.flagDeleted idx); not' (Sp.flagCompressed idx); Sp.ownedByRunning idx; Sp.marked idx ]

/// visibleBlocks = min Blocks.Length Layout.blockHistory.
let visibleBlocks = ite (Sp.blocksLen <. i32 Layout.blockHistory) Sp.blocksLen (i32 Layout.blockHistory)

/// segmentOf (decisions D-NULL, D-EVENT-LIMIT), as a `Seg` code.
let segmentOf (segType: Term) (segIdx: Term) : Term =
    let ty (t: int) = segType =. i32 t
    let idx (i: int) = segIdx =. i32 i

    firstOf
        ite
        [ ty Address.SegType.readOnly &&. idx Address.ReadOnlyIdx.nullSegment, u8 Seg.nullSegment
          ty Address.SegType.readOnly &&. idx Address.ReadOnlyIdx.txnData, u8 Seg.txn
          ty Address.SegType.readOnly &&. idx Address.ReadOnlyIdx.shadowStack, u8 Seg.shadowStack
          ty Address.SegType.readOnly &&. idx Address.ReadOnlyIdx.program, u8 Seg.program
          ty Address.SegType.readOnly &&. idx Address.ReadOnlyIdx.blockContext, u8 Seg.blockContext
          ty Address.SegType.accountMeta &&. (segIdx <. Sp.accountCount), u8 Seg.meta
          ty Address.SegType.accountData &&. (segIdx <. Sp.accountCount), u8 Seg.data
          ty Address.SegType.stack &&. idx 0, u8 Seg.stack
          ty Address.SegType.heap &&. idx 0, u8 Seg.heap ]
        (u8 Seg.unknown)

// ---- Space.resolve ----

let private cache = System.Collections.Concurrent.ConcurrentDictionary<string, Verdict>()

let private build (a: Access) : Verdict =
    let nm (s: string) (t: Term) = named (a.Prefix + s) t
    let addr, size, kind = a.Addr, a.Size, a.Kind
    let isKind k = kind =. u8 k
    let fault = Verdict.fault
    let ok = Verdict.ok
    let pick = Verdict.pick

    // 1. match Address.split addr with None -> fault InvalidAddress
    let upperBitsZero = nm "upper_bits_zero" (splits addr)
    // 2. addr % uint64 size <> 0UL && not s.Profile.AllowMisaligned -> fault AlignmentViolation
    let misaligned = nm "misaligned" (urem addr (sext 32 size) <>. u64 0UL)
    let alignmentRefused = nm "alignment_refused" (misaligned &&. not' Sp.allowMisaligned)

    let segType = nm "seg_type" (segTypeOf addr)
    let segIdx = nm "seg_idx" (segIdxOf addr)
    let offset = nm "offset" (offsetOf addr)
    // let within extent = offset + size <= min extent segmentLimit
    let within (extent: Term) = ((offset + size) <=. extent) &&. ((offset + size) <=. i32 (int Address.segmentLimit))
    let segment = nm "segment" (segmentOf segType segIdx)
    let isSeg c = segment =. u8 c

    // Writes refused by segment type (types 0x00 and 0x02); each disjunct is named so that a
    // deliberately broken predicate can drop one.
    let readOnly =
        nm
            "write_refused_by_type"
            (any
                [ nm "txn_read_only" (isSeg Seg.txn)
                  nm "shadow_read_only" (isSeg Seg.shadowStack)
                  nm "program_read_only" (isSeg Seg.program)
                  nm "block_read_only" (isSeg Seg.blockContext)
                  nm "meta_read_only" (isSeg Seg.meta) ])

    let canWrite = nm "can_write_data" (canWriteData segIdx)

    // BlockContextSegment: k = offset / blockSpacing, inRecord = offset % blockSpacing
    let blockK = nm "block_k" (sdiv offset (i32 Layout.blockSpacing))
    let inRecord = nm "block_in_record" (srem offset (i32 Layout.blockSpacing))
    let blockOk = nm "block_ok" ((blockK <. visibleBlocks) &&. ((inRecord + size) <=. i32 Layout.blockRecordSize))

    // MetaSegment: the size of the metadata view of the profile
    let metaSize = ite Sp.metaRecord64 (i32 Layout.metaRecordSize) (i32 Layout.metaViewSize)

    // DataSegment: AccountState.dataSize = Meta |> Option.map (int DataSize) |> defaultValue 0
    let dataSize = nm "data_size" (ite (Sp.exists segIdx) (Sp.dataSizeField segIdx) (i32 0))
    let page = i32 Address.pageSize
    let crossesPage = nm "crosses_page" (sdiv offset page <>. sdiv (offset + size - i32 1) page)

    // Stack/Heap: seg = if SegType = stack then s.Stack else s.Heap; Anonymous.contains, ownerOf
    let isStack = nm "is_stack" (segType =. i32 Address.SegType.stack)
    let growsDown = ite isStack Sp.stackGrowsDown Sp.heapGrowsDown
    let anonSize = ite isStack Sp.stackSize Sp.heapSize
    let limit = i32 (int Address.segmentLimit)
    let low = ite growsDown (limit - anonSize) (i32 0)
    let high = ite growsDown limit anonSize
    let mapped = nm "anon_mapped" ((offset >=. low) &&. ((offset + size) <=. high))
    let anonPage = nm "anon_page" (sdiv offset page)
    let anonLastPage = nm "anon_last_page" (sdiv (offset + size - i32 1) page)
    let shallowerAt (p: Term) =
        let owned = ite isStack (Sp.stackOwned p) (Sp.heapOwned p)
        let owner = ite isStack (Sp.stackOwner p) (Sp.heapOwner p)
        owned &&. (owner <. Sp.depth)
    // kind = Write && (shallower offset || shallower (offset + size - 1))
    let shallowerOwner = nm "page_of_shallower_frame" (shallowerAt anonPage ||. shallowerAt anonLastPage)
    let anonTag = ite isStack (u8 Tag.stack) (u8 Tag.heap)

    let bounded (cond: Term) (v: Verdict) = pick cond v (fault Code.invalidAddress)

    let verdict =
        firstOf
            pick
            [ not' upperBitsZero, fault Code.invalidAddress
              alignmentRefused, fault Code.alignmentViolation
              // | (NullSegment | UnknownSegment), _ -> fault InvalidSegment
              isSeg Seg.nullSegment ||. isSeg Seg.unknown, fault Code.invalidSegment
              // | ProgramSegment, Fetch -> if within Program.Length then Ok(ProgramAt offset) else fault InvalidAddress
              isSeg Seg.program &&. isKind Kind.fetch, bounded (within Sp.programLen) (ok (u8 Tag.program) (i32 0) offset)
              // | _, Fetch -> fault PermissionDenied
              isKind Kind.fetch, fault Code.permissionDenied
              // | (Txn | ShadowStack | Program | BlockContext | Meta), Write -> fault PermissionDenied
              readOnly &&. isKind Kind.write, fault Code.permissionDenied
              // | DataSegment i, Write when not (canWriteData s i) -> fault PermissionDenied
              isSeg Seg.data &&. isKind Kind.write &&. not' canWrite, fault Code.permissionDenied
              isSeg Seg.txn, bounded (within Sp.txnLen) (ok (u8 Tag.txn) (i32 0) offset)
              isSeg Seg.shadowStack, bounded (within (i32 Layout.shadowStackSize)) (ok (u8 Tag.shadowStack) (i32 0) offset)
              isSeg Seg.program, bounded (within Sp.programLen) (ok (u8 Tag.program) (i32 0) offset)
              isSeg Seg.blockContext, bounded blockOk (ok (u8 Tag.blockContext) blockK inRecord)
              isSeg Seg.meta, bounded (within metaSize) (ok (u8 Tag.meta) segIdx offset)
              isSeg Seg.data,
              bounded (within dataSize) (pick crossesPage (fault Code.pageBoundaryCross) (ok (u8 Tag.data) segIdx offset)) ]
            // | StackSegment, _ | HeapSegment, _ (the only segments left)
            (bounded mapped (pick (isKind Kind.write &&. shallowerOwner) (fault Code.permissionDenied) (ok anonTag (i32 0) offset)))

    { Code = nm "code" verdict.Code
      Tag = nm "loc_tag" verdict.Tag
      Index = nm "loc_index" verdict.Index
      Offset = nm "loc_offset" verdict.Offset }

/// `Space.resolve s addr size kind` for the access `a`, as terms over the space inputs `Sp` and
/// the access's variables. Built once per prefix (the same DAG every time).
let resolve (a: Access) : Verdict = cache.GetOrAdd(a.Prefix, fun _ -> build a)

/// The verdict's four terms (for traversals and rewriting).
let terms (v: Verdict) = [ v.Code; v.Tag; v.Index; v.Offset ]

let ofTerms (ts: Term list) =
    match ts with
    | [ c; t; i; o ] -> { Code = c; Tag = t; Index = i; Offset = o }
    | _ -> invalidArg "ts" "four terms"

// ---- Backing store ----

/// The backing store an accepted access reaches: the location's tag and index (a 40-bit id).
/// Txn -> Space.Txn; ShadowStack -> Layout.shadowStackBytes; Program -> Space.Program;
/// BlockContext k -> the record of Blocks[k]; Meta i -> the metadata bytes of Accounts[i];
/// Data i -> Accounts[i].Data; Stack -> Stack.Bytes; Heap -> Heap.Bytes (Space.read/write). The
/// bytes reached are [Offset, Offset + size) of that store; the cross-check verifies this against
/// `Space.read` and `Space.write`.
let backingStore (v: Verdict) = concat v.Tag v.Index
