/// `thrumodel demo`: the main job of `make demo`. Disassembles a small embedded RV64 program, runs it
/// in raw mode on the model and on Unicorn and shows that they agree; checks a straight-line
/// Zba/Zbb/Zknh sequence on the model against qemu-user; then runs a few of the C example
/// programs (examples/build, built by `make examples`) as transactions on the model and on the
/// engine, through the path of `thrumodel run`, and shows that their observations are identical.
module Thru.Cli.DemoCommand

open Argu
open Thru.Model
open Thru.Model.Isa
open Thru.Model.Runtime
open Thru.Compare

let private baseAddress = 0x8000_0000UL

/// One comparison the demo makes: what runs, its outcome, and whether both sides agree.
type private Check =
    { What: string
      Command: string
      Outcome: string
      Agree: bool
      Differences: string list }

/// One part of the demo: the implementations compared, its checks, or why it was skipped.
type private Part =
    { Name: string
      Compared: string list
      Checks: Check list
      Skipped: string option }

    /// A skipped part agrees: it compared nothing.
    member p.Agree = p.Checks |> List.forall (fun c -> c.Agree)

/// A part of one comparison.
let private singleCheck name compared what command outcome (differences: string list) : Part =
    { Name = name
      Compared = compared
      Skipped = None
      Checks = [ { What = what; Command = command; Outcome = outcome; Agree = differences.IsEmpty; Differences = differences } ] }

/// Fibonacci(10) in a compressed loop, a store/load round trip through memory addressed
/// pc-relatively, and a few M instructions; ends with ecall.
let private program: Decoded list =
    [ Compressed(C_LI(10, 10)) //            a0 = n = 10
      Compressed(C_LI(11, 0)) //             a1 = fib(0)
      Compressed(C_LI(12, 1)) //             a2 = fib(1)
      Full(Op(ADD, 13, 11, 12)) //  loop:    a3 = a1 + a2
      Compressed(C_MV(11, 12)) //            a1 = a2
      Compressed(C_MV(12, 13)) //            a2 = a3
      Compressed(C_ADDI(10, -1)) //          n -= 1
      Compressed(C_BNEZ(10, -10L)) //        until n = 0   (a1 = fib(10) = 55)
      Full(AUIPC(5, 1u)) //                  t0 = 0x80000012 + 0x1000
      Full(Store(SD, 5, 11, -0x12L)) //      *(base + 0x1000) = a1   (8-byte aligned)
      Full(Load(LD, 14, 5, -0x12L)) //       a4 = *(base + 0x1000)
      Full(Op(MUL, 15, 14, 14)) //           a5 = 55 * 55
      Full(OpImm(ADDI, 16, 0, 7L)) //        a6 = 7
      Full(Op(DIVU, 17, 15, 16)) //          a7 = 3025 / 7
      Full(Op(REMU, 6, 15, 16)) //           t1 = 3025 % 7
      Full ECALL ]

let private image = program |> List.collect (fun d -> List.ofArray (Encode.toBytes d).Value) |> Array.ofList

let private regLine (r: int) (a: uint64) (b: uint64) =
    sprintf "  %-4s %s  %s  %s" (Reg.name r) (Hex.u64 a) (Hex.u64 b) (if a = b then "=" else "DIFFERENT")

let private rawPart (out: System.IO.TextWriter) : Part =
    fprintfn out "1. An RV64IMC program (%d bytes), disassembled by the model:\n" image.Length

    for line in Disasm.listing baseAddress image do
        fprintfn out "  %x:  %-30s" line.Address line.Text

    let model = (Raw.run Decisions.Profile.defaults image baseAddress 10_000L |> Result.toOption).Value |> RawObservation.ofModel
    let unicorn = RawObservation.ofUnicorn (Thru.Interop.UnicornRaw.Run(image, baseAddress, 10_000L))
    fprintfn out "\n   Run in raw mode (all registers 0, pc = 0x%x, 16 MiB of memory):\n" baseAddress
    fprintfn out "  %-4s %-18s  %-18s" "" "model" "unicorn"
    fprintfn out "  stop %-18s  %-18s" model.Stop unicorn.Stop
    fprintfn out "  pc   %s  %s" (Hex.u64 model.Pc) (Hex.u64 unicorn.Pc)
    fprintfn out "  n    %-18d  %-18d" model.Instructions unicorn.Instructions

    for r in [ 5; 6; 10; 11; 12; 13; 14; 15; 16; 17 ] do
        fprintfn out "%s" (regLine r model.Regs[r] unicorn.Regs[r])

    let differences = RawObservation.differences model unicorn

    if differences.IsEmpty then
        fprintfn out "\n   The model and Unicorn agree on all 32 registers, the pc, the stop and the count."
    else
        differences |> List.iter (fprintfn out "   difference: %s")

    singleCheck "raw" [ "model"; "unicorn" ] "an RV64IMC program: fib(10), a store/load round trip, mul, divu, remu" "thrumodel raw --engine both"
        (sprintf "%s at pc 0x%x after %d instructions" model.Stop model.Pc model.Instructions) differences

