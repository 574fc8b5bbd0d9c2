/// The command lines of the conformance verbs (`fixtures`, `conform`, `serve`, `trace`), declared
/// with Argu. Every union requires qualified access, so that its case names never shadow those of
/// the other verbs in Args.fs.
module Thru.Cli.ConformArgs

open Argu

[<RequireQualifiedAccess>]
type FixturesGenerateArgs =
    | [<Mandatory>] Kind of kind: string
    | Count of count: int
    | Seed of seed: uint64
    | [<Mandatory>] Out of dir: string
    | Shard of shard: string
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Json -> "print {\"fixtures\", \"path\", \"worlds\", \"worlds_path\", \"seconds\"} instead of the line."
            | Kind _ -> "raw (random raw programs), txn (random transactions) or curated (the targeted fixtures of every coverage item)."
            | Count _ -> "how many fixtures (raw and txn; default 100; curated has a fixed list)."
            | Seed _ -> "the seed (default 1): fixture i is drawn from (seed, i) alone."
            | Out _ -> "the directory to write the JSON Lines files to."
            | Shard _ -> "K/N: only the fixtures with index i mod N = K - 1 (the N shards together are the whole run)."

[<RequireQualifiedAccess>]
type FixturesUpgradeArgs =
    | [<Mandatory>] From of dir: string
    | [<Mandatory>] Out of dir: string
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Json -> "print {\"fixtures\", \"path\"} instead of the line."
            | From _ -> "a directory of version-1 fixture files (*.json, searched recursively)."
            | Out _ -> "the directory to write regressions.jsonl (and its worlds) to."

[<RequireQualifiedAccess>]
type FixturesArgs =
    | [<CliPrefix(CliPrefix.None)>] Generate of ParseResults<FixturesGenerateArgs>
    | [<CliPrefix(CliPrefix.None)>] Upgrade of ParseResults<FixturesUpgradeArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Generate _ -> "generate fixtures (the model gives the expected observations)."
            | Upgrade _ -> "convert version-1 fixture files to the corpus format (category regression; the model gives the expected observations)."

[<RequireQualifiedAccess>]
type CoverageArgs =
    | [<Mandatory>] Corpus of dir: string
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Corpus _ -> "the corpus directory."
            | Json -> "print {\"fixtures\": N, \"items\": [{\"item\", \"count\"}]}."

[<RequireQualifiedAccess>]
type ConformVerbArgs =
    | Corpus of dir: string
    | Engine_Cmd of command: string
    | Timeout of seconds: float
    | Filter of text: string
    | Limit of count: int
    | Skip_Decision of id: string
    | No_Trace
    | Shrink of dir: string
    | Strict
    | Json
    | [<CliPrefix(CliPrefix.None)>] Coverage of ParseResults<CoverageArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Corpus _ -> "the corpus directory (JSON Lines files of fixtures and worlds)."
            | Engine_Cmd _ -> "the engine under test: a command (run by /bin/sh) that speaks the line protocol on its standard input and output."
            | Timeout _ -> "seconds one answer may take (default 30)."
            | Filter _ -> "only the fixtures whose id or category contains this text."
            | Limit _ -> "at most this many fixtures (after --filter)."
            | Skip_Decision _ -> "skip the fixtures whose expectation depends on this decision id (repeatable)."
            | No_Trace -> "do not ask for traces of failing fixtures."
            | Shrink _ -> "reduce the first failing fixture and write the smallest one that still fails to this directory."
            | Strict -> "count skipped fixtures as failures for the exit code."
            | Json -> "print the report as one JSON object."
            | Coverage _ -> "list every coverage item with the number of fixtures that cover it."

[<RequireQualifiedAccess>]
type ServeArgs =
    | Engine of engine: string
    | Mutant of name: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Engine _ -> "engine or model (default engine)."
            | Mutant _ -> "with --engine model: a deliberately wrong model (xor-flip-bit0, log-cu-off-by-one), to check that a runner catches it."

[<RequireQualifiedAccess>]
type TraceRawArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | Base of hex: string
    | Max_Steps of count: int64
    | Engine of engine: string
    | Format of format: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "flat binary loaded at the base address (as for raw)."
            | Base _ -> "load address in hex (default 0x80000000)."
            | Max_Steps _ -> "stop after this many instructions (default 100000)."
            | Engine _ -> "model, engine, or both (both prints the first divergence; default model)."
            | Format _ -> "jsonl (default) or text (Spike's commit log)."

[<RequireQualifiedAccess>]
type TraceRunArgs =
    | [<MainCommand; ExactlyOnce>] Program of path: string
    | Instr of hex: string
    | Accounts of path: string
    | Cu of units: int64
    | Su of units: int64
    | Mu of units: int64
    | Txn of path: string
    | Engine of engine: string
    | Format of format: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Program _ -> "the Thru executable run as the program (account 1), as for run."
            | Instr _ -> "instruction data in hex."
            | Accounts _ -> "the accounts file (as for run)."
            | Cu _ -> "compute-unit budget (default 10000000)."
            | Su _ -> "state-unit budget (default 10000)."
            | Mu _ -> "memory-unit budget (default 10000)."
            | Txn _ -> "run this serialized transaction instead of building one."
            | Engine _ -> "model, engine, or both (default model)."
            | Format _ -> "jsonl (default) or text (Spike's commit log)."

[<RequireQualifiedAccess>]
type TraceFixtureArgs =
    | [<Mandatory>] Corpus of dir: string
    | [<Mandatory>] Id of id: string
    | Engine of engine: string
    | Format of format: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Corpus _ -> "the corpus directory."
            | Id _ -> "the fixture's id."
            | Engine _ -> "model, engine, or both (default model)."
            | Format _ -> "jsonl (default) or text (Spike's commit log)."

[<RequireQualifiedAccess>]
type TraceArgs =
    | [<CliPrefix(CliPrefix.None)>] Raw of ParseResults<TraceRawArgs>
    | [<CliPrefix(CliPrefix.None)>] Run of ParseResults<TraceRunArgs>
    | [<CliPrefix(CliPrefix.None)>] Fixture of ParseResults<TraceFixtureArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Raw _ -> "trace a flat binary in raw mode."
            | Run _ -> "trace a transaction built as run builds it."
            | Fixture _ -> "trace one fixture of a corpus."
