/// Running a conformance input on the model and on the engine: the observation each gives (in the
/// fixture format's shape, Conformance.fs) and, when asked, the trace (TraceRecord.fs). This is what
/// `thrumodel serve` answers with, what the corpus generator records as the expected observation
/// (the model is the reference), and what the runner compares an adapter's trace against.
module Thru.Compare.Adapters

open System
open System.Text.Json.Nodes
open Thru.Model
open Thru.Model.Isa
open Thru.Compare.Conformance

/// An engine's answer to one input.
type Answer =
    { Observation: JsonObject
      Trace: TraceRecord.Trace option
      /// Why no trace came with the answer, when one was asked for.
      TraceUnavailable: string option }

let private answer o = { Observation = o; Trace = None; TraceUnavailable = None }

// ---------------------------------------------------------------------------------------
// The model (the reference).
// ---------------------------------------------------------------------------------------

/// How the model executes: the default profile and steps, or a variant (another profile for the
/// decision check, or a deliberately wrong step for the mutant adapters).
type ModelVariant =
    { Profile: Decisions.Profile
      RawStep: Trace.RawStep
      TxnStep: Runtime.Vm.Vm -> Runtime.Run.StepResult }

let modelVariant (profile: Decisions.Profile) =
    { Profile = profile
      RawStep = Trace.rawStep profile
      TxnStep = Runtime.Run.step }

let defaultModel = modelVariant Decisions.Profile.defaults

/// The model on a raw input.
let modelRaw (v: ModelVariant) (r: RawInput) (withTrace: bool) : Answer =
    let hart = { Pc = r.Base; Regs = Registers.ofArray r.Regs }

    match Raw.load r.Image r.Base with
    | Error e -> failwithf "unloadable raw input passed the parser: %s" (Raw.describeLoadError e)
    | Ok mem ->
        let t = Trace.rawWith v.RawStep r.MaxSteps hart mem
        let o = rawObservationJson (RawObservation.ofModel t.Result)
        if withTrace then { answer o with Trace = Some(TraceRecord.ofModelRaw t) } else answer o

/// The model on a transaction input.
let modelTxn (v: ModelVariant) (t: TxnInput) (withTrace: bool) : Answer =
    let env = environment v.Profile t
    let r, events = Trace.txnWith v.TxnStep env t.Wire
    let o = txnObservationJson t.State (TxnObservation.ofModel r) (modelFaultJson r)
    if withTrace then { answer o with Trace = Some(TraceRecord.ofModelTxn r events) } else answer o

/// The model on a resolved input (raw or txn).
let model (v: ModelVariant) (input: JsonObject) (withTrace: bool) : Result<Answer, string> =
    match J.str input "kind" with
    | Ok "raw" -> parseRawInput input |> Result.map (fun r -> modelRaw v r withTrace)
    | Ok "txn" -> parseTxnInput input |> Result.map (fun t -> modelTxn v t withTrace)
    | Ok k -> J.fail "input kind '%s' is neither 'raw' nor 'txn'" k
    | Error e -> Error e

/// The model's observation alone, untraced (Raw.runFrom, Execution.execute: the untraced loops).
let modelUntraced (profile: Decisions.Profile) (input: JsonObject) : Result<JsonObject, string> =
    match J.str input "kind" with
    | Ok "raw" ->
        parseRawInput input
        |> Result.map (fun r ->
            let mem = (Raw.load r.Image r.Base |> Result.toOption).Value
            rawObservationJson (RawObservation.ofModel (Raw.runFrom profile r.MaxSteps { Pc = r.Base; Regs = Registers.ofArray r.Regs } mem)))
    | Ok "txn" ->
        parseTxnInput input
        |> Result.map (fun t ->
            let r = Runtime.Execution.execute (environment profile t) t.Wire
            txnObservationJson t.State (TxnObservation.ofModel r) (modelFaultJson r))
    | Ok k -> J.fail "input kind '%s' is neither 'raw' nor 'txn'" k
    | Error e -> Error e

// ---------------------------------------------------------------------------------------
// The engine's trace: the seam.
// ---------------------------------------------------------------------------------------

