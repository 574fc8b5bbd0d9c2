/// The command line refuses bad input cleanly (issue 15 §3): every case below runs the CLI and
/// checks its exit code (2 for bad usage or input, never 70), that it ends within its deadline,
/// and that a refusal is exactly one line on stderr (no stack trace, no usage dump). Most cases
/// run in process through `Program.execute` with stdout and stderr captured (alone, since they
/// redirect the console); a few run the built `thrumodel` as a process, where only a process shows
/// the behaviour (a FIFO, /dev/zero, the exit code the shell sees).
module Thru.Tests.Cli.BadInputTests

open System
open System.IO
open Expecto
open Thru.Tests.Support

let private examples = Thru.Tests.Examples.ExampleRun.examplesDir

/// A scratch folder with the inputs the cases read.
let private scratch =
    lazy
        (let dir = Path.Combine(Path.GetTempPath(), sprintf "thrumodel-badinput-%d" Environment.ProcessId)
         Directory.CreateDirectory dir |> ignore
         let file name (text: string) = File.WriteAllText(Path.Combine(dir, name), text)
         let sparse name (size: int64) = (use f = File.Create(Path.Combine(dir, name)) in f.SetLength size)

         file "empty" ""
         sparse "big20" 20_000_000L
         sparse "account-16m1" (16L * 1024L * 1024L + 1L)
         sparse "account-16m" (16L * 1024L * 1024L)
         sparse "instr-65536" 65536L
         File.WriteAllBytes(Path.Combine(dir, "garbage"), Array.init 4096 (fun i -> byte ((i * 7919 + 13) % 251)))
         File.WriteAllBytes(Path.Combine(dir, "instr8"), [| 3uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy |])
         // A 16 MiB + 1-byte account in hex, in the file itself.
         file "account-16m1-hex.json" ("""{"accounts":[{"name":"a","pubkey":"11""" + String('1', 62) + "\",\"data\":\"" + String('0', 2 * (16 * 1024 * 1024 + 1)) + "\"}]}")
         file "account-16m1-file.json" """{"accounts":[{"name":"a","pubkey":"1111111111111111111111111111111111111111111111111111111111111111","dataFile":"account-16m1"}]}"""
         file "account-16m-file.json" """{"accounts":[{"name":"a","pubkey":"1111111111111111111111111111111111111111111111111111111111111111","dataFile":"account-16m"}]}"""
         // An RV64 ELF for raw mode: addi a0, zero, 42; ecall at 0x10000 (entry 0x10004 skips a nop).
         let elf = Thru.Interop.ElfWriter(Entry = 0x10004UL)
         elf.AddSegment(0x10000UL, ReadOnlySpan [| 0x13uy; 0uy; 0uy; 0uy; 0x13uy; 0x05uy; 0xa0uy; 0x02uy; 0x73uy; 0uy; 0uy; 0uy |], Thru.Interop.ElfSegmentFlags.Read ||| Thru.Interop.ElfSegmentFlags.Execute)
         File.WriteAllBytes(Path.Combine(dir, "raw.elf"), elf.ToArray())
         let far = Thru.Interop.ElfWriter(Entry = 0x10000UL)
         far.AddSegment(0x10000UL, ReadOnlySpan [| 0x73uy; 0uy; 0uy; 0uy |], Thru.Interop.ElfSegmentFlags.Read ||| Thru.Interop.ElfSegmentFlags.Execute)
         far.AddSegment(0x4000000UL, ReadOnlySpan [| 0uy |], Thru.Interop.ElfSegmentFlags.Read ||| Thru.Interop.ElfSegmentFlags.Write)
         File.WriteAllBytes(Path.Combine(dir, "far.elf"), far.ToArray())
         let outside = Thru.Interop.ElfWriter(Entry = 0x90000UL)
         outside.AddSegment(0x10000UL, ReadOnlySpan [| 0x73uy; 0uy; 0uy; 0uy |], Thru.Interop.ElfSegmentFlags.Read ||| Thru.Interop.ElfSegmentFlags.Execute)
         File.WriteAllBytes(Path.Combine(dir, "entry-outside.elf"), outside.ToArray())
         let elfBytes = elf.ToArray()
         File.WriteAllBytes(Path.Combine(dir, "truncated.elf"), elfBytes[.. 70])
         let x86 = Array.copy elfBytes
         x86[18] <- 62uy
         File.WriteAllBytes(Path.Combine(dir, "x86.elf"), x86)
         dir)

