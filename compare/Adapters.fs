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

/// The engine's traces, from its own traced run (engine/Debug/Trace.cs): `RawTrace` for raw mode,
/// `TransactionTrace` for transactions. Every field of a step comes from the engine's events and
/// state (its decoder names the register written and the memory accessed), none from the model, so
/// a trace comparison checks the engine against the model instruction by instruction.
module EngineTrace =
    open Thru.Engine.Debug

    let private step (index: int64) (i: TracedInstruction) (depth: int) (cu: (uint64 * uint64) option) : TraceRecord.Step =
        { Index = index
          Pc = i.Pc
          Bits = i.Bits
          Length = i.Length
          Regs = if i.Write.HasValue then [ i.Write.Value.Register, i.Write.Value.Value ] else []
          Mem =
            if i.Memory.HasValue then
                let m = i.Memory.Value
                [ { Write = m.IsWrite; Address = m.Address; Size = m.Size; Value = m.Value } ]
            else
                []
          Cu = cu
          Syscall = None
          Frame = None
          Trap = None
          Depth = depth }

    /// Collects a raw run's retired instructions.
    type private RawRecorder() =
        inherit TraceObserver()
        member val Steps = ResizeArray<TraceRecord.Step>()
        override this.Retired(i: inref<TracedInstruction>) = this.Steps.Add(step (int64 this.Steps.Count) i 1 None)

    /// Raw mode: the engine's `RawTrace`, run to its end.
    let raw (r: RawInput) : Result<TraceRecord.Trace, string> =
        match Thru.Engine.RawMode.LoadError(r.Image.Length, r.Base) with
        | null ->
            let recorder = RawRecorder()
            use session = new RawTrace(recorder, ReadOnlySpan r.Image, r.Base, r.MaxSteps, ReadOnlySpan r.Regs, r.Base)
            session.Run() |> ignore

            Ok
                { Engine = "engine"
                  Reports = [ "regs"; "mem" ]
                  Steps = List.ofSeq recorder.Steps
                  End = TraceRecord.rawEnd (RawObservation.ofEngine session.Result) }
        | message -> Error message

    /// The words of a syscall that ended execution ("ended: revert 3 (program 2)"), from the
    /// engine's ending and result, as TraceRecord words the model's Vm.Ending.
    let private endedText (reason: string) (r: Thru.Engine.EngineResult) =
        let p = if r.ErrorProgramAccIdx.HasValue then r.ErrorProgramAccIdx.Value else -1
        let fault () = match r.Fault with null -> "?" | f -> f.Describe()

        "ended: "
        + match reason with
          | "Exited" -> sprintf "exit %d" r.UserErrorCode
          | "Reverted" -> sprintf "revert %d (program %d)" r.UserErrorCode p
          | "Faulted" -> sprintf "fault %s (program %d)" (fault ()) p
          | "UnknownSyscall" -> sprintf "unknown syscall %d (program %d)" (match r.Fault with null -> 0UL | f -> f.SyscallNumber) p
          | "ComputeExhausted" -> sprintf "compute units exhausted (program %d)" p
          | "StateExhausted" -> sprintf "state units exhausted (program %d)" p
          | other -> other

    /// Builds a transaction's steps from the engine's events: one step per retired instruction; an
    /// ecall's step is completed by its syscall's events (what it returned, the frame it entered
    /// or left, the registers it changed, the units it cost); an instruction that was paid for and
    /// then trapped (counted, never retired) becomes the last step, with the fault.
    type private TxnRecorder() =
        inherit TraceObserver()
        let steps = ResizeArray<TraceRecord.Step>()
        /// The ecall whose syscall is running: its step's index in `steps` and the registers before it.
        let mutable pending: (int * uint64[]) option = None
        /// The depth an exit returned to, while its syscall completes.
        let mutable returnedTo: int option = None
        let mutable units = 0UL

        member val Session: TransactionTrace option = None with get, set
        member _.Steps = steps

        member private this.S = this.Session.Value
        member private this.Regs() = Array.init 32 this.S.GetRegister

        /// Completes the pending ecall's step.
        member private this.Complete(outcome: string, ret: (uint64 * uint64) option, frame: TraceRecord.Frame option, unitsAfter: uint64) =
            match pending with
            | None -> ()
            | Some(k, before) ->
                let after = this.Regs()
                let s = steps[k]
                let c = s.Syscall.Value

                steps[k] <-
                    { s with
                        Regs = [ for r in 1..31 do if after[r] <> before[r] then r, after[r] ]
                        Cu = Some(fst s.Cu.Value, unitsAfter)
                        Syscall = Some { c with Outcome = outcome; Ret = ret }
                        Frame = frame }

                pending <- None
                returnedTo <- None
                units <- unitsAfter

        member this.Start() = units <- this.S.Units

        override this.Retired(i: inref<TracedInstruction>) =
            steps.Add(step (int64 steps.Count) i this.S.Depth (Some(i.UnitsBefore, i.UnitsAfter)))
            units <- i.UnitsAfter

        override this.SyscallEntered(number: uint64, args: ReadOnlySpan<uint64>, _units: uint64) =
            let k = steps.Count - 1
            // a0..a6, as the model's trace reports them (the observer passes a0..a5).
            let all = List.ofArray (args.ToArray()) @ [ this.S.GetRegister 16 ]
            steps[k] <- { steps[k] with Syscall = Some { Number = number; Args = all; Outcome = ""; Ret = None } }
            pending <- Some(k, this.Regs())

        override this.SyscallReturned(a0: uint64, a1: uint64, after: uint64) =
            match returnedTo with
            | Some d -> this.Complete("returned-to-caller", None, Some { Kind = "return"; Depth = d; ProgramIdx = None }, after)
            | None -> this.Complete("returned", Some(a0, a1), None, after)

        override this.Invoked(depth: int, program: int) =
            this.Complete("entered-callee", None, Some { Kind = "invoke"; Depth = depth; ProgramIdx = Some program }, this.S.Units)

        override _.Exited(depth: int, _program: int) = returnedTo <- Some(depth - 1)

        override this.Ended(e: inref<TraceEnd>) =
            let r = this.S.Result

            match pending with
            | Some _ -> this.Complete(endedText e.Reason r, None, None, e.Units)
            | None when r.Fault <> null && r.Instructions = int64 steps.Count + 1L ->
                // Counted, not retired: the instruction trapped after it was paid for.
                let pc = r.Pc
                let low = this.S.ReadMemory(pc, 2)
                let length = if low.Ok && low.Bytes[0] &&& 3uy = 3uy then 4 else 2
                let m = this.S.ReadMemory(pc, length)
                let bits = m.Bytes |> Array.rev |> Array.fold (fun acc b -> (acc <<< 8) ||| uint32 b) 0u

                let trapped: TraceRecord.Step =
                    { Index = int64 steps.Count
                      Pc = pc
                      Bits = bits
                      Length = length
                      Regs = []
                      Mem = []
                      Cu = Some(units, e.Units)
                      Syscall = None
                      Frame = None
                      Trap = Some(r.Fault.Describe())
                      Depth = this.S.Depth }

                steps.Add trapped
            | None -> ()

    /// A transaction executed by the engine's `TransactionTrace` in `env`, run to its end: its trace
    /// and its result (the untraced execution's, by the trace API's contract; the tests check it).
    let ofEngine (env: Thru.Engine.EngineEnvironment) (wire: byte[]) : TraceRecord.Trace * Thru.Engine.EngineResult =
        let recorder = TxnRecorder()
        use session = new TransactionTrace(recorder, env, ReadOnlySpan wire)
        recorder.Session <- Some session

        if not session.IsEnded then
            recorder.Start()
            session.Run() |> ignore

        let r = session.Result
        let o = TxnObservation.ofEngine env r

        { Engine = "engine"
          Reports = TraceRecord.allFields
          Steps = List.ofSeq recorder.Steps
          End = TraceRecord.txnEnd o (Option.ofObj r.Rejection) },
        r

    /// A transaction input's trace on the engine.
    let txn (t: TxnInput) : Result<TraceRecord.Trace, string> =
        Ok(fst (ofEngine (TxnFixture.engineEnvironment (environment Decisions.Profile.defaults t)) t.Wire))

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

/// The engine on a transaction input. The observation always comes from the untraced run (the one
/// the runner judges); a trace, when asked, from a second, traced run (TransactionTrace, which ends
/// exactly as the untraced run does: tests/Thru.Tests/Conformance/TraceTests.fs checks it).
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
