/// Turning an input into a fixture: the model (the reference) gives the expected observation; the
/// decisions the expectation depends on are found by running the model under each switchable
/// decision's alternative (a decision is listed exactly when flipping it changes the observation),
/// plus the decisions that the observation shows by rule (an ebreak depends on D-EBREAK, …).
module Thru.Conform.Build

open System.Text.Json.Nodes
open Thru.Model
open Thru.Model.Isa
open Thru.Compare
open Thru.Compare.Conformance

/// The decisions the model can flip (profile switches, model/Decisions.fs), with the alternative.
let switchable: (string * (Decisions.Profile -> Decisions.Profile)) list =
    [ "D-ZBC", fun p -> { p with Zbc = not p.Zbc }
      "D-TRAILER", fun p -> { p with TrailerSize = (if p.TrailerSize = 8 then 4 else 8) }
      "D-META-VIEW", fun p -> { p with MetaLayout = (if p.MetaLayout = Decisions.SdkView62 then Decisions.RuntimeRecord64 else Decisions.SdkView62) }
      "D-ALIGN", fun p -> { p with AllowMisaligned = not p.AllowMisaligned }
      "D-EPHEMERAL", fun p -> { p with EphemeralPersists = not p.EphemeralPersists }
      "D-PROOF-WINDOW", fun p -> { p with ProofBlockSpan = (if p.ProofBlockSpan = 128 then 512 else 128) }
      "D-RESERVED", fun p -> { p with ReservedMustBeZero = not p.ReservedMustBeZero }
      "D-IMAGE-MIN", fun p -> { p with MinCodeBytes = (if p.MinCodeBytes = 0 then 4 else 0) }
      "D-SU", fun p -> { p with StateUnits = (if p.StateUnits = Decisions.PerGrowth then Decisions.PerNewPage else Decisions.PerGrowth) } ]

/// The switchable decisions whose alternative changes the observation of `input`.
let flippedDecisions (input: JsonObject) (expected: JsonObject) : string list =
    switchable
    |> List.filter (fun (_, alt) ->
        match Adapters.modelUntraced (alt Decisions.Profile.defaults) input with
        | Ok o -> not (JsonNode.DeepEquals(o, expected))
        | Error _ -> true)
    |> List.map fst

let private str (o: JsonObject) (name: string) =
    match o[name] with
    | :? JsonValue as v -> (try v.GetValue<string>() with _ -> "")
    | _ -> ""

let private num (o: JsonObject) (name: string) =
    match o[name] with
    | :? JsonValue as v -> (try v.GetValue<int64>() with _ -> 0L)
    | _ -> 0L

/// Decisions an observation and its trace show by rule (decisions without a profile switch; the
/// switchable ones are listed by `flippedDecisions` alone).
let ruleDecisions (kind: string) (expected: JsonObject) (trace: TraceRecord.Trace) : string list =
    let mnemonics = trace.Steps |> List.map (fun s -> (TraceRecord.disassemble s).Split(' ')[0]) |> Set.ofList

    let faultKind =
        match expected["fault"] with
        | :? JsonObject as f -> str f "kind"
        | :? JsonValue as v -> (try v.GetValue<string>() with _ -> "")
        | _ -> ""

    let ecalls = trace.Steps |> List.choose (fun s -> s.Syscall)

    [ if kind = "raw" then "D-RAW"
      if kind = "raw" && str expected "stop" = "ebreak" || faultKind = "breakpoint" then "D-EBREAK"
      if faultKind = "illegal-instruction" then "D-ILLEGAL"
      if faultKind = "unknown-syscall" then "D-UNKNOWN-SYSCALL"
      if faultKind = "resource-exhaustion" then "D-COW-POOL"
      if mnemonics.Contains "fence" || mnemonics.Contains "pause" || mnemonics.Contains "fence.tso" then "D-FENCE"
      if kind = "txn" && num expected "vm_error" = int64 Runtime.Codes.Txn.cuExhausted then "D-CU-CHARGE"
      if kind = "txn" && num expected "vm_error" = int64 Runtime.Codes.Txn.vmRevert then "D-REVERT-EVENTS"
      if kind = "txn" && num expected "max_call_depth" = 16L then "D-DEPTH"
      if ecalls |> List.exists (fun c -> c.Outcome = "returned-to-caller") then "D-INVOKE-RETURN"
      if ecalls |> List.exists (fun c -> c.Number = 0x0AUL && c.Ret |> Option.exists (fun (a0, _) -> a0 = uint64 Runtime.Codes.Syscall.callDepthTooDeep)) then "D-DEPTH" ]
    |> List.distinct