let private path (name: string) = Path.Combine(scratch.Value, name)

/// The key of an account in accounts files written below.
let private k1 = String('1', 64)
let private k2 = String('2', 64)

/// Write an accounts file of that text; its path.
let private world (name: string) (json: string) =
    let p = path (name + ".json")
    File.WriteAllText(p, json)
    p

let private hello () = Thru.Tests.Examples.ExampleRun.binary "hello"
let private counter () = Thru.Tests.Examples.ExampleRun.binary "counter"

/// One case: a name, the command line (built when the case runs: files are made then), and the
/// exit code it must give.
type private Case =
    { Name: string
      Args: unit -> string list
      Exit: int }

let private bad name (args: unit -> string list) = { Name = name; Args = args; Exit = 2 }
let private ok name (args: unit -> string list) = { Name = name; Args = args; Exit = 0 }
let private failed name (args: unit -> string list) = { Name = name; Args = args; Exit = 1 }

/// A `run` of hello with this accounts file text.
let private runWorld (name: string) (json: string) =
    bad ("run --accounts: " + name) (fun () -> [ "run"; hello (); "--accounts"; world name json ])

let private account (members: string) = sprintf """{"accounts":[{"name":"a","pubkey":"%s"%s}]}""" k1 members

let private cases: Case list =
    [ // ---- the issue's cases ----
      bad "an account of 16 MiB + 1 bytes in hex (model)" (fun () -> [ "run"; hello (); "--accounts"; path "account-16m1-hex.json" ])
      bad "an account of 16 MiB + 1 bytes in hex (engine)" (fun () -> [ "run"; hello (); "--engine"; "engine"; "--accounts"; path "account-16m1-hex.json" ])
      bad "an account of 16 MiB + 1 bytes from dataFile (engine)" (fun () -> [ "run"; hello (); "--engine"; "engine"; "--accounts"; path "account-16m1-file.json" ])
      bad "an account of 16 MiB + 1 bytes from dataFile (both)" (fun () -> [ "run"; hello (); "--engine"; "both"; "--accounts"; path "account-16m1-file.json" ])
      bad "bench --seconds nan" (fun () -> [ "bench"; "--seconds"; "nan" ])
      bad "bench --seconds infinity" (fun () -> [ "bench"; "--seconds"; "Infinity" ])
      bad "bench --seconds -1" (fun () -> [ "bench"; "--seconds"; "-1" ])
      bad "bench --seconds 0" (fun () -> [ "bench"; "--seconds"; "0" ])
      bad "bench --seconds 1e9" (fun () -> [ "bench"; "--seconds"; "1e9" ])
      bad "disasm of a 20 MB file" (fun () -> [ "disasm"; path "big20" ])
      bad "raw of a 20 MB file" (fun () -> [ "raw"; path "big20" ])
      bad "run of a 20 MB program" (fun () -> [ "run"; path "big20" ])
      runWorld "chainId 65536" """{"chainId": 65536}"""
      runWorld "chainId 0" """{"chainId": 0}"""
      runWorld "chainId -1" """{"chainId": -1}"""
      runWorld "flags 257" (account ",\"flags\":257")
      runWorld "flags -1" (account ",\"flags\":-1")
      runWorld "misspelt root key" """{"slott": 5}"""
      runWorld "misspelt account key" (account ",\"balanse\":5")
      runWorld "misspelt feePayer key" """{"feePayer": {"sed": "00"}}"""
      runWorld "misspelt derive key" """{"accounts":[{"name":"a","derive":{"seeed":"00"}}]}"""
      runWorld "misspelt program key" """{"program": {"pubky": "00"}}"""
      runWorld "misspelt compressedAt key" (sprintf """{"compressedAt":[{"pubkey":"%s","slott":1}]}""" k1)
      bad "run --txn with --instr" (fun () -> [ "run"; hello (); "--txn"; path "garbage"; "--instr"; "00" ])
      bad "run --txn with --cu" (fun () -> [ "run"; hello (); "--txn"; path "garbage"; "--cu"; "5" ])
      bad "run --txn with --instr-file" (fun () -> [ "run"; hello (); "--txn"; path "garbage"; "--instr-file"; path "instr8" ])
      bad "proof --key with --account" (fun () -> [ "proof"; hello (); "--key"; k1; "--account"; "a" ])
      // ---- accounts files: types, ranges, duplicates, nesting ----
      runWorld "empty file" ""
      runWorld "not JSON" "{slot: 1}"
      runWorld "a JSON array" "[]"
      runWorld "a JSON string" "\"x\""
      runWorld "null" "null"
      runWorld "trailing comma" """{"slot": 1,}"""
      runWorld "comment" """{"slot": 1 /* c */}"""
      runWorld "duplicate root key" """{"slot": 1, "slot": 2}"""
      runWorld "duplicate account key" (account ",\"balance\":1,\"balance\":2")
      runWorld "slot as a string" """{"slot": "1000"}"""
      runWorld "slot fractional" """{"slot": 1.5}"""
      runWorld "slot exponent" """{"slot": 1e3}"""
      runWorld "slot past 62 bits" """{"slot": 4611686018427387904}"""
      runWorld "slot past u64" """{"slot": 18446744073709551616}"""
      runWorld "fee negative" """{"fee": -1}"""
      runWorld "fee as bool" """{"fee": true}"""
      runWorld "stateCounter as a string" """{"stateCounter": "x"}"""
      runWorld "accounts not an array" """{"accounts": {}}"""
      runWorld "account not an object" """{"accounts": [1]}"""
      runWorld "account with no key" """{"accounts": [{"name": "a"}]}"""
      runWorld "account with pubkey and seed" (sprintf """{"accounts":[{"name":"a","pubkey":"%s","seed":"%s"}]}""" k1 k2)
      runWorld "pubkey too short" """{"accounts":[{"name":"a","pubkey":"11"}]}"""
      runWorld "pubkey not hex" (sprintf """{"accounts":[{"name":"a","pubkey":"%s"}]}""" (String('z', 64)))
      runWorld "pubkey as a number" """{"accounts":[{"name":"a","pubkey":5}]}"""
      runWorld "data odd length" (account ",\"data\":\"abc\"")
      runWorld "data not hex" (account ",\"data\":\"zz\"")
      runWorld "data and dataFile" (account ",\"data\":\"00\",\"dataFile\":\"x\"")
      runWorld "dataFile missing" (account ",\"dataFile\":\"no-such-file\"")
      runWorld "dataFile empty name" (account ",\"dataFile\":\"\"")
      runWorld "dataFile a directory" (account ",\"dataFile\":\".\"")
      runWorld "owner unknown" (account ",\"owner\":\"nobody\"")
      runWorld "owner as a number" (account ",\"owner\":1")
      runWorld "balance past u64" (account ",\"balance\":18446744073709551616")
      runWorld "nonce negative" (account ",\"nonce\":-5")
      runWorld "seq fractional" (account ",\"seq\":0.5")
      runWorld "writable as a string" (account ",\"writable\":\"yes\"")
      runWorld "exists as a number" (account ",\"exists\":1")
      runWorld "program as null" (account ",\"program\":null")
      runWorld "exists false with data" (account ",\"exists\":false,\"data\":\"00\"")
      runWorld "program false with the PROGRAM flag" (account ",\"program\":false,\"flags\":1")
      runWorld "empty name" (sprintf """{"accounts":[{"name":"","pubkey":"%s"}]}""" k1)
      runWorld "two accounts with one name" (sprintf """{"accounts":[{"name":"a","pubkey":"%s"},{"name":"a","pubkey":"%s"}]}""" k1 k2)
      runWorld "one key twice" (sprintf """{"accounts":[{"name":"a","pubkey":"%s"},{"name":"b","pubkey":"%s"}]}""" k1 k1)
      runWorld "feePayer not an object" """{"feePayer": 1}"""
      runWorld "feePayer seed short" """{"feePayer": {"seed": "00"}}"""
      runWorld "feePayer balance negative" """{"feePayer": {"balance": -1}}"""
      runWorld "program with pubkey and seed" (sprintf """{"program": {"pubkey": "%s", "seed": "%s"}}""" k1 k2)
      runWorld "program empty" """{"program": {}}"""
      runWorld "derive not an object" """{"accounts":[{"name":"a","derive":"x"}]}"""
      runWorld "derive ephemeral as a string" """{"accounts":[{"name":"a","derive":{"ephemeral":"no"}}]}"""
      runWorld "compressedAt not an array" """{"compressedAt": 1}"""
      runWorld "compressedAt without slot" (sprintf """{"compressedAt":[{"pubkey":"%s"}]}""" k1)
      runWorld "compressedAt key twice" (sprintf """{"compressedAt":[{"pubkey":"%s","slot":1},{"pubkey":"%s","slot":2}]}""" k1 k1)
      runWorld "nesting too deep" (String('[', 100) + String(']', 100))
      runWorld "description as a number" """{"description": 5}"""
      bad "run --accounts: binary garbage" (fun () -> [ "run"; hello (); "--accounts"; path "garbage" ])
      bad "run --accounts: a directory" (fun () -> [ "run"; hello (); "--accounts"; scratch.Value ])
      bad "run --accounts: missing" (fun () -> [ "run"; hello (); "--accounts"; path "no-such" ])
      bad "run --accounts: empty path" (fun () -> [ "run"; hello (); "--accounts"; "" ])
      // ---- run: options ----
      bad "run: no program" (fun () -> [ "run" ])
      bad "run: program missing" (fun () -> [ "run"; path "no-such.bin" ])
      bad "run: program empty" (fun () -> [ "run"; path "empty" ])
      bad "run: program garbage" (fun () -> [ "run"; path "garbage" ])
      bad "run: program a directory" (fun () -> [ "run"; scratch.Value ])
      bad "run: program by key without --accounts" (fun () -> [ "run"; k1 ])
      bad "run: --cu negative" (fun () -> [ "run"; hello (); "--cu"; "-5" ])
      bad "run: --cu past u32" (fun () -> [ "run"; hello (); "--cu"; "4294967296" ])
      bad "run: --cu past i64" (fun () -> [ "run"; hello (); "--cu"; "99999999999999999999" ])
      bad "run: --cu not a number" (fun () -> [ "run"; hello (); "--cu"; "abc" ])
      bad "run: --cu twice" (fun () -> [ "run"; hello (); "--cu"; "1"; "--cu"; "2" ])
      bad "run: --su past u16" (fun () -> [ "run"; hello (); "--su"; "65536" ])
      bad "run: --mu negative" (fun () -> [ "run"; hello (); "--mu"; "-1" ])
      bad "run: --instr odd" (fun () -> [ "run"; hello (); "--instr"; "abc" ])
      bad "run: --instr not hex" (fun () -> [ "run"; hello (); "--instr"; "zz" ])
      bad "run: --instr 65536 bytes" (fun () -> [ "run"; hello (); "--instr"; String('0', 2 * 65536) ])
      bad "run: --instr and --instr-file" (fun () -> [ "run"; hello (); "--instr"; "00"; "--instr-file"; path "instr8" ])
      bad "run: --instr-file of 65536 bytes" (fun () -> [ "run"; hello (); "--instr-file"; path "instr-65536" ])
      bad "run: --instr-file missing" (fun () -> [ "run"; hello (); "--instr-file"; path "no-such" ])
      bad "run: --engine unknown" (fun () -> [ "run"; hello (); "--engine"; "fast" ])
      bad "run: --engine unicorn" (fun () -> [ "run"; hello (); "--engine"; "unicorn" ])
      bad "run: --repeat 0" (fun () -> [ "run"; hello (); "--repeat"; "0" ])
      bad "run: --repeat with --engine both" (fun () -> [ "run"; hello (); "--repeat"; "2"; "--engine"; "both" ])
      bad "run: --txn missing" (fun () -> [ "run"; hello (); "--txn"; path "no-such" ])
      bad "run: --txn of 20 MB" (fun () -> [ "run"; hello (); "--txn"; path "big20" ])
      bad "run: --state-out into a missing folder" (fun () -> [ "run"; hello (); "--state-out"; path "no-such/x.json" ])
      bad "run: --state-out a directory" (fun () -> [ "run"; hello (); "--state-out"; scratch.Value ])
      bad "run: an extra argument" (fun () -> [ "run"; hello (); "extra" ])
      bad "run: an unknown option" (fun () -> [ "run"; hello (); "--fast" ])
      // ---- run: exit codes of results ----
      ok "run: hello succeeds" (fun () -> [ "run"; hello () ])
      ok "run: hello on the engine succeeds" (fun () -> [ "run"; hello (); "--engine"; "engine" ])
      ok "run: hello with an accounts file of a 16 MiB account" (fun () -> [ "run"; hello (); "--accounts"; path "account-16m-file.json" ])
      failed "run: compute units exhausted is exit 1" (fun () -> [ "run"; Thru.Tests.Examples.ExampleRun.binary "cu_exhaust" ])
      failed "run: a misaligned fault is exit 1" (fun () -> [ "run"; Thru.Tests.Examples.ExampleRun.binary "fault_misaligned" ])
      failed "run: a revert is exit 1 (both)" (fun () -> [ "run"; counter (); "--engine"; "both" ])
      failed "run: a transaction that fails validation is exit 1" (fun () -> [ "run"; hello (); "--txn"; path "garbage" ])
      failed "run: an empty transaction is exit 1" (fun () -> [ "run"; hello (); "--txn"; path "empty" ])
      failed "run: too little compute is exit 1" (fun () -> [ "run"; hello (); "--cu"; "0" ])
      // ---- raw ----
      bad "raw: no file" (fun () -> [ "raw" ])
      bad "raw: empty image" (fun () -> [ "raw"; path "empty" ])
      bad "raw: --base not hex" (fun () -> [ "raw"; hello (); "--base"; "xyz" ])
      bad "raw: --base not page aligned" (fun () -> [ "raw"; hello (); "--base"; "0x1001" ])
      bad "raw: --base at the top" (fun () -> [ "raw"; hello (); "--base"; "0xfffffffffffff000" ])
      bad "raw: --base past u64" (fun () -> [ "raw"; hello (); "--base"; "0x1ffffffffffffffff" ])
      bad "raw: --max-steps negative" (fun () -> [ "raw"; hello (); "--max-steps"; "-1" ])
      bad "raw: --repeat huge" (fun () -> [ "raw"; hello (); "--repeat"; "2000000" ])
      bad "raw: --unhooked without unicorn" (fun () -> [ "raw"; hello (); "--unhooked" ])
      bad "raw: --unhooked with --max-steps" (fun () -> [ "raw"; hello (); "--engine"; "unicorn"; "--unhooked"; "--max-steps"; "5" ])
      bad "raw: a directory" (fun () -> [ "raw"; scratch.Value ])
      bad "raw: ELF with --base" (fun () -> [ "raw"; path "raw.elf"; "--base"; "0x1000" ])
      bad "raw: ELF truncated" (fun () -> [ "raw"; path "truncated.elf" ])
      bad "raw: ELF for x86-64" (fun () -> [ "raw"; path "x86.elf" ])
      bad "raw: ELF segments wider than 16 MiB" (fun () -> [ "raw"; path "far.elf" ])
      bad "raw: ELF entry outside its segments" (fun () -> [ "raw"; path "entry-outside.elf" ])
      ok "raw: an ELF at its entry point" (fun () -> [ "raw"; path "raw.elf"; "--engine"; "both" ])
      // ---- disasm ----
      bad "disasm: empty file" (fun () -> [ "disasm"; path "empty" ])
      bad "disasm: missing file" (fun () -> [ "disasm"; path "no-such" ])
      bad "disasm: --base not hex" (fun () -> [ "disasm"; hello (); "--base"; "q" ])
      bad "disasm: ELF with --base" (fun () -> [ "disasm"; path "raw.elf"; "--base"; "0" ])
      bad "disasm: ELF truncated" (fun () -> [ "disasm"; path "truncated.elf" ])
      ok "disasm: an ELF" (fun () -> [ "disasm"; path "raw.elf"; "--json" ])
      ok "disasm: garbage is a flat binary" (fun () -> [ "disasm"; path "garbage" ])
      // ---- proof ----
      bad "proof: neither --key nor --account" (fun () -> [ "proof"; hello () ])
      bad "proof: --key short" (fun () -> [ "proof"; hello (); "--key"; "00" ])
      bad "proof: --account unknown" (fun () -> [ "proof"; hello (); "--account"; "nobody" ])
      bad "proof: program garbage" (fun () -> [ "proof"; path "garbage"; "--key"; k1 ])
      ok "proof: a creation proof" (fun () -> [ "proof"; hello (); "--key"; k1; "--json" ])
      // ---- txn ----
      bad "txn: no subcommand" (fun () -> [ "txn" ])
      bad "txn build: no --out" (fun () -> [ "txn"; "build"; hello () ])
      bad "txn build: --out into a missing folder" (fun () -> [ "txn"; "build"; hello (); "--out"; path "no-such/t.bin" ])
      bad "txn build: --out a directory" (fun () -> [ "txn"; "build"; hello (); "--out"; scratch.Value ])
      bad "txn build: --su past u16" (fun () -> [ "txn"; "build"; hello (); "--su"; "70000"; "--out"; path "t.bin" ])
      bad "txn decode: missing" (fun () -> [ "txn"; "decode"; path "no-such" ])
      bad "txn decode: 20 MB" (fun () -> [ "txn"; "decode"; path "big20" ])
      ok "txn build: hello" (fun () -> [ "txn"; "build"; hello (); "--out"; path "hello.txn" ])
      failed "txn decode: an empty file decodes and fails validation" (fun () -> [ "txn"; "decode"; path "empty" ])
      failed "txn decode: garbage decodes and fails validation" (fun () -> [ "txn"; "decode"; path "garbage"; "--json" ])
      // ---- trie ----
      bad "trie: no subcommand" (fun () -> [ "trie" ])
      bad "trie root: garbage" (fun () -> [ "trie"; "root"; path "garbage" ])
      bad "trie root: 20 MB of zeros" (fun () -> [ "trie"; "root"; path "big20" ])
      bad "trie prove: no --key" (fun () -> [ "trie"; "prove"; world "trie" "[]" ])
      bad "trie prove: --slot past 62 bits" (fun () -> [ "trie"; "prove"; world "trie" "[]"; "--key"; k1; "--slot"; "18446744073709551615" ])
      bad "trie verify: nothing" (fun () -> [ "trie"; "verify" ])
      bad "trie verify: bad proof" (fun () -> [ "trie"; "verify"; "--root"; k1; "--key"; k1; "--proof"; "zz" ])
      // ---- bench, decisions, the command itself ----
      bad "bench: --runs without --suite" (fun () -> [ "bench"; "--runs"; "3" ])
      bad "bench: --filter without --suite" (fun () -> [ "bench"; "--filter"; "x" ])
      bad "bench: --suite unknown" (fun () -> [ "bench"; "--suite"; "nope" ])
      bad "bench: --suite with --seconds" (fun () -> [ "bench"; "--suite"; "programs"; "--seconds"; "1" ])
      bad "bench: --runs 0" (fun () -> [ "bench"; "--suite"; "programs"; "--runs"; "0" ])
      bad "decisions: --json and --markdown" (fun () -> [ "decisions"; "--json"; "--markdown" ])
      bad "decisions: --id unknown" (fun () -> [ "decisions"; "--id"; "D-NOPE" ])
      ok "decisions: --id D-ALIGN" (fun () -> [ "decisions"; "--id"; "D-ALIGN"; "--json" ])
      bad "no verb" (fun () -> [])
      bad "an unknown verb" (fun () -> [ "frobnicate" ])
      bad "an unknown global option" (fun () -> [ "--frobnicate" ])
      ok "--version" (fun () -> [ "--version" ])
      ok "--help" (fun () -> [ "--help" ]) ]

