/// Runs the theorems through z3 and turns counter-models back into concrete accesses.
module Thru.Proofs.Runner

open System
open Thru.Model
open Thru.Model.Memory
open Thru.Proofs.Dsl
open Thru.Proofs.Eval
open Thru.Proofs.Bridge
open Thru.Proofs.Theorems

/// A counter-model, read back from z3 and made concrete.
type CounterModel =
    { Assignment: Assignment
      /// The concrete accesses (prefix, access) and the space they were realized in.
      Accesses: (string * ConcreteAccess) list
      Space: Space.Space option
      /// What the model's own `Space.resolve` says of each access on that space.
      ModelVerdicts: string list
      /// The interpreter agrees with z3: on the counter-model the assumptions hold and the goal fails.
      InterpreterAgrees: bool
      /// On the realized concrete space, `Predicate.resolve` gives the model's verdicts and the goal
      /// fails: the counter-example is one of the model itself.
      ConfirmedOnModel: bool
      Problem: string option }

type Outcome =
    | Proved
    | Counter of CounterModel
    | Undecided of string

type ObligationResult =
    { Obligation: Obligation
      Outcome: Outcome
      Seconds: float }

type Status =
    | StatusProved
    | StatusFailed
    /// A finding whose counter-model z3 found, as expected.
    | StatusRefutedAsExpected
    /// A finding that now holds: the model was fixed; promote it to a theorem.
    | StatusStale

type TheoremResult =
    { Theorem: Theorem
      Results: ObligationResult list
      Status: Status
      Seconds: float }

let statusText (s: Status) =
    match s with
    | StatusProved -> "proved"
    | StatusFailed -> "failed"
    | StatusRefutedAsExpected -> "counter-model, as expected (known model finding)"
    | StatusStale -> "failed (finding no longer refuted: the model changed; promote it to a theorem)"

let failed (r: TheoremResult) = r.Status = StatusFailed || r.Status = StatusStale

/// The terms whose values make up a counter-model: every variable, and every application of an
/// uninterpreted function with its arguments.
let wantedTerms (roots: Term list) =
    let vars = freeVars roots |> List.map (fun (n, s) -> Var(n, s))
    let apps = applications roots
    let appTerms = apps |> List.collect (function App(_, args, _) as t -> args @ [ t ] | t -> [ t ])
    vars, apps, vars @ appTerms

let assignmentOf (vars: Term list) (apps: Term list) (values: Value list) : Assignment =
    let varValues, rest = List.splitAt vars.Length values

    let names = vars |> List.map (function Var(n, _) -> n | _ -> "")

    let rec points (apps: Term list) (values: Value list) acc =
        match apps with
        | [] -> acc
        | App(f, args, _) :: tail ->
            let argValues, rest = List.splitAt args.Length values
            let v, rest = List.head rest, List.tail rest
            points tail rest (Map.add (f, argValues) v acc)
        | _ :: tail -> points tail values acc

    { Vars = List.zip names varValues |> Map.ofList
      Points = points apps rest Map.empty }

let private describeResult (r: Result<Space.Location, AccessFault>) =
    match r with
    | Ok loc -> sprintf "accepted at %A" loc
    | Error f -> sprintf "refused: %A" f.Violation

/// Evaluate a counter-model: with the interpreter, and on the model after realizing it.
let confirm (o: Obligation) (m: Assignment) : CounterModel =
    let holds env (t: Term) = Value.bool (eval env t)
    let env = Assignment.env m
    let interpreterAgrees =
        try o.Assumptions |> List.forall (holds env) && not (holds env o.Goal) with _ -> false

    try
        let space, accesses = realize m o.Accesses
        let named = List.zip o.Accesses accesses
        let results = accesses |> List.map (fun (addr, size, kind) -> Space.resolve space addr size kind)
        let concrete = envOfWith m.Vars space named

        let predicateAgrees =
            List.zip o.Accesses results
            |> List.forall (fun (p, r) ->
                let v = Predicate.resolve (Predicate.access p)
                let cache = newCache ()
                let ev t = evalWith concrete cache t
                let code, tag, idx, off = modelVerdict r
                let c = Value.int (ev v.Code)
                c = code && (c <> Predicate.Code.ok || (Value.int (ev v.Tag), Value.int (ev v.Index), Value.int (ev v.Offset)) = (tag, idx, off)))

        let goalFails = o.Assumptions |> List.forall (holds concrete) && not (holds concrete o.Goal)

        { Assignment = m
          Accesses = named
          Space = Some space
          ModelVerdicts = results |> List.map describeResult
          InterpreterAgrees = interpreterAgrees
          ConfirmedOnModel = predicateAgrees && goalFails
          Problem = None }
    with e ->
        { Assignment = m
          Accesses = []
          Space = None
          ModelVerdicts = []
          InterpreterAgrees = interpreterAgrees
          ConfirmedOnModel = false
          Problem = Some e.Message }