let private qemuPart (out: System.IO.TextWriter) : Part =
    let code =
        [ Full(Op(SH1ADD, 12, 10, 11)); Full(Unary(CLZ, 13, 10)); Full(Unary(REV8, 14, 11))
          Full(Unary(SHA256SUM0, 15, 10)); Full(Unary(SHA512SIG1, 16, 11)); Full(ShiftImm(BSETI, 17, 0, 63)) ]

    let regs = Array.init 32 (fun i -> if i = 10 then 0x6a09_e667UL elif i = 11 then 0x0123_4567_89ab_cdefUL else 0UL)
    let bytes = code |> List.collect (fun d -> List.ofArray (Encode.toBytes d).Value) |> Array.ofList
    let withEcall = Array.append bytes (Encode.toBytes (Full ECALL)).Value
    let mem = (Raw.load withEcall baseAddress |> Result.toOption).Value
    let model = Raw.runFrom Decisions.Profile.defaults 100L { Pc = baseAddress; Regs = Registers.ofArray regs } mem
    let modelRegs = Registers.toArray model.Hart.Regs
    let check = singleCheck "qemu" [ "model"; "qemu-user" ] "Zba, Zbb, Zbs and Zknh: sh1add, clz, rev8, sha256sum0, sha512sig1, bseti" "qemu-riscv64 (straight-line case)"

    fprintfn out "\n2. Zba, Zbb, Zbs and Zknh (which Unicorn cannot decode), checked on qemu-user:\n"
    code |> List.iter (fun d -> fprintfn out "  %s" (Disasm.decoded None 0u 4 d))

    match Thru.Interop.QemuOracle().Run([| Thru.Interop.QemuCase(regs, bytes) |])[0] with
    | :? Thru.Interop.QemuOutcome.Completed as c ->
        fprintfn out "\n  %-4s %-18s  %-18s" "" "model" "qemu-user"

        for r in [ 10..17 ] do
            fprintfn out "%s" (regLine r modelRegs[r] c.Regs[r])

        let differences = [ for r in 1..30 do if modelRegs[r] <> c.Regs[r] then sprintf "%s: model %s, qemu-user %s" (Reg.name r) (Hex.u64 modelRegs[r]) (Hex.u64 c.Regs[r]) ]
        fprintfn out "\n   %s" (if differences.IsEmpty then "The model and qemu-user agree on x1..x30." else "The model and qemu-user DISAGREE.")
        check "completed" differences
    | other ->
        fprintfn out "  qemu-user did not complete: %A" other
        check "qemu-user did not complete" [ sprintf "qemu-user: %A" other ]

// ---------------------------------------------------------------------------------------
// 3. C example programs on the model and on the engine.
// ---------------------------------------------------------------------------------------

/// The repository root (the directory holding ThruModel.sln), from the current directory or
/// from the executable's.
let private repoRoot () =
    let rec up (d: System.IO.DirectoryInfo) =
        if isNull d then None
        elif System.IO.File.Exists(System.IO.Path.Combine(d.FullName, "ThruModel.sln")) then Some d.FullName
        else up d.Parent

    match up (System.IO.DirectoryInfo(System.IO.Directory.GetCurrentDirectory())) with
    | Some r -> Some r
    | None -> up (System.IO.DirectoryInfo System.AppContext.BaseDirectory)

/// The engine's view of a prepared run's environment (same state, blocks, verifier and chain).
let private engineEnvironment (env: Execution.Environment) = TxnFixture.engineEnvironment env

