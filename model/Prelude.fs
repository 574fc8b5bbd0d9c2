/// `result { let! x = … }`: sequencing of Result values, stopping at the first Error. The model
/// writes its checks as such pipelines, so that their order reads top to bottom.
[<AutoOpen>]
module Thru.Model.Prelude

type ResultBuilder() =
    member _.Bind(r: Result<'a, 'e>, f: 'a -> Result<'b, 'e>) = Result.bind f r
    member _.Return(x: 'a) : Result<'a, 'e> = Ok x
    member _.ReturnFrom(r: Result<'a, 'e>) = r
    member _.Zero() : Result<unit, 'e> = Ok()
    member _.Delay(f: unit -> Result<'a, 'e>) = f
    member _.Run(f: unit -> Result<'a, 'e>) = f ()
    member _.Combine(r: Result<unit, 'e>, f: unit -> Result<'a, 'e>) = Result.bind f r

let result = ResultBuilder()

/// Ok () when the condition holds, else Error e.
let require (condition: bool) (e: 'e) : Result<unit, 'e> = if condition then Ok() else Error e

/// Ok x for Some x, else Error e.
let orError (e: 'e) (o: 'a option) : Result<'a, 'e> =
    match o with
    | Some x -> Ok x
    | None -> Error e
