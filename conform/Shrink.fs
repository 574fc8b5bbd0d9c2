/// `thrumodel conform --shrink DIR`: reduce a failing fixture. Candidates smaller than the current
/// fixture are tried in turn (fewer steps, a shorter image, instructions replaced by nops, initial
/// registers and data zeroed; for transactions fewer listed accounts, fewer world accounts, less
/// instruction data and account data, a smaller compute budget, fewer blocks); for each, the model
/// gives the new expected observation and the adapter must still disagree with it on at least one
/// of the fields it disagreed on at first. The smallest fixture found is written out.
module Thru.Conform.Shrink

open System.Text.Json.Nodes
open Thru.Model
open Thru.Model.Runtime
open Thru.Compare
open Thru.Compare.Conformance

/// The top-level fields on which an observation differs from a fixture's expectation.
let private failingFields (f: Fixture) (obs: JsonObject) =
    compareObservation f.Kind f.Expected obs |> List.map (fun d -> (d.Path.Split([| '.'; '[' |])[0])) |> Set.ofList

/// The size of a fixture, for "smaller": its input's JSON length.
let size (f: Fixture) = (J.compact f.Input).Length

let private rawCandidates (r: RawInput) (executed: int64) : RawInput list =
    let steps = min r.MaxSteps (executed + 1L)
    let img = r.Image

    [ for s in [ steps / 2L; steps * 3L / 4L; steps - 1L ] do
          if s >= 0L && s < r.MaxSteps then { r with MaxSteps = s }
      for len in [ img.Length / 2; img.Length * 3 / 4; img.Length - 8; img.Length - 2 ] do
          let len = len &&& ~~~1
          if len > 0 && len < img.Length then { r with Image = img[.. len - 1] }
      for k in 1..31 do
          if r.Regs[k] <> 0UL then { r with Regs = Array.updateAt k 0UL r.Regs }
      // Replace each parcel by c.nop (0x0001), from the start, as long as it changes something.
      for off in 0..2 .. min (img.Length - 2) 512 do
          if not (img[off] = 0x01uy && img[off + 1] = 0uy) then
              { r with Image = Array.concat [ img[.. off - 1]; [| 0x01uy; 0uy |]; img[off + 2 ..] ] }
      // Zero 64-byte blocks of data.
      for off in 0..64 .. img.Length - 1 do
          let block = img[off .. min (img.Length - 1) (off + 63)]
          if block |> Array.exists ((<>) 0uy) then
              { r with Image = Array.concat [ img[.. off - 1]; Array.zeroCreate block.Length; img[off + block.Length ..] ] } ]

/// Re-sign a transaction body as its verifier expects (None for ed25519: no key to sign with).
let private sign (verifier: string) (payer: Pubkey) (body: byte[]) =
    match verifier with
    | "sha256-binding" -> Some(Array.append body (Gen.TxnGen.bindingSign payer (Crypto.transactionMessage body)))
    | "accept-all" -> Some(Array.append body (Array.zeroCreate 64))
    | _ -> None

let private txnCandidates (t: TxnInput) : TxnInput list =
    let accept: Crypto.Verifier = fun _ _ _ -> true

    let rebuilt =
        match Transaction.parse accept t.Wire with
        | Error _ -> []
        | Ok tx ->
            let rebuild (h: Transaction.Header) rw ro instr =
                Transaction.body h rw ro instr tx.StateProof tx.FeePayerMeta |> sign t.Verifier tx.Header.FeePayer |> Option.map (fun w -> { t with Wire = w })

            let h = tx.Header
            let instr = tx.InstrData

            [ for k in tx.ReadWrite do
                  rebuild h (tx.ReadWrite |> List.filter ((<>) k)) tx.ReadOnly instr
              for k in tx.ReadOnly do
                  rebuild h tx.ReadWrite (tx.ReadOnly |> List.filter ((<>) k)) instr
              for len in [ instr.Length / 2; instr.Length * 3 / 4; instr.Length - 8 ] do
                  if len >= 0 && len < instr.Length then rebuild h tx.ReadWrite tx.ReadOnly instr[.. len - 1]
              for cu in [ h.ComputeUnits / 2u; h.ComputeUnits * 3u / 4u ] do
                  if cu < h.ComputeUnits then rebuild { h with ComputeUnits = cu } tx.ReadWrite tx.ReadOnly instr ]
            |> List.choose id

    let listed =
        match Transaction.parse accept t.Wire with
        | Ok tx -> Set.ofList tx.Accounts
        | Error _ -> Set.ofSeq t.State.Keys

    [ yield! rebuilt
      let onlyListed = t.State |> Map.filter (fun k _ -> listed.Contains k)
      if onlyListed.Count < t.State.Count then { t with State = onlyListed }
      for KeyValue(k, a) in t.State do
          if a.Data.Length > 0 && not (Account.isProgram a) then
              let n = a.Data.Length / 2
              { t with State = t.State.Add(k, { Meta = { a.Meta with DataSize = uint32 n }; Data = a.Data[.. n - 1] }) }
      if t.Blocks.Length > 1 then { t with Blocks = [ t.Blocks.Head ] }
      if t.Blocks.Length > 128 then { t with Blocks = List.truncate 128 t.Blocks } ]

