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

/// The largest account data: TN_ACCOUNT_DATA_SZ_MAX, 16 MiB (docs/spec/memory.md §8.1).
let maxAccountData = 16 * 1024 * 1024

/// The largest accounts file read: room for a few accounts of the largest size in hex.
let maxAccountsFile = 128 * 1024 * 1024

/// The largest slot: a state proof's header holds the slot in 62 bits (docs/spec/transactions.md §6.1).
let maxSlot = 0x3FFF_FFFF_FFFF_FFFFUL

/// The public key of an Ed25519 seed.
let keyOfSeed (seed: byte[]) = Pubkey(Thru.Interop.Sodium.PublicKeyFromSeed seed)

// ---- The accounts file as typed records: every member known, every value in range ----

/// How an account's key is given.
type KeySpec =
    | KeyHex of Pubkey
    | KeySeed of byte[]
    | KeyDerived of seed: byte[] * ephemeral: bool

/// Where an account's data comes from.
type DataSpec =
    | DataHex of byte[]
    | DataFile of string

/// One entry of "accounts".
type AccountSpec =
    { Name: string option
      Key: KeySpec
      Owner: string option
      Balance: uint64 option
      Nonce: uint64 option
      Seq: uint64 option
      Flags: byte option
      Data: DataSpec option
      Program: bool option
      Writable: bool option
      Exists: bool option }

/// "feePayer".
type FeePayerSpec =
    { Seed: byte[] option
      Balance: uint64 option
      Nonce: uint64 option
      Seq: uint64 option }

/// "program": its key, by hex or by seed.
type ProgramSpec =
    | ProgramKeyHex of Pubkey
    | ProgramSeed of byte[]

/// The whole accounts file.
type WorldFile =
    { Slot: uint64 option
      ChainId: uint16 option
      Fee: uint64 option
      StateCounter: uint64 option
      CompressedAt: (Pubkey * uint64) list
      FeePayer: FeePayerSpec option
      Program: ProgramSpec option
      Accounts: AccountSpec list }

/// The empty accounts file: every default.
let emptyWorldFile =
    { Slot = None
      ChainId = None
      Fee = None
      StateCounter = None
      CompressedAt = []
      FeePayer = None
      Program = None
      Accounts = [] }

