/// `thrumodel bench --suite programs [--json] [--filter TEXT] [--runs N]`: the real-program suite of
/// bench/ (issue 14). Every measurement is a FRESH process (this same executable with `raw` or
/// `run`, qemu-riscv64, or the native binary), repeated `--runs` times, the median reported; no
/// JIT state is shared between measurements. Before anything is timed, every build of a program
/// (raw full ISA and rv64imc on the engine, rv64imc on Unicorn without hooks, the Linux ELF on
/// qemu-riscv64, native x86-64) must return the checksum recorded in bench/programs/checksums.txt;
/// every timed run is checked again.
module Thru.Cli.ProgramSuite

open System
open System.Diagnostics
open System.IO
open System.Text.Json.Nodes
open Thru.Compare
open Thru.Cli.Common
open Spectre.Console

/// The step limit passed to `thrumodel raw` (its default of 10^6 is far too small for the suite).
let private maxSteps = 100_000_000_000L

/// Runs per warm process: the engine reports the last (compiled code reused from the earlier runs).
let private warmRepeat = 3

/// Runs of the SHA-256 transaction in one process for the steady-state figure (the median of the
/// second half is reported).
let private steadyRepeat = 200

let private qemuCpu = "rv64,zba=true,zbb=true,zbc=true,zbs=true,zknh=true"

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/// A measurement that cannot be made (a wrong checksum, a failed or hanging child): reported, and
/// the program left out of the tables.
exception MeasurementError of string

let private measurementError fmt = Printf.kprintf (fun s -> raise (MeasurementError s)) fmt

/// A finished child process: exit code, output, and its wall time (start to exit).
type ProcessResult =
    { ExitCode: int
      Stdout: string
      Stderr: string
      Wall: float }

/// The command that starts this same executable: the apphost itself, or `dotnet thrumodel.dll`.
let private self () : string * string list =
    let path = Environment.ProcessPath

    if isNull path then
        fail "cannot find this executable's path to start fresh processes"
    elif Path.GetFileNameWithoutExtension(path) = "dotnet" then
        path, [ Reflection.Assembly.GetEntryAssembly().Location ]
    else
        path, []

/// Which build of thrumodel the suite measures (its children are this same executable): compiled
/// ReadyToRun (a composite image beside it, or per assembly) or JIT only, and how it is started.
/// Start-up and first-run figures depend on it: a JIT-only build compiles every method it runs.
let buildDescription () : string =
    let location = Reflection.Assembly.GetEntryAssembly().Location

    let readyToRun =
        try
            use stream = File.OpenRead location
            use pe = new Reflection.PortableExecutable.PEReader(stream)
            let cor = pe.PEHeaders.CorHeader
            not (isNull cor) && cor.ManagedNativeHeaderDirectory.Size > 0
        with _ ->
            false

    let directory = if String.IsNullOrEmpty location then "?" else Path.GetDirectoryName location
    let composite = readyToRun && Directory.Exists directory && Directory.GetFiles(directory, "*.r2r.dll").Length > 0

    let kind =
        if composite then "ReadyToRun, composite image"
        elif readyToRun then "ReadyToRun, per assembly"
        else "JIT only (not ReadyToRun: start-up and first runs include JIT that the installed tool does not pay; make bench-programs uses the ReadyToRun build)"

    let host = if snd (self ()) |> List.isEmpty then "its apphost" else "dotnet"
    sprintf "%s, in %s, started by %s" kind directory host

/// Start `file args` with the environment changed by `env` (None removes a variable), wait for it
/// (at most 30 minutes) and return its output and wall time.
let private spawn (file: string) (args: string list) (env: (string * string option) list) : ProcessResult =
    let psi = ProcessStartInfo(file)
    args |> List.iter psi.ArgumentList.Add
    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    psi.UseShellExecute <- false

    for name, value in env do
        match value with
        | Some v -> psi.Environment[name] <- v
        | None -> psi.Environment.Remove name |> ignore

    let sw = Stopwatch.StartNew()

    use p =
        try
            Process.Start psi
        with e ->
            fail "cannot start %s: %s" file e.Message

    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()

    if not (p.WaitForExit(TimeSpan.FromMinutes 30.0)) then
        p.Kill true
        measurementError "%s %s did not finish within 30 minutes" file (String.Join(" ", args))

    p.WaitForExit()
    let wall = sw.Elapsed.TotalSeconds

    { ExitCode = p.ExitCode
      Stdout = out.Result
      Stderr = err.Result
      Wall = wall }

/// The median of a non-empty list.
let median (xs: float list) : float =
    let s = List.sort xs
    let n = s.Length
    if n % 2 = 1 then s[n / 2] else (s[n / 2 - 1] + s[n / 2]) / 2.0

