/// The conformance fixture format, version 2 (docs/conformance.md): one JSON object per fixture,
/// language-neutral and self-contained, for raw programs and for transactions. A fixture holds
/// the input an engine runs (exactly what the runner sends it), the observation it must produce,
/// and the decision ids the expectation depends on:
///
///   { "format": "thrumodel-fixture", "version": 2, "id": "…", "kind": "raw" | "txn",
///     "category": "…", "description": "…", "decisions": ["D-…"], "input": {…}, "expected": {…} }
///
/// Corpus files hold one fixture per line (JSON Lines); transaction worlds (accounts, blocks,
/// chain) are shared by content: a line { "format": "thrumodel-world", "id": "w-…", … } defines a
/// world and a fixture's input names it ("world": "w-…") and lists only the accounts it adds or
/// replaces. The runner resolves the world before sending an input, so an engine always sees a
/// complete input. conformance/schema/fixture.schema.json is the JSON Schema of both line kinds.
module Thru.Compare.Conformance

open System
open System.Text.Json
open System.Text.Json.Nodes
open Thru.Model
open Thru.Model.Memory.Layout
open Thru.Model.Runtime

let formatName = "thrumodel-fixture"
let worldFormatName = "thrumodel-world"
let version = 2L

/// The names of the 16 syscalls, by number (docs/spec/syscalls.md).
let syscallNames =
    [| "set_anonymous_segment_sz"; "increment_anonymous_segment_sz"; "set_account_data_writable"; "account_transfer"
       "account_create"; "account_create_ephemeral"; "account_delete"; "account_resize"; "account_compress"
       "account_decompress"; "invoke"; "exit"; "log"; "emit_event"; "account_set_flags"; "account_create_eoa" |]

/// The name of syscall `n` ("unknown" above 0x0F).
let syscallName (n: uint64) = if n < 16UL then syscallNames[int n] else "unknown"

/// The syscall return codes by value, with their names (docs/spec/errors.md §1).
let syscallCodeNames: (int64 * string) list =
    [ Codes.Syscall.success, "SUCCESS"
      Codes.Syscall.badSegmentTableSize, "BAD_SEGMENT_TABLE_SIZE"
      Codes.Syscall.invalidAccountIndex, "INVALID_ACCOUNT_INDEX"
      Codes.Syscall.accountDoesNotExist, "ACCOUNT_DOES_NOT_EXIST"
      Codes.Syscall.accountNotWritable, "ACCOUNT_NOT_WRITABLE"
      Codes.Syscall.balanceOverflow, "BALANCE_OVERFLOW"
      Codes.Syscall.accountTooBig, "ACCOUNT_TOO_BIG"
      Codes.Syscall.invalidObjRefKind, "INVALID_OBJ_REF_KIND"
      Codes.Syscall.objNotWritable, "OBJ_NOT_WRITABLE"
      Codes.Syscall.accountAlreadyExists, "ACCOUNT_ALREADY_EXISTS"
      Codes.Syscall.badAccountAddress, "BAD_ACCOUNT_ADDRESS"
      Codes.Syscall.accountIsNotProgram, "ACCOUNT_IS_NOT_PROGRAM"
      Codes.Syscall.accountHasData, "ACCOUNT_HAS_DATA"
      Codes.Syscall.segmentAlreadyMapped, "SEGMENT_ALREADY_MAPPED"
      Codes.Syscall.badParams, "BAD_PARAMS"
      Codes.Syscall.invalidSegmentId, "INVALID_SEGMENT_ID"
      Codes.Syscall.invalidAddress, "INVALID_ADDRESS"
      Codes.Syscall.invalidStateProof, "INVALID_STATE_PROOF"
      Codes.Syscall.callDepthTooDeep, "CALL_DEPTH_TOO_DEEP"
      Codes.Syscall.revert, "REVERT"
      Codes.Syscall.insufficientPages, "INSUFFICIENT_PAGES"
      Codes.Syscall.invalidAccount, "INVALID_ACCOUNT"
      Codes.Syscall.invalidSegmentSize, "INVALID_SEGMENT_SIZE"
      Codes.Syscall.unfreeablePage, "UNFREEABLE_PAGE"
      Codes.Syscall.logDataTooLarge, "LOG_DATA_TOO_LARGE"
      Codes.Syscall.eventTooLarge, "EVENT_TOO_LARGE"
      Codes.Syscall.invalidProofLen, "INVALID_PROOF_LEN"
      Codes.Syscall.invalidProofSlot, "INVALID_PROOF_SLOT"
      Codes.Syscall.accountInCompressionTimeout, "ACCOUNT_IN_COMPRESSION_TIMEOUT"
      Codes.Syscall.invalidAccountDataSize, "INVALID_ACCOUNT_DATA_SIZE"
      Codes.Syscall.invalidSeedLength, "INVALID_SEED_LENGTH"
      Codes.Syscall.txnHasCompressedAccount, "TXN_HAS_COMPRESSED_ACCOUNT"
      Codes.Syscall.insufficientBalance, "INSUFFICIENT_BALANCE"
      Codes.Syscall.invalidOffset, "INVALID_OFFSET"
      Codes.Syscall.computeUnitsExceeded, "COMPUTE_UNITS_EXCEEDED"
      Codes.Syscall.invalidFlags, "INVALID_FLAGS"
      Codes.Syscall.ephemeralAccountCannotCreatePersistent, "EPHEMERAL_ACCOUNT_CANNOT_CREATE_PERSISTENT"
      Codes.Syscall.accountCompressionNotAllowed, "ACCOUNT_COMPRESSION_NOT_ALLOWED"
      Codes.Syscall.invalidSignature, "INVALID_SIGNATURE"
      Codes.Syscall.accountUncompressable, "ACCOUNT_UNCOMPRESSABLE"
      Codes.Syscall.eventIsZeroSize, "EVENT_IS_ZERO_SIZE"
      Codes.Syscall.stateBytesAddedOverflow, "STATE_BYTES_ADDED_OVERFLOW"
      Codes.Syscall.stateBytesRemovedOverflow, "STATE_BYTES_REMOVED_OVERFLOW"
      Codes.Syscall.programInCallStack, "PROGRAM_IN_CALL_STACK" ]

