/// Source-level reports: where a run stopped (function, file:line), the call stack and the last
/// instructions, from the ELF's symbols, line table and `.debug_frame` (see SourceMap, Cfi).
///
/// The call stack within one program is unwound with the call-frame information of its ELF (the
/// SDK keeps no frame pointer: -O2 omits it); across programs it follows the Thru shadow stack:
/// each caller's frame starts at its invoke's ecall, with the registers saved there.
module Thru.Cli.Debug.Report

open Thru.Cli.Debug.Target
open Thru.Cli.Debug.SourceMap

/// One frame of a call stack.
type SourceFrame =
    { ProgramIdx: int
      Depth: int
      /// The instruction (innermost frame of a program) or the return address (frames above).
      Pc: uint64
      /// Function name and pc's offset in it.
      Function: (string * uint64) option
      /// Source file and line (of the call, for a return address).
      Line: (string * int) option
      /// A function inlined into the next frame's (same pc; DW_TAG_inlined_subroutine).
      Inlined: bool }

/// The most frames shown.
let maxFrames = 64

let private describeAt (info: DebugInfo option) (pc: uint64) (lookup: uint64) =
    match info with
    | None -> None, None
    | Some i ->
        let f = SourceMap.functionAt i lookup |> Option.map (fun (s, _) -> s.Name, pc - s.Address)
        f, SourceMap.lineAt i lookup

/// The call stack of the target as it stands, innermost first.
let callStack (programs: Programs.Resolver) (t: IDebugTarget) : SourceFrame list =
    let read8 (a: uint64) =
        match t.Read(a, 8) with
        | b, None when b.Length = 8 -> Some(System.BitConverter.ToUInt64(b, 0))
        | _ -> None

    let programFrames (f: ProgramFrame) : SourceFrame list =
        let info = Programs.infoFor programs t f.ProgramIdx

        // One frame per function at pc: the functions inlined there (innermost first, each at
        // the line where the next one is called), then the real function, at the call of the
        // outermost inlined one.
        let frames pc lookup =
            let fn, line = describeAt info pc lookup
            let chain = info |> Option.map (fun i -> SourceMap.inlinesAt i lookup) |> Option.defaultValue [] |> List.rev

            let make fn line inlined =
                { ProgramIdx = f.ProgramIdx
                  Depth = f.Depth
                  Pc = pc
                  Function = fn
                  Line = line
                  Inlined = inlined }

            let lines = line :: (chain |> List.map (fun i -> Some(i.CallFile, i.CallLine)))
            let names = (chain |> List.map (fun i -> Some(i.Name, 0UL), true)) @ [ fn, false ]
            List.map2 (fun (n, inlined) l -> make n l inlined) names lines

        let cfi = info |> Option.bind (fun i -> i.Frames)

        // Unwind: the innermost frame is looked up at its pc, a return address at ra - 1 (the call
        // may be the last instruction of a function that does not return).
        let rec walk (pc: uint64) (lookup: uint64) (regs: uint64 option[]) (n: int) acc =
            let acc = List.rev (frames pc lookup) @ acc

            if n >= maxFrames then
                List.rev acc
            else
                match cfi |> Option.bind (fun c -> Cfi.unwind c lookup regs read8) with
                | Some(ra, caller) when ra <> 0UL && ra <> pc -> walk ra (ra - 1UL) caller (n + 1) acc
                | Some _ -> List.rev acc
                | None when n = 0 ->
                    // No call-frame information at the innermost pc (a jump to an address without
                    // code, or assembly without CFI): ra is the best guess for the caller.
                    let ra = f.Registers[1]
                    let known = cfi |> Option.exists (fun c -> (Cfi.fdeAt c (ra - 1UL)).IsSome)
                    if known && ra <> pc then walk ra (ra - 1UL) (Array.map Some f.Registers) (n + 1) acc else List.rev acc
                | None -> List.rev acc

        walk f.Pc f.Pc (f.Registers |> Array.map Some) 0 []

    t.Frames() |> List.collect programFrames |> List.truncate maxFrames

