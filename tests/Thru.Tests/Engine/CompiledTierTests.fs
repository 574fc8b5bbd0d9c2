/// The compiled tier (engine/Compile/BlockCompiler.cs) where the differential tests are thin. The
/// interpreter is held to the model by the differential tests; here the compiled tier is held to
/// the interpreter (and to the model where it is cheap): long compiled blocks of every operation
/// from edge-value registers, faults at every position of a compiled block, every step limit and
/// every compute budget across compiled loops and across the point where the default tier starts
/// compiling, self-modifying code inside a compiled loop, jump tables, returns and calls between pages
/// (in-region indirect jumps, the chain cache) at every step limit, the shared code cache, and a program with
/// thousands of distinct hot blocks (compilation stays within its allowance).
module Thru.Tests.Engine.CompiledTierTests

open System
open Expecto
open Thru.Tests.Support
open FsCheck.FSharp
open Thru.Model
open Thru.Model.Isa
open Thru.Model.Runtime
open Thru.Compare
open Thru.Engine
open Thru.Conform.Gen.Generators
open Thru.Tests.Generators
open Thru.Conform.Gen.Harness
open Thru.Tests.Engine.TxnHarness
open Thru.Conform.Gen.TxnGen

let private baseAddress = 0x8000_0000UL
let private enc (d: Decoded) = (Encode.toBytes d).Value

/// A raw run under `options` from `regs` at the base; the window is [window, window + length).
let private runRaw (options: EngineOptions) (image: byte[]) (regs: uint64[]) (steps: int64) (window: uint64) (length: int) =
    use _ = EngineOptions.Use options
    RawMode.Run(ReadOnlySpan image, baseAddress, steps, ReadOnlySpan regs, baseAddress, window, length)

/// Every difference between two raw runs.
let private rawDifferences (a: RawResult) (b: RawResult) =
    [ if a.Stop <> b.Stop || a.Fault <> b.Fault then sprintf "stop: %s %A vs %s %A" a.Stop a.Fault b.Stop b.Fault
      if a.Pc <> b.Pc then sprintf "pc: 0x%x vs 0x%x" a.Pc b.Pc
      if a.Instructions <> b.Instructions then sprintf "instructions: %d vs %d" a.Instructions b.Instructions
      for r in 0..31 do
          if a.Regs[r] <> b.Regs[r] then sprintf "x%d: 0x%x vs 0x%x" r a.Regs[r] b.Regs[r]
      if a.Window <> b.Window then
          let i = Array.findIndex id (Array.map2 (<>) a.Window b.Window)
          sprintf "memory differs first at window offset 0x%x" i ]

let private eager = Tiers.options "eager"
let private interpreter = EngineOptions.InterpreterOnly

// ------------------------------------------------------------------ long random compiled blocks

/// One item of a random loop body.
type private Item =
    | Plain of Decoded
    /// A branch over the next item.
    | SkipNext of BranchOp * Reg * Reg

let private computational32 = RawDifferentialTests.computational32
let private computational16 = RawDifferentialTests.computational16

/// Loads and stores based on x9 (the data page, reset every iteration unless an instruction of the
/// body overwrites it), mostly aligned: a few fault, at any position of the block.
let private memoryItem =
    let offset = Gen.frequency [ 12, multipleOf 8 -256 248 |> Gen.map int64; 1, Gen.choose (-256, 255) |> Gen.map int64 ]
    Gen.oneof
        [ Gen.map3 (fun op rd off -> Full(Load(op, rd, 9, off))) (Gen.elements (allCases<LoadOp> ())) reg offset
          Gen.map3 (fun op rs off -> Full(Store(op, 9, rs, off))) (Gen.elements (allCases<StoreOp> ())) reg offset ]

let private genItem =
    Gen.frequency
        [ 8, computational32 |> Gen.map (Full >> Plain)
          3, computational16 |> Gen.map (Compressed >> Plain)
          5, memoryItem |> Gen.map Plain
          2, Gen.map3 (fun op a b -> SkipNext(op, a, b)) (Gen.elements (allCases<BranchOp> ())) reg reg ]

/// auipc x9, 4 (x9 = the data page at base + 0x4000); the body; a jump back to the auipc. The loop
/// never ends by itself: the step limit (or a fault) ends it.
let private loopImage (items: Item list) =
    let sizes = items |> List.map (function Plain d -> (enc d).Length | SkipNext _ -> 4)
    let body =
        items
        |> List.mapi (fun k item ->
            match item with
            | Plain d -> enc d
            | SkipNext(op, a, b) ->
                let over = if k + 1 < sizes.Length then sizes[k + 1] else 0
                enc (Full(Branch(op, a, b, int64 (4 + over)))))
        |> Array.concat
    let head = enc (Full(AUIPC(9, 4u)))
    let back = enc (Full(JAL(0, -(int64 (head.Length + body.Length)))))
    Array.concat [ head; body; back ]

