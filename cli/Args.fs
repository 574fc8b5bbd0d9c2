/// The command line of `thru`, declared with Argu: one union per verb.
module Thru.Cli.Args

open Argu

/// Which implementation runs a program.
type EngineChoice =
    | Model
    | Unicorn
    | Engine
    | Both

type RawArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | Base of hex: string
    | [<AltCommandLine("-e")>] Engine of EngineChoice
    | Max_Steps of count: int64
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "flat binary to load at the base address."
            | Base _ -> "load address in hex, a multiple of 0x1000 (default 0x80000000)."
            | Engine _ -> "implementation to run (default model)."
            | Max_Steps _ -> "stop after this many instructions (default 1000000)."
            | Json -> "print one JSON object {engine, stop, fault, pc, instructions, regs}."

type DisasmArgs =
    | [<MainCommand; ExactlyOnce>] File of path: string
    | Base of hex: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "flat binary or Thru executable (detected by its header) to disassemble."
            | Base _ -> "address of the first byte in hex (default 0x80000000; 0x3000000 for a Thru executable)."

type DemoArgs =
    | [<Hidden>] Unused

    interface IArgParserTemplate with
        member _.Usage = ""

type DecisionsArgs =
    | Markdown
    | Json

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Markdown -> "print a Markdown table."
            | Json -> "print a JSON array."

type CliArgs =
    | [<CliPrefix(CliPrefix.None)>] Raw of ParseResults<RawArgs>
    | [<CliPrefix(CliPrefix.None)>] Disasm of ParseResults<DisasmArgs>
    | [<CliPrefix(CliPrefix.None)>] Decisions of ParseResults<DecisionsArgs>
    | [<CliPrefix(CliPrefix.None)>] Demo of ParseResults<DemoArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Raw _ -> "run a flat RV64 binary in raw mode (no Thru segments) until ecall, ebreak, a fault or the step limit."
            | Disasm _ -> "print the disassembly of a binary."
            | Decisions _ -> "print the register of spec decisions (where the public ThruVM spec is silent or contradictory)."
            | Demo _ -> "the demonstration run by `make demo`."
