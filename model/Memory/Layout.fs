/// The byte-exact structures programs read: the account-metadata view, the shadow stack and
/// the block context (docs/spec/memory.md §5, §6, §7). Little-endian throughout.
module Thru.Model.Memory.Layout

open Thru.Model

let private le (size: int) (v: uint64) = Bits.toLE size v

// ---------------------------------------------------------------------------------------
// Account metadata (segment type 0x02).
// ---------------------------------------------------------------------------------------

/// Size of the metadata view programs see (TSDK_ACCOUNT_META_FOOTPRINT). Decision D-META-VIEW.
let metaViewSize = 62

/// Size of the runtime record with its leading magic (TN_ACCOUNT_META_FOOTPRINT).
let metaRecordSize = 64

/// TN_ACCOUNT_META_MAGIC, the first two bytes of the 64-byte runtime record.
let metaMagic = 0xC7A3us

/// The 62-byte SDK view (packed): version@0 flags@1 data_sz@2 seq@6 owner@14 balance@46 nonce@54.
let metaView (m: AccountMeta) : byte[] =
    Array.concat
        [ [| m.Version; m.Flags |]
          le 4 (uint64 m.DataSize)
          le 8 m.Seq
          m.Owner.Bytes
          le 8 m.Balance
          le 8 m.Nonce ]

/// The 64-byte runtime record: the magic, then the 62-byte view.
let metaRecord (m: AccountMeta) : byte[] = Array.append (le 2 (uint64 metaMagic)) (metaView m)

/// Parse a 62-byte view.
let metaOfView (b: byte[]) : AccountMeta =
    { Version = b[0]
      Flags = b[1]
      DataSize = uint32 (Bits.readLE b 2 4)
      Seq = Bits.readLE b 6 8
      Owner = Pubkey(b[14..45])
      Balance = Bits.readLE b 46 8
      Nonce = Bits.readLE b 54 8 }

// ---------------------------------------------------------------------------------------
// Shadow stack (segment 0x00/0x0002).
// ---------------------------------------------------------------------------------------

/// Frames in the shadow stack, the sentinel frame 0 included (TSDK_SHADOW_STACK_FRAME_MAX).
let frameSlots = 17
let frameSize = 264
let shadowHeaderSize = 8

/// Total size: 8 + 17 × 264 = 4496 bytes.
let shadowStackSize = shadowHeaderSize + frameSlots * frameSize

/// One call frame (tsdk_shadow_stack_frame_t).
type Frame =
    { ProgramAccIdx: uint16
      StackPages: uint16
      HeapPages: uint16
      /// x0..x31 as they were when this frame invoked the next one (zeros until it does).
      SavedRegs: uint64[] }

/// The public shadow stack. `Frames` holds the frames of depths 1..CallDepth, outermost first;
/// slot 0 (the sentinel "frame -1") and the slots above the current depth read as zeros.
type ShadowStack =
    { CallDepth: int
      MaxCallDepth: int
      TotalStackPages: int
      TotalHeapPages: int
      Frames: Frame list }

let private frameBytes (f: Frame) =
    Array.concat [ le 2 (uint64 f.ProgramAccIdx); le 2 (uint64 f.StackPages); le 2 (uint64 f.HeapPages); [| 0uy; 0uy |]; f.SavedRegs |> Array.collect (le 8) ]

/// The 4496 bytes programs read.
let shadowStackBytes (s: ShadowStack) : byte[] =
    let header = Array.concat [ le 2 (uint64 s.CallDepth); le 2 (uint64 s.TotalStackPages); le 2 (uint64 s.TotalHeapPages); le 2 (uint64 s.MaxCallDepth) ]
    let sentinel = Array.zeroCreate<byte> frameSize
    let active = s.Frames |> List.map frameBytes
    let unused = List.replicate (frameSlots - 1 - s.Frames.Length) (Array.zeroCreate<byte> frameSize)
    Array.concat (header :: sentinel :: active @ unused)

// ---------------------------------------------------------------------------------------
// Block context (segment 0x00/0x0004).
// ---------------------------------------------------------------------------------------

/// Distance between consecutive block records (TN_VM_BLOCK_CTX_SPACING).
let blockSpacing = 0x1000

/// Blocks of history visible (TN_RUNTIME_CTX_BLOCK_SPAN).
let blockHistory = 512

/// Bytes of one record that programs may read: the SDK's 128-byte struct. Decision D-BLOCK-CTX.
let blockRecordSize = 128

/// One block's context.
type BlockContext =
    { Slot: uint64
      BlockTime: uint64
      BlockPrice: uint64
      StateRoot: byte[]
      BlockHash: byte[]
      BlockProducer: byte[]
      WeightSlot: uint64 }

/// The 128-byte record: slot@0 time@8 price@16 state_root@24 hash@56 producer@88 weight_slot@120.
let blockContextBytes (b: BlockContext) : byte[] =
    Array.concat [ le 8 b.Slot; le 8 b.BlockTime; le 8 b.BlockPrice; b.StateRoot; b.BlockHash; b.BlockProducer; le 8 b.WeightSlot ]