/// Check one obligation with z3.
let runObligation (timeoutSeconds: int) (o: Obligation) : ObligationResult =
    let sw = Diagnostics.Stopwatch.StartNew()
    let roots = o.Goal :: o.Assumptions
    let vars, apps, wanted = wantedTerms roots

    let outcome =
        match Smt.check timeoutSeconds (Smt.script o.Assumptions o.Goal) wanted with
        | Smt.Unsat -> Proved
        | Smt.Sat values -> Counter(confirm o (assignmentOf vars apps values))
        | Smt.Unknown why -> Undecided why

    { Obligation = o; Outcome = outcome; Seconds = sw.Elapsed.TotalSeconds }

let statusOf (t: Theorem) (results: ObligationResult list) =
    let anyCounter = results |> List.exists (fun r -> match r.Outcome with Counter _ -> true | _ -> false)
    let anyUndecided = results |> List.exists (fun r -> match r.Outcome with Undecided _ -> true | _ -> false)

    match t.Expect with
    | Holds -> if anyCounter || anyUndecided then StatusFailed else StatusProved
    | Refuted _ -> if anyCounter then StatusRefutedAsExpected elif anyUndecided then StatusFailed else StatusStale

/// Run theorems, their obligations in parallel (one z3 process each).
let run (timeoutSeconds: int) (theorems: Theorem list) : TheoremResult list =
    let jobs = theorems |> List.collect (fun t -> t.Obligations |> List.map (fun o -> t, o)) |> Array.ofList
    let options = Threading.Tasks.ParallelOptions(MaxDegreeOfParallelism = max 1 Environment.ProcessorCount)
    let results = Array.zeroCreate jobs.Length
    Threading.Tasks.Parallel.For(0, jobs.Length, options, fun i -> results[i] <- runObligation timeoutSeconds (snd jobs[i])) |> ignore

    theorems
    |> List.map (fun t ->
        let rs =
            [ for i in 0 .. jobs.Length - 1 do
                  if obj.ReferenceEquals(fst jobs[i], t) then results[i] ]

        { Theorem = t
          Results = rs
          Status = statusOf t rs
          Seconds = rs |> List.sumBy (fun r -> r.Seconds) })

// ---- Reporting ----

let private kindName (k: AccessKind) = sprintf "%A" k

/// The counter-model in words: the accesses, the relevant space values, and what the model says.
let describe (c: CounterModel) : string list =
    let m = c.Assignment

    let accessLines =
        if c.Accesses.IsEmpty then
            m.Vars |> Map.toList |> List.filter (fun (n, _) -> n.StartsWith "x_") |> List.map (fun (n, v) -> sprintf "%s = %s" n (Value.show v))
        else
            List.zip c.Accesses (List.truncate c.Accesses.Length (c.ModelVerdicts @ List.replicate c.Accesses.Length ""))
            |> List.map (fun ((p, (addr, size, kind)), verdict) ->
                sprintf "access %s: address 0x%012X%s, size %d, kind %s -> Space.resolve: %s" (p.TrimEnd '_') addr (if addr >>> 48 <> 0UL then sprintf " (full 0x%016X)" addr else "") size (kindName kind) verdict)

    let spaceVars =
        m.Vars
        |> Map.toList
        |> List.filter (fun (n, _) -> not (n.Contains "_"))
        |> List.map (fun (n, v) -> sprintf "%s=%s" n (Value.show v))

    let points =
        m.Points
        |> Map.toList
        |> List.map (fun ((f, args), v) -> sprintf "%s(%s)=%s" f (String.Join(",", args |> List.map Value.show)) (Value.show v))

    accessLines
    @ [ "space: " + String.Join(" ", spaceVars) ]
    @ (if points.IsEmpty then [] else [ "per account/page: " + String.Join(" ", points) ])
    @ [ sprintf "interpreter agrees with z3: %b; confirmed on the model's resolve: %b%s" c.InterpreterAgrees c.ConfirmedOnModel (match c.Problem with Some p -> " (" + p + ")" | None -> "") ]

