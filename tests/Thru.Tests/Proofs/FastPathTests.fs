/// Theorem T5 (the engine's fast path) and its tie to the engine that runs. The terms of
/// proofs/FastPath.fs are compared with the engine itself, not with a second transcription:
///
/// - the TLB hit test, evaluated, against a real `Machine` (interpreter in block and step mode, and
///   the compiled tier) running every load and store instruction (LB..LD, SB..SD, C.LW, C.LD, C.SW,
///   C.SD) after a fill, through a test `AddressSpace` that sees every access the TLB does not serve:
///   a hit is an access `Resolve` never heard of. Hits are also checked to reach the host byte
///   `host page + (a - page)`;
/// - the page-fill condition, evaluated on model spaces, against the real `ThruSpace.Resolve` (an
///   internal class, driven through reflection) on the same state: its fault agrees with
///   `Space.resolve` (decision D5-SLOW-PATH) and the permissions it returns are exactly those the
///   terms give; for every tagged page, the slow path gives the host byte the fast path computes.
///
/// Then: a broken hit test (the alignment bits left out of the mask) is refuted with a counter-model
/// the model refuses; the obligations are not vacuous (z3 finds a fill and a hit for every segment
/// that can be tagged); and with AllowMisaligned on the converse direction fails, as T5 says.
module Thru.Tests.Proofs.FastPathTests

#nowarn "9" // native pointers: the test address space hands the machine host pages

open System
open System.Reflection
open System.Runtime.InteropServices
open Microsoft.FSharp.NativeInterop
open Expecto
open Thru.Tests.Support
open FsCheck.FSharp
open Thru.Model
open Thru.Model.Isa
open Thru.Model.Memory
open Thru.Model.Memory.Paged
open Thru.Model.Memory.Space
open Thru.Engine
open Thru.Proofs
open Thru.Proofs.Dsl
open Thru.Proofs.Eval

type private EAccess = Thru.Engine.Access

// ---------------------------------------------------------------------------------------
// The hit test against a real Machine.
// ---------------------------------------------------------------------------------------

/// The 3 pages of host memory the fill maps its guest page to (the middle one), filled with a pattern.
let private pattern (j: int) = byte (j * 131 + 7 + (j >>> 8))

/// A test address space: one page of probe programs at `codePage`; `Resolve` serves the first data
/// access of a run (the fill) from the middle of three host pages with `Permissions`, and refuses every
/// later one (an access the TLB did not serve), recording each call. (The `AddressSpace` subclass the
/// machine calls is made by `probeSpace` below: F# cannot write the `out byte*` parameters of its
/// overrides, it would declare them `out nativeint`.)
type ProbeState(codePage: uint64, code: byte[]) =
    let codeHost = NativePtr.ofVoidPtr<byte> (NativeMemory.AllocZeroed(unativeint 4096))
    let dataBase = NativePtr.ofVoidPtr<byte> (NativeMemory.AllocZeroed(unativeint (3 * 4096)))

    do
        Marshal.Copy(code, 0, NativePtr.toNativeInt codeHost, code.Length)

        for j in 0 .. 3 * 4096 - 1 do
            NativePtr.set dataBase j (pattern j)

    member val Permissions = PagePermissions.None with get, set
    member val Calls = ResizeArray<uint64 * int * EAccess>()
    /// The host page of the filled guest page.
    member _.Page = NativePtr.add dataBase 4096
    member _.Byte(j: int) = NativePtr.get dataBase (4096 + j)

    /// Put the pattern back at [j, j + n) of the host page.
    member _.Restore(j: int, n: int) =
        for k in j .. j + n - 1 do
            NativePtr.set dataBase (4096 + k) (pattern (4096 + k))

    member _.Intact() = Seq.forall (fun j -> NativePtr.get dataBase j = pattern j) (seq { 0 .. 3 * 4096 - 1 })

    member _.TranslatePage(pageAddress: uint64, access: EAccess, host: byref<nativeint>, permissions: byref<PagePermissions>) : FaultKind =
        if access = EAccess.Fetch && pageAddress = codePage then
            host <- NativePtr.toNativeInt codeHost
            permissions <- PagePermissions.Read ||| PagePermissions.Fetch
            FaultKind.None
        else
            host <- 0n
            permissions <- PagePermissions.None
            FaultKind.InvalidAddress

    member this.Resolve(address: uint64, size: int, access: EAccess, host: byref<nativeint>, cacheable: byref<PagePermissions>) : FaultKind =
        this.Calls.Add((address, size, access))

        if this.Calls.Count = 1 then
            host <- NativePtr.toNativeInt (NativePtr.add this.Page (int (address &&& 0xFFFUL)))
            cacheable <- this.Permissions
            FaultKind.None
        else
            host <- 0n
            cacheable <- PagePermissions.None
            FaultKind.InvalidAddress

    interface IDisposable with
        member _.Dispose() =
            NativeMemory.Free(NativePtr.toVoidPtr codeHost)
            NativeMemory.Free(NativePtr.toVoidPtr dataBase)

