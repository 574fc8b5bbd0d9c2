/// `thrumodel txn build PROGRAM [--instr HEX | --instr-file FILE] [--accounts FILE] [--cu N] [--su N]
/// [--mu N] --out FILE [--json]`: the signed wire transaction that `thrumodel run` would execute
/// with the same options, written to a file.
///
/// `thrumodel txn decode FILE [--json]`: any wire transaction shown field by field (the header of
/// docs/spec/transactions.md §1.2, the accounts by index §2.1, the instruction data, the fee-payer
/// proof and metadata, the signature), whatever its validity, then the model's validation of it
/// (`Transaction.parse`, §3): the code and the reason. Exit 0 when it validates, 1 when it does not.
module Thru.Cli.TxnCommand

open System.Text.Json.Nodes
open Argu
open Thru.Model
open Thru.Model.Runtime
open Thru.Compare
open Thru.Cli.Args
open Thru.Cli.Common

let private hex (b: byte[]) = System.Convert.ToHexString(b).ToLowerInvariant()

let private u (v: uint64) : JsonNode = JsonValue.Create v

/// Write `bytes` to `path` for the option `option`, or a UserError.
let writeFile (option: string) (path: string) (bytes: byte[]) =
    if System.String.IsNullOrEmpty path then fail "%s: an empty file name" option

    try
        System.IO.File.WriteAllBytes(path, bytes)
    with
    | :? System.IO.DirectoryNotFoundException -> fail "%s: cannot write %s: no such directory" option path
    | :? System.UnauthorizedAccessException -> fail "%s: cannot write %s: permission denied (or it is a directory)" option path
    | :? System.IO.IOException as e -> fail "%s: cannot write %s: %s" option path e.Message

let private build (args: ParseResults<TxnBuildArgs>) : int =
    let options: RunCommand.TxnOptions =
        { Program = args.GetResult TxnBuildArgs.Program
          Instr = args.TryGetResult TxnBuildArgs.Instr
          InstrFile = args.TryGetResult TxnBuildArgs.Instr_File
          Accounts = args.TryGetResult TxnBuildArgs.Accounts
          Cu = args.TryGetResult TxnBuildArgs.Cu
          Su = args.TryGetResult TxnBuildArgs.Su
          Mu = args.TryGetResult TxnBuildArgs.Mu }

    let out = args.GetResult TxnBuildArgs.Out
    let p = RunCommand.prepareWith options None
    writeFile "--out" out p.Wire
    let accounts = RunCommand.accountsOfWire p.Wire |> Option.defaultValue []
    let hash = hex (Crypto.sha256 p.Wire)

    if args.Contains TxnBuildArgs.Json then
        printJson (
            Json.obj
                [ "out", Json.str out
                  "size", Json.num (int64 p.Wire.Length)
                  "sha256", Json.str hash
                  "accounts", accountTableJson p.Names accounts ]
        )
    else
        System.Console.Out.WriteLine("wrote:            " + out + " (" + string p.Wire.Length + " bytes, SHA-256 " + hash + ")")
        printAccountTable p.Names accounts

        let accountsOption = options.Accounts |> Option.map (fun a -> " --accounts " + a) |> Option.defaultValue ""
        System.Console.Out.WriteLine("run it:           thrumodel run " + options.Program + accountsOption + " --txn " + out)

    0

/// The names of the header's flag bits.
let private flagNames (flags: byte) =
    [ if flags &&& Transaction.flagHasFeePayerProof <> 0uy then "HAS_FEE_PAYER_PROOF"
      if flags &&& Transaction.flagMayCompressAccount <> 0uy then "MAY_COMPRESS_ACCOUNT"
      if flags &&& ~~~0x03uy <> 0uy then sprintf "undefined bits 0x%02x" (flags &&& ~~~0x03uy) ]

/// One decoded part of a wire transaction: its name, offset, bytes and a description.
type private Part =
    { Name: string
      Offset: int
      Bytes: byte[]
      Text: string }