/// Run the CLI in this process with the console captured: exit code, stdout, stderr; None when
/// it did not end within `seconds`.
let private runInProcess (seconds: float) (args: string list) : (int * string * string) option =
    let out, err = new StringWriter(), new StringWriter()
    let oldOut, oldErr = Console.Out, Console.Error
    Console.SetOut out
    Console.SetError err

    try
        let task = Threading.Tasks.Task.Run(fun () -> Thru.Cli.Program.execute (Array.ofList args))
        if task.Wait(TimeSpan.FromSeconds seconds) then Some(task.Result, out.ToString(), err.ToString()) else None
    finally
        Console.SetOut oldOut
        Console.SetError oldErr

/// What a case's output must be: the exit code; a refusal one line on stderr that names
/// thrumodel; never an internal error or a stack trace.
let private check (c: Case) (code: int, stdout: string, stderr: string) =
    let lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)
    let shown = sprintf "%s: exit %d\nstderr: %s\nstdout: %s" c.Name code stderr (if stdout.Length > 300 then stdout.Substring(0, 300) + "…" else stdout)
    Expect.notEqual code 70 (sprintf "an internal error: %s" shown)
    Expect.isFalse (stderr.Contains "   at ") (sprintf "a stack trace: %s" shown)
    Expect.equal code c.Exit (sprintf "the exit code: %s" shown)

    if c.Exit = 2 then
        Expect.equal lines.Length 1 (sprintf "one line on stderr: %s" shown)
        Expect.stringStarts lines[0] "thrumodel" (sprintf "the line names the command: %s" shown)
        Expect.isEmpty stdout (sprintf "nothing on stdout: %s" shown)

