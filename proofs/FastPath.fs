/// The engine's fast path for loads and stores (engine/, C#), transcribed into the term language so
/// that theorem T5 can relate it to `Predicate.resolve`. Two pieces of C# are written here, each next
/// to the line it mirrors:
///
/// 1. The TLB hit test. The interpreter (engine/Interpret/Interpreter.cs) tests `(a & ~0xFFFUL) == e->ReadTag`
///    for a 1-byte load, `~0xFFEUL` for 2 bytes, `~0xFFCUL` for 4, `~0xFF8UL` for 8 (stores the same
///    against `e->WriteTag`); the compiled tier (engine/Compile/BlockCompiler.cs, HostAddress) emits
///    `Const(~(0xFFFL & ~(size - 1L)))`, `and`, and a compare with the tag. A tag is a page address
///    (`address & ~0xFFFUL`, Machine.Fill) or `Machine.InvalidTag` = 0x800. On a hit the host address
///    is `a + e->Addend`, where the fill set `Addend = host page - page address`.
/// 2. The page-fill condition: which pages can ever carry a read or a write tag. `Machine.LoadSlow` and
///    `Machine.StoreSlow` call `ThruSpace.Resolve` (engine/Memory/ThruSpace.cs) and fill the TLB entry with the
///    permissions it returns in `cacheable`; `Machine.Fill` sets `ReadTag = page` only for
///    `PagePermissions.Read` and `WriteTag = page` only for `PagePermissions.Write` (and never on a page
///    holding decoded code, `IsWatched`). `Resolve` computes `cacheable` only after `Locate` (the
///    D-CHECK-ORDER checks) accepted the access; the condition is written below over the same inputs
///    as `Predicate` (the model's fields the engine's fields stand for, `Bridge.envOf`).
///
/// The tests (tests/Thru.Tests/Proofs/FastPathTests.fs) evaluate these very terms and compare them
/// with the engine itself: the hit test against a real `Machine` (interpreter and compiled tier,
/// every load and store instruction), the fill condition against the real `ThruSpace.Resolve`.
/// The decisions D5-* cited below are described in proofs/README.md (theorem T5).
module Thru.Proofs.FastPath

open Thru.Proofs.Dsl
open Thru.Proofs.Predicate

/// Machine.InvalidTag: bit 11, which the tag mask always clears, so it never matches.
let invalidTag = 0x800UL

/// Machine.TlbEntries: the entry of an address is `tlb + ((a >> 12) & (TlbEntries - 1))`.
let tlbEntries = 256

/// ThruSpace.ShadowSize = 8 + 17 * 264.
let shadowSize = 8 + 17 * 264

/// The engine's page size (AddressSpace.PageSize, PageArena.PageSize).
let pageSize = 4096

// ---- 1. The hit test ----

/// The mask of the interpreter (engine/Interpret/Interpreter.cs): one literal per instruction, by its size
/// (Lb/Lbu/Sb ~0xFFFUL, Lh/Lhu/Sh ~0xFFEUL, Lw/Lwu/Sw/LwC/SwC ~0xFFCUL, Ld/Sd/LdC/SdC ~0xFF8UL).
let interpreterMask (size: Term) =
    firstOf ite [ size =. i32 1, u64 ~~~0xFFFUL; size =. i32 2, u64 ~~~0xFFEUL; size =. i32 4, u64 ~~~0xFFCUL ] (u64 ~~~0xFF8UL)

/// The mask of the compiled tier (engine/Compile/BlockCompiler.cs, HostAddress): `~(0xFFFL & ~(size - 1L))`,
/// with `size` the C# int widened to long.
let compiledMask (size: Term) = ~~~(u64 0xFFFUL &&& ~~~(sext 32 size - u64 1UL))

/// Which of the engine's two masks a hit test uses.
type Tier =
    | InterpreterTier
    | CompiledTier

let maskOf (tier: Tier) (size: Term) =
    match tier with
    | InterpreterTier -> interpreterMask size
    | CompiledTier -> compiledMask size

let private memo = System.Collections.Concurrent.ConcurrentDictionary<string, Term>()

let private tierName (tier: Tier) =
    match tier with
    | InterpreterTier -> "interp"
    | CompiledTier -> "compiled"

/// The mask of an access, as the named subterm `<prefix>fast_mask_<tier>` (built once per prefix and
/// tier; a deliberately broken variant replaces it).
let fastMask (tier: Tier) (a: Access) =
    let name = a.Prefix + "fast_mask_" + tierName tier
    memo.GetOrAdd(name, fun _ -> named name (maskOf tier a.Size))

