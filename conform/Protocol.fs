/// The conformance line protocol (docs/conformance.md, "The protocol"): the runner starts the
/// engine under test once and speaks to it in JSON Lines over its standard input and output.
///
///   runner  -> adapter  {"protocol": "thrumodel-conform", "version": 1}
///   adapter -> runner   {"protocol": "thrumodel-conform", "version": 1, "engine": "…",
///                        "kinds": ["raw", "txn"], "trace": true|false}
///   runner  -> adapter  {"id": "…", "input": {…}, "trace": false}        (one per fixture)
///   adapter -> runner   {"id": "…", "observation": {…}}                   (or "unsupported": "why",
///                                                                           or "error": "why";
///                                                                           with "trace": {…} or
///                                                                           "trace_unavailable": "why"
///                                                                           when a trace was asked for)
///
/// The runner closes the adapter's standard input at the end; the adapter then exits.
module Thru.Conform.Protocol

open System.IO
open System.Text.Json.Nodes
open Thru.Model
open Thru.Compare
open Thru.Compare.Conformance

let name = "thrumodel-conform"
let version = 1L

/// The runner's first line.
let hello () : JsonObject = Json.obj [ "protocol", Json.str name; "version", Json.num version ]

/// What an adapter says about itself in its handshake.
type Handshake =
    { Engine: string
      Kinds: string list
      Trace: bool }

let handshakeJson (h: Handshake) : JsonObject =
    Json.obj
        [ "protocol", Json.str name
          "version", Json.num version
          "engine", Json.str h.Engine
          "kinds", Json.arr (h.Kinds |> List.map Json.str)
          "trace", Json.bool h.Trace ]

let parseHandshake (o: JsonObject) : Result<Handshake, string> =
    result {
        let! p = J.str o "protocol"
        do! if p = name then Ok() else J.fail "the handshake names protocol '%s', not '%s'" p name
        let! v = J.int64 o "version"
        do! if v = version then Ok() else J.fail "the adapter speaks protocol version %d; this runner speaks version %d" v version
        let! engine = J.optStr o "engine"
        let! kinds = if J.has o "kinds" then J.strings o "kinds" else Ok [ "raw"; "txn" ]
        let! trace = if J.has o "trace" then J.bool o "trace" else Ok false
        return { Engine = defaultArg engine "adapter"; Kinds = kinds; Trace = trace }
    }

let request (id: string) (input: JsonObject) (trace: bool) : JsonObject =
    Json.obj [ "id", Json.str id; "input", J.clone input; "trace", Json.bool trace ]

/// An adapter's answer to one request.
type Reply =
    | Observed of observation: JsonObject * trace: Result<TraceRecord.Trace, string> option
    | Unsupported of string
    | AdapterError of string

/// Parse an answer line for request `id`.
let parseReply (id: string) (o: JsonObject) : Result<Reply, string> =
    match J.str o "id" with
    | Ok got when got <> id -> J.fail "the answer is for fixture '%s', not '%s'" got id
    | Error _ when J.has o "id" -> Error "the answer's 'id' is not a string"
    | _ ->
        if J.has o "unsupported" then
            Ok(Unsupported(match J.str o "unsupported" with Ok s -> s | Error _ -> "unsupported"))
        elif J.has o "error" then
            Ok(AdapterError(match J.str o "error" with Ok s -> s | Error _ -> o["error"].ToJsonString()))
        else
            match J.obj o "observation" with
            | Error e -> Error e
            | Ok obs ->
                let trace =
                    match o["trace"], o["trace_unavailable"] with
                    | (:? JsonObject as t), _ -> Some(TraceRecord.ofJson t)
                    | _, null -> None
                    | _, why -> Some(Error(try why.GetValue<string>() with _ -> "no trace"))

                Ok(Observed(obs, trace))

// ---------------------------------------------------------------------------------------
// The adapter side: `thrumodel serve`.
// ---------------------------------------------------------------------------------------

/// Serve requests from `input` until it ends: `answer input trace` runs one resolved input.
/// Malformed requests get an "error" answer; the loop never stops on one.
let serve (h: Handshake) (answer: JsonObject -> bool -> Result<Adapters.Answer, string>) (input: TextReader) (output: TextWriter) =
    let send (o: JsonObject) =
        output.WriteLine(J.compact o)
        output.Flush()

    let reply (id: JsonNode) (members: (string * JsonNode) list) = send (Json.obj (("id", J.clone id) :: members))
    let mutable greeted = false
    let mutable line = input.ReadLine()

    while not (isNull line) do
        if line.Trim() <> "" then
            match J.parseObject line with
            | Error e -> send (Json.obj [ "error", Json.str (sprintf "request: %s" e) ])
            | Ok o when not greeted && J.has o "protocol" ->
                greeted <- true

                match J.int64 o "version" with
                | Ok v when v = version -> send (handshakeJson h)
                | _ -> send (Json.obj [ "error", Json.str (sprintf "this adapter speaks protocol version %d" version) ])
            | Ok o ->
                greeted <- true
                let id = o["id"]
                let wantTrace = match J.bool o "trace" with Ok b -> b | Error _ -> false

                match J.obj o "input" with
                | Error e -> reply id [ "error", Json.str e ]
                | Ok i ->
                    match J.str i "kind" with
                    | Ok k when not (List.contains k h.Kinds) -> reply id [ "unsupported", Json.str (sprintf "%s does not run '%s' inputs" h.Engine k) ]
                    | _ ->
                        match (try answer i wantTrace with e -> Error(sprintf "%s: %s" (e.GetType().Name) e.Message)) with
                        | Error e -> reply id [ "error", Json.str e ]
                        | Ok a ->
                            reply
                                id
                                [ "observation", a.Observation
                                  match a.Trace, a.TraceUnavailable with
                                  | Some t, _ when wantTrace -> "trace", TraceRecord.toJson t
                                  | _, Some why when wantTrace -> "trace_unavailable", Json.str why
                                  | _ when wantTrace -> "trace_unavailable", Json.str "no trace"
                                  | _ -> () ]

        line <- input.ReadLine()