module private Reader =
    open System.Text.Json

    /// `where` and a member's name: "file: accounts[0]" + "flags" = "file: accounts[0].flags";
    /// at the root ("file:") a space instead of the dot.
    let field (where: string) (name: string) =
        if where.EndsWith ":" then where + " " + name else where + "." + name

    /// The members of an object, refusing duplicates and any name outside `allowed`.
    let members (where: string) (allowed: string list) (e: JsonElement) : Map<string, JsonElement> =
        let at = where.TrimEnd ':'
        if e.ValueKind <> JsonValueKind.Object then fail "%s: must be a JSON object" at

        let mutable seen = Map.empty

        for p in e.EnumerateObject() do
            if seen.ContainsKey p.Name then fail "%s: \"%s\" appears twice" at p.Name
            if not (List.contains p.Name allowed) then
                fail "%s: unknown member \"%s\" (expected %s)" at p.Name (String.concat ", " allowed)
            seen <- seen.Add(p.Name, p.Value)

        seen

    let private kindName (k: JsonValueKind) =
        match k with
        | JsonValueKind.Object -> "an object"
        | JsonValueKind.Array -> "an array"
        | JsonValueKind.String -> "a string"
        | JsonValueKind.Number -> "a number"
        | JsonValueKind.True
        | JsonValueKind.False -> "a boolean"
        | JsonValueKind.Null -> "null"
        | _ -> "undefined"

    let str (where: string) (m: Map<string, JsonElement>) (name: string) : string option =
        match m.TryFind name with
        | None -> None
        | Some v when v.ValueKind = JsonValueKind.String -> Some(v.GetString())
        | Some v -> fail "%s: must be a string, not %s" (field where name) (kindName v.ValueKind)

    /// An unsigned integer from `min` to `max`.
    let uintIn (where: string) (m: Map<string, JsonElement>) (name: string) (min: uint64) (max: uint64) : uint64 option =
        match m.TryFind name with
        | None -> None
        | Some v when v.ValueKind = JsonValueKind.Number ->
            match v.TryGetUInt64() with
            | true, x when x >= min && x <= max -> Some x
            | true, x -> fail "%s: %d is out of range (%d..%d)" (field where name) x min max
            | _ -> fail "%s: %s is not an integer in %d..%d" (field where name) (v.GetRawText()) min max
        | Some v -> fail "%s: must be a number, not %s" (field where name) (kindName v.ValueKind)

    /// An unsigned integer no larger than `max`.
    let uint (where: string) (m: Map<string, JsonElement>) (name: string) (max: uint64) : uint64 option = uintIn where m name 0UL max

    let bool (where: string) (m: Map<string, JsonElement>) (name: string) : bool option =
        match m.TryFind name with
        | None -> None
        | Some v when v.ValueKind = JsonValueKind.True -> Some true
        | Some v when v.ValueKind = JsonValueKind.False -> Some false
        | Some v -> fail "%s: must be true or false, not %s" (field where name) (kindName v.ValueKind)

    let private shortText (s: string) = if s.Length > 20 then s.Substring(0, 20) + "…" else s

    /// Exactly 32 bytes of hex.
    let bytes32 (where: string) (text: string) : byte[] =
        match Pubkey.tryParse text with
        | Some k -> k.Bytes
        | None -> fail "%s: \"%s\" is not 32 bytes of hex (64 digits)" where (shortText text)

    /// Hex bytes (spaces and underscores ignored), at most `limit` bytes.
    let hexBytes (where: string) (limit: int) (text: string) : byte[] =
        let t = text.Replace(" ", "").Replace("_", "")

        if t.Length % 2 <> 0 || not (t |> Seq.forall System.Uri.IsHexDigit) then
            fail "%s: \"%s\" is not an even number of hex digits" where (shortText text)

        if t.Length / 2 > limit then fail "%s: %d bytes, more than the %d an account can hold" where (t.Length / 2) limit
        System.Convert.FromHexString t

    let keySpec (where: string) (m: Map<string, JsonElement>) : KeySpec =
        let given = [ "pubkey"; "seed"; "derive" ] |> List.filter m.ContainsKey

        match given with
        | [ "pubkey" ] -> KeyHex(Pubkey(bytes32 (where + ".pubkey") (str where m "pubkey").Value))
        | [ "seed" ] -> KeySeed(bytes32 (where + ".seed") (str where m "seed").Value)
        | [ "derive" ] ->
            let w = where + ".derive"
            let d = members w [ "seed"; "ephemeral" ] m["derive"]
            let seed = str w d "seed" |> Option.map (bytes32 (w + ".seed")) |> Option.defaultValue (Array.zeroCreate 32)
            KeyDerived(seed, bool w d "ephemeral" |> Option.defaultValue false)
        | [] -> fail "%s: needs \"pubkey\", \"seed\" or \"derive\"" where
        | several -> fail "%s: give one of %s, not both" where (several |> List.map (sprintf "\"%s\"") |> String.concat " and ")

    let account (where: string) (e: JsonElement) : AccountSpec =
        let m =
            members where [ "name"; "pubkey"; "seed"; "derive"; "owner"; "balance"; "nonce"; "seq"; "flags"; "data"; "dataFile"; "program"; "writable"; "exists" ] e

        let data =
            match str where m "data", str where m "dataFile" with
            | Some h, None -> Some(DataHex(hexBytes (where + ".data") maxAccountData h))
            | None, Some f when f = "" -> fail "%s.dataFile: empty path" where
            | None, Some f -> Some(DataFile f)
            | None, None -> None
            | Some _, Some _ -> fail "%s: give \"data\" or \"dataFile\", not both" where

        let spec =
            { Name = str where m "name"
              Key = keySpec where m
              Owner = str where m "owner"
              Balance = uint where m "balance" System.UInt64.MaxValue
              Nonce = uint where m "nonce" System.UInt64.MaxValue
              Seq = uint where m "seq" System.UInt64.MaxValue
              Flags = uint where m "flags" 255UL |> Option.map byte
              Data = data
              Program = bool where m "program"
              Writable = bool where m "writable"
              Exists = bool where m "exists" }

        match spec.Name with
        | Some "" -> fail "%s.name: empty" where
        | _ -> ()

        if spec.Exists = Some false then
            match [ "owner"; "balance"; "nonce"; "seq"; "flags"; "data"; "dataFile"; "program" ] |> List.filter m.ContainsKey with
            | [] -> ()
            | given -> fail "%s: \"exists\": false describes no account, so \"%s\" has no meaning" where (List.head given)

        match spec.Program, spec.Flags with
        | Some false, Some f when f &&& AccountFlags.program <> 0uy -> fail "%s: \"program\": false contradicts the PROGRAM bit of \"flags\"" where
        | _ -> ()

        spec

    let worldFile (where: string) (element: JsonElement) : WorldFile =
        let root = where.TrimEnd ':'

        let m =
            members where [ "description"; "slot"; "chainId"; "fee"; "stateCounter"; "compressedAt"; "feePayer"; "program"; "accounts" ] element

        str where m "description" |> ignore

        let feePayer =
            m.TryFind "feePayer"
            |> Option.map (fun e ->
                let w = root + ": feePayer"
                let p = members w [ "seed"; "balance"; "nonce"; "seq" ] e

                { Seed = str w p "seed" |> Option.map (bytes32 (w + ".seed"))
                  Balance = uint w p "balance" System.UInt64.MaxValue
                  Nonce = uint w p "nonce" System.UInt64.MaxValue
                  Seq = uint w p "seq" System.UInt64.MaxValue })

        let program =
            m.TryFind "program"
            |> Option.map (fun e ->
                let w = root + ": program"
                let p = members w [ "pubkey"; "seed" ] e

                match str w p "pubkey", str w p "seed" with
                | Some k, None -> ProgramKeyHex(Pubkey(bytes32 (w + ".pubkey") k))
                | None, Some s -> ProgramSeed(bytes32 (w + ".seed") s)
                | None, None -> fail "%s: needs \"pubkey\" or \"seed\"" w
                | Some _, Some _ -> fail "%s: give \"pubkey\" or \"seed\", not both" w)

        let array (name: string) =
            match m.TryFind name with
            | None -> []
            | Some e when e.ValueKind = JsonValueKind.Array -> List.ofSeq (e.EnumerateArray())
            | Some e -> fail "%s: must be an array, not %s" (field where name) (kindName e.ValueKind)

        let compressedAt =
            array "compressedAt"
            |> List.mapi (fun i e ->
                let w = sprintf "%s: compressedAt[%d]" root i
                let c = members w [ "pubkey"; "slot" ] e

                let key =
                    match str w c "pubkey" with
                    | Some k -> Pubkey(bytes32 (w + ".pubkey") k)
                    | None -> fail "%s: needs \"pubkey\"" w

                key, (uint w c "slot" maxSlot |> Option.defaultWith (fun () -> fail "%s: needs \"slot\"" w)))

        match compressedAt |> List.countBy fst |> List.tryFind (fun (_, n) -> n > 1) with
        | Some(k, _) -> fail "%s: compressedAt lists %s twice" root (string k)
        | None -> ()

        { Slot = uint where m "slot" maxSlot
          ChainId =
            uintIn where m "chainId" 1UL 65535UL |> Option.map uint16
          Fee = uint where m "fee" System.UInt64.MaxValue
          StateCounter = uint where m "stateCounter" System.UInt64.MaxValue
          CompressedAt = compressedAt
          FeePayer = feePayer
          Program = program
          Accounts = array "accounts" |> List.mapi (fun i e -> account (sprintf "%s: accounts[%d]" root i) e) }

