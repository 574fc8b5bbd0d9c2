/// Hashes and signed messages of the Thru protocol (docs/spec/transactions.md §4).
/// Signature verification is a parameter of the runtime (`Verifier`): the model stays pure and the
/// CLI and tests plug in libsodium (interop/Sodium.cs).
module Thru.Model.Runtime.Crypto

open Thru.Model

let sha256 (data: byte[]) : byte[] = System.Security.Cryptography.SHA256.HashData data

let private ascii (s: string) = System.Text.Encoding.ASCII.GetBytes s

/// Ed25519 verification: public key, message, signature -> valid?
type Verifier = Pubkey -> byte[] -> byte[] -> bool

/// The message the fee payer signs: "tn_txn_sign_v1__" ‖ SHA-256(body).
let transactionMessage (body: byte[]) : byte[] = Array.append (ascii "tn_txn_sign_v1__") (sha256 body)

/// The 82-byte EOA authorisation message: DST ‖ chain_id (u16 LE) ‖ fee payer ‖ account.
let private eoaMessage (dst: string) (chainId: uint16) (feePayer: Pubkey) (account: Pubkey) =
    Array.concat [ ascii dst; Bits.toLE 2 (uint64 chainId); feePayer.Bytes; account.Bytes ]

/// Decision D-EOA-MESSAGE: account_create_eoa verifies a signature over this (docs/spec/transactions.md §4.3).
let eoaCreateMessage = eoaMessage "tn_eoa_create_v1"

/// account_delete's optional signature is over this.
let eoaDeleteMessage = eoaMessage "tn_eoa_delete_v1"

/// Program-derived address: SHA-256(owner program ‖ is_ephemeral (0 or 1) ‖ seed[32]).
let derivedAddress (program: Pubkey) (ephemeral: bool) (seed: byte[]) : Pubkey =
    Pubkey(sha256 (Array.concat [ program.Bytes; [| (if ephemeral then 1uy else 0uy) |]; seed ]))
