/// The fixture format shared by differential tests, regressions and cross-checks of other
/// engines (../shared/DESIGN.md, "Fixtures"): JSON, versioned, holding the inputs and the
/// expected observation. A counterexample found by a property test is saved as a fixture and
/// replayed by `make test` forever.
///
///   { "format": "thrumodel-fixture", "version": 1, "kind": "raw",
///     "name": "…", "description": "…",
///     "raw": { "base": "0x80000000", "maxSteps": 400, "image": "<base64>" },
///     "oracle": "unicorn" | null,
///     "expected": { "stop": …, "fault": …, "pc": …, "instructions": …, "regs": [ … ] } }
module Thru.Compare.Fixture

open System
open System.Text.Json.Nodes
open Thru.Model
open Thru.Compare.RawObservation

let formatName = "thrumodel-fixture"
let currentVersion = 1L

/// A raw-mode fixture.
type RawFixture =
    { Name: string
      Description: string
      Base: uint64
      MaxSteps: int64
      Image: byte[]
      /// The oracle that must also reproduce `Expected` ("unicorn"), if any.
      Oracle: string option
      Expected: RawObservation }

let rawToJson (f: RawFixture) : JsonObject =
    Json.obj
        [ "format", Json.str formatName
          "version", Json.num currentVersion
          "kind", Json.str "raw"
          "name", Json.str f.Name
          "description", Json.str f.Description
          "raw",
          Json.obj
              [ "base", Json.str (Hex.addr f.Base)
                "maxSteps", Json.num f.MaxSteps
                "image", Json.str (Convert.ToBase64String f.Image) ]
          "oracle", Json.opt Json.str f.Oracle
          "expected", RawObservation.toJson f.Expected ]

/// Why a fixture could not be read: a message naming the field.
type FixtureError = string

let private field (o: JsonObject) (name: string) : Result<JsonNode, FixtureError> =
    match o[name] with
    | null -> Error(sprintf "missing field '%s'" name)
    | n -> Ok n

let private str (o: JsonObject) name =
    field o name
    |> Result.bind (fun n ->
        match n with
        | :? JsonValue as v when v.GetValueKind() = Text.Json.JsonValueKind.String -> Ok(v.GetValue<string>())
        | _ -> Error(sprintf "field '%s' must be a string" name))

let private hex (o: JsonObject) name =
    str o name
    |> Result.bind (fun s ->
        match Hex.tryParse s with
        | Some v -> Ok v
        | None -> Error(sprintf "field '%s' must be a hex number, not '%s'" name s))

let private int64Field (o: JsonObject) name =
    field o name
    |> Result.bind (fun n ->
        match n with
        | :? JsonValue as v when v.GetValueKind() = Text.Json.JsonValueKind.Number ->
            match v.TryGetValue<int64>() with
            | true, x -> Ok x
            | _ -> Error(sprintf "field '%s' must be an integer" name)
        | _ -> Error(sprintf "field '%s' must be a number" name))

let private obj (o: JsonObject) name =
    field o name
    |> Result.bind (fun n ->
        match n with
        | :? JsonObject as x -> Ok x
        | _ -> Error(sprintf "field '%s' must be an object" name))

let private hexList (a: JsonNode) : uint64 option list =
    match a with
    | :? JsonArray as a ->
        [ for n in a ->
              match n with
              | :? JsonValue as v when v.GetValueKind() = Text.Json.JsonValueKind.String -> Hex.tryParse (v.GetValue<string>())
              | _ -> None ]
    | _ -> []

let private observation (o: JsonObject) : Result<RawObservation, FixtureError> =
    result {
        let! engine = str o "engine"
        let! stop = str o "stop"
        let! fault = if isNull o["fault"] then Ok None else str o "fault" |> Result.map Some
        let! pc = hex o "pc"
        let! n = int64Field o "instructions"
        let! regsNode = field o "regs"
        let regs = hexList regsNode

        let! regs =
            if regs.Length = 32 && List.forall Option.isSome regs then Ok(regs |> List.map Option.get |> Array.ofList)
            else Error "field 'regs' must be an array of 32 hex strings"

        return
            { Engine = engine
              Stop = stop
              Fault = fault
              Pc = pc
              Instructions = n
              Regs = regs }
    }

let private parseObject (text: string) : Result<JsonObject, FixtureError> =
    try
        match JsonNode.Parse text with
        | :? JsonObject as o -> Ok o
        | _ -> Error "a fixture must be a JSON object"
    with :? Text.Json.JsonException as e ->
        Error(sprintf "not valid JSON: %s" e.Message)

/// Parse a raw fixture, or say which field is wrong.
let rawOfJson (text: string) : Result<RawFixture, FixtureError> =
    result {
        let! o = parseObject text
        let! format = str o "format"
        do! if format = formatName then Ok() else Error(sprintf "format is '%s', expected '%s'" format formatName)
        let! version = int64Field o "version"
        do! if version = currentVersion then Ok() else Error(sprintf "version %d is not supported (expected %d)" version currentVersion)
        let! kind = str o "kind"
        do! if kind = "raw" then Ok() else Error(sprintf "kind '%s' is not a raw fixture" kind)
        let! name = str o "name"
        let! description = str o "description"
        let! raw = obj o "raw"
        let! baseAddress = hex raw "base"
        let! maxSteps = int64Field raw "maxSteps"
        let! image64 = str raw "image"

        let! image =
            try
                Ok(Convert.FromBase64String image64)
            with :? FormatException ->
                Error "field 'image' must be base64"

        let! oracle = if isNull o["oracle"] then Ok None else str o "oracle" |> Result.map Some
        let! expected = obj o "expected" |> Result.bind observation

        return
            { Name = name
              Description = description
              Base = baseAddress
              MaxSteps = maxSteps
              Image = image
              Oracle = oracle
              Expected = expected }
    }