let private outcome (o: TxnObservation.TxnObservation) =
    match o.VmError with
    | 0 -> sprintf "success, exit code %d" o.UserErrorCode
    | e when e = Codes.Txn.vmRevert -> sprintf "%s: reverted with code %d (0x%x) by account %d" (Codes.txnErrorName e) o.UserErrorCode o.UserErrorCode (defaultArg o.ErrorProgramAccIdx -1)
    | e -> sprintf "%s%s" (Codes.txnErrorName e) (o.Fault |> Option.map (sprintf ": %s") |> Option.defaultValue "")

/// The example runs: program, accounts file, instruction data, what it shows.
let private exampleRuns: (string * string option * string * string) list =
    [ "hello", None, "", "the smallest program: one log line"
      "counter", Some "counter", "0300000000000000", "adds 3 to the u64 kept in account 2, which the program owns"
      "chain_a", Some "chain-ab", "04000200ffff" + "020200" + "0a00000000000000",
      "chain_a invokes chain_b (account 4) with a descriptor authorizing account 2, which chain_a owns"
      "chain_a", Some "chain-ab", "040002000200" + "020200" + "0a00000000000000",
      "the same with account 2 also deauthorized: chain_b reverts, and the whole transaction with it"
      "sha256", None, "616263", "SHA-256 of \"abc\" with the Zknh instructions, checked against FIPS 180-2"
      "fault_misaligned", None, "", "an 8-byte load from an odd stack address: a fault ends the transaction" ]

/// The demo's build step: when example programs are missing and the RISC-V cross compiler is
/// installed, `make -C examples` builds them, with a progress bar (one step per program image).
/// Never installs anything (make examples does that); true when every program is then built.
let private buildExamples (out: System.IO.TextWriter) (root: string) (missing: string list) : bool =
    let compilerPresent =
        System.Environment.GetEnvironmentVariable("PATH").Split(':')
        |> Array.exists (fun d -> d <> "" && System.IO.File.Exists(System.IO.Path.Combine(d, "riscv64-unknown-elf-gcc")))

    if not compilerPresent then
        false
    else
        fprintfn out "\n   Building the example programs (make -C examples): %s" (String.concat ", " missing)
        let programs = System.IO.File.ReadAllLines(System.IO.Path.Combine(root, "examples", "Makefile")) |> Array.filter (fun l -> l.Contains "call thru_program,") |> Array.length

        Progress.run "building the examples" programs (fun p ->
            let psi = System.Diagnostics.ProcessStartInfo("make", [ "-C"; System.IO.Path.Combine(root, "examples"); "--no-print-directory" ], RedirectStandardOutput = true, RedirectStandardError = true)

            try
                use proc = System.Diagnostics.Process.Start psi
                let errors = proc.StandardError.ReadToEndAsync()
                let mutable line = proc.StandardOutput.ReadLine()

                while not (isNull line) do
                    if line.Contains "IMAGE" then
                        p.Describe(System.IO.Path.GetFileNameWithoutExtension(line.Trim().Split(' ') |> Array.last))
                        p.Advance 1

                    line <- proc.StandardOutput.ReadLine()

                proc.WaitForExit()
                if proc.ExitCode <> 0 then fprintfn out "   make -C examples failed: %s" (errors.Result.Split('\n') |> Array.tryHead |> Option.defaultValue "")
                proc.ExitCode = 0
            with :? System.ComponentModel.Win32Exception ->
                false)

