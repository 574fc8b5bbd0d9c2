/// The compute-unit profile of a run (`thrumodel run --profile`): every step's compute units,
/// instruction, memory units and state units go to the call stack that made it, where the stack is
/// the program's functions (from the ELF's symbols) followed by the syscall when the step is an
/// ecall, and, across an invoke, the caller's stack, "syscall invoke", then the callee's functions.
///
/// The stack is followed as the run goes (as callgrind does), not unwound at every step: after a
/// call (jal/jalr that links ra or t0) the next function is pushed, after a return (jalr x0 through
/// ra or t0) the top is popped, and when the pc lands in another function without either (a tail
/// call, a jump) the top is replaced. The top is therefore always the function holding the pc.
/// Profiling only observes steps: the run and its result are the same as without it.
module Thru.Cli.Debug.Profile

open System.Collections.Generic
open Thru.Model.Isa
open Thru.Compare
open Thru.Cli.Debug.Target

/// The SDK's names of the 16 syscalls (docs/spec/syscalls.md §2).
let syscallName (n: uint64) =
    match n with
    | 0x00UL -> "set_anonymous_segment_sz"
    | 0x01UL -> "increment_anonymous_segment_sz"
    | 0x02UL -> "set_account_data_writable"
    | 0x03UL -> "account_transfer"
    | 0x04UL -> "account_create"
    | 0x05UL -> "account_create_ephemeral"
    | 0x06UL -> "account_delete"
    | 0x07UL -> "account_resize"
    | 0x08UL -> "account_compress"
    | 0x09UL -> "account_decompress"
    | 0x0AUL -> "invoke"
    | 0x0BUL -> "exit"
    | 0x0CUL -> "log"
    | 0x0DUL -> "emit_event"
    | 0x0EUL -> "account_set_flags"
    | 0x0FUL -> "account_create_eoa"
    | n -> sprintf "unknown_0x%x" n

/// What a stack (or a function) consumed.
type Counters =
    { mutable ComputeUnits: uint64
      mutable Instructions: int64
      mutable MemoryUnits: uint64
      mutable StateUnits: uint64 }

module Counters =
    let zero () = { ComputeUnits = 0UL; Instructions = 0L; MemoryUnits = 0UL; StateUnits = 0UL }

    let add (c: Counters) (cu: uint64) (instructions: int64) (mu: uint64) (su: uint64) =
        c.ComputeUnits <- c.ComputeUnits + cu
        c.Instructions <- c.Instructions + instructions
        c.MemoryUnits <- c.MemoryUnits + mu
        c.StateUnits <- c.StateUnits + su

/// How an instruction moves the call stack.
type private Flow =
    | Call
    | Return
    | Other

let private flowOf (bits: uint32) (length: int) =
    let instr =
        match length with
        | 4 ->
            match Decode.decode (uint16 bits) (uint16 (bits >>> 16)) with
            | Full i -> Some i
            | _ -> None
        | 2 ->
            match Decode.decode16 (uint16 bits) with
            | Compressed c -> Some(Expand.expand c)
            | _ -> None
        | _ -> None

    // The RISC-V return-address-stack hints (unprivileged ISA, JALR): a link register is x1 or x5.
    let link (r: Reg) = r = 1 || r = 5

    match instr with
    | Some(JAL(rd, _)) when link rd -> Call
    | Some(JALR(rd, _, _)) when link rd -> Call
    | Some(JALR(0, rs1, _)) when link rs1 -> Return
    | _ -> Other