/// The engine's traces. Raw mode: the engine's machine is run one instruction at a time (budget 1,
/// its public single-step path); each step's pc, bits (read from the engine's memory) and the
/// registers it changed come from the engine. The destination register and the address of a load
/// or store are named with the model's decoder (static facts of the bits), their values read from
/// the engine's registers and memory. Transactions: the engine has no public traced path yet
/// (engine/Debug/ is being built); `txn` says so.
module EngineTrace =
    /// What `txn` answers until the engine's traced transaction run is wired in.
    let unavailable = "engine traces are not available yet for transactions (the engine's traced run, engine/Debug/, is not wired in)"

    let private regs (m: Thru.Engine.Machine) = Array.init 32 m.GetRegister

    /// Raw mode, stepped.
    let raw (r: RawInput) : Result<TraceRecord.Trace, string> =
        match Thru.Engine.RawMode.LoadError(r.Image.Length, r.Base) with
        | null ->
            use space = new Thru.Engine.RawAddressSpace(r.Base)
            space.Write(0UL, ReadOnlySpan r.Image)
            use machine = new Thru.Engine.Machine(space, Thru.Engine.CostModel.Instructions)

            for i in 1..31 do
                machine.SetRegister(i, r.Regs[i])

            machine.Pc <- r.Base
            let inRegion (a: uint64) = a >= r.Base && a - r.Base < Raw.regionSize
            let byteAt (a: uint64) = if inRegion a then space.ReadByte a else 0uy
            let read (a: uint64) (size: int) = [ 0 .. size - 1 ] |> List.fold (fun acc k -> acc ||| (uint64 (byteAt (a + uint64 k)) <<< (8 * k))) 0UL

            let rec loop (n: int64) (steps: TraceRecord.Step list) =
                let finish (stop: string) (fault: string option) =
                    ({ Engine = "engine"
                       Reports = [ "regs"; "mem" ]
                       Steps = List.rev steps
                       End = sprintf "%s%s at %s after %d instructions" stop (fault |> Option.map (sprintf " (%s)") |> Option.defaultValue "") (Hex.u64 machine.Pc) machine.Instructions }
                    : TraceRecord.Trace)

                if n >= r.MaxSteps then
                    finish "limit" None
                else
                    let pc = machine.Pc
                    let low = uint16 (read pc 2)
                    let length = if Decode.isLongParcel low then 4 else 2
                    let bits = uint32 (read pc length)
                    let before = regs machine

                    let decoded =
                        if length = 2 then Decode.decode16 low else Decode.decode low (uint16 (bits >>> 16))

                    let meaning = Trace.meaning decoded
                    let x (reg: int) = before[reg]

                    let access =
                        match meaning with
                        | Some(Load(op, _, rs1, imm)) -> Some(false, x rs1 + uint64 imm, fst (Semantics.loadWidth op))
                        | Some(Store(op, rs1, _, imm)) -> Some(true, x rs1 + uint64 imm, Semantics.storeWidth op)
                        | _ -> None

                    let loaded = access |> Option.map (fun (_, a, size) -> read a size)
                    machine.Budget <- 1L
                    let stop = machine.Run()

                    if stop = Thru.Engine.StopReason.Limit && machine.Instructions = n + 1L then
                        let after = regs machine
                        let rd = meaning |> Option.bind Trace.destination

                        let written =
                            [ for k in 1..31 do
                                  if Some k = rd || after[k] <> before[k] then k, after[k] ]

                        let mem =
                            match access, loaded with
                            | Some(true, a, size), _ -> [ ({ Write = true; Address = a; Size = size; Value = read a size }: TraceRecord.Mem) ]
                            | Some(false, a, size), Some v -> [ ({ Write = false; Address = a; Size = size; Value = v }: TraceRecord.Mem) ]
                            | _ -> []

                        let step: TraceRecord.Step =
                            { Index = n
                              Pc = pc
                              Bits = bits
                              Length = length
                              Regs = written
                              Mem = mem
                              Cu = None
                              Syscall = None
                              Frame = None
                              Trap = None
                              Depth = 1 }

                        loop (n + 1L) (step :: steps)
                    else
                        match stop with
                        | Thru.Engine.StopReason.Ecall -> finish "ecall" None
                        | Thru.Engine.StopReason.Ebreak -> finish "ebreak" None
                        | Thru.Engine.StopReason.Fault -> finish "fault" (Some(Thru.Engine.FaultNames.Name machine.Fault))
                        | _ -> finish "limit" None

            Ok(loop 0L [])
        | message -> Error message

    /// Transactions: not available yet.
    let txn (_: TxnInput) : Result<TraceRecord.Trace, string> = Error unavailable

// ---------------------------------------------------------------------------------------
// The engine.
// ---------------------------------------------------------------------------------------

/// The engine on a raw input.
let engineRaw (r: RawInput) (withTrace: bool) : Answer =
    let result = Thru.Engine.RawMode.Run(ReadOnlySpan r.Image, r.Base, r.MaxSteps, ReadOnlySpan r.Regs, r.Base)
    let o = rawObservationJson (RawObservation.ofEngine result)

    if not withTrace then answer o
    else
        match EngineTrace.raw r with
        | Ok t -> { answer o with Trace = Some t }
        | Error why -> { answer o with TraceUnavailable = Some why }

/// The engine's environment for a transaction input.
let engineEnvironment (t: TxnInput) = TxnFixture.engineEnvironment (environment Decisions.Profile.defaults t)

/// The engine on a transaction input.
let engineTxn (t: TxnInput) (withTrace: bool) : Answer =
    let env = engineEnvironment t
    let r = Thru.Engine.TransactionExecutor.Execute(env, ReadOnlySpan t.Wire)
    let o = txnObservationJson t.State (TxnObservation.ofEngine env r) (engineFaultJson r.Fault)

    if not withTrace then answer o
    else
        match EngineTrace.txn t with
        | Ok tr -> { answer o with Trace = Some tr }
        | Error why -> { answer o with TraceUnavailable = Some why }

/// The engine on a resolved input (raw or txn).
let engine (input: JsonObject) (withTrace: bool) : Result<Answer, string> =
    match J.str input "kind" with
    | Ok "raw" -> parseRawInput input |> Result.map (fun r -> engineRaw r withTrace)
    | Ok "txn" -> parseTxnInput input |> Result.map (fun t -> engineTxn t withTrace)
    | Ok k -> J.fail "input kind '%s' is neither 'raw' nor 'txn'" k
    | Error e -> Error e

/// For `--engine both`: the first divergence between the model's and the engine's traces of an
/// input, in lines (or why there is none to show).
let divergenceReport (input: JsonObject) : string list =
    match model defaultModel input true, engine input true with
    | Ok { Trace = Some m }, Ok { Trace = Some e } ->
        match TraceRecord.firstDivergence m e with
        | Some d -> TraceRecord.describeDivergence "model" "engine" d
        | None -> [ "the traces agree on every instruction; the difference is in the final state" ]
    | _, Ok { TraceUnavailable = Some why } -> [ sprintf "(no first divergence: %s)" why ]
    | _ -> [ "(no first divergence: a trace could not be made)" ]
