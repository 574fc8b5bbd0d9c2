/// `thrumodel bench [--json] [--seconds S]`: instructions per second of the engine, the model and
/// Unicorn (without hooks, and with a per-instruction counting hook, which is what metering would
/// cost it) on the same kernels, and transactions per second of a simple transfer. Every figure
/// comes from one run on this machine; compare ratios, not absolute numbers, across machines.
module Thru.Cli.BenchCommand

open System.Diagnostics
open Argu
open Thru.Model
open Thru.Compare
open Thru.Cli.Args
open Thru.Cli.Kernels
open Spectre.Console

let private baseAddress = 0x8000_0000UL

/// One measurement: instructions retired, and seconds.
type Sample = { Instructions: int64; Seconds: float }

let private time (f: unit -> int64) : Sample =
    let sw = Stopwatch.StartNew()
    let n = f ()
    { Instructions = n; Seconds = sw.Elapsed.TotalSeconds }

/// Run `measure` with a growing iteration count until one run takes at least `target` seconds
/// (after one warm-up run), and return that run.
let calibrate (target: float) (start: int) (measure: int -> Sample) : Sample =
    measure start |> ignore

    let rec grow (iterations: int) =
        let s = measure iterations
        if s.Seconds >= target || iterations >= 1_000_000_000 / 4 then s
        else
            let factor = if s.Seconds <= 0.0 then 16.0 else min 16.0 (max 2.0 (1.2 * target / s.Seconds))
            grow (int (min 1.0e9 (float iterations * factor)))

    grow start

let mips (s: Sample) = float s.Instructions / s.Seconds / 1e6

// ---- raw mode ----

let engineRaw (k: Kernel) iterations =
    let image = k.Code RawMode iterations
    time (fun () -> (Thru.Engine.RawMode.Run(image, baseAddress, System.Int64.MaxValue)).Instructions)

/// The engine with its compiled tier off: the pre-decoded interpreter alone.
let interpreterRaw (k: Kernel) iterations =
    use _ = Thru.Engine.EngineOptions.Use Thru.Engine.EngineOptions.InterpreterOnly
    engineRaw k iterations

let modelRaw (k: Kernel) iterations =
    let image = k.Code RawMode iterations
    time (fun () -> (Raw.run Decisions.Profile.defaults image baseAddress System.Int64.MaxValue |> Result.toOption).Value.Instructions)

/// Unicorn runs to the ecall at the end (a trap stops it). The instruction count is the engine's
/// for the same image (the differential and oracle tests hold them equal); with the counting hook
/// on, the hook's own count is used.
let unicornRaw (hook: bool) (k: Kernel) iterations =
    let image = k.Code RawMode iterations
    let expected = (Thru.Engine.RawMode.Run(image, baseAddress, System.Int64.MaxValue)).Instructions
    use uc = new Thru.Interop.Unicorn()
    uc.Map(baseAddress, 0x100_0000UL)
    uc.Write(baseAddress, System.ReadOnlySpan image)
    uc.Pc <- baseAddress
    uc.CountInstructions <- hook

    time (fun () ->
        uc.Run(baseAddress, 1UL) |> ignore
        if hook then int64 uc.HookedInstructions - 1L else expected)

/// A row of the report.
type Row =
    { Kernel: string
      Engine: string
      Mips: float option
      Tps: float option
      Note: string }

let private row kernel engine (s: Sample) note = { Kernel = kernel; Engine = engine; Mips = Some(mips s); Tps = None; Note = note }

/// Before timing a kernel, the engine and the model run it (a few iterations) and must agree on
/// every register, the pc, the stop and the instruction count: a figure is only reported for
/// code that computes the right thing.
let checkAgreement (k: Kernel) =
    let image = k.Code RawMode 3
    let model = Raw.run Decisions.Profile.defaults image baseAddress 10_000_000L |> Result.toOption
    let engine = Thru.Engine.RawMode.Run(image, baseAddress, 10_000_000L)
    match model with
    | None -> Common.fail "kernel %s: the model cannot load it" k.Name
    | Some m ->
        match RawObservation.differences (RawObservation.ofModel m) (RawObservation.ofEngine engine) with
        | [] when engine.Stop = "ecall" -> ()
        | [] -> Common.fail "kernel %s stopped with %s, not at its ecall" k.Name engine.Stop
        | ds -> Common.fail "kernel %s: the engine and the model disagree: %s" k.Name (String.concat "; " ds)

