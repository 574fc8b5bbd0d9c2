/// The comparable trace: one record per executed instruction, the same for every engine (the
/// model's Trace.Event, the engine's traced run, an external adapter's JSON), its two formats
/// (JSON Lines, and Spike's commit log as text) and the first divergence of two traces.
///
/// A trace says which fields it reports ("regs", "mem", "cu", "syscall", "frame"): an engine that
/// cannot see memory accesses simply does not report "mem", and two traces are compared on the
/// fields both report.
module Thru.Compare.TraceRecord

open System.Text.Json
open System.Text.Json.Nodes
open Thru.Model
open Thru.Model.Isa

type Mem =
    { Write: bool
      Address: uint64
      Size: int
      Value: uint64 }

type Syscall =
    { Number: uint64
      Args: uint64 list
      /// "returned", "entered-callee", "returned-to-caller" or "ended: <why>".
      Outcome: string
      /// a0 and a1 after the syscall when it returned in the same frame.
      Ret: (uint64 * uint64) option }

type Frame =
    { Kind: string
      Depth: int
      ProgramIdx: int option }

type Step =
    { Index: int64
      Pc: uint64
      Bits: uint32
      Length: int
      Regs: (int * uint64) list
      Mem: Mem list
      Cu: (uint64 * uint64) option
      Syscall: Syscall option
      Frame: Frame option
      Trap: string option
      Depth: int }

type Trace =
    { Engine: string
      /// The fields this trace reports besides pc, bits and length.
      Reports: string list
      Steps: Step list
      /// How the run ended, in words.
      End: string }

let allFields = [ "regs"; "mem"; "cu"; "syscall"; "frame" ]

// ---------------------------------------------------------------------------------------
// From the model.
// ---------------------------------------------------------------------------------------

let private endingText (e: Runtime.Vm.Ending) =
    match e with
    | Runtime.Vm.Exited code -> sprintf "exit %d" code
    | Runtime.Vm.Reverted(code, p) -> sprintf "revert %d (program %d)" code p
    | Runtime.Vm.Faulted(t, p) -> sprintf "fault %s (program %d)" (TxnObservation.describeTrap t) p
    | Runtime.Vm.UnknownSyscall(num, p) -> sprintf "unknown syscall %d (program %d)" num p
    | Runtime.Vm.ComputeExhausted p -> sprintf "compute units exhausted (program %d)" p
    | Runtime.Vm.StateExhausted p -> sprintf "state units exhausted (program %d)" p

/// A model event as a record.
let ofModelEvent (e: Trace.Event) : Step =
    { Index = e.Index
      Pc = e.Pc
      Bits = e.Bits
      Length = e.Length
      Regs = e.RegWrites
      Mem = e.Accesses |> List.map (fun a -> { Write = a.Write; Address = a.Address; Size = a.Size; Value = a.Value })
      Cu = e.Cu
      Syscall =
        e.Syscall
        |> Option.map (fun s ->
            let outcome, ret =
                match s.Outcome with
                | Trace.Returned(a0, a1) -> "returned", Some(a0, a1)
                | Trace.EnteredCallee -> "entered-callee", None
                | Trace.ReturnedToCaller -> "returned-to-caller", None
                | Trace.EndedExecution ending -> "ended: " + endingText ending, None

            { Number = s.Number; Args = s.Args; Outcome = outcome; Ret = ret })
      Frame =
        e.Frame
        |> Option.map (fun f ->
            match f with
            | Trace.Invoked(p, d) -> { Kind = "invoke"; Depth = d; ProgramIdx = Some p }
            | Trace.ReturnedTo d -> { Kind = "return"; Depth = d; ProgramIdx = None })
      Trap = e.Trap |> Option.map TxnObservation.describeTrap
      Depth = e.Depth }