/// The parts of `wire` as far as its bytes go: every field of the header, each account key, the
/// instruction data, the proof and metadata the flags announce, the trailing signature; the part
/// where the bytes run out is cut short and says so.
let private parts (wire: byte[]) : Part list * JsonObject =
    let fields = JsonObject()
    let result = System.Collections.Generic.List<Part>()
    let mutable offset = 0

    let take (name: string) (size: int) (describe: byte[] -> string) (json: byte[] -> JsonNode) =
        let available = max 0 (min size (wire.Length - offset))
        let bytes = wire[offset .. offset + available - 1]

        if available = size then
            result.Add { Name = name; Offset = offset; Bytes = bytes; Text = describe bytes }
            fields[name] <- json bytes
        else
            result.Add { Name = name; Offset = offset; Bytes = bytes; Text = sprintf "cut short: %d of %d bytes" available size }
            fields[name] <- null

        offset <- offset + available
        available = size

    let le (b: byte[]) = Bits.readLE b 0 b.Length
    let num (b: byte[]) = string (le b)

    let header =
        [ "version", 1, num
          "flags", 1, (fun b -> sprintf "0x%02x%s" b[0] (match flagNames b[0] with [] -> "" | n -> " (" + String.concat ", " n + ")"))
          "readwrite_accounts_cnt", 2, num
          "readonly_accounts_cnt", 2, num
          "instr_data_sz", 2, num
          "req_compute_units", 4, num
          "req_state_units", 2, num
          "req_memory_units", 2, num
          "fee", 8, num
          "nonce", 8, num
          "start_slot", 8, num
          "expiry_after", 4, num
          "chain_id", 2, num
          "padding", 2, num
          "fee_payer_pubkey", 32, hex
          "program_pubkey", 32, hex ]

    let complete =
        header
        |> List.forall (fun (name, size, describe) ->
            take name size describe (fun b -> if size = 32 then Json.str (hex b) else u (le b)))

    if complete then
        let h = Transaction.parseHeader wire
        let keys = h.ReadWriteCount + h.ReadOnlyCount
        let signatureStart = max offset (wire.Length - Transaction.signatureSize)

        let body (name: string) (size: int) =
            // Body parts stop at the signature: what is left before it is all they can have.
            let room = max 0 (signatureStart - offset)
            let available = min size room
            let bytes = wire[offset .. offset + available - 1]
            let whole = available = size

            result.Add
                { Name = name
                  Offset = offset
                  Bytes = bytes
                  Text = if whole then "" else sprintf "cut short: %d of %d bytes before the signature" available size }

            offset <- offset + available
            whole, bytes

        let keysJson = JsonArray()
        let mutable keysWhole = true

        for i in 0 .. keys - 1 do
            if keysWhole then
                let whole, bytes = body (sprintf "account[%d] (%s)" (i + 2) (if i < h.ReadWriteCount then "rw" else "ro")) 32
                keysWhole <- whole
                if whole then keysJson.Add(Json.str (hex bytes))

        fields["account_keys"] <- keysJson

        if keysWhole then
            let whole, data = body "instr_data" h.InstrDataSize
            fields["instr_data"] <- if whole then Json.str (hex data) else null

            if whole && h.Flags &&& Transaction.flagHasFeePayerProof <> 0uy then
                let proofHeaderWhole, proofHeader = body "state_proof header" StateProof.headerSize

                if proofHeaderWhole then
                    let kind = int (Bits.readLE proofHeader 0 8 >>> 62)
                    let slot = Bits.readLE proofHeader 0 8 &&& 0x3FFF_FFFF_FFFF_FFFFUL
                    fields["state_proof_type"] <- Json.num (int64 kind)
                    fields["state_proof_slot"] <- u slot

                    match StateProof.expectedLength proofHeader with
                    | Some n ->
                        let whole, rest = body "state_proof body" (n - StateProof.headerSize)
                        fields["state_proof"] <- if whole then Json.str (hex (Array.append proofHeader rest)) else null

                        if whole && kind = 0 then
                            let whole, meta = body "fee_payer_meta" 64
                            fields["fee_payer_meta"] <- if whole then Json.str (hex meta) else null
                    | None -> ()

        if signatureStart > offset then
            result.Add
                { Name = "trailing"
                  Offset = offset
                  Bytes = wire[offset .. signatureStart - 1]
                  Text = sprintf "%d bytes that no field accounts for" (signatureStart - offset) }

            offset <- signatureStart

        take "signature" Transaction.signatureSize (fun _ -> "") (fun b -> Json.str (hex b)) |> ignore

    List.ofSeq result, fields

let private decode (args: ParseResults<TxnDecodeArgs>) : int =
    let path = args.GetResult TxnDecodeArgs.File
    let wire = readFileAtMost RunCommand.maxTxnFile "a transaction file" path

    if not Thru.Interop.Sodium.IsAvailable then
        fail "libsodium (libsodium.so.23) is not installed (the signature check needs it): run make deps"

    let verify: Crypto.Verifier = fun key message signature -> Thru.Interop.Sodium.Verify(key.Bytes, message, signature)
    let validation = Transaction.parse verify wire
    let parts, fields = parts wire
    let accounts = RunCommand.accountsOfWire wire |> Option.defaultValue []
    let code, reason =
        match validation with
        | Ok _ -> 0, "valid: well formed, accounts in order, signature verifies"
        | Error r -> r.Code, r.Reason

    if args.Contains TxnDecodeArgs.Json then
        printJson (
            Json.obj
                [ "size", Json.num (int64 wire.Length)
                  "sha256", Json.str (hex (Crypto.sha256 wire))
                  "fields", fields
                  "accounts", accountTableJson Map.empty accounts
                  "valid", Json.bool validation.IsOk
                  "code", Json.num (int64 code)
                  "code_name", Json.str (Codes.txnErrorName code)
                  "reason", Json.str reason ]
        )
    else
        let out = System.Console.Out
        out.WriteLine("transaction:      " + path + " (" + string wire.Length + " bytes)")

        for part in parts do
            let shown = if part.Bytes.Length > 32 then hex part.Bytes[..31] + "… (" + string part.Bytes.Length + " bytes)" else hex part.Bytes
            let text = if part.Text = "" || part.Text = shown then "" else "  = " + part.Text
            out.WriteLine("  " + (string part.Offset).PadLeft(5) + "  " + part.Name.PadRight(28) + " " + shown + text)

        if not accounts.IsEmpty then printAccountTable Map.empty accounts
        out.WriteLine("validation:       " + Codes.txnErrorName code + " (" + string code + "): " + reason)

    if validation.IsOk then 0 else 1

let run (args: ParseResults<TxnArgs>) : int =
    match args.TryGetSubCommand() with
    | Some(TxnArgs.Build a) -> build a
    | Some(TxnArgs.Decode a) -> decode a
    | None -> fail "txn: give build or decode (thrumodel txn --help)"
