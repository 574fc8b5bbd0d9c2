/// Transaction fixtures: kind "txn" of the fixture format (Fixture.fs, ../shared/DESIGN.md
/// "Fixtures"), holding a transaction's inputs (the committed state, the block contexts, the
/// verifier by name, the wire bytes) and the expected observation, which the model and the
/// engine must both reproduce.
///
///   { "format": "thrumodel-fixture", "version": 1, "kind": "txn", "name": "…", "description": "…",
///     "txn": { "verifier": "accept-all" | "sha256-binding" | "ed25519", "wire": "<base64>",
///              "state": [ { "pubkey", "version", "flags", "data_size", "seq", "owner", "balance",
///                           "nonce", "data": "<base64>" } ],
///              "blocks": [ { "slot", "block_time", "block_price", "state_root", "block_hash",
///                            "block_producer", "weight_slot" } ] },
///     "expected": TxnObservation.toJson with every account of the post-state }
module Thru.Compare.TxnFixture

open System
open System.Text.Json.Nodes
open Thru.Model
open Thru.Model.Memory.Layout
open Thru.Model.Runtime

// ---------------------------------------------------------------------------------------
// The engine's view of the model's inputs.
// ---------------------------------------------------------------------------------------

let engineKey (k: Pubkey) = Thru.Engine.PublicKey(ReadOnlySpan k.Bytes)

let engineAccount (a: Account) =
    Thru.Engine.EngineAccount(
        Version = a.Meta.Version,
        Flags = a.Meta.Flags,
        DataSize = a.Meta.DataSize,
        Seq = a.Meta.Seq,
        Owner = engineKey a.Meta.Owner,
        Balance = a.Meta.Balance,
        Nonce = a.Meta.Nonce,
        Data = a.Data
    )

let engineChain (c: Vm.Chain) =
    let compressedAt = Collections.Generic.Dictionary<Thru.Engine.PublicKey, uint64>()

    for KeyValue(k, s) in c.CompressedAt do
        compressedAt[engineKey k] <- s

    Thru.Engine.EngineChain(ChainId = c.ChainId, StateCounter = c.StateCounter, CompressedAt = compressedAt)

let engineBlock (b: BlockContext) =
    Thru.Engine.EngineBlock(
        Slot = b.Slot,
        BlockTime = b.BlockTime,
        BlockPrice = b.BlockPrice,
        StateRoot = b.StateRoot,
        BlockHash = b.BlockHash,
        BlockProducer = b.BlockProducer,
        WeightSlot = b.WeightSlot
    )

/// The engine's environment for a model environment: the same state, blocks and signature
/// verifier (the engine verifies state proofs itself, by decision D-STATE-TRIE).
let engineEnvironment (env: Execution.Environment) : Thru.Engine.EngineEnvironment =
    let state = Collections.Generic.Dictionary<Thru.Engine.PublicKey, Thru.Engine.EngineAccount>()

    for KeyValue(k, a) in env.State do
        state[engineKey k] <- engineAccount a

    let verify = env.Verify
    Thru.Engine.EngineEnvironment(state, env.Blocks |> List.map engineBlock |> Array.ofList, Thru.Engine.SignatureVerifier(fun k m s -> verify (Pubkey k) m s), engineChain env.Chain)

/// The verifiers a fixture can name. "sha256-binding" accepts a signature whose first 32 bytes
/// are SHA-256(key ‖ message): deterministic, and still bound to the key and the message.
let verifier (name: string) : Crypto.Verifier option =
    match name with
    | "accept-all" -> Some(fun _ _ _ -> true)
    | "sha256-binding" ->
        Some(fun k m s -> s.Length = 64 && s[..31] = Crypto.sha256 (Array.append k.Bytes m))
    | "ed25519" -> Some(fun k m s -> Thru.Interop.Sodium.Verify(ReadOnlySpan k.Bytes, ReadOnlySpan m, ReadOnlySpan s))
    | _ -> None

type TxnFixture =
    { Name: string
      Description: string
      Verifier: string
      State: Map<Pubkey, Account>
      Blocks: BlockContext list
      Chain: Vm.Chain
      Wire: byte[]
      Expected: TxnObservation.TxnObservation }

let private b64 (b: byte[]) = Json.str (Convert.ToBase64String b)
let private u (v: uint64) = Json.str (string v)