/// How a raw run ended, in the words of a trace's End (the same for every engine).
let rawEnd (o: RawObservation.RawObservation) : string =
    sprintf "%s%s at %s after %d instructions" o.Stop (o.Fault |> Option.map (sprintf " (%s)") |> Option.defaultValue "") (Hex.u64 o.Pc) o.Instructions

/// How a transaction ended, in the words of a trace's End (the same for every engine).
let txnEnd (o: TxnObservation.TxnObservation) (rejection: string option) : string =
    match rejection with
    | Some why -> sprintf "refused before execution: %s (%s)" (Runtime.Codes.txnErrorName o.VmError) why
    | None -> sprintf "%s, %d instructions, %d CU" (Runtime.Codes.txnErrorName o.VmError) o.Instructions o.ConsumedComputeUnits

/// The model's raw trace.
let ofModelRaw (t: Trace.RawTrace) : Trace =
    { Engine = "model"
      Reports = [ "regs"; "mem" ]
      Steps = t.Events |> List.map ofModelEvent
      End = rawEnd (RawObservation.ofModel t.Result) }

/// The model's transaction trace.
let ofModelTxn (r: Runtime.Execution.TxnResult) (events: Trace.Event list) : Trace =
    { Engine = "model"
      Reports = allFields
      Steps = events |> List.map ofModelEvent
      End = txnEnd (TxnObservation.ofModel r) r.Rejection }

// ---------------------------------------------------------------------------------------
// Disassembly.
// ---------------------------------------------------------------------------------------

/// The disassembly of a step's bits at its pc.
let disassemble (s: Step) : string =
    if s.Length = 2 then Disasm.decoded (Some s.Pc) s.Bits 2 (Decode.decode16 (uint16 s.Bits))
    else Disasm.decoded (Some s.Pc) s.Bits 4 (Decode.decode (uint16 s.Bits) (uint16 (s.Bits >>> 16)))

// ---------------------------------------------------------------------------------------
// JSON.
// ---------------------------------------------------------------------------------------

let private u (v: uint64) = Json.str (string v)

let stepJson (s: Step) : JsonObject =
    Json.obj
        [ "i", Json.num s.Index
          "pc", Json.hex s.Pc
          "bits", Json.str (if s.Length = 2 then sprintf "0x%04x" s.Bits else sprintf "0x%08x" s.Bits)
          "len", Json.num (int64 s.Length)
          "asm", Json.str (disassemble s)
          "depth", Json.num (int64 s.Depth)
          if not s.Regs.IsEmpty then "x", Json.arr [ for r, v in s.Regs -> Json.arr [ Json.num (int64 r); Json.hex v ] ]
          if not s.Mem.IsEmpty then
              "mem",
              Json.arr
                  [ for m in s.Mem ->
                        Json.obj [ "op", Json.str (if m.Write then "w" else "r"); "addr", Json.hex m.Address; "size", Json.num (int64 m.Size); "value", Json.hex m.Value ]
                        :> JsonNode ]
          match s.Cu with
          | Some(a, b) -> "cu", Json.arr [ Json.num (int64 a); Json.num (int64 b) ]
          | None -> ()
          match s.Syscall with
          | Some c ->
              "syscall",
              Json.obj
                  [ "a7", u c.Number
                    "args", Json.arr (c.Args |> List.map Json.hex)
                    "outcome", Json.str c.Outcome
                    match c.Ret with
                    | Some(a0, a1) -> "ret", Json.arr [ Json.hex a0; Json.hex a1 ]
                    | None -> () ]
          | None -> ()
          match s.Frame with
          | Some f -> "frame", Json.obj [ "kind", Json.str f.Kind; "depth", Json.num (int64 f.Depth); "program_idx", Json.opt (int64 >> Json.num) f.ProgramIdx ]
          | None -> ()
          match s.Trap with
          | Some t -> "trap", Json.str t
          | None -> () ]