/// The built `thrumodel` (the apphost that the CLI project copies beside the tests).
let private apphost () = Path.Combine(AppContext.BaseDirectory, "thrumodel")

/// Run the built thrumodel as a process: exit code, stdout, stderr (None past the deadline).
let runProcess (seconds: float) (args: string list) : (int * string * string) option =
    let psi = Diagnostics.ProcessStartInfo(apphost (), args, RedirectStandardOutput = true, RedirectStandardError = true)
    psi.Environment["THRUMODEL_NO_PROGRESS"] <- "1"
    use p = Diagnostics.Process.Start psi
    let stdout = p.StandardOutput.ReadToEndAsync()
    let stderr = p.StandardError.ReadToEndAsync()

    if p.WaitForExit(TimeSpan.FromSeconds seconds) then
        p.WaitForExit()
        Some(p.ExitCode, stdout.Result, stderr.Result)
    else
        p.Kill true
        None

/// `run` command lines that RunCommand.FastRun reads without Argu, and some it must leave to Argu.
let private fastRunLines =
    [ [ "prog.bin" ]
      [ "prog.bin"; "--json" ]
      [ "prog.bin"; "--instr"; "0300"; "--accounts"; "w.json"; "--cu"; "5"; "--su"; "6"; "--mu"; "7" ]
      [ "--accounts"; "w.json"; "prog.bin"; "-e"; "both" ]
      [ "prog.bin"; "--engine"; "engine"; "--repeat"; "3"; "--state-out"; "s.json" ]
      [ "prog.bin"; "--txn"; "t.bin"; "--cu"; "-5" ]
      [ "prog.bin"; "--instr-file"; "i.bin"; "--engine"; "unicorn" ]
      [ "prog.bin"; "--cu"; "9223372036854775807" ] ]

