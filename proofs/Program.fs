/// `dotnet run --project proofs [-- --json] [--timeout S] [--only T1,T3] [--smt DIR]`: prove the
/// translation theorems with z3 and print one line per theorem. Exit code 1 if any theorem fails.
module Thru.Proofs.Program

open System

[<EntryPoint>]
let main argv =
    let args = List.ofArray argv
    let json = args |> List.contains "--json"

    let rec option name args =
        match args with
        | n :: v :: _ when n = name -> Some v
        | _ :: rest -> option name rest
        | [] -> None

    let timeout = option "--timeout" args |> Option.map int |> Option.defaultValue 120

    let only =
        option "--only" args |> Option.map (fun s -> s.Split(',') |> Set.ofArray)

    let selected =
        Theorems.theorems |> List.filter (fun t -> only |> Option.forall (fun ids -> ids.Contains t.Id))

    let pending =
        Theorems.pending |> List.filter (fun p -> only |> Option.forall (fun ids -> ids.Contains p.PendingId))

    match Smt.z3Version () with
    | None ->
        eprintfn "z3 not found (install the Debian package z3, or set THRU_Z3)"
        2
    | Some version ->
        // --smt DIR: write each obligation's SMT-LIB2 script, for auditors and other solvers.
        match option "--smt" args with
        | Some dir ->
            IO.Directory.CreateDirectory dir |> ignore

            for t in selected do
                t.Obligations
                |> List.iteri (fun i o ->
                    let path = IO.Path.Combine(dir, sprintf "%s-%d.smt2" t.Id (i + 1))
                    IO.File.WriteAllText(path, sprintf "; %s %s: %s\n%s(check-sat)\n" t.Id t.Title o.Name (Smt.script o.Assumptions o.Goal)))
        | None -> ()

        let sw = Diagnostics.Stopwatch.StartNew()
        let results = Runner.run timeout selected

        if json then
            printfn "%s" (Runner.jsonReport results pending)
        else
            printfn "%s; %d theorems, %d pending" version results.Length pending.Length

            for l in Runner.textReport results pending do
                printfn "%s" l

            printfn "wall time %.1f s" sw.Elapsed.TotalSeconds

        if results |> List.exists Runner.failed then 1 else 0
