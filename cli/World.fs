/// The world a `thrumodel run` transaction runs in, read from an accounts file (JSON):
///
///   { "slot": 1000, "chainId": 1, "fee": 1,
///     "stateCounter": 934359738368, "compressedAt": [ { "pubkey": "<hex>", "slot": 900 } ],
///     "feePayer": { "seed": "<32-byte hex>", "balance": 1000000000, "nonce": 0, "seq": 0 },
///     "program":  { "seed": "<hex>" } | { "pubkey": "<hex>" },      (default: SHA-256 of the image)
///     "accounts": [ { "name": "counter",
///                     "pubkey": "<hex>" | "seed": "<hex>" | "derive": { "seed": "<hex>", "ephemeral": false },
///                     "owner": "program" | "eoa" | "<hex>" | "<name>",
///                     "balance": 0, "nonce": 0, "seq": 0, "flags": 0,
///                     "data": "<hex>" | "dataFile": "<path>",
///                     "program": false, "writable": true, "exists": true } ] }
///
/// Every field is optional. The state root of every block commits to the accounts that exist,
/// ephemeral ones excepted (decisions D-STATE-TRIE, D-EPHEMERAL), so `thrumodel proof` can print proofs
/// that verify against it. "stateCounter" is the chain's global activated state counter (default:
/// past the 32 GiB compression baseline) and "compressedAt" the slot at which each compressed
/// account was compressed (decision D-COMPRESS).
///
/// The program runs from an image file (`load`: its account is made from the image, at the key
/// "program" gives or SHA-256 of the image, and no listed account may have that key) or from an
/// account of the file (`loadWithProgramKey`: the listed account at that key is the program
/// account as the file describes it, and when the file has no such account the transaction names
/// a program that does not exist).
module Thru.Cli.World

open System.IO
open System.Text.Json.Nodes
open Thru.Model
open Thru.Model.Memory.Layout
open Thru.Model.Runtime
open Thru.Cli.Common

/// One account of the world, as the file describes it.
type WorldAccount =
    { Name: string
      Key: Pubkey
      Account: Account option
      Writable: bool }

type World =
    { Slot: uint64
      ChainId: uint16
      /// The chain's global activated state counter (decision D-COMPRESS).
      StateCounter: uint64
      /// The slot at which each compressed account was compressed (decision D-COMPRESS).
      CompressedAt: Map<Pubkey, uint64>
      Fee: uint64
      FeePayerSeed: byte[]
      FeePayer: Pubkey
      FeePayerAccount: Account
      ProgramKey: Pubkey option
      /// True when the program account is made from the image file (`load`); false when it is
      /// the listed account at ProgramKey (`loadWithProgramKey`).
      ProgramFromImage: bool
      Accounts: WorldAccount list }

/// The default fee payer's seed: SHA-256("thru fee payer").
let defaultFeePayerSeed = Crypto.sha256 (System.Text.Encoding.ASCII.GetBytes "thru fee payer")

let private fieldError (where: string) (what: string) = fail "%s: %s" where what

let private str (o: JsonObject) (name: string) (where: string) : string option =
    match o[name] with
    | null -> None
    | :? JsonValue as v when v.GetValueKind() = System.Text.Json.JsonValueKind.String -> Some(v.GetValue<string>())
    | _ -> fieldError where (sprintf "'%s' must be a string" name)

let private u64 (o: JsonObject) (name: string) (where: string) : uint64 option =
    match o[name] with
    | null -> None
    | :? JsonValue as v when v.GetValueKind() = System.Text.Json.JsonValueKind.Number ->
        match v.TryGetValue<uint64>() with
        | true, x -> Some x
        | _ -> fieldError where (sprintf "'%s' must be a non-negative integer" name)
    | _ -> fieldError where (sprintf "'%s' must be a number" name)