let private accountJson (k: Pubkey) (a: Account) : JsonNode =
    Json.obj
        [ "pubkey", Json.str (string k)
          "version", Json.num (int64 a.Meta.Version)
          "flags", Json.num (int64 a.Meta.Flags)
          "data_size", Json.num (int64 a.Meta.DataSize)
          "seq", u a.Meta.Seq
          "owner", Json.str (string a.Meta.Owner)
          "balance", u a.Meta.Balance
          "nonce", u a.Meta.Nonce
          "data", b64 a.Data ]

let private blockJson (b: BlockContext) : JsonNode =
    Json.obj
        [ "slot", u b.Slot
          "block_time", u b.BlockTime
          "block_price", u b.BlockPrice
          "state_root", Json.str (TxnObservation.hex b.StateRoot)
          "block_hash", Json.str (TxnObservation.hex b.BlockHash)
          "block_producer", Json.str (TxnObservation.hex b.BlockProducer)
          "weight_slot", u b.WeightSlot ]

let private chainJson (c: Vm.Chain) : JsonNode =
    Json.obj
        [ "chain_id", Json.num (int64 c.ChainId)
          "state_counter", u c.StateCounter
          "compressed_at", Json.arr [ for KeyValue(k, s) in c.CompressedAt -> Json.obj [ "pubkey", Json.str (string k); "slot", u s ] :> JsonNode ] ]

/// The JSON of an observation as a fixture expects it: every account of the post-state, and no
/// engine name (the model and the engine must both produce it).
let expectedJson (o: TxnObservation.TxnObservation) =
    let json = TxnObservation.toJson o o.State
    json.Remove "engine" |> ignore
    json

let toJson (f: TxnFixture) : JsonObject =
    Json.obj
        [ "format", Json.str Fixture.formatName
          "version", Json.num Fixture.currentVersion
          "kind", Json.str "txn"
          "name", Json.str f.Name
          "description", Json.str f.Description
          "txn",
          Json.obj
              [ "verifier", Json.str f.Verifier
                "wire", b64 f.Wire
                "state", Json.arr [ for KeyValue(k, a) in f.State -> accountJson k a ]
                "blocks", Json.arr [ for b in f.Blocks -> blockJson b ]
                "chain", chainJson f.Chain ]
          "expected", expectedJson f.Expected ]

/// A parsed fixture: its inputs, and the expected observation as JSON.
type ParsedTxnFixture =
    { Name: string
      Verifier: string
      Environment: Execution.Environment
      Wire: byte[]
      Expected: JsonNode }

let private fail fmt = Printf.kprintf Error fmt

let private get (o: JsonObject) (name: string) : Result<JsonNode, string> =
    match o[name] with
    | null -> fail "missing field '%s'" name
    | n -> Ok n

let private str (o: JsonObject) name =
    get o name
    |> Result.bind (fun n ->
        match n with
        | :? JsonValue as v when v.GetValueKind() = Text.Json.JsonValueKind.String -> Ok(v.GetValue<string>())
        | _ -> fail "field '%s' must be a string" name)

let private num (o: JsonObject) name =
    get o name
    |> Result.bind (fun n ->
        match n with
        | :? JsonValue as v when v.GetValueKind() = Text.Json.JsonValueKind.Number ->
            match v.TryGetValue<int64>() with
            | true, x -> Ok x
            | _ -> fail "field '%s' must be an integer" name
        | _ -> fail "field '%s' must be a number" name)

let private u64 (o: JsonObject) name =
    str o name
    |> Result.bind (fun s ->
        match UInt64.TryParse s with
        | true, v -> Ok v
        | _ -> fail "field '%s' must be a decimal u64 string" name)

let private bytesOf (decode: string -> byte[]) (o: JsonObject) name =
    str o name
    |> Result.bind (fun s ->
        try
            Ok(decode s)
        with :? FormatException ->
            fail "field '%s' is not well-formed" name)

let private base64 = bytesOf Convert.FromBase64String
let private hexBytes = bytesOf Convert.FromHexString

let private key (o: JsonObject) name =
    hexBytes o name |> Result.bind (fun b -> if b.Length = 32 then Ok(Pubkey b) else fail "field '%s' must be 32 bytes" name)