let private argvLeftToArgu =
    [ [ "prog.bin"; "--cu"; "1"; "--cu"; "2" ]
      [ "prog.bin"; "--cu"; "abc" ]
      [ "prog.bin"; "--cu"; "99999999999999999999" ]
      [ "prog.bin"; "--engine"; "fast" ]
      [ "prog.bin"; "--repeat"; "2147483648" ]
      [ "prog.bin"; "extra" ]
      [ "prog.bin"; "--help" ]
      [ "prog.bin"; "--frobnicate" ]
      [ "prog.bin"; "--instr" ]
      [ "--json" ]
      [ "-" ] ]

[<Tests>]
let tests =
    testList
        "Cli.BadInputTests"
        [ testCase "run's fast reading of the command line is Argu's reading" (fun () ->
              let parser = Argu.ArgumentParser.Create<Thru.Cli.Args.RunArgs>(programName = "thrumodel run")

              for line in fastRunLines do
                  let fast = Thru.Cli.RunCommand.FastRun.tryParse (Array.ofList line)
                  let argu = Thru.Cli.RunCommand.runSettings (parser.ParseCommandLine(Array.ofList line))
                  Expect.equal fast (Some argu) (sprintf "run %s" (String.concat " " line))

              for line in argvLeftToArgu do
                  Expect.isNone (Thru.Cli.RunCommand.FastRun.tryParse (Array.ofList line)) (sprintf "run %s is left to Argu" (String.concat " " line)))

          testCaseAlone (sprintf "%d command lines in process: exit codes, one-line refusals, no 70, no hang" cases.Length) (fun () ->
              let failures =
                  [ for c in cases do
                        let args = c.Args()

                        match runInProcess 60.0 args with
                        | None -> yield sprintf "%s: still running after 60 s (thrumodel %s)" c.Name (String.concat " " args)
                        | Some result ->
                            try
                                check c result
                            with :? AssertException as e ->
                                yield e.Message ]

              // The one large input that only these cases read (32 MiB of hex).
              File.Delete(path "account-16m1-hex.json")
              expectEmpty failures "every case ends as it must")

          testCaseInGroup "thrumodel process" "as processes: /dev/zero, a FIFO without a writer, exit codes the shell sees" (fun () ->
              let fifo = path "fifo"

              if not (File.Exists fifo) then
                  use mk = Diagnostics.Process.Start("mkfifo", [ fifo ])
                  mk.WaitForExit()

              let processCases =
                  [ bad "run --accounts /dev/zero" (fun () -> [ "run"; hello (); "--accounts"; "/dev/zero" ])
                    bad "raw /dev/zero" (fun () -> [ "raw"; "/dev/zero" ])
                    bad "run --accounts FIFO without a writer" (fun () -> [ "run"; hello (); "--accounts"; fifo ])
                    bad "run --txn /dev/urandom" (fun () -> [ "run"; hello (); "--txn"; "/dev/urandom" ])
                    bad "bench --seconds nan" (fun () -> [ "bench"; "--seconds"; "nan" ])
                    bad "an unknown verb" (fun () -> [ "frobnicate" ])
                    ok "run hello" (fun () -> [ "run"; hello () ])
                    failed "run cu_exhaust" (fun () -> [ "run"; Thru.Tests.Examples.ExampleRun.binary "cu_exhaust" ]) ]

              let failures =
                  [ for c in processCases do
                        let args = c.Args()

                        match runProcess 60.0 args with
                        | None -> yield sprintf "%s: still running after 60 s" c.Name
                        | Some result ->
                            try
                                check c result
                            with :? AssertException as e ->
                                yield e.Message ]

              expectEmpty failures "every process case ends as it must") ]