/// The geometric mean of positive numbers (None when there are none).
let geomean (xs: float list) : float option =
    match xs |> List.filter (fun x -> x > 0.0 && not (Double.IsNaN x) && not (Double.IsInfinity x)) with
    | [] -> None
    | ys -> Some(exp (List.averageBy log ys))

// ---------------------------------------------------------------------------------------------
// One measurement of each kind
// ---------------------------------------------------------------------------------------------

/// What a raw child reports: checksum (a0), instructions (None for unhooked Unicorn), the
/// seconds of every run in the process, and the process wall time.
type RawRun =
    { Checksum: uint64
      Instructions: int64 option
      Runs: float list
      /// .NET JIT compile time during each run (empty for unhooked Unicorn).
      JitRuns: float list
      Wall: float }

let private parseJson (what: string) (r: ProcessResult) : JsonObject =
    if r.ExitCode <> 0 then
        measurementError "%s: exit code %d: %s" what r.ExitCode (r.Stderr.Trim())

    try
        JsonNode.Parse(r.Stdout).AsObject()
    with e ->
        measurementError "%s: output is not JSON (%s)" what e.Message

/// `thrumodel raw IMAGE --json --max-steps … --repeat N` in a fresh process, with `engine` ("engine" or
/// "unicorn") and the tier set by THRU_ENGINE_TIER (None: the default tier).
let private rawChild (image: string) (engine: string) (tier: string option) (unhooked: bool) (repeat: int) : RawRun =
    let exe, prefix = self ()

    let args =
        prefix
        @ [ "raw"; image; "--engine"; engine; "--json"; "--repeat"; string repeat ]
        // An unhooked Unicorn run has no step limit (raw refuses --max-steps with --unhooked).
        @ (if unhooked then [ "--unhooked" ] else [ "--max-steps"; string maxSteps ])

    let what = sprintf "thrumodel raw %s --engine %s%s%s" (Path.GetFileName image) engine (if unhooked then " --unhooked" else "") (tier |> Option.map (sprintf " (THRU_ENGINE_TIER=%s)") |> Option.defaultValue "")
    let r = spawn exe args [ "THRU_ENGINE_TIER", tier ]
    let j = parseJson what r
    let stop = j["stop"].GetValue<string>()

    if stop <> "ecall" then
        measurementError "%s stopped with %s (%s), not at its ecall" what stop (string j["fault"])

    let a0 = (j["regs"].AsArray()[10]).GetValue<string>()

    { Checksum = Convert.ToUInt64(a0, 16)
      Instructions =
        match j["instructions"] with
        | null -> None
        | n -> Some(n.GetValue<int64>())
      Runs = [ for s in j["runs"].AsArray() -> s.GetValue<float>() ]
      JitRuns =
        match j["jit_runs"] with
        | null -> []
        | n -> [ for s in n.AsArray() -> s.GetValue<float>() ]
      Wall = r.Wall }

/// A process that prints the checksum as 16 hex digits (qemu-riscv64 on the Linux ELF, or the
/// native binary): the checksum and the whole-process wall time.
let private printingChild (what: string) (file: string) (args: string list) : uint64 * float =
    let r = spawn file args []

    if r.ExitCode <> 0 then
        measurementError "%s: exit code %d: %s" what r.ExitCode (r.Stderr.Trim())

    match UInt64.TryParse(r.Stdout.Trim(), Globalization.NumberStyles.AllowHexSpecifier, null) with
    | true, v when r.Stdout.Trim().Length = 16 -> v, r.Wall
    | _ -> measurementError "%s printed '%s', not a 16-digit checksum" what (r.Stdout.Trim())

// ---------------------------------------------------------------------------------------------
// Programs
// ---------------------------------------------------------------------------------------------

/// The files of one program of the suite.
type Program =
    { Name: string
      Expected: uint64
      Raw: string
      RawImc: string
      Elf: string
      Native: string }

/// Medians over the fresh processes of one program (seconds).
type ProgramRow =
    { Name: string
      Short: bool
      Checksum: uint64
      Instructions: int64
      InstructionsImc: int64
      /// Engine, default tier: the run alone, and the whole process.
      Engine: float
      EngineWall: float
      /// .NET JIT compile time (all threads) during the engine's run and the interpreter's first run.
      EngineJit: float
      InterpreterJit: float
      /// Engine, interpreter only (THRU_ENGINE_TIER=interpreter): first run of a process, and its
      /// second run (warm).
      Interpreter: float
      InterpreterWarm: float
      /// Engine, default tier, the last of `warmRepeat` runs in one process.
      EngineWarm: float
      /// Unicorn without hooks on the rv64imc build: the run alone.
      Unicorn: float
      /// Whole processes.
      Qemu: float
      Native: float }