let private objects (o: JsonObject) name =
    get o name
    |> Result.bind (fun n ->
        match n with
        | :? JsonArray as a when a |> Seq.forall (fun x -> x :? JsonObject) -> Ok [ for x in a -> x :?> JsonObject ]
        | _ -> fail "field '%s' must be an array of objects" name)

let private sequence (rs: Result<'a, string> list) : Result<'a list, string> =
    List.foldBack (fun r acc -> Result.bind (fun xs -> Result.map (fun x -> x :: xs) r) acc) rs (Ok [])

let private account (o: JsonObject) =
    result {
        let! k = key o "pubkey"
        let! version = num o "version"
        let! flags = num o "flags"
        let! dataSize = num o "data_size"
        let! seq = u64 o "seq"
        let! owner = key o "owner"
        let! balance = u64 o "balance"
        let! nonce = u64 o "nonce"
        let! data = base64 o "data"

        return
            k,
            { Meta =
                { Version = byte version
                  Flags = byte flags
                  DataSize = uint32 dataSize
                  Seq = seq
                  Owner = owner
                  Balance = balance
                  Nonce = nonce }
              Data = data }
    }

let private block (o: JsonObject) =
    result {
        let! slot = u64 o "slot"
        let! time = u64 o "block_time"
        let! price = u64 o "block_price"
        let! root = hexBytes o "state_root"
        let! hash = hexBytes o "block_hash"
        let! producer = hexBytes o "block_producer"
        let! weight = u64 o "weight_slot"

        return
            { Slot = slot
              BlockTime = time
              BlockPrice = price
              StateRoot = root
              BlockHash = hash
              BlockProducer = producer
              WeightSlot = weight }
    }

/// Parse a "txn" fixture, or say which field is wrong.
let ofJson (text: string) : Result<ParsedTxnFixture, string> =
    result {
        let! o =
            try
                match JsonNode.Parse text with
                | :? JsonObject as o -> Ok o
                | _ -> Error "a fixture must be a JSON object"
            with :? Text.Json.JsonException as e ->
                fail "not valid JSON: %s" e.Message

        let! format = str o "format"
        do! if format = Fixture.formatName then Ok() else fail "format is '%s', expected '%s'" format Fixture.formatName
        let! version = num o "version"
        do! if version = Fixture.currentVersion then Ok() else fail "version %d is not supported (expected %d)" version Fixture.currentVersion
        let! kind = str o "kind"
        do! if kind = "txn" then Ok() else fail "kind '%s' is not a txn fixture" kind
        let! name = str o "name"
        let! t = get o "txn" |> Result.bind (fun n -> match n with :? JsonObject as x -> Ok x | _ -> Error "field 'txn' must be an object")
        let! verifierName = str t "verifier"
        let! verify = verifier verifierName |> orError (sprintf "unknown verifier '%s'" verifierName)
        let! wire = base64 t "wire"
        let! accounts = objects t "state" |> Result.bind (List.map account >> sequence)
        let! blocks = objects t "blocks" |> Result.bind (List.map block >> sequence)
        do! if blocks.IsEmpty then Error "field 'blocks' must hold the current block" else Ok()
        // Fixtures written before the chain was part of the world ran on a mature chain 1.
        let! chain =
            match t["chain"] with
            | null -> Ok(Vm.Chain.mature 1us)
            | :? JsonObject as c ->
                result {
                    let! id = num c "chain_id"
                    do! if id >= 1L && id <= 65535L then Ok() else fail "field 'chain_id' must be 1..65535"
                    let! counter = u64 c "state_counter"
                    let! slots = objects c "compressed_at"
                    let! slots = slots |> List.map (fun s -> result { let! k = key s "pubkey" in let! at = u64 s "slot" in return k, at }) |> sequence
                    return { ChainId = uint16 id; StateCounter = counter; CompressedAt = Map slots }
                }
            | _ -> Error "field 'chain' must be an object"
        let! expected = get o "expected"

        return
            { Name = name
              Verifier = verifierName
              Environment =
                { Profile = Decisions.Profile.defaults
                  State = Map accounts
                  Blocks = blocks
                  Verify = verify
                  VerifyProof = StateProof.merkleVerifier
                  Chain = chain }
              Wire = wire
              Expected = expected }
    }