/// The result of a shrink: the smallest failing fixture (and its world), and how many candidates were tried.
type Shrunk =
    { Fixture: Fixture
      World: World option
      Tried: int
      Accepted: int }

/// Shrink `f` against `adapter`, trying at most `budget` candidates.
let shrink (adapter: Runner.AdapterProcess) (corpus: Corpus.Corpus) (f: Fixture) (budget: int) : Result<Shrunk, string> =
    let input = Corpus.input corpus f

    match adapter.Ask(f.Id, input, false) with
    | Ok(Protocol.Observed(obs, _)) ->
        let original = failingFields f obs

        if original.IsEmpty then
            Error(sprintf "%s does not fail: nothing to shrink" f.Id)
        else
            let stillFails (candidate: Fixture) (candidateInput: JsonObject) =
                match adapter.Ask(candidate.Id, candidateInput, false) with
                | Ok(Protocol.Observed(o, _)) -> not (Set.intersect original (failingFields candidate o)).IsEmpty
                | _ -> false

            let tried = ref 0
            let accepted = ref 0

            let rec loop (current: Fixture) (world: World option) =
                let resolved = match world with Some w -> resolve (Map [ w.Id, w ]) current.Input | None -> resolve corpus.Worlds current.Input

                let candidates: (Fixture * World option) list =
                    match resolved with
                    | Error _ -> []
                    | Ok i ->
                        match current.Kind with
                        | "raw" ->
                            match parseRawInput i with
                            | Ok r ->
                                let executed = match current.Expected["instructions"] with :? JsonValue as v -> v.GetValue<int64>() | _ -> r.MaxSteps
                                rawCandidates r executed |> List.map (fun c -> Build.raw f.Id f.Category ("shrunk: " + f.Description) c, None)
                            | Error _ -> []
                        | _ ->
                            match parseTxnInput i with
                            | Ok t ->
                                txnCandidates t
                                |> List.map (fun c ->
                                    let fx, w = Build.txn f.Id f.Category ("shrunk: " + f.Description) c c
                                    fx, Some w)
                            | Error _ -> []

                let smaller = candidates |> List.filter (fun (c, _) -> size c < size current)

                let found =
                    smaller
                    |> List.tryFind (fun (c, w) ->
                        if tried.Value >= budget then false
                        else
                            tried.Value <- tried.Value + 1
                            let ci = match w with Some w -> resolve (Map [ w.Id, w ]) c.Input | None -> Ok c.Input
                            match ci with
                            | Ok ci -> stillFails c ci
                            | Error _ -> false)

                match found with
                | Some(c, w) when tried.Value <= budget ->
                    accepted.Value <- accepted.Value + 1
                    loop c w
                | _ -> current, world

            let world0 =
                match f.Input["world"] with
                | null -> None
                | w -> corpus.Worlds.TryFind(w.GetValue<string>())

            let smallest, world = loop f world0
            Ok { Fixture = smallest; World = world; Tried = tried.Value; Accepted = accepted.Value }
    | Ok _ -> Error(sprintf "%s: the adapter gave no observation" f.Id)
    | Error e -> Error(sprintf "%s: %s" f.Id e)