/// The measurements of the raw-mode rows, in order (a kernel's agreement check comes first).
let private rawMeasurements (target: float) : (string * (unit -> Row)) list =
    [ for k in Kernels.all do
          yield k.Name + ": engine and model agree", (fun () -> checkAgreement k; Unchecked.defaultof<Row>)
          yield k.Name + ": engine", (fun () -> row k.Name "engine (raw, counted)" (calibrate target 100_000 (engineRaw k)) "")
          yield k.Name + ": interpreter", (fun () -> row k.Name "engine (raw, interpreter only)" (calibrate target 10_000 (interpreterRaw k)) "")
          if k.Unicorn then
              yield k.Name + ": unicorn", (fun () -> row k.Name "unicorn (no hook)" (calibrate target 100_000 (unicornRaw false k)) "")
              yield k.Name + ": unicorn, counting", (fun () -> row k.Name "unicorn (counting hook)" (calibrate target 10_000 (unicornRaw true k)) "")
          yield k.Name + ": model", (fun () -> row k.Name "model (raw)" (calibrate (min target 1.0) 100 (modelRaw k)) "") ]

let rawRows (target: float) : Row list =
    rawMeasurements target |> List.map (fun (_, m) -> m ()) |> List.filter (fun r -> not (obj.ReferenceEquals(r, null)))

// ---- Thru mode: metered kernels and transactions ----

open Thru.Model.Runtime

let private keyOf (n: byte) = Pubkey(Array.init 32 (fun i -> if i = 0 then n else byte i))
let private payerKey, programKey, fromKey, toKey = keyOf 1uy, keyOf 2uy, keyOf 3uy, keyOf 4uy
let private acceptAll: Crypto.Verifier = fun _ _ _ -> true

let private blocks: Memory.Layout.BlockContext list =
    [ for k in 0UL .. 599UL ->
          { Slot = 1000UL - k; BlockTime = 0UL; BlockPrice = 1UL; StateRoot = Array.zeroCreate 32
            BlockHash = Array.zeroCreate 32; BlockProducer = Array.zeroCreate 32; WeightSlot = 0UL } ]

let private header (computeUnits: uint32) : Transaction.Header =
    { Version = 1uy; Flags = 0uy; ReadWriteCount = 0; ReadOnlyCount = 0; InstrDataSize = 0; ComputeUnits = computeUnits
      StateUnits = 100us; MemoryUnits = 64us; Fee = 1UL; Nonce = 0UL; StartSlot = 1000UL; ExpiryAfter = 100u; ChainId = 1us
      Padding = 0us; FeePayer = payerKey; Program = programKey }

/// A world whose program is `image`, with two accounts for transfers, and a transaction running it
/// (signed by `sign`, verified with `verify`).
let private transaction (image: byte[]) (rw: Pubkey list) (instr: byte[]) (computeUnits: uint32) (sign: byte[] -> byte[]) (verify: Crypto.Verifier) =
    let program = { Account.create Pubkey.zero 0UL image with Meta = { AccountMeta.create Pubkey.zero with Flags = AccountFlags.program; DataSize = uint32 image.Length } }

    let env: Execution.Environment =
        { Profile = Decisions.Profile.defaults
          State = Map [ payerKey, Account.create Pubkey.zero 1_000_000_000UL [||]; programKey, program
                        fromKey, Account.create programKey 1_000_000UL [||]; toKey, Account.create Pubkey.zero 0UL [||] ]
          Blocks = blocks
          Verify = verify
          VerifyProof = StateProof.merkleVerifier
          Chain = Vm.Chain.mature 1us }

    let body = Transaction.body (header computeUnits) rw [] instr None None
    env, Array.append body (sign (Crypto.transactionMessage body))

