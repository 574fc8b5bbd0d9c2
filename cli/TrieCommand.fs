/// `thrumodel trie root|prove|verify`: the state trie (docs/spec/transactions.md §6) for auditors and
/// other implementations, over a file of (pubkey, value hash) entries, independent of any world.
module Thru.Cli.TrieCommand

open System.Text.Json
open Argu
open Thru.Model
open Thru.Model.Runtime
open Thru.Compare
open Thru.Cli.Args
open Thru.Cli.Common

let private hex (b: byte[]) = System.Convert.ToHexString(b).ToLowerInvariant()

/// A trie file holds at most this many bytes (about 400,000 entries).
let private maxTrieFile = 64 * 1024 * 1024

/// The longest proof: header, CREATION's key and hash, a sibling for each of the 256 bits.
let private maxProof = StateProof.headerSize + 32 * (2 + 256)

/// Read a JSON array of {"pubkey": "<64 hex>", "value_hash": "<64 hex>"} (no other members).
let private readEntries (path: string) : (Pubkey * byte[]) list =
    let bytes = readFileAtMost maxTrieFile "a trie file" path

    let doc =
        try
            JsonDocument.Parse(System.ReadOnlyMemory bytes)
        with :? JsonException as e ->
            fail "%s: not JSON (%s)" path (e.Message.Split('\n')[0])

    use doc = doc

    if doc.RootElement.ValueKind <> JsonValueKind.Array then
        fail "%s: expected a JSON array of {\"pubkey\", \"value_hash\"} objects" path

    let entry (i: int) (e: JsonElement) =
        if e.ValueKind <> JsonValueKind.Object then
            fail "%s: entry %d is not an object" path i

        for p in e.EnumerateObject() do
            if p.Name <> "pubkey" && p.Name <> "value_hash" then
                fail "%s: entry %d has an unknown member \"%s\" (expected pubkey and value_hash)" path i p.Name

        let field (name: string) =
            match e.TryGetProperty name with
            | true, v when v.ValueKind = JsonValueKind.String -> parseHexBytes (sprintf "%s: entry %d: %s" path i name) 32 (v.GetString())
            | true, _ -> fail "%s: entry %d: %s must be a string of 64 hex digits" path i name
            | false, _ -> fail "%s: entry %d has no %s" path i name

        Pubkey(field "pubkey"), field "value_hash"

    let entries = doc.RootElement.EnumerateArray() |> Seq.mapi entry |> List.ofSeq

    match StateProof.build entries with
    | Error(StateProof.DuplicateKey k) -> fail "%s: the key %s appears more than once" path (string k)
    | Ok _ -> entries

let private trieOf (path: string) =
    match StateProof.build (readEntries path) with
    | Ok t -> t
    | Error _ -> fail "%s: duplicate keys" path // readEntries has refused them

let private root (args: ParseResults<TrieRootArgs>) =
    let r = StateProof.hash (trieOf (args.GetResult TrieRootArgs.File))

    if args.Contains TrieRootArgs.Json then printJson (Json.obj [ "root", Json.str (hex r) ])
    else printfn "%s" (hex r)

    0

let private prove (args: ParseResults<TrieProveArgs>) =
    let t = trieOf (args.GetResult TrieProveArgs.File)

    let key =
        match args.TryGetResult TrieProveArgs.Key with
        | Some k -> Pubkey(parseHexBytes "--key" 32 k)
        | None -> fail "give --key HEX (the 32-byte key to prove, 64 hex digits)"

    let slot = args.GetResult(TrieProveArgs.Slot, defaultValue = 0UL)

    if slot > 0x3FFF_FFFF_FFFF_FFFFUL then
        fail "--slot: %d does not fit the proof's 62-bit slot field" slot

    let p = StateProof.proveIn t key slot
    let kind = match p.Body with StateProof.Existing -> "existing" | StateProof.Updating _ -> "updating" | StateProof.Creation _ -> "creation"
    let wire = hex (StateProof.serialize p)

    if args.Contains TrieProveArgs.Json then printJson (Json.obj [ "type", Json.str kind; "proof", Json.str wire ])
    else printfn "%s" wire

    0

let private verify (args: ParseResults<TrieVerifyArgs>) =
    let need name (v: string option) = v |> Option.defaultWith (fun () -> fail "give %s" name)
    let root = parseHexBytes "--root" 32 (need "--root HEX" (args.TryGetResult TrieVerifyArgs.Root))
    let key = Pubkey(parseHexBytes "--key" 32 (need "--key HEX" (args.TryGetResult TrieVerifyArgs.Key)))
    let proofText = need "--proof HEX" (args.TryGetResult TrieVerifyArgs.Proof)
    let proofText = if proofText.StartsWith "0x" then proofText.Substring 2 else proofText

    if proofText.Length % 2 <> 0 || proofText.Length > 2 * maxProof || not (proofText |> Seq.forall System.Uri.IsHexDigit) then
        fail "--proof: not an even number of hex digits, at most %d bytes" maxProof

    let proof =
        match StateProof.parse (System.Convert.FromHexString proofText) with
        | Ok p -> p
        | Error e -> fail "--proof: %s" (StateProof.describeParseError e)

    let valueHash = args.TryGetResult TrieVerifyArgs.Value_Hash |> Option.map (parseHexBytes "--value-hash" 32)

    let claim =
        match proof.Body, valueHash with
        | StateProof.Existing, Some v -> StateProof.Holds v
        | StateProof.Existing, None -> fail "an EXISTING proof shows the key's value hash: give --value-hash HEX"
        | StateProof.Creation _, None -> StateProof.Absent
        | StateProof.Updating _, None -> StateProof.Replaceable
        | _, Some _ -> fail "--value-hash applies to EXISTING proofs only (this proof carries its own hash)"

    let outcome = StateProof.check key claim root proof

    if args.Contains TrieVerifyArgs.Json then
        printJson (Json.obj [ "valid", Json.bool outcome.IsOk; "reason", (match outcome with Ok() -> null | Error why -> Json.str why) ])
    else
        match outcome with
        | Ok() -> printfn "valid"
        | Error why -> printfn "invalid: %s" why

    if outcome.IsOk then 0 else 1

let run (args: ParseResults<TrieArgs>) : int =
    match args.GetSubCommand() with
    | TrieArgs.Root a -> root a
    | TrieArgs.Prove a -> prove a
    | TrieArgs.Verify a -> verify a
