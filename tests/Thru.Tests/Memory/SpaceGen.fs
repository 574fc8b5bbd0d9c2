/// Random Thru address spaces and edge-biased addresses for the memory-model properties.
module Thru.Tests.Memory.SpaceGen

open FsCheck
open FsCheck.FSharp
open Thru.Model
open Thru.Model.Memory
open Thru.Model.Memory.Layout
open Thru.Model.Memory.Paged
open Thru.Model.Memory.Space

let key (n: int) = Pubkey(Array.init 32 (fun i -> byte (n * 31 + i)))
let programKey = key 1

/// `n` pseudo-random bytes from one generated seed (generating each byte through FsCheck is slow).
let genBytes (n: int) : Gen<byte[]> =
    Gen.choose (0, System.Int32.MaxValue) |> Gen.map (fun seed -> let r = System.Random seed in Array.init n (fun _ -> byte (r.Next 256)))

let private genAccount (idx: int) : Gen<Account option> =
    gen {
        let! exists = Gen.frequency [ 5, Gen.constant true; 1, Gen.constant false ]
        let! size = Gen.frequency [ 2, Gen.constant 0; 3, Gen.choose (1, 3 * 4096 + 100); 1, Gen.elements [ 4096; 8192 ] ]
        let! data = genBytes size
        let! owner = Gen.frequency [ 3, Gen.constant programKey; 1, Gen.constant Pubkey.zero; 1, Gen.constant (key 99) ]
        let! flags = Gen.frequency [ 6, Gen.constant 0uy; 1, Gen.elements [ AccountFlags.program; AccountFlags.deleted; AccountFlags.ephemeral ] ]

        if not exists then return None
        elif idx = 1 then return Some { Account.create Pubkey.zero 0UL data with Meta = { (Account.create Pubkey.zero 0UL data).Meta with Flags = AccountFlags.program } }
        else return Some { Account.create owner 1000UL data with Meta = { (Account.create owner 1000UL data).Meta with Flags = flags } }
    }

/// A random space: 2..7 accounts, random read-write count, random writable marks, a depth of
/// 1..3 frames, stack and heap pages allocated at random depths, a pool of 0..8 free pages.
let genSpace: Gen<Space> =
    gen {
        let! count = Gen.choose (2, 7)
        let! accounts = [ 0 .. count - 1 ] |> List.map genAccount |> Gen.sequenceToList
        let! rw = Gen.choose (0, count - 2)
        let! txnLen = Gen.choose (176, 600)
        let! txn = genBytes txnLen
        let! code = genBytes 40
        let! blocks = Gen.choose (1, 600)
        let! depth = Gen.choose (1, 3)
        let! marks = Gen.listOfLength count (Gen.elements [ true; false ])
        let! stackSteps = Gen.listOfLength depth (Gen.choose (0, 3))
        let! heapSteps = Gen.listOfLength depth (Gen.choose (0, 2))
        let! free = Gen.choose (0, 8)
        let exe = (Executable.parse (Executable.build code) |> Result.toOption).Value

        let block i =
            { Slot = uint64 (1000 - i); BlockTime = 0UL; BlockPrice = 1UL; StateRoot = Array.zeroCreate 32; BlockHash = Array.create 32 (byte i)
              BlockProducer = Array.zeroCreate 32; WeightSlot = 0UL }

        let keys = [ for i in 0 .. count - 1 -> if i = 1 then programKey else key (i + 10) ]
        let s0 = Space.initial Decisions.Profile.defaults txn rw (List.zip keys accounts) exe (List.init blocks block) 64
        let s0 = { s0 with Accounts = s0.Accounts |> Array.mapi (fun i a -> { a with DataWritable = marks[i] }) }

        // Each depth in turn grows the stack and heap by a few pages, as nested frames would.
        let grow (s: Space) (d: int) =
            let stack, pool = (Anonymous.resize d (int64 (s.Stack.Size + 4096 * stackSteps[d - 1])) s.Stack s.Pool |> Result.toOption).Value
            let heap, pool = (Anonymous.resize d (int64 (s.Heap.Size + 4096 * heapSteps[d - 1])) s.Heap pool |> Result.toOption).Value
            { s with Stack = stack; Heap = heap; Pool = pool }

        let s = [ 1..depth ] |> List.fold grow s0
        let frame = s.Shadow.Frames.Head

        return
            { s with
                Shadow =
                    { s.Shadow with
                        CallDepth = depth
                        MaxCallDepth = depth
                        Frames = List.replicate depth frame }
                Pool = { s.Pool with Capacity = s.Pool.InUse + free } }
    }

