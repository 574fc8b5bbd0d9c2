/// SMT-LIB2 text from terms, and the z3 binary run as a process on it.
module Thru.Proofs.Smt

open System
open System.Text
open Thru.Proofs.Dsl
open Thru.Proofs.Eval

let sortText (s: Sort) =
    match s with
    | Bool -> "Bool"
    | BV w -> sprintf "(_ BitVec %d)" w

let constText (v: uint64) (w: int) =
    if w % 4 = 0 then
        "#x" + v.ToString("X").PadLeft(w / 4, '0')
    else
        "#b" + Convert.ToString(int64 v, 2).PadLeft(w, '0')

let private opText (op: Op) =
    match op with
    | Add -> "bvadd"
    | Sub -> "bvsub"
    | Mul -> "bvmul"
    | UDiv -> "bvudiv"
    | URem -> "bvurem"
    | SDiv -> "bvsdiv"
    | SRem -> "bvsrem"
    | BAnd -> "bvand"
    | BOr -> "bvor"
    | BXor -> "bvxor"
    | BNot -> "bvnot"
    | Shl -> "bvshl"
    | LShr -> "bvlshr"
    | Extract(hi, lo) -> sprintf "(_ extract %d %d)" hi lo
    | ZeroExt n -> sprintf "(_ zero_extend %d)" n
    | SignExt n -> sprintf "(_ sign_extend %d)" n
    | Concat -> "concat"
    | Eq -> "="
    | ULt -> "bvult"
    | ULe -> "bvule"
    | SLt -> "bvslt"
    | SLe -> "bvsle"
    | And -> "and"
    | Or -> "or"
    | Not -> "not"
    | Implies -> "=>"
    | Ite -> "ite"

/// The text of a term; named subterms appear by name (they are defined by `define-fun`).
let rec termText (t: Term) : string =
    match t with
    | Const(v, w) -> constText v w
    | BoolConst b -> if b then "true" else "false"
    | Var(n, _) -> n
    | Named(n, _) -> n
    | App(f, [], _) -> f
    | App(f, args, _) -> "(" + f + " " + String.Join(" ", args |> List.map termText) + ")"
    | Node(op, args) -> "(" + opText op + " " + String.Join(" ", args |> List.map termText) + ")"

/// One proof obligation as an SMT-LIB2 script: declarations, definitions of the named subterms,
/// the assumptions, and the negated goal, ending in (check-sat). unsat = the goal holds.
let script (assumptions: Term list) (goal: Term) : string =
    let roots = goal :: assumptions
    let sb = StringBuilder()
    let line (s: string) = sb.Append(s).Append('\n') |> ignore
    let funs = functions roots
    line "(set-option :produce-models true)"
    line (if funs.IsEmpty then "(set-logic QF_BV)" else "(set-logic QF_UFBV)")

    for n, s in freeVars roots do
        line (sprintf "(declare-const %s %s)" n (sortText s))

    let byName = funs |> List.groupBy (fun (f, _, _) -> f)

    for f, sigs in byName do
        match sigs with
        | [ (_, args, res) ] -> line (sprintf "(declare-fun %s (%s) %s)" f (String.Join(" ", args |> List.map sortText)) (sortText res))
        | _ -> failwithf "function %s used with several signatures" f

    let defined = Collections.Generic.Dictionary<string, Term>()

    for t in subterms roots do
        match t with
        | Named(n, b) ->
            match defined.TryGetValue n with
            | true, other when not (obj.ReferenceEquals(other, t)) -> failwithf "two different subterms named %s" n
            | true, _ -> ()
            | _ ->
                defined[n] <- t
                line (sprintf "(define-fun %s () %s %s)" n (sortText (sortOf b)) (termText b))
        | _ -> ()

    for a in assumptions do
        line (sprintf "(assert %s)" (termText a))

    line (sprintf "(assert (not %s))" (termText goal))
    sb.ToString()

// ---- S-expressions (z3's answers) ----

type SExpr =
    | Atom of string
    | List of SExpr list