/// `class ProbeSpace : AddressSpace { ProbeState state; ... }` whose TranslatePage and Resolve call the
/// state's (an `out byte*` is passed on as the `out nativeint` it is at run time).
let private probeSpaceType =
    lazy
        (let ab = Emit.AssemblyBuilder.DefineDynamicAssembly(AssemblyName "Thru.Tests.ProbeSpace", Emit.AssemblyBuilderAccess.Run)
         let tb = ab.DefineDynamicModule("ProbeSpace").DefineType("ProbeSpace", TypeAttributes.Public ||| TypeAttributes.Sealed, typeof<AddressSpace>)
         let state = tb.DefineField("state", typeof<ProbeState>, FieldAttributes.Private)
         let ctor = tb.DefineConstructor(MethodAttributes.Public, CallingConventions.Standard, [| typeof<ProbeState> |])
         let il = ctor.GetILGenerator()
         il.Emit(Emit.OpCodes.Ldarg_0)
         il.Emit(Emit.OpCodes.Call, typeof<AddressSpace>.GetConstructor(BindingFlags.Instance ||| BindingFlags.NonPublic ||| BindingFlags.Public, null, Type.EmptyTypes, null))
         il.Emit(Emit.OpCodes.Ldarg_0)
         il.Emit(Emit.OpCodes.Ldarg_1)
         il.Emit(Emit.OpCodes.Stfld, state)
         il.Emit(Emit.OpCodes.Ret)

         for name in [ "TranslatePage"; "Resolve" ] do
             let baseMethod = typeof<AddressSpace>.GetMethod(name)
             let parameters = baseMethod.GetParameters() |> Array.map (fun p -> p.ParameterType)
             let m = tb.DefineMethod(name, MethodAttributes.Public ||| MethodAttributes.Virtual ||| MethodAttributes.HideBySig, baseMethod.ReturnType, parameters)
             let il = m.GetILGenerator()
             il.Emit(Emit.OpCodes.Ldarg_0)
             il.Emit(Emit.OpCodes.Ldfld, state)

             for i in 1 .. parameters.Length do
                 il.Emit(Emit.OpCodes.Ldarg, int16 i)

             il.Emit(Emit.OpCodes.Callvirt, typeof<ProbeState>.GetMethod(name))
             il.Emit(Emit.OpCodes.Ret)
             tb.DefineMethodOverride(m, baseMethod)

         tb.CreateType())

let private probeSpace (state: ProbeState) = Activator.CreateInstance(probeSpaceType.Force(), [| box state |]) :?> AddressSpace

/// One probe instruction: its size, whether it stores, how a load extends, its registers.
type private Probe =
    { Name: string
      Size: int
      Store: bool
      Signed: bool
      Instr: Decoded
      AddrReg: int
      DataReg: int }

let private probes =
    let load name op size signed = { Name = name; Size = size; Store = false; Signed = signed; Instr = Full(Load(op, 7, 11, 0L)); AddrReg = 11; DataReg = 7 }
    let store name op size = { Name = name; Size = size; Store = true; Signed = false; Instr = Full(Store(op, 11, 12, 0L)); AddrReg = 11; DataReg = 12 }

    [| load "lb" LB 1 true
       load "lbu" LBU 1 false
       load "lh" LH 2 true
       load "lhu" LHU 2 false
       load "lw" LW 4 true
       load "lwu" LWU 4 false
       load "ld" LD 8 false
       store "sb" SB 1
       store "sh" SH 2
       store "sw" SW 4
       store "sd" SD 8
       { Name = "c.lw"; Size = 4; Store = false; Signed = true; Instr = Compressed(C_LW(8, 9, 0)); AddrReg = 9; DataReg = 8 }
       { Name = "c.ld"; Size = 8; Store = false; Signed = false; Instr = Compressed(C_LD(8, 9, 0)); AddrReg = 9; DataReg = 8 }
       { Name = "c.sw"; Size = 4; Store = true; Signed = false; Instr = Compressed(C_SW(9, 8, 0)); AddrReg = 9; DataReg = 8 }
       { Name = "c.sd"; Size = 8; Store = true; Signed = false; Instr = Compressed(C_SD(9, 8, 0)); AddrReg = 9; DataReg = 8 } |]

let private codePage = 0x0000_0000_4000_0000UL

/// Probe k at codePage + 32 k: `lb x5, 0(x10)` (the fill), the probe, `ebreak`.
let private code =
    let bytes = Array.zeroCreate<byte> 4096
    let put (at: int) (d: Decoded) = let b = (Encode.toBytes d).Value in Array.blit b 0 bytes at b.Length; at + b.Length

    probes
    |> Array.iteri (fun k p ->
        let at = put (32 * k) (Full(Load(LB, 5, 10, 0L)))
        let at = put at p.Instr
        put at (Full EBREAK) |> ignore)

    bytes

/// The access of the hit-test terms (`a_addr`, `a_size`) and the tag (`t_tag`).
let private probeAccess = Predicate.access "a_"
let private tagVar = var "t_tag" (BV 64)

let private hitTerm (tier: FastPath.Tier) = FastPath.hit tier probeAccess tagVar

let private evalHit (term: Term) (a: uint64) (size: int) (tag: uint64) =
    let env =
        { Var = (fun n -> match n with "a_addr" -> V(a, 64) | "a_size" -> Value.ofInt size | "t_tag" -> V(tag, 64) | _ -> failwithf "no input %s" n)
          Fun = fun f _ -> failwithf "no function %s" f }

    Value.bool (eval env term)

