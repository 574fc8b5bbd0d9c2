/// ThruVM executables (docs/spec/executable.md §1): an 8-byte header (version 0x01 and 7 reserved
/// bytes), the program (code and read-only data), and an 8-byte all-zero trailer.
/// A malformed image makes the VM fail with SIGTEXT (-1).
module Thru.Model.Executable

/// Header and trailer sizes. Decision D-TRAILER: the trailer is 8 bytes.
let headerSize = 8
let trailerSize = 8

/// The only supported format version.
let version = 0x01uy

/// The smallest image: header and trailer around an empty program.
let minimumSize = headerSize + trailerSize

/// The largest image: an account's data limit (TN_ACCOUNT_DATA_SZ_MAX, 16 MiB).
let maximumSize = 16 * 1024 * 1024

/// Why an image is not a valid executable.
type ExecutableError =
    | TooShort of size: int
    | TooLarge of size: int
    /// The file is an ELF object, not a Thru executable.
    | ElfFile
    | UnsupportedVersion of version: byte
    /// Decision D-RESERVED (profile switch ReservedMustBeZero): a reserved byte is not zero.
    | ReservedByteNotZero of index: int * value: byte
    | TrailerNotZero of index: int * value: byte

let describe (e: ExecutableError) =
    match e with
    | TooShort n -> sprintf "executable of %d bytes is shorter than its 8-byte header and zero trailer" n
    | TooLarge n -> sprintf "executable of %d bytes is larger than the maximum of %d" n maximumSize
    | ElfFile -> "this is an ELF file, not a Thru executable (convert it with objcopy -O binary and the Thru linker script)"
    | UnsupportedVersion v -> sprintf "header version byte is 0x%02x; only version 0x01 is supported" v
    | ReservedByteNotZero(i, v) -> sprintf "reserved header byte %d is 0x%02x; reserved bytes must be 0" i v
    | TrailerNotZero(i, v) -> sprintf "trailer byte at offset %d is 0x%02x; the trailer must be all zero" i v

/// A validated executable.
type Executable =
    { Image: byte[]
      Trailer: int }

    /// The program segment: the image after its header, trailer included (decision
    /// D-PROGRAM-SEGMENT), so that running off the end of the code meets the 0x0000 parcel.
    member e.Segment = e.Image[headerSize..]

    /// The program bytes alone (between header and trailer).
    member e.Code = e.Image[headerSize .. e.Image.Length - e.Trailer - 1]

/// Validate an image under a profile, naming the first thing wrong. Decisions D-TRAILER (trailer
/// size), D-IMAGE-MIN (least code), D-RESERVED (whether the reserved bytes must be zero).
let parseWith (profile: Decisions.Profile) (image: byte[]) : Result<Executable, ExecutableError> =
    let trailer = profile.TrailerSize
    let firstNonZero (from: int) (until: int) = [ from .. until - 1 ] |> List.tryFind (fun i -> image[i] <> 0uy)
    let reserved = if profile.ReservedMustBeZero then firstNonZero 1 headerSize else None

    if image.Length >= 4 && image[0] = 0x7Fuy && image[1] = byte 'E' && image[2] = byte 'L' && image[3] = byte 'F' then Error ElfFile
    elif image.Length < headerSize + profile.MinCodeBytes + trailer then Error(TooShort image.Length)
    elif image.Length > maximumSize then Error(TooLarge image.Length)
    elif image[0] <> version then Error(UnsupportedVersion image[0])
    else
        match reserved, firstNonZero (image.Length - trailer) image.Length with
        | Some i, _ -> Error(ReservedByteNotZero(i, image[i]))
        | None, Some i -> Error(TrailerNotZero(i, image[i]))
        | None, None -> Ok { Image = Array.copy image; Trailer = trailer }

/// Validate an image under the default profile.
let parse (image: byte[]) = parseWith Decisions.Profile.defaults image

/// Build an executable around program bytes (header, code, trailer).
let build (code: byte[]) : byte[] =
    Array.concat [ [| version; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy; 0uy |]; code; Array.zeroCreate trailerSize ]

/// Decision D-PC: execution starts at program-segment offset 0, whose address is 0x3000000.
let entryPc = Memory.Address.programBase

/// Decision D-ENTRY-REGS: the hart at entry: pc at the program's start, a0 = instruction-data
/// address, a1 = instruction-data size, every other register 0.
let entryHart (instrData: uint64) (instrDataSize: uint64) : Isa.Hart =
    let regs = Isa.Registers.set (Isa.Registers.set Isa.Registers.zero Isa.Reg.a0 instrData) Isa.Reg.a1 instrDataSize
    { Pc = entryPc; Regs = regs }
