/// The engine (engine/, C#) against the model (model/, F#) in raw mode. The two are written
/// independently; these tests hold them together: every register, the pc, the stop, the fault
/// kind, the retired-instruction count and the memory must agree, on random programs (whole
/// runs and runs cut by small step limits, so the limit falls inside a pre-decoded block), on
/// self-modifying code, on single instructions from preset registers (every 16-bit parcel,
/// random 32-bit words, every computational instruction), and on fetch and access faults at
/// the edges of the region. A failing random program is saved to artifacts/counterexamples/.
module Thru.Tests.Engine.RawDifferentialTests

open System
open Expecto
open Thru.Tests.Support
open FsCheck
open FsCheck.FSharp
open Thru.Model
open Thru.Model.Isa
open Thru.Compare
open Thru.Engine
open Thru.Conform.Gen.Generators
open Thru.Tests.Generators
open Thru.Tests.Oracle.RawPrograms

let baseAddress = 0x8000_0000UL
let maxSteps = 400L
let regionSize = 0x100_0000UL

/// One side of a comparison: the observation and a window of memory after the run.
type Side = { Obs: RawObservation.RawObservation; Window: byte[] }

/// The model's memory window: what `Raw.FlatMemory.readBytes` returns, computed from the image and
/// the overlay of written words directly (readBytes looks every byte up, which costs more than the
/// run itself in these tests). A test below checks that the two agree.
let modelWindow (m: Raw.FlatMemory) (addr: uint64) (len: int) =
    let window = Array.zeroCreate<byte> len

    for i in 0 .. len - 1 do
        let o = addr + uint64 i - m.Base
        if o < uint64 m.Image.Length then window[i] <- m.Image[int o]

    for KeyValue(w, v) in m.Words do
        for j in 0..7 do
            let k = w + uint64 j - addr
            if k < uint64 len then window[int k] <- byte (v >>> (8 * j))

    window

/// Run the model from `regs` (32 values) and `pc`.
let runModelFrom (image: byte[]) (baseAddr: uint64) (regs: uint64[]) (pc: uint64) (steps: int64) (windowAddr: uint64) (windowLen: int) =
    match Raw.load image baseAddr with
    | Error e -> failwithf "model refused the image: %s" (Raw.describeLoadError e)
    | Ok mem ->
        let r = Raw.runFrom Decisions.Profile.defaults steps { Pc = pc; Regs = Registers.ofArray regs } mem
        { Obs = RawObservation.ofModel r; Window = modelWindow r.Memory windowAddr windowLen }

/// Run the engine from `regs` (32 values) and `pc`.
let runEngineFrom (image: byte[]) (baseAddr: uint64) (regs: uint64[]) (pc: uint64) (steps: int64) (windowAddr: uint64) (windowLen: int) =
    let r = RawMode.Run(ReadOnlySpan image, baseAddr, steps, ReadOnlySpan regs, pc, windowAddr, windowLen)
    { Obs = RawObservation.ofEngine r; Window = r.Window }

let private zeroRegs = Array.zeroCreate<uint64> 32

/// Every difference between the two sides (observation fields, then the memory window).
let differences (model: Side) (engine: Side) =
    RawObservation.differences model.Obs engine.Obs
    @ (if model.Window <> engine.Window then
           let i = Array.findIndex id (Array.map2 (<>) model.Window engine.Window)
           [ sprintf "memory differs first at window offset 0x%x: 0x%02x vs 0x%02x" i model.Window[i] engine.Window[i] ]
       else [])

/// Model and engine on a whole image from zero registers at the base; the window is the data area.
let compareImage (image: byte[]) (baseAddr: uint64) (steps: int64) =
    let w = baseAddr + uint64 dataOffset
    let model = runModelFrom image baseAddr zeroRegs baseAddr steps w dataSize
    let engine = runEngineFrom image baseAddr zeroRegs baseAddr steps w dataSize
    model, differences model engine

