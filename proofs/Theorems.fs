/// The theorems about address translation and permissions. Each theorem is one or more proof
/// obligations: assumptions ⇒ goal, over every value of every input (z3 checks that the negated
/// goal is unsatisfiable). The goals are written from the spec (docs/spec/memory.md and the decision
/// register), with the spec's numbers and bit positions, independently of `Predicate`; only the
/// verdict `Predicate.resolve` is shared, because it is what the theorems are about.
module Thru.Proofs.Theorems

open Thru.Proofs.Dsl
open Thru.Proofs.Predicate
open Thru.Proofs.FastPath

type Obligation =
    { Name: string
      /// Prefixes of the accesses the obligation speaks about (for counter-models).
      Accesses: string list
      Assumptions: Term list
      Goal: Term }

type Expectation =
    /// The theorem holds (every obligation unsat).
    | Holds
    /// A known defect of the model: z3 is expected to find a counter-model (reported, see README).
    | Refuted of finding: string

type Theorem =
    { Id: string
      Title: string
      /// The claim in plain words.
      Claim: string
      Obligations: Obligation list
      Expect: Expectation }

/// Theorems that cannot be stated yet.
type Pending = { PendingId: string; PendingTitle: string; Reason: string }

// ---------------------------------------------------------------------------------------
// The spec, written independently of the predicate.
// ---------------------------------------------------------------------------------------

