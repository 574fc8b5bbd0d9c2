/// The command line of `thrumodel`, declared with Argu: one union per verb. Every verb's options
/// are [<Unique>]: an option given twice is refused, not silently overridden.
module Thru.Cli.Args

open Argu

/// Which implementation runs a program.
type EngineChoice =
    | Model
    | Unicorn
    | Engine
    | Both

[<Unique>]
type RawArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | Base of hex: string
    | [<AltCommandLine("-e")>] Engine of EngineChoice
    | Max_Steps of count: int64
    | Json
    | Repeat of count: int
    | [<Hidden>] Unhooked
    | Gdb of address: string
    | Gdb_Timeout of seconds: int

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Gdb _ -> "wait for gdb (gdb-multiarch: target remote ADDRESS) on PORT or HOST:PORT before running (a bare port listens on 127.0.0.1 only); see docs/debugging.md."
            | Gdb_Timeout _ -> "with --gdb: seconds to wait for gdb to connect, and for each of its packets (default 600)."
            | File _ -> "flat binary to load at the base address, or an RV64 ELF executable (its loadable segments, its entry point as the pc)."
            | Base _ -> "load address in hex, a multiple of 0x1000 (default 0x80000000)."
            | Engine _ -> "implementation to run (default model)."
            | Max_Steps _ -> "stop after this many instructions (default 1000000)."
            | Json -> "print one JSON object {engine, stop, fault, pc, instructions, regs, seconds}."
            | Repeat _ -> "run the image this many times in this one process (warm runs); report every run's seconds and the last run's state."
            | Unhooked -> "with --engine unicorn: run Unicorn with no memory or counting hook (benchmarks only: misaligned accesses are not refused, instructions are not counted)."

[<Unique>]
type DisasmArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | Base of hex: string
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "flat binary, Thru executable (detected by its header) or RV64 ELF executable (its executable segments) to disassemble."
            | Base _ -> "address of the first byte in hex (default 0x80000000; 0x3000000 for a Thru executable; not with an ELF, whose segments give it)."
            | Json -> "print {\"kind\", \"base\", \"lines\": [{\"address\", \"bytes\", \"text\"}]} (for an ELF, \"segments\" with their lines)."

type DemoArgs =
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Json -> "print one JSON object {ok, parts: [{name, compared, skipped, agree, checks: [{what, command, outcome, agree, differences}]}]} instead of the walk-through."

[<Unique>]
type RunArgs =
    | [<MainCommand; ExactlyOnce>] Program of path: string
    | Instr of hex: string
    | Accounts of path: string
    | Cu of units: int64
    | Su of units: int64
    | Mu of units: int64
    | [<AltCommandLine("-e")>] Engine of EngineChoice
    | Json
    | Txn of path: string
    | State_Out of path: string
    | Repeat of count: int
    | Instr_File of path: string
    | Gdb of address: string
    | Gdb_Timeout of seconds: int
    | Elf of path: string
    | No_Elf
    | Last of count: int
    | Profile
    | Profile_Out of path: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Gdb _ -> "wait for gdb (gdb-multiarch: target remote ADDRESS) on PORT or HOST:PORT before running (a bare port listens on 127.0.0.1 only); see docs/debugging.md."
            | Gdb_Timeout _ -> "with --gdb: seconds to wait for gdb to connect, and for each of its packets (default 600)."
            | Elf _ -> "the ELF of the program (or of an invoked one; repeat for several): function, file:line and call stack in fault, revert and exhaustion reports and in profiles (default: PROGRAM.elf next to PROGRAM)."
            | No_Elf -> "do not look for PROGRAM.elf next to PROGRAM."
            | Last _ -> "instructions shown at the end of a fault, revert or exhaustion report (default 16; 0 for none)."
            | Profile -> "print where the compute units, instructions and memory units went, per function and syscall, inclusive and exclusive (model or engine)."
            | Profile_Out _ -> "write the profile for a flame-graph viewer: speedscope JSON when FILE ends in .json, folded stacks otherwise (model or engine)."
            | Program _ -> "the Thru executable run as the transaction's program (account 1), or the 64-hex-digit key of a program account of the accounts file."
            | Instr _ -> "instruction data in hex."
            | Instr_File _ -> "instruction data: the bytes of this file (at most 65535)."
            | Accounts _ -> "JSON file describing the fee payer and the other accounts (see README)."
            | Cu _ -> "compute-unit budget (default 10000000)."
            | Su _ -> "state-unit budget, a u16 (default 10000)."
            | Mu _ -> "memory-unit budget in pages, a u16 (default 10000)."
            | Engine _ -> "implementation to run (default model)."
            | Json -> "print one JSON object with the protocol's field names."
            | Txn _ -> "run this complete serialized transaction instead of building one (not with --instr, --instr-file, --cu, --su, --mu)."
            | State_Out _ -> "write the state after the transaction as an accounts file, for a following run (the model's state; with --engine both, only when model and engine agree)."
            | Repeat _ -> "execute the transaction this many times in this one process (warm runs); report every run's seconds and the last result."