let private ratioRows (r: ProgramRow) =
    {| CompiledVsInterpreter = r.Engine / r.Interpreter
       WarmVsInterpreterWarm = r.EngineWarm / r.InterpreterWarm
       EngineVsQemu = r.Engine / r.Qemu
       EngineWallVsQemu = r.EngineWall / r.Qemu
       WarmVsQemu = r.EngineWarm / r.Qemu
       EngineVsUnicorn = r.Engine / r.Unicorn
       EngineVsNative = r.Engine / r.Native |}

let private mips (instructions: int64) (seconds: float) = float instructions / seconds / 1e6

/// Read bench/build/programs.txt and bench/programs/checksums.txt; check that every build exists.
let private programs (bench: string) : Program list =
    let build = Path.Combine(bench, "build")
    let list = Path.Combine(build, "programs.txt")

    if not (File.Exists list) then
        fail "%s not found: build the suite first (make bench-programs, or make -C bench)" list

    let expected =
        File.ReadAllLines(Path.Combine(bench, "programs", "checksums.txt"))
        |> Array.filter (fun l -> l.Trim() <> "" && not (l.StartsWith "#"))
        |> Array.map (fun l ->
            match l.Split(' ', StringSplitOptions.RemoveEmptyEntries) with
            | [| name; sum |] -> name, Convert.ToUInt64(sum, 16)
            | _ -> fail "bench/programs/checksums.txt: bad line '%s'" l)
        |> Map.ofArray

    [ for name in File.ReadAllLines list |> Array.filter (fun l -> l.Trim() <> "") do
          let p =
              { Name = name
                Expected =
                  match expected.TryFind name with
                  | Some v -> v
                  | None -> fail "bench/programs/checksums.txt has no checksum for %s" name
                Raw = Path.Combine(build, "raw", name + ".bin")
                RawImc = Path.Combine(build, "raw", name + ".rv64imc.bin")
                Elf = Path.Combine(build, "linux", name + ".elf")
                Native = Path.Combine(build, "native", name) }

          for f in [ p.Raw; p.RawImc; p.Elf; p.Native ] do
              if not (File.Exists f) then
                  fail "%s not found: build the suite first (make bench-programs, or make -C bench)" f

          yield p ]

let private qemu (p: Program) = printingChild (sprintf "qemu-riscv64 %s" (Path.GetFileName p.Elf)) "qemu-riscv64" [ "-cpu"; qemuCpu; p.Elf ]
let private native (p: Program) = printingChild (sprintf "native %s" p.Name) p.Native []

/// Check one checksum against the recorded one.
let private check (p: Program) (what: string) (sum: uint64) =
    if sum <> p.Expected then
        measurementError "%s returned checksum %016x, not the recorded %016x" what sum p.Expected

/// Verify every build of a program (untimed: these runs also bring the files into the page cache),
/// then time each measurement in `runs` rounds of fresh processes, the kinds interleaved within a
/// round so that a change in the machine's load touches all of them alike.
let private measureProgram (progress: string -> unit) (runs: int) (p: Program) : ProgramRow =
    progress "checking every build's checksum"
    let full = rawChild p.Raw "engine" None false 1
    check p "the engine on the raw image" full.Checksum
    let imc = rawChild p.RawImc "engine" None false 1
    check p "the engine on the rv64imc raw image" imc.Checksum
    check p "Unicorn (no hooks) on the rv64imc raw image" (rawChild p.RawImc "unicorn" None true 1).Checksum
    check p "qemu-riscv64 on the Linux ELF" (fst (qemu p))
    check p "the native binary" (fst (native p))

    let samples =
        [ for round in 1..runs do
              progress (sprintf "timing, round %d of %d" round runs)
              let engine = rawChild p.Raw "engine" None false 1
              let interpreter = rawChild p.Raw "engine" (Some "interpreter") false 2
              let warm = rawChild p.Raw "engine" None false warmRepeat
              let unicorn = rawChild p.RawImc "unicorn" None true 1
              let qemuSum, qemuWall = qemu p
              let nativeSum, nativeWall = native p
              check p "the engine" engine.Checksum
              check p "the interpreter" interpreter.Checksum
              check p "the engine (warm)" warm.Checksum
              check p "Unicorn" unicorn.Checksum
              check p "qemu-riscv64" qemuSum
              check p "native" nativeSum

              yield
                  {| Engine = engine.Runs.Head
                     EngineWall = engine.Wall
                     EngineJit = engine.JitRuns.Head
                     InterpreterJit = interpreter.JitRuns.Head
                     Interpreter = interpreter.Runs[0]
                     InterpreterWarm = List.last interpreter.Runs
                     EngineWarm = List.last warm.Runs
                     Unicorn = unicorn.Runs.Head
                     Qemu = qemuWall
                     Native = nativeWall |} ]

    let m f = median (samples |> List.map f)

    { Name = p.Name
      Short = p.Name.EndsWith "-short"
      Checksum = p.Expected
      Instructions = full.Instructions.Value
      InstructionsImc = imc.Instructions.Value
      Engine = m (fun s -> s.Engine)
      EngineWall = m (fun s -> s.EngineWall)
      EngineJit = m (fun s -> s.EngineJit)
      InterpreterJit = m (fun s -> s.InterpreterJit)
      Interpreter = m (fun s -> s.Interpreter)
      InterpreterWarm = m (fun s -> s.InterpreterWarm)
      EngineWarm = m (fun s -> s.EngineWarm)
      Unicorn = m (fun s -> s.Unicorn)
      Qemu = m (fun s -> s.Qemu)
      Native = m (fun s -> s.Native) }

