/// The two directions between the model's concrete values and the terms' inputs:
/// - `envOf`: a concrete `Space` and accesses give the value of every input of `Predicate`
///   (each input reads one field of the space; this is the abstraction the proofs rely on);
/// - `realize`: a z3 counter-model gives back a concrete `Space` and accesses, on which the
///   model's own `Space.resolve` can be run.
module Thru.Proofs.Bridge

open Thru.Model
open Thru.Model.Memory
open Thru.Model.Memory.Layout
open Thru.Model.Memory.Paged
open Thru.Model.Memory.Space
open Thru.Proofs.Eval
open Thru.Proofs.Predicate

let kindCode (k: AccessKind) =
    match k with
    | Read -> Kind.read
    | Write -> Kind.write
    | Fetch -> Kind.fetch

let kindOfCode (c: int) =
    match c with
    | 0 -> Read
    | 1 -> Write
    | 2 -> Fetch
    | _ -> failwithf "no access kind has code %d" c

let violationCode (v: Violation) =
    match v with
    | InvalidAddress -> Code.invalidAddress
    | InvalidSegment -> Code.invalidSegment
    | PermissionDenied -> Code.permissionDenied
    | PageBoundaryCross -> Code.pageBoundaryCross
    | AlignmentViolation -> Code.alignmentViolation
    | ResourceExhaustion -> failwith "translation never reports ResourceExhaustion"

let codeName (c: int) =
    match c with
    | 0 -> "accepted"
    | 1 -> "InvalidAddress"
    | 2 -> "InvalidSegment"
    | 3 -> "PermissionDenied"
    | 4 -> "PageBoundaryCross"
    | 5 -> "AlignmentViolation"
    | _ -> sprintf "code %d" c

/// A location as (tag, index, offset), the encoding of `Verdict`.
let locationCode (loc: Location) =
    match loc with
    | TxnData o -> Tag.txn, 0, o
    | ShadowStackAt o -> Tag.shadowStack, 0, o
    | ProgramAt o -> Tag.program, 0, o
    | BlockContextAt(k, o) -> Tag.blockContext, k, o
    | MetaAt(i, o) -> Tag.meta, i, o
    | DataAt(i, o) -> Tag.data, i, o
    | StackAt o -> Tag.stack, 0, o
    | HeapAt o -> Tag.heap, 0, o

let locationOfCode (tag: int) (index: int) (offset: int) =
    match tag with
    | 1 -> TxnData offset
    | 2 -> ShadowStackAt offset
    | 3 -> ProgramAt offset
    | 4 -> BlockContextAt(index, offset)
    | 5 -> MetaAt(index, offset)
    | 6 -> DataAt(index, offset)
    | 7 -> StackAt offset
    | 8 -> HeapAt offset
    | _ -> failwithf "no location has tag %d" tag

/// The model's verdict in the encoding of `Verdict`: (code, tag, index, offset).
let modelVerdict (r: Result<Location, AccessFault>) =
    match r with
    | Ok loc ->
        let t, i, o = locationCode loc
        Code.ok, t, i, o
    | Error f -> violationCode f.Violation, Tag.none, 0, 0

let segmentCode (s: Segment) =
    match s with
    | UnknownSegment -> Seg.unknown
    | NullSegment -> Seg.nullSegment
    | TxnSegment -> Seg.txn
    | ShadowStackSegment -> Seg.shadowStack
    | ProgramSegment -> Seg.program
    | BlockContextSegment -> Seg.blockContext
    | MetaSegment _ -> Seg.meta
    | DataSegment _ -> Seg.data
    | StackSegment -> Seg.stack
    | HeapSegment -> Seg.heap

/// One concrete access: address, size, kind.
type ConcreteAccess = uint64 * int * AccessKind