/// Save a program on which the engine and the model differ as a fixture (expected = the model),
/// like the Unicorn property does; once understood, it moves to tests/Thru.Tests/Fixtures/raw/.
let saveCounterexample (image: byte[]) (baseAddr: uint64) (steps: int64) (model: RawObservation.RawObservation) =
    let dir = IO.Path.Combine(artifactsDir, "counterexamples")
    IO.Directory.CreateDirectory dir |> ignore
    let name = sprintf "engine-%08x" (hash image)

    let fixture: Fixture.RawFixture =
        { Name = name
          Description = "counterexample of the model-vs-engine property"
          Base = baseAddr
          MaxSteps = steps
          Image = image
          Oracle = Some "engine"
          Expected = model }

    let path = IO.Path.Combine(dir, name + ".json")
    IO.File.WriteAllText(path, Json.render (Fixture.rawToJson fixture))
    path

/// Compare many (image, base, steps) cases on both cores; describe the failures.
let private compareAll (cases: (RawProgram * uint64 * int64)[]) =
    cases
    |> Array.Parallel.choose (fun (p, b, steps) ->
        match compareImage p.Image b steps with
        | _, [] -> None
        | model, ds ->
            let saved = saveCounterexample p.Image b steps model.Obs
            Some(sprintf "base 0x%x, maxSteps %d\n%s\n(saved as %s)\n--- model vs engine:\n%s" b steps (string p) saved (String.concat "\n" ds)))

let private assertNoFailures (what: string) (total: int) (failures: string[]) =
    expectEmpty failures (sprintf "%d of %d %s differ; first:\n%s" failures.Length total what (Array.tryHead failures |> Option.defaultValue ""))