// ---------------------------------------------------------------------------------------------
// Thru transactions
// ---------------------------------------------------------------------------------------------

/// A transaction run with `thrumodel run … --engine engine`: its arguments and what it must report.
type Transaction =
    { Name: string
      Description: string
      Args: string list
      ExitCode: uint64
      MaxCallDepth: int64 option }

type TransactionRow =
    { Name: string
      Description: string
      Instructions: int64
      ComputeUnits: int64
      /// The executor call alone (first run in a fresh process), and the whole process.
      Seconds: float
      Wall: float }

let private transactions (root: string) : Transaction list =
    let examples = Path.Combine(root, "examples")
    let bench = Path.Combine(root, "bench")
    let data = Path.Combine(bench, "build", "txn", "sha256-32k.dat")

    for f in [ data; Path.Combine(bench, "build", "txn", "sha256_32k.bin") ] @ [ for e in [ "token"; "chain_a"; "chain_b"; "hello" ] -> Path.Combine(examples, "build", e + ".bin") ] do
        if not (File.Exists f) then
            fail "%s not found: build the suite and the examples first (make bench-programs)" f

    let digest = Convert.ToHexString(Security.Cryptography.SHA256.HashData(File.ReadAllBytes data)).ToLowerInvariant()

    [ { Name = "txn-sha256-32k"
        Description = "SHA-256 (Zknh) of a 32 KiB account"
        Args = [ Path.Combine(bench, "build", "txn", "sha256_32k.bin"); "--accounts"; Path.Combine(bench, "txn", "sha256-32k.json"); "--instr"; digest ]
        ExitCode = 0UL
        MaxCallDepth = Some 1L }
      { Name = "txn-token-transfer"
        Description = "token transfer (SCENARIOS 20)"
        Args = [ Path.Combine(examples, "build", "token.bin"); "--accounts"; Path.Combine(examples, "worlds", "token-transfer.json"); "--instr"; "01020003001e00000000000000" ]
        ExitCode = 0UL
        MaxCallDepth = Some 1L }
      { Name = "txn-invoke-chain-4"
        Description = "chain_a -> chain_a -> chain_a -> chain_b"
        Args =
          [ Path.Combine(examples, "build", "chain_a.bin")
            "--accounts"
            Path.Combine(examples, "worlds", "chain-ab.json")
            "--instr"
            // callee 1 (chain_a itself), no auth, twice; then callee 4 (chain_b): mode 0, check 0, code 7
            "0100ffffffff" + "0100ffffffff" + "0400ffffffff" + "000000" + "0700000000000000" ]
        ExitCode = 7UL
        MaxCallDepth = Some 4L } ]

/// `thrumodel run ARGS --engine engine --json --repeat N` in a fresh process; checks the outcome.
let private runChild (t: Transaction) (repeat: int) : JsonObject * float list * float =
    let exe, prefix = self ()
    let r = spawn exe (prefix @ [ "run" ] @ t.Args @ [ "--engine"; "engine"; "--json"; "--repeat"; string repeat ]) [ "THRU_ENGINE_TIER", None ]
    let j = parseJson (sprintf "thrumodel run (%s)" t.Name) r
    let vmError = j["vm_error"].GetValue<int64>()
    let code = UInt64.Parse(j["user_error_code"].GetValue<string>())

    if vmError <> 0L || code <> t.ExitCode then
        measurementError "%s ended with vm_error %d, exit code %d (expected success with exit code %d)" t.Name vmError code t.ExitCode

    match t.MaxCallDepth with
    | Some d when j["max_call_depth"].GetValue<int64>() <> d -> measurementError "%s reached call depth %d, not %d" t.Name (j["max_call_depth"].GetValue<int64>()) d
    | _ -> ()

    j, [ for s in j["runs"].AsArray() -> s.GetValue<float>() ], r.Wall

