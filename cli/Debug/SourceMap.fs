/// What an ELF tells about a Thru program: its functions (the symbol table), the source line of
/// every address (the DWARF line table) and how to unwind a frame (`.debug_frame`, see Cfi).
///
/// The ELF and its line table are read with LibObjectFile (BSD-2-Clause, a maintained .NET library
/// for ELF and DWARF, which `thrumodel raw` and `disasm` use for ELF executables too, cli/Elf.fs).
/// LibObjectFile 2.3.1 reads DWARF line tables up to version 4, so the SDK compiles with
/// `-gdwarf-4` (sdk/sdk.mk): the images are byte for byte the same, only the debug sections differ.
/// An ELF built with DWARF 5 still gives function names; its lines are reported as unavailable,
/// with the fix.
module Thru.Cli.Debug.SourceMap

open System.IO
open LibObjectFile.Elf
open LibObjectFile.Dwarf

/// A function of the symbol table.
type Symbol =
    { Name: string
      Address: uint64
      Size: uint64 }

/// One row of the line table: the code from Address up to the next row is from File:Line.
type LineRow =
    { Address: uint64
      File: string
      Line: int }

/// A function inlined into another (DW_TAG_inlined_subroutine): where its code is, and the call
/// it replaces.
type Inline =
    { Name: string
      /// Address ranges [start, end) of its code.
      Ranges: (uint64 * uint64) list
      CallFile: string
      CallLine: int
      /// Nesting: 1 for a function inlined into a real one, 2 for one inlined into that, …
      Depth: int }

/// The debug information of one program's ELF.
type DebugInfo =
    {
        /// The ELF's path, as given.
        Path: string
        /// Functions (STT_FUNC), sorted by address.
        Functions: Symbol[]
        /// Line rows, sorted by address; each sequence of the table ends with a row whose File is "".
        Lines: LineRow[]
        /// The call-frame table, when the ELF has `.debug_frame`.
        Frames: Cfi.Table option
        /// Inlined functions (from `.debug_info`), for the inline frames of a call stack.
        Inlines: Inline[]
        /// The bytes the ELF places in the program segment (from offset 0, gaps zero-filled).
        Segment: byte[]
        /// What is missing, in words (no symbols, no line table, no .debug_frame).
        Warnings: string list
    }

/// The program segment's base address (docs/spec/memory.md §2): the SDK links code at 0x3000000.
let programBase = 0x3000000UL

let private sectionBytes (s: ElfSection) : byte[] option =
    match s with
    | :? ElfStreamSection as ss when not (isNull ss.Stream) ->
        use m = new MemoryStream()
        ss.Stream.Position <- 0L
        ss.Stream.CopyTo m
        Some(m.ToArray())
    | _ -> None

/// A file name of the line table as a person reads it: "dir/name" for a directory relative to the
/// compilation directory, a path relative to the working directory when the file lies under it,
/// else the full path.
let private displayName (f: DwarfFileName) =
    let dir = if isNull f.Directory then "" else f.Directory

    let full =
        if Path.IsPathRooted f.Name || dir = "" then f.Name else Path.Combine(dir, f.Name)

    if Path.IsPathRooted full then
        let rel = Path.GetRelativePath(System.Environment.CurrentDirectory, full)
        if rel.StartsWith ".." then full else rel
    else
        full

/// The version of the first line-table unit (bytes 4..5 of its header; 32-bit DWARF).
let private lineTableVersion (section: byte[]) =
    if section.Length < 6 then 0
    elif System.BitConverter.ToUInt32(section, 0) = 0xFFFFFFFFu then (if section.Length >= 14 then int (System.BitConverter.ToUInt16(section, 12)) else 0)
    else int (System.BitConverter.ToUInt16(section, 4))

let private lineTableVersionOf (s: ElfSection option) =
    match s |> Option.bind sectionBytes with
    | Some b -> lineTableVersion b
    | None -> 0