/// The extensions of the instructions a raw input executes (and of the instruction it stops at,
/// when that one is an instruction).
let rawIsa (r: RawInput) : string list =
    let t = Adapters.modelRaw Adapters.defaultModel r true
    let steps = t.Trace.Value.Steps

    let decode (bits: uint32) (length: int) =
        if length = 2 then Decode.decode16 (uint16 bits) else Decode.decode (uint16 bits) (uint16 (bits >>> 16))

    let ext (d: Decoded) =
        match d with
        | Full i -> Some(Execute.extensionOf i)
        | Compressed c ->
            match Execute.extensionOf (Expand.expand c) with
            | M -> Some M
            | _ -> Some C
        | Illegal _ -> None

    let stoppedAt =
        match Raw.load r.Image r.Base with
        | Ok mem ->
            let pc = Hex.tryParse (t.Observation["pc"].GetValue<string>()) |> Option.defaultValue 0UL

            match Execute.fetch Raw.FlatMemory.port mem pc with
            | Ok f -> ext f.Decoded |> Option.toList
            | Error _ -> []
        | Error _ -> []

    let used = (steps |> List.choose (fun s -> ext (decode s.Bits s.Length))) @ stoppedAt |> List.map isaName |> Set.ofList
    isaNames |> List.filter used.Contains

/// A raw fixture from an input (its "isa" is computed).
let raw (id: string) (category: string) (description: string) (r: RawInput) : Fixture =
    let r = { r with Isa = rawIsa r }
    let input = rawInputJson r
    let answer = Adapters.modelRaw Adapters.defaultModel r true
    let expected = (Adapters.modelUntraced Decisions.Profile.defaults input |> Result.toOption).Value

    { Id = id
      Kind = "raw"
      Category = category
      Description = description
      Decisions = (flippedDecisions input expected @ ruleDecisions "raw" expected answer.Trace.Value) |> List.distinct |> List.sort
      Input = input
      Expected = expected }

/// A transaction fixture from a resolved input, and the world its stored input names: the world of
/// `basis` (the generator's shared environment), which the input then only amends.
let txn (id: string) (category: string) (description: string) (t: TxnInput) (basis: TxnInput) : Fixture * World =
    let resolved = txnInputJson t
    let answer = Adapters.modelTxn Adapters.defaultModel t true
    let expected = (Adapters.modelUntraced Decisions.Profile.defaults resolved |> Result.toOption).Value
    let world = worldOf basis

    { Id = id
      Kind = "txn"
      Category = category
      Description = description
      Decisions = (flippedDecisions resolved expected @ ruleDecisions "txn" expected answer.Trace.Value) |> List.distinct |> List.sort
      Input = txnInputOnWorld world t
      Expected = expected },
    world

/// A transaction input from an environment and wire bytes.
let txnInput (verifier: string) (env: Runtime.Execution.Environment) (wire: byte[]) : TxnInput =
    { Verifier = verifier
      Wire = wire
      State = env.State
      Blocks = env.Blocks
      Chain = env.Chain }

/// What a generator yields: a raw input or a transaction input, with its id, category and description.
type Case =
    | RawCase of id: string * category: string * description: string * RawInput
    /// The last input is the basis of the world the stored input names (the shared environment).
    | TxnCase of id: string * category: string * description: string * TxnInput * TxnInput

let caseId (c: Case) =
    match c with
    | RawCase(id, _, _, _)
    | TxnCase(id, _, _, _, _) -> id

/// The fixture of a case (and the world of a transaction case).
let build (c: Case) : Fixture * World option =
    match c with
    | RawCase(id, cat, d, r) -> raw id cat d r, None
    | TxnCase(id, cat, d, t, basis) ->
        let f, w = txn id cat d t basis
        f, Some w