let private unsigned (_: byte[]) = Array.zeroCreate<byte> 64

let engineThru (k: Kernel) iterations =
    let env, wire = transaction (Kernels.executable k iterations) [] [||] System.UInt32.MaxValue unsigned acceptAll
    let engineEnv = TxnFixture.engineEnvironment env
    time (fun () -> (Thru.Engine.TransactionExecutor.Execute(engineEnv, System.ReadOnlySpan wire)).Instructions)

let modelThru (k: Kernel) iterations =
    let env, wire = transaction (Kernels.executable k iterations) [] [||] System.UInt32.MaxValue unsigned acceptAll
    time (fun () -> (Execution.execute env wire).Instructions)

/// Transactions per second of the transfer program for `seconds`, and the engine's peak host
/// pages of one transaction. `signed`: a real Ed25519 signature verified by libsodium.
let transfers (engine: bool) (signed: bool) (seconds: float) =
    let seed = Array.create 32 7uy
    let sign, verify =
        if signed then
            (fun (m: byte[]) -> Thru.Interop.Sodium.Sign(seed, m)), (fun (k: Pubkey) (m: byte[]) (s: byte[]) -> Thru.Interop.Sodium.Verify(k.Bytes, m, s))
        else unsigned, acceptAll

    let payer = if signed then Pubkey(Thru.Interop.Sodium.PublicKeyFromSeed seed) else payerKey
    let env, wire = transaction Kernels.transferProgram [ fromKey; toKey ] (Bits.toLE 8 5UL) 100_000u sign verify
    let env, wire =
        if signed then
            let env = { env with State = env.State.Remove(payerKey).Add(payer, Account.create Pubkey.zero 1_000_000_000UL [||]) }
            let body = Transaction.body { header 100_000u with FeePayer = payer } [ fromKey; toKey ] [] (Bits.toLE 8 5UL) None None
            env, Array.append body (sign (Crypto.transactionMessage body))
        else env, wire

    let engineEnv = TxnFixture.engineEnvironment env
    let once () =
        if engine then
            let r = Thru.Engine.TransactionExecutor.Execute(engineEnv, System.ReadOnlySpan wire)
            if r.VmError <> 0 then failwithf "the transfer failed on the engine: %d" r.VmError
            r.PeakHostPages
        else
            let r = Execution.execute env wire
            if r.VmError <> 0 then failwithf "the transfer failed on the model: %d" r.VmError
            0L

    let pages = once ()
    let sw = Stopwatch.StartNew()
    let mutable n = 0
    while sw.Elapsed.TotalSeconds < seconds do
        once () |> ignore
        n <- n + 1
    float n / sw.Elapsed.TotalSeconds, pages

let private thruMeasurements (target: float) : (string * (unit -> Row)) list =
    [ for k in Kernels.all do
          yield k.Name + ": engine, metered", (fun () -> row k.Name "engine (Thru, metered)" (calibrate target 100_000 (engineThru k)) "")
          yield k.Name + ": model, metered", (fun () -> row k.Name "model (Thru, metered)" (calibrate (min target 1.0) 100 (modelThru k)) "") ]

let thruRows (target: float) : Row list =
    thruMeasurements target |> List.map (fun (_, m) -> m ())

let transferRows (seconds: float) : Row list =
    let proc = Process.GetCurrentProcess()
    let rate engine signed = transfers engine signed seconds

    [ let tps, pages = rate true false
      proc.Refresh()
      yield { Kernel = "transfer"; Engine = "engine"; Mips = None; Tps = Some tps; Note = sprintf "%d host pages per tx; process peak %d MiB" pages (proc.PeakWorkingSet64 / 1048576L) }
      yield { Kernel = "transfer"; Engine = "model"; Mips = None; Tps = Some(fst (rate false false)); Note = "" }
      yield { Kernel = "transfer (Ed25519)"; Engine = "engine"; Mips = None; Tps = Some(fst (rate true true)); Note = "signature verified by libsodium" }
      yield { Kernel = "transfer (Ed25519)"; Engine = "model"; Mips = None; Tps = Some(fst (rate false true)); Note = "signature verified by libsodium" } ]

