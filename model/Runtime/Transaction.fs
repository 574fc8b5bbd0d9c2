/// Version-1 transactions: the wire format, parsing, and the validation checks in the order and
/// with the codes of docs/spec/transactions.md §1, §2, §3, §4 and docs/spec/errors.md §4.
///
///   header 112 | rw keys, ro keys (32 each) | instr_data | [state proof] | [fee payer meta 64] | signature 64
module Thru.Model.Runtime.Transaction

open Thru.Model

let headerSize = 112
let signatureSize = 64
let minimumSize = headerSize + signatureSize
let maximumSize = 32768
let maxAccounts = 1024

/// Header flag bits.
let flagHasFeePayerProof = 0x01uy
let flagMayCompressAccount = 0x02uy

/// The fixed header (tsdk_txn_hdr_v1_t).
type Header =
    { Version: byte
      Flags: byte
      ReadWriteCount: int
      ReadOnlyCount: int
      InstrDataSize: int
      ComputeUnits: uint32
      StateUnits: uint16
      MemoryUnits: uint16
      Fee: uint64
      Nonce: uint64
      StartSlot: uint64
      ExpiryAfter: uint32
      ChainId: uint16
      Padding: uint16
      FeePayer: Pubkey
      Program: Pubkey }

/// A parsed transaction.
type Transaction =
    { Header: Header
      ReadWrite: Pubkey list
      ReadOnly: Pubkey list
      InstrData: byte[]
      StateProof: byte[] option
      /// The 64-byte runtime metadata record that accompanies an EXISTING fee-payer proof.
      FeePayerMeta: byte[] option
      Signature: byte[]
      /// The wire bytes (what TXN_DATA shows).
      Bytes: byte[] }

    /// Account keys by index: fee payer, program, read-write, read-only.
    member t.Accounts = t.Header.FeePayer :: t.Header.Program :: t.ReadWrite @ t.ReadOnly

    /// Offset of the instruction data in the wire bytes.
    member t.InstrDataOffset = headerSize + 32 * (t.ReadWrite.Length + t.ReadOnly.Length)

let private u (b: byte[]) o n = Bits.readLE b o n

/// The fixed header of wire bytes of at least `headerSize` bytes, field by field, checking nothing
/// (docs/spec/transactions.md §1.2): `parse` validates; decoders show what the bytes say.
let parseHeader (b: byte[]) : Header =
    { Version = b[0]
      Flags = b[1]
      ReadWriteCount = int (u b 2 2)
      ReadOnlyCount = int (u b 4 2)
      InstrDataSize = int (u b 6 2)
      ComputeUnits = uint32 (u b 8 4)
      StateUnits = uint16 (u b 12 2)
      MemoryUnits = uint16 (u b 14 2)
      Fee = u b 16 8
      Nonce = u b 24 8
      StartSlot = u b 32 8
      ExpiryAfter = uint32 (u b 40 4)
      ChainId = uint16 (u b 44 2)
      Padding = uint16 (u b 46 2)
      FeePayer = Pubkey b[48..79]
      Program = Pubkey b[80..111] }

/// The header's bytes.
let headerBytes (h: Header) : byte[] =
    let le n (v: uint64) = Bits.toLE n v

    Array.concat
        [ [| h.Version; h.Flags |]
          le 2 (uint64 h.ReadWriteCount)
          le 2 (uint64 h.ReadOnlyCount)
          le 2 (uint64 h.InstrDataSize)
          le 4 (uint64 h.ComputeUnits)
          le 2 (uint64 h.StateUnits)
          le 2 (uint64 h.MemoryUnits)
          le 8 h.Fee
          le 8 h.Nonce
          le 8 h.StartSlot
          le 4 (uint64 h.ExpiryAfter)
          le 2 (uint64 h.ChainId)
          le 2 (uint64 h.Padding)
          h.FeePayer.Bytes
          h.Program.Bytes ]

/// A validation failure: the runtime code and what was wrong.
type Rejection = { Code: int; Reason: string }

let private reject code fmt = Printf.kprintf (fun s -> Error { Code = code; Reason = s }) fmt

/// Account layout (docs/spec/transactions.md §2.2), decision D-TXN-CHECKS: count limit; fee payer =
/// program; then a merge walk over the two lists in key order that reports, at the first
/// offending key, a key in both lists (DUPLICATE), a repeated key (DUPLICATE) or a key smaller
/// than its predecessor (UNSORTED_READWRITE / UNSORTED_READONLY); finally the fee payer or the
/// program in either list (DUPLICATE).
let checkAccountLayout (h: Header) (rw: Pubkey list) (ro: Pubkey list) : Result<unit, Rejection> =
    let cmp (a: Pubkey) (b: Pubkey) = compare a.Bytes b.Bytes

    let rec walk (rw: Pubkey list) (ro: Pubkey list) (prevRw: Pubkey option) (prevRo: Pubkey option) =
        let step (x: Pubkey) (prev: Pubkey option) (other: Pubkey list) unsortedCode listName =
            match prev with
            | Some p when cmp x p = 0 -> Some(reject Codes.Txn.duplicateAccount "%s account %O appears twice" listName x)
            | Some p when cmp x p < 0 -> Some(reject unsortedCode "%s accounts are not in ascending order at %O" listName x)
            | _ when (match other with y :: _ -> cmp x y = 0 | [] -> false) -> Some(reject Codes.Txn.duplicateAccount "account %O is both read-write and read-only" x)
            | _ -> None

        match rw, ro with
        | [], [] -> Ok()
        | x :: rwRest, _ when (match ro with y :: _ -> cmp x y <= 0 | [] -> true) ->
            match step x prevRw ro Codes.Txn.unsortedReadWriteAccounts "read-write" with
            | Some e -> e
            | None -> walk rwRest ro (Some x) prevRo
        | _, y :: roRest ->
            match step y prevRo rw Codes.Txn.unsortedReadOnlyAccounts "read-only" with
            | Some e -> e
            | None -> walk rw roRest prevRw (Some y)
        | _ -> Ok()

    let total = 2 + rw.Length + ro.Length

    if total > maxAccounts then
        reject Codes.Txn.accountCountLimitExceeded "%d accounts exceed the limit of %d" total maxAccounts
    elif h.FeePayer = h.Program then
        reject Codes.Txn.duplicateAccount "the fee payer is also the program"
    else
        walk rw ro None None
        |> Result.bind (fun () ->
            let listed = Set.ofList (rw @ ro)
            if listed.Contains h.FeePayer then reject Codes.Txn.duplicateAccount "the fee payer is also listed as an account"
            elif listed.Contains h.Program then reject Codes.Txn.duplicateAccount "the program is also listed as an account"
            else Ok())

