/// The 16 system calls (docs/spec/syscalls.md), one function each. An `ecall` with a7 = number runs
/// one of them; arguments are a0..a6; the result code goes to a0 (and a1 for 0x01 and 0x0A);
/// every other register is preserved and execution continues after the ecall.
///
/// Every syscall first pays its compute-unit cost (decision D-CU-CHARGE: computed from the
/// arguments as given; a syscall that cannot pay stops execution with SIGCU before doing any
/// work), then makes its checks in the order written, returning the first failing check's code.
module Thru.Model.Runtime.Syscalls

open Thru.Model
open Thru.Model.Isa
open Thru.Model.Memory
open Thru.Model.Memory.Layout
open Thru.Model.Memory.Paged
open Thru.Model.Memory.Space
open Thru.Model.Runtime.Vm

module C = Codes.Syscall

/// What a syscall leads to.
type Outcome =
    | Continue of Vm
    | Stop of Vm * Ending

/// The base cost of every syscall (TN_VM_SYSCALL_BASE_COST).
let baseCost = 512UL

/// sizeof(account meta) in the cost formulas (decision D-META-COST: 62, for every syscall).
let metaCost = uint64 Layout.metaViewSize

// ---------------------------------------------------------------------------------------
// Helpers: results, accounts, memory.
// ---------------------------------------------------------------------------------------

let private arg = Vm.arg

/// Return `code` in a0 and continue after the ecall.
let private returns (code: int64) (vm: Vm) =
    Continue { vm with Hart = { Pc = vm.Hart.Pc + 4UL; Regs = Registers.set vm.Hart.Regs Reg.a0 (uint64 code) } }

/// Return `code` in a0 and `a1` in a1.
let private returns2 (code: int64) (a1: uint64) (vm: Vm) =
    let regs = Registers.set (Registers.set vm.Hart.Regs Reg.a0 (uint64 code)) Reg.a1 a1
    Continue { vm with Hart = { Pc = vm.Hart.Pc + 4UL; Regs = regs } }

/// Pay `cost`, then run the checks and effects of `body`; an Error code becomes the result.
let private syscall (cost: uint64) (vm: Vm) (body: Vm -> Result<Outcome, int64>) : Outcome =
    match Vm.charge cost vm with
    | Error(vm, ending) -> Stop(vm, ending)
    | Ok vm ->
        match body vm with
        | Ok outcome -> outcome
        | Error code -> returns code vm

/// Pay for new persistent state, then continue with `k`; SIGSU when the budget cannot pay.
let private withState (before: int64) (after: int64) (vm: Vm) (k: Vm -> Result<Outcome, int64>) =
    match Vm.chargeState before after vm with
    | Ok vm -> k vm
    | Error(vm, ending) -> Ok(Stop(vm, ending))

let private saturatingAdd (a: uint64) (b: uint64) = if b > System.UInt64.MaxValue - a then System.UInt64.MaxValue else a + b

/// An account index argument: valid when below the transaction's account count.
let private index (vm: Vm) (v: uint64) : Result<int, int64> =
    if v < uint64 vm.Space.Accounts.Length then Ok(int v) else Error C.invalidAccountIndex

/// Decision D-LIVE: for syscalls an account exists when it has metadata and is neither deleted
/// nor compressed (a deleted account's bytes stay readable through segments 0x02/0x03).
let private liveMeta (a: AccountState) =
    a.Meta |> Option.filter AccountMeta.isLive

let private existing (vm: Vm) (i: int) : Result<AccountMeta, int64> =
    match liveMeta vm.Space.Accounts[i] with
    | Some m -> Ok m
    | None -> Error C.accountDoesNotExist

let private txnWritable (vm: Vm) (i: int) = Space.isTxnWritable vm.Space i
let private ownedByProgram (vm: Vm) (m: AccountMeta) = m.Owner = Vm.program vm

/// Writable in the transaction and owned by the running program (account_set_flags' check,
/// decision D-SET-FLAGS).
let private ownedAndTxnWritable (vm: Vm) (i: int) (m: AccountMeta) = txnWritable vm i && ownedByProgram vm m

/// "Writable by the current program" (docs/spec/syscalls.md §3.3): owned by the running program, writable
/// in the transaction, and not a program account.
let private writableByProgram (vm: Vm) (i: int) (m: AccountMeta) =
    ownedAndTxnWritable vm i m && not (AccountMeta.hasFlag AccountFlags.program m)