let private readLines (section: byte[]) : Result<LineRow[], string> =
    let version = lineTableVersion section

    if version >= 5 then
        Error(sprintf "its line table is DWARF %d, which the DWARF reader (LibObjectFile 2.3.1) cannot read: rebuild with -gdwarf-4 (sdk/sdk.mk does)" version)
    else
        try
            let ctx = DwarfReaderContext()
            ctx.IsLittleEndian <- true
            ctx.AddressSize <- DwarfAddressSize.Bit64
            ctx.DebugLineStream <- new MemoryStream(section)
            let dwarf = DwarfFile.Read ctx

            let rows =
                [| for table in dwarf.LineSection.LineTables do
                       for sequence in table.LineSequences do
                           let lines = sequence.Lines

                           // Sequences of functions the linker dropped (--gc-sections) start at 0.
                           if lines.Count > 1 && lines[0].Address >= programBase then
                               for i in 0 .. lines.Count - 2 do
                                   let l = lines[i]
                                   yield { Address = l.Address; File = (if isNull l.File then "?" else displayName l.File); Line = int l.Line }

                               yield { Address = lines[lines.Count - 1].Address; File = ""; Line = 0 } |]

            // A stable sort (List.sortBy): rows at one address keep their order, the last one being
            // the one that holds; the end of a sequence sorts before a row of the next one.
            Ok(rows |> List.ofArray |> List.sortBy (fun r -> r.Address, (if r.File = "" then 0 else 1)) |> Array.ofList)
        with e ->
            Error(sprintf "its line table cannot be read (%s)" e.Message)

/// `.debug_ranges` (DWARF 4 §2.17.3): from `offset`, pairs of addresses (relative to `cuBase`)
/// up to a (0, 0) pair; a pair starting with all ones selects a new base.
let private rangesAt (section: byte[]) (offset: int) (cuBase: uint64) : (uint64 * uint64) list =
    let rec go (o: int) (b: uint64) acc =
        if o + 16 > section.Length then List.rev acc
        else
            let lo = System.BitConverter.ToUInt64(section, o)
            let hi = System.BitConverter.ToUInt64(section, o + 8)

            if lo = 0UL && hi = 0UL then List.rev acc
            elif lo = System.UInt64.MaxValue then go (o + 16) hi acc
            else go (o + 16) b ((b + lo, b + hi) :: acc)

    go offset cuBase []

/// The inlined functions of `.debug_info` (read with LibObjectFile; its location lists are left
/// out, which LibObjectFile 2.3.1 cannot read for GCC's output and which are not needed here).
let private readInlines (elf: ElfFile) (ranges: byte[] option) : Result<Inline[], string> =
    try
        // The sections' streams were read already (sectionBytes): rewind them for LibObjectFile.
        for section in elf.Sections do
            match section with
            | :? ElfStreamSection as ss when not (isNull ss.Stream) -> ss.Stream.Position <- 0L
            | _ -> ()

        let ctx = DwarfElfContext(elf)
        ctx.RemoveLocationSection()
        let dwarf = DwarfFile.ReadFromElf ctx
        let attr (d: DwarfDIE) (name: string) = d.Attributes |> Seq.tryFind (fun a -> string a.Kind = name)

        let found = ResizeArray<Inline>()

        for unit in dwarf.InfoSection.Units do
            match unit.Root with
            | :? DwarfDIECompileUnit as cu ->
                let files = if isNull cu.StmtList then [||] else Array.ofSeq cu.StmtList.FileNames
                let cuBase = attr cu "DW_AT_low_pc" |> Option.map (fun a -> a.ValueAsU64) |> Option.defaultValue 0UL

                let rec walk (d: DwarfDIE) (depth: int) =
                    let depth =
                        match d with
                        | :? DwarfDIEInlinedSubroutine ->
                            let low = attr d "DW_AT_low_pc" |> Option.map (fun a -> a.ValueAsU64)

                            let high =
                                attr d "DW_AT_high_pc"
                                |> Option.map (fun a -> if string a.Form = "DW_FORM_addr" then a.ValueAsU64 else defaultArg low 0UL + a.ValueAsU64)

                            let spans =
                                match low, high, attr d "DW_AT_ranges", ranges with
                                | Some l, Some h, _, _ -> [ l, h ]
                                | _, _, Some r, Some section -> rangesAt section (int r.ValueAsU64) cuBase
                                | _ -> []

                            let name =
                                match attr d "DW_AT_abstract_origin" |> Option.map (fun a -> a.ValueAsObject) with
                                | Some(:? DwarfDIESubprogram as sp) when not (isNull sp.Name) -> sp.Name
                                | _ -> "??"

                            let file =
                                match attr d "DW_AT_call_file" with
                                | Some a when a.ValueAsU64 >= 1UL && int a.ValueAsU64 <= files.Length -> displayName files[int a.ValueAsU64 - 1]
                                | _ -> "?"

                            let line = attr d "DW_AT_call_line" |> Option.map (fun a -> int a.ValueAsU64) |> Option.defaultValue 0

                            if not spans.IsEmpty then
                                found.Add { Name = name; Ranges = spans; CallFile = file; CallLine = line; Depth = depth + 1 }

                            depth + 1
                        | _ -> depth

                    for c in d.Children do
                        walk c depth

                walk cu 0
            | _ -> ()

        Ok(found.ToArray())
    with e ->
        Error(sprintf "its .debug_info cannot be read (%s): no inline frames" e.Message)