let private genRegs =
    Gen.arrayOfLength 31 (Gen.frequency [ 3, edgeValue; 1, Gen.choose (0, 511) |> Gen.map (fun k -> baseAddress + 0x4000UL + uint64 (8 * k)) ])
    |> Gen.map (Array.append [| 0UL |])

// ------------------------------------------------------------------ Thru mode across the start of compilation

/// Run a Thru executable under `options` with `cu` compute units.
let private thruRun (options: EngineOptions) (engineEnv: EngineEnvironment) (cu: uint32) =
    use _ = EngineOptions.Use options
    let w = wire unsigned { header feePayerKey programKey with ComputeUnits = cu } [] [] [||]
    let r = TransactionExecutor.Execute(engineEnv, ReadOnlySpan w)
    TxnObservation.ofEngine engineEnv r, r.Instructions

// ------------------------------------------------------------------ bounded compilation

/// 3000 small hot loops, one at the start of each of 3000 pages (more pages than the engine keeps
/// decoded at once): every loop block is entered 100 times, then a jump goes on to the next page.
/// Lazy: built when its test runs, not when the test list is.
let private manyLoops =
    lazy
        (let pages = 3000
         let image = Array.zeroCreate<byte> (pages * 0x1000)

         for p in 0 .. pages - 1 do
             let code =
                 [ Full(OpImm(ADDI, 5, 0, 100L)); Full(OpImm(ADDI, 6, 6, int64 (p % 7))); Full(OpImm(ADDI, 5, 5, -1L)); Full(Branch(BNE, 5, 0, -8L))
                   (if p = pages - 1 then Full ECALL else Full(JAL(0, int64 (0x1000 - 16)))) ]
                 |> List.map enc
                 |> Array.concat

             code.CopyTo(image, p * 0x1000)

         image)

let private runMachine (options: EngineOptions) (image: byte[]) =
    use space = new RawAddressSpace(baseAddress)
    space.Write(0UL, ReadOnlySpan image)
    use m = new Machine(space, CostModel.Instructions, options)
    m.Pc <- baseAddress
    m.Budget <- Int64.MaxValue
    let sw = Diagnostics.Stopwatch.StartNew()
    let stop = m.Run()
    sw.Stop()
    stop, m.Pc, m.Instructions, [ for r in 0..31 -> m.GetRegister r ], m.CompiledInstructions, sw.Elapsed.TotalMilliseconds