/// A frame in one line: "#0  0x30000a8 start+0x30 at fault_misaligned/fault_misaligned.c:24".
let describeFrame (programs: Programs.Resolver) (t: IDebugTarget) (showProgram: bool) (i: int) (f: SourceFrame) =
    let where =
        match f.Function with
        | Some(name, _) when f.Inlined -> name + " (inlined)"
        | Some(name, 0UL) -> name
        | Some(name, off) -> sprintf "%s+0x%x" name off
        | None -> "??"

    let line = f.Line |> Option.map (fun (file, l) -> sprintf " at %s:%d" file l) |> Option.defaultValue ""
    let program = if showProgram then sprintf " [%s, depth %d]" (Programs.programName programs t f.ProgramIdx) f.Depth else ""
    sprintf "#%-2d 0x%x %s%s%s" i f.Pc where line program

/// The last instructions of a run: a ring of the most recent step events.
type Recent(capacity: int) =
    let ring = Array.zeroCreate<StepEvent> (max capacity 1)
    let mutable count = 0L

    member _.Capacity = capacity

    /// Record a step.
    member _.Add(e: StepEvent) =
        if capacity > 0 then
            ring[int (count % int64 capacity)] <- e
            count <- count + 1L

    /// Observe a step outcome (for `Session.runToEnd` and `Session.resume`).
    member this.Observe(o: StepOutcome) =
        match o with
        | Continues e
        | Ends(e, _) -> if e.Length > 0 then this.Add e

    /// The recorded steps, oldest first.
    member _.Items: StepEvent list =
        let n = int (min count (int64 capacity))
        [ for i in 0 .. n - 1 -> ring[int ((count - int64 n + int64 i) % int64 capacity)] ]

/// One recorded instruction in a line: address, bits, disassembly, function and source line.
let describeStep (programs: Programs.Resolver) (t: IDebugTarget) (e: StepEvent) =
    let info = Programs.infoFor programs t e.ProgramIdx
    let fn, line = describeAt info e.Pc e.Pc
    let bits = if e.Length = 2 then sprintf "%04x" e.Bits else sprintf "%08x" e.Bits

    let where =
        [ match fn with
          | Some(name, off) -> yield sprintf "%s+0x%x" name off
          | None -> ()
          match line with
          | Some(file, l) -> yield sprintf "%s:%d" (System.IO.Path.GetFileName file) l
          | None -> () ]
        |> String.concat " "

    sprintf "0x%x  %-8s  %-30s %s" e.Pc bits (disassemble e.Pc e.Bits e.Length) where

/// Whether an ending deserves a report (everything but a successful exit).
let reportable (e: Ending) =
    match e with
    | Exit _ -> false
    | _ -> true

/// The report of an ending: where, the call stack and the last instructions, as lines
/// "label:  text" in the style of `thrumodel run`.
let lines (programs: Programs.Resolver) (t: IDebugTarget) (ending: Ending) (recent: Recent option) : string list =
    let stack = callStack programs t
    let showProgram = stack |> List.exists (fun f -> f.Depth > 1)
    let pad (label: string) = (label + ":").PadRight 18

    // Where: the innermost function that is not inlined, at its line (for code inlined from the
    // SDK's headers, the line of the call in the program's own function).
    let whereText =
        match stack |> List.skipWhile (fun f -> f.Inlined) with
        | f :: _ ->
            let fn = f.Function |> Option.map fst |> Option.defaultValue "??"
            let line = f.Line |> Option.map (fun (file, l) -> sprintf " at %s:%d" file l) |> Option.defaultValue ""
            sprintf "%s%s (pc 0x%x, %s)" fn line f.Pc (Programs.programName programs t f.ProgramIdx)
        | [] -> sprintf "pc 0x%x" t.Pc

    let what =
        match ending with
        | Revert _ -> "reverted at"
        | ComputeExhausted -> "out of CU at"
        | StateExhausted -> "out of SU at"
        | StepLimit -> "step limit at"
        | _ -> "faulted at"

    [ yield pad what + whereText
      yield!
          stack
          |> List.mapi (fun i f -> (if i = 0 then pad "call stack" else String.replicate 18 " ") + describeFrame programs t showProgram i f)
      match recent with
      | Some r when not r.Items.IsEmpty ->
          let items = r.Items
          yield pad (sprintf "last %d instrs" items.Length) + "(oldest first; the last one ended the run)"

          for e in items do
              yield String.replicate 18 " " + describeStep programs t e
      | _ -> () ]