let private updateAccount (vm: Vm) (i: int) (f: AccountState -> AccountState) =
    { vm with Space = { vm.Space with Accounts = Array.updateAt i (f vm.Space.Accounts[i]) vm.Space.Accounts } }

let private setMeta (vm: Vm) (i: int) (m: AccountMeta) = updateAccount vm i (fun a -> { a with Meta = Some m })

/// A buffer argument: readable bytes or INVALID_ADDRESS.
let private bytesAt (vm: Vm) (addr: uint64) (count: uint64) : Result<byte[], int64> =
    match Space.readRange vm.Space addr count with
    | Some b -> Ok b
    | None -> Error C.invalidAddress

let private the32ByteSeed (vm: Vm) = Array.concat [ for i in 1..4 -> Bits.toLE 8 (arg vm i) ]

/// Parse a state proof and find its block's state root (INVALID_PROOF_LEN, INVALID_PROOF_SLOT).
/// Decision D-STATE-TRIE: a proof's slot must be one of the visible blocks (current slot and the
/// 511 before it); it is verified against that block's state root.
let private proofAndRoot (vm: Vm) (bytes: byte[]) : Result<StateProof.Proof * byte[], int64> =
    match StateProof.parse bytes with
    | Error _ -> Error C.invalidProofLen
    | Ok p ->
        let ago = vm.Ctx.Slot - p.Slot

        // Decision D-PROOF-WINDOW: the proof's slot is one of the ProofBlockSpan most recent blocks.
        if p.Slot > vm.Ctx.Slot || ago >= uint64 (min (Space.visibleBlocks vm.Space) vm.Ctx.Profile.ProofBlockSpan) then Error C.invalidProofSlot
        else Ok(p, vm.Space.Blocks[int ago].StateRoot)

let private verifyProof (vm: Vm) (key: Pubkey) (claim: StateProof.Claim) (p: StateProof.Proof, root: byte[]) =
    require (vm.Ctx.VerifyProof key claim root p) C.invalidStateProof

/// Programs anywhere in the call stack (for PROGRAM_IN_CALL_STACK).
let private inCallStack (vm: Vm) (i: int) = vm.Space.Shadow.Frames |> List.exists (fun f -> int f.ProgramAccIdx = i)

/// Record the stack/heap sizes in the running frame and the shadow-stack totals.
let private recordPages (s: Space) : Space =
    let stackPages, heapPages = s.Stack.Size / Address.pageSize, s.Heap.Size / Address.pageSize
    let frames = s.Shadow.Frames
    let current = { List.last frames with StackPages = uint16 stackPages; HeapPages = uint16 heapPages }

    { s with
        Shadow =
            { s.Shadow with
                TotalStackPages = stackPages
                TotalHeapPages = heapPages
                Frames = List.updateAt (frames.Length - 1) current frames } }

// ---------------------------------------------------------------------------------------
// 0x00, 0x01: anonymous segment sizing.
// ---------------------------------------------------------------------------------------

type private AnonTarget =
    | StackTarget
    | HeapTarget

/// The segment an address names: stack (0x05/0) or heap (0x07/0). Decision D-ANON-SIZE: the stack's
/// one-past-the-top address 0x05_0001_000000 (the SDK's initial sp) also names the stack, at offset
/// 0x1000000, so that "size 0" can be expressed.
let private anonymousTarget (addr: uint64) : (AnonTarget * int64) option =
    if addr = Address.stackBase + Address.segmentLimit then Some(StackTarget, int64 Address.segmentLimit)
    else
        match Address.split addr with
        | Some a when a.SegType = Address.SegType.stack && a.SegIdx = 0 -> Some(StackTarget, int64 a.Offset)
        | Some a when a.SegType = Address.SegType.heap && a.SegIdx = 0 -> Some(HeapTarget, int64 a.Offset)
        | _ -> None

let private segmentOfTarget (s: Space) t = match t with StackTarget -> s.Stack | HeapTarget -> s.Heap

/// The lowest mapped stack address, or one past the heap's end (increment's a1 result).
let private boundary (s: Space) t =
    match t with
    | StackTarget -> Address.stackBase + (Address.segmentLimit - uint64 s.Stack.Size)
    | HeapTarget -> Address.heapBase + uint64 s.Heap.Size