/// The trace as one JSON object (the protocol's "trace" member).
let toJson (t: Trace) : JsonObject =
    Json.obj
        [ "engine", Json.str t.Engine
          "reports", Json.arr (t.Reports |> List.map Json.str)
          "steps", Json.arr [ for s in t.Steps -> stepJson s ]
          "end", Json.str t.End ]

/// JSON Lines: a header line, one line per step, an end line.
let toJsonLines (t: Trace) : string seq =
    seq {
        Conformance.J.compact (Json.obj [ "trace", Json.str "thrumodel-trace"; "version", Json.num 1L; "engine", Json.str t.Engine; "reports", Json.arr (t.Reports |> List.map Json.str) ])

        for s in t.Steps do
            Conformance.J.compact (stepJson s)

        Conformance.J.compact (Json.obj [ "end", Json.str t.End; "steps", Json.num (int64 t.Steps.Length) ])
    }

module private P =
    open Conformance

    let hexStr (n: JsonNode) =
        match n with
        | :? JsonValue as v when v.GetValueKind() = JsonValueKind.String -> Hex.tryParse (v.GetValue<string>())
        | _ -> None

    let num (n: JsonNode) =
        match n with
        | :? JsonValue as v when v.GetValueKind() = JsonValueKind.Number ->
            match v.TryGetValue<int64>() with
            | true, x -> Some x
            | _ -> None
        | _ -> None

    let step (o: JsonObject) : Result<Step, string> =
        result {
            let! i = J.int64 o "i"
            let! pc = J.hex o "pc"
            let! bits = J.hex o "bits"
            let! len = J.int64 o "len"
            do! if len = 2L || len = 4L then Ok() else J.fail "step %d: len must be 2 or 4" i

            let! regs =
                match o["x"] with
                | null -> Ok []
                | :? JsonArray as a ->
                    [ for w in a ->
                          match w with
                          | :? JsonArray as p when p.Count = 2 ->
                              match num p[0], hexStr p[1] with
                              | Some r, Some v when r >= 0L && r < 32L -> Ok(int r, v)
                              | _ -> J.fail "step %d: a register write is [number, \"0x…\"]" i
                          | _ -> J.fail "step %d: a register write is [number, \"0x…\"]" i ]
                    |> J.sequence
                | _ -> J.fail "step %d: 'x' must be an array" i

            let! mem =
                match o["mem"] with
                | null -> Ok []
                | :? JsonArray as a ->
                    [ for m in a ->
                          match m with
                          | :? JsonObject as m ->
                              result {
                                  let! op = J.str m "op"
                                  let! addr = J.hex m "addr"
                                  let! size = J.int64 m "size"
                                  let! value = J.hex m "value"
                                  return { Write = (op = "w"); Address = addr; Size = int size; Value = value }
                              }
                          | _ -> J.fail "step %d: 'mem' must hold objects" i ]
                    |> J.sequence
                | _ -> J.fail "step %d: 'mem' must be an array" i

            let cu =
                match o["cu"] with
                | :? JsonArray as a when a.Count = 2 ->
                    match num a[0], num a[1] with
                    | Some x, Some y -> Some(uint64 x, uint64 y)
                    | _ -> None
                | _ -> None

            let! syscall =
                match o["syscall"] with
                | null -> Ok None
                | :? JsonObject as c ->
                    result {
                        let! a7 = J.u64 c "a7"
                        let! args = J.arr c "args"
                        let! outcome = J.str c "outcome"

                        let ret =
                            match c["ret"] with
                            | :? JsonArray as r when r.Count = 2 ->
                                match hexStr r[0], hexStr r[1] with
                                | Some a, Some b -> Some(a, b)
                                | _ -> None
                            | _ -> None

                        return Some { Number = a7; Args = [ for x in args -> defaultArg (hexStr x) 0UL ]; Outcome = outcome; Ret = ret }
                    }
                | _ -> J.fail "step %d: 'syscall' must be an object" i

            let frame =
                match o["frame"] with
                | :? JsonObject as f ->
                    Some
                        { Kind = (match f["kind"] with :? JsonValue as v -> v.GetValue<string>() | _ -> "?")
                          Depth = num f["depth"] |> Option.map int |> Option.defaultValue 0
                          ProgramIdx = num f["program_idx"] |> Option.map int }
                | _ -> None

            let! trap = J.optStr o "trap"
            let depth = num o["depth"] |> Option.map int |> Option.defaultValue 1

            return
                { Index = i
                  Pc = pc
                  Bits = uint32 bits
                  Length = int len
                  Regs = regs
                  Mem = mem
                  Cu = cu
                  Syscall = syscall
                  Frame = frame
                  Trap = trap
                  Depth = depth }
        }

