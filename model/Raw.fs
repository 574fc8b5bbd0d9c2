/// Raw RV64 mode: one flat, zero-filled, read/write region of 16 MiB at a 4 KiB-aligned base;
/// no Thru segments, no syscalls. This is what the ISA oracles (Unicorn, qemu-user) can check.
/// Decision D-RAW.
module Thru.Model.Raw

open Thru.Model.Isa
open Thru.Model.Isa.Execute

/// Size of the raw-mode region: 16 MiB.
let regionSize = 0x100_0000UL

/// The flat memory: the loaded image (never modified) under an overlay of written 8-byte
/// words, keyed by word address. An aligned access of 1–8 bytes lies inside one word.
type FlatMemory =
    { Base: uint64
      Image: byte[]
      Words: Map<uint64, uint64> }

module FlatMemory =
    /// The 8-byte word at word-aligned address `w`: the overlay if written, else the image.
    let private word (m: FlatMemory) (w: uint64) : uint64 =
        match m.Words.TryFind w with
        | Some v -> v
        | None ->
            [ 0..7 ]
            |> List.fold
                (fun acc i ->
                    let o = w + uint64 i - m.Base
                    if o < uint64 m.Image.Length then acc ||| (uint64 m.Image[int o] <<< (8 * i)) else acc)
                0UL

    let private mask size = if size = 8 then System.UInt64.MaxValue else (1UL <<< (8 * size)) - 1UL

    /// Bounds first (InvalidAddress), then alignment (AlignmentViolation): the order of
    /// docs/spec/memory.md §3.1, validation before the alignment check.
    let private check (m: FlatMemory) (addr: uint64) (size: int) (kind: AccessKind) =
        let inBounds = addr >= m.Base && addr - m.Base <= regionSize - uint64 size

        if not inBounds then Error(AccessFault.make InvalidAddress addr size kind)
        elif addr % uint64 size <> 0UL then Error(AccessFault.make AlignmentViolation addr size kind)
        else Ok()

    let load (m: FlatMemory) (addr: uint64) (size: int) : Result<uint64, AccessFault> =
        check m addr size Read
        |> Result.map (fun () -> (word m (addr &&& ~~~7UL) >>> (8 * int (addr &&& 7UL))) &&& mask size)

    let store (m: FlatMemory) (addr: uint64) (size: int) (value: uint64) : Result<FlatMemory, AccessFault> =
        check m addr size Write
        |> Result.map (fun () ->
            let w = addr &&& ~~~7UL
            let shift = 8 * int (addr &&& 7UL)
            let merged = (word m w &&& ~~~(mask size <<< shift)) ||| ((value &&& mask size) <<< shift)
            { m with Words = m.Words.Add(w, merged) })

    let fetch (m: FlatMemory) (addr: uint64) : Result<uint16, AccessFault> =
        check m addr 2 Fetch
        |> Result.map (fun () -> uint16 ((word m (addr &&& ~~~7UL) >>> (8 * int (addr &&& 7UL))) &&& 0xFFFFUL))

    /// The port through which the hart reaches a flat memory.
    let port: MemoryPort<FlatMemory> =
        { Load = load
          Store = store
          Fetch = fetch }

    /// `count` bytes starting at `addr` (bytes outside the region read as 0).
    let readBytes (m: FlatMemory) (addr: uint64) (count: int) : byte[] =
        let inRegion (a: uint64) = a >= m.Base && a - m.Base < regionSize

        Array.init count (fun i ->
            let a = addr + uint64 i
            if inRegion a then byte (word m (a &&& ~~~7UL) >>> (8 * int (a &&& 7UL))) else 0uy)

/// Why a raw run stopped.
type Stop =
    | StoppedAtEcall
    | StoppedAtEbreak
    | StoppedByFault of Trap
    | StoppedAtLimit

/// The result of a raw run: why it stopped, the final hart (pc at the stopping instruction
/// for ecall, ebreak and faults), the number of retired instructions and the memory.
type RunResult =
    { Stop: Stop
      Hart: Hart
      Instructions: int64
      Memory: FlatMemory }

/// Why an image cannot be loaded in raw mode.
type LoadError =
    | BaseNotPageAligned of uint64
    | RegionPastEndOfAddressSpace of uint64
    | ImageTooLarge of int

let describeLoadError e =
    match e with
    | BaseNotPageAligned b -> sprintf "base 0x%x is not a multiple of 0x1000" b
    | RegionPastEndOfAddressSpace b -> sprintf "base 0x%x leaves no room for a 16 MiB region below 2^64" b
    | ImageTooLarge n -> sprintf "image of %d bytes does not fit the 16 MiB region" n

/// Place an image at `baseAddress` in a fresh region.
let load (image: byte[]) (baseAddress: uint64) : Result<FlatMemory, LoadError> =
    if baseAddress % 0x1000UL <> 0UL then Error(BaseNotPageAligned baseAddress)
    elif baseAddress > System.UInt64.MaxValue - regionSize + 1UL then Error(RegionPastEndOfAddressSpace baseAddress)
    elif uint64 image.Length > regionSize then Error(ImageTooLarge image.Length)
    else Ok { Base = baseAddress; Image = Array.copy image; Words = Map.empty }

/// The outcome of one raw step.
type RawStep =
    /// The instruction retired: the fetched instruction, the new hart and memory.
    | Continued of Fetched * Hart * FlatMemory
    /// The instruction at pc stops the run (ecall, ebreak or a fault); hart and memory unchanged.
    | Stopped of Stop

/// One raw step: fetch and execute the instruction at the hart's pc. The unit a debugger
/// single-steps; `runFold` repeats it.
let step (profile: Decisions.Profile) (hart: Hart) (mem: FlatMemory) : RawStep =
    match fetch FlatMemory.port mem hart.Pc with
    | Error trap -> Stopped(StoppedByFault trap)
    | Ok fetched ->
        match run profile FlatMemory.port fetched hart mem with
        | Retired(hart', mem') -> Continued(fetched, hart', mem')
        | EnvironmentCall -> Stopped StoppedAtEcall
        | Trapped Breakpoint -> Stopped StoppedAtEbreak
        | Trapped trap -> Stopped(StoppedByFault trap)

/// Run from `hart` for at most `maxSteps` instructions, folding `observe` over every fetched
/// instruction that retires (tests use it to record which instructions were exercised).
let runFold (observe: 'a -> Fetched -> 'a) (seed: 'a) (profile: Decisions.Profile) (maxSteps: int64) (hart: Hart) (mem: FlatMemory) =
    let stop reason hart mem n acc = { Stop = reason; Hart = hart; Instructions = n; Memory = mem }, acc

    let rec loop hart mem n acc =
        if n >= maxSteps then
            stop StoppedAtLimit hart mem n acc
        else
            match step profile hart mem with
            | Continued(fetched, hart', mem') -> loop hart' mem' (n + 1L) (observe acc fetched)
            | Stopped reason -> stop reason hart mem n acc

    loop hart mem 0L seed

/// Run from `hart` for at most `maxSteps` instructions.
let runFrom (profile: Decisions.Profile) (maxSteps: int64) (hart: Hart) (mem: FlatMemory) : RunResult =
    runFold (fun () _ -> ()) () profile maxSteps hart mem |> fst

/// Load an image at `baseAddress`, zero every register, set pc to the base, and run.
let run (profile: Decisions.Profile) (image: byte[]) (baseAddress: uint64) (maxSteps: int64) =
    load image baseAddress |> Result.map (runFrom profile maxSteps (Hart.at baseAddress))
