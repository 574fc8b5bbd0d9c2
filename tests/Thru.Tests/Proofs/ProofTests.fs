/// The z3 theorems of proofs/ and their tie to the code: the predicate the theorems are about,
/// evaluated concretely, must give `Space.resolve`'s verdict on random and edge spaces and accesses;
/// every theorem must be proved; a deliberately broken predicate must be refuted with a
/// counter-model that the model itself refuses.
module Thru.Tests.Proofs.ProofTests

open Expecto
open Thru.Tests.Support
open FsCheck
open FsCheck.FSharp
open Thru.Model
open Thru.Model.Memory
open Thru.Model.Memory.Layout
open Thru.Model.Memory.Paged
open Thru.Model.Memory.Space
open Thru.Proofs
open Thru.Proofs.Dsl
open Thru.Proofs.Eval
open Thru.Proofs.Predicate
open Thru.Tests.Memory.SpaceGen

// ---------------------------------------------------------------------------------------
// Generators: SpaceGen's spaces with every profile, pushed to the edges.
// ---------------------------------------------------------------------------------------

let private genProfile (p: Decisions.Profile) =
    Gen.zip (Gen.elements [ false; true ]) (Gen.elements [ Decisions.SdkView62; Decisions.RuntimeRecord64 ])
    |> Gen.map (fun (m, l) -> { p with AllowMisaligned = m; MetaLayout = l })

/// A stack or heap of `size` bytes whose pages carry random depths (some untagged).
let private genAnonymous (a: Anonymous) =
    gen {
        let! size = Gen.elements [ 0; 4096; 3 * 4096; 0x10_0000; 0x100_0000 ]
        let! seed = Gen.choose (0, System.Int32.MaxValue)
        let r = System.Random seed
        let low, high = Anonymous.range { a with Size = size }

        let owners =
            [ for p in low / 4096 .. high / 4096 - 1 do
                  if r.Next 20 <> 0 then p, r.Next(0, 6) ]
            |> Map.ofList

        return { a with Size = size; Owners = owners }
    }

let private blockAt (s: Space) (i: int) =
    if s.Blocks.IsEmpty then
        { Slot = uint64 i; BlockTime = 0UL; BlockPrice = 0UL; StateRoot = Array.create 32 1uy; BlockHash = Array.create 32 2uy
          BlockProducer = Array.create 32 3uy; WeightSlot = 7UL }
    else s.Blocks[i % s.Blocks.Length]

/// One perturbation of a generated space toward an edge the generator does not reach.
let private perturb (s: Space) : Gen<Space> =
    let withMeta (i: int) (f: AccountMeta -> AccountMeta) =
        { s with Accounts = s.Accounts |> Array.mapi (fun j a -> if j = i then { a with Meta = a.Meta |> Option.map f } else a) }

    Gen.frequency
        [ 8, Gen.constant s
          1, Gen.elements [ 0; 1; 8; 4096 ] |> Gen.bind genBytes |> Gen.map (fun t -> { s with Txn = t })
          1, Gen.elements [ 0; 2; 4094; 4096 ] |> Gen.bind genBytes |> Gen.map (fun p -> { s with Program = p })
          1, Gen.elements [ 0; 1; 511; 512; 513; 1000 ] |> Gen.map (fun n -> { s with Blocks = List.init n (fun i -> blockAt s i) })
          1, genAnonymous s.Stack |> Gen.map (fun a -> { s with Stack = a })
          1, genAnonymous s.Heap |> Gen.map (fun a -> { s with Heap = a })
          1, Gen.elements [ 0; 1; 2; 3; 5; 17 ] |> Gen.map (fun d -> { s with Shadow = { s.Shadow with CallDepth = d } })
          1, Gen.elements [ -1; 0; 1; 100; System.Int32.MaxValue - 1 ] |> Gen.map (fun rw -> { s with ReadWriteCount = rw })
          1,
          Gen.zip (Gen.choose (0, s.Accounts.Length - 1)) (Gen.elements [ 0u; 4093u; 0x100_0000u; 0x100_0008u; 0x8000_0000u; 0xFFFF_FFFFu ])
          |> Gen.map (fun (i, n) -> withMeta i (fun m -> { m with DataSize = n })) ]