/// Parse a trace object (the protocol's "trace" member).
let ofJson (o: JsonObject) : Result<Trace, string> =
    let optStr, has, strings, objects, sequence = Conformance.J.optStr, Conformance.J.has, Conformance.J.strings, Conformance.J.objects, Conformance.J.sequence
    result {
        let! engine = optStr o "engine"
        let! reports = if has o "reports" then strings o "reports" else Ok []
        let! steps = objects o "steps" |> Result.bind (List.map P.step >> sequence)
        let! ending = optStr o "end"

        return
            { Engine = defaultArg engine "adapter"
              Reports = reports |> List.filter (fun r -> List.contains r allFields)
              Steps = steps
              End = defaultArg ending "" }
    }

// ---------------------------------------------------------------------------------------
// Text: Spike's commit log.
// ---------------------------------------------------------------------------------------

/// Spike's `-l --log-commits` lines: the disassembly line, then the commit line with register
/// writes (`x5  0x…`) and memory accesses (`mem 0x… 0x…` for stores, `mem 0x…` for loads); ThruVM's
/// own events (syscalls, frames, traps, compute units of syscalls) on lines starting with '#'.
let toText (t: Trace) : string seq =
    seq {
        for s in t.Steps do
            let bits = if s.Length = 2 then sprintf "0x%04x" s.Bits else sprintf "0x%08x" s.Bits
            sprintf "core   0: 0x%016x (%s) %s" s.Pc bits (disassemble s)

            let regs = s.Regs |> List.map (fun (r, v) -> sprintf " x%-2d 0x%016x" r v) |> String.concat ""

            let mem =
                s.Mem
                |> List.map (fun m -> if m.Write then sprintf " mem 0x%016x 0x%0*x" m.Address (2 * m.Size) m.Value else sprintf " mem 0x%016x" m.Address)
                |> String.concat ""

            sprintf "core   0: 3 0x%016x (%s)%s%s" s.Pc bits regs mem

            match s.Syscall with
            | Some c ->
                let args = c.Args |> List.truncate 6 |> List.mapi (fun k v -> sprintf "a%d=0x%x" k v) |> String.concat " "
                let ret = c.Ret |> Option.map (fun (a0, a1) -> sprintf " -> a0=0x%x a1=0x%x" a0 a1) |> Option.defaultValue ""
                let cu = s.Cu |> Option.map (fun (a, b) -> sprintf " ; cu %d -> %d" a b) |> Option.defaultValue ""
                sprintf "# syscall %d (%s) %s: %s%s%s" c.Number (Conformance.syscallName c.Number) args c.Outcome ret cu
            | None -> ()

            match s.Frame with
            | Some f when f.Kind = "invoke" -> sprintf "# invoke: program %d at depth %d" (defaultArg f.ProgramIdx -1) f.Depth
            | Some f -> sprintf "# return to depth %d" f.Depth
            | None -> ()

            match s.Trap with
            | Some trap -> sprintf "# trap: %s" trap
            | None -> ()

        sprintf "# end: %s" t.End
    }

// ---------------------------------------------------------------------------------------
// The first divergence.
// ---------------------------------------------------------------------------------------