/// Read an ELF's symbols, line table and call-frame table. Error (one line) when the file cannot
/// be read or is not a 64-bit little-endian RISC-V ELF; a missing symbol table, line table or
/// `.debug_frame` is only a warning.
let load (path: string) : Result<DebugInfo, string> =
    let bytes =
        try
            Ok(File.ReadAllBytes path)
        with
        | :? FileNotFoundException -> Error(sprintf "cannot read %s: no such file" path)
        | :? DirectoryNotFoundException -> Error(sprintf "cannot read %s: no such directory" path)
        | :? System.UnauthorizedAccessException -> Error(sprintf "cannot read %s: permission denied (or it is a directory)" path)
        | :? IOException as e -> Error(sprintf "cannot read %s: %s" path e.Message)

    match bytes with
    | Error e -> Error e
    | Ok bytes ->
        use stream = new MemoryStream(bytes)

        if not (ElfFile.IsElf stream) then
            Error(sprintf "%s is not an ELF file" path)
        else
            stream.Position <- 0L
            let mutable elf = Unchecked.defaultof<ElfFile>
            let mutable diagnostics = Unchecked.defaultof<LibObjectFile.Diagnostics.DiagnosticBag>

            let ok =
                try
                    ElfFile.TryRead(stream, &elf, &diagnostics, ElfReaderOptions())
                with _ ->
                    false

            if not ok || isNull elf then
                Error(sprintf "%s: the ELF file is malformed" path)
            elif elf.FileClass <> ElfFileClass.Is64 || elf.Encoding <> ElfEncoding.Lsb || elf.Arch <> ElfArchEx(ElfArch.RISCV) then
                Error(sprintf "%s is not a 64-bit little-endian RISC-V ELF (it is %O %O %O)" path elf.FileClass elf.Encoding elf.Arch)
            else
                let sections = List.ofSeq elf.Sections
                let named (n: string) = sections |> List.tryFind (fun s -> not (isNull s.Name.Value) && s.Name.Value = n)

                let functions =
                    sections
                    |> List.tryPick (function
                        | :? ElfSymbolTable as t -> Some t
                        | _ -> None)
                    |> Option.map (fun t ->
                        [| for e in t.Entries do
                               if e.Type = ElfSymbolType.Function && not (isNull e.Name.Value) && e.Name.Value <> "" then
                                   yield { Name = e.Name.Value; Address = e.Value; Size = e.Size } |]
                        |> Array.sortBy (fun s -> s.Address))

                let lines =
                    match named ".debug_line" |> Option.bind sectionBytes with
                    | None -> Error "it has no line table (.debug_line): build with -g"
                    | Some section -> readLines section

                let frames =
                    match named ".debug_frame" |> Option.bind sectionBytes with
                    | None -> Error "it has no .debug_frame: build with -g (call stacks show the faulting function only)"
                    | Some section -> Cfi.parse section |> Result.mapError (sprintf "its .debug_frame cannot be read (%s)")

                let inlines =
                    match named ".debug_info" with
                    | None -> Ok [||]
                    | Some _ when lineTableVersionOf (named ".debug_line") >= 5 -> Ok [||]
                    | Some _ -> readInlines elf (named ".debug_ranges" |> Option.bind sectionBytes)

                let segment =
                    let placed =
                        [ for s in sections do
                              if s.Flags.HasFlag ElfSectionFlags.Alloc && s.Type <> ElfSectionType.NoBits && s.VirtualAddress >= programBase then
                                  match sectionBytes s with
                                  | Some b -> yield int (s.VirtualAddress - programBase), b
                                  | None -> () ]

                    let size = placed |> List.fold (fun m (o, b) -> max m (o + b.Length)) 0
                    let image = Array.zeroCreate<byte> size
                    for o, b in placed do
                        Array.blit b 0 image o b.Length
                    image

                let warnings =
                    [ match functions with
                      | None
                      | Some [||] -> yield "it has no symbol table (stripped?): no function names"
                      | _ -> ()
                      match lines with
                      | Error e -> yield e
                      | Ok _ -> ()
                      match frames with
                      | Error e -> yield e
                      | Ok _ -> ()
                      match inlines with
                      | Error e -> yield e
                      | Ok _ -> () ]

                Ok
                    { Path = path
                      Functions = defaultArg functions [||]
                      Lines = (match lines with Ok l -> l | Error _ -> [||])
                      Frames = (match frames with Ok f -> Some f | Error _ -> None)
                      Inlines = (match inlines with Ok i -> i | Error _ -> [||])
                      Segment = segment
                      Warnings = warnings }