let textReport (results: TheoremResult list) (pending: Pending list) : string list =
    let lineOf (id: string) (title: string) (status: string) (detail: string) =
        let head = sprintf "%s %s " id title
        sprintf "%s%s %s%s" head (String.replicate (max 3 (44 - head.Length)) ".") status detail

    [ for r in results do
          yield lineOf r.Theorem.Id r.Theorem.Title (statusText r.Status) (sprintf "  (%d obligation%s, z3 %.2f s)" r.Results.Length (if r.Results.Length = 1 then "" else "s") r.Seconds)

          for o in r.Results do
              match o.Outcome with
              | Proved -> ()
              | Undecided why -> yield sprintf "    %s: z3 could not decide (%s)" o.Obligation.Name why
              | Counter c ->
                  yield sprintf "    %s: counter-model" o.Obligation.Name

                  for l in describe c do
                      yield "      " + l
      for p in pending do
          yield lineOf p.PendingId p.PendingTitle "pending" (sprintf "  (%s)" p.Reason) ]

/// A JSON value.
let private jv (x: obj) : Text.Json.Nodes.JsonNode =
    match x with
    | :? string as s -> Text.Json.Nodes.JsonValue.Create s
    | :? int as i -> Text.Json.Nodes.JsonValue.Create i
    | :? float as f -> Text.Json.Nodes.JsonValue.Create(Math.Round(f, 3))
    | :? bool as b -> Text.Json.Nodes.JsonValue.Create b
    | _ -> failwithf "no JSON for %A" x

let jsonReport (results: TheoremResult list) (pending: Pending list) : string =
    let open' = Text.Json.Nodes.JsonObject()
    let arr = Text.Json.Nodes.JsonArray()

    for r in results do
        let t = Text.Json.Nodes.JsonObject()
        t["id"] <- jv (r.Theorem.Id)
        t["title"] <- jv (r.Theorem.Title)
        t["claim"] <- jv (r.Theorem.Claim)

        let status =
            match r.Status with
            | StatusProved -> "proved"
            | StatusFailed -> "failed"
            | StatusRefutedAsExpected -> "refuted-as-expected"
            | StatusStale -> "stale-finding"

        t["status"] <- jv status
        t["seconds"] <- jv (r.Seconds)
        let obs = Text.Json.Nodes.JsonArray()

        for o in r.Results do
            let j = Text.Json.Nodes.JsonObject()
            j["name"] <- jv (o.Obligation.Name)
            j["seconds"] <- jv (o.Seconds)

            match o.Outcome with
            | Proved -> j["outcome"] <- jv ("unsat")
            | Undecided why ->
                j["outcome"] <- jv ("unknown")
                j["reason"] <- jv (why)
            | Counter c ->
                j["outcome"] <- jv ("sat")
                let cm = Text.Json.Nodes.JsonObject()
                let accs = Text.Json.Nodes.JsonArray()

                for (p, (addr, size, kind)), verdict in List.zip c.Accesses (List.truncate c.Accesses.Length (c.ModelVerdicts @ List.replicate c.Accesses.Length "")) do
                    let x = Text.Json.Nodes.JsonObject()
                    x["prefix"] <- jv (p)
                    x["address"] <- jv (sprintf "0x%X" addr)
                    x["size"] <- jv (size)
                    x["kind"] <- jv (kindName kind)
                    x["resolve"] <- jv (verdict)
                    accs.Add x

                cm["accesses"] <- (accs :> Text.Json.Nodes.JsonNode)
                let vars = Text.Json.Nodes.JsonObject()

                for KeyValue(n, v) in c.Assignment.Vars do
                    vars[n] <- jv (Value.show v)

                cm["inputs"] <- (vars :> Text.Json.Nodes.JsonNode)
                let pts = Text.Json.Nodes.JsonObject()

                for KeyValue((f, args), v) in c.Assignment.Points do
                    pts[sprintf "%s(%s)" f (String.Join(",", args |> List.map Value.show))] <- jv (Value.show v)

                cm["points"] <- (pts :> Text.Json.Nodes.JsonNode)
                cm["interpreterAgrees"] <- jv (c.InterpreterAgrees)
                cm["confirmedOnModel"] <- jv (c.ConfirmedOnModel)
                j["counterModel"] <- (cm :> Text.Json.Nodes.JsonNode)

            obs.Add j

        t["obligations"] <- (obs :> Text.Json.Nodes.JsonNode)
        arr.Add t

    for p in pending do
        let t = Text.Json.Nodes.JsonObject()
        t["id"] <- jv (p.PendingId)
        t["title"] <- jv (p.PendingTitle)
        t["status"] <- jv ("pending")
        t["reason"] <- jv (p.Reason)
        arr.Add t

    open'["z3"] <- jv (Smt.z3Version () |> Option.defaultValue "not found")
    open'["theorems"] <- (arr :> Text.Json.Nodes.JsonNode)
    open'.ToJsonString(Text.Json.JsonSerializerOptions(WriteIndented = true, Encoder = Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping))