/// The name of a syscall return code, or its value when it has none.
let syscallCodeName (code: int64) =
    match syscallCodeNames |> List.tryFind (fun (c, _) -> c = code) with
    | Some(_, name) -> name
    | None -> sprintf "%d" code

// ---------------------------------------------------------------------------------------
// Reading JSON: every accessor says which field is wrong.
// ---------------------------------------------------------------------------------------

/// Accessors over JSON objects that return a message naming the field on error.
module J =
    let fail fmt = Printf.kprintf Error fmt

    let get (o: JsonObject) (name: string) : Result<JsonNode, string> =
        match o[name] with
        | null -> fail "missing field '%s'" name
        | n -> Ok n

    let has (o: JsonObject) (name: string) = not (isNull o[name])

    let str (o: JsonObject) name =
        get o name
        |> Result.bind (fun n ->
            match n with
            | :? JsonValue as v when v.GetValueKind() = JsonValueKind.String -> Ok(v.GetValue<string>())
            | _ -> fail "field '%s' must be a string" name)

    let optStr (o: JsonObject) name = if has o name then str o name |> Result.map Some else Ok None

    let int64 (o: JsonObject) name =
        get o name
        |> Result.bind (fun n ->
            match n with
            | :? JsonValue as v when v.GetValueKind() = JsonValueKind.Number ->
                match v.TryGetValue<int64>() with
                | true, x -> Ok x
                | _ ->
                    match v.TryGetValue<int>() with
                    | true, x -> Ok(int64 x)
                    | _ ->
                        match v.TryGetValue<JsonElement>() with
                        | true, e when e.TryGetInt64() |> fst -> Ok(snd (e.TryGetInt64()))
                        | _ -> fail "field '%s' must be an integer" name
            | _ -> fail "field '%s' must be a number" name)

    let bool (o: JsonObject) name =
        get o name
        |> Result.bind (fun n ->
            match n with
            | :? JsonValue as v when v.GetValueKind() = JsonValueKind.True -> Ok true
            | :? JsonValue as v when v.GetValueKind() = JsonValueKind.False -> Ok false
            | _ -> fail "field '%s' must be true or false" name)

    /// A u64 written as a decimal string (as protobuf JSON writes 64-bit integers).
    let u64 (o: JsonObject) name =
        str o name
        |> Result.bind (fun s ->
            match UInt64.TryParse(s, Globalization.NumberStyles.None, Globalization.CultureInfo.InvariantCulture) with
            | true, v -> Ok v
            | _ -> fail "field '%s' must be a decimal u64 string, not '%s'" name s)

    /// A 64-bit value written as "0x…" hex.
    let hex (o: JsonObject) name =
        str o name
        |> Result.bind (fun s ->
            match Hex.tryParse s with
            | Some v when s.StartsWith "0x" -> Ok v
            | _ -> fail "field '%s' must be a 0x-prefixed hex number, not '%s'" name s)

    let base64 (o: JsonObject) name =
        str o name
        |> Result.bind (fun s ->
            try
                Ok(Convert.FromBase64String s)
            with :? FormatException ->
                fail "field '%s' must be base64" name)

    let hexBytes (o: JsonObject) name =
        str o name
        |> Result.bind (fun s ->
            try
                Ok(Convert.FromHexString s)
            with :? FormatException ->
                fail "field '%s' must be hex bytes" name)

    let key (o: JsonObject) name =
        hexBytes o name |> Result.bind (fun b -> if b.Length = 32 then Ok(Pubkey b) else fail "field '%s' must be 32 bytes (64 hex digits)" name)

    let bytes32 (o: JsonObject) name =
        hexBytes o name |> Result.bind (fun b -> if b.Length = 32 then Ok b else fail "field '%s' must be 32 bytes (64 hex digits)" name)

    let obj (o: JsonObject) name =
        get o name
        |> Result.bind (fun n ->
            match n with
            | :? JsonObject as x -> Ok x
            | _ -> fail "field '%s' must be an object" name)

    let arr (o: JsonObject) name =
        get o name
        |> Result.bind (fun n ->
            match n with
            | :? JsonArray as a -> Ok a
            | _ -> fail "field '%s' must be an array" name)

    let objects (o: JsonObject) name =
        arr o name
        |> Result.bind (fun a ->
            if a |> Seq.forall (fun x -> x :? JsonObject) then Ok [ for x in a -> x :?> JsonObject ]
            else fail "field '%s' must be an array of objects" name)

    let strings (o: JsonObject) name =
        arr o name
        |> Result.bind (fun a ->
            let items = [ for x in a -> match x with :? JsonValue as v when v.GetValueKind() = JsonValueKind.String -> Some(v.GetValue<string>()) | _ -> None ]
            if List.forall Option.isSome items then Ok(List.choose id items) else fail "field '%s' must be an array of strings" name)

    let sequence (rs: Result<'a, string> list) : Result<'a list, string> =
        List.foldBack (fun r acc -> Result.bind (fun xs -> Result.map (fun x -> x :: xs) r) acc) rs (Ok [])

    /// Parse one line or document as a JSON object.
    let parseObject (text: string) : Result<JsonObject, string> =
        try
            match JsonNode.Parse text with
            | :? JsonObject as o -> Ok o
            | _ -> Error "not a JSON object"
        with :? JsonException as e ->
            fail "not valid JSON: %s" e.Message

    /// A deep copy of a node.
    let clone (n: JsonNode) : JsonNode = if isNull n then null else n.DeepClone()

    /// One line of compact JSON.
    let compact (n: JsonNode) =
        n.ToJsonString(JsonSerializerOptions(WriteIndented = false, Encoder = Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping))

// ---------------------------------------------------------------------------------------
// Writing: the inputs' and observations' shapes.
// ---------------------------------------------------------------------------------------

let private b64 (b: byte[]) = Json.str (Convert.ToBase64String b)
let private hexOf (b: byte[]) = Convert.ToHexString(b).ToLowerInvariant()
let private u (v: uint64) = Json.str (string v)
let private n (v: int64) = Json.num v

/// Data longer than this is compared by its SHA-256 alone (data_sha256 / payload_sha256).
let inlineDataLimit = 256

let sha256Hex (b: byte[]) = hexOf (Security.Cryptography.SHA256.HashData b)

/// An account of an input state.
let accountJson (k: Pubkey) (a: Account) : JsonNode =
    Json.obj
        [ "pubkey", Json.str (string k)
          "version", n (int64 a.Meta.Version)
          "flags", n (int64 a.Meta.Flags)
          "data_size", n (int64 a.Meta.DataSize)
          "seq", u a.Meta.Seq
          "owner", Json.str (string a.Meta.Owner)
          "balance", u a.Meta.Balance
          "nonce", u a.Meta.Nonce
          "data", b64 a.Data ]

let blockJson (b: BlockContext) : JsonNode =
    Json.obj
        [ "slot", u b.Slot
          "block_time", u b.BlockTime
          "block_price", u b.BlockPrice
          "state_root", Json.str (hexOf b.StateRoot)
          "block_hash", Json.str (hexOf b.BlockHash)
          "block_producer", Json.str (hexOf b.BlockProducer)
          "weight_slot", u b.WeightSlot ]

let chainJson (c: Vm.Chain) : JsonNode =
    Json.obj
        [ "chain_id", n (int64 c.ChainId)
          "state_counter", u c.StateCounter
          "compressed_at", Json.arr [ for KeyValue(k, s) in c.CompressedAt -> Json.obj [ "pubkey", Json.str (string k); "slot", u s ] :> JsonNode ] ]

/// The extensions a raw input may list in "isa" (the extensions of the instructions it executes).
let isaNames = [ "I"; "M"; "C"; "Zba"; "Zbb"; "Zbc"; "Zbs"; "Zknh" ]

let isaName (e: Isa.Extension) =
    match e with
    | Isa.RV64I -> "I"
    | Isa.M -> "M"
    | Isa.C -> "C"
    | Isa.Zba -> "Zba"
    | Isa.Zbb -> "Zbb"
    | Isa.Zbc -> "Zbc"
    | Isa.Zbs -> "Zbs"
    | Isa.Zknh -> "Zknh"

/// A raw input: load `image` at `base` in a 16 MiB zero-filled region, registers as given (all 0
/// when absent), pc = base; run at most `max_steps` instructions.
type RawInput =
    { Base: uint64
      MaxSteps: int64
      Image: byte[]
      Regs: uint64[]
      /// The extensions of the instructions the run executes (so an engine of RV64IMC can refuse).
      Isa: string list }

let rawInputJson (r: RawInput) : JsonObject =
    Json.obj
        [ "kind", Json.str "raw"
          "base", Json.hex r.Base
          "max_steps", n r.MaxSteps
          "image", b64 r.Image
          if r.Regs |> Array.exists ((<>) 0UL) then "regs", Json.arr (r.Regs |> Array.map Json.hex)
          "isa", Json.arr (r.Isa |> List.map Json.str) ]

/// A transaction input, resolved: everything the engine needs.
type TxnInput =
    { Verifier: string
      Wire: byte[]
      State: Map<Pubkey, Account>
      Blocks: BlockContext list
      Chain: Vm.Chain }

let txnInputJson (t: TxnInput) : JsonObject =
    Json.obj
        [ "kind", Json.str "txn"
          "verifier", Json.str t.Verifier
          "wire", b64 t.Wire
          "state", Json.arr [ for KeyValue(k, a) in t.State -> accountJson k a ]
          "blocks", Json.arr [ for b in t.Blocks -> blockJson b ]
          "chain", chainJson t.Chain ]

// ---------------------------------------------------------------------------------------
// Parsing inputs.
// ---------------------------------------------------------------------------------------

let parseAccount (o: JsonObject) : Result<Pubkey * Account, string> =
    result {
        let! k = J.key o "pubkey"
        let! version = J.int64 o "version"
        let! flags = J.int64 o "flags"
        let! dataSize = J.int64 o "data_size"
        do! if version < 0L || version > 255L || flags < 0L || flags > 255L then J.fail "account %O: version and flags are bytes" k else Ok()
        do! if dataSize < 0L || dataSize > 0x100_0000L then J.fail "account %O: data_size %d is out of range" k dataSize else Ok()
        let! seq = J.u64 o "seq"
        let! owner = J.key o "owner"
        let! balance = J.u64 o "balance"
        let! nonce = J.u64 o "nonce"
        let! data = J.base64 o "data"

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

let parseBlock (o: JsonObject) : Result<BlockContext, string> =
    result {
        let! slot = J.u64 o "slot"
        let! time = J.u64 o "block_time"
        let! price = J.u64 o "block_price"
        let! root = J.bytes32 o "state_root"
        let! hash = J.bytes32 o "block_hash"
        let! producer = J.bytes32 o "block_producer"
        let! weight = J.u64 o "weight_slot"

        return
            { Slot = slot
              BlockTime = time
              BlockPrice = price
              StateRoot = root
              BlockHash = hash
              BlockProducer = producer
              WeightSlot = weight }
    }

let parseChain (c: JsonObject) : Result<Vm.Chain, string> =
    result {
        let! id = J.int64 c "chain_id"
        do! if id >= 1L && id <= 65535L then Ok() else J.fail "field 'chain_id' must be 1..65535"
        let! counter = J.u64 c "state_counter"
        let! slots = J.objects c "compressed_at"
        let! slots = slots |> List.map (fun s -> result { let! k = J.key s "pubkey" in let! at = J.u64 s "slot" in return k, at }) |> J.sequence
        return { ChainId = uint16 id; StateCounter = counter; CompressedAt = Map slots }
    }

let private regsOf (o: JsonObject) (name: string) : Result<uint64[], string> =
    J.arr o name
    |> Result.bind (fun a ->
        let values =
            [ for x in a ->
                  match x with
                  | :? JsonValue as v when v.GetValueKind() = JsonValueKind.String -> Hex.tryParse (v.GetValue<string>())
                  | _ -> None ]

        if values.Length = 32 && List.forall Option.isSome values then Ok(values |> List.map Option.get |> Array.ofList)
        else J.fail "field '%s' must be an array of 32 hex strings" name)

let parseRawInput (o: JsonObject) : Result<RawInput, string> =
    result {
        let! b = J.hex o "base"
        let! steps = J.int64 o "max_steps"
        do! if steps < 0L then J.fail "field 'max_steps' must be zero or more" else Ok()
        let! image = J.base64 o "image"
        let! regs = if J.has o "regs" then regsOf o "regs" else Ok(Array.zeroCreate 32)
        let! isa = if J.has o "isa" then J.strings o "isa" else Ok []
        let unknown = isa |> List.filter (fun x -> not (List.contains x isaNames))
        do! if unknown.IsEmpty then Ok() else J.fail "field 'isa': unknown extension '%s'" unknown.Head

        match Raw.load image b with
        | Error e -> return! Error(Raw.describeLoadError e)
        | Ok _ -> return { Base = b; MaxSteps = steps; Image = image; Regs = Array.updateAt 0 0UL regs; Isa = isa }
    }

let parseTxnInput (o: JsonObject) : Result<TxnInput, string> =
    result {
        let! verifier = J.str o "verifier"
        do! if TxnFixture.verifier verifier |> Option.isSome then Ok() else J.fail "unknown verifier '%s'" verifier
        let! wire = J.base64 o "wire"
        let! accounts = J.objects o "state" |> Result.bind (List.map parseAccount >> J.sequence)
        let keys = accounts |> List.map fst
        do! if (List.distinct keys).Length = keys.Length then Ok() else Error "field 'state' lists a key twice"
        let! blocks = J.objects o "blocks" |> Result.bind (List.map parseBlock >> J.sequence)
        do! if blocks.IsEmpty then Error "field 'blocks' must hold at least the current block" else Ok()
        let! chain = J.obj o "chain" |> Result.bind parseChain

        return
            { Verifier = verifier
              Wire = wire
              State = Map accounts
              Blocks = blocks
              Chain = chain }
    }

/// The model's environment for a transaction input (default profile unless given).
let environment (profile: Decisions.Profile) (t: TxnInput) : Execution.Environment =
    { Profile = profile
      State = t.State
      Blocks = t.Blocks
      Verify = (TxnFixture.verifier t.Verifier).Value
      VerifyProof = StateProof.merkleVerifier
      Chain = t.Chain }

// ---------------------------------------------------------------------------------------
// Observations.
// ---------------------------------------------------------------------------------------

/// The raw observation: {"stop", "fault", "pc", "instructions", "regs"}.
let rawObservationJson (o: RawObservation.RawObservation) : JsonObject =
    Json.obj
        [ "stop", Json.str o.Stop
          "fault", Json.opt Json.str o.Fault
          "pc", Json.hex o.Pc
          "instructions", n o.Instructions
          "regs", Json.arr (o.Regs |> Array.map Json.hex) ]

/// A fault of a transaction as a structured object.
let modelFaultJson (r: Execution.TxnResult) : JsonNode =
    match r.Fault with
    | None -> null
    | Some f ->
        match f.Trap, f.UnknownSyscall with
        | Some(IllegalInstruction(bits, _)), _ -> Json.obj [ "kind", Json.str "illegal-instruction"; "bits", Json.str (sprintf "0x%08x" bits) ]
        | Some Breakpoint, _ -> Json.obj [ "kind", Json.str "breakpoint" ]
        | Some(MemoryFault a), _ ->
            Json.obj
                [ "kind", Json.str (RawObservation.violationName a.Violation)
                  "access", Json.str ((sprintf "%A" a.Kind).ToLowerInvariant())
                  "size", n (int64 a.Size)
                  "address", Json.hex a.Address ]
        | None, Some num -> Json.obj [ "kind", Json.str "unknown-syscall"; "number", u num ]
        | None, None -> Json.obj [ "kind", Json.str "fault" ]

/// The engine's fault as the same object.
let engineFaultJson (f: Thru.Engine.EngineFault) : JsonNode =
    if isNull (box f) then null
    else
        match f.Kind with
        | Thru.Engine.EngineFaultKind.IllegalInstruction -> Json.obj [ "kind", Json.str "illegal-instruction"; "bits", Json.str (sprintf "0x%08x" f.IllegalBits) ]
        | Thru.Engine.EngineFaultKind.Breakpoint -> Json.obj [ "kind", Json.str "breakpoint" ]
        | Thru.Engine.EngineFaultKind.UnknownSyscall -> Json.obj [ "kind", Json.str "unknown-syscall"; "number", u (uint64 f.SyscallNumber) ]
        | _ ->
            Json.obj
                [ "kind", Json.str (Thru.Engine.FaultNames.Name f.Violation)
                  "access", Json.str ((string f.Access).ToLowerInvariant())
                  "size", n (int64 f.Size)
                  "address", Json.hex f.Address ]

/// An account of the post-state, as the observation lists it (data inline when short; its
/// SHA-256 always).
let postAccountJson (a: TxnObservation.AccountObs) : JsonNode =
    Json.obj
        [ "pubkey", Json.str a.Key
          "exists", Json.bool true
          "version", n (int64 a.Version)
          "flags", n (int64 a.Flags)
          "data_size", n (int64 a.DataSize)
          "seq", u a.Seq
          "owner", Json.str a.Owner
          "balance", u a.Balance
          "nonce", u a.Nonce
          if a.Data.Length <= inlineDataLimit then "data", b64 a.Data
          "data_sha256", Json.str (sha256Hex a.Data) ]

/// The accounts whose state differs between `before` (the input's state) and `after` (the
/// observation's post-state): changed or created ones in full, removed ones as {"pubkey", "exists": false}.
let changedAccounts (before: Map<Pubkey, Account>) (after: TxnObservation.AccountObs list) : JsonNode list =
    let beforeObs = before |> Map.toList |> List.map (fun (k, a) -> string k, TxnObservation.accountObs k a) |> Map
    let afterObs = after |> List.map (fun a -> a.Key, a) |> Map

    [ for k in Set.union (Set.ofSeq beforeObs.Keys) (Set.ofSeq afterObs.Keys) |> Set.toList |> List.sort do
          match beforeObs.TryFind k, afterObs.TryFind k with
          | Some b, Some a when b = a -> ()
          | _, Some a -> postAccountJson a
          | Some _, None -> Json.obj [ "pubkey", Json.str k; "exists", Json.bool false ]
          | None, None -> () ]

/// The transaction observation (the fields of the protocol's TransactionExecutionResult, the
/// debug fields, and the accounts that changed).
let txnObservationJson (before: Map<Pubkey, Account>) (o: TxnObservation.TxnObservation) (fault: JsonNode) : JsonObject =
    Json.obj
        [ "vm_error", n (int64 o.VmError)
          "user_error_code", u o.UserErrorCode
          "execution_code", n o.ExecutionCode
          "fault_code", n (int64 o.FaultCode)
          "consumed_compute_units", n (int64 o.ConsumedComputeUnits)
          "instruction_counter", n o.Instructions
          "consumed_state_units", n (int64 o.ConsumedStateUnits)
          "consumed_memory_units", n (int64 o.ConsumedMemoryUnits)
          "pages_used", n (int64 o.PagesUsed)
          "events",
          Json.arr
              [ for e in o.Events ->
                    Json.obj
                        [ "event_id", n (int64 e.Id)
                          "call_idx", n (int64 e.CallIdx)
                          "program_idx", n (int64 e.ProgramIdx)
                          "program", Json.str e.Program
                          if e.Payload.Length <= inlineDataLimit then "payload", b64 e.Payload
                          "payload_sha256", Json.str (sha256Hex e.Payload) ]
                    :> JsonNode ]
          "events_size", n (int64 o.EventsSize)
          "logs", Json.arr [ for p, d in o.Logs -> Json.obj [ "program_idx", n (int64 p); "data", b64 d ] :> JsonNode ]
          "error_program_acc_idx", Json.opt (int64 >> n) o.ErrorProgramAccIdx
          "fault", fault
          "pc", Json.hex o.Pc
          "registers", Json.arr (o.Registers |> Array.map Json.hex)
          "call_depth", n (int64 o.CallDepth)
          "max_call_depth", n (int64 o.MaxCallDepth)
          "state_counter", u o.StateCounter
          "compressed_at", Json.arr [ for k, s in o.CompressedAt -> Json.obj [ "pubkey", Json.str k; "slot", u s ] :> JsonNode ]
          "accounts", Json.arr (changedAccounts before o.State) ]

/// Bring an observation an adapter sent to the form fixtures store: account data and event
/// payloads longer than `inlineDataLimit` bytes are replaced by their SHA-256 (which is added when
/// missing). Raw observations are unchanged.
let canonical (kind: string) (o: JsonObject) : JsonObject =
    let o = (J.clone o) :?> JsonObject

    let shrink (item: JsonObject) (dataField: string) (hashField: string) =
        match item[dataField] with
        | :? JsonValue as v when v.GetValueKind() = JsonValueKind.String ->
            match (try Some(Convert.FromBase64String(v.GetValue<string>())) with :? FormatException -> None) with
            | Some bytes ->
                if isNull item[hashField] then item[hashField] <- Json.str (sha256Hex bytes)
                if bytes.Length > inlineDataLimit then item.Remove dataField |> ignore
            | None -> ()
        | _ -> ()

    if kind = "txn" then
        for field, data, hash in [ "accounts", "data", "data_sha256"; "events", "payload", "payload_sha256" ] do
            match o[field] with
            | :? JsonArray as a ->
                for x in a do
                    match x with
                    | :? JsonObject as item -> shrink item data hash
                    | _ -> ()
            | _ -> ()

    o

// ---------------------------------------------------------------------------------------
// Fixtures and worlds.
// ---------------------------------------------------------------------------------------

/// A fixture as stored: its input may name a world.
type Fixture =
    { Id: string
      Kind: string
      Category: string
      Description: string
      Decisions: string list
      Input: JsonObject
      Expected: JsonObject }

let fixtureJson (f: Fixture) : JsonObject =
    Json.obj
        [ "format", Json.str formatName
          "version", n version
          "id", Json.str f.Id
          "kind", Json.str f.Kind
          "category", Json.str f.Category
          "description", Json.str f.Description
          "decisions", Json.arr (f.Decisions |> List.map Json.str)
          "input", J.clone f.Input
          "expected", J.clone f.Expected ]

/// A world: the accounts, blocks and chain transactions run in, named by a hash of its content.
type World =
    { Id: string
      State: JsonArray
      Blocks: JsonArray
      Chain: JsonObject }

let worldJson (w: World) : JsonObject =
    Json.obj
        [ "format", Json.str worldFormatName
          "version", n version
          "id", Json.str w.Id
          "state", J.clone w.State
          "blocks", J.clone w.Blocks
          "chain", J.clone w.Chain ]

/// A world for a resolved transaction input's state, blocks and chain; its id is "w-" and the
/// first 16 hex digits of the SHA-256 of its content.
let worldOf (t: TxnInput) : World =
    let state = Json.arr [ for KeyValue(k, a) in t.State -> accountJson k a ] :?> JsonArray
    let blocks = Json.arr [ for b in t.Blocks -> blockJson b ] :?> JsonArray
    let chain = chainJson t.Chain :?> JsonObject
    let content = J.compact state + J.compact blocks + J.compact chain
    let id = "w-" + (sha256Hex (Text.Encoding.UTF8.GetBytes content)).Substring(0, 16)
    { Id = id; State = state; Blocks = blocks; Chain = chain }

/// A transaction input that names `world` and lists only what differs from it: the accounts it
/// adds or replaces (an account of the world the input lacks is listed with "exists": false), and
/// its blocks and chain when they are not the world's.
let txnInputOnWorld (world: World) (t: TxnInput) : JsonObject =
    let worldAccounts =
        [ for x in world.State -> let o = x :?> JsonObject in (o["pubkey"].GetValue<string>()), J.compact o ] |> Map

    let own = [ for KeyValue(k, a) in t.State -> string k, accountJson k a ]

    let overrides =
        [ for k, a in own do
              match worldAccounts.TryFind k with
              | Some text when text = J.compact a -> ()
              | _ -> a
          for KeyValue(k, _) in worldAccounts do
              if not (t.State.ContainsKey(Pubkey(Convert.FromHexString k))) then Json.obj [ "pubkey", Json.str k; "exists", Json.bool false ] :> JsonNode ]

    let blocks = Json.arr [ for b in t.Blocks -> blockJson b ]
    let chain = chainJson t.Chain

    Json.obj
        [ "kind", Json.str "txn"
          "verifier", Json.str t.Verifier
          "wire", b64 t.Wire
          "world", Json.str world.Id
          "state", Json.arr overrides
          if J.compact blocks <> J.compact world.Blocks then "blocks", blocks
          if J.compact chain <> J.compact world.Chain then "chain", chain ]

let parseWorld (o: JsonObject) : Result<World, string> =
    result {
        let! format = J.str o "format"
        do! if format = worldFormatName then Ok() else J.fail "format is '%s', expected '%s'" format worldFormatName
        let! v = J.int64 o "version"
        do! if v = version then Ok() else J.fail "world version %d is not supported (expected %d)" v version
        let! id = J.str o "id"
        let! state = J.arr o "state"
        let! blocks = J.arr o "blocks"
        let! chain = J.obj o "chain"
        return { Id = id; State = state; Blocks = blocks; Chain = chain }
    }

/// The complete input an engine receives: a transaction input's world merged in (its accounts,
/// replaced or removed by the input's own, and its blocks and chain unless the input gives them).
let resolve (worlds: Map<string, World>) (input: JsonObject) : Result<JsonObject, string> =
    match input["world"] with
    | null -> Ok input
    | ref ->
        let id = try ref.GetValue<string>() with _ -> ""

        match worlds.TryFind id with
        | None -> J.fail "input names world '%s', which no world file of the corpus defines" id
        | Some w ->
            let own = match input["state"] with :? JsonArray as a -> [ for x in a -> x :?> JsonObject ] | _ -> []
            let key (o: JsonObject) = o["pubkey"].GetValue<string>()
            let ownByKey = own |> List.map (fun o -> key o, o) |> Map

            let merged =
                [ for x in w.State do
                      let o = x :?> JsonObject
                      match ownByKey.TryFind(key o) with
                      | Some _ -> ()
                      | None -> J.clone o
                  for o in own do
                      if isNull o["exists"] then J.clone o ]
                |> List.sortBy (fun x -> key (x :?> JsonObject))

            let out = Json.obj []

            for KeyValue(k, v) in input do
                if k <> "world" && k <> "state" then out[k] <- J.clone v

            out["state"] <- Json.arr merged
            if isNull out["blocks"] then out["blocks"] <- J.clone w.Blocks
            if isNull out["chain"] then out["chain"] <- J.clone w.Chain
            Ok out

/// Parse a fixture line (version 2).
let parseFixture (o: JsonObject) : Result<Fixture, string> =
    result {
        let! format = J.str o "format"
        do! if format = formatName then Ok() else J.fail "format is '%s', expected '%s'" format formatName
        let! v = J.int64 o "version"
        do! if v = version then Ok() else J.fail "version %d is not supported here (expected %d; version 1 files are converted by Conformance.upgrade)" v version
        let! id = J.str o "id"
        let! kind = J.str o "kind"
        do! if kind = "raw" || kind = "txn" then Ok() else J.fail "kind '%s' is neither 'raw' nor 'txn'" kind
        let! category = J.str o "category"
        let! description = J.str o "description"
        let! decisions = J.strings o "decisions"
        let! input = J.obj o "input"
        let! inputKind = J.str input "kind"
        do! if inputKind = kind then Ok() else J.fail "input kind '%s' is not the fixture's kind '%s'" inputKind kind
        let! expected = J.obj o "expected"
        return { Id = id; Kind = kind; Category = category; Description = description; Decisions = decisions; Input = input; Expected = expected }
    }

// ---------------------------------------------------------------------------------------
// Field-level differences.
// ---------------------------------------------------------------------------------------

/// One difference: where (a path such as "regs[5]" or "accounts[<key>].balance"), the expected
/// value and the observed one, as JSON text ("(missing)" when absent).
type Difference =
    { Path: string
      Expected: string
      Actual: string }

let private text (n: JsonNode) = if isNull n then "null" else J.compact n

/// A readable label for a path element of a register array.
let private regLabel (field: string) (i: int) =
    if (field = "regs" || field = "registers") && i >= 0 && i < 32 then sprintf "%s[%d] (x%d %s)" field i i (Isa.Reg.name i)
    else sprintf "%s[%d]" field i

/// Every field where `actual` differs from `expected`. Only the fields of `expected` are compared
/// (an adapter may add its own); arrays of objects with a "pubkey" are compared by key.
let rec differences (path: string) (expected: JsonNode) (actual: JsonNode) : Difference list =
    let here p = { Path = (if path = "" then p else path); Expected = text expected; Actual = text actual }

    match expected, actual with
    | null, null -> []
    | null, _ -> [ here "" ]
    | _, null -> [ { here "" with Actual = "(missing)" } ]
    | (:? JsonObject as e), (:? JsonObject as a) ->
        [ for KeyValue(k, v) in e do
              let p = if path = "" then k else path + "." + k
              match a[k] with
              | null when not (a.ContainsKey k) -> { Path = p; Expected = text v; Actual = "(missing)" }
              | x -> yield! differences p v x ]
    | (:? JsonArray as e), (:? JsonArray as a) ->
        let keyOf (n: JsonNode) =
            match n with
            | :? JsonObject as o when not (isNull o["pubkey"]) -> Some(text o["pubkey"])
            | _ -> None

        let keyed = e.Count > 0 && Seq.forall (keyOf >> Option.isSome) e && Seq.forall (keyOf >> Option.isSome) a

        if keyed then
            let ae = a |> Seq.map (fun x -> (keyOf x).Value, x) |> Map
            let ee = e |> Seq.map (fun x -> (keyOf x).Value, x) |> Map

            [ for KeyValue(k, v) in ee do
                  let p = sprintf "%s[%s]" path (k.Trim '"')
                  match ae.TryFind k with
                  | Some x -> yield! differences p v x
                  | None -> { Path = p; Expected = text v; Actual = "(missing)" }
              for KeyValue(k, x) in ae do
                  if not (ee.ContainsKey k) then { Path = sprintf "%s[%s]" path (k.Trim '"'); Expected = "(missing)"; Actual = text x } ]
        else
            let field = path.Split('.') |> Array.last

            [ for i in 0 .. max e.Count a.Count - 1 do
                  let p = if path = "" then sprintf "[%d]" i else (path.Substring(0, path.Length - field.Length) + regLabel field i)
                  if i >= e.Count then { Path = p; Expected = "(missing)"; Actual = text a[i] }
                  elif i >= a.Count then { Path = p; Expected = text e[i]; Actual = "(missing)" }
                  else yield! differences p e[i] a[i] ]
    | e, a when JsonNode.DeepEquals(e, a) -> []
    | _ -> [ here "" ]

/// Every difference between an expected observation and an observed one (after canonical).
let compareObservation (kind: string) (expected: JsonObject) (actual: JsonObject) : Difference list =
    differences "" expected (canonical kind actual)

let describeDifference (d: Difference) = sprintf "%s: expected %s, got %s" d.Path d.Expected d.Actual