/// Where two traces first differ: the step index, the pc and disassembly (of the reference), and
/// what differs, in words ("x10: 0x… vs 0x…").
type Divergence =
    { Index: int64
      Pc: uint64
      Asm: string
      What: string list }

let private regsText (rs: (int * uint64) list) =
    if rs.IsEmpty then "none" else rs |> List.map (fun (r, v) -> sprintf "x%d=0x%x" r v) |> String.concat " "

let private memText (ms: Mem list) =
    if ms.IsEmpty then "none"
    else ms |> List.map (fun m -> sprintf "%s %d @0x%x = 0x%x" (if m.Write then "write" else "read") m.Size m.Address m.Value) |> String.concat ", "

let private cuText (cu: (uint64 * uint64) option) =
    match cu with
    | Some(a, b) -> sprintf "%d -> %d" a b
    | None -> "none"

let private syscallText (s: Syscall option) =
    match s with
    | None -> "none"
    | Some c ->
        let ret = c.Ret |> Option.map (fun (a0, a1) -> sprintf " a0=0x%x a1=0x%x" a0 a1) |> Option.defaultValue ""
        sprintf "%s(a7=%d) %s%s" (Conformance.syscallName c.Number) c.Number c.Outcome ret

/// What differs between two steps, on the fields both traces report.
let stepDifferences (fields: string list) (a: Step) (b: Step) : string list =
    let has f = List.contains f fields

    [ if a.Pc <> b.Pc then sprintf "pc: 0x%x vs 0x%x" a.Pc b.Pc
      if a.Bits <> b.Bits || a.Length <> b.Length then sprintf "bits: 0x%x vs 0x%x" a.Bits b.Bits
      if has "regs" && a.Regs <> b.Regs then sprintf "register writes: %s vs %s" (regsText a.Regs) (regsText b.Regs)
      if has "mem" && a.Mem <> b.Mem then sprintf "memory: %s vs %s" (memText a.Mem) (memText b.Mem)
      if has "cu" && a.Cu <> b.Cu then sprintf "compute units: %s vs %s" (cuText a.Cu) (cuText b.Cu)
      if has "syscall" && a.Syscall <> b.Syscall then sprintf "syscall: %s vs %s" (syscallText a.Syscall) (syscallText b.Syscall)
      if has "frame" && a.Frame <> b.Frame then sprintf "frame: %A vs %A" a.Frame b.Frame
      if has "syscall" && a.Trap <> b.Trap then sprintf "trap: %A vs %A" a.Trap b.Trap ]

/// The first step where `other` differs from `reference`, on the fields both report; when one trace
/// is a prefix of the other, the first step that only one of them has. None when they agree.
let firstDivergence (reference: Trace) (other: Trace) : Divergence option =
    let fields = reference.Reports |> List.filter (fun f -> List.contains f other.Reports)

    let rec go (a: Step list) (b: Step list) =
        match a, b with
        | [], [] -> None
        | x :: _, [] -> Some { Index = x.Index; Pc = x.Pc; Asm = disassemble x; What = [ sprintf "%s executes this instruction; %s stopped before it (%s)" reference.Engine other.Engine other.End ] }
        | [], y :: _ -> Some { Index = y.Index; Pc = y.Pc; Asm = disassemble y; What = [ sprintf "%s executes this instruction; %s stopped before it (%s)" other.Engine reference.Engine reference.End ] }
        | x :: xs, y :: ys ->
            match stepDifferences fields x y with
            | [] -> go xs ys
            | what -> Some { Index = x.Index; Pc = x.Pc; Asm = disassemble x; What = what }

    go reference.Steps other.Steps

let describeDivergence (referenceName: string) (otherName: string) (d: Divergence) : string list =
    [ sprintf "first divergence at instruction %d, pc 0x%x: %s (%s vs %s)" d.Index d.Pc d.Asm referenceName otherName ]
    @ (d.What |> List.map (sprintf "  %s"))
