/// Executables: one test per malformed case, the entry state, and the ISA running over the Thru
/// address space (loads, stores and fetches through Space.port).
module Thru.Tests.Memory.ExecutableTests

open Expecto
open Thru.Tests.Support
open Thru.Model
open Thru.Model.Isa
open Thru.Model.Memory
open Thru.Model.Memory.Paged
open Thru.Model.Memory.Space
open Thru.Tests.Memory.SpaceGen

let private header = [| 1uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy |]
let private trailer = Array.zeroCreate<byte> 8

let private expectError (expected: Executable.ExecutableError) (image: byte[]) =
    match Executable.parse image with
    | Error e -> Expect.equal e expected (Executable.describe e)
    | Ok _ -> failtest (sprintf "accepted a malformed executable, expected %A" expected)

// ---------------------------------------------------------------------------------------
// The ISA over the Thru address space.
// ---------------------------------------------------------------------------------------

let private enc (ds: Decoded list) = ds |> List.collect (fun d -> List.ofArray (Encode.toBytes d).Value) |> Array.ofList

/// Step until ecall, a trap, or 1000 steps.
let rec private runThru (hart: Hart) (s: Space) (n: int) =
    if n = 1000 then hart, s, None
    else
        match Execute.step s.Profile Space.port hart s with
        | Execute.Retired(h, s') -> runThru h s' (n + 1)
        | Execute.EnvironmentCall -> hart, s, None
        | Execute.Trapped t -> hart, s, Some t

let private spaceFor (code: Decoded list) =
    let exe = (Executable.parse (Executable.build (enc code)) |> Result.toOption).Value
    let txn = Array.init 300 (fun i -> byte i)
    let meta = Account.create (key 77) 12345UL [| 9uy; 8uy; 7uy |]
    let s = Space.initial Decisions.Profile.defaults txn 1 [ key 10, Some meta; programKey, None; key 12, Some meta ] exe [] 8
    let stack, pool = (Anonymous.resize 1 4096L s.Stack s.Pool |> Result.toOption).Value
    { s with Stack = stack; Pool = pool }

[<Tests>]
let tests =
    testList "Memory.ExecutableTests" [
        testCase "malformed executables are refused with a specific error" <| fun () ->
            expectError (Executable.TooShort 15) (Array.zeroCreate 15 |> Array.mapi (fun i b -> if i = 0 then 1uy else b))
            expectError (Executable.TooShort 0) [||]
            let huge = Array.concat [ header; Array.zeroCreate (16 * 1024 * 1024 - 8); trailer ]
            expectError (Executable.TooLarge huge.Length) huge
            expectError Executable.ElfFile (Array.concat [ [| 0x7Fuy; byte 'E'; byte 'L'; byte 'F' |]; Array.zeroCreate 60 ])
            expectError (Executable.UnsupportedVersion 2uy) (Array.concat [ [| 2uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy |]; trailer ])
            expectError (Executable.UnsupportedVersion 0uy) (Array.zeroCreate 24)
            // Decision D-RESERVED: reserved bytes are checked only under the profile switch.
            let reserved = Array.concat [ [| 1uy; 0uy; 0uy; 0uy; 0uy; 0x42uy; 0uy; 0uy |]; trailer ]
            Expect.isTrue (Executable.parse reserved |> Result.isOk) "the default profile ignores reserved bytes"
            Expect.equal (Executable.parseWith { Decisions.Profile.defaults with ReservedMustBeZero = true } reserved) (Error(Executable.ReservedByteNotZero(5, 0x42uy))) "ReservedMustBeZero refuses it"
            expectError (Executable.TrailerNotZero(17, 0x95uy)) (Array.concat [ header; [| 0x95uy; 0uy |]; [| 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy |] |> Array.mapi (fun i b -> if i = 7 then 0x95uy else b) ])

        testCase "the spec's minimal example is valid, and so is an empty program" <| fun () ->
            let example = Array.concat [ header; [| 0x95uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy |]; trailer ]
            Expect.isTrue (Executable.parse example |> Result.isOk) "Executable.parse example |> Result.isOk"
            Expect.isTrue (Executable.parse (Array.append header trailer) |> Result.isOk) "Executable.parse (Array.append header trailer) |> Result.isOk"
            let exe = (Executable.parse example |> Result.toOption).Value
            Expect.equal exe.Segment.Length 16 "the program segment is the image after the header, trailer included"

        testCase "the older 4-byte trailer is a profile away" <| fun () ->
            let image = Array.concat [ header; [| 0x13uy; 0uy; 0uy; 0uy |]; [| 0uy; 0uy; 0uy; 0uy |] ]
            Expect.isTrue (Executable.parseWith { Decisions.Profile.defaults with TrailerSize = 4 } image |> Result.isOk) "a 4-byte trailer under TrailerSize = 4"
            Expect.isTrue (Executable.parseWith Decisions.Profile.defaults image |> Result.isError) "refused under the default 8-byte trailer"

        testCase "the uploader's 20-byte minimum image is a profile away" <| fun () ->
            // Decision D-IMAGE-MIN: the format page allows header + trailer (16 bytes); Thru's uploader wants 4 bytes of code.
            let empty = Array.append header trailer
            let uploader = { Decisions.Profile.defaults with MinCodeBytes = 4 }
            Expect.isTrue (Executable.parse empty |> Result.isOk) "16 bytes under the default profile"
            Expect.equal (Executable.parseWith uploader empty) (Error(Executable.TooShort 16)) "16 bytes under MinCodeBytes = 4"
            Expect.isTrue (Executable.parseWith uploader (Array.concat [ header; [| 0x13uy; 0uy; 0uy; 0uy |]; trailer ]) |> Result.isOk) "20 bytes under MinCodeBytes = 4"

        testCase "error messages name what is wrong" <| fun () ->
            Expect.stringContains (Executable.describe (Executable.UnsupportedVersion 7uy)) "0x07" "Executable.describe (Executable.UnsupportedVersion 7uy)"
            Expect.stringContains (Executable.describe (Executable.TrailerNotZero(30, 1uy))) "offset 30" "Executable.describe (Executable.TrailerNotZero(30, 1uy))"
            Expect.stringContains (Executable.describe Executable.ElfFile) "objcopy" "Executable.describe Executable.ElfFile"

        // ---------------------------------------------------------------- The ISA over the Thru address space

        testCase "a program at entry: pc in the program segment, a0/a1 the instruction data, a stack write and read, a metadata load" <| fun () ->
            // Build sp = 0x0500_0100_0000 (one past the stack top) with lui/slli, push, pop.
            let code =
                [ Full(Load(LBU, 5, 10, 0L)) //                       t0 = instr_data[0]
                  Full(OpImm(ADDI, 2, 0, 0x50L)) //                   sp = 0x50
                  Full(ShiftImm(SLLI, 2, 2, 36)) //                   sp = 0x0500_0000_0000
                  Full(LUI(6, 0x1000u)) //                            t1 = 0x0100_0000
                  Full(Op(ADD, 2, 2, 6)) //                           sp = 0x0500_0100_0000
                  Full(Store(SD, 2, 5, -8L)) //                       push t0
                  Full(Load(LD, 28, 2, -8L)) //                       t3 = pop
                  Full(AUIPC(7, 0u)) //                               t2 = this pc
                  Full(OpImm(ADDI, 29, 0, 0x2L)) //                   t4 = 2
                  Full(ShiftImm(SLLI, 29, 29, 40)) //                 t4 = 0x0200_0000_0000 (account 0 metadata)
                  Full(Load(LBU, 30, 29, 46L)) //                     t5 = low byte of balance
                  Full ECALL ]

            let s = spaceFor code
            let instrData = Address.txnDataBase + 112UL + 32UL
            let hart, _, trap = runThru (Executable.entryHart instrData 20UL) s 0
            let x r = Registers.get hart.Regs r
            Expect.equal trap None "trap"
            Expect.equal hart.Pc (Address.programBase + 44UL) "stopped at the ecall"
            Expect.equal (x 5) (uint64 (112 + 32)) "txn byte at the instruction data offset"
            Expect.equal (x 28) (x 5) "stack round trip"
            Expect.equal (x 7) (Address.programBase + 28UL) "auipc sees the program segment address"
            Expect.equal (x 30) (12345UL &&& 0xFFUL) "balance from the metadata view"
            Expect.equal (x 11) 20UL "x 11"

        testCase "running off the end of the code meets the trailer and stops with an illegal instruction" <| fun () ->
            let s = spaceFor [ Full(OpImm(ADDI, 5, 0, 1L)) ]
            let hart, _, trap = runThru (Executable.entryHart 0UL 0UL) s 0
            Expect.equal hart.Pc (Address.programBase + 4UL) "hart.Pc"
            Expect.equal trap (Some(IllegalInstruction(0u, ZeroParcel))) "trap"

        testCase "a store to the transaction data faults with a write access violation at its address" <| fun () ->
            let s = spaceFor [ Full(LUI(5, 0x1000u)); Full(Store(SB, 5, 0, 0L)) ]
            let hart, _, trap = runThru (Executable.entryHart 0UL 0UL) s 0
            Expect.equal hart.Pc (Address.programBase + 4UL) "hart.Pc"
            Expect.equal trap (Some(MemoryFault(AccessFault.make PermissionDenied 0x100_0000UL 1 Write))) "trap"

        testCase "the shadow stack and metadata layouts are byte-exact" <| fun () ->
            let frame: Layout.Frame = { ProgramAccIdx = 0x0102us; StackPages = 3us; HeapPages = 4us; SavedRegs = Array.init 32 uint64 }
            let shadow: Layout.ShadowStack = { CallDepth = 2; MaxCallDepth = 5; TotalStackPages = 6; TotalHeapPages = 7; Frames = [ frame; frame ] }
            let b = Layout.shadowStackBytes shadow
            Expect.equal b.Length 4496 "b.Length"
            Expect.equal (Bits.readLE b 0 2) 2UL "call_depth"
            Expect.equal (Bits.readLE b 2 2) 6UL "current_total_stack_pages"
            Expect.equal (Bits.readLE b 4 2) 7UL "current_total_heap_pages"
            Expect.equal (Bits.readLE b 6 2) 5UL "max_call_depth"
            Expect.isTrue (b[8 .. 8 + 263] |> Array.forall ((=) 0uy)) "the sentinel frame is zero"
            let f2 = 8 + 264 * 2
            Expect.equal (Bits.readLE b f2 2) 0x0102UL "frame 2 program_acc_idx"
            Expect.equal (Bits.readLE b (f2 + 4) 2) 4UL "heap_pages"
            Expect.equal (Bits.readLE b (f2 + 8 + 13 * 8) 8) 13UL "saved a3 = saved_regs[13]"
            Expect.isTrue (b[8 + 264 * 3 ..] |> Array.forall ((=) 0uy)) "frames above the depth are zero"
            let meta = { AccountMeta.create (key 3) with Flags = 0x21uy; DataSize = 0x01020304u; Seq = 9UL; Balance = 0x1122334455667788UL; Nonce = 42UL }
            let v = Layout.metaView meta
            Expect.equal v.Length 62 "v.Length"
            Expect.isTrue (v[0] = 1uy && v[1] = 0x21uy) "version and flags"
            Expect.equal (Bits.readLE v 2 4) 0x01020304UL "Bits.readLE v 2 4"
            Expect.equal (Bits.readLE v 6 8) 9UL "Bits.readLE v 6 8"
            Expect.isTrue (v[14..45] = (key 3).Bytes) "owner"
            Expect.equal (Bits.readLE v 46 8) 0x1122334455667788UL "Bits.readLE v 46 8"
            Expect.equal (Bits.readLE v 54 8) 42UL "Bits.readLE v 54 8"
            Expect.equal (Layout.metaOfView v) meta "Layout.metaOfView v"
            let r = Layout.metaRecord meta
            Expect.isTrue (r.Length = 64 && r[0] = 0xA3uy && r[1] = 0xC7uy) "the runtime record is 64 bytes, magic 0xC7A3 first"
    ]