[<Unique>]
type ProofArgs =
    | [<MainCommand; ExactlyOnce>] Program of path: string
    | Accounts of path: string
    | Key of hex: string
    | Account of name: string
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Program _ -> "the program (it decides the default program key, as for run)."
            | Accounts _ -> "the accounts file of the world (as for run)."
            | Key _ -> "the account key, 64 hex digits (not with --account)."
            | Account _ -> "the name of an account of the accounts file (not with --key)."
            | Json -> "print {\"key\", \"type\": \"existing\"|\"creation\", \"slot\", \"root\", \"proof\"}."

[<Unique>]
type TrieRootArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "JSON array of {\"pubkey\": \"<64 hex>\", \"value_hash\": \"<64 hex>\"}."
            | Json -> "print {\"root\": \"<hex>\"}."

[<Unique>]
type TrieProveArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | Key of hex: string
    | Slot of slot: uint64
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "JSON array of {\"pubkey\", \"value_hash\"} entries (as for trie root)."
            | Key _ -> "the key to prove, 64 hex digits: EXISTING when it is in the file, CREATION otherwise."
            | Slot _ -> "the slot written in the proof's header (default 0)."
            | Json -> "print {\"type\": \"existing\"|\"creation\", \"proof\": \"<hex>\"}."

[<Unique>]
type TrieVerifyArgs =
    | Root of hex: string
    | Key of hex: string
    | Proof of hex: string
    | Value_Hash of hex: string
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Root _ -> "the state root, 64 hex digits."
            | Key _ -> "the key the proof is about, 64 hex digits."
            | Proof _ -> "the wire proof in hex."
            | Value_Hash _ -> "the key's value hash, for an EXISTING proof."
            | Json -> "print {\"valid\": bool, \"reason\": \"…\"|null}."

type TrieArgs =
    | [<CliPrefix(CliPrefix.None)>] Root of ParseResults<TrieRootArgs>
    | [<CliPrefix(CliPrefix.None)>] Prove of ParseResults<TrieProveArgs>
    | [<CliPrefix(CliPrefix.None)>] Verify of ParseResults<TrieVerifyArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Root _ -> "print the state root of a file of entries."
            | Prove _ -> "print the wire proof of a key in a file of entries."
            | Verify _ -> "check a wire proof against a root: prints valid (exit 0) or invalid and why (exit 1)."

[<Unique>]
type BenchArgs =
    | Json
    | Seconds of seconds: float
    | Suite of name: string
    | Filter of name: string
    | Runs of count: int

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Json -> "print rows {kernel, engine, mips} (and tps) as JSON; with --suite, one object with the suite's rows."
            | Seconds _ -> "target duration of each measurement in seconds, 0.01 to 60 (default 1; not with --suite)."
            | Suite _ -> "run a suite instead of the kernels: 'programs', the real programs of bench/ (build them with make bench-programs), each measurement in a fresh process."
            | Filter _ -> "with --suite: only the programs and transactions whose name contains this text."
            | Runs _ -> "with --suite: fresh processes per measurement, of which the median is reported (default 3)."

[<Unique>]
type DecisionsArgs =
    | Markdown
    | Json
    | Id of id: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Markdown -> "print a Markdown table."
            | Json -> "print a JSON array (with --id, one object)."
            | Id _ -> "show one decision, by its id (D-...)."

