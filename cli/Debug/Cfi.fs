/// Call-frame information: the `.debug_frame` section of an ELF (DWARF 4 §6.4, "Call Frame
/// Information"), read into a table that unwinds one frame at a time. The SDK compiles with
/// `-fno-asynchronous-unwind-tables` and without frame pointers, but `-g` keeps `.debug_frame`:
/// the rules that say, at every pc, where the caller's return address and saved registers are.
///
/// LibObjectFile (the ELF and DWARF library this CLI uses) reads the line table but not
/// `.debug_frame`, and no NuGet package that restores here does; the format is small, so it is
/// read here: CIEs and FDEs, and the call-frame instructions GCC emits (the whole DWARF 4 set except
/// the expression forms, which GCC does not emit for RISC-V; a frame that needs one is not unwound).
module Thru.Cli.Debug.Cfi

/// Where a register of the caller is, at a given pc of the callee.
type Rule =
    /// Not recoverable.
    | Undefined
    /// Unchanged by the callee (the value in the callee's register).
    | SameValue
    /// Saved in memory at CFA + offset.
    | SavedAt of int64
    /// The value is CFA + offset.
    | ValueOffset of int64
    /// In another register of the callee.
    | InRegister of int

/// The rules at one pc: the canonical frame address (register + offset) and the registers.
type Rules =
    { CfaRegister: int
      CfaOffset: int64
      /// False when the CFA needs a DWARF expression (not supported).
      CfaKnown: bool
      Registers: Map<int, Rule> }

/// A Common Information Entry: what every FDE that points to it shares.
type private Cie =
    { CodeAlign: uint64
      DataAlign: int64
      ReturnRegister: int
      Initial: byte[] }

/// A Frame Description Entry: the rules for one range of code.
type Fde =
    { Start: uint64
      End: uint64
      CodeAlign: uint64
      DataAlign: int64
      ReturnRegister: int
      Initial: byte[]
      Instructions: byte[] }

/// Every FDE of a `.debug_frame`, sorted by start address.
type Table = { Fdes: Fde[] }

type private Reader(bytes: byte[], start: int) =
    let mutable pos = start
    member _.Pos = pos
    member _.AtEnd = pos >= bytes.Length

    member _.U8() =
        let b = bytes[pos]
        pos <- pos + 1
        b

    member r.U(n: int) =
        let mutable v = 0UL
        for i in 0 .. n - 1 do
            v <- v ||| (uint64 (r.U8()) <<< (8 * i))
        v

    member r.Uleb() =
        let mutable v = 0UL
        let mutable shift = 0
        let mutable more = true

        while more do
            let b = r.U8()
            if shift < 64 then v <- v ||| (uint64 (b &&& 0x7Fuy) <<< shift)
            shift <- shift + 7
            more <- b &&& 0x80uy <> 0uy

        v

    member r.Sleb() =
        let mutable v = 0L
        let mutable shift = 0
        let mutable b = 0x80uy

        while b &&& 0x80uy <> 0uy do
            b <- r.U8()
            if shift < 64 then v <- v ||| (int64 (b &&& 0x7Fuy) <<< shift)
            shift <- shift + 7

        if shift < 64 && b &&& 0x40uy <> 0uy then v ||| (-1L <<< shift) else v

    member _.Bytes(n: int) =
        let b = bytes[pos .. pos + n - 1]
        pos <- pos + n
        b

    member _.Seek(p: int) = pos <- p