let private resize (t: AnonTarget) (newSize: int64) (vm: Vm) : Result<Vm, int64> =
    let s = vm.Space

    match Anonymous.resize (Vm.depth vm) newSize (segmentOfTarget s t) s.Pool with
    | Error Anonymous.NotPageMultiple
    | Error Anonymous.TooLarge -> Error C.invalidSegmentSize
    | Error Anonymous.OwnedByShallowerFrame -> Error C.unfreeablePage
    | Error Anonymous.PoolExhausted -> Error C.insufficientPages
    | Ok(seg, pool) ->
        let s = match t with StackTarget -> { s with Stack = seg; Pool = pool } | HeapTarget -> { s with Heap = seg; Pool = pool }
        Ok { vm with Space = recordPages s }

/// 0x00 set_anonymous_segment_sz(addr): the segment's size becomes 0x1000000 − offset (stack) or
/// offset (heap). Cost 512 + bytes grown.
let setAnonymousSegmentSz (vm: Vm) : Outcome =
    match anonymousTarget (arg vm 0) with
    | None -> syscall baseCost vm (fun _ -> Error C.invalidSegmentId)
    | Some(t, offset) ->
        let newSize = match t with StackTarget -> int64 Address.segmentLimit - offset | HeapTarget -> offset
        let grown = max 0L (newSize - int64 (segmentOfTarget vm.Space t).Size)

        syscall (baseCost + uint64 grown) vm (fun vm ->
            result {
                do! require (newSize % int64 Address.pageSize = 0L) C.invalidSegmentSize
                let! vm = resize t newSize vm
                return returns C.success vm
            })

/// 0x01 increment_anonymous_segment_sz(addr, delta): grow (delta > 0), shrink (< 0) or query (0)
/// the segment holding addr; a1 returns the boundary (decision D-ANON-SIZE: also on failure, except
/// when addr names no stack or heap, where a1 is unchanged). Cost 512 + max(0, delta).
let incrementAnonymousSegmentSz (vm: Vm) : Outcome =
    let delta = int64 (arg vm 1)

    // Decision D-CU-CHARGE: the cost is a function of the arguments alone, paid before the segment is looked at.
    match Vm.charge (baseCost + uint64 (max 0L delta)) vm with
    | Error(vm, ending) -> Stop(vm, ending)
    | Ok vm ->
        match anonymousTarget (arg vm 0) with
        | None -> returns C.invalidSegmentId vm
        | Some(t, _) ->
            let old = int64 (segmentOfTarget vm.Space t).Size
            let newSize = old + delta

            let resized =
                result {
                    do! require (newSize >= 0L && newSize <= int64 Address.segmentLimit && newSize % int64 Address.pageSize = 0L) C.invalidSegmentSize
                    return! resize t newSize vm
                }

            match resized with
            | Ok vm -> returns2 C.success (boundary vm.Space t) vm
            | Error code -> returns2 code (boundary vm.Space t) vm

// ---------------------------------------------------------------------------------------
// 0x02, 0x03: writability and transfers.
// ---------------------------------------------------------------------------------------

/// 0x02 set_account_data_writable(idx): mark the account's data writable by the running program
/// (decision D-ACCOUNT-WRITE). Cost 512.
let setAccountDataWritable (vm: Vm) : Outcome =
    syscall baseCost vm (fun vm ->
        result {
            let! i = index vm (arg vm 0)
            let! m = existing vm i
            do! require (writableByProgram vm i m) C.accountNotWritable
            return returns C.success (updateAccount vm i (fun a -> { a with DataWritable = true }))
        })