/// A fill page and probe address for an access of `size` bytes, aimed at the edges of the hit test.
let private genCase (r: Random) (size: int) =
    let u64 () = uint64 (r.NextInt64()) ^^^ (uint64 (r.Next 2) <<< 63)

    let page =
        match r.Next 10 with
        | 0 -> 0UL
        | 1 -> 0xFFFF_FFFF_FFFF_F000UL
        | 2 -> codePage // a page holding decoded code: never write-tagged
        | 3
        | 4 -> (Address.compose (r.Next 8) (r.Next 0x10000) (uint32 (r.Next 0x100_0000))) &&& ~~~0xFFFUL
        | _ -> (u64 ()) &&& ~~~0xFFFUL

    let fill = page + uint64 (r.Next 4096)

    let a =
        match r.Next 10 with
        | 0
        | 1
        | 2 -> page + uint64 (r.Next 4096 / size * size) // in the page, aligned
        | 3 -> ((page + uint64 (r.Next 4096)) &&& ~~~7UL) ||| uint64 (r.Next 8)
        | 4 -> page + uint64 (Array.item (r.Next 12) [| 0; 1; 2; 3; 4; 6; 7; 0xFF8; 0xFFC; 0xFFE; 0xFFF; 0x800 |])
        | 5 -> page - uint64 (1 + r.Next 8) // just below the page
        | 6 -> page + 0x1000UL + uint64 (r.Next 8) // just past it
        | 7 -> (page ^^^ (1UL <<< r.Next 64)) ||| uint64 (r.Next 4096 &&& ~~~7) // one bit of the page off
        | 8 -> page + (uint64 (1 + r.Next 1000) <<< 20) + uint64 (r.Next 4096 &&& ~~~7) // same TLB entry, another page
        | _ -> u64 ()

    let permissions =
        Array.item (r.Next 6) [| PagePermissions.Read; PagePermissions.Write; PagePermissions.Read ||| PagePermissions.Write; PagePermissions.Read ||| PagePermissions.Write; PagePermissions.Read; PagePermissions.None |]

    fill, a, permissions

type private Mode =
    { Name: string
      Options: EngineOptions
      Tier: FastPath.Tier
      Budget: int64 }

let private modes =
    [ { Name = "interpreter, block mode"; Options = EngineOptions.InterpreterOnly; Tier = FastPath.InterpreterTier; Budget = 1000L }
      // A budget below the block's cost makes the interpreter step instruction by instruction.
      { Name = "interpreter, step mode"; Options = EngineOptions.InterpreterOnly; Tier = FastPath.InterpreterTier; Budget = 2L }
      { Name = "compiled tier"; Options = EngineOptions.Eager; Tier = FastPath.CompiledTier; Budget = 1000L } ]

/// One run of probe `k`: the fill at `fill` served with `permissions`, then the probe at `a` (a store
/// stores `value`); the TLB entry is emptied again afterwards. The stop; `space.Calls` holds the
/// accesses the slow path saw (one: the probe hit).
let private runProbe (m: Machine) (space: ProbeState) (mode: Mode) (k: int) (fill: uint64) (permissions: PagePermissions) (a: uint64) (value: uint64) =
    let probe = probes[k]
    space.Calls.Clear()
    space.Permissions <- permissions
    m.SetRegister(10, fill)
    m.SetRegister(probe.AddrReg, a)
    m.SetRegister(probe.DataReg, (if probe.Store then value else 0xDEADUL))
    m.Pc <- codePage + uint64 (32 * k)
    m.Budget <- mode.Budget
    let stop = m.Run()
    m.InvalidatePage(fill &&& ~~~0xFFFUL)
    stop

/// Whether the engine's fast path, in every mode, serves a load (or store) of `size` bytes at `a`
/// after a fill at `fill` that granted the load (store) tag: one answer per mode.
let private engineHits (store: bool) (size: int) (fill: uint64) (a: uint64) =
    let k = probes |> Array.findIndex (fun p -> p.Store = store && p.Size = size)

    [ for mode in modes do
          use space = new ProbeState(codePage, code)
          use m = new Machine(probeSpace space, CostModel.Instructions, mode.Options)
          runProbe m space mode k fill (PagePermissions.Read ||| PagePermissions.Write) a 0UL |> ignore
          mode.Name, space.Calls.Count = 1 ]