/// Read a `.debug_frame` section (64-bit addresses, little-endian). Error when it is malformed.
let parse (section: byte[]) : Result<Table, string> =
    try
        let r = Reader(section, 0)
        let cies = System.Collections.Generic.Dictionary<int, Cie>()
        let fdes = ResizeArray<int * int * int>() // entry offset, cie offset, end of entry

        // First pass: every entry; CIEs are read at once, FDEs once every CIE is known.
        while not r.AtEnd do
            let entry = r.Pos
            let length32 = r.U 4

            let is64, length =
                if length32 = 0xFFFFFFFFUL then true, r.U 8 else false, length32

            if length = 0UL then
                () // a zero terminator or padding
            else
                let body = r.Pos
                let fin = body + int length
                let id = r.U(if is64 then 8 else 4)

                if (is64 && id = System.UInt64.MaxValue) || (not is64 && id = 0xFFFFFFFFUL) then
                    let version = r.U8()
                    let mutable augmentation = []
                    let mutable c = r.U8()

                    while c <> 0uy do
                        augmentation <- c :: augmentation
                        c <- r.U8()

                    if not augmentation.IsEmpty then failwithf "CIE at 0x%x has an augmentation, which .debug_frame does not use" entry
                    if version = 4uy then r.U8() |> ignore; r.U8() |> ignore // address size, segment selector size
                    let codeAlign = r.Uleb()
                    let dataAlign = r.Sleb()
                    let ret = if version = 1uy then int (r.U8()) else int (r.Uleb())
                    cies[entry] <- { CodeAlign = codeAlign; DataAlign = dataAlign; ReturnRegister = ret; Initial = r.Bytes(fin - r.Pos) }
                else
                    fdes.Add((body, int id, fin))

                r.Seek fin

        let table =
            [| for body, cieOffset, fin in fdes do
                   match cies.TryGetValue cieOffset with
                   | true, cie ->
                       let r = Reader(section, body + 4)
                       let start = r.U 8
                       let range = r.U 8

                       { Start = start
                         End = start + range
                         CodeAlign = cie.CodeAlign
                         DataAlign = cie.DataAlign
                         ReturnRegister = cie.ReturnRegister
                         Initial = cie.Initial
                         Instructions = r.Bytes(fin - r.Pos) }
                   | _ -> failwithf "an FDE points to 0x%x, which is not a CIE" cieOffset |]

        Ok { Fdes = table |> Array.filter (fun f -> f.End > f.Start) |> Array.sortBy (fun f -> f.Start) }
    with
    | Failure message -> Error message
    | :? System.IndexOutOfRangeException
    | :? System.ArgumentException -> Error "an entry runs past the end of the section"

/// The FDE whose range holds `pc`.
let fdeAt (t: Table) (pc: uint64) : Fde option =
    t.Fdes |> Array.tryFind (fun f -> f.Start <= pc && pc < f.End)