/// Whether the ELF is the program whose segment is `segment` (the executable after its 8-byte
/// header): Error names the first difference.
let matches (info: DebugInfo) (segment: byte[]) : Result<unit, string> =
    if info.Segment.Length = 0 then
        Error(sprintf "%s places nothing at 0x%x: it is not a Thru program linked with sdk/thru.ld" info.Path programBase)
    else
        let n = min info.Segment.Length segment.Length
        let first = Seq.init n id |> Seq.tryFind (fun i -> info.Segment[i] <> segment[i])

        match first with
        | Some i -> Error(sprintf "%s does not match the program: its byte at 0x%x differs from the image's (rebuilt since?)" info.Path (programBase + uint64 i))
        | None when info.Segment.Length <> segment.Length ->
            Error(sprintf "%s does not match the program: it lays out %d bytes, the program segment has %d" info.Path info.Segment.Length segment.Length)
        | None -> Ok()

/// The function holding `pc` and pc's offset in it.
let functionAt (info: DebugInfo) (pc: uint64) : (Symbol * uint64) option =
    // The last function starting at or before pc; pc must lie inside it (size 0: up to the next).
    let fs = info.Functions
    let mutable lo = 0
    let mutable hi = fs.Length - 1
    let mutable found = -1

    while lo <= hi do
        let mid = (lo + hi) / 2
        if fs[mid].Address <= pc then
            found <- mid
            lo <- mid + 1
        else
            hi <- mid - 1

    if found < 0 then
        None
    else
        let f = fs[found]
        let inside = if f.Size > 0UL then pc < f.Address + f.Size else found + 1 >= fs.Length || pc < fs[found + 1].Address
        if inside then Some(f, pc - f.Address) else None

/// The source file and line of `pc`.
let lineAt (info: DebugInfo) (pc: uint64) : (string * int) option =
    let rows = info.Lines
    let mutable lo = 0
    let mutable hi = rows.Length - 1
    let mutable found = -1

    while lo <= hi do
        let mid = (lo + hi) / 2
        if rows[mid].Address <= pc then
            found <- mid
            lo <- mid + 1
        else
            hi <- mid - 1

    if found < 0 || rows[found].File = "" then None else Some(rows[found].File, rows[found].Line)

/// The functions inlined at `pc`, outermost first (empty when pc is in no inlined code).
let inlinesAt (info: DebugInfo) (pc: uint64) : Inline list =
    info.Inlines
    |> Array.filter (fun i -> i.Ranges |> List.exists (fun (lo, hi) -> lo <= pc && pc < hi))
    |> Array.sortBy (fun i -> i.Depth)
    |> List.ofArray