let private examplePart (out: System.IO.TextWriter) : Part =
    fprintfn out "\n3. Thru programs written in C with the SDK (sdk/, examples/), each run as a transaction on the"
    fprintfn out "   model and on the engine, exactly as `thrumodel run` runs them:"

    let part checks skipped = { Name = "examples"; Compared = [ "model"; "engine" ]; Checks = checks; Skipped = skipped }

    match repoRoot () with
    | None ->
        fprintfn out "\n   (skipped: run the demo from the repository, where examples/ is)"
        part [] (Some "not run from the repository, where examples/ is")
    | Some root ->
        let build = System.IO.Path.Combine(root, "examples", "build")
        let missingNow () = exampleRuns |> List.map (fun (p, _, _, _) -> p) |> List.distinct |> List.filter (fun p -> not (System.IO.File.Exists(System.IO.Path.Combine(build, p + ".bin"))))
        let missing = missingNow ()
        let missing = if not missing.IsEmpty && buildExamples out root missing then missingNow () else missing

        if not missing.IsEmpty then
            fprintfn out "\n   (skipped: %s not built; run `make examples`)" (String.concat ", " missing)
            part [] (Some(sprintf "%s not built; run `make examples`" (String.concat ", " missing)))
        else
            let parser = ArgumentParser.Create<Args.RunArgs>(programName = "thrumodel run")

            let agree =
                [ for program, world, instr, what in exampleRuns ->
                      let shown =
                          [ yield sprintf "examples/build/%s.bin" program
                            match world with
                            | Some w -> yield sprintf "--accounts examples/worlds/%s.json" w
                            | None -> ()
                            if instr <> "" then yield "--instr " + instr ]

                      let args =
                          [| yield System.IO.Path.Combine(build, program + ".bin")
                             match world with
                             | Some w -> yield! [ "--accounts"; System.IO.Path.Combine(root, "examples", "worlds", w + ".json") ]
                             | None -> ()
                             if instr <> "" then yield! [ "--instr"; instr ] |]

                      let p = RunCommand.prepare (parser.Parse args)
                      let model = TxnObservation.ofModel (Execution.execute p.Env p.Wire)
                      let engineEnv = engineEnvironment p.Env
                      let engine = TxnObservation.ofEngine engineEnv (Thru.Engine.TransactionExecutor.Execute(engineEnv, System.ReadOnlySpan p.Wire))
                      let differences = TxnObservation.differences model engine
                      fprintfn out "\n   %s" what
                      fprintfn out "   $ thrumodel run %s" (String.concat " " shown)
                      fprintfn out "     result    %s  (%d CU, %d memory unit%s)" (outcome model) model.ConsumedComputeUnits model.ConsumedMemoryUnits (if model.ConsumedMemoryUnits = 1UL then "" else "s")

                      for idx, data in model.Logs do
                          fprintfn out "     log [%d]   %s" idx (System.Text.Encoding.UTF8.GetString data)

                      for a in RunCommand.changedAccounts p.Before model do
                          match p.Names |> Map.tryPick (fun k n -> if string k = a.Key then Some n else None) with
                          | Some "fee payer" -> ()
                          | name -> fprintfn out "     account   %s: data %s" (defaultArg name a.Key) (TxnObservation.hex a.Data)

                      if differences.IsEmpty then
                          fprintfn out "     engine    the same observation (result, units, logs, events, fault, registers, accounts)"
                      else
                          differences |> List.iter (fprintfn out "     engine    DIFFERENT: %s")

                      { What = what
                        Command = "thrumodel run " + String.concat " " shown
                        Outcome = outcome model
                        Agree = differences.IsEmpty
                        Differences = differences } ]

            let n = agree |> List.filter (fun c -> c.Agree) |> List.length
            fprintfn out "\n   The model and the engine agree on %d of %d example transactions." n agree.Length
            part agree None

/// The parts as `demo --json` prints them: {"ok", "parts": [{"name", "compared", "skipped",
/// "agree", "checks": [{"what", "command", "outcome", "agree", "differences"}]}]}.
let private json (parts: Part list) =
    Json.obj
        [ "ok", Json.bool (parts |> List.forall (fun p -> p.Agree))
          "parts",
          Json.arr
              [ for p in parts ->
                    Json.obj
                        [ "name", Json.str p.Name
                          "compared", Json.arr (p.Compared |> List.map Json.str)
                          "skipped", Json.opt Json.str p.Skipped
                          "agree", Json.bool p.Agree
                          "checks",
                          Json.arr
                              [ for c in p.Checks ->
                                    Json.obj
                                        [ "what", Json.str c.What
                                          "command", Json.str c.Command
                                          "outcome", Json.str c.Outcome
                                          "agree", Json.bool c.Agree
                                          "differences", Json.arr (c.Differences |> List.map Json.str) ]
                                    :> System.Text.Json.Nodes.JsonNode ] ]
                    :> System.Text.Json.Nodes.JsonNode ] ]

/// Runs the demo: the text walk-through, or with --json one JSON object (the same checks).
/// Exit 0 when every comparison agrees, 1 otherwise.
let run (args: ParseResults<Args.DemoArgs>) : int =
    let asJson = args.Contains Args.DemoArgs.Json
    let out = if asJson then System.IO.TextWriter.Null else stdout
    let parts = [ rawPart out; qemuPart out; examplePart out ]
    if asJson then Common.printJson (json parts)
    if parts |> List.forall (fun p -> p.Agree) then 0 else 1
