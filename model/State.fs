/// Accounts as the chain stores them: the committed state a transaction starts from.
/// Source: docs/spec/memory.md §7 (account metadata), docs/spec/transactions.md §2.
namespace Thru.Model

/// A 32-byte public key (account address).
type Pubkey =
    | Pubkey of byte[]

    member p.Bytes = let (Pubkey b) = p in b
    override p.ToString() = System.Convert.ToHexString(p.Bytes).ToLowerInvariant()

module Pubkey =
    /// The all-zero key: the owner of externally owned accounts (the EOA program).
    let zero = Pubkey(Array.zeroCreate 32)

    let ofBytes (b: byte[]) =
        if b.Length <> 32 then invalidArg "b" "a public key has 32 bytes"
        Pubkey(Array.copy b)

    /// Parse 64 hex digits.
    let tryParse (hex: string) : Pubkey option =
        try
            let b = System.Convert.FromHexString hex
            if b.Length = 32 then Some(Pubkey b) else None
        with :? System.FormatException ->
            None

/// Account flag bits (TSDK_ACCOUNT_FLAG_*).
module AccountFlags =
    let program = 0x01uy
    let privileged = 0x02uy
    let uncompressable = 0x04uy
    let ephemeral = 0x08uy
    let deleted = 0x10uy
    let newlyCreated = 0x20uy
    let compressed = 0x40uy

/// Account metadata (the fields of tsdk_account_meta_t).
type AccountMeta =
    { Version: byte
      Flags: byte
      DataSize: uint32
      Seq: uint64
      Owner: Pubkey
      Balance: uint64
      Nonce: uint64 }

module AccountMeta =
    /// Metadata version of existing accounts (TN_ACCOUNT_V1).
    let v1 = 1uy

    /// The metadata of a fresh account owned by `owner`.
    let create (owner: Pubkey) =
        { Version = v1
          Flags = 0uy
          DataSize = 0u
          Seq = 0UL
          Owner = owner
          Balance = 0UL
          Nonce = 0UL }

    let hasFlag (flag: byte) (m: AccountMeta) = m.Flags &&& flag <> 0uy

    /// Active: neither deleted nor compressed (archived). Decision D-LIVE.
    let isLive (m: AccountMeta) =
        not (hasFlag AccountFlags.deleted m) && not (hasFlag AccountFlags.compressed m)

/// A committed account: metadata and data (Data.Length = Meta.DataSize).
type Account = { Meta: AccountMeta; Data: byte[] }

module Account =
    let create (owner: Pubkey) (balance: uint64) (data: byte[]) =
        { Meta =
            { AccountMeta.create owner with
                Balance = balance
                DataSize = uint32 data.Length }
          Data = data }

    let isProgram (a: Account) = AccountMeta.hasFlag AccountFlags.program a.Meta

    /// Active: neither deleted nor compressed (archived). Decision D-LIVE.
    let isLive (a: Account) = AccountMeta.isLive a.Meta