let private flag (o: JsonObject) (name: string) (where: string) : bool option =
    match o[name] with
    | null -> None
    | :? JsonValue as v when v.GetValueKind() = System.Text.Json.JsonValueKind.True -> Some true
    | :? JsonValue as v when v.GetValueKind() = System.Text.Json.JsonValueKind.False -> Some false
    | _ -> fieldError where (sprintf "'%s' must be true or false" name)

let private bytes32 (hex: string) (where: string) : byte[] =
    match Pubkey.tryParse hex with
    | Some k -> k.Bytes
    | None -> fieldError where (sprintf "'%s' is not 32 bytes of hex (64 digits)" hex)

let private hexBytes (hex: string) (where: string) : byte[] =
    try
        System.Convert.FromHexString(hex.Replace(" ", ""))
    with :? System.FormatException ->
        fieldError where (sprintf "'%s…' is not hexadecimal" (hex.Substring(0, min 16 hex.Length)))

/// The public key of an Ed25519 seed.
let keyOfSeed (seed: byte[]) = Pubkey(Thru.Interop.Sodium.PublicKeyFromSeed seed)

/// Where the program of the world comes from.
type private ProgramSource =
    | FromImage of byte[]
    | FromKey of Pubkey

let private loadWorld (path: string option) (source: ProgramSource) : World =
    let root, dir =
        match path with
        | None -> JsonObject(), "."
        | Some p ->
            let text = System.Text.Encoding.UTF8.GetString(readFile p)

            let node =
                try
                    JsonNode.Parse text
                with :? System.Text.Json.JsonException as e ->
                    fail "%s: not valid JSON: %s" p e.Message

            match node with
            | :? JsonObject as o -> o, Path.GetDirectoryName(Path.GetFullPath p)
            | _ -> fail "%s: the accounts file must hold a JSON object" p

    let where = defaultArg path "accounts"
    let obj (o: JsonObject) (name: string) (w: string) : JsonObject option = match o[name] with null -> None | :? JsonObject as x -> Some x | _ -> fieldError w (sprintf "'%s' must be an object" name)

    let payer = obj root "feePayer" where |> Option.defaultValue (JsonObject())
    let payerSeed = str payer "seed" (where + ": feePayer") |> Option.map (fun s -> bytes32 s (where + ": feePayer.seed")) |> Option.defaultValue defaultFeePayerSeed
    let payerKey = keyOfSeed payerSeed
    let payerAccount =
        { Meta =
            { AccountMeta.create Pubkey.zero with
                Balance = u64 payer "balance" where |> Option.defaultValue 1_000_000_000UL
                Nonce = u64 payer "nonce" where |> Option.defaultValue 0UL
                Seq = u64 payer "seq" where |> Option.defaultValue 0UL }
          Data = [||] }

    let programKey =
        match source, obj root "program" where with
        | FromKey k, None -> k
        | FromKey k, Some p ->
            match str p "pubkey" (where + ": program"), str p "seed" (where + ": program") with
            | Some h, _ when Pubkey(bytes32 h (where + ": program.pubkey")) = k -> k
            | None, Some s when keyOfSeed (bytes32 s (where + ": program.seed")) = k -> k
            | _ -> fieldError where "'program' names another key than the program given on the command line"
        | FromImage image, None -> Pubkey(Crypto.sha256 image)
        | FromImage image, Some p ->
            match str p "pubkey" (where + ": program"), str p "seed" (where + ": program") with
            | Some k, _ -> Pubkey(bytes32 k (where + ": program.pubkey"))
            | None, Some s -> keyOfSeed (bytes32 s (where + ": program.seed"))
            | None, None -> Pubkey(Crypto.sha256 image)

    let entries =
        match root["accounts"] with
        | null -> []
        | :? JsonArray as a ->
            [ for i, n in Seq.indexed a ->
                  match n with
                  | :? JsonObject as o -> i, o
                  | _ -> fieldError where (sprintf "accounts[%d] must be an object" i) ]
        | _ -> fieldError where "'accounts' must be an array"

    let keyOf (i: int) (o: JsonObject) =
        let w = sprintf "%s: accounts[%d]" where i

        match str o "pubkey" w, str o "seed" w, obj o "derive" w with
        | Some k, _, _ -> Pubkey(bytes32 k (w + ".pubkey"))
        | None, Some s, _ -> keyOfSeed (bytes32 s (w + ".seed"))
        | None, None, Some d ->
            let seed = str d "seed" (w + ".derive") |> Option.map (fun s -> bytes32 s (w + ".derive.seed")) |> Option.defaultValue (Array.zeroCreate 32)
            Crypto.derivedAddress programKey (flag d "ephemeral" (w + ".derive") |> Option.defaultValue false) seed
        | None, None, None -> fieldError w "needs 'pubkey', 'seed' or 'derive'"

    let named = entries |> List.map (fun (i, o) -> (str o "name" (sprintf "%s: accounts[%d]" where i) |> Option.defaultValue (sprintf "account%d" i)), keyOf i o) |> Map

    let accounts =
        [ for i, o in entries ->
              let w = sprintf "%s: accounts[%d]" where i
              let name = str o "name" w |> Option.defaultValue (sprintf "account%d" i)

              let owner =
                  match str o "owner" w with
                  | None
                  | Some "program" -> programKey
                  | Some "eoa" -> Pubkey.zero
                  | Some s when named.ContainsKey s -> named[s]
                  | Some s -> Pubkey(bytes32 s (w + ".owner"))

              let data =
                  match str o "data" w, str o "dataFile" w with
                  | Some h, _ -> hexBytes h (w + ".data")
                  | None, Some f -> readFile (Path.Combine(dir, f))
                  | None, None -> [||]

              let isProgram = flag o "program" w |> Option.defaultValue false
              let flags = (u64 o "flags" w |> Option.defaultValue 0UL |> byte) ||| (if isProgram then AccountFlags.program else 0uy)

              let meta =
                  { AccountMeta.create owner with
                      Flags = flags
                      DataSize = uint32 data.Length
                      Balance = u64 o "balance" w |> Option.defaultValue 0UL
                      Nonce = u64 o "nonce" w |> Option.defaultValue 0UL
                      Seq = u64 o "seq" w |> Option.defaultValue 0UL }

              { Name = name
                Key = keyOf i o
                Account = if flag o "exists" w |> Option.defaultValue true then Some { Meta = meta; Data = data } else None
                Writable = flag o "writable" w |> Option.defaultValue (not isProgram) } ]

    let fromImage =
        match source with
        | FromImage _ -> true
        | FromKey _ -> false

    match accounts |> List.tryFind (fun a -> a.Key = programKey) with
    | Some a when fromImage -> fieldError where (sprintf "account '%s' has the program's key: run the program by its key instead of from an image file" a.Name)
    | _ -> ()

    match accounts |> List.tryFind (fun a -> a.Key = payerKey) with
    | Some a -> fieldError where (sprintf "account '%s' has the fee payer's key: describe the fee payer under 'feePayer'" a.Name)
    | None -> ()

    match accounts |> List.countBy (fun a -> a.Name) |> List.tryFind (fun (_, n) -> n > 1) with
    | Some(name, _) -> fieldError where (sprintf "two accounts are named '%s'" name)
    | None -> ()

    match accounts |> List.countBy (fun a -> a.Key) |> List.tryFind (fun (_, n) -> n > 1) with
    | Some(k, _) -> fieldError where (sprintf "key %s is listed twice" (string k))
    | None -> ()

    { Slot = u64 root "slot" where |> Option.defaultValue 1000UL
      ChainId =
        match u64 root "chainId" where |> Option.defaultValue 1UL with
        | id when id >= 1UL && id <= 65535UL -> uint16 id
        | id -> fieldError where (sprintf "'chainId' must be 1..65535, not %d" id)
      StateCounter = u64 root "stateCounter" where |> Option.defaultValue (Vm.Chain.mature 1us).StateCounter
      CompressedAt =
        match root["compressedAt"] with
        | null -> Map.empty
        | :? JsonArray as items ->
            items
            |> Seq.mapi (fun i item ->
                let w = sprintf "%s: compressedAt[%d]" where i

                match item with
                | :? JsonObject as o ->
                    for p in o do
                        if p.Key <> "pubkey" && p.Key <> "slot" then fieldError w (sprintf "unknown field '%s' (expected pubkey and slot)" p.Key)

                    let k =
                        match str o "pubkey" w |> Option.bind Pubkey.tryParse with
                        | Some k -> k
                        | None -> fieldError w "'pubkey' must be 64 hex digits"

                    k, (u64 o "slot" w |> Option.defaultWith (fun () -> fieldError w "'slot' is missing"))
                | _ -> fieldError w "must be an object {pubkey, slot}")
            |> Map.ofSeq
        | _ -> fieldError where "'compressedAt' must be an array of {pubkey, slot}"
      Fee = u64 root "fee" where |> Option.defaultValue 1UL
      FeePayerSeed = payerSeed
      FeePayer = payerKey
      FeePayerAccount = payerAccount
      ProgramKey = Some programKey
      ProgramFromImage = fromImage
      Accounts = accounts }

