/// The concrete interpreter of the term language: the same terms z3 reasons about, evaluated over
/// 64-bit words with the SMT-LIB2 bit-vector semantics.
module Thru.Proofs.Eval

open Thru.Proofs.Dsl

type Value =
    | B of bool
    | V of value: uint64 * width: int

    override v.ToString() =
        match v with
        | B b -> (if b then "true" else "false")
        | V(x, w) -> if w = 1 then string x else sprintf "0x%X" x

let private signedOf (w: int) (x: uint64) : int64 =
    if w = 64 then int64 x
    elif x &&& (1UL <<< (w - 1)) <> 0UL then int64 (x ||| ~~~(mask w))
    else int64 x

module Value =
    let bool (v: Value) = match v with B b -> b | V _ -> failwith "expected a Boolean"
    let bits (v: Value) = match v with V(x, _) -> x | B _ -> failwith "expected a bit-vector"
    /// The value as a model `int` (two's complement of the low 32 bits).
    let int (v: Value) = int (uint32 (bits v))
    let ofInt (x: int) = V(uint64 (uint32 x), 32)
    let sortOf (v: Value) = match v with B _ -> Bool | V(_, w) -> BV w

    /// For people: 64-bit values in hex, narrower ones as signed decimals (model ints).
    let show (v: Value) =
        match v with
        | B b -> if b then "true" else "false"
        | V(x, 64) -> sprintf "0x%X" x
        | V(x, 32) -> string (int32 (uint32 x))
        | V(x, w) -> string (signedOf w x)

/// Values of the free variables and the uninterpreted functions.
type Env =
    { Var: string -> Value
      Fun: string -> Value list -> Value }

let private signed (w: int) (x: uint64) : int64 =
    if w = 64 then int64 x
    elif x &&& (1UL <<< (w - 1)) <> 0UL then int64 (x ||| ~~~(mask w))
    else int64 x

let private bvOp (op: Op) (w: int) (a: uint64) (b: uint64) : uint64 =
    let r =
        match op with
        | Add -> a + b
        | Sub -> a - b
        | Mul -> a * b
        | UDiv -> if b = 0UL then mask w else a / b
        | URem -> if b = 0UL then a else a % b
        | SDiv ->
            let x, y = signed w a, signed w b

            if y = 0L then (if x < 0L then 1UL else mask w)
            elif x = System.Int64.MinValue && y = -1L then uint64 x
            else uint64 (x / y)
        | SRem ->
            let x, y = signed w a, signed w b
            if y = 0L then a elif y = -1L then 0UL else uint64 (x % y)
        | BAnd -> a &&& b
        | BOr -> a ||| b
        | BXor -> a ^^^ b
        | Shl -> if b >= uint64 w then 0UL else a <<< int b
        | LShr -> if b >= uint64 w then 0UL else a >>> int b
        | _ -> failwithf "not a binary bit-vector operation: %A" op

    r &&& mask w

/// Evaluate `t`. `cache` holds the values of named subterms for this environment; share it
/// between the terms of one evaluation. If-then-else, and, or are lazy (only the branch taken is
/// evaluated), so an input the model would never consult is never asked for.
let private bitsOf (v: Value) = match v with V(x, w) -> x, w | B _ -> failwith "expected a bit-vector"

let rec evalWith (env: Env) (cache: System.Collections.Generic.Dictionary<string, Value>) (t: Term) : Value =
    let ev = evalWith env cache

    match t with
    | Const(v, w) -> V(v, w)
    | BoolConst b -> B b
    | Var(n, s) ->
        let v = env.Var n
        if Value.sortOf v <> s then failwithf "variable %s: expected %A, got %A" n s v
        v
    | App(f, args, s) ->
        let v = env.Fun f (List.map ev args)
        if Value.sortOf v <> s then failwithf "function %s: expected %A, got %A" f s v
        v
    | Named(n, b) ->
        match cache.TryGetValue n with
        | true, v -> v
        | _ ->
            let v = ev b
            cache[n] <- v
            v
    | Node(op, args) ->
        match op, args with
        | Ite, [ c; a; b ] -> if Value.bool (ev c) then ev a else ev b
        | And, _ -> B(args |> List.forall (ev >> Value.bool))
        | Or, _ -> B(args |> List.exists (ev >> Value.bool))
        | Not, [ a ] -> B(not (Value.bool (ev a)))
        | Implies, [ a; b ] -> B(not (Value.bool (ev a)) || Value.bool (ev b))
        | Eq, [ a; b ] -> B(ev a = ev b)
        | (ULt | ULe | SLt | SLe), [ a; b ] ->
            let x, w = bitsOf (ev a)
            let y, _ = bitsOf (ev b)

            B(
                match op with
                | ULt -> x < y
                | ULe -> x <= y
                | SLt -> signed w x < signed w y
                | _ -> signed w x <= signed w y
            )
        | BNot, [ a ] ->
            let x, w = bitsOf (ev a)
            V(~~~x &&& mask w, w)
        | Extract(hi, lo), [ a ] -> V((fst (bitsOf (ev a)) >>> lo) &&& mask (hi - lo + 1), hi - lo + 1)
        | ZeroExt n, [ a ] ->
            let x, w = bitsOf (ev a)
            V(x, w + n)
        | SignExt n, [ a ] ->
            let x, w = bitsOf (ev a)
            V(uint64 (signed w x) &&& mask (w + n), w + n)
        | Concat, [ a; b ] ->
            let x, wx = bitsOf (ev a)
            let y, wy = bitsOf (ev b)
            V((x <<< wy) ||| y, wx + wy)
        | _, [ a; b ] ->
            let x, w = bitsOf (ev a)
            let y, _ = bitsOf (ev b)
            V(bvOp op w x y, w)
        | _ -> failwithf "malformed node %A" op

let newCache () = System.Collections.Generic.Dictionary<string, Value>()

/// Evaluate one term on its own.
let eval (env: Env) (t: Term) = evalWith env (newCache ()) t
