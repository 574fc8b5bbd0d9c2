/// A small bit-vector expression language. A term is written once and then used twice: printed
/// as SMT-LIB2 for z3 (Smt.fs) and evaluated over concrete values (Eval.fs). The semantics of every
/// operation is that of the SMT-LIB2 FixedSizeBitVectors theory (e.g. bvsdiv truncates toward
/// zero, like .NET integer division; bvurem by zero returns the dividend).
///
/// Model `int` values are 32-bit vectors compared signed; model `uint64` values are 64-bit vectors
/// compared unsigned. Widths are checked when a term is built, so an ill-sorted term never exists.
module Thru.Proofs.Dsl

type Sort =
    | Bool
    | BV of width: int

type Op =
    | Add
    | Sub
    | Mul
    | UDiv
    | URem
    | SDiv
    | SRem
    | BAnd
    | BOr
    | BXor
    | BNot
    | Shl
    | LShr
    | Extract of hi: int * lo: int
    | ZeroExt of extra: int
    | SignExt of extra: int
    | Concat
    | Eq
    | ULt
    | ULe
    | SLt
    | SLe
    | And
    | Or
    | Not
    | Implies
    | Ite

/// A term. Terms are immutable DAGs (a subterm may be shared); `Named` marks a subterm that the
/// SMT printer emits once as a `define-fun` and the evaluator computes once per evaluation.
[<ReferenceEquality>]
type Term =
    | Const of value: uint64 * width: int
    | BoolConst of bool
    | Var of name: string * sort: Sort
    /// An uninterpreted function applied to arguments (a per-account or per-page input).
    | App of fn: string * args: Term list * sort: Sort
    | Node of op: Op * args: Term list
    | Named of name: string * body: Term

let mask (width: int) = if width >= 64 then System.UInt64.MaxValue else (1UL <<< width) - 1UL

let rec sortOf (t: Term) : Sort =
    match t with
    | Const(_, w) -> BV w
    | BoolConst _ -> Bool
    | Var(_, s) -> s
    | App(_, _, s) -> s
    | Named(_, b) -> sortOf b
    | Node(op, args) ->
        match op, args with
        | (Eq | ULt | ULe | SLt | SLe | And | Or | Not | Implies), _ -> Bool
        | Extract(hi, lo), _ -> BV(hi - lo + 1)
        | ZeroExt n, [ a ]
        | SignExt n, [ a ] -> BV(width a + n)
        | Concat, [ a; b ] -> BV(width a + width b)
        | Ite, [ _; a; _ ] -> sortOf a
        | _, a :: _ -> sortOf a
        | _ -> failwithf "malformed node %A" op

and width (t: Term) =
    match sortOf t with
    | BV w -> w
    | Bool -> failwith "a Boolean term where a bit-vector was expected"

let private fail fmt = Printf.kprintf (fun s -> raise (System.ArgumentException s)) fmt

/// Build a node, checking the sorts of its arguments.
let node (op: Op) (args: Term list) : Term =
    let sorts = args |> List.map sortOf

    match op, sorts with
    | (Add | Sub | Mul | UDiv | URem | SDiv | SRem | BAnd | BOr | BXor | Shl | LShr | ULt | ULe | SLt | SLe), [ BV a; BV b ] when a = b -> ()
    | BNot, [ BV _ ] -> ()
    | Extract(hi, lo), [ BV w ] when 0 <= lo && lo <= hi && hi < w -> ()
    | (ZeroExt n | SignExt n), [ BV w ] when n >= 0 && w + n <= 64 -> ()
    | Concat, [ BV a; BV b ] when a + b <= 64 -> ()
    | Eq, [ a; b ] when a = b -> ()
    | (And | Or), ss when ss.Length >= 2 && ss |> List.forall ((=) Bool) -> ()
    | Not, [ Bool ] -> ()
    | Implies, [ Bool; Bool ] -> ()
    | Ite, [ Bool; a; b ] when a = b -> ()
    | _ -> fail "ill-sorted %A over %A" op sorts

    Node(op, args)

// ---- Leaves ----

let bv (width: int) (value: uint64) =
    if width < 1 || width > 64 then fail "width %d" width
    Const(value &&& mask width, width)

/// A model `int` constant (32 bits, two's complement).
let i32 (v: int) = bv 32 (uint64 (uint32 v))
let u64 (v: uint64) = bv 64 v
let u8 (v: int) = bv 8 (uint64 v)
let tt = BoolConst true
let ff = BoolConst false
let var (name: string) (sort: Sort) = Var(name, sort)
let boolVar name = Var(name, Bool)
let intVar name = Var(name, BV 32)
let app (fn: string) (args: Term list) (sort: Sort) = App(fn, args, sort)
let named (name: string) (body: Term) = Named(name, body)

// ---- Operators ----