let private measureTransaction (progress: string -> unit) (runs: int) (t: Transaction) : TransactionRow =
    progress "checking the outcome"
    let j, _, _ = runChild t 1

    let samples =
        [ for round in 1..runs do
              progress (sprintf "timing, round %d of %d" round runs)
              let _, seconds, wall = runChild t 1
              yield seconds.Head, wall ]

    { Name = t.Name
      Description = t.Description
      Instructions = j["instruction_counter"].GetValue<int64>()
      ComputeUnits = j["consumed_compute_units"].GetValue<int64>()
      Seconds = median (List.map fst samples)
      Wall = median (List.map snd samples) }

/// Steady state of a transaction: `steadyRepeat` runs in one process; instructions per second
/// over the median of the second half of the runs (the whole executor call: parsing, Ed25519
/// check, execution, commit).
let private steadyState (progress: string -> unit) (t: Transaction) =
    progress (sprintf "%d runs in one process" steadyRepeat)
    let j, seconds, _ = runChild t steadyRepeat
    let half = seconds |> List.skip (steadyRepeat / 2)
    let instructions = j["instruction_counter"].GetValue<int64>()
    {| Instructions = instructions; Seconds = median half; Mips = mips instructions (median half) |}

/// `thrumodel run hello.bin` (default engine, the model) and `--engine engine`: whole-process wall.
let private helloWall (root: string) (runs: int) (engine: string option) =
    let exe, prefix = self ()
    let hello = Path.Combine(root, "examples", "build", "hello.bin")
    let args = prefix @ [ "run"; hello ] @ (engine |> Option.map (fun e -> [ "--engine"; e ]) |> Option.defaultValue [])
    let once () =
        let r = spawn exe args [ "THRU_ENGINE_TIER", None ]
        if r.ExitCode <> 0 || not (r.Stdout.Contains "Hello, Thru!") then
            measurementError "thrumodel run hello.bin%s: exit code %d: %s" (engine |> Option.map (sprintf " --engine %s") |> Option.defaultValue "") r.ExitCode (r.Stderr.Trim())
        r.Wall
    once () |> ignore // untimed: page cache
    median [ for _ in 1..runs -> once () ]

/// Geometric means of the ratios and rates over a set of programs, and the programs on which the
/// compiled tier is slower than the interpreter.
type Summary =
    { CompiledVsInterpreter: float option
      WarmVsInterpreterWarm: float option
      EngineVsQemu: float option
      EngineWallVsQemu: float option
      WarmVsQemu: float option
      EngineVsUnicorn: float option
      EngineVsNative: float option
      InterpreterMips: float option
      EngineMips: float option
      WarmMips: float option
      CompiledSlower: string list
      WarmSlower: string list }

// ---------------------------------------------------------------------------------------------
// The machine, output
// ---------------------------------------------------------------------------------------------

let private cpuModel () =
    try
        File.ReadAllLines "/proc/cpuinfo"
        |> Array.tryFind (fun l -> l.StartsWith "model name")
        |> Option.map (fun l -> l.Substring(l.IndexOf ':' + 1).Trim())
        |> Option.defaultValue "unknown"
    with _ ->
        "unknown"

let private loadAverage () =
    try
        (File.ReadAllText "/proc/loadavg").Split(' ') |> Array.take 3 |> String.concat " "
    with _ ->
        "unknown"

let private firstLine (file: string) (args: string list) =
    try
        let r = spawn file args []
        let lines = r.Stdout.Split('\n')
        lines[0].Trim()
    with _ ->
        "not found"

let private num (v: float) : JsonNode = JsonValue.Create(Math.Round(v, 6))
let private optNum (v: float option) : JsonNode = v |> Option.map num |> Option.toObj

let private f3 (v: float) = sprintf "%.3f" v
let private ratio (v: float) = sprintf "%.2f" v

let private table (columns: string list) (rows: string list list) =
    let t = Table()
    t.Border <- TableBorder.Simple

    for c in columns do
        t.AddColumn(TableColumn(c).RightAligned()) |> ignore

    t.Columns[0].LeftAligned() |> ignore

    for r in rows do
        t.AddRow(r |> List.map Markup.Escape |> Array.ofList) |> ignore

    AnsiConsole.Write t