/// The inputs of the terms for a concrete space and accesses (by prefix). Asking for an account
/// index outside the space fails: the predicate, like the model, never consults one.
let envOfWith (extra: Map<string, Value>) (s: Space) (accesses: (string * ConcreteAccess) list) : Env =
    let accessVars =
        accesses
        |> List.collect (fun (p, (addr, size, kind)) ->
            [ p + "addr", V(addr, 64); p + "size", Value.ofInt size; p + "kind", V(uint64 (kindCode kind), 8) ])
        |> Map.ofList

    let var (name: string) =
        match name with
        | "allowMisaligned" -> B s.Profile.AllowMisaligned
        | "metaRecord64" -> B(s.Profile.MetaLayout = Decisions.RuntimeRecord64)
        | "txnLen" -> Value.ofInt s.Txn.Length
        | "programLen" -> Value.ofInt s.Program.Length
        | "blocksLen" -> Value.ofInt s.Blocks.Length
        | "accountCount" -> Value.ofInt s.Accounts.Length
        | "readWriteCount" -> Value.ofInt s.ReadWriteCount
        | "depth" -> Value.ofInt (Space.depth s)
        | "stackSize" -> Value.ofInt s.Stack.Size
        | "heapSize" -> Value.ofInt s.Heap.Size
        | "stackGrowsDown" -> B(s.Stack.Direction = GrowsDown)
        | "heapGrowsDown" -> B(s.Heap.Direction = GrowsDown)
        | n ->
            match accessVars.TryFind n, extra.TryFind n with
            | Some v, _
            | None, Some v -> v
            | None, None -> failwithf "no input called %s" n

    let account (args: Value list) =
        match args with
        | [ i ] ->
            let i = Value.int i
            if i < 0 || i >= s.Accounts.Length then failwithf "account %d consulted; the space has %d" i s.Accounts.Length
            s.Accounts[i]
        | _ -> failwith "one argument expected"

    let meta args = (account args).Meta
    let page (args: Value list) = match args with [ p ] -> Value.int p | _ -> failwith "one argument expected"

    let fn (name: string) (args: Value list) =
        match name with
        | "accountExists" -> B (meta args).IsSome
        | "dataSizeField" -> Value.ofInt (meta args |> Option.map (fun m -> int m.DataSize) |> Option.defaultValue 0)
        | "flagProgram" -> B(meta args |> Option.exists (AccountMeta.hasFlag AccountFlags.program))
        | "flagDeleted" -> B(meta args |> Option.exists (AccountMeta.hasFlag AccountFlags.deleted))
        | "flagCompressed" -> B(meta args |> Option.exists (AccountMeta.hasFlag AccountFlags.compressed))
        | "ownedByRunning" -> B(meta args |> Option.exists (fun m -> m.Owner = s.Accounts[Space.programIndex s].Key))
        | "dataWritableMark" -> B (account args).DataWritable
        | "cowPage" ->
            match args with
            | [ i; p ] -> B(s.Accounts[Value.int i].CowPages.Contains(Value.int p))
            | _ -> failwith "two arguments expected"
        | "stackOwned" -> B(s.Stack.Owners.ContainsKey(page args))
        | "stackOwner" -> Value.ofInt (s.Stack.Owners.TryFind(page args) |> Option.defaultValue 0)
        | "heapOwned" -> B(s.Heap.Owners.ContainsKey(page args))
        | "heapOwner" -> Value.ofInt (s.Heap.Owners.TryFind(page args) |> Option.defaultValue 0)
        | _ -> failwithf "no function called %s" name

    { Var = var; Fun = fn }

/// The inputs of the terms for a concrete space and accesses (by prefix).
let envOf (s: Space) (accesses: (string * ConcreteAccess) list) : Env = envOfWith Map.empty s accesses

/// A counter-model: values of the variables and of the uninterpreted functions at the points the
/// query mentions.
type Assignment =
    { Vars: Map<string, Value>
      Points: Map<string * Value list, Value> }

module Assignment =
    /// An environment over the assignment (functions are 0/false away from the given points).
    let env (m: Assignment) : Env =
        { Var = fun n -> match m.Vars.TryFind n with Some v -> v | None -> failwithf "no value for %s" n
          Fun =
            fun f args ->
                match m.Points.TryFind((f, args)) with
                | Some v -> v
                | None -> if f.EndsWith "Owner" || f = "dataSizeField" then Value.ofInt 0 else B false }

let private key (i: int) = Pubkey(Array.init 32 (fun j -> if j = 0 then 0xA5uy elif j = 1 then byte i elif j = 2 then byte (i >>> 8) else 0uy))

