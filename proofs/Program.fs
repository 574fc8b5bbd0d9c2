/// The z3 theorem runner. Filled in by the proofs issue; it builds and says so until then.
module Thru.Proofs.Program

[<EntryPoint>]
let main _ =
    printfn "no theorems yet"
    0