let private genEdgeSpace: Gen<Space> =
    gen {
        let! s = genSpace
        let! s = perturb s
        let! s = perturb s
        let! profile = genProfile s.Profile
        return { s with Profile = profile }
    }

/// Accesses aimed at the places where this space's rules change: the ends of every extent,
/// page boundaries, window edges, the ends of the 24-bit offset.
let private genEdgeAccess (s: Space) : Gen<uint64 * int * AccessKind> =
    gen {
        let! size = genSize
        let! kind = genKind
        let! delta = Gen.choose (-9, 9)
        let! i = Gen.choose (0, s.Accounts.Length + 1)
        let! k = Gen.elements [ 0; 1; Space.visibleBlocks s - 1; Space.visibleBlocks s; 511; 512 ]

        let dataSize = if i < s.Accounts.Length then AccountState.dataSize s.Accounts[i] else 0
        let stackLow, _ = Anonymous.range s.Stack

        let! segType, segIdx, point =
            Gen.elements
                [ 0x00, 1, s.Txn.Length
                  0x00, 2, Layout.shadowStackSize
                  0x00, 3, s.Program.Length
                  0x00, 4, k * 0x1000 + 128
                  0x00, 4, k * 0x1000
                  0x02, i, 62
                  0x02, i, 64
                  0x03, i, dataSize
                  0x03, i, 4096 + size / 2
                  0x03, i, 8192 + size / 2
                  0x03, i, (dataSize / 4096) * 4096 + size / 2
                  0x05, 0, stackLow
                  0x05, 0, stackLow + 4096
                  0x05, 0, 0x100_0000
                  0x07, 0, s.Heap.Size
                  0x07, 0, 4096
                  0x07, 0, 0x100_0000 ]

        let! aligned = Gen.elements [ true; false ]
        let offset = max 0 (min 0xFF_FFFF (point - size + delta))
        let offset = if aligned then offset / size * size else offset
        // Accesses that straddle a 4 KiB page of account data (refused even when misaligned
        // accesses are allowed).
        let! page = Gen.elements [ 1; 2; 3; max 1 (dataSize / 4096) ]
        let! back = Gen.choose (1, 7)
        let straddling = Address.compose 0x03 i (uint32 (page * 4096 - 1 - (back % max 1 (size - 1))))
        let! pickStraddling = Gen.frequency [ 4, Gen.constant false; 1, Gen.constant true ]
        return (if pickStraddling && size > 1 then straddling else Address.compose segType segIdx (uint32 offset)), size, kind
    }

// ---------------------------------------------------------------------------------------
// The cross-check: Predicate.resolve, evaluated, is Space.resolve.
// ---------------------------------------------------------------------------------------

let private a = access "a_"
let private verdict = resolve a
let private segmentTerm = segmentOf (segTypeOf a.Addr) (segIdxOf a.Addr)
let private indexVar = intVar "i"
let private canWriteTerm = canWriteData indexVar
let private splitTerms = splits a.Addr, segTypeOf a.Addr, segIdxOf a.Addr, offsetOf a.Addr
let private composeTerm = compose (intVar "x_type") (intVar "x_idx") (intVar "x_off")

let private littleEndian (bytes: byte[]) = bytes |> Array.rev |> Array.fold (fun acc b -> (acc <<< 8) ||| uint64 b) 0UL

/// `count` bytes at `offset` of the backing store `(tag, index)` (Predicate.backingStore).
let private storeBytes (s: Space) (tag: int) (index: int) (offset: int) (count: int) : byte[] =
    let slice (b: byte[]) = Array.init count (fun j -> if offset + j < b.Length then b[offset + j] else 0uy)

    match tag with
    | t when t = Tag.txn -> slice s.Txn
    | t when t = Tag.shadowStack -> slice (Layout.shadowStackBytes s.Shadow)
    | t when t = Tag.program -> slice s.Program
    | t when t = Tag.blockContext -> slice (Layout.blockContextBytes s.Blocks[index])
    | t when t = Tag.meta -> slice (AccountState.metaBytes s.Profile.MetaLayout s.Accounts[index])
    | t when t = Tag.data -> Overlay.readBytes s.Accounts[index].Data offset count
    | t when t = Tag.stack -> Overlay.readBytes s.Stack.Bytes offset count
    | t when t = Tag.heap -> Overlay.readBytes s.Heap.Bytes offset count
    | _ -> failwithf "no store with tag %d" tag