let private render (rows: Row list) =
    let table = Table()
    table.AddColumns("kernel", "engine", "M instr/s", "tx/s", "×model", "note") |> ignore

    let modelOf kernel = rows |> List.tryFind (fun r -> r.Kernel = kernel && r.Engine.StartsWith "model (raw") |> Option.bind (fun r -> r.Mips)

    for r in rows do
        let ratio =
            match r.Mips, modelOf r.Kernel with
            | Some m, Some b when b > 0.0 -> sprintf "%.0f" (m / b)
            | _ -> ""

        table.AddRow(
            r.Kernel,
            r.Engine,
            r.Mips |> Option.map (sprintf "%.1f") |> Option.defaultValue "",
            r.Tps |> Option.map (sprintf "%.0f") |> Option.defaultValue "",
            ratio,
            r.Note
        )
        |> ignore

    // Redirected output has no terminal width; keep rows on one line.
    if System.Console.IsOutputRedirected then AnsiConsole.Profile.Width <- 140
    AnsiConsole.Write table

let rec run (args: ParseResults<BenchArgs>) : int =
    match args.TryGetResult BenchArgs.Suite with
    | Some "programs" ->
        if args.Contains BenchArgs.Seconds then
            Common.fail "--seconds: not with --suite (each program runs to its end)"

        let runs = args.GetResult(BenchArgs.Runs, defaultValue = 3)

        if runs < 1 || runs > 99 then
            Common.fail "--runs: %d is not between 1 and 99" runs

        ProgramSuite.run (args.Contains BenchArgs.Json) (args.TryGetResult BenchArgs.Filter) runs
    | Some other -> Common.fail "--suite: unknown suite '%s' (the only one is 'programs')" other
    | None when args.Contains BenchArgs.Filter -> Common.fail "--filter: only with --suite programs"
    | None when args.Contains BenchArgs.Runs -> Common.fail "--runs: only with --suite programs"
    | None -> runKernels args

/// The kernels of `thrumodel bench` without --suite.
and private runKernels (args: ParseResults<BenchArgs>) : int =
    let target = args.GetResult(BenchArgs.Seconds, defaultValue = 1.0)

    // NaN fails both comparisons, so it is refused too.
    if not (target >= 0.01 && target <= 60.0) then
        Common.fail "--seconds: %g is not a number of seconds from 0.01 to 60" target

    let rows =
        let measurements = rawMeasurements target @ thruMeasurements target
        let transfers = 1

        Progress.run "bench" (measurements.Length + transfers) (fun p ->
            let measured =
                [ for name, measure in measurements do
                      p.Describe name
                      let r = measure ()
                      p.Advance 1
                      if not (obj.ReferenceEquals(r, null)) then yield r ]

            p.Describe "transactions per second"
            let transferRows = transferRows target
            p.Advance 1
            (measured |> List.groupBy (fun r -> r.Kernel) |> List.collect snd) @ transferRows)

    if args.Contains BenchArgs.Json then
        rows
        |> List.map (fun r ->
            Json.obj (
                [ "kernel", Json.str r.Kernel; "engine", Json.str r.Engine ]
                @ (r.Mips |> Option.map (fun m -> [ "mips", System.Text.Json.Nodes.JsonValue.Create(System.Math.Round(m, 2)) :> System.Text.Json.Nodes.JsonNode ]) |> Option.defaultValue [])
                @ (r.Tps |> Option.map (fun t -> [ "tps", System.Text.Json.Nodes.JsonValue.Create(System.Math.Round(t, 1)) :> System.Text.Json.Nodes.JsonNode ]) |> Option.defaultValue [])
            )
            :> System.Text.Json.Nodes.JsonNode)
        |> Json.arr
        |> Common.printJson
    else
        render rows

    0