[<Tests>]
let tests =
    testList "Engine.CompiledTierTests" [
        // ---------------------------------------------------------------- long random compiled blocks

        testCase "long compiled loops of random instructions agree with the interpreter at every kind of stop" <| fun () ->
            let cases = sampleSeeded (testSeed 71UL) 400 (Gen.zip (Gen.listOfLength 48 genItem) genRegs)
            let rnd = Random(int (testSeed 71UL))

            let failures =
                cases
                |> Array.Parallel.collect (fun (items, regs) ->
                    let image = loopImage items
                    // Three passes of the loop and a few limits inside them.
                    let limits = Array.append [| 3L * 60L; 1L; 49L |] (Array.init 3 (fun _ -> rnd.NextInt64(0L, 180L))) |> Array.distinct
                    [| for steps in limits do
                           let w = baseAddress + 0x3000UL
                           let i = runRaw interpreter image regs steps w 0x2000
                           let c = runRaw eager image regs steps w 0x2000
                           match rawDifferences i c with
                           | [] -> ()
                           | ds -> sprintf "maxSteps %d, image %s, regs %A\n--- interpreter vs compiled:\n%s" steps (Convert.ToHexString image) regs (String.concat "\n" ds) |])

            expectEmpty failures (sprintf "%d differ; first:\n%s" failures.Length (Array.tryHead failures |> Option.defaultValue ""))

        // ---------------------------------------------------------------- every step limit across compiled kernels

        testCase "every step limit across the compiled benchmark kernels agrees with the interpreter" <| fun () ->
            let compiled = Tiers.options "compiled"

            for k, iterations in [ Thru.Cli.Kernels.alu, 40; Thru.Cli.Kernels.memory, 1; Thru.Cli.Kernels.branchy, 40; Thru.Cli.Kernels.sha256, 1 ] do
                let image = k.Code Thru.Cli.Kernels.RawMode iterations
                let w = baseAddress + 0x10000UL
                let full = runRaw interpreter image (Array.zeroCreate 32) Int64.MaxValue w 4096
                Expect.equal full.Stop "ecall" k.Name

                let failures =
                    [| 0L .. full.Instructions + 1L |]
                    |> Array.Parallel.choose (fun steps ->
                        let i = runRaw interpreter image (Array.zeroCreate 32) steps w 4096
                        let ds = rawDifferences i (runRaw eager image (Array.zeroCreate 32) steps w 4096) @ rawDifferences i (runRaw compiled image (Array.zeroCreate 32) steps w 4096)
                        if ds.IsEmpty then None else Some(sprintf "%s, maxSteps %d:\n%s" k.Name steps (String.concat "\n" ds)))

                expectEmpty failures (sprintf "%d differ; first:\n%s" failures.Length (Array.tryHead failures |> Option.defaultValue ""))

        // ---------------------------------------------------------------- Thru mode across the start of compilation

        testCase "metered Thru kernels agree with the interpreter at budgets before, across and after the default tier starts compiling" <| fun () ->
            let rnd = Random(int (testSeed 72UL))

            for k, iterations in [ Thru.Cli.Kernels.alu, 20_000; Thru.Cli.Kernels.memory, 40; Thru.Cli.Kernels.branchy, 15_000; Thru.Cli.Kernels.sha256, 60 ] do
                let world = worldEnvironment "accept-all"
                let env = { world with State = world.State.Add(programKey, programAccount (Thru.Cli.Kernels.executable k iterations)) }
                let engineEnv = engineEnvironment env
                let full, _ = thruRun interpreter engineEnv 100_000_000u
                Expect.equal full.VmError 0 k.Name
                let c = uint32 full.ConsumedComputeUnits
                let budgets = Array.append [| 0u; 1u; c - 1u; c; c + 1u |] (Array.init 120 (fun _ -> uint32 (rnd.NextInt64(0L, int64 c + 1L)))) |> Array.distinct

                let failures =
                    budgets
                    |> Array.Parallel.choose (fun cu ->
                        let i, ni = thruRun interpreter engineEnv cu

                        let ds =
                            [ for options in [ EngineOptions.Compiled; eager ] do
                                  let o, n = thruRun options engineEnv cu
                                  yield! TxnObservation.differences i o
                                  if n <> ni then sprintf "instructions: %d vs %d" ni n ]

                        if ds.IsEmpty then None else Some(sprintf "%s, %d CU:\n%s" k.Name cu (String.concat "\n" ds)))

                expectEmpty failures (sprintf "%d differ; first:\n%s" failures.Length (Array.tryHead failures |> Option.defaultValue ""))

        // ---------------------------------------------------------------- self-modifying code in a compiled loop

        testCase "a store into a compiled loop's own code takes effect at the next iteration" <| fun () ->
            let patched = Encode.encode32 (OpImm(ADDI, 7, 7, 100L))
            let hi = (int64 (int32 patched) + 0x800L) >>> 12
            let lo = int64 (int32 patched) - (hi <<< 12)
            // 0x00 auipc x5; 0x04 lui/addiw x6 = the patch; 0x0C addi x8, x0, 20
            // 0x10 L: addi x7, x7, 1; addi x8, x8, -1; addi x10, x0, 10; bne x8, x10, +8; sw x6, 0x10(x5); bne x8, x0, L; ecall
            let code =
                [ Full(AUIPC(5, 0u)); Full(LUI(6, uint32 hi &&& 0xFFFFFu)); Full(OpImm(ADDIW, 6, 6, lo)); Full(OpImm(ADDI, 8, 0, 20L))
                  Full(OpImm(ADDI, 7, 7, 1L)); Full(OpImm(ADDI, 8, 8, -1L)); Full(OpImm(ADDI, 10, 0, 10L)); Full(Branch(BNE, 8, 10, 8L))
                  Full(Store(SW, 5, 6, 0x10L)); Full(Branch(BNE, 8, 0, -20L)); Full ECALL ]

            let image = code |> List.map enc |> Array.concat
            let regs = Array.zeroCreate<uint64> 32

            for tier in [ "interpreter"; "compiled"; "eager" ] do
                for steps in [ 1000L; 60L; 61L; 62L ] do
                    let model = RawDifferentialTests.runModelFrom image baseAddress regs baseAddress steps baseAddress 0x100
                    let r = runRaw (Tiers.options tier) image regs steps baseAddress 0x100
                    let e: RawDifferentialTests.Side = { Obs = RawObservation.ofEngine r; Window = r.Window }
                    expectEmpty (RawDifferentialTests.differences model e) (sprintf "%s, maxSteps %d" tier steps)

                    if steps = 1000L then
                        Expect.equal (r.Stop, r.Regs[7]) ("ecall", 10UL + 10UL * 100UL) tier

        // ---------------------------------------------------------------- indirect jumps and chained regions

        // A jump table and calls inside one page (the compiled tier's in-region JALR: a target that is a block of the
        // region stays in it), a call to another page and back (regions entered from the chain cache), and a store
        // into a jump-table target that has run compiled (the chain cache and the page's code are dropped). Every
        // step limit stops the run at every instruction, so a limit falls at every chained or in-region entry.
        testCase "jump tables, returns and calls across pages agree with the model at every step limit, across a self-modifying store" <| fun () ->
            let patched = Encode.encode32 (OpImm(ADDI, 7, 7, 100L))
            let hi = (int64 (int32 patched) + 0x800L) >>> 12
            let lo = int64 (int32 patched) - (hi <<< 12)
            let image = Array.zeroCreate<byte> 0x1008
            let put (offset: int) (ds: Decoded list) = (ds |> List.map enc |> Array.concat).CopyTo(image, offset)
            // 0x00 x5 = base; x8 = 24 iterations; x6 = the patch. 0x10 L: jump to case (x8 & 3) at 0x40 + 8 * case.
            put 0x00 [ Full(AUIPC(5, 0u)); Full(OpImm(ADDI, 8, 0, 24L)); Full(LUI(6, uint32 hi &&& 0xFFFFFu)); Full(OpImm(ADDIW, 6, 6, lo)) ]
            put 0x10 [ Full(OpImm(ANDI, 10, 8, 3L)); Full(ShiftImm(SLLI, 10, 10, 3)); Full(Op(ADD, 12, 5, 10)); Full(JALR(0, 12, 0x40L)) ]
            // Case k: x7 += k + 1, then to JOIN (0x60).
            for k in 0..3 do
                put (0x40 + 8 * k) [ Full(OpImm(ADDI, 7, 7, int64 (k + 1))); Full(JAL(0, int64 (0x60 - (0x44 + 8 * k)))) ]
            // JOIN: call FUNC (0x80, this page), call FAR (0x1000, the next page); in the iteration where x8 = 12, patch
            // case 2's first instruction (x7 += 100 from then on); loop.
            put 0x60 [ Full(JAL(1, 0x20L)); Full(JAL(1, int64 (0x1000 - 0x64))); Full(OpImm(ADDI, 11, 0, 12L)); Full(Branch(BNE, 8, 11, 8L))
                       Full(Store(SW, 5, 6, 0x50L)); Full(OpImm(ADDI, 8, 8, -1L)); Full(Branch(BNE, 8, 0, int64 (0x10 - 0x78))); Full ECALL ]
            put 0x80 [ Full(OpImm(ADDI, 9, 9, 1L)); Full(JALR(0, 1, 0L)) ]
            put 0x1000 [ Full(OpImm(ADDI, 13, 13, 3L)); Full(JALR(0, 1, 0L)) ]
            let regs = Array.zeroCreate<uint64> 32
            let w = baseAddress
            let expected7 = [ 1..24 ] |> List.sumBy (fun i -> let k = i &&& 3 in if k = 2 && i < 12 then 100 else k + 1)
            let r = runRaw interpreter image regs 100_000L w 0x100
            Expect.equal (r.Stop, r.Regs[7], r.Regs[9], r.Regs[13]) ("ecall", uint64 expected7, 24UL, 72UL) "the full run"

            let failures =
                [| 0L .. r.Instructions + 1L |]
                |> Array.Parallel.collect (fun steps ->
                    let model = RawDifferentialTests.runModelFrom image baseAddress regs baseAddress steps w 0x100
                    [| for tier in [ "interpreter"; "compiled"; "eager" ] do
                           let e = runRaw (Tiers.options tier) image regs steps w 0x100
                           match RawDifferentialTests.differences model { Obs = RawObservation.ofEngine e; Window = e.Window } with
                           | [] -> ()
                           | ds -> sprintf "%s, maxSteps %d:\n%s" tier steps (String.concat "\n" ds) |])

            expectEmpty failures (sprintf "%d differ; first:\n%s" failures.Length (Array.tryHead failures |> Option.defaultValue ""))

        // ---------------------------------------------------------------- the shared code cache

        testCaseAlone "the shared code cache tells apart code that differs in one immediate or in its address" <| fun () ->
            let image (k: int64) = [ Full(OpImm(ADDI, 7, 7, k)); Full(OpImm(ADDI, 8, 8, -1L)); Full(Branch(BNE, 8, 0, -8L)); Full(AUIPC(9, 0u)); Full ECALL ] |> List.map enc |> Array.concat
            let regs = Array.init 32 (fun r -> if r = 8 then 5UL else 0UL)

            for _ in 1..3 do
                for k in [ 1L; 2L; 3L ] do
                    for b in [ baseAddress; baseAddress + 0x1000UL ] do
                        use _ = EngineOptions.Use eager
                        let r = RawMode.Run(ReadOnlySpan(image k), b, 1000L, ReadOnlySpan regs, b)
                        Expect.equal (r.Regs[7], r.Regs[9]) (5UL * uint64 k, b + 12UL) (sprintf "k = %d, base 0x%x" k b)

        // ---------------------------------------------------------------- bounded compilation

        testCaseAlone "thousands of distinct hot blocks: compilation stays within its allowance and changes nothing" <| fun () ->
            let stop, pc, n, regs, compiledNone, ti = runMachine interpreter manyLoops.Value
            Expect.equal (stop, compiledNone) (StopReason.Ecall, 0) "(stop, compiledNone)"

            // The default tier: what it compiles is paid for by what it has run (~60,000 instructions a
            // region, ~1,200 an instruction), so compiling costs at most about the time spent interpreting.
            let stop', pc', n', regs', compiled, td = runMachine EngineOptions.Compiled manyLoops.Value
            Expect.equal (stop', pc', n', regs') (stop, pc, n, regs) "(stop', pc', n', regs')"
            Expect.isLessThanOrEqual (int64 compiled * 1_200L) n "compiled instructions paid for by retired ones"

            // Unpaced, every loop is compiled at once: the per-machine cap stops it.
            let capped = EngineOptions(HotThreshold = 0, PaceCompilation = false, MaxCompiledInstructions = 500)
            let stop'', pc'', n'', regs'', compiledCapped, tc = runMachine capped manyLoops.Value
            Expect.equal (stop'', pc'', n'', regs'') (stop, pc, n, regs) "(stop'', pc'', n'', regs'')"
            Expect.isGreaterThanOrEqual compiledCapped 1 "instructions compiled under a cap of 500"
            Expect.isLessThanOrEqual compiledCapped 500 "instructions compiled under a cap of 500"
            note (sprintf "%d instructions over 3000 pages: interpreter %.1f ms; default tier %.1f ms (%d instructions compiled); eager capped at 500: %.1f ms (%d)" n ti td compiled tc compiledCapped)
    
        // Shrunk from a `make test` run on a clean clone (2026-12-03): the shared cache's eviction copied
        // the dictionary while another thread added to it, and the engine threw ArgumentException out of
        // RawMode.Run. Law: adding to the shared cache from several threads, with evictions, never throws
        // and keeps at most its capacity. (Reached through reflection: the cache is internal.)
        testCaseAlone "the shared code cache evicts safely while other threads add and use entries" <| fun () ->
            let shared: System.Type = typeof<Thru.Engine.Machine>.Assembly.GetType("Thru.Engine.BlockCompiler+Shared", true)
            let add = shared.GetMethod("Add")
            let tryGet = shared.GetMethod("TryGet")
            let capacity = shared.GetField("SharedCapacity").GetValue(null) :?> int
            let failures = System.Collections.Concurrent.ConcurrentBag<exn>()

            let worker (seed: int) () =
                let rng = System.Random seed
                for i in 0 .. 3999 do
                    // 13-byte keys: no real region's key (page address and slots) has that length.
                    let key = Array.zeroCreate<byte> 13
                    rng.NextBytes key
                    try
                        add.Invoke(null, [| box key; null; box (capacity / 64) |]) |> ignore
                        tryGet.Invoke(null, [| box key; null |]) |> ignore
                    with e -> failures.Add e

            let threads = [ for s in 1..4 -> System.Threading.Thread(worker s) ]
            threads |> List.iter (fun t -> t.Start())
            threads |> List.iter (fun t -> t.Join())
            let messages = List.ofSeq failures |> List.map (fun e -> (match e.InnerException with null -> e | inner -> inner).Message) |> List.distinct
            Expect.equal messages [] "no exception from the shared cache"
    ]