let private block =
    { Slot = 0UL; BlockTime = 0UL; BlockPrice = 0UL; StateRoot = Array.zeroCreate 32; BlockHash = Array.zeroCreate 32
      BlockProducer = Array.zeroCreate 32; WeightSlot = 0UL }

/// A concrete space and accesses with the counter-model's values (what the model reads of them).
/// Fails when a value cannot be realized (e.g. a negative length).
let realize (m: Assignment) (prefixes: string list) : Space * ConcreteAccess list =
    let value n d = m.Vars.TryFind n |> Option.defaultValue d
    let intOf n = value n (Value.ofInt 0) |> Value.int
    let boolOf n = value n (B false) |> Value.bool
    let at f (i: int) d = m.Points.TryFind((f, [ Value.ofInt i ])) |> Option.defaultValue d

    let between n lo hi =
        let v = intOf n
        if v < lo || v > hi then failwithf "%s = %d cannot be realized" n v
        v

    let count = between "accountCount" 0 65536
    let programIndex = 0
    let runningKey = key programIndex

    let accounts =
        Array.init count (fun i ->
            let exists = at "accountExists" i (B false) |> Value.bool

            let meta =
                if not exists then None
                else
                    let flags =
                        (if Value.bool (at "flagProgram" i (B false)) then AccountFlags.program else 0uy)
                        ||| (if Value.bool (at "flagDeleted" i (B false)) then AccountFlags.deleted else 0uy)
                        ||| (if Value.bool (at "flagCompressed" i (B false)) then AccountFlags.compressed else 0uy)

                    let owner = if Value.bool (at "ownedByRunning" i (B false)) then runningKey else Pubkey.zero

                    Some
                        { AccountMeta.create owner with
                            Flags = flags
                            DataSize = uint32 (Value.int (at "dataSizeField" i (Value.ofInt 0))) }

            let cow =
                m.Points
                |> Map.toList
                |> List.choose (fun ((f, args), v) ->
                    match args with
                    | [ j; p ] when f = "cowPage" && Value.int j = i && Value.bool v -> Some(Value.int p)
                    | _ -> None)
                |> Set.ofList

            { Key = key i
              Meta = meta
              Data = Overlay.empty
              CowPages = cow
              DataWritable = Value.bool (at "dataWritableMark" i (B false)) })

    let owners (ownedFn: string) (ownerFn: string) =
        m.Points
        |> Map.toList
        |> List.choose (fun ((f, args), v) ->
            match args with
            | [ p ] when f = ownedFn && Value.bool v -> Some(Value.int p, Value.int (m.Points.TryFind((ownerFn, args)) |> Option.defaultValue (Value.ofInt 0)))
            | _ -> None)
        |> Map.ofList

    let anonymous (down: bool) (size: int) (owners: Map<int, int>) =
        { Direction = (if down then GrowsDown else GrowsUp); Size = size; Owners = owners; Bytes = Overlay.empty }

    let depth = intOf "depth"

    let space =
        { Profile =
            { Decisions.Profile.defaults with
                AllowMisaligned = boolOf "allowMisaligned"
                MetaLayout = if boolOf "metaRecord64" then Decisions.RuntimeRecord64 else Decisions.SdkView62 }
          Txn = Array.zeroCreate (between "txnLen" 0 (1 <<< 26))
          Program = Array.zeroCreate (between "programLen" 0 (1 <<< 26))
          Shadow =
            { CallDepth = depth
              MaxCallDepth = depth
              TotalStackPages = 0
              TotalHeapPages = 0
              Frames = [ { ProgramAccIdx = uint16 programIndex; StackPages = 0us; HeapPages = 0us; SavedRegs = Array.zeroCreate 32 } ] }
          Blocks = List.replicate (between "blocksLen" 0 65535) block
          Accounts = accounts
          ReadWriteCount = intOf "readWriteCount"
          Stack = anonymous (boolOf "stackGrowsDown") (intOf "stackSize") (owners "stackOwned" "stackOwner")
          Heap = anonymous (boolOf "heapGrowsDown") (intOf "heapSize") (owners "heapOwned" "heapOwner")
          Pool = PagePool.create 0 }

    let accesses =
        prefixes
        |> List.map (fun p -> Value.bits (value (p + "addr") (V(0UL, 64))), intOf (p + "size"), kindOfCode (intOf (p + "kind")))

    space, accesses