/// Run `count` probes in one mode, comparing the machine with the hit test `term`; the failures (at
/// most 10), the number of hits, and the guest instructions the machine compiled.
let private probeMachine (mode: Mode) (term: Term) (seed: int) (count: int) =
    let r = Random seed
    use space = new ProbeState(codePage, code)
    use m = new Machine(probeSpace space, CostModel.Instructions, mode.Options)
    let failures = ResizeArray<string>()
    let mutable hits = 0

    for _ in 1..count do
        let k = r.Next probes.Length
        let probe = probes[k]
        let fill, a, permissions = genCase r probe.Size
        let value = uint64 (r.NextInt64()) ||| (1UL <<< 63)
        let stop = runProbe m space mode k fill permissions a value
        let page = fill &&& ~~~0xFFFUL

        // The TLB entry the probe looks at, and the tag in the field it compares with.
        let entry (x: uint64) = (x >>> 12) &&& uint64 (FastPath.tlbEntries - 1)
        let granted = if probe.Store then permissions.HasFlag PagePermissions.Write && page <> codePage else permissions.HasFlag PagePermissions.Read
        let tag = if entry a = entry page && granted then page else FastPath.invalidTag
        let expected = evalHit term a probe.Size tag
        let served = space.Calls.Count = 1
        let where () = sprintf "%s: %s at 0x%X after a fill at 0x%X with %A (tag 0x%X)" mode.Name probe.Name a fill permissions tag

        if served <> expected then
            failures.Add(sprintf "%s: the engine %s, the term says %s" (where ()) (if served then "hit" else "missed") (if expected then "hit" else "miss"))
        elif served then
            hits <- hits + 1
            let at = int (a - page)
            let bytesAt () = Array.init probe.Size (fun j -> space.Byte(at + j))
            let le (b: byte[]) = b |> Array.rev |> Array.fold (fun acc x -> (acc <<< 8) ||| uint64 x) 0UL

            if stop = StopReason.Fault then
                failures.Add(sprintf "%s: a hit faulted (%A)" (where ()) m.Fault)
            elif probe.Store then
                let written = le (bytesAt ())
                let mask = if probe.Size = 8 then UInt64.MaxValue else (1UL <<< (8 * probe.Size)) - 1UL
                if written <> (value &&& mask) then failures.Add(sprintf "%s: the store wrote 0x%X at host page + 0x%X, not 0x%X" (where ()) written at (value &&& mask))
                space.Restore(at, probe.Size)
            else
                let raw = le (bytesAt ())
                let bits = 8 * probe.Size
                let v = if probe.Signed && bits < 64 && (raw >>> (bits - 1)) &&& 1UL = 1UL then raw ||| (UInt64.MaxValue <<< bits) else raw
                let got = m.GetRegister probe.DataReg
                if got <> v then failures.Add(sprintf "%s: loaded 0x%X, host page + 0x%X holds 0x%X" (where ()) got at v)
        else
            // A miss reaches the slow path with exactly the probe's access, which refuses it.
            let kind = if probe.Store then EAccess.Write else EAccess.Read

            if space.Calls.Count <> 2 || space.Calls[1] <> (a, probe.Size, kind) || stop <> StopReason.Fault then
                failures.Add(sprintf "%s: a miss, but the slow path saw %A and the run stopped with %A" (where ()) (List.ofSeq space.Calls) stop)

    if not (space.Intact()) then failures.Add(sprintf "%s: host memory outside the accesses changed" mode.Name)
    List.ofSeq (Seq.truncate 10 failures), hits, m.CompiledInstructions

// ---------------------------------------------------------------------------------------
// The page-fill condition against the real ThruSpace.Resolve.
// ---------------------------------------------------------------------------------------

// ThruSpace and its parts are internal to the engine (no InternalsVisibleTo); they are built and
// read through reflection, by the names they have in engine/Memory/ThruSpace.cs. A renamed member fails
// this test loudly rather than silently skipping the check.
let private engineAsm = typeof<Machine>.Assembly
let private engineType (name: string) = engineAsm.GetType("Thru.Engine." + name, true)
let private all' = BindingFlags.Instance ||| BindingFlags.Public ||| BindingFlags.NonPublic