/// 0x03 account_transfer(from, to, amount). Cost 512.
let accountTransfer (vm: Vm) : Outcome =
    syscall baseCost vm (fun vm ->
        result {
            let! f = index vm (arg vm 0)
            let! t = index vm (arg vm 1)
            let amount = arg vm 2
            let! fm = existing vm f
            let! tm = existing vm t
            do! require (writableByProgram vm f fm) C.accountNotWritable
            do! require (txnWritable vm t) C.accountNotWritable
            let ephemeral (m: AccountMeta) = AccountMeta.hasFlag AccountFlags.ephemeral m
            do! require (not (ephemeral fm) && not (ephemeral tm)) C.invalidAccount
            do! require (amount <= fm.Balance) C.insufficientBalance
            do! require (f = t || tm.Balance <= System.UInt64.MaxValue - amount) C.balanceOverflow
            let fm' = { fm with Balance = fm.Balance - amount }
            let tm = if f = t then fm' else tm // a self-transfer credits what it just debited
            return returns C.success (setMeta (setMeta vm f fm') t { tm with Balance = tm.Balance + amount })
        })

// ---------------------------------------------------------------------------------------
// 0x04, 0x05, 0x0F: account creation.
// ---------------------------------------------------------------------------------------

/// A new account at index i. The data pages a previous incarnation (a deleted account being
/// recreated) copied go back to the pool with its data.
let private freshAccount (vm: Vm) (i: int) (m: AccountMeta) =
    let released = vm.Space.Accounts[i].CowPages.Count
    let vm = { vm with Space = { vm.Space with Pool = PagePool.give released vm.Space.Pool } }
    updateAccount vm i (fun a -> { a with Meta = Some m; Data = Overlay.empty; CowPages = Set.empty; DataWritable = false })

let private activate (vm: Vm) (bytes: int64) : Result<Vm, int64> =
    let total = vm.Activated + uint64 bytes
    if total < vm.Activated then Error C.stateBytesAddedOverflow else Ok { vm with Activated = total }

/// The first checks of every creation: a valid index, writable in the transaction, and no live
/// account there yet. Returns the index and its key.
let private creatable (vm: Vm) : Result<int * Pubkey, int64> =
    result {
        let! i = index vm (arg vm 0)
        do! require (txnWritable vm i) C.accountNotWritable
        do! require (liveMeta vm.Space.Accounts[i]).IsNone C.accountAlreadyExists
        return i, vm.Space.Accounts[i].Key
    }

/// The end of a persistent creation: the proof at `proofPtr` must show `key` absent from the
/// state (INVALID_ADDRESS, INVALID_PROOF_LEN, INVALID_PROOF_SLOT, INVALID_STATE_PROOF), the
/// activated-state counter must not overflow, the state units must pay for the new metadata,
/// and then the account appears with `meta`.
let private createProven (vm: Vm) (i: int) (key: Pubkey) (proofPtr: uint64) (proofSize: uint64) (meta: AccountMeta) =
    result {
        let! proofBytes = bytesAt vm proofPtr proofSize
        let! proof = proofAndRoot vm proofBytes
        do! verifyProof vm key StateProof.Absent proof
        let! vm = activate vm (Vm.footprint 0L)
        return! withState 0L (Vm.footprint 0L) vm (fun vm -> Ok(returns C.success (freshAccount vm i meta)))
    }

/// 0x04 account_create(idx, seed words a1..a4, proof, proof_sz): a persistent account at the
/// program-derived address SHA-256(program ‖ 0 ‖ seed), proven absent by a CREATION proof.
/// Cost 512 + 32 + proof_sz + 62.
let accountCreate (vm: Vm) : Outcome =
    let proofSize = arg vm 6

    syscall (saturatingAdd (baseCost + 32UL + metaCost) proofSize) vm (fun vm ->
        result {
            let! i, key = creatable vm
            let creator = liveMeta vm.Space.Accounts[Vm.programIdx vm]
            do! require (creator |> Option.forall (fun m -> not (AccountMeta.hasFlag AccountFlags.ephemeral m))) C.ephemeralAccountCannotCreatePersistent
            do! require (Crypto.derivedAddress (Vm.program vm) false (the32ByteSeed vm) = key) C.badAccountAddress
            return! createProven vm i key (arg vm 5) proofSize { AccountMeta.create (Vm.program vm) with Flags = AccountFlags.newlyCreated }
        })

/// 0x05 account_create_ephemeral(idx, seed words a1..a4): an account that lives for this
/// transaction only, at SHA-256(program ‖ 1 ‖ seed). No proof, no state units.
/// Cost 512 + 32 + 62.
let accountCreateEphemeral (vm: Vm) : Outcome =
    syscall (baseCost + 32UL + metaCost) vm (fun vm ->
        result {
            let! i, key = creatable vm
            do! require (Crypto.derivedAddress (Vm.program vm) true (the32ByteSeed vm) = key) C.badAccountAddress
            let! vm = activate vm (Vm.footprint 0L)
            let m = { AccountMeta.create (Vm.program vm) with Flags = AccountFlags.ephemeral ||| AccountFlags.newlyCreated }
            return returns C.success (freshAccount vm i m)
        })

/// 0x0F account_create_eoa(idx, signature, proof, proof_sz): an externally owned account whose
/// key signed the EOA-creation message, proven absent, owned by the EOA program (the all-zero
/// key). Decision D-EOA-MESSAGE: the message, and the index must be writable in the transaction
/// like every other creation. Cost 512 + 64 + proof_sz + 62 (decision D-META-COST).
let accountCreateEoa (vm: Vm) : Outcome =
    let proofSize = arg vm 3

    syscall (saturatingAdd (baseCost + 64UL + metaCost) proofSize) vm (fun vm ->
        result {
            let! i, key = creatable vm
            let! signature = bytesAt vm (arg vm 1) 64UL
            let message = Crypto.eoaCreateMessage vm.Ctx.ChainId vm.Ctx.FeePayer key
            do! require (vm.Ctx.Verify key message signature) C.invalidSignature
            return! createProven vm i key (arg vm 2) proofSize { AccountMeta.create Pubkey.zero with Flags = AccountFlags.newlyCreated }
        })

// ---------------------------------------------------------------------------------------
// 0x06, 0x07: delete and resize.
// ---------------------------------------------------------------------------------------

let private deactivate (vm: Vm) (bytes: int64) : Result<Vm, int64> =
    let total = vm.Deactivated + uint64 bytes
    if total < vm.Deactivated then Error C.stateBytesRemovedOverflow else Ok { vm with Deactivated = total }

/// 0x06 account_delete(idx, signature or 0): mark the account deleted. Only its owner may, with
/// balance and nonce zero; a non-zero a1 points to a signature by the account's key over the
/// EOA-deletion message. Cost 512.
let accountDelete (vm: Vm) : Outcome =
    syscall baseCost vm (fun vm ->
        result {
            let! i = index vm (arg vm 0)
            let! m = existing vm i
            do! require (writableByProgram vm i m) C.accountNotWritable
            do! require (m.Balance = 0UL && m.Nonce = 0UL) C.invalidAccount

            if arg vm 1 <> 0UL then
                let! signature = bytesAt vm (arg vm 1) 64UL
                let key = vm.Space.Accounts[i].Key
                do! require (vm.Ctx.Verify key (Crypto.eoaDeleteMessage vm.Ctx.ChainId vm.Ctx.FeePayer key) signature) C.invalidSignature

            let! vm = deactivate vm (Vm.footprint (int64 m.DataSize))
            return returns C.success (setMeta vm i { m with Flags = m.Flags ||| AccountFlags.deleted })
        })

let private pagesFor (bytes: int64) = int ((bytes + 4095L) / 4096L)

/// 0x07 account_resize(idx, new_size): set data_sz; new bytes read as zero; makes the data writable.
/// New pages come from the pool (INSUFFICIENT_PAGES), pages beyond a shrink go back to it.
/// Decision D-RESIZE: cost 512 (no per-byte cost, as documented); checks in the order size limit,
/// pages, then state units for persistent accounts. Cost 512.
let accountResize (vm: Vm) : Outcome =
    syscall baseCost vm (fun vm ->
        result {
            let! i = index vm (arg vm 0)
            let! m = existing vm i
            do! require (writableByProgram vm i m) C.accountNotWritable
            let newSize = arg vm 1
            do! require (newSize <= uint64 Executable.maximumSize) C.accountTooBig
            let newSize = int64 newSize
            let oldSize = int64 m.DataSize
            let a = vm.Space.Accounts[i]
            let oldPages, newPages = pagesFor oldSize, pagesFor newSize
            let added = Set.ofList [ oldPages .. newPages - 1 ]
            let dropped = a.CowPages |> Set.filter (fun p -> p >= newPages)
            let! pool = PagePool.take added.Count vm.Space.Pool |> orError C.insufficientPages
            let pool = PagePool.give dropped.Count pool
            let persistent = not (AccountMeta.hasFlag AccountFlags.ephemeral m)
            let before, after = (if persistent then Vm.footprint oldSize, Vm.footprint newSize else 0L, 0L)

            return!
                withState before after vm (fun vm ->
                    let vm = { vm with Space = { vm.Space with Pool = pool } }

                    let vm =
                        updateAccount vm i (fun a ->
                            { a with
                                Meta = Some { m with DataSize = uint32 newSize }
                                Data = Overlay.truncate a.Data (int (min oldSize newSize))
                                CowPages = (a.CowPages - dropped) + added
                                DataWritable = true })

                    Ok(returns C.success vm))
        })

// ---------------------------------------------------------------------------------------
// 0x08, 0x09: compression.
// ---------------------------------------------------------------------------------------

/// 0x08 account_compress(idx, proof, proof_sz): archive the account (COMPRESSED flag) with a proof
/// that its slot in the state trie may be written (CREATION or UPDATING). An ephemeral account is
/// deleted instead, and a deleted account stays deleted; both return 0 (docs/spec/syscalls.md §12, with
/// writability in the transaction still required). Decision D-COMPRESS: at most one per
/// transaction, only with the transaction's MAY_COMPRESS_ACCOUNT flag. Cost 512 + proof_sz +
/// data_sz + 62 (decision D-META-COST).
let accountCompress (vm: Vm) : Outcome =
    let proofSize = arg vm 2
    let dataSize =
        match index vm (arg vm 0) with
        | Ok i -> uint64 (AccountState.dataSize vm.Space.Accounts[i])
        | Error _ -> 0UL

    syscall (saturatingAdd (saturatingAdd (baseCost + metaCost) proofSize) dataSize) vm (fun vm ->
        result {
            let! i = index vm (arg vm 0)

            if vm.Space.Accounts[i].Meta |> Option.exists (AccountMeta.hasFlag AccountFlags.deleted) then
                do! require (txnWritable vm i) C.accountNotWritable
                return returns C.success vm
            else
                let! m = existing vm i
                do! require (txnWritable vm i) C.accountNotWritable

                if AccountMeta.hasFlag AccountFlags.ephemeral m then
                    return returns C.success (setMeta vm i { m with Flags = m.Flags ||| AccountFlags.deleted })
                else
                    do! require vm.Compressed.IsNone C.txnHasCompressedAccount
                    do! require (vm.Ctx.TxnFlags &&& Transaction.flagMayCompressAccount <> 0uy) C.accountCompressionNotAllowed
                    // Decision D-COMPRESS: the chain's state counter must be above the 32 GiB baseline.
                    do! require (vm.Ctx.Chain.StateCounter > Chain.compressionBaseline) C.accountCompressionNotAllowed
                    do! require (not (AccountMeta.hasFlag AccountFlags.uncompressable m)) C.accountUncompressable
                    do! require (not (inCallStack vm i)) C.programInCallStack
                    let! proofBytes = bytesAt vm (arg vm 1) proofSize
                    let! proof = proofAndRoot vm proofBytes
                    do! verifyProof vm vm.Space.Accounts[i].Key StateProof.Replaceable proof
                    let! vm = deactivate vm (Vm.footprint (int64 m.DataSize))
                    let vm = setMeta vm i { m with Flags = m.Flags ||| AccountFlags.compressed }
                    return returns C.success { vm with Compressed = Some i }
        })

/// 0x09 account_decompress(idx, meta, data, proof, proof_sz): restore a compressed (or absent)
/// account from the caller's copy of its metadata (the 62-byte view, decision D-META-VIEW) and
/// data, proven by an EXISTING proof of SHA-256(record ‖ data). Decision D-COMPRESS: an
/// account compressed less than 384 slots ago is still cooling down
/// (ACCOUNT_IN_COMPRESSION_TIMEOUT). Cost 512 + data_sz + proof_sz.
let accountDecompress (vm: Vm) : Outcome =
    let proofSize = arg vm 4
    let metaBytes = Space.readRange vm.Space (arg vm 1) (uint64 Layout.metaViewSize)
    let declared = metaBytes |> Option.map (fun b -> uint64 (Layout.metaOfView b).DataSize) |> Option.defaultValue 0UL

    syscall (saturatingAdd (saturatingAdd baseCost declared) proofSize) vm (fun vm ->
        result {
            let! i = index vm (arg vm 0)
            let key = vm.Space.Accounts[i].Key
            do! require (txnWritable vm i) C.accountNotWritable
            do! require (liveMeta vm.Space.Accounts[i]).IsNone C.accountAlreadyExists

            do!
                require
                    (vm.Ctx.Chain.CompressedAt.TryFind key |> Option.forall (fun at -> vm.Ctx.Slot - at >= Chain.compressionTimeout))
                    C.accountInCompressionTimeout

            let! metaBytes = metaBytes |> orError C.invalidAddress
            let m = Layout.metaOfView metaBytes
            do! require (m.DataSize <= uint32 Executable.maximumSize) C.invalidAccountDataSize
            let! data = bytesAt vm (arg vm 2) (uint64 m.DataSize)
            let! proofBytes = bytesAt vm (arg vm 3) proofSize
            let! proof = proofAndRoot vm proofBytes
            let restored = { Meta = m; Data = data }
            do! verifyProof vm key (StateProof.Holds(StateProof.accountValueHash restored)) proof
            let! vm = activate vm (Vm.footprint (int64 m.DataSize))
            let pages = pagesFor (int64 m.DataSize)
            // Pages an earlier incarnation copied are released before the restored data's are taken.
            let released = PagePool.give vm.Space.Accounts[i].CowPages.Count vm.Space.Pool
            let! pool = PagePool.take pages released |> orError C.insufficientPages

            return!
                withState 0L (Vm.footprint (int64 m.DataSize)) vm (fun vm ->
                    let vm = { vm with Space = { vm.Space with Pool = pool } }
                    let meta = { m with Flags = m.Flags &&& ~~~AccountFlags.compressed }

                    let vm =
                        updateAccount vm i (fun a ->
                            { a with
                                Meta = Some meta
                                Data = Overlay.ofBytes data
                                CowPages = Set.ofList [ 0 .. pages - 1 ]
                                DataWritable = false })

                    Ok(returns C.success vm))
        })

// ---------------------------------------------------------------------------------------
// 0x0A, 0x0B: invoke and exit.
// ---------------------------------------------------------------------------------------

/// 0x0A invoke(instr, instr_sz, program_idx, auth): run another program in a new frame. The
/// caller's 32 registers are saved in its public shadow frame (a3, the authorization descriptor,
/// among them: that is all the VM does for authorization); the callee starts like a top-level
/// program (decision D-ENTRY-REGS) with a0/a1 = instr/instr_sz, reading the caller's memory
/// through that pointer. Decision D-FRAME-PAGES: the new frame's stack_pages/heap_pages start at the
/// current segment sizes. Cost 512.
let invoke (vm: Vm) : Outcome =
    syscall baseCost vm (fun vm ->
        result {
            let! i = index vm (arg vm 2)
            let! m = existing vm i
            do! require (AccountMeta.hasFlag AccountFlags.program m) C.accountIsNotProgram
            do! require (Vm.depth vm < maxDepth) C.callDepthTooDeep
            let image = Overlay.toArray vm.Space.Accounts[i].Data (int m.DataSize)
            let! exe = Executable.parseWith vm.Ctx.Profile image |> Result.mapError (fun _ -> C.accountIsNotProgram)
            let s = vm.Space
            let frames = s.Shadow.Frames
            let caller = { List.last frames with SavedRegs = Registers.toArray vm.Hart.Regs }

            let callee: Frame =
                { ProgramAccIdx = uint16 i
                  StackPages = uint16 (s.Stack.Size / Address.pageSize)
                  HeapPages = uint16 (s.Heap.Size / Address.pageSize)
                  SavedRegs = Array.zeroCreate 32 }

            let depth = s.Shadow.CallDepth + 1

            let space =
                { s with
                    Program = exe.Segment
                    Shadow =
                        { s.Shadow with
                            CallDepth = depth
                            MaxCallDepth = max depth s.Shadow.MaxCallDepth
                            Frames = List.updateAt (frames.Length - 1) caller frames @ [ callee ] } }

            let back = { ReturnPc = vm.Hart.Pc + 4UL; CallerProgram = s.Program; CallerCallIdx = vm.CallIdx }

            return
                Continue
                    { vm with
                        Hart = Executable.entryHart (arg vm 0) (arg vm 1)
                        Space = space
                        Returns = back :: vm.Returns
                        CallIdx = vm.Invocations + 1
                        Invocations = vm.Invocations + 1 }
        })

/// 0x0B exit(code, revert). Revert ≠ 0 ends the whole transaction (any depth). Otherwise the top
/// level ends successfully, and a nested frame returns to its caller: the caller's registers come
/// back from its shadow frame, with a0 = 0 and a1 = the exit code (decision D-INVOKE-RETURN, as the
/// SDKs read them), after the caller's ecall, on the caller's program. Cost 0.
let exit (vm: Vm) : Outcome =
    let code, revert = arg vm 0, arg vm 1

    match vm.Returns with
    | _ when revert <> 0UL -> Stop(vm, Reverted(code, Vm.programIdx vm))
    | [] -> Stop(vm, Exited code)
    | back :: outer ->
        let s = vm.Space
        let frames = List.take (s.Shadow.Frames.Length - 1) s.Shadow.Frames
        let caller = List.last frames
        let regs = Registers.set (Registers.set (Registers.ofArray caller.SavedRegs) Reg.a0 0UL) Reg.a1 code

        Continue
            { vm with
                Hart = { Pc = back.ReturnPc; Regs = regs }
                Space = { s with Program = back.CallerProgram; Shadow = { s.Shadow with CallDepth = s.Shadow.CallDepth - 1; Frames = frames } }
                Returns = outer
                CallIdx = back.CallerCallIdx }

// ---------------------------------------------------------------------------------------
// 0x0C, 0x0D: logs and events.
// ---------------------------------------------------------------------------------------

/// TN_VM_LOG_DATA_MAX_SIZE.
let logMax = 1024UL

/// 0x0C log(data, len): record the bytes (no formatting). Checks: size, then address. Cost 0.
let log (vm: Vm) : Outcome =
    syscall 0UL vm (fun vm ->
        result {
            let len = arg vm 1
            do! require (len <= logMax) C.logDataTooLarge
            let! data = bytesAt vm (arg vm 0) len
            return returns C.success { vm with Logs = { ProgramIdx = Vm.programIdx vm; Data = data } :: vm.Logs }
        })

/// Decision D-EVENT-LIMIT: events live in the 16 MiB event segment: an event is too large when the
/// bytes emitted so far plus its own would exceed it. The segment grows by pool pages.
let eventSegmentSize = int64 Address.segmentLimit

/// 0x0D emit_event(data, size): append an event. Checks: zero size, too large, address, pages.
/// Cost 512 + size.
let emitEvent (vm: Vm) : Outcome =
    let size = arg vm 1

    syscall (saturatingAdd baseCost size) vm (fun vm ->
        result {
            do! require (size <> 0UL) C.eventIsZeroSize
            do! require (size <= uint64 (eventSegmentSize - vm.EventBytes)) C.eventTooLarge
            let! payload = bytesAt vm (arg vm 0) size
            let total = vm.EventBytes + int64 size
            let! pool = PagePool.take (pagesFor total - pagesFor vm.EventBytes) vm.Space.Pool |> orError C.insufficientPages
            let event = { Id = vm.Events.Length; CallIdx = vm.CallIdx; ProgramIdx = Vm.programIdx vm; Program = Vm.program vm; Payload = payload }
            return returns C.success { vm with Events = event :: vm.Events; EventBytes = total; Space = { vm.Space with Pool = pool } }
        })

// ---------------------------------------------------------------------------------------
// 0x0E: flags.
// ---------------------------------------------------------------------------------------

/// 0x0E account_set_flags(idx, flags): only PROGRAM may change. Setting it validates the data as an
/// executable and makes the data non-writable; clearing it is refused while the program is in the
/// call stack. Decision D-SET-FLAGS: the writability check is "owned by the running program and
/// writable in the transaction" (not "not a program", which would make PROGRAM impossible to
/// clear), and only a1's low byte is read. Cost 512.
let accountSetFlags (vm: Vm) : Outcome =
    syscall baseCost vm (fun vm ->
        result {
            let! i = index vm (arg vm 0)
            let! m = existing vm i
            do! require (ownedAndTxnWritable vm i m) C.accountNotWritable
            let flags = byte (arg vm 1)
            do! require ((flags ^^^ m.Flags) &&& ~~~AccountFlags.program = 0uy) C.invalidFlags
            let setting = flags &&& AccountFlags.program <> 0uy && not (AccountMeta.hasFlag AccountFlags.program m)
            let clearing = flags &&& AccountFlags.program = 0uy && AccountMeta.hasFlag AccountFlags.program m
            let image = Overlay.toArray vm.Space.Accounts[i].Data (int m.DataSize)
            do! require (not setting || Executable.parseWith vm.Ctx.Profile image |> Result.isOk) C.accountIsNotProgram
            do! require (not clearing || not (inCallStack vm i)) C.programInCallStack
            let vm = setMeta vm i { m with Flags = flags }
            return returns C.success (if setting then updateAccount vm i (fun a -> { a with DataWritable = false }) else vm)
        })

// ---------------------------------------------------------------------------------------
// Dispatch.
// ---------------------------------------------------------------------------------------

/// Run the syscall named by a7. Decision D-UNKNOWN-SYSCALL: a number above 0x0F stops execution
/// like an illegal instruction (SIGILL).
let dispatch (vm: Vm) : Outcome =
    match Vm.reg vm Reg.a7 with
    | 0x00UL -> setAnonymousSegmentSz vm
    | 0x01UL -> incrementAnonymousSegmentSz vm
    | 0x02UL -> setAccountDataWritable vm
    | 0x03UL -> accountTransfer vm
    | 0x04UL -> accountCreate vm
    | 0x05UL -> accountCreateEphemeral vm
    | 0x06UL -> accountDelete vm
    | 0x07UL -> accountResize vm
    | 0x08UL -> accountCompress vm
    | 0x09UL -> accountDecompress vm
    | 0x0AUL -> invoke vm
    | 0x0BUL -> exit vm
    | 0x0CUL -> log vm
    | 0x0DUL -> emitEvent vm
    | 0x0EUL -> accountSetFlags vm
    | 0x0FUL -> accountCreateEoa vm
    | n -> Stop(vm, UnknownSyscall(n, Vm.programIdx vm))