/// A profiler: observe every step (`Observe`), then read the totals and the stacks.
type Profiler(programs: Programs.Resolver, target: IDebugTarget) =
    /// Per call depth (outermost first): the program and its function stack (innermost first).
    let mutable levels: (int * string list) list = []
    let mutable lastFlow = Other
    let mutable cachedKey: string = null
    let stacks = Dictionary<string, Counters>()
    let calls = Dictionary<string, int64>()
    let total = Counters.zero ()

    let functionName (programIdx: int) (pc: uint64) =
        let prefix = if programIdx = 1 then "" else Programs.programName programs target programIdx + ":"

        match Programs.infoFor programs target programIdx with
        | Some info ->
            match SourceMap.functionAt info pc with
            | Some(s, _) -> prefix + s.Name
            | None -> prefix + sprintf "0x%x" pc
        | None -> Programs.programName programs target programIdx

    let countCall (name: string) =
        calls[name] <- (match calls.TryGetValue name with | true, n -> n + 1L | _ -> 1L)

    /// The function stack of the current level after this step's flow, with `fn` on top.
    let reconcile (stack: string list) (fn: string) =
        match lastFlow, stack with
        | Call, _ ->
            countCall fn
            fn :: stack
        | Return, _ :: (top :: _ as rest) when top = fn -> rest
        | Return, _ :: rest ->
            match rest with
            | _ :: below -> fn :: below
            | [] -> countCall fn; [ fn ]
        | _, top :: _ when top = fn -> stack
        | _, _ :: rest -> fn :: rest
        | _, [] ->
            countCall fn
            [ fn ]

    /// The key of a full stack: frames outermost first, separated by ';' (folded-stack format).
    let key (levels: (int * string list) list) (syscall: uint64 option) =
        let parts =
            [ for i, (_, frames) in List.indexed levels do
                  if i > 0 then yield "syscall invoke"
                  yield! List.rev frames
              match syscall with
              | Some n -> yield "syscall " + syscallName n
              | None -> () ]

        String.concat ";" parts

    /// Count one step.
    member _.Add(e: StepEvent) =
        // Levels follow the call depth: an invoke adds one, an exit from a callee removes one.
        while levels.Length > e.Depth do
            levels <- List.take (levels.Length - 1) levels
            lastFlow <- Other
            cachedKey <- null

        while levels.Length < e.Depth do
            levels <- levels @ [ e.ProgramIdx, [] ]
            lastFlow <- Other
            cachedKey <- null

        let programIdx, stack = List.last levels
        let fn = functionName e.ProgramIdx e.Pc
        let stack' = reconcile (if programIdx = e.ProgramIdx then stack else []) fn

        // The levels and their key change only at calls, returns and jumps between functions.
        if programIdx <> e.ProgramIdx || not (obj.ReferenceEquals(stack', stack)) || isNull cachedKey then
            levels <- List.take (levels.Length - 1) levels @ [ e.ProgramIdx, stack' ]
            cachedKey <- key levels None

        lastFlow <- flowOf e.Bits e.Length

        let k =
            match e.Syscall with
            | Some n -> cachedKey + (if cachedKey = "" then "" else ";") + "syscall " + syscallName n
            | None -> cachedKey

        let c =
            match stacks.TryGetValue k with
            | true, c -> c
            | _ ->
                let c = Counters.zero ()
                stacks[k] <- c
                c

        Counters.add c e.ComputeUnits e.Instructions e.MemoryUnits e.StateUnits
        Counters.add total e.ComputeUnits e.Instructions e.MemoryUnits e.StateUnits

    /// Observe a step outcome (for `Session.runToEnd` and `Session.resume`).
    member this.Observe(o: StepOutcome) =
        match o with
        | Continues e
        | Ends(e, _) -> this.Add e

    /// The stack of the last step, frames outermost first, separated by ';' (the syscall excluded).
    member _.CurrentStack = cachedKey

    /// The sums over every step.
    member _.Total = total

    /// Every stack (frames separated by ';', outermost first) and what it consumed itself.
    member _.Stacks: (string * Counters) list = [ for kv in stacks -> kv.Key, kv.Value ] |> List.sortBy fst

    /// How many times each function was entered (calls, and the first frame of each program).
    member _.Calls = calls

/// One row of the table.
type Row =
    { Name: string
      Inclusive: Counters
      Exclusive: Counters
      Calls: int64 }

/// Per function and syscall: inclusive (the stacks it appears in, counted once each) and
/// exclusive (the stacks it tops) totals, sorted by inclusive compute units.
let rows (p: Profiler) : Row list =
    let inclusive = Dictionary<string, Counters>()
    let exclusive = Dictionary<string, Counters>()

    let bump (d: Dictionary<string, Counters>) (name: string) (c: Counters) =
        let t =
            match d.TryGetValue name with
            | true, t -> t
            | _ ->
                let t = Counters.zero ()
                d[name] <- t
                t

        Counters.add t c.ComputeUnits c.Instructions c.MemoryUnits c.StateUnits

    for stack, c in p.Stacks do
        let frames = stack.Split ';'
        for name in Array.distinct frames do
            bump inclusive name c
        bump exclusive frames[frames.Length - 1] c

    [ for kv in inclusive ->
          { Name = kv.Key
            Inclusive = kv.Value
            Exclusive = (match exclusive.TryGetValue kv.Key with | true, c -> c | _ -> Counters.zero ())
            Calls = (match p.Calls.TryGetValue kv.Key with | true, n -> n | _ -> 0L) } ]
    |> List.sortBy (fun r -> -(int64 r.Inclusive.ComputeUnits), r.Name)

/// The table `thrumodel run --profile` prints.
let table (p: Profiler) (implementation: string) : string list =
    let t = p.Total
    let pct (v: uint64) = if t.ComputeUnits = 0UL then 0.0 else 100.0 * float v / float t.ComputeUnits

    [ yield sprintf "profile (%s): %d compute units, %d instructions, %d memory units, %d state units" implementation t.ComputeUnits t.Instructions t.MemoryUnits t.StateUnits
      yield sprintf "  %12s %6s  %12s %6s  %12s  %6s  %4s  %4s  %s" "inclusive CU" "%" "exclusive CU" "%" "instructions" "calls" "MU" "SU" "function or syscall"

      for r in rows p do
          yield
              sprintf "  %12d %5.1f%%  %12d %5.1f%%  %12d  %6s  %4d  %4d  %s"
                  r.Inclusive.ComputeUnits (pct r.Inclusive.ComputeUnits)
                  r.Exclusive.ComputeUnits (pct r.Exclusive.ComputeUnits)
                  r.Inclusive.Instructions
                  (if r.Calls > 0L then string r.Calls else "")
                  r.Inclusive.MemoryUnits r.Inclusive.StateUnits r.Name ]

/// Folded stacks ("frame;frame;frame weight" per line, weighted by compute units), as
/// flamegraph.pl, speedscope and inferno read them.
let folded (p: Profiler) : string =
    p.Stacks
    |> List.filter (fun (_, c) -> c.ComputeUnits > 0UL)
    |> List.map (fun (stack, c) -> sprintf "%s %d" stack c.ComputeUnits)
    |> String.concat "\n"
    |> fun s -> s + "\n"

/// The speedscope file format (https://www.speedscope.app/file-format-schema.json): one sampled
/// profile per unit (compute units, instructions, and memory and state units when any), each
/// stack a sample weighted by what it consumed. Frames carry the function's file and line.
let speedscope (p: Profiler) (name: string) (frameLocation: string -> (string * int) option) : System.Text.Json.Nodes.JsonObject =
    let stacks = p.Stacks
    let frameNames = stacks |> List.collect (fun (s, _) -> List.ofArray (s.Split ';')) |> List.distinct
    let index = frameNames |> List.mapi (fun i n -> n, i) |> Map

    let frame (n: string) : System.Text.Json.Nodes.JsonNode =
        match frameLocation n with
        | Some(file, line) -> Json.obj [ "name", Json.str n; "file", Json.str file; "line", Json.num (int64 line) ]
        | None -> Json.obj [ "name", Json.str n ]

    let profile (unit: string) (weight: Counters -> int64) : System.Text.Json.Nodes.JsonNode =
        let weighted = stacks |> List.filter (fun (_, c) -> weight c > 0L)
        let total = weighted |> List.sumBy (snd >> weight)

        Json.obj
            [ "type", Json.str "sampled"
              "name", Json.str (sprintf "%s (%s)" name unit)
              "unit", Json.str "none"
              "startValue", Json.num 0L
              "endValue", Json.num total
              "samples", Json.arr [ for s, _ in weighted -> Json.arr [ for f in s.Split ';' -> Json.num (int64 index[f]) ] ]
              "weights", Json.arr [ for _, c in weighted -> Json.num (weight c) ] ]

    let t = p.Total

    Json.obj
        [ "$schema", Json.str "https://www.speedscope.app/file-format-schema.json"
          "name", Json.str name
          "exporter", Json.str "thrumodel"
          "activeProfileIndex", Json.num 0L
          "shared", Json.obj [ "frames", Json.arr (frameNames |> List.map frame) ]
          "profiles",
          Json.arr
              [ yield profile "compute units" (fun c -> int64 c.ComputeUnits)
                yield profile "instructions" (fun c -> c.Instructions)
                if t.MemoryUnits > 0UL then yield profile "memory units" (fun c -> int64 c.MemoryUnits)
                if t.StateUnits > 0UL then yield profile "state units" (fun c -> int64 c.StateUnits) ] ]