let genSize = Gen.elements [ 1; 2; 4; 8 ]
let genKind = Gen.frequency [ 5, Gen.constant Read; 4, Gen.constant Write; 1, Gen.constant Fetch ]

/// Offsets near the places where a segment's rules change.
let private offsetFor (segType: int) (segIdx: int) =
    let near (points: int list) = Gen.zip (Gen.elements points) (Gen.choose (-24, 24)) |> Gen.map (fun (p, d) -> max 0 (min 0xFFFFFF (p + d)))

    match segType, segIdx with
    | 0x00, 0x0004 -> Gen.frequency [ 3, Gen.zip (Gen.choose (0, 600)) (Gen.choose (0, 140)) |> Gen.map (fun (k, o) -> k * 0x1000 + o); 1, near [ 0; 128; 0x1000 * 511 ] ]
    | 0x00, _ -> near [ 0; 62; 176; 300; 600; 4496; 40 ]
    | 0x02, _ -> near [ 0; 32; 56; 62; 64 ]
    | 0x03, _ -> Gen.frequency [ 3, Gen.choose (0, 3 * 4096 + 120); 1, near [ 4096; 8192; 12288 ] ]
    | 0x05, _ -> Gen.frequency [ 3, Gen.choose (0xFF0000, 0xFFFFFF); 1, near [ 0xFFC000; 0xFFD000; 0xFFE000; 0xFFF000 ] ]
    | 0x07, _ -> Gen.frequency [ 3, Gen.choose (0, 0x8000); 1, near [ 0x1000; 0x2000; 0x3000 ] ]
    | _ -> Gen.choose (0, 0xFFFFFF)

/// An access: (address, size, kind), aligned to its size most of the time, aimed mostly at
/// existing segments, sometimes with junk in the upper 16 bits.
let genAccess: Gen<uint64 * int * AccessKind> =
    gen {
        let! size = genSize
        let! kind = genKind
        let! segType = Gen.frequency [ 8, Gen.elements [ 0x00; 0x02; 0x03; 0x05; 0x07 ]; 1, Gen.elements [ 0x01; 0x04; 0x06; 0x08; 0xFF ] ]

        let! segIdx =
            match segType with
            | 0x00 -> Gen.frequency [ 8, Gen.choose (1, 4); 1, Gen.elements [ 0; 5; 0xFFFF ] ]
            | 0x05
            | 0x07 -> Gen.frequency [ 8, Gen.constant 0; 1, Gen.choose (1, 0xFFFF) ]
            | _ -> Gen.frequency [ 8, Gen.choose (0, 7); 1, Gen.choose (8, 0xFFFF) ]

        let! offset = offsetFor segType segIdx
        let! aligned = Gen.frequency [ 6, Gen.constant true; 1, Gen.constant false ]
        let offset = if aligned then offset / size * size else offset
        let! upper = Gen.frequency [ 12, Gen.constant 0UL; 1, Gen.choose (1, 0xFFFF) |> Gen.map uint64 ]
        return (upper <<< 48) ||| Address.compose segType segIdx (uint32 offset), size, kind
    }

/// Just the address of an access.
let genAddress: Gen<uint64> = genAccess |> Gen.map (fun (a, _, _) -> a)