[<Unique>]
type TxnBuildArgs =
    | [<MainCommand; ExactlyOnce>] Program of path: string
    | Instr of hex: string
    | Instr_File of path: string
    | Accounts of path: string
    | Cu of units: int64
    | Su of units: int64
    | Mu of units: int64
    | [<Mandatory>] Out of path: string
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Program _ -> "the program, as for run: an executable file or the key of a program account of the accounts file."
            | Instr _ -> "instruction data in hex."
            | Instr_File _ -> "instruction data: the bytes of this file (at most 65535)."
            | Accounts _ -> "the accounts file of the world (as for run)."
            | Cu _ -> "compute-unit budget (default 10000000)."
            | Su _ -> "state-unit budget, a u16 (default 10000)."
            | Mu _ -> "memory-unit budget in pages, a u16 (default 10000)."
            | Out _ -> "write the signed wire transaction to this file (what run would execute)."
            | Json -> "print {\"out\", \"size\", \"hash\", \"accounts\"} instead of the text summary."

[<Unique>]
type TxnDecodeArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "a wire transaction (binary, at most 1 MiB read)."
            | Json -> "print one JSON object: the fields, the accounts and the validation result."

type TxnArgs =
    | [<CliPrefix(CliPrefix.None)>] Build of ParseResults<TxnBuildArgs>
    | [<CliPrefix(CliPrefix.None)>] Decode of ParseResults<TxnDecodeArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Build _ -> "build and sign the wire transaction that run would execute, and write it to a file."
            | Decode _ -> "show a wire transaction field by field, with the model's validation code."

type CliArgs =
    | [<CliPrefix(CliPrefix.None)>] Raw of ParseResults<RawArgs>
    | [<CliPrefix(CliPrefix.None)>] Disasm of ParseResults<DisasmArgs>
    | [<CliPrefix(CliPrefix.None)>] Run of ParseResults<RunArgs>
    | [<CliPrefix(CliPrefix.None)>] Txn of ParseResults<TxnArgs>
    | [<CliPrefix(CliPrefix.None)>] Proof of ParseResults<ProofArgs>
    | [<CliPrefix(CliPrefix.None)>] Trie of ParseResults<TrieArgs>
    | [<CliPrefix(CliPrefix.None)>] Bench of ParseResults<BenchArgs>
    | [<CliPrefix(CliPrefix.None)>] Decisions of ParseResults<DecisionsArgs>
    | [<CliPrefix(CliPrefix.None)>] Demo of ParseResults<DemoArgs>
    | Version
    | [<CliPrefix(CliPrefix.None)>] Fixtures of ParseResults<ConformArgs.FixturesArgs>
    | [<CliPrefix(CliPrefix.None)>] Conform of ParseResults<ConformArgs.ConformVerbArgs>
    | [<CliPrefix(CliPrefix.None)>] Serve of ParseResults<ConformArgs.ServeArgs>
    | [<CliPrefix(CliPrefix.None)>] Trace of ParseResults<ConformArgs.TraceArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Raw _ -> "run a flat RV64 binary in raw mode (no Thru segments) until ecall, ebreak, a fault or the step limit."
            | Disasm _ -> "print the disassembly of a binary."
            | Run _ -> "run an executable as the program of a transaction and print the result, logs, events and changed accounts (exit 0 success, 1 the transaction failed, 2 bad input)."
            | Txn _ -> "wire transactions: build one to a file, decode one field by field."
            | Proof _ -> "print the state proof (hex) of a key against the state root run gives a world."
            | Trie _ -> "the state trie over a file of (pubkey, value hash) entries: root, prove, verify."
            | Bench _ -> "measure instructions/s of the engine, the model and Unicorn, and transactions/s (build with -c Release)."
            | Decisions _ -> "print the register of spec decisions (where the public ThruVM spec is silent or contradictory)."
            | Demo _ -> "the demonstration run by `make demo`."
            | Version -> "print the version of thrumodel."
            | Fixtures _ -> "generate conformance fixtures (docs/conformance.md)."
            | Conform _ -> "run a conformance corpus against an engine under test, or report its coverage."
            | Serve _ -> "answer the conformance line protocol with this project's engine or model (the adapter for conform)."
            | Trace _ -> "trace every executed instruction (JSON Lines, or Spike's commit-log text)."