/// Parse and validate wire bytes (docs/spec/transactions.md §3, steps 1-10). Decision D-TXN-CHECKS: a
/// zero chain_id, which has no dedicated code, is INVALID_FORMAT.
let parse (verify: Crypto.Verifier) (b: byte[]) : Result<Transaction, Rejection> =
    let size = b.Length

    if size > maximumSize then reject Codes.Txn.invalidFormat "transaction of %d bytes exceeds the %d-byte limit" size maximumSize
    elif size < minimumSize then reject Codes.Txn.invalidFormat "transaction of %d bytes is shorter than the minimum of %d" size minimumSize
    elif b[0] <> 1uy then reject Codes.Txn.invalidVersion "version byte is %d, only 1 is supported" b[0]
    elif b[1] &&& ~~~0x03uy <> 0uy then reject Codes.Txn.invalidFlags "flags 0x%02x set undefined bits" b[1]
    else
        let h = parseHeader b
        let body = size - signatureSize
        let keysEnd = headerSize + 32 * (h.ReadWriteCount + h.ReadOnlyCount)
        let dataEnd = keysEnd + h.InstrDataSize

        if h.ChainId = 0us then
            reject Codes.Txn.invalidFormat "chain_id is 0"
        elif dataEnd > body then
            reject Codes.Txn.invalidFormat "account keys and instruction data (%d bytes) run past the signature" dataEnd
        else
            let proof, metaEnd =
                if h.Flags &&& flagHasFeePayerProof = 0uy then
                    Ok(None, None), dataEnd
                elif dataEnd + StateProof.headerSize > body then
                    reject Codes.Txn.invalidFormat "the fee-payer state proof header does not fit", 0
                else
                    match StateProof.expectedLength b[dataEnd .. dataEnd + StateProof.headerSize - 1] with
                    | None -> reject Codes.Txn.invalidFeePayerStateProofType "fee-payer state proof of type 3", 0
                    | Some _ when (Bits.readLE b dataEnd 8 >>> 62) = 1UL -> reject Codes.Txn.invalidFeePayerStateProofType "fee-payer state proof of type UPDATING", 0
                    | Some n when dataEnd + n > body -> reject Codes.Txn.invalidFormat "the fee-payer state proof (%d bytes) does not fit" n, 0
                    | Some n when (Bits.readLE b dataEnd 8 >>> 62) = 0UL ->
                        if dataEnd + n + 64 > body then reject Codes.Txn.invalidFormat "the fee-payer metadata after an EXISTING proof does not fit", 0
                        else Ok(Some b[dataEnd .. dataEnd + n - 1], Some b[dataEnd + n .. dataEnd + n + 63]), dataEnd + n + 64
                    | Some n -> Ok(Some b[dataEnd .. dataEnd + n - 1], None), dataEnd + n

            match proof with
            | Error e -> Error e
            | Ok _ when metaEnd <> body -> reject Codes.Txn.invalidFormat "%d trailing bytes before the signature" (body - metaEnd)
            | Ok(proof, meta) ->
                let key i = Pubkey b[headerSize + 32 * i .. headerSize + 32 * i + 31]
                let rw = List.init h.ReadWriteCount key
                let ro = List.init h.ReadOnlyCount (fun i -> key (h.ReadWriteCount + i))

                checkAccountLayout h rw ro
                |> Result.bind (fun () ->
                    let signature = b[body..]

                    if not (verify h.FeePayer (Crypto.transactionMessage b[.. body - 1]) signature) then
                        reject Codes.Txn.invalidSignature "the fee payer's signature does not verify"
                    else
                        Ok
                            { Header = h
                              ReadWrite = rw
                              ReadOnly = ro
                              InstrData = b[keysEnd .. dataEnd - 1]
                              StateProof = proof
                              FeePayerMeta = meta
                              Signature = signature
                              Bytes = Array.copy b })

/// Serialize a transaction body (everything but the signature) from its parts; the caller signs
/// `Crypto.transactionMessage body` and appends the 64-byte signature.
let body (h: Header) (rw: Pubkey list) (ro: Pubkey list) (instrData: byte[]) (proof: byte[] option) (feePayerMeta: byte[] option) : byte[] =
    let h =
        { h with
            ReadWriteCount = rw.Length
            ReadOnlyCount = ro.Length
            InstrDataSize = instrData.Length }

    Array.concat (
        [ headerBytes h ]
        @ (rw @ ro |> List.map (fun k -> k.Bytes))
        @ [ instrData ]
        @ (proof |> Option.toList)
        @ (feePayerMeta |> Option.toList)
    )