let private fieldOf (t: Type) (name: string) =
    match t.GetField(name, all') with
    | null -> failwithf "the engine's %s has no field %s" t.Name name
    | f -> f

let private getField (o: obj) (name: string) = (fieldOf (o.GetType()) name).GetValue o
let private setField (o: obj) (name: string) (v: obj) = (fieldOf (o.GetType()) name).SetValue(o, v)
let private make (name: string) (args: obj[]) = Activator.CreateInstance(engineType name, all', null, args, null)

let private call (o: obj) (name: string) (args: obj[]) =
    match o.GetType().GetMethod(name, all') with
    | null -> failwithf "the engine's %s has no method %s" (o.GetType().Name) name
    | m -> m.Invoke(o, args)

let private publicKey (k: Pubkey) = PublicKey(ReadOnlySpan k.Bytes)

/// The engine's ThruSpace in the state of the model space `s` (default profile): transaction,
/// program, blocks (count only), accounts (existence, flags, data size, owner, writability mark,
/// copy-on-write pages), read-write count, call depth and running program, stack and heap (sizes
/// and page owners).
let private thruSpaceOf (s: Space) : AddressSpace =
    let blocks = Collections.Generic.List<EngineBlock>()

    for _ in 1 .. s.Blocks.Length do
        blocks.Add(EngineBlock())

    let env =
        EngineEnvironment(Collections.Generic.Dictionary<PublicKey, EngineAccount>(), blocks, SignatureVerifier(fun _ _ _ -> false), EngineChain(ChainId = 1us))

    let slotType = engineType "AccountSlot"
    let slots = Array.CreateInstance(slotType, s.Accounts.Length)

    s.Accounts
    |> Array.iteri (fun i a ->
        let slot = make "AccountSlot" [||]
        setField slot "Key" (publicKey a.Key)
        setField slot "Exists" a.Meta.IsSome
        let meta = make "Meta" [||]

        match a.Meta with
        | Some m ->
            setField meta "Version" m.Version
            setField meta "Flags" m.Flags
            setField meta "DataSize" m.DataSize
            setField meta "Owner" (publicKey m.Owner)
        | None -> ()

        setField slot "Meta" meta
        setField slot "DataWritable" a.DataWritable
        slots.SetValue(slot, i))

    let space = make "ThruSpace" [| box s.Txn; box env; box slots; box s.ReadWriteCount; box 1_000_000 |]
    let arena = getField space "Arena"

    s.Accounts
    |> Array.iteri (fun i a ->
        let slot = slots.GetValue i
        let data = make "AccountData" [| arena; box (Array.empty<byte>); box (AccountState.dataSize a) |]

        for p in a.CowPages do
            call data "SetCow" [| box p; box true |] |> ignore

        setField slot "Data" data)

    let image = make "ProgramImage" [||]
    setField image "Segment" (make "LazyBytes" [| arena; box s.Program; box 0; box s.Program.Length |])
    setField space "Program" image

    // The frames: depth = their count, the running program = the last one's.
    let frames = getField space "Frames" :?> Collections.IList
    frames.Clear()

    for _ in 1 .. Space.depth s do
        let frame = make "Frame" [||]
        setField frame "ProgramAccIdx" (uint16 (Space.programIndex s))
        frames.Add frame |> ignore

    for name, anon in [ "Stack", s.Stack; "Heap", s.Heap ] do
        let a = getField space name
        let pool = make "PagePool" [| box 1_000_000 |]
        let args = [| box 1; box (int64 anon.Size); pool; arena |]
        let result = call a "Resize" args
        if string result <> "None" then failwithf "the engine refused %s of %d bytes: %O" name anon.Size result
        let owners = getField a "owner" :?> byte[]

        for KeyValue(p, d) in anon.Owners do
            owners[p] <- byte d

    space :?> AddressSpace

/// A model space in a state the engine can be in: SpaceGen's spaces, default profile, with full
/// and partial pages of the transaction, the program and account data, copy-on-write pages,
/// page-multiple stacks and heaps whose every mapped page has an owner, depths 1..4.
let private genEngineSpace: FsCheck.Gen<Space> =
    gen {
        let! s = Thru.Tests.Memory.SpaceGen.genSpace
        let! txnLen = Gen.elements [ 300; 4095; 4096; 4097; 8192 + 100; 3 * 4096 ]
        let! programLen = Gen.elements [ 40; 4096; 5000; 3 * 4096 ]
        let! sizes = Gen.arrayOfLength s.Accounts.Length (Gen.elements [ 0u; 100u; 4095u; 4096u; 4097u; 8192u; 12293u; 0x100_0000u; 0x8000_0000u; 0xFFFF_FFFFu ])
        let! cow = Gen.arrayOfLength s.Accounts.Length (Gen.subListOf [ 0; 1; 2; 3 ])
        let! depth = Gen.choose (1, 4)
        let! stackPages = Gen.elements [ 0; 1; 2; 5; 16 ]
        let! heapPages = Gen.elements [ 0; 1; 3; 16 ]
        let! seed = Gen.choose (0, Int32.MaxValue)
        let r = Random seed

        let anon (a: Anonymous) (pages: int) =
            let a = { a with Size = pages * 4096 }
            let low, high = Anonymous.range a
            { a with Owners = Map.ofList [ for p in low / 4096 .. high / 4096 - 1 -> p, 1 + r.Next(depth + 1) ] }

        let accounts =
            s.Accounts
            |> Array.mapi (fun i a ->
                { a with
                    Meta = a.Meta |> Option.map (fun m -> { m with DataSize = sizes[i] })
                    CowPages = Set.ofList cow[i] })

        return
            { s with
                Profile = Decisions.Profile.defaults
                Txn = Array.init txnLen byte
                Program = Array.init programLen (fun j -> byte (j * 7))
                Accounts = accounts
                Shadow = { s.Shadow with CallDepth = depth; MaxCallDepth = depth; Frames = List.replicate depth s.Shadow.Frames.Head }
                Stack = anon s.Stack stackPages
                Heap = anon s.Heap heapPages }
    }

/// Loads and stores aimed at page starts and ends of every segment that can be tagged, and
/// SpaceGen's accesses.
let private genEngineAccess (s: Space) : FsCheck.Gen<uint64 * int * AccessKind> =
    let targeted =
        gen {
            let! size = Thru.Tests.Memory.SpaceGen.genSize
            let! kind = Gen.elements [ Read; Write ]
            let! i = Gen.choose (0, s.Accounts.Length)
            let stackLow, _ = Anonymous.range s.Stack
            let! segType, segIdx, base' = Gen.elements [ 0x00, 1, 0; 0x00, 2, 0; 0x00, 3, 0; 0x00, 4, 0; 0x02, i, 0; 0x03, i, 0; 0x05, 0, stackLow; 0x07, 0, 0 ]
            let! page = Gen.choose (-1, 3)
            let! inPage = Gen.frequency [ 2, Gen.elements [ 0; 8; 0xFF8; 0xFFC; 0xFFE; 0xFFF ]; 3, Gen.choose (0, 4095) ]
            let! aligned = Gen.frequency [ 5, Gen.constant true; 1, Gen.constant false ]
            let offset = max 0 (min 0xFF_FFFF (base' + page * 4096 + inPage))
            let offset = if aligned then offset / size * size else offset
            return Address.compose segType segIdx (uint32 offset), size, kind
        }

    Gen.frequency
        [ 3, targeted
          1, Thru.Tests.Memory.SpaceGen.genAccess |> Gen.map (fun (a, size, kind) -> a, size, (if kind = Fetch then Read else kind)) ]

let private faultOf (r: Result<Location, AccessFault>) =
    match r with
    | Ok _ -> FaultKind.None
    | Error f ->
        match f.Violation with
        | InvalidAddress -> FaultKind.InvalidAddress
        | InvalidSegment -> FaultKind.InvalidSegment
        | PermissionDenied -> FaultKind.PermissionDenied
        | PageBoundaryCross -> FaultKind.PageBoundaryCross
        | AlignmentViolation -> FaultKind.AlignmentViolation
        | ResourceExhaustion -> FaultKind.ResourceExhaustion

let private fillAccess = Predicate.access "f_"
let private fillRead, fillWrite = FastPath.fillTags fillAccess

let private resolveOn (space: AddressSpace) (addr: uint64) (size: int) (kind: AccessKind) =
    let mutable host = NativePtr.nullPtr<byte>
    let mutable cacheable = PagePermissions.None
    let fault = space.Resolve(addr, size, (if kind = Write then EAccess.Write else EAccess.Read), &host, &cacheable)
    fault, NativePtr.toNativeInt host, cacheable

// ---------------------------------------------------------------------------------------
// z3: a broken hit test is refuted; the obligations are not vacuous; AllowMisaligned.
// ---------------------------------------------------------------------------------------

let private requireZ3 () =
    if (Smt.z3Version ()).IsNone then failtest "z3 is not installed (make deps installs the Debian package z3; or set THRU_Z3)"

let private t5 (name: string) =
    let t = Theorems.theorems |> List.find (fun t -> t.Id = "T5")
    t.Obligations |> List.find (fun o -> o.Name.StartsWith name)

/// z3's counter-model of `o`, printed, replayed on the model.
let private counterModel (o: Theorems.Obligation) : Runner.CounterModel =
    match (Runner.runObligation 120 o).Outcome with
    | Runner.Counter c ->
        for l in Runner.describe c do
            note <| sprintf "  %s" l

        Expect.isTrue c.InterpreterAgrees "the interpreter agrees with z3"
        Expect.isTrue c.ConfirmedOnModel (sprintf "confirmed on the model (%A)" c.Problem)
        c
    | other -> failwithf "z3 found no counter-model: %A" other

let private accessOf (c: Runner.CounterModel) (prefix: string) = c.Accesses |> List.find (fun (p, _) -> p = prefix) |> snd

/// Assumptions that keep a witness inside what the engine's ThruSpace can represent (the default
/// profile, a few accounts, at least one block, depth 1..4, the fill's stack or heap page owned by a
/// depth in 1..16).
let private representable =
    let f = fillAccess
    let pg = sdiv (Predicate.offsetOf f.Addr) (i32 4096)
    let between lo hi t = (i32 lo <=. t) &&. (t <=. i32 hi)

    [ not' Predicate.Sp.allowMisaligned
      not' Predicate.Sp.metaRecord64
      between 1 4 Predicate.Sp.depth
      between 1 600 Predicate.Sp.blocksLen
      between 0 8 Predicate.Sp.accountCount
      between 0 8 Predicate.Sp.readWriteCount
      between 0 0x1_0000 Predicate.Sp.txnLen
      between 0 0x1_0000 Predicate.Sp.programLen
      Predicate.Sp.stackOwned pg
      between 1 16 (Predicate.Sp.stackOwner pg)
      Predicate.Sp.heapOwned pg
      between 1 16 (Predicate.Sp.heapOwner pg) ]

[<Tests>]
let tests =
    testList "Proofs.FastPathTests" [
        // ---------------------------------------------------------------- The hit test against a real Machine

        testCase "T5's hit test is the engine's: 120,000 loads and stores on a real Machine, interpreter and compiled tier" <| fun () ->
            let seed = int (Thru.Tests.Generators.testSeed 5UL)
            let perMode = 40_000
            let sw = Diagnostics.Stopwatch.StartNew()

            let results =
                modes |> List.mapi (fun i mode -> mode, probeMachine mode (hitTerm mode.Tier) (seed + i) perMode)

            for mode, (_, hits, compiled) in results do
                note <| sprintf "%s: %d probes, %d hits, %d guest instructions compiled" mode.Name perMode hits compiled

            note <| sprintf "fast path vs the term: %d probes in %.1f s" (perMode * modes.Length) sw.Elapsed.TotalSeconds
            let failures = results |> List.collect (fun (_, (f, _, _)) -> f)
            expectEmpty failures (String.Join("\n", failures))

            for mode, (_, hits, compiled) in results do
                // Hits and misses both, many times; the compiled tier really ran compiled code.
                Expect.isGreaterThan hits (perMode / 10) mode.Name
                Expect.isLessThan hits (perMode - perMode / 10) mode.Name
                if mode.Tier = FastPath.CompiledTier then Expect.isGreaterThan compiled 0 mode.Name

        testCase "the machine comparison notices a hit test without the alignment bits" <| fun () ->
            // The same comparison with a broken term (mask ~0xFFF for every size) must fail: the probes
            // reach the cases where the alignment bits decide.
            let broken = (probeAccess.Addr &&& u64 ~~~0xFFFUL) =. tagVar

            for i, mode in List.indexed modes do
                let failures, _, _ = probeMachine mode broken (17 + i) 4000
                Expect.isNonEmpty failures mode.Name

        // ---------------------------------------------------------------- The page-fill condition against the real ThruSpace.Resolve

        testCase "T5's page-fill condition is the engine's: ThruSpace.Resolve on 100,000 loads and stores" <| fun () ->
            let seed = Thru.Tests.Generators.testSeed 11UL
            let spaces = Thru.Conform.Gen.Generators.sampleSeeded seed 2500 (Gen.zip genEngineSpace (Gen.choose (0, Int32.MaxValue)))
            let failures = ResizeArray<string>()
            let fail (s: string) = if failures.Count < 10 then failures.Add s
            let mutable accesses = 0
            let mutable accepted = 0
            let mutable readTags = 0
            let mutable writeTags = 0
            let mutable linear = 0
            let tagged = Collections.Generic.HashSet<string>()

            for s0, accessSeed in spaces do
                use space = thruSpaceOf s0
                let mutable s = s0
                let r = Random accessSeed

                for addr, size, kind in Thru.Conform.Gen.Generators.sampleSeeded (uint64 accessSeed) 40 (genEngineAccess s0) do
                    accesses <- accesses + 1
                    let model = Space.resolve s addr size kind
                    // The fill condition is evaluated on the state before the access (as the engine's
                    // Resolve sees it before a store marks its page copy-on-write).
                    let env = Bridge.envOf s [ "f_", (addr, size, kind) ]
                    let fault, host, cacheable = resolveOn space addr size kind
                    let where () = sprintf "%A 0x%X size %d on a space of depth %d" kind addr size (Space.depth s)

                    if fault <> faultOf model then
                        fail (sprintf "%s: the engine's Resolve says %A, Space.resolve %A" (where ()) fault model)
                    elif fault = FaultKind.None then
                        accepted <- accepted + 1
                        let cache = newCache ()
                        let read = Value.bool (evalWith env cache fillRead)
                        let write = Value.bool (evalWith env cache fillWrite)

                        if cacheable.HasFlag PagePermissions.Read <> read || cacheable.HasFlag PagePermissions.Write <> write
                           || cacheable &&& ~~~(PagePermissions.Read ||| PagePermissions.Write) <> PagePermissions.None then
                            fail (sprintf "%s: the engine's Resolve gives %A, the terms read %b write %b" (where ()) cacheable read write)

                        // A store to account data marks its page copy-on-write (Space.write, ThruSpace.Resolve).
                        match model with
                        | Ok(DataAt(i, o)) when kind = Write ->
                            s <- { s with Accounts = s.Accounts |> Array.mapi (fun j a -> if j = i then { a with CowPages = a.CowPages.Add(o / 4096) } else a) }
                        | _ -> ()

                        // Every access the tag lets through the fast path reaches, on the slow path, the host
                        // byte the fast path computes: host(fill) + (a - fill).
                        for tagKind, granted in [ Read, read; Write, write ] do
                            if granted then
                                if tagKind = Read then readTags <- readTags + 1 else writeTags <- writeTags + 1
                                tagged.Add(sprintf "%A %A" tagKind (match model with Ok loc -> (sprintf "%A" loc).Split(' ')[0] | _ -> "")) |> ignore
                                let sz = Array.item (r.Next 4) [| 1; 2; 4; 8 |]
                                let a = (addr &&& ~~~0xFFFUL) + uint64 (r.Next 4096 / sz * sz)
                                let f2, host2, _ = resolveOn space a sz tagKind
                                linear <- linear + 1

                                if f2 <> FaultKind.None || host2 <> host + nativeint (int64 a - int64 addr) then
                                    fail (sprintf "%s: tagged for %A, but the slow path gives %A at host %+d for 0x%X" (where ()) tagKind f2 (int64 host2 - int64 host) a)
                                elif Result.isError (Space.resolve s a sz tagKind) then
                                    fail (sprintf "%s: tagged for %A, but Space.resolve refuses 0x%X size %d" (where ()) tagKind a sz)

            note <| sprintf "ThruSpace.Resolve vs the terms: %d accesses on %d spaces, %d accepted, %d read tags, %d write tags, %d fast-path accesses checked on the slow path" accesses spaces.Length accepted readTags writeTags linear
            note <| sprintf "  tagged: %s" (String.Join(", ", Seq.sort tagged))
            expectEmpty failures (String.Join("\n", failures))
            Expect.isGreaterThanOrEqual accesses 100_000 "accesses"
            Expect.isGreaterThan readTags 1000 "readTags"
            Expect.isGreaterThan writeTags 1000 "writeTags"
            // Every segment that can be tagged was, for reads (txn, shadow stack, program, data, stack, heap)
            // and for writes (data, stack, heap).
            Expect.equal tagged.Count 9 (String.Join(", ", tagged))

        // ---------------------------------------------------------------- z3: a broken hit test is refuted; the obligations are not vacuous; AllowMisaligned

        testCaseInGroup "z3" "a fast path without the alignment bits is refuted, and the model and the engine refuse its counter-example" <| fun () ->
            requireZ3 ()
            let o = t5 "default profile: load in a read-tagged page"
            // The mask ~0xFFF for every size: a hit checks the page only.
            let roots = replaceNamed "a_fast_mask_interp" (fun _ -> u64 ~~~0xFFFUL) (o.Goal :: o.Assumptions)
            let c = counterModel { o with Goal = List.head roots; Assumptions = List.tail roots }
            let space = c.Space.Value
            let addr, size, kind = accessOf c "a_"
            let fill, _, _ = accessOf c "f_"
            let page = fill &&& ~~~0xFFFUL
            // The broken test lets the load through (its page is the tag)...
            Expect.equal (addr &&& ~~~0xFFFUL) page "addr &&& ~~~0xFFFUL"
            // ...the model refuses it...
            match Space.resolve space addr size kind with
            | Error f -> Expect.equal f.Violation AlignmentViolation "f.Violation"
            | Ok loc -> failtest (sprintf "the model accepts the counter-example at %A" loc)
            // ...and the engine's real test, the term T5 is about and the machine alike, misses it.
            Expect.isFalse (evalHit (hitTerm FastPath.InterpreterTier) addr size page) "evalHit (hitTerm FastPath.InterpreterTier) addr size page"
            Expect.isFalse (evalHit (hitTerm FastPath.CompiledTier) addr size page) "evalHit (hitTerm FastPath.CompiledTier) addr size page"

            for mode, hit in engineHits false size fill addr do
                Expect.isFalse hit mode

        testCaseInGroup "z3" "the fast-path obligations are not vacuous: z3 finds a fill and a hit in every segment that can be tagged, and the engine hits" <| fun () ->
            requireZ3 ()
            let segType = extract 47 40 fillAccess.Addr
            let segIdx = extract 39 24 fillAccess.Addr
            let seg (t: int) (i: int option) = (segType =. u8 t) &&. (match i with Some i -> segIdx =. bv 16 (uint64 i) | None -> tt)
            let txn, shadow, program, data, stack, heap = seg 0 (Some 1), seg 0 (Some 2), seg 0 (Some 3), seg 3 None, seg 5 (Some 0), seg 7 (Some 0)

            for name, store, segments in
                [ "load tag", false, [ "txn", txn; "shadow stack", shadow; "program", program; "account data", data; "stack", stack; "heap", heap ]
                  "store tag", true, [ "account data", data; "stack", stack; "heap", heap ] ] do
                let o = t5 name

                for segName, inSegment in segments do
                    note <| sprintf "%s, fill in the %s:" name segName
                    // A counter-model of "the fill is not in this segment" is a fill in it that tags its page
                    // and an access that hits.
                    let c = counterModel { o with Goal = not' inSegment; Assumptions = o.Assumptions @ representable }
                    let space = c.Space.Value
                    let addr, size, kind = accessOf c "a_"
                    let fill, fillSize, fillKind = accessOf c "f_"
                    Expect.isTrue (Result.isOk (Space.resolve space fill fillSize fillKind)) "the model accepts the fill"
                    Expect.isTrue (Result.isOk (Space.resolve space addr size kind)) "the model accepts the access"
                    // The engine, in that state: its Resolve accepts the fill and grants the tag, the slow path
                    // would give the access the host byte the fast path computes, and the machine's fast path
                    // serves it.
                    use engine = thruSpaceOf space
                    let fault, host, cacheable = resolveOn engine fill fillSize fillKind
                    Expect.equal fault FaultKind.None "the engine accepts the fill"
                    Expect.isTrue (cacheable.HasFlag(if store then PagePermissions.Write else PagePermissions.Read)) (sprintf "the engine grants the tag (%A)" cacheable)
                    let fault2, host2, _ = resolveOn engine addr size kind
                    Expect.equal (fault2, host2) (FaultKind.None, host + nativeint (int64 addr - int64 fill)) "the slow path agrees with the fast path's host byte"

                    for mode, hit in engineHits store size fill addr do
                        Expect.isTrue hit mode

        testCaseInGroup "z3" "with AllowMisaligned on only hit => accepted holds: z3 finds an accepted misaligned load the fast path misses" <| fun () ->
            requireZ3 ()
            let c = counterModel (Theorems.fastPathExactUnder true Predicate.Kind.read)
            let space = c.Space.Value
            let addr, size, kind = accessOf c "a_"
            let fill, _, _ = accessOf c "f_"
            Expect.isTrue space.Profile.AllowMisaligned "space.Profile.AllowMisaligned"
            Expect.notEqual (addr % uint64 size) 0UL "misaligned"
            Expect.isTrue (Result.isOk (Space.resolve space addr size kind)) "the model accepts it"
            Expect.isFalse (evalHit (hitTerm FastPath.InterpreterTier) addr size (fill &&& ~~~0xFFFUL)) "evalHit (hitTerm FastPath.InterpreterTier) addr size (fill &&& ~~~0xFFFUL)"

            for mode, hit in engineHits false size fill addr do
                Expect.isFalse hit mode
    ]