/// Read the world from an accounts file (or the defaults when there is none); the program's
/// account is made from its image, which also decides the program's default key.
let load (path: string option) (programImage: byte[]) : World = loadWorld path (FromImage programImage)

/// Read the world from an accounts file whose account at `programKey` is the program: the
/// transaction names that key as its program, whatever the file holds there (an absent account
/// makes the transaction fail with INVALID_PROGRAM_ACCOUNT).
let loadWithProgramKey (path: string option) (programKey: Pubkey) : World = loadWorld path (FromKey programKey)

/// The accounts of the transaction's read-write and read-only lists: every listed account except
/// the program's own (listed when the program runs by key).
let listed (w: World) : WorldAccount list =
    w.Accounts |> List.filter (fun a -> Some a.Key <> w.ProgramKey)

/// The committed state: the fee payer, the program, and every account that exists. With a
/// program run from its image, the image file decides the program account.
let state (w: World) (programImage: byte[]) : Map<Pubkey, Account> =
    let program = { Account.create Pubkey.zero 0UL programImage with Meta = { AccountMeta.create Pubkey.zero with Flags = AccountFlags.program; DataSize = uint32 programImage.Length } }

    Map(
        [ w.FeePayer, w.FeePayerAccount ]
        @ (if w.ProgramFromImage then [ w.ProgramKey.Value, program ] else [])
        @ [ for a in w.Accounts do
                match a.Account with
                | Some acc -> yield a.Key, acc
                | None -> () ]
    )

/// The state trie's leaves (decision D-STATE-TRIE): every account of the state and its value hash,
/// except ephemeral accounts, which no proof shows (decision D-EPHEMERAL).
let trie (state: Map<Pubkey, Account>) =
    state
    |> Map.toList
    |> List.filter (fun (_, a) -> not (AccountMeta.hasFlag AccountFlags.ephemeral a.Meta))
    |> List.map (fun (k, a) -> k, StateProof.accountValueHash a)

/// The chain the world describes.
let chain (w: World) : Vm.Chain =
    { ChainId = w.ChainId
      StateCounter = w.StateCounter
      CompressedAt = w.CompressedAt }

/// 600 blocks ending at the world's slot, each committing to the state root.
let blocks (w: World) (root: byte[]) : BlockContext list =
    [ for k in 0UL .. (min 599UL w.Slot) ->
          { Slot = w.Slot - k
            BlockTime = (w.Slot - k) * 400_000_000UL
            BlockPrice = 1UL
            StateRoot = root
            BlockHash = Crypto.sha256 (Bits.toLE 8 (w.Slot - k))
            BlockProducer = Array.zeroCreate 32
            WeightSlot = 0UL } ]