type Term with
    static member (+)(a: Term, b: Term) = node Add [ a; b ]
    static member (-)(a: Term, b: Term) = node Sub [ a; b ]
    static member (*)(a: Term, b: Term) = node Mul [ a; b ]
    static member (&&&)(a: Term, b: Term) = node BAnd [ a; b ]
    static member (|||)(a: Term, b: Term) = node BOr [ a; b ]
    static member (~~~)(a: Term) = node BNot [ a ]
    /// Logical shift right by a constant.
    static member (>>>)(a: Term, n: int) = node LShr [ a; bv (width a) (uint64 n) ]
    static member (<<<)(a: Term, n: int) = node Shl [ a; bv (width a) (uint64 n) ]

let bxor a b = node BXor [ a; b ]
let udiv a b = node UDiv [ a; b ]
let urem a b = node URem [ a; b ]
/// Model `int` division (truncating toward zero, as .NET).
let sdiv a b = node SDiv [ a; b ]
/// Model `int` remainder (sign of the dividend, as .NET).
let srem a b = node SRem [ a; b ]
let extract hi lo a = node (Extract(hi, lo)) [ a ]
let zext n a = node (ZeroExt n) [ a ]
let sext n a = node (SignExt n) [ a ]
let concat a b = node Concat [ a; b ]

/// Truncate or zero-extend to `w` bits (as a .NET integer conversion between unsigned types).
let resize w a =
    let v = width a
    if v = w then a elif v > w then extract (w - 1) 0 a else zext (w - v) a

let (=.) a b = node Eq [ a; b ]
let (<>.) a b = node Not [ node Eq [ a; b ] ]
/// Signed comparisons (model `int`).
let (<.) a b = node SLt [ a; b ]
let (<=.) a b = node SLe [ a; b ]
let (>.) a b = node SLt [ b; a ]
let (>=.) a b = node SLe [ b; a ]
/// Unsigned comparisons (model `uint64`).
let ult a b = node ULt [ a; b ]
let ule a b = node ULe [ a; b ]

let (&&.) a b = node And [ a; b ]
let (||.) a b = node Or [ a; b ]
let not' a = node Not [ a ]
let (==>) a b = node Implies [ a; b ]
let (<=>) a b = node Eq [ a; b ]
let ite c a b = node Ite [ c; a; b ]
let all (ts: Term list) = match ts with [] -> tt | [ t ] -> t | _ -> node And ts
let any (ts: Term list) = match ts with [] -> ff | [ t ] -> t | _ -> node Or ts
let oneOf (t: Term) (values: Term list) = any (values |> List.map (fun v -> t =. v))

/// `firstOf pick [c1, r1; c2, r2; ...] otherwise`: the result of the first condition that holds,
/// like an F# `match` with guards; `pick c a b` chooses between two results (`ite` for a single
/// term, `Verdict.pick` for a verdict).
let firstOf (pick: Term -> 'R -> 'R -> 'R) (cases: (Term * 'R) list) (otherwise: 'R) : 'R =
    List.foldBack (fun (c, r) acc -> pick c r acc) cases otherwise

// ---- Traversals ----

/// Every subterm once (post-order, by reference), named bodies included.
let subterms (roots: Term list) : Term list =
    let seen = System.Collections.Generic.HashSet<Term>(HashIdentity.Reference)
    let out = ResizeArray()

    let rec go t =
        if seen.Add t then
            match t with
            | App(_, args, _)
            | Node(_, args) -> List.iter go args
            | Named(_, b) -> go b
            | Const _
            | BoolConst _
            | Var _ -> ()

            out.Add t

    List.iter go roots
    List.ofSeq out

/// The free variables (name, sort), in first-use order.
let freeVars (roots: Term list) =
    subterms roots |> List.choose (function Var(n, s) -> Some(n, s) | _ -> None) |> List.distinct

/// The uninterpreted functions (name, argument sorts, result sort).
let functions (roots: Term list) =
    subterms roots
    |> List.choose (function App(f, args, s) -> Some(f, args |> List.map sortOf, s) | _ -> None)
    |> List.distinct

/// The distinct applications of uninterpreted functions.
let applications (roots: Term list) =
    subterms roots |> List.filter (function App _ -> true | _ -> false)

/// Rebuild the DAG with the body of every `Named` node called `name` replaced by `f body`
/// (used to build deliberately broken predicates). Sharing is preserved.
let replaceNamed (name: string) (f: Term -> Term) (roots: Term list) : Term list =
    let memo = System.Collections.Generic.Dictionary<Term, Term>(HashIdentity.Reference)
    let mutable hits = 0

    let rec go t =
        match memo.TryGetValue t with
        | true, r -> r
        | _ ->
            let r =
                match t with
                | Named(n, b) when n = name ->
                    hits <- hits + 1
                    Named(n, f (go b))
                | Named(n, b) -> Named(n, go b)
                | Node(op, args) -> node op (List.map go args)
                | App(fn, args, s) -> App(fn, List.map go args, s)
                | Const _
                | BoolConst _
                | Var _ -> t

            memo[t] <- r
            r

    let out = List.map go roots
    if hits = 0 then fail "no named subterm %s" name
    out