/// The rules in force at `pc` inside `fde`: the CIE's initial instructions, then the FDE's up to
/// the last row at or before pc. None when an instruction is not supported.
let rulesAt (fde: Fde) (pc: uint64) : Rules option =
    let initial =
        { CfaRegister = 2
          CfaOffset = 0L
          CfaKnown = true
          Registers = Map.empty }

    // Run one instruction list from `state`; `limit` stops at the first row past pc.
    let exec (code: byte[]) (start: Rules) (cieRules: Rules) : Rules option =
        let r = Reader(code, 0)
        let mutable state = start
        let mutable loc = fde.Start
        let mutable saved: Rules list = []
        let mutable ok = true
        let mutable go = true

        let advance (delta: uint64) =
            loc <- loc + delta * fde.CodeAlign
            if loc > pc then go <- false

        let set reg rule = state <- { state with Registers = state.Registers.Add(reg, rule) }
        let restore reg = state <- { state with Registers = (match cieRules.Registers.TryFind reg with Some rule -> state.Registers.Add(reg, rule) | None -> state.Registers.Remove reg) }

        while go && ok && not r.AtEnd do
            let op = r.U8()

            match op >>> 6, op &&& 0x3Fuy with
            | 1uy, delta -> advance (uint64 delta)
            | 2uy, reg -> set (int reg) (SavedAt(int64 (r.Uleb()) * fde.DataAlign))
            | 3uy, reg -> restore (int reg)
            | _, low ->
                match low with
                | 0x00uy -> ()
                | 0x01uy ->
                    loc <- r.U 8
                    if loc > pc then go <- false
                | 0x02uy -> advance (uint64 (r.U8()))
                | 0x03uy -> advance (r.U 2)
                | 0x04uy -> advance (r.U 4)
                | 0x05uy -> let reg = int (r.Uleb()) in set reg (SavedAt(int64 (r.Uleb()) * fde.DataAlign))
                | 0x06uy -> restore (int (r.Uleb()))
                | 0x07uy -> set (int (r.Uleb())) Undefined
                | 0x08uy -> set (int (r.Uleb())) SameValue
                | 0x09uy -> let reg = int (r.Uleb()) in set reg (InRegister(int (r.Uleb())))
                | 0x0Auy -> saved <- state :: saved
                | 0x0Buy ->
                    match saved with
                    | s :: rest ->
                        state <- s
                        saved <- rest
                    | [] -> ok <- false
                | 0x0Cuy ->
                    let reg = int (r.Uleb())
                    state <- { state with CfaRegister = reg; CfaOffset = int64 (r.Uleb()); CfaKnown = true }
                | 0x0Duy -> state <- { state with CfaRegister = int (r.Uleb()) }
                | 0x0Euy -> state <- { state with CfaOffset = int64 (r.Uleb()) }
                | 0x11uy -> let reg = int (r.Uleb()) in set reg (SavedAt(r.Sleb() * fde.DataAlign))
                | 0x12uy ->
                    let reg = int (r.Uleb())
                    state <- { state with CfaRegister = reg; CfaOffset = r.Sleb() * fde.DataAlign; CfaKnown = true }
                | 0x13uy -> state <- { state with CfaOffset = r.Sleb() * fde.DataAlign }
                | 0x14uy -> let reg = int (r.Uleb()) in set reg (ValueOffset(int64 (r.Uleb()) * fde.DataAlign))
                | 0x15uy -> let reg = int (r.Uleb()) in set reg (ValueOffset(r.Sleb() * fde.DataAlign))
                | 0x0Fuy ->
                    r.Bytes(int (r.Uleb())) |> ignore
                    state <- { state with CfaKnown = false }
                | 0x10uy
                | 0x16uy ->
                    let reg = int (r.Uleb())
                    r.Bytes(int (r.Uleb())) |> ignore
                    set reg Undefined
                | _ -> ok <- false

        if ok then Some state else None

    try
        exec fde.Initial initial initial
        |> Option.bind (fun cieRules -> exec fde.Instructions cieRules cieRules)
    with :? System.IndexOutOfRangeException ->
        None

/// The caller's registers and pc: given the callee's pc, its registers (x0..x31, None when
/// unknown) and a reader of 8-byte words of memory. None when the frame cannot be unwound (no FDE
/// for pc, an unsupported rule, an unreadable save slot, or no return address).
let unwind (t: Table) (pc: uint64) (regs: uint64 option[]) (read8: uint64 -> uint64 option) : (uint64 * uint64 option[]) option =
    match fdeAt t pc with
    | None -> None
    | Some fde ->
        match rulesAt fde pc with
        | Some rules when rules.CfaKnown && rules.CfaRegister < 32 ->
            match regs[rules.CfaRegister] with
            | None -> None
            | Some cfaBase ->
                let cfa = cfaBase + uint64 rules.CfaOffset

                let recover (reg: int) : uint64 option =
                    match rules.Registers.TryFind reg with
                    | None
                    | Some SameValue -> regs[reg]
                    | Some Undefined -> None
                    | Some(SavedAt off) -> read8 (cfa + uint64 off)
                    | Some(ValueOffset off) -> Some(cfa + uint64 off)
                    | Some(InRegister r) -> if r < 32 then regs[r] else None

                let caller = Array.init 32 (fun reg -> if reg = 2 then Some cfa elif reg = 0 then Some 0UL else recover reg)

                match recover fde.ReturnRegister with
                | Some ra -> Some(ra, caller)
                | None -> None
        | _ -> None