/// The stores a write could change, as objects (to compare by reference).
let private stores (s: Space) : obj list =
    [ box s.Txn; box s.Program; box s.Shadow; box s.Blocks; box s.Stack; box s.Heap ] @ (s.Accounts |> Array.map box |> List.ofArray)

type private Tally =
    { mutable Accesses: int
      mutable Reads: int
      mutable Writes: int
      Codes: int[]
      Tags: int[] }

/// Compare one access on one space; None when they agree, else a description.
let private crossCheck (tally: Tally) (s: Space) ((addr, size, kind): uint64 * int * AccessKind) : string option =
    let env = Bridge.envOf s [ "a_", (addr, size, kind) ]
    let cache = newCache ()
    let ev t = evalWith env cache t
    let model = Space.resolve s addr size kind
    let code, tag, idx, off = Bridge.modelVerdict model
    let dslCode = Value.int (ev verdict.Code)
    tally.Accesses <- tally.Accesses + 1
    tally.Codes[code] <- tally.Codes[code] + 1
    tally.Tags[tag] <- tally.Tags[tag] + 1

    let where () = sprintf "address 0x%X size %d %A on %A: model %A" addr size kind (s.Profile.AllowMisaligned, s.Profile.MetaLayout) model

    let faultFields =
        match model with
        | Error f when f.Address <> addr || f.Size <> size || f.Kind <> kind -> Some(sprintf "%s: the fault does not describe the access" (where ()))
        | _ -> None

    if faultFields.IsSome then faultFields
    elif dslCode <> code then Some(sprintf "%s, predicate %s" (where ()) (Bridge.codeName dslCode))
    elif code = Code.ok && (Value.int (ev verdict.Tag), Value.int (ev verdict.Index), Value.int (ev verdict.Offset)) <> (tag, idx, off) then
        Some(sprintf "%s, predicate location (%O, %O, %O)" (where ()) (ev verdict.Tag) (ev verdict.Index) (ev verdict.Offset))
    else
        // Address.split, and Space.segmentOf on the split fields.
        let splitsTerm, typeTerm, idxTerm, offTerm = splitTerms

        match Address.split addr with
        | None -> if Value.bool (ev splitsTerm) then Some(sprintf "%s: split" (where ())) else None
        | Some f ->
            let fields = Value.int (ev typeTerm), Value.int (ev idxTerm), Value.int (ev offTerm)

            if not (Value.bool (ev splitsTerm)) || fields <> (f.SegType, f.SegIdx, int f.Offset) then
                Some(sprintf "%s: split %A vs %A" (where ()) fields f)
            elif Value.int (ev segmentTerm) <> Bridge.segmentCode (Space.segmentOf s f.SegType f.SegIdx) then
                Some(sprintf "%s: segmentOf" (where ()))
            elif code <> Code.ok then
                None
            else
                // The backing store: Space.read reads exactly bytes [off, off + size) of the store...
                let loc = Bridge.locationOfCode tag idx off
                let expected = littleEndian (storeBytes s tag idx off size)

                if kind <> Write then
                    tally.Reads <- tally.Reads + 1
                    if Space.read s loc size <> expected then Some(sprintf "%s: read is not bytes [%d, %d) of store %d/%d" (where ()) off (off + size) tag idx) else None
                else
                    // ...and Space.write changes exactly those bytes of that store and no other store.
                    let value = 0x8877_6655_4433_2211UL ^^^ addr
                    let s = { s with Pool = { s.Pool with Capacity = s.Pool.InUse + 1 } }

                    match Space.write s loc addr size value with
                    | Error e -> Some(sprintf "%s: write failed %A" (where ()) e)
                    | Ok s' ->
                        tally.Writes <- tally.Writes + 1
                        let window = 16
                        let from = max 0 (off - window)
                        let before = storeBytes s tag idx from (off - from + size + window)
                        let after = storeBytes s' tag idx from (off - from + size + window)
                        let written = Array.init size (fun j -> byte (value >>> (8 * j)))

                        let inside = after[off - from .. off - from + size - 1] = written
                        let outside = Array.forall2 (fun (x: byte) (y: byte) -> x = y) (Array.append before[.. off - from - 1] before[off - from + size ..]) (Array.append after[.. off - from - 1] after[off - from + size ..])
                        let target = match loc with DataAt(i, _) -> box s.Accounts[i] | StackAt _ -> box s.Stack | HeapAt _ -> box s.Heap | _ -> null
                        let others = List.zip (stores s) (stores s') |> List.forall (fun (x, y) -> obj.ReferenceEquals(x, target) || obj.ReferenceEquals(x, y))

                        if inside && outside && others then None
                        else Some(sprintf "%s: write touched other bytes (inside %b outside %b other stores %b)" (where ()) inside outside others)

// ---------------------------------------------------------------------------------------
// The theorems.
// ---------------------------------------------------------------------------------------

/// The proofs are part of the test suite: without z3 the tests fail (make deps installs it).
let private requireZ3 () =
    if (Smt.z3Version ()).IsNone then failtest "z3 is not installed (make deps installs the Debian package z3; or set THRU_Z3)"

let private results = lazy (Runner.run 120 Theorems.theorems)

// ---------------------------------------------------------------------------------------
// Broken predicates: z3 refutes them, and the counter-model is an access the model refuses.
// ---------------------------------------------------------------------------------------

let private obligation (id: string) (name: string) =
    let t = Theorems.theorems |> List.find (fun t -> t.Id = id)
    t.Obligations |> List.find (fun o -> o.Name.StartsWith name)

/// The obligation with the named subterm of the predicate replaced.
let private broken (o: Theorems.Obligation) (subterm: string) (replacement: Term -> Term) =
    let roots = replaceNamed subterm replacement (o.Goal :: o.Assumptions)
    { o with Goal = List.head roots; Assumptions = List.tail roots }, ofTerms (replaceNamed subterm replacement (terms verdict))

let private refutes (id: string) (name: string) (subterm: string) (replacement: Term -> Term) (expected: Violation) =
    requireZ3 ()
    let o, brokenVerdict = broken (obligation id name) subterm replacement
    let r = Runner.runObligation 120 o

    match r.Outcome with
    | Runner.Counter c ->
        for l in Runner.describe c do
            note <| sprintf "  %s" l

        let space = c.Space.Value
        let _, (addr, size, kind) = List.exactlyOne c.Accesses
        let env = Bridge.envOf space [ "a_", (addr, size, kind) ]
        // The broken predicate accepts the access...
        Expect.equal (Value.int (eval env brokenVerdict.Code)) Code.ok "the broken predicate accepts"
        // ...the model's resolve refuses it, and the real predicate says what the model says.
        match Space.resolve space addr size kind with
        | Error f -> Expect.equal f.Violation expected "f.Violation"
        | Ok loc -> failtest (sprintf "the model accepts the counter-example at %A" loc)

        Expect.equal (Value.int (eval env verdict.Code)) (Bridge.violationCode expected) "Value.int (eval env verdict.Code)"
    | other -> failtest (sprintf "z3 did not refute the broken predicate: %A" other)

[<Tests>]
let tests =
    testList "Proofs.ProofTests" [
        // ---------------------------------------------------------------- The cross-check: Predicate.resolve, evaluated, is Space.resolve

        testCase "the predicate the theorems are about is Space.resolve, on 200,000 random and edge accesses" <| fun () ->
            let sw = System.Diagnostics.Stopwatch.StartNew()
            let seed = Thru.Tests.Generators.testSeed 7UL
            let spaces = Thru.Conform.Gen.Generators.sampleSeeded seed 5000 (Gen.zip genEdgeSpace (Gen.choose (0, System.Int32.MaxValue)))
            let generated = sw.Elapsed.TotalSeconds
            let tally = { Accesses = 0; Reads = 0; Writes = 0; Codes = Array.zeroCreate 6; Tags = Array.zeroCreate 9 }
            let failures = ResizeArray()
            let mutable canWriteChecks = 0

            for s, accessSeed in spaces do
                let accesses =
                    Array.append
                        (Thru.Conform.Gen.Generators.sampleSeeded (uint64 accessSeed) 20 genAccess)
                        (Thru.Conform.Gen.Generators.sampleSeeded (uint64 accessSeed + 1UL) 20 (genEdgeAccess s))

                for x in accesses do
                    match crossCheck tally s x with
                    | Some f when failures.Count < 10 -> failures.Add f
                    | _ -> ()

                // Space.canWriteData, for every account of the space.
                for i in 0 .. s.Accounts.Length - 1 do
                    canWriteChecks <- canWriteChecks + 1
                    let env = Bridge.envOfWith (Map.ofList [ "i", Value.ofInt i ]) s []

                    if Value.bool (eval env canWriteTerm) <> Space.canWriteData s i && failures.Count < 10 then
                        failures.Add(sprintf "canWriteData %d differs on %A" i s.Accounts[i])

            // Address.compose on arbitrary ints (compose masks its arguments).
            let fields = Thru.Conform.Gen.Generators.sampleSeeded seed 20000 (Gen.zip3 (Gen.choose (-300, 300)) (Gen.choose (-70000, 70000)) (Gen.choose (System.Int32.MinValue, System.Int32.MaxValue)))

            for t, i, o in fields do
                let env = { Var = (fun n -> match n with "x_type" -> Value.ofInt t | "x_idx" -> Value.ofInt i | _ -> Value.ofInt o); Fun = fun _ _ -> failwith "no functions" }

                if Value.bits (eval env composeTerm) <> Address.compose t i (uint32 o) && failures.Count < 10 then
                    failures.Add(sprintf "compose %d %d %d" t i o)

            let names = [ "accepted"; "InvalidAddress"; "InvalidSegment"; "PermissionDenied"; "PageBoundaryCross"; "AlignmentViolation" ]
            let tags = [ "-"; "txn"; "shadow"; "program"; "block"; "meta"; "data"; "stack"; "heap" ]

            sprintf
                "cross-check: %d accesses on %d spaces (%d reads and %d writes of backing bytes checked), %d canWriteData, %d compose, %.1f s"
                tally.Accesses spaces.Length tally.Reads tally.Writes canWriteChecks fields.Length sw.Elapsed.TotalSeconds
            |> note

            note <| sprintf "  (spaces generated in %.1f s)" generated

            note <| sprintf "  verdicts: %s" (System.String.Join(", ", List.mapi (fun i n -> sprintf "%s %d" n tally.Codes[i]) names))
            note <| sprintf "  locations: %s" (System.String.Join(", ", List.mapi (fun i n -> sprintf "%s %d" n tally.Tags[i]) tags |> List.tail))

            expectEmpty failures (System.String.Join("\n", failures))
            Expect.isGreaterThanOrEqual tally.Accesses 100_000 "tally.Accesses"
            // Every verdict and every location was exercised, many times.
            for i in 0..5 do
                Expect.isGreaterThan tally.Codes[i] 100 names[i]

            for i in 1..8 do
                Expect.isGreaterThan tally.Tags[i] 100 tags[i]

        // ---------------------------------------------------------------- The theorems

        testCaseInGroup "z3" "every theorem is proved by z3" <| fun () ->
            requireZ3 ()
            let rs = results.Force()

            for l in Runner.textReport rs Theorems.pending do
                note <| sprintf "%s" l

            for r in rs do
                match r.Theorem.Expect with
                | Theorems.Holds -> Expect.equal r.Status Runner.StatusProved (sprintf "%s %s" r.Theorem.Id r.Theorem.Title)
                | Theorems.Refuted _ -> ()

            Expect.containsAll (rs |> List.map (fun r -> r.Theorem.Id)) [ "T1"; "T2"; "T3"; "T4"; "T5"; "T6"; "T7"; "T8"; "T9"; "T10"; "T11" ] "rs |> List.map (fun r -> r.Theorem.Id)"

        testCase "T5 (engine fast path) is a theorem, and nothing is pending" <| fun () ->
            // T5 was pending until the engine's fast path existed; its obligations and their ties to the
            // engine are in FastPathTests.fs.
            expectEmpty Theorems.pending "Theorems.pending"
            let t5 = Theorems.theorems |> List.find (fun t -> t.Id = "T5")
            Expect.isTrue (t5.Expect = Theorems.Holds) "(t5.Expect = Theorems.Holds)"
            Expect.equal t5.Obligations.Length 8 "t5.Obligations.Length"

        testCase "a pending theorem is reported as pending, never as proved" <| fun () ->
            let p: Theorems.Pending = { PendingId = "T99"; PendingTitle = "example"; Reason = "not yet stated" }
            let line = Runner.textReport [] [ p ] |> List.exactlyOne
            Expect.stringContains line "pending" "line"
            Expect.isFalse (line.Contains "proved") "line"
            let json = System.Text.Json.JsonDocument.Parse(Runner.jsonReport [] [ p ])
            let status = (json.RootElement.GetProperty("theorems").Item 0).GetProperty("status").GetString()
            Expect.equal status "pending" "status"

        testCaseInGroup "z3" "the JSON report carries every theorem and its status" <| fun () ->
            requireZ3 ()
            let json = System.Text.Json.JsonDocument.Parse(Runner.jsonReport (results.Force()) Theorems.pending)
            let statuses = [ for t in json.RootElement.GetProperty("theorems").EnumerateArray() -> t.GetProperty("id").GetString(), t.GetProperty("status").GetString() ] |> Map.ofList
            Expect.equal statuses["T1"] "proved" "statuses[\"T1\"]"
            Expect.equal statuses["T10"] "proved" "statuses[\"T10\"]"
            Expect.equal statuses["T5"] "proved" "statuses[\"T5\"]"

        // ---------------------------------------------------------------- Broken predicates: z3 refutes them, and the counter-model is an access the model refuses

        testCaseInGroup "z3" "a predicate permitting writes to segment 0x02 is refuted, and the model refuses its counter-example" <| fun () ->
            refutes "T3" "no write to type 0x00 or 0x02" "a_meta_read_only" (fun _ -> ff) PermissionDenied

        testCaseInGroup "z3" "a predicate forgetting the upper-bits check is refuted, and the model refuses its counter-example" <| fun () ->
            refutes "T1" "accepted => bits 63..48" "a_upper_bits_zero" (fun _ -> tt) InvalidAddress

        testCaseInGroup "z3" "a predicate forgetting the page-crossing check is refuted, and the model refuses its counter-example" <| fun () ->
            refutes "T4" "account data: accepted => one page (AllowMisaligned on)" "a_crosses_page" (fun _ -> ff) PageBoundaryCross

        testCaseInGroup "z3" "a predicate forgetting canWriteData is refuted, and the model refuses its counter-example" <| fun () ->
            refutes "T3" "account-data write => canWriteData" "a_can_write_data" (fun _ -> tt) PermissionDenied

        // ---------------------------------------------------------------- Former finding F1 (z3's counter-model, in a reachable state), kept as a regression test

        testCase "former finding F1: with AllowMisaligned a callee's misaligned store into its caller's page is refused" <| fun () ->
            let exe = (Executable.parse (Executable.build (Array.zeroCreate 8)) |> Result.toOption).Value
            let profile = { Decisions.Profile.defaults with AllowMisaligned = true }
            let s0 = Space.initial profile (Array.zeroCreate 200) 0 [ key 0, None; programKey, None ] exe [] 16
            // Depth 1 maps one stack page (offsets 0xFFF000..0xFFFFFF); its callee at depth 2 one more below.
            let stack, pool = (Anonymous.resize 1 4096L s0.Stack s0.Pool |> Result.toOption).Value
            let stack, pool = (Anonymous.resize 2 8192L stack pool |> Result.toOption).Value
            let s = { s0 with Stack = stack; Pool = pool; Shadow = { s0.Shadow with CallDepth = 2 } }
            let addr = Address.stackBase + 0xFFF000UL - 4UL
            // Aligned, the callee cannot touch the caller's page...
            Expect.isTrue (Result.isError (store s (Address.stackBase + 0xFFF000UL) 8 1UL)) "Result.isError (store s (Address.stackBase + 0xFFF000UL) 8 1UL)"

            // ...nor misaligned across the boundary: bytes 0xFFF000..0xFFF003 belong to depth 1.
            match store s addr 8 0xFFFF_FFFF_FFFF_FFFFUL with
            | Ok _ -> failtest "a store reaching the caller's page was accepted"
            | Error f -> Expect.equal f.Violation PermissionDenied "f.Violation"
            // Entirely within its own page, the misaligned store is accepted.
            Expect.isTrue (Result.isOk (store s (Address.stackBase + 0xFFE000UL + 4UL) 8 1UL)) "Result.isOk (store s (Address.stackBase + 0xFFE000UL + 4UL) 8 1UL)"
    ]
