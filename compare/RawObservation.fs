/// What can be observed of a raw-mode run, the same for every engine (model, engine, Unicorn):
/// the one comparable shape the CLI prints and the tests compare.
module Thru.Compare.RawObservation

open System.Text.Json.Nodes
open Thru.Model
open Thru.Model.Isa

type RawObservation =
    { Engine: string
      /// "ecall", "ebreak", "fault" or "limit".
      Stop: string
      /// The fault kind when Stop = "fault": "illegal-instruction" or a violation kind
      /// ("invalid-address", "alignment-violation", …).
      Fault: string option
      Pc: uint64
      Instructions: int64
      Regs: uint64[] }

/// The kebab-case name of an access-violation kind.
let violationName (v: Violation) =
    match v with
    | InvalidAddress -> "invalid-address"
    | InvalidSegment -> "invalid-segment"
    | PermissionDenied -> "permission-denied"
    | PageBoundaryCross -> "page-boundary-cross"
    | AlignmentViolation -> "alignment-violation"
    | ResourceExhaustion -> "resource-exhaustion"

/// The observation of a model run.
let ofModel (r: Raw.RunResult) : RawObservation =
    let stop, fault =
        match r.Stop with
        | Raw.StoppedAtEcall -> "ecall", None
        | Raw.StoppedAtEbreak -> "ebreak", None
        | Raw.StoppedAtLimit -> "limit", None
        | Raw.StoppedByFault(IllegalInstruction _) -> "fault", Some "illegal-instruction"
        | Raw.StoppedByFault(MemoryFault f) -> "fault", Some(violationName f.Violation)
        | Raw.StoppedByFault Breakpoint -> "ebreak", None

    { Engine = "model"
      Stop = stop
      Fault = fault
      Pc = r.Hart.Pc
      Instructions = r.Instructions
      Regs = Registers.toArray r.Hart.Regs }

/// The observation of a Unicorn run (already normalised to ThruVM's rules by UnicornRaw).
let ofUnicorn (r: Thru.Interop.UnicornRawRun) : RawObservation =
    { Engine = "unicorn"
      Stop = r.Stop
      Fault = Option.ofObj r.Fault
      Pc = r.Pc
      Instructions = r.Instructions
      Regs = Array.copy r.Regs }

/// The JSON object {"engine", "stop", "fault", "pc", "instructions", "regs"}.
let toJson (o: RawObservation) : JsonObject =
    Json.obj
        [ "engine", Json.str o.Engine
          "stop", Json.str o.Stop
          "fault", Json.opt Json.str o.Fault
          "pc", Json.hex o.Pc
          "instructions", Json.num o.Instructions
          "regs", Json.arr (o.Regs |> Array.map Json.hex) ]

/// Every field on which two observations differ, described for a person ("x5: 0x… vs 0x…").
let differences (a: RawObservation) (b: RawObservation) : string list =
    [ if a.Stop <> b.Stop then sprintf "stop: %s vs %s" a.Stop b.Stop
      if a.Fault <> b.Fault then sprintf "fault: %A vs %A" a.Fault b.Fault
      if a.Pc <> b.Pc then sprintf "pc: %s vs %s" (Hex.u64 a.Pc) (Hex.u64 b.Pc)
      if a.Instructions <> b.Instructions then sprintf "instructions: %d vs %d" a.Instructions b.Instructions
      for i in 1..31 do
          if a.Regs[i] <> b.Regs[i] then
              sprintf "x%d (%s): %s vs %s" i (Reg.name i) (Hex.u64 a.Regs[i]) (Hex.u64 b.Regs[i]) ]

/// A human-readable summary (used by the CLI without --json).
let describe (o: RawObservation) : string list =
    [ sprintf "engine:       %s" o.Engine
      sprintf "stop:         %s%s" o.Stop (o.Fault |> Option.map (sprintf " (%s)") |> Option.defaultValue "")
      sprintf "pc:           %s" (Hex.u64 o.Pc)
      sprintf "instructions: %d" o.Instructions
      for row in 0..7 do
          [ 0..3 ]
          |> List.map (fun c ->
              let i = row * 4 + c
              sprintf "%-4s %s" (Reg.name i) (Hex.u64 o.Regs[i]))
          |> String.concat "  " ]

/// The observation of an engine run (Thru.Engine.RawMode).
let ofEngine (r: Thru.Engine.RawResult) : RawObservation =
    { Engine = "engine"
      Stop = r.Stop
      Fault = Option.ofObj r.Fault
      Pc = r.Pc
      Instructions = r.Instructions
      Regs = Array.copy r.Regs }
