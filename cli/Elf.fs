/// RV64 ELF executables for `thrumodel raw` and `thrumodel disasm` (read with LibObjectFile, the ELF and DWARF
/// library the debugger's source maps use): their
/// loadable segments and entry point. Everything is checked before it is used: 64-bit,
/// little-endian, RISC-V (EM_RISCV = 243), at least one loadable segment, each no larger than a
/// 16 MiB region, and the file's bytes where the segment headers say they are.
module Thru.Cli.Elf

open Thru.Cli.Common

/// One loadable (PT_LOAD) segment: its address and its memory contents (file bytes, then zeros
/// up to its memory size).
type Segment =
    { Address: uint64
      Bytes: byte[]
      Readable: bool
      Writable: bool
      Executable: bool }

/// An ELF executable: its entry point and loadable segments, in address order.
type Image = { Entry: uint64; Segments: Segment list }

/// The largest ELF file read: an image plus room for symbols and debug information.
let maxFile = 64 * 1024 * 1024

/// The largest segment: a raw-mode region (16 MiB).
let maxSegment = 16UL * 1024UL * 1024UL

/// Whether the bytes start with the ELF magic (0x7f 'E' 'L' 'F').
let isElf (bytes: byte[]) =
    bytes.Length >= 4 && bytes[0] = 0x7fuy && bytes[1] = byte 'E' && bytes[2] = byte 'L' && bytes[3] = byte 'F'

/// The loadable segments and entry point of an ELF file's bytes, or a UserError naming `path`.
let load (path: string) (bytes: byte[]) : Image =
    if bytes.Length < 64 then fail "%s: an ELF file of %d bytes is shorter than the 64-byte ELF64 header" path bytes.Length
    if bytes[4] <> 2uy then fail "%s: not a 64-bit ELF (class %d); RV64 programs are ELF64" path bytes[4]
    if bytes[5] <> 1uy then fail "%s: not a little-endian ELF (data %d)" path bytes[5]
    let machine = int bytes[18] ||| (int bytes[19] <<< 8)
    if machine <> 243 then fail "%s: ELF for machine %d, not RISC-V (243)" path machine

    let elf =
        try
            use stream = new System.IO.MemoryStream(bytes, false)
            let mutable elf = Unchecked.defaultof<LibObjectFile.Elf.ElfFile>
            let mutable diagnostics = Unchecked.defaultof<LibObjectFile.Diagnostics.DiagnosticBag>

            if LibObjectFile.Elf.ElfFile.TryRead(stream, &elf, &diagnostics, LibObjectFile.Elf.ElfReaderOptions()) && not (isNull elf) then
                elf
            else
                fail "%s: not a readable ELF file" path
        with
        | UserError _ -> reraise ()
        | e -> fail "%s: not a readable ELF file (%s)" path (e.Message.Split('\n')[0])

    let loadType = uint32 LibObjectFile.Elf.ElfSegmentTypeCore.Load

    let segments =
        try
            [ for s in elf.Segments do
                  let memSize = s.SizeInMemory
                  let fileSize = s.Size
                  let offset = s.Position
                  let address = s.VirtualAddress

                  if s.Type.Value = loadType && memSize > 0UL then
                      if memSize > maxSegment then
                          fail "%s: a loadable segment at 0x%x of %d bytes is larger than a 16 MiB region" path address memSize

                      if fileSize > memSize then
                          fail "%s: the segment at 0x%x has more file bytes (%d) than memory bytes (%d)" path address fileSize memSize

                      if offset > uint64 bytes.Length || fileSize > uint64 bytes.Length - offset then
                          fail "%s: the segment at 0x%x names bytes past the end of the file" path address

                      if address > System.UInt64.MaxValue - memSize then
                          fail "%s: the segment at 0x%x runs past the end of the address space" path address

                      let contents = Array.zeroCreate<byte> (int memSize)
                      Array.blit bytes (int offset) contents 0 (int fileSize)
                      let has (f: LibObjectFile.Elf.ElfSegmentFlagsCore) = s.Flags.Value &&& uint32 f = uint32 f

                      { Address = address
                        Bytes = contents
                        Readable = has LibObjectFile.Elf.ElfSegmentFlagsCore.Readable
                        Writable = has LibObjectFile.Elf.ElfSegmentFlagsCore.Writable
                        Executable = has LibObjectFile.Elf.ElfSegmentFlagsCore.Executable } ]
        with
        | UserError _ -> reraise ()
        | e -> fail "%s: not a readable ELF file (%s)" path (e.Message.Split('\n')[0])

    if segments.IsEmpty then fail "%s: the ELF file has no loadable segment" path

    { Entry = elf.EntryPointAddress
      Segments = segments |> List.sortBy (fun s -> s.Address) }

/// The image as one flat raw-mode region: the base (the lowest segment's page) and the bytes
/// from it to the end of the highest segment, gaps zero-filled; a UserError when the segments
/// span more than the 16 MiB region or the entry point is outside them.
let flatten (path: string) (image: Image) : uint64 * byte[] =
    let low = (List.head image.Segments).Address &&& ~~~0xFFFUL
    let high = image.Segments |> List.map (fun s -> s.Address + uint64 s.Bytes.Length) |> List.max

    if high - low > maxSegment then
        fail "%s: the loadable segments span 0x%x..0x%x, more than the 16 MiB raw-mode region" path low high

    if low > System.UInt64.MaxValue - maxSegment + 1UL then
        fail "%s: the segments at 0x%x leave no room for a 16 MiB region below 2^64" path low

    let flat = Array.zeroCreate<byte> (int (high - low))

    for s in image.Segments do
        Array.blit s.Bytes 0 flat (int (s.Address - low)) s.Bytes.Length

    if image.Entry < low || image.Entry >= high then
        fail "%s: the entry point 0x%x is outside the loadable segments (0x%x..0x%x)" path image.Entry low high

    low, flat
