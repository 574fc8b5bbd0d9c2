/// Properties of address translation and permissions (docs/spec/memory.md), and one example per
/// access-violation kind.
module Thru.Tests.Memory.TranslationTests

open Expecto
open Thru.Tests.Support
open FsCheck
open FsCheck.FSharp
open Thru.Model
open Thru.Model.Memory
open Thru.Model.Memory.Paged
open Thru.Model.Memory.Space
open Thru.Tests.Memory.SpaceGen

let private check (_: string) (n: int) (g: Gen<'T>, property: 'T -> bool) = Thru.Tests.Generators.checkSeeded 11UL n g property
let private forAll g f = g, f

/// A space with 20 accesses into it (spaces are costly to generate, accesses are not).
let private spaceWith (access: Gen<'a>) = Gen.zip genSpace (Gen.listOfLength 20 access)
let private forAllIn access (f: Space -> 'a -> bool) = forAll (spaceWith access) (fun (s, xs) -> List.forall (f s) xs)

// ---------------------------------------------------------------------------------------
// One example per violation kind, on a small fixed space.
// ---------------------------------------------------------------------------------------

let private example () =
    let exe = (Executable.parse (Executable.build [| 0x73uy; 0uy; 0uy; 0uy |]) |> Result.toOption).Value
    let owned = Account.create programKey 0UL (Array.zeroCreate 8192)
    let other = Account.create (key 50) 0UL (Array.zeroCreate 64)

    let s =
        Space.initial Decisions.Profile.defaults (Array.zeroCreate 200) 2 [ key 10, Some(Account.create Pubkey.zero 5UL [||]); programKey, None; key 12, Some owned; key 13, Some other ] exe [] 4

    let s = { s with Accounts = s.Accounts |> Array.mapi (fun i a -> if i = 2 then { a with DataWritable = true } else a) }
    let stack, pool = (Anonymous.resize 1 4096L s.Stack s.Pool |> Result.toOption).Value
    { s with Stack = stack; Pool = pool }

let private expectFault (violation: Violation) (r: Result<'a, AccessFault>) =
    match r with
    | Error f -> Expect.equal f.Violation violation "f.Violation"
    | Ok v -> failtest (sprintf "expected %A, got %A" violation v)

[<Tests>]
let tests =
    testList "Memory.TranslationTests" [
        testCase "every address with non-zero upper 16 bits faults with InvalidAddress" <| fun () ->
            check "upper bits" 200 (forAllIn (Gen.zip (Gen.choose (1, 0xFFFF)) genAccess) (fun s (upper, (a, size, kind)) ->
                let addr = (uint64 upper <<< 48) ||| (a &&& 0xFFFF_FFFF_FFFFUL)
                match resolve s addr size kind with
                | Error f -> f.Violation = InvalidAddress && f.Address = addr && f.Size = size && f.Kind = kind
                | Ok _ -> false))

        testCase "translation is total and deterministic" <| fun () ->
            check "total" 1000 (forAllIn genAccess (fun s (addr, size, kind) ->
                let r1 = resolve s addr size kind
                let r2 = resolve s addr size kind
                r1 = r2))

        testCase "an accepted access reassembles to its address and lies inside one segment" <| fun () ->
            check "reassemble" 1000 (forAllIn genAccess (fun s (addr, size, kind) ->
                match resolve s addr size kind with
                | Error _ -> true
                | Ok loc ->
                    let seg, idx, off =
                        match loc with
                        | TxnData o -> 0, 1, o
                        | ShadowStackAt o -> 0, 2, o
                        | ProgramAt o -> 0, 3, o
                        | BlockContextAt(k, o) -> 0, 4, k * 0x1000 + o
                        | MetaAt(i, o) -> 2, i, o
                        | DataAt(i, o) -> 3, i, o
                        | StackAt o -> 5, 0, o
                        | HeapAt o -> 7, 0, o

                    Address.compose seg idx (uint32 off) = addr && (off + size - 1) <= 0xFFFFFF))

        testCase "no write to a read-only segment (types 0x00 and 0x02) ever succeeds" <| fun () ->
            check "read-only" 500 (forAllIn (Gen.zip3 (Gen.elements [ 0x00; 0x02 ]) genAddress genSize) (fun s (segType, a, size) ->
                let addr = Address.compose segType (int ((a >>> 24) &&& 0xFFFFUL)) (uint32 (a &&& 0xFFFFFFUL))
                match store s addr size 0xAAUL with
                | Ok _ -> false
                | Error f -> f.Kind = Write))

        testCase "a store to account data succeeds exactly when the writability predicate holds" <| fun () ->
            check "writability" 500 (forAllIn (Gen.zip3 (Gen.choose (0, 7)) (Gen.choose (0, 3 * 4096 + 100)) genSize) (fun s (idx, offset, size) ->
                let idx = idx % s.Accounts.Length
                let offset = offset / size * size
                let addr = Address.accountDataBase idx + uint64 offset
                let inBounds = offset + size <= AccountState.dataSize s.Accounts[idx]

                match store s addr size 1UL with
                | Ok _ -> Space.canWriteData s idx && inBounds
                | Error f when f.Violation = PermissionDenied -> not (Space.canWriteData s idx)
                | Error f when f.Violation = InvalidAddress -> Space.canWriteData s idx && not inBounds
                | Error f -> f.Violation = ResourceExhaustion && Space.canWriteData s idx && inBounds))

        testCase "every page-crossing account-data access faults (also when misaligned accesses are allowed)" <| fun () ->
            check "page cross" 500 (forAllIn (Gen.zip3 (Gen.choose (0, 7)) (Gen.choose (1, 3)) (Gen.zip genSize genKind)) (fun s (idx, page, (size, kind)) ->
                let idx = idx % s.Accounts.Length
                let size = max 2 size
                let results =
                    [ for profile in [ s.Profile; { s.Profile with AllowMisaligned = true } ] do
                          for back in 1 .. size - 1 ->
                              let addr = Address.accountDataBase idx + uint64 (page * 4096 - back)
                              resolve { s with Profile = profile } addr size kind ]

                results |> List.forall Result.isError))

        testCase "the metadata of a non-existent account reads as zeros" <| fun () ->
            check "missing meta" 300 (forAllIn (Gen.zip (Gen.choose (0, 61)) genSize) (fun s (offset, size) ->
                let missing = s.Accounts |> Array.tryFindIndex (fun a -> a.Meta.IsNone)
                match missing with
                | None -> true
                | Some i ->
                    let offset = offset / size * size
                    offset + size > 62 || load s (Address.accountMetaBase i + uint64 offset) size = Ok 0UL))

        testCase "copy-on-write never changes the committed data before commit" <| fun () ->
            let stores = Gen.listOfLength 30 (Gen.zip3 (Gen.choose (0, 7)) (Gen.choose (0, 3 * 4096)) genSize)

            check "cow" 500 (forAll (Gen.zip genSpace stores) (fun (s, writes) ->
                let s = { s with Pool = { s.Pool with Capacity = 1000 } }
                let committed = s.Accounts |> Array.map (fun a -> Array.copy a.Data.Base)

                let final =
                    writes
                    |> List.fold (fun (s: Space) (i, off, size) ->
                        let i = i % s.Accounts.Length
                        match store s (Address.accountDataBase i + uint64 (off / size * size)) size 0xDEAD_BEEF_CAFE_F00DUL with
                        | Ok s' -> s'
                        | Error _ -> s) s

                let unchanged = Array.forall2 (fun (c: byte[]) (a: AccountState) -> c = a.Data.Base) committed final.Accounts
                let poolCharged = final.Pool.InUse - s.Pool.InUse = (Array.sumBy (fun (a: AccountState) -> a.CowPages.Count) final.Accounts)
                unchanged && poolCharged))

        testCase "a store is read back by a load of the same width" <| fun () ->
            check "read back" 500 (forAllIn (Gen.zip genAccess (Gen.choose (System.Int32.MinValue, System.Int32.MaxValue))) (fun s ((addr, size, _), v) ->
                let value = uint64 v &&& (if size = 8 then System.UInt64.MaxValue else (1UL <<< (8 * size)) - 1UL)
                match store s addr size value with
                | Ok s' -> load s' addr size = Ok value
                | Error _ -> true))

        // ---------------------------------------------------------------- One example per violation kind, on a small fixed space

        testCase "InvalidAddress: upper bits set, and past a segment's extent" <| fun () ->
            let s = example ()
            expectFault InvalidAddress (load s (0x0001_0000_0000_0000UL ||| Address.txnDataBase) 1)
            expectFault InvalidAddress (load s (Address.txnDataBase + 200UL) 1) // TXN_DATA is 200 bytes
            expectFault InvalidAddress (load s (Address.accountMetaBase 0 + 62UL) 1) // the view is 62 bytes
            expectFault InvalidAddress (load s (Address.accountDataBase 3 + 64UL) 8)
            expectFault InvalidAddress (load s (Address.stackBase + 0xFFE000UL) 8) // one page mapped: 0xFFF000..
            expectFault InvalidAddress (load s (Address.blockContextBase) 8) // no block supplied

        testCase "InvalidSegment: NULL, unknown types and out-of-range indices" <| fun () ->
            let s = example ()
            expectFault InvalidSegment (load s 0xdeadUL 1) // the NULL segment, as in the SDK's e2e test
            expectFault InvalidSegment (store s 0xdeadUL 1 0UL)
            expectFault InvalidSegment (load s (Address.compose 0x01 0 0u) 1)
            expectFault InvalidSegment (load s (Address.compose 0x04 0 0u) 1) // events are not addressable
            expectFault InvalidSegment (load s (Address.compose 0x00 5 0u) 1)
            expectFault InvalidSegment (load s (Address.accountMetaBase 4) 1) // 4 accounts
            expectFault InvalidSegment (load s (Address.compose 0x05 1 0u) 1)

        testCase "PermissionDenied: read-only segments, unwritable accounts, fetch outside the program, a callee writing its caller's page" <| fun () ->
            let s = example ()
            expectFault PermissionDenied (store s Address.txnDataBase 1 0UL)
            expectFault PermissionDenied (store s (Address.accountMetaBase 2) 1 0UL)
            expectFault PermissionDenied (store s (Address.accountDataBase 3) 1 0UL) // owned by someone else
            expectFault PermissionDenied (store s (Address.programBase) 2 0UL)
            expectFault PermissionDenied (fetch s (Address.stackBase + 0xFFF000UL))
            let unmarked = { s with Accounts = s.Accounts |> Array.mapi (fun i a -> if i = 2 then { a with DataWritable = false } else a) }
            expectFault PermissionDenied (store unmarked (Address.accountDataBase 2) 8 0UL)
            let callee = { s with Shadow = { s.Shadow with CallDepth = 2; Frames = s.Shadow.Frames @ s.Shadow.Frames } }
            Expect.isTrue (load callee (Address.stackBase + 0xFFF000UL) 8 |> Result.isOk) "a callee reads its caller's stack"
            expectFault PermissionDenied (store callee (Address.stackBase + 0xFFF000UL) 8 0UL)

        testCase "AlignmentViolation: a misaligned load or store" <| fun () ->
            let s = example ()
            expectFault AlignmentViolation (load s (Address.txnDataBase + 1UL) 2)
            expectFault AlignmentViolation (store s (Address.stackBase + 0xFFF004UL) 8 0UL)

        testCase "PageBoundaryCross: only observable when the profile allows misaligned accesses" <| fun () ->
            let s = { example () with Profile = { Decisions.Profile.defaults with AllowMisaligned = true } }
            expectFault PageBoundaryCross (load s (Address.accountDataBase 2 + 4093UL) 8) // the spec's own example
            Expect.isTrue (load s (Address.accountDataBase 2 + 4089UL) 4 |> Result.isOk) "misaligned inside a page is allowed by this profile"

        testCase "ResourceExhaustion: the first write to an account-data page needs a pool page" <| fun () ->
            let s = example ()
            let s = { s with Pool = { s.Pool with Capacity = s.Pool.InUse } }
            expectFault ResourceExhaustion (store s (Address.accountDataBase 2) 8 1UL)
            let s = { s with Pool = { s.Pool with Capacity = s.Pool.InUse + 1 } }
            let s1 = (store s (Address.accountDataBase 2) 8 1UL |> Result.toOption).Value
            Expect.isTrue (store s1 (Address.accountDataBase 2 + 8UL) 8 2UL |> Result.isOk) "a second write to the same page is free"
            expectFault ResourceExhaustion (store s1 (Address.accountDataBase 2 + 4096UL) 8 2UL)

        testCase "the generators reach every segment and every violation, so the properties above are not vacuous" <| fun () ->
            let samples = Thru.Conform.Gen.Generators.sampleSeeded 11UL 300 (spaceWith genAccess)

            let outcomes =
                [ for s, accesses in samples do
                      for addr, size, kind in accesses ->
                          match resolve s addr size kind with
                          | Ok(TxnData _) -> "txn"
                          | Ok(ShadowStackAt _) -> "shadow"
                          | Ok(ProgramAt _) -> "program"
                          | Ok(BlockContextAt _) -> "block"
                          | Ok(MetaAt _) -> "meta"
                          | Ok(DataAt _) -> "data"
                          | Ok(StackAt _) -> "stack"
                          | Ok(HeapAt _) -> "heap"
                          | Error f -> sprintf "%A" f.Violation ]
                |> List.countBy id
                |> Map

            let expected =
                [ "txn"; "shadow"; "program"; "block"; "meta"; "data"; "stack"; "heap"; "InvalidAddress"; "InvalidSegment"; "PermissionDenied"; "AlignmentViolation" ]

            for e in expected do
                Expect.isGreaterThan (outcomes.TryFind e |> Option.defaultValue 0) 20 (sprintf "%s (all: %A)" e outcomes)
    ]