let parseSExprs (text: string) : SExpr list =
    let mutable i = 0
    let n = text.Length

    let rec skip () =
        while i < n && Char.IsWhiteSpace text[i] do
            i <- i + 1

    let rec one () : SExpr =
        skip ()

        if text[i] = '(' then
            i <- i + 1
            let items = ResizeArray()
            skip ()

            while text[i] <> ')' do
                items.Add(one ())
                skip ()

            i <- i + 1
            List(List.ofSeq items)
        elif text[i] = '"' then
            let start = i
            i <- i + 1

            while text[i] <> '"' do
                i <- i + 1

            i <- i + 1
            Atom(text.Substring(start, i - start))
        elif text[i] = '|' then
            let start = i
            i <- i + 1

            while text[i] <> '|' do
                i <- i + 1

            i <- i + 1
            Atom(text.Substring(start + 1, i - start - 2))
        else
            let start = i

            while i < n && not (Char.IsWhiteSpace text[i]) && text[i] <> '(' && text[i] <> ')' do
                i <- i + 1

            Atom(text.Substring(start, i - start))

    let out = ResizeArray()
    skip ()

    while i < n do
        out.Add(one ())
        skip ()

    List.ofSeq out

/// A value as z3 prints it.
let parseValue (e: SExpr) : Value =
    match e with
    | Atom "true" -> B true
    | Atom "false" -> B false
    | Atom s when s.StartsWith "#x" -> V(Convert.ToUInt64(s.Substring 2, 16), 4 * (s.Length - 2))
    | Atom s when s.StartsWith "#b" -> V(Convert.ToUInt64(s.Substring 2, 2), s.Length - 2)
    | List [ Atom "_"; Atom bvn; Atom w ] when bvn.StartsWith "bv" -> V(UInt64.Parse(bvn.Substring 2), int w)
    | _ -> failwithf "unexpected value from z3: %A" e

// ---- Running z3 ----

type Answer =
    /// unsat: the goal holds under the assumptions.
    | Unsat
    /// sat: a counter-model, as the values of the requested terms.
    | Sat of Value list
    | Unknown of reason: string

/// The z3 executable: $THRU_Z3, or `z3` on the PATH.
let z3Path () =
    match Environment.GetEnvironmentVariable "THRU_Z3" with
    | null
    | "" -> "z3"
    | p -> p

let z3Version () =
    try
        use p = Diagnostics.Process.Start(Diagnostics.ProcessStartInfo(z3Path (), "--version", RedirectStandardOutput = true, UseShellExecute = false))
        let v = p.StandardOutput.ReadToEnd().Trim()
        p.WaitForExit()
        Some v
    with _ ->
        None

/// Run `text` (ending before check-sat) through z3; on sat, ask for the values of `wanted`.
let check (timeoutSeconds: int) (text: string) (wanted: Term list) : Answer =
    let psi =
        Diagnostics.ProcessStartInfo(
            z3Path (),
            sprintf "-in -smt2 -T:%d" timeoutSeconds,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false
        )

    use p = Diagnostics.Process.Start psi
    p.StandardInput.Write text
    p.StandardInput.Write "(check-sat)\n"
    p.StandardInput.Flush()

    let first =
        let rec next () =
            match p.StandardOutput.ReadLine() with
            | null -> "eof"
            | "" -> next ()
            | l -> l.Trim()

        next ()

    let answer =
        match first with
        | "unsat" -> Unsat
        | "sat" when wanted.IsEmpty -> Sat []
        | "sat" ->
            p.StandardInput.Write(sprintf "(get-value (%s))\n" (String.Join(" ", wanted |> List.map termText)))
            p.StandardInput.Flush()
            // Read one balanced s-expression.
            let sb = StringBuilder()
            let mutable depth = 0
            let mutable started = false

            while not started || depth > 0 do
                let c = p.StandardOutput.Read()
                if c < 0 then failwith "z3 ended while printing a model"
                let ch = char c
                sb.Append ch |> ignore

                if ch = '(' then
                    depth <- depth + 1
                    started <- true
                elif ch = ')' then
                    depth <- depth - 1

            match parseSExprs (sb.ToString()) with
            | [ List pairs ] ->
                Sat(
                    pairs
                    |> List.map (function
                        | List [ _; v ] -> parseValue v
                        | e -> failwithf "unexpected model entry %A" e)
                )
            | e -> failwithf "unexpected model %A" e
        | other -> Unknown(other + " " + p.StandardError.ReadToEnd())

    try
        p.StandardInput.Write "(exit)\n"
        p.StandardInput.Close()
    with _ ->
        ()

    if not (p.WaitForExit 10000) then p.Kill()
    answer