module Spec =
    let private b16 v = bv 16 (uint64 v)

    /// Bits 47..40, 39..24, 23..0 of the address (docs/spec/memory.md §1).
    let segType (a: Access) = extract 47 40 a.Addr
    let segIdx (a: Access) = extract 39 24 a.Addr
    let offset (a: Access) = zext 8 (extract 23 0 a.Addr)
    let index (a: Access) = zext 16 (segIdx a)
    let upperZero (a: Access) = extract 63 48 a.Addr =. b16 0
    let size64 (a: Access) = zext 32 a.Size
    /// For sizes that are powers of two: the low bits of the address are zero.
    let aligned (a: Access) = (a.Addr &&& (size64 a - u64 1UL)) =. u64 0UL
    let isType (a: Access) (t: int) = segType a =. u8 t
    let is (a: Access) (t: int) (i: int) = isType a t &&. (segIdx a =. b16 i)
    let isKind (a: Access) (k: int) = a.Kind =. u8 k

    /// (seg_type, seg_idx) names a segment (docs/spec/memory.md §2, decision D-NULL).
    let named (a: Access) =
        any
            [ isType a 0x00 &&. (ule (b16 1) (segIdx a)) &&. (ule (segIdx a) (b16 4))
              (isType a 0x02 ||. isType a 0x03) &&. (index a <. Sp.accountCount)
              is a 0x05 0
              is a 0x07 0 ]

    /// Decision D-ACCOUNT-WRITE: exists, writable in the transaction (index 0 or 2 .. 1 + rw),
    /// not a program, not deleted, not compressed, owned by the running program, marked writable.
    let writable (i: Term) =
        all
            [ Sp.exists i
              (i =. i32 0) ||. ((i32 2 <=. i) &&. (i <. i32 2 + Sp.readWriteCount))
              not' (Sp.flagProgram i)
              not' (Sp.flagDeleted i)
              not' (Sp.flagCompressed i)
              Sp.ownedByRunning i
              Sp.marked i ]

    /// The write table of docs/spec/memory.md §4.2 and decision D-FETCH.
    let permitted (a: Access) =
        all
            [ isKind a Kind.fetch ==> is a 0x00 3
              isKind a Kind.write ==> any [ isType a 0x03 &&. writable (index a); is a 0x05 0; is a 0x07 0 ] ]

    /// One past the last byte's offset.
    let finish (a: Access) = offset a + a.Size

    /// The current extent of each segment (docs/spec/memory.md §2, §5, §6, §7, §8, §9, decisions D-TXN-EXTENT,
    /// D-PROGRAM-SEGMENT, D-BLOCK-CTX, D-META-VIEW).
    let inExtent (a: Access) =
        let o = offset a
        let window = o >>> 12
        let inWindow = o &&& i32 0xFFF

        firstOf
            ite
            [ is a 0x00 1, finish a <=. Sp.txnLen
              is a 0x00 2, finish a <=. i32 4496
              is a 0x00 3, finish a <=. Sp.programLen
              is a 0x00 4, all [ window <. Sp.blocksLen; window <. i32 512; inWindow + a.Size <=. i32 128 ]
              isType a 0x02, finish a <=. ite Sp.metaRecord64 (i32 64) (i32 62)
              isType a 0x03, Sp.exists (index a) &&. (finish a <=. Sp.dataSizeField (index a))
              is a 0x05 0, (i32 0x100_0000 - Sp.stackSize <=. o) &&. (finish a <=. i32 0x100_0000)
              is a 0x07 0, finish a <=. Sp.heapSize ]
            ff

    /// All bytes of the access lie in one 4 KiB page.
    let samePage (a: Access) = extract 63 12 a.Addr =. extract 63 12 (a.Addr + size64 a - u64 1UL)

    let firstPage (a: Access) = offset a >>> 12
    let lastPage (a: Access) = (finish a - i32 1) >>> 12

    /// The page `p` of the access's anonymous segment was allocated by a shallower frame.
    let shallower (a: Access) (p: Term) =
        (is a 0x05 0 &&. Sp.stackOwned p &&. (Sp.stackOwner p <. Sp.depth))
        ||. (is a 0x07 0 &&. Sp.heapOwned p &&. (Sp.heapOwner p <. Sp.depth))

    /// The address a location stands for, rebuilt from the spec's layout:
    /// (seg_type << 40) | (seg_idx << 24) | offset, and window k at offset k × 0x1000.
    let addressOf (v: Verdict) =
        let fields (t: int) (i: Term) (o: Term) = concat (b16 0) (concat (u8 t) (concat i (extract 23 0 o)))
        let tag t = v.Tag =. u8 t

        firstOf
            ite
            [ tag Tag.txn, fields 0 (b16 1) v.Offset
              tag Tag.shadowStack, fields 0 (b16 2) v.Offset
              tag Tag.program, fields 0 (b16 3) v.Offset
              tag Tag.blockContext, fields 0 (b16 4) ((v.Index <<< 12) + v.Offset)
              tag Tag.meta, fields 2 (extract 15 0 v.Index) v.Offset
              tag Tag.data, fields 3 (extract 15 0 v.Index) v.Offset
              tag Tag.stack, fields 5 (b16 0) v.Offset
              tag Tag.heap, fields 7 (b16 0) v.Offset ]
            (u64 System.UInt64.MaxValue)

    /// The location's fields are in range, so that `addressOf` loses nothing.
    let locationInRange (v: Verdict) =
        let within lo hi (t: Term) = (i32 lo <=. t) &&. (t <. i32 hi)

        all
            [ within 0 0x100_0000 v.Offset
              (v.Tag =. u8 Tag.blockContext) ==> (within 0 0x1000 v.Index &&. within 0 0x1000 v.Offset)
              (v.Tag =. u8 Tag.meta ||. (v.Tag =. u8 Tag.data)) ==> within 0 0x1_0000 v.Index ]

// ---------------------------------------------------------------------------------------
// Assumptions.
// ---------------------------------------------------------------------------------------

/// Every access: size ∈ {1, 2, 4, 8}, kind ∈ {read, write, fetch}.
let accessWellFormed (a: Access) =
    [ oneOf a.Size [ i32 1; i32 2; i32 4; i32 8 ]; ule a.Kind (u8 Kind.fetch) ]

