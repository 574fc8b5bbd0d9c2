/// Pure paged storage: bytes over an immutable base, the transaction's page pool, and the
/// anonymous (stack, heap) segments whose pages carry the call depth that allocated them.
/// Source: docs/spec/memory.md §8, §9 (copy-on-write; anonymous memory and the page pool).
module Thru.Model.Memory.Paged

open Thru.Model

// ---------------------------------------------------------------------------------------
// Overlay: the bytes of a segment. The committed base is never modified; writes go to a map of
// 8-byte words. Bytes of the base at or past `BaseLimit` read as zero (after a shrink), as do
// bytes never written.
// ---------------------------------------------------------------------------------------

type Overlay =
    { Base: byte[]
      BaseLimit: int
      Words: Map<int, uint64> }

module Overlay =
    let empty = { Base = [||]; BaseLimit = 0; Words = Map.empty }
    let ofBytes (b: byte[]) = { Base = b; BaseLimit = b.Length; Words = Map.empty }

    let private baseByte (o: Overlay) (offset: int) = if offset < o.BaseLimit && offset < o.Base.Length then o.Base[offset] else 0uy

    /// The 8-byte word with index `w` (bytes 8w..8w+7).
    let private word (o: Overlay) (w: int) : uint64 =
        match o.Words.TryFind w with
        | Some v -> v
        | None -> [ 0..7 ] |> List.fold (fun acc i -> acc ||| (uint64 (baseByte o (8 * w + i)) <<< (8 * i))) 0UL

    let private mask size = if size = 8 then System.UInt64.MaxValue else (1UL <<< (8 * size)) - 1UL

    /// Read `size` (1, 2, 4, 8) bytes at `offset`, zero-extended, little-endian. An aligned
    /// access lies in one word; a misaligned one (profile AllowMisaligned) is read byte by byte.
    let rec read (o: Overlay) (offset: int) (size: int) : uint64 =
        if offset % size = 0 then
            (word o (offset / 8) >>> (8 * (offset % 8))) &&& mask size
        else
            [ 0 .. size - 1 ] |> List.fold (fun acc i -> acc ||| (read o (offset + i) 1 <<< (8 * i))) 0UL

    /// Write the low `size` bytes of `value` at `offset`, little-endian.
    let rec write (o: Overlay) (offset: int) (size: int) (value: uint64) : Overlay =
        if offset % size = 0 then
            let w = offset / 8
            let shift = 8 * (offset % 8)
            let merged = (word o w &&& ~~~(mask size <<< shift)) ||| ((value &&& mask size) <<< shift)
            { o with Words = o.Words.Add(w, merged) }
        else
            [ 0 .. size - 1 ] |> List.fold (fun o i -> write o (offset + i) 1 (value >>> (8 * i))) o

    /// `count` bytes from `offset` (any alignment), for syscalls that read buffers.
    let readBytes (o: Overlay) (offset: int) (count: int) : byte[] =
        Array.init count (fun i -> byte (read o (offset + i) 1))

    /// Write bytes at `offset` (any alignment), for syscalls that fill buffers.
    let writeBytes (o: Overlay) (offset: int) (bytes: byte[]) : Overlay =
        bytes |> Array.fold (fun (o, i) b -> write o (offset + i) 1 (uint64 b), i + 1) (o, 0) |> fst

    /// Every byte at or past `size` becomes zero (used when a segment or an account shrinks, so
    /// that growing again exposes zeros, never old contents).
    let truncate (o: Overlay) (size: int) : Overlay =
        let kept = o.Words |> Map.filter (fun w _ -> 8 * w < size)
        let o' = { o with BaseLimit = min o.BaseLimit size; Words = kept }

        if size % 8 = 0 then o'
        else
            let w = size / 8
            let keep = (1UL <<< (8 * (size % 8))) - 1UL
            { o' with Words = o'.Words.Add(w, word o' w &&& keep) }

    /// Zero the bytes [from, until), both multiples of 8 (pages being freed).
    let clear (o: Overlay) (from: int) (until: int) : Overlay =
        let baseEnd = min o.BaseLimit o.Base.Length

        let words =
            [ from / 8 .. until / 8 - 1 ]
            |> List.fold (fun (m: Map<int, uint64>) w -> if 8 * w < baseEnd then m.Add(w, 0UL) else m.Remove w) o.Words

        { o with Words = words }

    /// The current contents of the first `size` bytes.
    let toArray (o: Overlay) (size: int) : byte[] = readBytes o 0 size

// ---------------------------------------------------------------------------------------
// The transaction page pool. Decision D-MU: one memory unit is one 4 KiB page; the pool holds
// req_memory_units pages.
// ---------------------------------------------------------------------------------------

type PagePool =
    { Capacity: int
      InUse: int
      /// The most pages ever in use at once (reported as consumed memory units).
      Peak: int }

module PagePool =
    let create (capacity: int) = { Capacity = capacity; InUse = 0; Peak = 0 }

    /// Take `n` pages, or None when the pool cannot supply them.
    let take (n: int) (p: PagePool) : PagePool option =
        if n <= 0 then Some p
        elif p.InUse + n > p.Capacity then None
        else Some { p with InUse = p.InUse + n; Peak = max p.Peak (p.InUse + n) }

    /// Give back `n` pages.
    let give (n: int) (p: PagePool) : PagePool = { p with InUse = max 0 (p.InUse - n) }

// ---------------------------------------------------------------------------------------
// Anonymous segments: the stack (0x05) grows down from offset 0xFFFFFF, the heap (0x07) up from
// offset 0. Sizes are multiples of 4 KiB; each page records the call depth that allocated it.
// ---------------------------------------------------------------------------------------

type Direction =
    | GrowsDown
    | GrowsUp

type Anonymous =
    { Direction: Direction
      /// Mapped size in bytes (a multiple of 4096).
      Size: int
      /// Page number within the segment (offset / 4096) -> call depth that allocated it.
      Owners: Map<int, int>
      Bytes: Overlay }

module Anonymous =
    let private limit = int Address.segmentLimit
    let private page = Address.pageSize

    let create direction = { Direction = direction; Size = 0; Owners = Map.empty; Bytes = Overlay.empty }

    /// The mapped offsets [low, high).
    let range (a: Anonymous) =
        match a.Direction with
        | GrowsDown -> limit - a.Size, limit
        | GrowsUp -> 0, a.Size

    /// Whether [offset, offset + size) is mapped.
    let contains (a: Anonymous) (offset: int) (size: int) =
        let low, high = range a
        offset >= low && offset + size <= high

    /// The call depth that allocated the page holding `offset` (mapped offsets only).
    let ownerOf (a: Anonymous) (offset: int) = a.Owners |> Map.tryFind (offset / page)

    /// Page numbers of the mapped range of a segment of `size` bytes.
    let private pagesOf direction size =
        match direction with
        | GrowsDown -> [ (limit - size) / page .. limit / page - 1 ]
        | GrowsUp -> [ 0 .. size / page - 1 ]

    /// Why a resize is refused.
    type ResizeError =
        | NotPageMultiple
        | TooLarge
        | PoolExhausted
        /// A page to free was allocated by a shallower frame (UNFREEABLE_PAGE).
        | OwnedByShallowerFrame

    /// Resize to `newSize` bytes at call depth `depth`, taking pages from or giving them to the
    /// pool. New pages are zero and tagged with `depth`; freed pages must have been allocated at
    /// `depth` or deeper (docs/spec/memory.md §9.3) and their contents are discarded.
    let resize (depth: int) (newSize: int64) (a: Anonymous) (pool: PagePool) : Result<Anonymous * PagePool, ResizeError> =
        if newSize < 0L || newSize % int64 page <> 0L then Error NotPageMultiple
        elif newSize > int64 limit then Error TooLarge
        else
            let newSize = int newSize
            let before = Set.ofList (pagesOf a.Direction a.Size)
            let after = Set.ofList (pagesOf a.Direction newSize)
            let added = after - before
            let removed = before - after

            if removed |> Set.exists (fun p -> a.Owners[p] < depth) then
                Error OwnedByShallowerFrame
            else
                match PagePool.take added.Count pool with
                | None -> Error PoolExhausted
                | Some pool ->
                    let owners = (a.Owners, removed) ||> Set.fold (fun m p -> m.Remove p)
                    let owners = (owners, added) ||> Set.fold (fun m p -> m.Add(p, depth))
                    let bytes = (a.Bytes, removed) ||> Set.fold (fun o p -> Overlay.clear o (p * page) ((p + 1) * page))
                    Ok({ a with Size = newSize; Owners = owners; Bytes = bytes }, PagePool.give removed.Count pool)