/// Run the suite and print it. Exit code 0 when every program and transaction was measured, 1 when
/// any failed its checks (the failures are listed; nothing else is left out silently).
let run (json: bool) (filter: string option) (runs: int) : int =
    let root =
        let rec up (d: DirectoryInfo) =
            if isNull d then
                fail "bench/programs not found in the current directory or above it: run from the ThruModel checkout"
            elif Directory.Exists(Path.Combine(d.FullName, "bench", "programs")) then
                d.FullName
            else
                up d.Parent

        up (DirectoryInfo(Directory.GetCurrentDirectory()))

    let bench = Path.Combine(root, "bench")
    let selected (name: string) = filter |> Option.forall (fun f -> name.Contains(f, StringComparison.OrdinalIgnoreCase))
    let programs = programs bench |> List.filter (fun p -> selected p.Name)
    let txns = transactions root |> List.filter (fun t -> selected t.Name)
    let withHello = selected "run-hello"

    if programs.IsEmpty && txns.IsEmpty && not withHello then
        fail "--filter: '%s' matches no program or transaction of the suite" (defaultArg filter "")

    if not Thru.Interop.Unicorn.IsAvailable then
        fail "libunicorn.so.2 is not installed (run make deps)"

    let qemuVersion = firstLine "qemu-riscv64" [ "--version" ]

    if qemuVersion = "not found" || qemuVersion = "" then
        fail "qemu-riscv64 is not installed (run make deps)"

    let started = DateTime.UtcNow
    let loadBefore = loadAverage ()
    let build = buildDescription ()
    let total = programs.Length + txns.Length + (if withHello then 1 else 0)
    let mutable index = 0
    let failures = Collections.Generic.List<string>()

    let step (name: string) (f: (string -> unit) -> 'a) : 'a option =
        index <- index + 1
        let progress (what: string) = eprintfn "[%d/%d] %s: %s" index total name what

        try
            Some(f progress)
        with MeasurementError message ->
            eprintfn "[%d/%d] %s: FAILED: %s" index total name message
            failures.Add(sprintf "%s: %s" name message)
            None

    let rows = programs |> List.choose (fun p -> step p.Name (fun progress -> measureProgram progress runs p))

    let txnRows =
        txns
        |> List.choose (fun t ->
            step t.Name (fun progress ->
                let row = measureTransaction progress runs t
                let steady = if t.Name = "txn-sha256-32k" then Some(steadyState progress t) else None
                row, steady))

    let hello =
        if withHello then
            step "run-hello" (fun progress ->
                progress "thrumodel run hello.bin (default engine: the model)"
                let model = helloWall root runs None
                progress "thrumodel run hello.bin --engine engine"
                let engine = helloWall root runs (Some "engine")
                model, engine)
        else
            None

    let loadAfter = loadAverage ()
    let cpu = cpuModel ()
    let geo (select: ProgramRow -> float) (rows: ProgramRow list) = geomean (rows |> List.map select)
    let longRows = rows |> List.filter (fun r -> not r.Short)
    let steady = txnRows |> List.tryPick snd

    let summary (rs: ProgramRow list) : Summary =
        { CompiledVsInterpreter = geo (fun r -> (ratioRows r).CompiledVsInterpreter) rs
          WarmVsInterpreterWarm = geo (fun r -> (ratioRows r).WarmVsInterpreterWarm) rs
          EngineVsQemu = geo (fun r -> (ratioRows r).EngineVsQemu) rs
          EngineWallVsQemu = geo (fun r -> (ratioRows r).EngineWallVsQemu) rs
          WarmVsQemu = geo (fun r -> (ratioRows r).WarmVsQemu) rs
          EngineVsUnicorn = geo (fun r -> (ratioRows r).EngineVsUnicorn) rs
          EngineVsNative = geo (fun r -> (ratioRows r).EngineVsNative) rs
          InterpreterMips = geo (fun r -> mips r.Instructions r.Interpreter) rs
          EngineMips = geo (fun r -> mips r.Instructions r.Engine) rs
          WarmMips = geo (fun r -> mips r.Instructions r.EngineWarm) rs
          CompiledSlower = rs |> List.filter (fun r -> r.Engine > r.Interpreter) |> List.map (fun r -> r.Name)
          WarmSlower = rs |> List.filter (fun r -> r.EngineWarm > r.InterpreterWarm) |> List.map (fun r -> r.Name) }

    let all = summary rows
    let long = summary longRows

    if json then
        let summaryJson (s: Summary) =
            Json.obj
                [ "engine_vs_interpreter", optNum s.CompiledVsInterpreter
                  "engine_warm_vs_interpreter_warm", optNum s.WarmVsInterpreterWarm
                  "engine_vs_qemu", optNum s.EngineVsQemu
                  "engine_wall_vs_qemu", optNum s.EngineWallVsQemu
                  "engine_warm_vs_qemu", optNum s.WarmVsQemu
                  "engine_vs_unicorn_unhooked", optNum s.EngineVsUnicorn
                  "engine_vs_native", optNum s.EngineVsNative
                  "interpreter_mips", optNum s.InterpreterMips
                  "engine_mips", optNum s.EngineMips
                  "engine_warm_mips", optNum s.WarmMips
                  "compiled_slower_than_interpreter", Json.arr (s.CompiledSlower |> List.map Json.str)
                  "compiled_warm_slower_than_interpreter_warm", Json.arr (s.WarmSlower |> List.map Json.str) ]
            :> JsonNode

        Common.printJson (
            Json.obj
                [ "suite", Json.str "programs"
                  "build", Json.str build
                  "date", Json.str (started.ToString "yyyy-MM-dd HH:mm 'UTC'")
                  "machine",
                  Json.obj
                      [ "cpu", Json.str cpu
                        "cores", Json.num (int64 Environment.ProcessorCount)
                        "load_average_before", Json.str loadBefore
                        "load_average_after", Json.str loadAfter
                        "qemu", Json.str qemuVersion
                        "unicorn", Json.str Thru.Interop.Unicorn.Version ]
                  "fresh_processes_per_measurement", Json.num (int64 runs)
                  "statistic", Json.str "median over the fresh processes; seconds"
                  "programs",
                  Json.arr
                      [ for r in rows ->
                            let q = ratioRows r

                            Json.obj
                                [ "program", Json.str r.Name
                                  "checksum", Json.str (sprintf "%016x" r.Checksum)
                                  "instructions", Json.num r.Instructions
                                  "instructions_rv64imc", Json.num r.InstructionsImc
                                  "engine_seconds", num r.Engine
                                  "engine_wall", num r.EngineWall
                                  "engine_jit_seconds", num r.EngineJit
                                  "interpreter_jit_seconds", num r.InterpreterJit
                                  "interpreter_seconds", num r.Interpreter
                                  "interpreter_warm_seconds", num r.InterpreterWarm
                                  "engine_warm_seconds", num r.EngineWarm
                                  "unicorn_unhooked_seconds", num r.Unicorn
                                  "qemu_wall", num r.Qemu
                                  "native_wall", num r.Native
                                  "engine_vs_interpreter", num q.CompiledVsInterpreter
                                  "engine_warm_vs_interpreter_warm", num q.WarmVsInterpreterWarm
                                  "engine_vs_qemu", num q.EngineVsQemu
                                  "engine_wall_vs_qemu", num q.EngineWallVsQemu
                                  "engine_warm_vs_qemu", num q.WarmVsQemu
                                  "engine_vs_unicorn_unhooked", num q.EngineVsUnicorn
                                  "engine_vs_native", num q.EngineVsNative ]
                            :> JsonNode ]
                  "transactions",
                  Json.arr
                      [ for r, _ in txnRows ->
                            Json.obj
                                [ "transaction", Json.str r.Name
                                  "instructions", Json.num r.Instructions
                                  "compute_units", Json.num r.ComputeUnits
                                  "seconds", num r.Seconds
                                  "wall", num r.Wall ]
                            :> JsonNode ]
                  "summary",
                  Json.obj
                      [ "all", summaryJson all
                        "long", summaryJson long
                        "sha256_32k_steady_mips", steady |> Option.map (fun s -> num s.Mips) |> Option.toObj
                        "run_hello_wall_model", hello |> Option.map (fst >> num) |> Option.toObj
                        "run_hello_wall_engine", hello |> Option.map (snd >> num) |> Option.toObj ]
                  "failures", Json.arr [ for f in failures -> Json.str f ] ]
        )
    else
        if System.Console.IsOutputRedirected then AnsiConsole.Profile.Width <- 200

        printfn "Real-program suite (bench/programs), %s, %s, %d cores; load average %s before, %s after."
            (started.ToString "yyyy-MM-dd HH:mm 'UTC'") cpu Environment.ProcessorCount loadBefore loadAfter
        printfn "thrumodel build measured: %s." build
        printfn "Every figure is the median of %d fresh processes (no JIT or compiled code shared between measurements);" runs
        printfn "every build of every program returned the recorded checksum before timing and in every timed run."
        printfn "Seconds: \"run\" = the execution alone (thrumodel raw's \"seconds\": no start-up, loading or output); \"wall\" = the whole process;"
        printfn "\"(JIT)\" = .NET JIT compiling during that run, all threads (the compiled tier's methods and the runtime's tiering of the engine)."
        printfn "Unicorn %s runs UNHOOKED (no memory hook, so misaligned accesses are not refused; no counting hook) on the rv64imc build;" Thru.Interop.Unicorn.Version
        printfn "the engine, qemu (%s, -cpu %s) and native (host gcc -O2) run the full-ISA build." qemuVersion qemuCpu
        printfn ""

        if not rows.IsEmpty then
            table
                [ "program"; "M instr"; "engine run"; "(JIT)"; "engine wall"; "interp run"; "(JIT)"; "interp warm"; "engine warm"; "unicorn run"; "qemu wall"; "native wall" ]
                [ for r in rows ->
                      [ r.Name
                        sprintf "%.1f" (float r.Instructions / 1e6)
                        f3 r.Engine
                        f3 r.EngineJit
                        f3 r.EngineWall
                        f3 r.Interpreter
                        f3 r.InterpreterJit
                        f3 r.InterpreterWarm
                        f3 r.EngineWarm
                        f3 r.Unicorn
                        f3 r.Qemu
                        f3 r.Native ] ]

            printfn "Ratios of times (below 1: the engine is faster) and guest instructions per second (millions):"

            let g (v: float option) = v |> Option.map ratio |> Option.defaultValue "-"
            let gm (v: float option) = v |> Option.map (sprintf "%.0f") |> Option.defaultValue "-"

            table
                [ "program"; "engine/interp"; "warm/interp warm"; "engine/qemu"; "engine wall/qemu"; "warm/qemu"; "engine/unicorn"; "engine/native"; "interp M/s"; "engine M/s"; "warm M/s"; "unicorn M/s" ]
                ([ for r in rows ->
                       let q = ratioRows r

                       [ r.Name
                         ratio q.CompiledVsInterpreter
                         ratio q.WarmVsInterpreterWarm
                         ratio q.EngineVsQemu
                         ratio q.EngineWallVsQemu
                         ratio q.WarmVsQemu
                         ratio q.EngineVsUnicorn
                         ratio q.EngineVsNative
                         sprintf "%.0f" (mips r.Instructions r.Interpreter)
                         sprintf "%.0f" (mips r.Instructions r.Engine)
                         sprintf "%.0f" (mips r.Instructions r.EngineWarm)
                         sprintf "%.0f" (mips r.InstructionsImc r.Unicorn) ] ]
                 @ [ for label, s in [ "geomean, all", all; "geomean, long", long ] ->
                         [ label
                           g s.CompiledVsInterpreter
                           g s.WarmVsInterpreterWarm
                           g s.EngineVsQemu
                           g s.EngineWallVsQemu
                           g s.WarmVsQemu
                           g s.EngineVsUnicorn
                           g s.EngineVsNative
                           gm s.InterpreterMips
                           gm s.EngineMips
                           gm s.WarmMips
                           "" ] ])

        if not txnRows.IsEmpty then
            printfn "Thru transactions (thrumodel run --engine engine; run = the executor call, first in a fresh process; wall = the whole process):"

            table
                [ "transaction"; "instructions"; "compute units"; "run"; "wall"; "what" ]
                [ for r, _ in txnRows -> [ r.Name; string r.Instructions; string r.ComputeUnits; sprintf "%.6f" r.Seconds; f3 r.Wall; r.Description ] ]

        match steady with
        | Some s ->
            printfn "Steady state, txn-sha256-32k: %.0f M instr/s metered (%d instructions in %.6f s: median of the last %d of %d runs in one process; the whole executor call, Ed25519 check included)."
                s.Mips s.Instructions s.Seconds (steadyRepeat - steadyRepeat / 2) steadyRepeat
        | None -> ()

        match hello with
        | Some(model, engine) -> printfn "thrumodel run examples/build/hello.bin, whole process: %.3f s (default engine, the model); %.3f s with --engine engine." model engine
        | None -> ()

        printfn ""
        printfn "Targets of the tier rework (issue 14), on this run:"
        let yes b = if b then "met" else "NOT met"
        if not rows.IsEmpty then
            printfn "  compiled tier never slower than the interpreter, fresh: %s (slower on: %s)" (yes all.CompiledSlower.IsEmpty) (if all.CompiledSlower.IsEmpty then "none" else String.concat ", " all.CompiledSlower)
            printfn "  compiled tier never slower than the interpreter, warm: %s (slower on: %s)" (yes all.WarmSlower.IsEmpty) (if all.WarmSlower.IsEmpty then "none" else String.concat ", " all.WarmSlower)
        all.EngineVsQemu |> Option.iter (fun v -> printfn "  engine run <= qemu whole process, geomean (fresh): %.2f, %s" v (yes (v <= 1.0)))
        all.WarmVsQemu |> Option.iter (fun v -> printfn "  engine warm at least 2x faster than qemu whole process, geomean: %.2f (needs <= 0.50), %s" v (yes (v <= 0.5)))
        all.InterpreterMips |> Option.iter (fun v -> printfn "  interpreter >= 500 M instr/s, geomean: %.0f, %s" v (yes (v >= 500.0)))
        steady |> Option.iter (fun s -> printfn "  txn-sha256-32k steady state >= 1500 M instr/s: %.0f, %s" s.Mips (yes (s.Mips >= 1500.0)))
        hello |> Option.iter (fun (model, engine) -> printfn "  thrumodel run hello <= 0.150 s wall: %.3f s (model, the default), %.3f s (engine): %s" model engine (yes (model <= 0.150)))

        if failures.Count > 0 then
            printfn ""
            printfn "FAILED (not in the tables):"
            for f in failures do
                printfn "  %s" f

    if failures.Count > 0 then 1 else 0