/// The space: lengths are non-negative (they are array lengths); the transaction and the program
/// are at most 16 MiB (docs/spec/memory.md §1: a segment has 24 bits of offset; see finding F2 for why
/// this is needed); the stack and heap sizes are in [0, 16 MiB] (Anonymous.resize, their only
/// writer, refuses more); at most 65535 blocks are supplied (the runtime supplies 512); at most
/// 65536 accounts (seg_idx has 16 bits); the stack grows down and the heap up (as Space.initial
/// creates them; nothing changes a Direction). Depths, page owners, ReadWriteCount, data sizes and
/// every per-account input are unconstrained.
let spaceAssumptions (segmentsAtMost16MiB: bool) =
    let limit = if segmentsAtMost16MiB then 0x100_0000 else 0x400_0000

    [ i32 0 <=. Sp.txnLen
      Sp.txnLen <=. i32 limit
      i32 0 <=. Sp.programLen
      Sp.programLen <=. i32 limit
      i32 0 <=. Sp.blocksLen
      Sp.blocksLen <=. i32 65535
      i32 0 <=. Sp.accountCount
      Sp.accountCount <=. i32 65536
      i32 0 <=. Sp.stackSize
      Sp.stackSize <=. i32 0x100_0000
      i32 0 <=. Sp.heapSize
      Sp.heapSize <=. i32 0x100_0000
      Sp.stackGrowsDown
      not' Sp.heapGrowsDown ]

let private a = access "a_"
let private b = access "b_"
let private va = resolve a
let private vb = resolve b
let private accepted (v: Verdict) = Verdict.accepted v
let private codeIs (v: Verdict) (c: int) = v.Code =. u8 c

let private obligation name (accesses: Access list) (extra: Term list) goal =
    { Name = name
      Accesses = accesses |> List.map (fun x -> x.Prefix)
      Assumptions = (accesses |> List.collect accessWellFormed) @ spaceAssumptions true @ extra
      Goal = goal }

let private one name extra goal = obligation name [ a ] extra goal

/// Upper bits zero and alignment passes (steps 1 and 2 of the check order done).
let private pastSteps12 = [ Spec.upperZero a; Spec.aligned a ||. Sp.allowMisaligned ]

// ---- T5: the engine's fast path ----

/// The slow-path access whose `ThruSpace.Resolve` filled the TLB entry (decision D5-SLOW-PATH: the
/// engine's slow path accepts exactly what `Space.resolve` accepts with the default profile; the
/// premise below is the model's acceptance, which the engine's implies).
let private f = access "f_"
let private vf = resolve f

/// Assumptions of every fast-path obligation: the filling access is a load or a store (only
/// LoadSlow and StoreSlow fill the data TLB; decision D5-KINDS) and was accepted; stack and heap
/// sizes are multiples of 4 KiB (decision D5-ANON-PAGES: both `Anonymous.resize` of the model and
/// `Anonymous.Resize` of the engine refuse other sizes; the engine's stack and heap tags rely on it).
let private fillAssumptions =
    [ (f.Kind =. u8 Kind.read) ||. (f.Kind =. u8 Kind.write)
      accepted vf
      (Sp.stackSize &&& i32 0xFFF) =. i32 0
      (Sp.heapSize &&& i32 0xFFF) =. i32 0 ]

/// The tag the fill put into the field the access `kind` compares with (ReadTag for loads,
/// WriteTag for stores), when it put the page there.
let private tagged (kind: int) =
    let readTag, writeTag = fillTags f
    if kind = Kind.read then readTag else writeTag

let private kindName (kind: int) = if kind = Kind.read then "load" else "store"

/// The page of the filling access as the tag (Machine.Fill(address & ~0xFFFUL, ...)).
let private fillPage = pageOf f.Addr

/// The alignment test of `Predicate.resolve` is the model's `addr % uint64 size <> 0UL`; a 64-bit
/// remainder by a variable is most of z3's work on the two-access fast-path obligations. For the
/// sizes 1, 2, 4, 8 it equals `addr & (size - 1) <> 0` (the obligation "lemma: ..." of T5 proves
/// it), so those obligations use the predicate with that one named subterm rewritten.
let private maskAlignment (accesses: Access list) (o: Obligation) : Obligation =
    let roots =
        accesses
        |> List.fold
            (fun roots (x: Access) -> replaceNamed (x.Prefix + "misaligned") (fun _ -> (x.Addr &&& (sext 32 x.Size - u64 1UL)) <>. u64 0UL) roots)
            (o.Goal :: o.Assumptions)

    { o with Goal = List.head roots; Assumptions = List.tail roots }

/// A fast-path hit of `a` (kind `kind`) on the page the fill tagged is an access Space.resolve
/// accepts, in the same store as the fill, at the offset moved by the address difference, inside the
/// same 4 KiB page of the store (the host page the tag's Addend points into); a store also needs no
/// new copy-on-write page. Every profile.
let private fastPathSound (kind: int) =
    let cowAfter =
        // The model's CowPages of account Index after the filling access (a store to account data
        // adds its page, as Space.write does).
        cowPage va.Index (va.Offset >>> 12)
        ||. all [ f.Kind =. u8 Kind.write; vf.Tag =. u8 Tag.data; vf.Index =. va.Index; (vf.Offset >>> 12) =. (va.Offset >>> 12) ]

    maskAlignment [ a; f ]
    <| obligation
        (sprintf "%s tag: a hit is accepted, same store and page, offset moved by the address difference%s" (kindName kind) (if kind = Kind.write then ", page already copy-on-write" else ""))
        [ a; f ]
        (fillAssumptions @ [ a.Kind =. u8 kind; tagged kind; hit InterpreterTier a fillPage ])
        (all
            [ accepted va
              va.Tag =. vf.Tag
              va.Index =. vf.Index
              sext 32 (va.Offset - vf.Offset) =. a.Addr - f.Addr
              (va.Offset >>> 12) =. (vf.Offset >>> 12)
              (va.Offset &&& i32 0xFFF) =. resize 32 (a.Addr &&& u64 0xFFFUL)
              (va.Offset &&& i32 0xFFF) + a.Size <=. i32 0x1000
              if kind = Kind.write then (va.Tag =. u8 Tag.data) ==> cowAfter else tt ])

/// An access inside a tagged page hits exactly when Space.resolve accepts it: a theorem with the
/// default profile (`allowMisaligned` false); with AllowMisaligned on it is false (the tests show
/// z3's counter-model: a misaligned access inside the page, accepted by the model, missed by the
/// fast path), and only the direction of `fastPathSound` holds.
let fastPathExactUnder (allowMisaligned: bool) (kind: int) =
    maskAlignment [ a; f ]
    <| obligation
        (sprintf
            "%s: %s in a %s-tagged page: hit <=> accepted"
            (if allowMisaligned then "AllowMisaligned on" else "default profile")
            (kindName kind)
            (if kind = Kind.read then "read" else "write"))
        [ a; f ]
        (fillAssumptions
         @ [ (if allowMisaligned then Sp.allowMisaligned else not' Sp.allowMisaligned)
             a.Kind =. u8 kind
             tagged kind
             extract 63 12 a.Addr =. extract 63 12 f.Addr ])
        (hit InterpreterTier a fillPage <=> accepted va)

let private fastPathExact (kind: int) = fastPathExactUnder false kind

let theorems: Theorem list =
    [ { Id = "T1"
        Title = "decomposition"
        Claim =
          "An address is accepted only if its upper 16 bits are zero; split and compose are inverse (a bijection between 48-bit addresses and (seg_type, seg_idx, offset) triples); and the location of an accepted access names exactly the address that was translated."
        Expect = Holds
        Obligations =
          [ one "accepted => bits 63..48 are zero" [] (accepted va ==> Spec.upperZero a)
            { Name = "Address.split and Address.compose are inverse"
              Accesses = []
              Assumptions = []
              Goal =
                let addr = var "x_addr" (BV 64)
                let t, i, o = var "x_type" (BV 8), var "x_idx" (BV 16), var "x_off" (BV 24)
                let x = compose (zext 24 t) (zext 16 i) (zext 8 o)

                all
                    [ splits addr ==> (compose (segTypeOf addr) (segIdxOf addr) (offsetOf addr) =. addr)
                      x =. concat (bv 16 0UL) (concat t (concat i o))
                      splits x
                      segTypeOf x =. zext 24 t
                      segIdxOf x =. zext 16 i
                      offsetOf x =. zext 8 o ] }
            one "accepted => the location rebuilds the address" [] (accepted va ==> (Spec.locationInRange va &&. (Spec.addressOf va =. a.Addr))) ] }

      { Id = "T2"
        Title = "isolation"
        Claim =
          "Two accepted accesses to different (seg_type, seg_idx) pairs never reach a common byte of backing store; within one backing store the translation is a translation by a constant (each backing byte has exactly one address); and no accepted access spans two segments."
        Expect = Holds
        Obligations =
          [ obligation
                "different segments => disjoint backing bytes"
                [ a; b ]
                []
                ((accepted va &&. accepted vb &&. not' ((Spec.segType a =. Spec.segType b) &&. (Spec.segIdx a =. Spec.segIdx b)))
                 ==> ((backingStore va <>. backingStore vb) ||. (va.Offset + a.Size <=. vb.Offset) ||. (vb.Offset + b.Size <=. va.Offset)))
            obligation
                "same backing store => addresses differ as the backing offsets"
                [ a; b ]
                []
                ((accepted va &&. accepted vb &&. (backingStore va =. backingStore vb))
                 ==> (b.Addr - a.Addr =. sext 32 (vb.Offset - va.Offset)))
            one "accepted => every byte lies in the access's segment" [] (accepted va ==> ((a.Addr + Spec.size64 a - u64 1UL) >>> 24 =. (a.Addr >>> 24))) ] }

      { Id = "T3"
        Title = "permissions"
        Claim =
          "No write to segment type 0x00 or 0x02 is accepted; a write to account data is accepted only when the writability predicate (Space.canWriteData, decision D-ACCOUNT-WRITE) holds; writes reach only types 0x03, 0x05, 0x07; fetches only the program segment (0x00, 0x0003)."
        Expect = Holds
        Obligations =
          [ one "no write to type 0x00 or 0x02" [] ((Spec.isKind a Kind.write &&. (Spec.isType a 0x00 ||. Spec.isType a 0x02)) ==> not' (accepted va))
            one
                "account-data write => canWriteData"
                []
                ((Spec.isKind a Kind.write &&. Spec.isType a 0x03 &&. accepted va)
                 ==> (canWriteData (Spec.index a) &&. Spec.writable (Spec.index a)))
            one "writes reach only types 0x03, 0x05, 0x07" [] ((Spec.isKind a Kind.write &&. accepted va) ==> any [ Spec.isType a 0x03; Spec.is a 0x05 0; Spec.is a 0x07 0 ])
            one "fetch only from the program segment" [] ((Spec.isKind a Kind.fetch &&. accepted va) ==> Spec.is a 0x00 3) ] }

      { Id = "T4"
        Title = "page crossing and alignment"
        Claim =
          "Every account-data access that would cross a 4 KiB page is refused, whether AllowMisaligned is on or off; with AllowMisaligned off (the default profile) every misaligned access is refused."
        Expect = Holds
        Obligations =
          [ one "account data: accepted => one page (AllowMisaligned on)" [ Sp.allowMisaligned ] ((Spec.isType a 0x03 &&. accepted va) ==> Spec.samePage a)
            one "account data: accepted => one page (AllowMisaligned off)" [ not' Sp.allowMisaligned ] ((Spec.isType a 0x03 &&. accepted va) ==> Spec.samePage a)
            one "default profile: misaligned => refused" [ not' Sp.allowMisaligned ] (not' (Spec.aligned a) ==> not' (accepted va)) ] }

      { Id = "T5"
        Title = "engine fast path"
        Claim =
          "The engine's TLB hit test, as the interpreter (one literal mask per load and store instruction) and the compiled tier (~(0xFFF & ~(size - 1))) write it, matches a tag exactly when the tag is the 4 KiB page of the address and the address is aligned to the size, so the access lies inside that page; InvalidTag never matches. A page gets a read (write) tag only from a load or store the slow path accepted whose ThruSpace.Resolve permissions include Read (Write); for every such page and every load (store) the fast path serves, Space.resolve accepts the access, in the same backing store and page of that store as the filling access, at the offset moved by exactly the address difference, and a fast-path store reaches only an account-data page that is already copy-on-write. This holds in every profile. With the default profile (AllowMisaligned off, the only one the engine implements), an access in a tagged page hits if and only if Space.resolve accepts it; with AllowMisaligned on only the direction hit => accepted holds (a misaligned access inside the page is accepted by the model and misses the fast path)."
        Expect = Holds
        Obligations =
          [ let t = var "t_tag" (BV 64)
            // A tag is a page address (low 12 bits zero) or InvalidTag (Machine.Fill, FlushTlb).
            let tagShape = [ (extract 11 0 t =. bv 12 0UL) ||. (t =. u64 0x800UL) ]

            let exact tier =
                obligation
                    (sprintf "%s: hit <=> the tag is the address's page and the address is aligned" (match tier with InterpreterTier -> "interpreter" | CompiledTier -> "compiled tier"))
                    [ a ]
                    tagShape
                    (all
                        [ hit tier a t <=> all [ t <>. u64 0x800UL; extract 63 12 a.Addr =. extract 63 12 t; Spec.aligned a ]
                          hit tier a t ==> Spec.samePage a
                          hit tier a (u64 0x800UL) <=> ff ])

            exact InterpreterTier
            exact CompiledTier
            one
                "the masks: interpreter literals = compiled ~(0xFFF & ~(size - 1)) = ~(0xFFF ^ (size - 1))"
                []
                ((fastMask InterpreterTier a =. fastMask CompiledTier a) &&. (fastMask CompiledTier a =. ~~~(bxor (u64 0xFFFUL) (Spec.size64 a - u64 1UL))))
            one
                "lemma: for sizes 1, 2, 4, 8, addr % size <> 0 <=> addr & (size - 1) <> 0 (the next obligations use the mask form)"
                []
                ((urem a.Addr (sext 32 a.Size) <>. u64 0UL) <=> ((a.Addr &&& (sext 32 a.Size - u64 1UL)) <>. u64 0UL))
            fastPathSound Kind.read
            fastPathSound Kind.write
            fastPathExact Kind.read
            fastPathExact Kind.write ] }

      { Id = "T6"
        Title = "extent"
        Claim =
          "Every accepted access lies inside its segment's current extent: the transaction, 4496 shadow-stack bytes, the program, the 128-byte record of a supplied block among the last 512, 62 (or 64) metadata bytes of an existing account index, the data of an existing account, the mapped stack [16 MiB - size, 16 MiB) or heap [0, size)."
        Expect = Holds
        Obligations = [ one "accepted => inside the current extent" [] (accepted va ==> (Spec.named a &&. Spec.inExtent a)) ] }

      { Id = "T7"
        Title = "frame ownership"
        Claim =
          "With the default profile, a frame never writes a stack or heap page allocated by a shallower frame (decision D-ANON-WRITE): a callee cannot overwrite its caller's memory."
        Expect = Holds
        Obligations =
          [ one
                "anonymous write => no byte in a shallower frame's page"
                [ not' Sp.allowMisaligned ]
                ((Spec.isKind a Kind.write &&. accepted va)
                 ==> (not' (Spec.shallower a (Spec.firstPage a)) &&. not' (Spec.shallower a (Spec.lastPage a)))) ] }

      { Id = "T8"
        Title = "check order"
        Claim =
          "The violation reported follows decision D-CHECK-ORDER: non-zero upper bits are always InvalidAddress; then misalignment (default profile) AlignmentViolation; then an unnamed segment InvalidSegment; then a forbidden kind of access PermissionDenied, before any bounds check; after that only bounds (InvalidAddress), page crossing (PageBoundaryCross, account data only) and frame ownership (PermissionDenied, stack and heap writes only) remain."
        Expect = Holds
        Obligations =
          [ one "upper bits non-zero => InvalidAddress" [] (not' (Spec.upperZero a) ==> codeIs va Code.invalidAddress)
            one "misaligned (default profile) => AlignmentViolation" [ Spec.upperZero a; not' Sp.allowMisaligned ] (not' (Spec.aligned a) ==> codeIs va Code.alignmentViolation)
            one "unnamed segment => InvalidSegment" pastSteps12 (not' (Spec.named a) ==> codeIs va Code.invalidSegment)
            one "forbidden kind => PermissionDenied (before bounds)" pastSteps12 ((Spec.named a &&. not' (Spec.permitted a)) ==> codeIs va Code.permissionDenied)
            one
                "permitted => only bounds, page crossing, frame ownership"
                pastSteps12
                ((Spec.named a &&. Spec.permitted a)
                 ==> all
                         [ oneOf va.Code [ u8 Code.ok; u8 Code.invalidAddress; u8 Code.pageBoundaryCross; u8 Code.permissionDenied ]
                           codeIs va Code.pageBoundaryCross ==> Spec.isType a 0x03
                           codeIs va Code.permissionDenied
                           ==> (Spec.isKind a Kind.write &&. (Spec.shallower a (Spec.firstPage a) ||. Spec.shallower a (Spec.lastPage a))) ]) ] }

      { Id = "T9"
        Title = "exact acceptance"
        Claim =
          "Acceptance is exactly the spec's conditions (so the safety theorems are not vacuous): an access is accepted if and only if its upper bits are zero, it is aligned (or AllowMisaligned is on), it names a segment, the segment permits its kind, it lies inside the segment's current extent (never past the 16 MiB limit), an account-data access stays in one 4 KiB page, and a stack or heap write touches no page of a shallower frame."
        Expect = Holds
        Obligations =
          [ one
                "accepted <=> the spec's conditions"
                []
                (accepted va
                 <=> all
                         [ Spec.upperZero a
                           Spec.aligned a ||. Sp.allowMisaligned
                           Spec.named a
                           Spec.permitted a
                           Spec.inExtent a
                           Spec.isType a 0x03 ==> Spec.samePage a
                           Spec.isKind a Kind.write ==> not' (Spec.shallower a (Spec.firstPage a))
                           Spec.isKind a Kind.write ==> not' (Spec.shallower a (Spec.lastPage a)) ]) ] }

      // ---- Former findings F1 and F2 (defects found by these proofs, fixed in the model) ----

      { Id = "T10"
        Title = "no misaligned write into a caller's page"
        Claim =
          "Also with AllowMisaligned on, an accepted stack or heap write touches no page of a shallower frame: every page it spans is checked (finding F1 of the first proof run: resolve checked only the first byte's page)."
        Expect = Holds
        Obligations =
          [ one
                "anonymous write => no byte in a shallower frame's page (AllowMisaligned on)"
                // Realistic values only, so that the counter-model reads as a real scenario: the
                // stack, depth 1..16, the pages touched tagged with depths 1..16.
                [ Sp.allowMisaligned
                  Spec.is a 0x05 0
                  i32 1 <=. Sp.depth
                  Sp.depth <=. i32 16
                  (Sp.stackSize &&& i32 0xFFF) =. i32 0
                  Sp.stackOwned (Spec.firstPage a)
                  Sp.stackOwned (Spec.lastPage a)
                  i32 1 <=. Sp.stackOwner (Spec.firstPage a)
                  i32 1 <=. Sp.stackOwner (Spec.lastPage a)
                  Sp.stackOwner (Spec.firstPage a) <=. i32 16
                  Sp.stackOwner (Spec.lastPage a) <=. i32 16 ]
                ((Spec.isKind a Kind.write &&. accepted va)
                 ==> (not' (Spec.shallower a (Spec.firstPage a)) &&. not' (Spec.shallower a (Spec.lastPage a)))) ] }
      { Id = "T11"
        Title = "no access past the 16 MiB segment limit"
        Claim =
          "Even with a transaction or program longer than 16 MiB (up to 64 MiB) and misaligned accesses allowed, every byte of an accepted access lies in its segment: extents are capped at the 16 MiB limit (finding F2 of the first proof run: resolve bounded accesses by the array length alone)."
        Expect = Holds
        Obligations =
          [ { Name = "accepted => every byte lies in the segment (lengths up to 64 MiB)"
              Accesses = [ a.Prefix ]
              Assumptions = accessWellFormed a @ spaceAssumptions false
              Goal = accepted va ==> ((a.Addr + Spec.size64 a - u64 1UL) >>> 24 =. (a.Addr >>> 24)) } ] } ]

let pending: Pending list = []