/// Parse the text of an accounts file (`where` names it in messages): every member must be
/// known (a misspelt one is an error, not a default), every number in its range, duplicate
/// members refused.
let parseWorldFile (where: string) (bytes: byte[]) : WorldFile =
    let options = System.Text.Json.JsonDocumentOptions(MaxDepth = 16)

    let doc =
        try
            System.Text.Json.JsonDocument.Parse(System.ReadOnlyMemory bytes, options)
        with :? System.Text.Json.JsonException as e ->
            fail "%s: not valid JSON (%s)" where (e.Message.Split('\n')[0])

    use doc = doc
    Reader.worldFile (where + ":") doc.RootElement

/// Where the program of the world comes from.
type private ProgramSource =
    | FromImage of byte[]
    | FromKey of Pubkey

let private loadWorld (path: string option) (source: ProgramSource) : World =
    let file, dir =
        match path with
        | None -> emptyWorldFile, "."
        | Some p -> parseWorldFile p (readFileAtMost maxAccountsFile "an accounts file" p), Path.GetDirectoryName(Path.GetFullPath p)

    let where = defaultArg path "accounts"
    let payer = defaultArg file.FeePayer { Seed = None; Balance = None; Nonce = None; Seq = None }
    let payerSeed = defaultArg payer.Seed defaultFeePayerSeed
    let payerKey = keyOfSeed payerSeed

    let payerAccount =
        { Meta =
            { AccountMeta.create Pubkey.zero with
                Balance = defaultArg payer.Balance 1_000_000_000UL
                Nonce = defaultArg payer.Nonce 0UL
                Seq = defaultArg payer.Seq 0UL }
          Data = [||] }

    let specKey =
        function
        | ProgramKeyHex k -> k
        | ProgramSeed s -> keyOfSeed s

    let programKey =
        match source, file.Program with
        | FromKey k, None -> k
        | FromKey k, Some p when specKey p = k -> k
        | FromKey _, Some _ -> fail "%s: \"program\" names another key than the program given on the command line" where
        | FromImage image, None -> Pubkey(Crypto.sha256 image)
        | FromImage _, Some p -> specKey p

    let keyOf (spec: AccountSpec) =
        match spec.Key with
        | KeyHex k -> k
        | KeySeed s -> keyOfSeed s
        | KeyDerived(seed, ephemeral) -> Crypto.derivedAddress programKey ephemeral seed

    let indexed = file.Accounts |> List.mapi (fun i a -> i, a, defaultArg a.Name (sprintf "account%d" i), keyOf a)
    let named = indexed |> List.map (fun (_, _, name, key) -> name, key) |> Map

    let accounts =
        [ for i, spec, name, key in indexed ->
              let w = sprintf "%s: accounts[%d]" where i

              let owner =
                  match spec.Owner with
                  | None
                  | Some "program" -> programKey
                  | Some "eoa" -> Pubkey.zero
                  | Some s when named.ContainsKey s -> named[s]
                  | Some s ->
                      match Pubkey.tryParse s with
                      | Some k -> k
                      | None -> fail "%s.owner: \"%s\" is not \"program\", \"eoa\", an account's name or 64 hex digits" w s

              let data =
                  match spec.Data with
                  | Some(DataHex b) -> b
                  | Some(DataFile f) -> readFileAtMost maxAccountData "account data" (Path.Combine(dir, f))
                  | None -> [||]

              let isProgram = spec.Program = Some true || (spec.Flags |> Option.exists (fun f -> f &&& AccountFlags.program <> 0uy))
              let flags = defaultArg spec.Flags 0uy ||| (if isProgram then AccountFlags.program else 0uy)

              let meta =
                  { AccountMeta.create owner with
                      Flags = flags
                      DataSize = uint32 data.Length
                      Balance = defaultArg spec.Balance 0UL
                      Nonce = defaultArg spec.Nonce 0UL
                      Seq = defaultArg spec.Seq 0UL }

              { Name = name
                Key = key
                Account = if defaultArg spec.Exists true then Some { Meta = meta; Data = data } else None
                Writable = defaultArg spec.Writable (not isProgram) } ]

    let fromImage =
        match source with
        | FromImage _ -> true
        | FromKey _ -> false

    match accounts |> List.tryFind (fun a -> a.Key = programKey) with
    | Some a when fromImage -> fail "%s: account '%s' has the program's key: run the program by its key instead of from an image file" where a.Name
    | _ -> ()

    match accounts |> List.tryFind (fun a -> a.Key = payerKey) with
    | Some a -> fail "%s: account '%s' has the fee payer's key: describe the fee payer under 'feePayer'" where a.Name
    | None -> ()

    match accounts |> List.countBy (fun a -> a.Name) |> List.tryFind (fun (_, n) -> n > 1) with
    | Some(name, _) -> fail "%s: two accounts are named '%s'" where name
    | None -> ()

    match accounts |> List.countBy (fun a -> a.Key) |> List.tryFind (fun (_, n) -> n > 1) with
    | Some(k, _) -> fail "%s: key %s is listed twice" where (string k)
    | None -> ()

    { Slot = defaultArg file.Slot 1000UL
      ChainId = defaultArg file.ChainId 1us
      StateCounter = file.StateCounter |> Option.defaultWith (fun () -> (Vm.Chain.mature 1us).StateCounter)
      CompressedAt = Map file.CompressedAt
      Fee = defaultArg file.Fee 1UL
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