/// The TLB hit test `(a & mask) == tag` of the access `a` against the tag `tag`.
let hit (tier: Tier) (a: Access) (tag: Term) = (a.Addr &&& fastMask tier a) =. tag

/// The page address the TLB is filled with for an access at `addr`: `address & ~0xFFFUL`
/// (Machine.LoadSlow, Machine.StoreSlow).
let pageOf (addr: Term) = addr &&& u64 ~~~0xFFFUL

// ---- 2. The page-fill condition (ThruSpace.Resolve's `cacheable`) ----

/// AccountData.IsCow(p): page p of account i's data took a page of the pool (the model's
/// `Accounts[i].CowPages.Contains p`). Uninterpreted: every assignment is covered.
let cowPage (i: Term) (p: Term) = app "cowPage" [ i; p ] Bool

/// ThruSpace.FullPage(offset, extent) = `(offset & ~0xFFF) + PageArena.PageSize <= extent` (C# ints).
let fullPage (offset: Term) (extent: Term) = ((offset &&& i32 ~~~0xFFF) + i32 pageSize) <=. extent

let private fillCache = System.Collections.Concurrent.ConcurrentDictionary<string, Term * Term>()

let private buildFillTags (f: Access) : Term * Term =
    let nm (s: string) (t: Term) = named (f.Prefix + s) t
    let segType = segTypeOf f.Addr
    // index = (int)(address >> 24) & 0xFFFF; offset = (int)(address & 0xFF_FFFF)
    let index = nm "fill_index" (segIdxOf f.Addr)
    let offset = nm "fill_offset" (offsetOf f.Addr)
    let segment = nm "fill_segment" (segmentOf segType index)
    let isSeg c = segment =. u8 c
    let isWrite = f.Kind =. u8 Kind.write
    // case Seg.Data: int p = offset >> 12; AccountSlot.DataSize => Exists ? (int)Meta.DataSize : 0
    let p = offset >>> 12
    let dataSize = ite (Sp.exists index) (Sp.dataSizeField index) (i32 0)
    // bool writable = access == Access.Write || CanWriteData(index);
    let writable = isWrite ||. canWriteData index
    // if (access == Access.Write && !a.Data.IsCow(p)) { ... a.Data.SetCow(p, true); }: IsCow(p) when cacheable is computed
    let cowNow = isWrite ||. cowPage index p
    // default (Stack, Heap): Anonymous a = seg == Seg.Stack ? Stack : Heap; a.OwnerOf(offset) = owner[offset / PageSize],
    // 0 for a page no frame allocated (decision D5-UNTAGGED-PAGE).
    let stack = isSeg Seg.stack
    let pg = sdiv offset (i32 pageSize)
    let ownerOf = ite stack (ite (Sp.stackOwned pg) (Sp.stackOwner pg) (i32 0)) (ite (Sp.heapOwned pg) (Sp.heapOwner pg) (i32 0))
    let anonymous = stack ||. isSeg Seg.heap

    let read =
        any
            [ // case Seg.Txn: cacheable = FullPage(offset, Txn.Length) ? Read : None
              isSeg Seg.txn &&. fullPage offset Sp.txnLen
              // case Seg.Program: FullPage(offset, Program.Segment.Length) ? Read : None
              isSeg Seg.program &&. fullPage offset Sp.programLen
              // case Seg.Shadow: FullPage(offset, ShadowSize) ? Read : None
              isSeg Seg.shadowStack &&. fullPage offset (i32 shadowSize)
              // case Seg.Blocks, Seg.Meta: None (composed in scratch bytes)
              // case Seg.Data: if (FullPage(offset, a.DataSize)) cacheable = ... Read (| Write)
              isSeg Seg.data &&. fullPage offset dataSize
              // default (Stack, Heap): Read | Write or Read
              anonymous ]

    let write =
        any
            [ // cacheable = writable && a.Data.IsCow(p) ? Read | Write : Read
              isSeg Seg.data &&. fullPage offset dataSize &&. writable &&. cowNow
              // cacheable = a.OwnerOf(offset) >= Depth ? Read | Write : Read
              anonymous &&. (ownerOf >=. Sp.depth) ]

    nm "fill_read_tag" read, nm "fill_write_tag" write

/// Which tags a slow-path access `f` (a load or a store that `Locate` accepted) puts into the TLB:
/// (read, write) = whether `cacheable` includes PagePermissions.Read, resp. Write. Built once per
/// prefix (the same DAG every time).
let fillTags (f: Access) : Term * Term = fillCache.GetOrAdd(f.Prefix, fun _ -> buildFillTags f)
