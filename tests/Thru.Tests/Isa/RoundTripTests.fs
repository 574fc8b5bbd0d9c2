/// The decoder and the encoder agree, and the decoder is total.
module Thru.Tests.Isa.RoundTripTests

open Expecto
open Thru.Tests.Support
open Thru.Model.Isa
open Thru.Conform.Gen.Generators
open Thru.Tests.Generators

/// Legal words per (quadrant, funct3) slot of 2048 words, derived by hand from the RVC table of
/// docs/spec/isa.md §3.4 (RV64C without F/D or Zcb):
///   Q0: 000 c.addi4spn: 2048 − 8 (nzuimm = 0: 7 reserved + the zero parcel); 001/101 C.FLD/FSD
///       and 100 (Zcb) illegal; 010/011/110/111 loads and stores all legal.
///   Q1: 001 c.addiw: −64 (rd = x0); 011: c.addi16sp 63 of 64, c.lui 31 rd × 63 nonzero = 1953;
///       100: 3 × 512 shifts/andi + 256 sub/xor/or/and + 128 subw/addw (the other 128 are Zcb).
///   Q2: 001/101 FP illegal; 010/011 −64 (rd = x0); 100: all but c.jr x0.
let private legalPerSlot =
    Map
        [ (0, 0), 2040; (0, 1), 0; (0, 2), 2048; (0, 3), 2048; (0, 4), 0; (0, 5), 0; (0, 6), 2048; (0, 7), 2048
          (1, 0), 2048; (1, 1), 1984; (1, 2), 2048; (1, 3), 2016; (1, 4), 1920; (1, 5), 2048; (1, 6), 2048; (1, 7), 2048
          (2, 0), 2048; (2, 1), 0; (2, 2), 1984; (2, 3), 1984; (2, 4), 2047; (2, 5), 0; (2, 6), 2048; (2, 7), 2048 ]

/// FsCheck's settings for the properties below: the instruction generators (Arbs), `maxTest`
/// cases, and a fixed seed (THRU_TEST_SEED overrides it), so that every run checks the same cases.
let private config (seed: uint64) (maxTest: int) =
    { FsCheckConfig.defaultConfig with
        maxTest = maxTest
        arbitrary = [ typeof<Arbs> ]
        replay = Some(testSeed seed, 0x9E3779B97F4A7C15UL, None) }

[<Tests>]
let tests =
    testList "Isa.RoundTripTests" [
        testPropertyWithConfig (config 11UL 20000) "decode (encode i) = i for every 32-bit instruction" <| fun (i: Instr) ->
            Decode.decode32 (Encode.encode32 i) = Full i

        testPropertyWithConfig (config 12UL 20000) "decode (encode c) = c for every compressed instruction" <| fun (c: CInstr) ->
            Decode.decode16 (Encode.encode16 c) = Compressed c

        testPropertyWithConfig (config 13UL 5000) "a 32-bit encoding ends in 11 and a 16-bit one does not" <| fun (i: Instr) (c: CInstr) ->
            Encode.encode32 i &&& 3u = 3u && Encode.encode16 c &&& 3us <> 3us

        testCase "every 16-bit word decodes; legal ones re-encode to themselves; legal counts match the RVC table" <| fun () ->
            let decoded = [ for w in 0..0xFFFF -> uint16 w, Decode.decode16 (uint16 w) ]

            for p, d in decoded do
                match d with
                | Compressed c -> Expect.equal (Encode.encode16 c) p (sprintf "0x%04x" p)
                | Full _ -> failtest (sprintf "a 16-bit word decoded as a 32-bit instruction: 0x%04x" p)
                | Illegal _ -> ()

            let counted =
                decoded
                |> List.filter (fun (p, d) -> p &&& 3us <> 3us && (match d with Compressed _ -> true | _ -> false))
                |> List.countBy (fun (p, _) -> int (p &&& 3us), int (p >>> 13))
                |> Map

            for KeyValue(slot, expected) in legalPerSlot do
                Expect.equal (counted.TryFind slot |> Option.defaultValue 0) expected (sprintf "quadrant/funct3 %A" slot)

        testCase "a million random 32-bit words decode, and legal ones re-encode to themselves" <| fun () ->
            let rng = System.Random 12345

            for _ in 1 .. 1 <<< 20 do
                let w = (uint32 (rng.NextInt64(0L, 1L <<< 30)) <<< 2) ||| 3u

                match Decode.decode32 w with
                | Full i -> Expect.equal (Encode.encode32 i) w (sprintf "0x%08x" w)
                | Compressed _ -> failtest (sprintf "a 32-bit word decoded as compressed: 0x%08x" w)
                | Illegal _ -> ()

        testCase "the zero parcel and the executable trailer are illegal" <| fun () ->
            Expect.equal (Decode.decode16 0us) (Illegal ZeroParcel) "Decode.decode16 0us"
            Expect.equal (Decode.decode 0us 0us) (Illegal ZeroParcel) "Decode.decode 0us 0us"

        testCase "named illegal encodings" <| fun () ->
            let cases =
                [ 0x0000100Fu, Unsupported "Zifencei" // fence.i
                  0xC0002573u, Unsupported "Zicsr" // csrr a0, cycle
                  0x30200073u, Unsupported "privileged" // mret
                  0x10500073u, Unsupported "privileged" // wfi
                  0x0005252Fu, Unsupported "A" // amoadd.w? (AMO opcode)
                  0x00053507u, Unsupported "F/D/Q" // fld
                  0x0000001Fu, LongEncoding
                  0x0200101Bu, Reserved "32-bit shift with shamt[5]=1" // slliw with shamt 32
                  0x00007003u, Reserved "load with funct3=111"
                  0x0000A063u, Reserved "branch with funct3=010/011" ]

            for w, reason in cases do
                Expect.equal (Decode.decode32 w) (Illegal reason) (sprintf "0x%08x" w)

            let compressed =
                [ 0x0000us, ZeroParcel
                  0x0004us, Reserved "c.addi4spn with nzuimm=0"
                  0x2000us, Unsupported "D" // c.fld
                  0x8000us, Unsupported "Zcb"
                  0x6101us, Reserved "c.addi16sp with nzimm=0"
                  0x6501us, Reserved "c.lui with nzimm=0"
                  0x2001us, Reserved "c.addiw with rd=x0"
                  0x4002us, Reserved "c.lwsp with rd=x0"
                  0x8002us, Reserved "c.jr with rs1=x0" ]

            for w, reason in compressed do
                Expect.equal (Decode.decode16 w) (Illegal reason) (sprintf "0x%04x" w)
    ]