/// `n` values of `gen`, generated on every core in 8 deterministic chunks (seeds derived from `seed`).
let private sampleParallel (seed: uint64) (n: int) (gen: Gen<'T>) : 'T[] =
    let chunks = 8
    Array.Parallel.init chunks (fun c -> sampleSeeded (seed * 0x100UL + uint64 c) (n / chunks + (if c < n % chunks then 1 else 0)) gen)
    |> Array.concat

// ------------------------------------------------------------------ single instructions from preset registers

/// Register values: edge values, and pointers (mostly 8-byte aligned) into a page of the region.
let private genRegs: Gen<uint64[]> =
    let pointer =
        Gen.frequency
            [ 4, Gen.choose (0, 511) |> Gen.map (fun k -> baseAddress + 0x2000UL + uint64 (8 * k))
              1, Gen.choose (0, 4095) |> Gen.map (fun k -> baseAddress + 0x2000UL + uint64 k) ]

    Gen.arrayOfLength 31 (Gen.frequency [ 2, pointer; 3, edgeValue ]) |> Gen.map (Array.append [| 0UL |])

let private ecallBytes = (Encode.toBytes (Full ECALL)).Value

/// `code` then ecall at the base, run from `regs`; compares registers, pc, stop, count and the page the pointers aim at.
let private compareStraightLine (code: byte[]) (regs: uint64[]) (steps: int64) =
    let image = Array.append code ecallBytes
    let w = baseAddress + 0x2000UL
    let model = runModelFrom image baseAddress regs baseAddress steps w 4096
    let engine = runEngineFrom image baseAddress regs baseAddress steps w 4096
    differences model engine

let private straightLineFailures (cases: (byte[] * uint64[])[]) (describe: byte[] -> string) (steps: int64) =
    cases
    |> Array.Parallel.choose (fun (code, regs) ->
        match compareStraightLine code regs steps with
        | [] -> None
        | ds -> Some(sprintf "%s\nregs: %s\n--- model vs engine:\n%s" (describe code) (regs |> Array.map (sprintf "0x%x") |> String.concat " ") (String.concat "\n" ds)))

let private describeCode (code: byte[]) =
    let low = uint16 code[0] ||| (uint16 code[1] <<< 8)
    let high = if code.Length >= 4 then uint16 code[2] ||| (uint16 code[3] <<< 8) else 0us
    let d = Decode.decode low high
    sprintf "%s (bytes %s)" (Disasm.decoded (Some baseAddress) (uint32 low ||| (uint32 high <<< 16)) (Decode.length low) d) (Convert.ToHexString code)

/// Computational instructions (every OP, OP-IMM, shift, unary, LUI, AUIPC form) and every
/// compressed instruction that is not a control transfer.
let computational32 =
    genInstr
    |> Gen.filter (fun i ->
        match i with
        | OpImm _ | ShiftImm _ | Op _ | Unary _ | LUI _ | AUIPC _ -> true
        | _ -> false)

let computational16 =
    genCInstr
    |> Gen.filter (fun c ->
        match c with
        | C_J _ | C_BEQZ _ | C_BNEZ _ | C_JR _ | C_JALR _ | C_EBREAK -> false
        | _ -> true)

// ------------------------------------------------------------------ hand-built programs

/// Lay out (offset, instruction) pairs in an image of `size` bytes.
let private assemble (size: int) (code: (int * Decoded) list) =
    let image = Array.zeroCreate<byte> size
    for offset, d in code do
        (Encode.toBytes d).Value.CopyTo(image, offset)
    image

/// lui + addi loading the 32-bit value `v` (sign-extended) into rd.
let private li32 (rd: Reg) (v: uint32) =
    let v = int64 (int32 v)
    let hi = (v + 0x800L) >>> 12
    let lo = v - (hi <<< 12)
    [ Full(LUI(rd, uint32 hi &&& 0xFFFFFu)); Full(OpImm(ADDIW, rd, rd, lo)) ]

/// Consecutive instructions from `offset`.
let private at (offset: int) (ds: Decoded list) =
    ds |> List.mapFold (fun off d -> (off, d), off + (Encode.toBytes d).Value.Length) offset |> fst

/// Run on both from zero registers at the base; assert they agree and return the model's observation.
let private agree (name: string) (image: byte[]) (baseAddr: uint64) (steps: int64) =
    let model = runModelFrom image baseAddr zeroRegs baseAddr steps baseAddr 8192
    let mem = (Raw.load image baseAddr |> Result.toOption).Value
    let run = Raw.runFrom Decisions.Profile.defaults steps (Hart.at baseAddr) mem
    Expect.isTrue (model.Window = Raw.FlatMemory.readBytes run.Memory baseAddr 8192) "modelWindow = readBytes"
    let engine = runEngineFrom image baseAddr zeroRegs baseAddr steps baseAddr 8192
    expectEmpty (differences model engine) (sprintf "%s: model vs engine" name)
    model.Obs

let private enc32 (i: Instr) = Encode.encode32 i

[<Tests>]
let tests =
    testList "Engine.RawDifferentialTests" [
        // ---------------------------------------------------------------- random programs

        Tiers.testDifferential "the engine agrees with the model on 20000 random programs" [ "interpreter"; "compiled" ] <| fun tier ->
            use _ = Tiers.select tier
            let programs = sampleParallel (testSeed 51UL) 20_000 (genProgram AllExtensions baseAddress)
            let failures = compareAll (programs |> Array.map (fun p -> p, baseAddress, maxSteps))
            assertNoFailures "programs" programs.Length failures

        Tiers.testDifferential "the engine agrees with the model when the step limit falls inside a block" [ "interpreter"; "compiled" ] <| fun tier ->
            use _ = Tiers.select tier
            let programs = sampleParallel (testSeed 52UL) 1_500 (genProgram AllExtensions baseAddress)
            let rnd = Random(int (testSeed 52UL))

            let cases =
                programs
                |> Array.collect (fun p ->
                    // The full run's length n; then limits 0, 1, 2, a few random ones up to n, n - 1, n and n + 1.
                    let full, _ = compareImage p.Image baseAddress maxSteps
                    let n = full.Obs.Instructions
                    Array.append [| 0L; 1L; 2L; n - 1L; n; n + 1L |] (Array.init 4 (fun _ -> rnd.NextInt64(0L, n + 1L)))
                    |> Array.filter (fun k -> k >= 0L)
                    |> Array.distinct
                    |> Array.map (fun k -> p, baseAddress, k))

            assertNoFailures "limited runs" cases.Length (compareAll cases)

        Tiers.testDifferential "the engine agrees with the model at the bottom and the top of the address space" [ "interpreter"; "compiled" ] <| fun tier ->
            use _ = Tiers.select tier
            let low = sampleParallel (testSeed 53UL) 500 (genProgram AllExtensions 0UL)
            let topBase = UInt64.MaxValue - regionSize + 1UL
            let high = sampleParallel (testSeed 54UL) 500 (genProgram AllExtensions topBase)
            let cases = Array.append (low |> Array.map (fun p -> p, 0UL, maxSteps)) (high |> Array.map (fun p -> p, topBase, maxSteps))
            assertNoFailures "programs" cases.Length (compareAll cases)

        // ---------------------------------------------------------------- single instructions from preset registers

        Tiers.testDifferential "every computational instruction agrees from preset registers" [ "interpreter"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            let gen =
                Gen.zip (Gen.frequency [ 3, computational32 |> Gen.map Full; 1, computational16 |> Gen.map Compressed ]) genRegs

            let cases = sampleParallel (testSeed 55UL) 20_000 gen
            let failures = straightLineFailures (cases |> Array.map (fun (d, regs) -> (Encode.toBytes d).Value, regs)) describeCode 4L
            assertNoFailures "instructions" cases.Length failures

            // Every mnemonic of those forms was exercised.
            let seen = cases |> Array.map (fst >> Disasm.mnemonic) |> Set.ofArray

            let expected =
                [ for op in allCases<RegOp> () -> Disasm.mnemonic (Full(Op(op, 1, 2, 3)))
                  for op in allCases<ImmOp> () -> Disasm.mnemonic (Full(OpImm(op, 1, 2, 3L)))
                  for op in allCases<ShiftImmOp> () -> Disasm.mnemonic (Full(ShiftImm(op, 1, 2, 3)))
                  for op in allCases<UnaryOp> () -> Disasm.mnemonic (Full(Unary(op, 1, 2))) ]
                |> Set.ofList

            Soak.fixedSeedOnly (fun () -> expectEmpty (Set.difference expected seen) "mnemonics never generated")

        Tiers.testDifferential "every 16-bit parcel agrees from preset registers" [ "interpreter"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            let regs = sampleParallel (testSeed 56UL) 65_536 genRegs
            let cases = Array.init 65_536 (fun p -> [| byte p; byte (p >>> 8) |], regs[p])
            // 32-bit low parcels take the first half of the ecall as their high half: legal or not, both must agree.
            assertNoFailures "parcels" cases.Length (straightLineFailures cases describeCode 3L)

        Tiers.testDifferential "random 32-bit words agree from preset registers" [ "interpreter"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            let majors = [ 0x03; 0x0F; 0x13; 0x17; 0x1B; 0x23; 0x33; 0x37; 0x3B; 0x63; 0x67; 0x6F; 0x73 ]

            let word =
                Gen.frequency
                    [ 6, Gen.map2 (fun (w: int) m -> (uint32 w &&& ~~~0x7Fu) ||| uint32 m) anyInt (Gen.elements majors)
                      // Funct7 values of the extensions, with a random funct3 and registers.
                      3,
                      Gen.map3
                          (fun (w: int) m f7 -> (uint32 w &&& 0x01FF_FF80u) ||| uint32 m ||| (uint32 f7 <<< 25))
                          anyInt
                          (Gen.elements [ 0x13; 0x1B; 0x33; 0x3B ])
                          (Gen.elements [ 0x00; 0x01; 0x04; 0x05; 0x08; 0x10; 0x14; 0x20; 0x24; 0x30; 0x34; 0x35; 0x03; 0x02 ])
                      1, anyInt |> Gen.map (fun w -> uint32 w ||| 3u) ]

            let cases = sampleParallel (testSeed 57UL) 20_000 (Gen.zip word genRegs)
            let failures = straightLineFailures (cases |> Array.map (fun (w, regs) -> BitConverter.GetBytes w, regs)) describeCode 3L
            assertNoFailures "words" cases.Length failures

        // ---------------------------------------------------------------- hand-built programs

        Tiers.testTiers "self-modifying code: a store over a later instruction takes effect" [ "interpreter"; "compiled"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            let patched = enc32 (OpImm(ADDI, 7, 0, 42L))

            // The patched instruction is two slots after the store, in the same block.
            let image =
                assemble 0x100 (at 0 ([ Full(AUIPC(5, 0u)) ] @ li32 6 patched @ [ Full(Store(SW, 5, 6, 0x14L)); Full(FENCE(0, 15, 15, 0, 0)); Full(OpImm(ADDI, 7, 0, 1L)); Full ECALL ]))

            let o = agree "forward patch" image baseAddress 100L
            Expect.equal (o.Stop, o.Regs[7], o.Instructions) ("ecall", 42UL, 6L) "(o.Stop, o.Regs[7], o.Instructions)"

            // The patched instruction is the one right after the store.
            let image = assemble 0x100 (at 0 ([ Full(AUIPC(5, 0u)) ] @ li32 6 patched @ [ Full(Store(SW, 5, 6, 0x10L)); Full(OpImm(ADDI, 7, 0, 1L)); Full ECALL ]))
            let o = agree "next-instruction patch" image baseAddress 100L
            Expect.equal (o.Stop, o.Regs[7]) ("ecall", 42UL) "(o.Stop, o.Regs[7])"

            // A store that overwrites itself: it has already executed; the next instruction runs as before.
            let image = assemble 0x100 (at 0 ([ Full(AUIPC(5, 0u)); Full(Store(SW, 5, 0, 4L)); Full(OpImm(ADDI, 7, 0, 3L)); Full ECALL ]))
            let o = agree "self-overwriting store" image baseAddress 100L
            Expect.equal (o.Stop, o.Regs[7]) ("ecall", 3UL) "(o.Stop, o.Regs[7])"

        Tiers.testTiers "self-modifying code: already executed code is decoded again after a store" [ "interpreter"; "compiled"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            let patched = enc32 (OpImm(ADDI, 7, 7, 100L))
            // x8 counts two passes over L; after the first, L is patched.
            //   0x00 auipc x5; 0x04 li x6 (2); 0x0C addi x8, x0, 2
            //   0x10 L: addi x7, x7, 1; 0x14 addi x8, x8, -1; 0x18 beq x8, x0, end; 0x1C sw x6, 0x10(x5); 0x20 jal L; 0x24 end: ecall
            let image =
                assemble
                    0x100
                    (at 0 ([ Full(AUIPC(5, 0u)) ] @ li32 6 patched)
                     @ at 0x0C [ Full(OpImm(ADDI, 8, 0, 2L)); Full(OpImm(ADDI, 7, 7, 1L)); Full(OpImm(ADDI, 8, 8, -1L)); Full(Branch(BEQ, 8, 0, 12L)); Full(Store(SW, 5, 6, 0x10L)); Full(JAL(0, -16L)); Full ECALL ])

            let o = agree "loop patch" image baseAddress 100L
            Expect.equal (o.Stop, o.Regs[7]) ("ecall", 101UL) "(o.Stop, o.Regs[7])"

            // The same with a compressed instruction patched by a halfword store: c.li x7, 1 becomes c.li x7, 5.
            let patched16 = Encode.encode16 (C_LI(7, 5))
            //   0x00 auipc x5; 0x04 li x6; 0x0C addi x8, x0, 2; 0x10 L: c.li x7, 1; c.add x9, x7; addi x8, x8, -1;
            //   beq x8, x0, end; sh x6, 0x10(x5); jal L; end: ecall
            let image =
                assemble
                    0x100
                    (at 0 ([ Full(AUIPC(5, 0u)) ] @ li32 6 (uint32 patched16))
                     @ at 0x0C [ Full(OpImm(ADDI, 8, 0, 2L)); Compressed(C_LI(7, 1)); Compressed(C_ADD(9, 7)); Full(OpImm(ADDI, 8, 8, -1L)); Full(Branch(BEQ, 8, 0, 12L)); Full(Store(SH, 5, 6, 0x10L)); Full(JAL(0, -16L)); Full ECALL ])

            let o = agree "compressed patch" image baseAddress 100L
            Expect.equal (o.Stop, o.Regs[9]) ("ecall", 6UL) "(o.Stop, o.Regs[9])"

        Tiers.testTiers "self-modifying code: code written into a data page, run, and patched twice" [ "interpreter"; "compiled"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            // x9 = a fresh page. Write "addi x7, x7, 1; ret" there (the page is data: its stores may be cached),
            // call it, patch the addi to +100, call, patch it to +1000 (a second store into a page that holds
            // decoded code), call: x7 = 1101.
            let word (i: Instr) = li32 6 (enc32 i)
            let call = Full(JALR(1, 9, 0L))

            let code =
                [ Full(AUIPC(5, 0u)); Full(LUI(9, 1u)); Full(Op(ADD, 9, 9, 5)) ]
                @ word (OpImm(ADDI, 7, 7, 1L)) @ [ Full(Store(SW, 9, 6, 0L)) ]
                @ word (JALR(0, 1, 0L)) @ [ Full(Store(SW, 9, 6, 4L)); call ]
                @ word (OpImm(ADDI, 7, 7, 100L)) @ [ Full(Store(SW, 9, 6, 0L)); call ]
                @ word (OpImm(ADDI, 7, 7, 1000L)) @ [ Full(Store(SW, 9, 6, 0L)); call; Full ECALL ]

            let o = agree "patched twice" (assemble 0x100 (at 0 code)) baseAddress 100L
            Expect.equal (o.Stop, o.Regs[7]) ("ecall", 1101UL) "(o.Stop, o.Regs[7])"

        Tiers.testTiers "self-modifying code: a store into the second half of an instruction straddling two pages" [ "interpreter"; "compiled"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            let patched = enc32 (OpImm(ADDI, 7, 7, 100L))
            // 0x000 auipc x5; li x6 = high half of the patched word; lui x9, 1; add x9, x9, x5; addi x8, x0, 2; jal 0xFFE
            // 0xFFE addi x7, x7, 1 (its high half at 0x1000); 0x1002 addi x8, x8, -1; beq x8, x0, end; sh x6, 0(x9); jal 0xFFE; end: ecall
            let setup = [ Full(AUIPC(5, 0u)) ] @ li32 6 (patched >>> 16) @ [ Full(LUI(9, 1u)); Full(Op(ADD, 9, 9, 5)); Full(OpImm(ADDI, 8, 0, 2L)) ]
            let setupCode = at 0 setup
            let jalAt = setupCode |> List.last |> fst |> (+) 4

            let image =
                assemble
                    0x2000
                    (setupCode
                     @ [ jalAt, Full(JAL(0, int64 (0xFFE - jalAt))) ]
                     @ at 0xFFE [ Full(OpImm(ADDI, 7, 7, 1L)); Full(OpImm(ADDI, 8, 8, -1L)); Full(Branch(BEQ, 8, 0, 12L)); Full(Store(SH, 9, 6, 0L)); Full(JAL(0, -16L)); Full ECALL ])

            let o = agree "straddling patch" image baseAddress 100L
            Expect.equal (o.Stop, o.Regs[7]) ("ecall", 101UL) "(o.Stop, o.Regs[7])"

        Tiers.testTiers "code spread over many pages agrees at every step limit" [ "interpreter"; "compiled"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            // main calls a function in pages 1, 65, 2, 129, 3 (65 and 129 share page 1's code-TLB entry) five
            // times, then runs a sequence that falls through from page 200 into page 201 with a 32-bit
            // instruction straddling the two. Every limit from 0 to the end cuts it somewhere else.
            let pages = [ 1; 65; 2; 129; 3 ]

            let main =
                [ Full(AUIPC(9, 0u)); Full(OpImm(ADDI, 8, 0, 5L)) ]
                @ [ for p in pages do
                        Full(LUI(5, uint32 p))
                        Full(Op(ADD, 5, 5, 9))
                        Full(JALR(1, 5, 0L)) ]
                @ [ Full(OpImm(ADDI, 8, 8, -1L)); Full(Branch(BNE, 8, 0, -4L * int64 (3 * pages.Length + 1))) ]
                @ [ Full(LUI(5, 201u)); Full(Op(ADD, 5, 5, 9)); Full(JALR(1, 5, -16L)); Full ECALL ]

            let functions = [ for p in pages -> at (p * 0x1000) [ Full(OpImm(ADDI, 7, 7, int64 p)); Full(JALR(0, 1, 0L)) ] ]
            let fallThrough = at (201 * 0x1000 - 16) ([ for _ in 1..7 -> Compressed(C_ADDI(7, 1)) ] @ [ Full(OpImm(ADDI, 7, 7, 1000L)); Compressed(C_ADDI(7, 1)); Full(JALR(0, 1, 0L)) ])
            let image = assemble (202 * 0x1000) (at 0 main @ List.concat functions @ fallThrough)
            let full = agree "whole run" image baseAddress 10_000L
            Expect.equal (full.Stop, full.Regs[7]) ("ecall", uint64 (5 * List.sum pages + 7 + 1000 + 1)) "(full.Stop, full.Regs[7])"

            for steps in 0L .. full.Instructions + 1L do
                let model = runModelFrom image baseAddress zeroRegs baseAddress steps baseAddress 0
                let engine = runEngineFrom image baseAddress zeroRegs baseAddress steps baseAddress 0
                expectEmpty (differences model engine) (sprintf "maxSteps %d" steps)

        Tiers.testTiers "fetch faults: straddling the end of the region, falling off it, jumping out of it" [ "interpreter"; "compiled"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            let full = int regionSize
            let last = full - 2
            // auipc x6, 0 (= base); lui x5, 0x1000 (= 16 MiB); add x5, x5, x6 (= end of the region); then a jump.
            let toEnd = [ Full(AUIPC(6, 0u)); Full(LUI(5, 0x1000u)); Full(Op(ADD, 5, 5, 6)) ]

            // A 32-bit instruction whose second parcel lies past the end.
            let image = assemble full (at 0 (toEnd @ [ Full(JALR(0, 5, -2L)) ]))
            image[last] <- 0x13uy // low parcel of addi x0, x0, 0
            image[last + 1] <- 0x05uy
            let o = agree "straddling the end" image baseAddress 100L
            Expect.equal (o.Stop, o.Fault, o.Pc, o.Instructions) ("fault", Some "invalid-address", baseAddress + uint64 last, 4L) "(o.Stop, o.Fault, o.Pc, o.Instructions)"

            // A 48-bit encoding in the last parcel: the model fetches a second parcel first (so: invalid-address).
            image[last] <- 0x1Fuy
            image[last + 1] <- 0x00uy
            let o = agree "48-bit encoding at the end" image baseAddress 100L
            Expect.equal o.Stop "fault" "o.Stop"

            // The same 48-bit encoding inside the region: illegal.
            let o = agree "48-bit encoding" (Array.append [| 0x1Fuy; 0uy; 0uy; 0uy |] ecallBytes) baseAddress 100L
            Expect.equal (o.Stop, o.Fault) ("fault", Some "illegal-instruction") "(o.Stop, o.Fault)"

            // A 16-bit instruction in the last parcel: the next fetch is past the end.
            let image = assemble full (at 0 (toEnd @ [ Full(JALR(0, 5, -2L)) ]) @ [ last, Compressed(C_NOP 0) ])
            let o = agree "falling off the end" image baseAddress 100L
            Expect.equal (o.Stop, o.Fault, o.Pc, o.Instructions) ("fault", Some "invalid-address", baseAddress + regionSize, 5L) "(o.Stop, o.Fault, o.Pc, o.Instructions)"

            // Jumps just past the end and just below the base.
            let o = agree "jump past the end" (assemble 0x100 (at 0 (toEnd @ [ Full(JALR(0, 5, 0L)) ]))) baseAddress 100L
            Expect.equal (o.Stop, o.Fault, o.Pc) ("fault", Some "invalid-address", baseAddress + regionSize) "(o.Stop, o.Fault, o.Pc)"
            let o = agree "jump below the base" (assemble 0x100 (at 0 [ Full(AUIPC(6, 0u)); Full(JALR(0, 6, -2L)) ])) baseAddress 100L
            Expect.equal (o.Stop, o.Fault, o.Pc) ("fault", Some "invalid-address", baseAddress - 2UL) "(o.Stop, o.Fault, o.Pc)"

            // A jump to a page of the region that holds nothing (the 0x0000 parcel): illegal.
            let o = agree "jump into zeros" (assemble 0x100 (at 0 [ Full(LUI(5, 0x10u)); Full(JALR(0, 5, 0L)) ])) 0UL 100L
            Expect.equal (o.Stop, o.Fault, o.Pc) ("fault", Some "illegal-instruction", 0x10000UL) "(o.Stop, o.Fault, o.Pc)"

            // At the top of the address space the pc wraps to 0 after the last parcel.
            let topBase = UInt64.MaxValue - regionSize + 1UL
            let o = agree "wrapping past 2^64" image topBase 100L
            Expect.equal (o.Stop, o.Fault, o.Pc) ("fault", Some "invalid-address", 0UL) "(o.Stop, o.Fault, o.Pc)"

        Tiers.testTiers "data accesses at the edges of the region: bounds before alignment" [ "interpreter"; "compiled"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            // x6 = base, x5 = end of the region; accesses around them.
            let toEnd = [ Full(AUIPC(6, 0u)); Full(LUI(5, 0x1000u)); Full(Op(ADD, 5, 5, 6)) ]

            let cases =
                [ Load(LD, 7, 5, -4L), "invalid-address" // misaligned and crossing the end
                  Load(LD, 7, 5, -8L), "ecall" // the last 8 bytes
                  Load(LW, 7, 5, -2L), "invalid-address"
                  Load(LH, 7, 5, -1L), "invalid-address"
                  Load(LH, 7, 5, -3L), "alignment-violation" // misaligned, inside
                  Load(LBU, 7, 5, 0L), "invalid-address"
                  Store(SD, 5, 5, -4L), "invalid-address"
                  Store(SW, 5, 5, -6L), "alignment-violation"
                  Store(SB, 5, 5, -1L), "ecall"
                  Load(LD, 7, 6, -4L), "invalid-address" // below the base
                  Load(LD, 7, 6, -8L), "invalid-address"
                  Load(LW, 7, 6, 2L), "alignment-violation" ]

            for access, expected in cases do
                let image = assemble 0x100 (at 0 (toEnd @ [ Full access; Full ECALL ]))
                let o = agree (sprintf "%A" access) image baseAddress 100L
                Expect.equal (if o.Stop = "fault" then o.Fault.Value else o.Stop) expected (sprintf "%A" access)

        Tiers.testTiers "an odd or foreign initial pc faults the same way" [ "interpreter"; "compiled"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            let image = Array.append ((Encode.toBytes (Full(OpImm(ADDI, 7, 0, 1L)))).Value) ecallBytes

            for pc in [ baseAddress + 1UL; baseAddress + regionSize - 1UL; baseAddress + regionSize; baseAddress - 1UL; baseAddress + 0xFFFUL; 0UL ] do
                let model = runModelFrom image baseAddress zeroRegs pc 10L baseAddress 16
                let engine = runEngineFrom image baseAddress zeroRegs pc 10L baseAddress 16
                expectEmpty (differences model engine) (sprintf "pc 0x%x" pc)

            // With no steps allowed, the limit comes before the fetch.
            let engine = runEngineFrom image baseAddress zeroRegs 0UL 0L baseAddress 16
            Expect.equal (engine.Obs.Stop, engine.Obs.Pc) ("limit", 0UL) "(engine.Obs.Stop, engine.Obs.Pc)"

        // ---------------------------------------------------------------- fixtures and arguments

        Tiers.testTiers "every saved raw fixture replays on the engine" [ "interpreter"; "compiled"; "eager" ] <| fun tier ->
            use _ = Tiers.select tier
            let dir = IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "raw")

            for file in IO.Directory.GetFiles(dir, "*.json") do
                match Fixture.rawOfJson (IO.File.ReadAllText file) with
                | Error e -> failtest (sprintf "%s: %s" file e)
                | Ok f ->
                    let engine = RawObservation.ofEngine (RawMode.Run(ReadOnlySpan f.Image, f.Base, f.MaxSteps))
                    expectEmpty (RawObservation.differences f.Expected engine) (IO.Path.GetFileName file)

        testCase "the engine refuses what the model refuses, with the model's words" <| fun () ->
            let cases =
                [ 0, 0x8000_0800UL
                  0, UInt64.MaxValue - regionSize + 0x2000UL
                  int regionSize + 1, baseAddress
                  4, UInt64.MaxValue - regionSize + 1UL
                  int regionSize, 0UL ]

            for length, b in cases do
                let image = Array.zeroCreate<byte> length

                match Raw.load image b with
                | Ok _ ->
                    RawMode.Run(ReadOnlySpan image, b, 1L) |> ignore
                    Expect.isNull (RawMode.LoadError(length, b)) "RawMode.LoadError(length, b)"
                | Error e ->
                    let ex = Expect.throwsC (fun () -> RawMode.Run(ReadOnlySpan image, b, 1L) |> ignore) id
                    Expect.equal (ex.GetType()) typeof<ArgumentException> (sprintf "the engine's exception for %d bytes at 0x%x" length b)
                    Expect.equal ex.Message (Raw.describeLoadError e) "ex.Message"
    ]
