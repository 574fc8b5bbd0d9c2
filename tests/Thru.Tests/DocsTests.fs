/// The README stays true to the code it documents.
module Thru.Tests.DocsTests

open System.IO
open Expecto
open Thru.Tests.Support
open Thru.Model

let private readme () =
    File.ReadAllText(Path.Combine(Path.GetDirectoryName(Thru.Tests.Generators.artifactsDir), "README.md"))

[<Tests>]
let tests =
    testList "DocsTests" [
        testCase "the README's decisions table lists every decision with its current choice" <| fun () ->
            let text = readme ()

            for d in Decisions.register do
                Expect.stringContains text (sprintf "| %s |" d.Id) d.Id
                Expect.stringContains text (d.Choice.Replace("|", "\\|")) (sprintf "%s: choice text out of date (regenerate with thrumodel decisions --markdown)" d.Id)

        testCase "every decision id cited in the model, the engine, the proofs, compare and the CLI is in the register" <| fun () ->
            let root = Path.GetDirectoryName(Thru.Tests.Generators.artifactsDir)
            let registered = Decisions.register |> List.map (fun d -> d.Id) |> Set.ofList
            let built (f: string) = f.Contains "/bin/" || f.Contains "/obj/"

            let cited =
                [ "model"; "engine"; "proofs"; "compare"; "cli" ]
                |> Seq.collect (fun dir -> Directory.GetFiles(Path.Combine(root, dir), "*.*s", SearchOption.AllDirectories))
                |> Seq.filter (fun f -> (f.EndsWith ".fs" || f.EndsWith ".cs") && not (built f))
                |> Seq.collect (fun f -> System.Text.RegularExpressions.Regex.Matches(File.ReadAllText f, @"\bD-[A-Z0-9]+(-[A-Z0-9]+)*\b") |> Seq.map (fun m -> m.Value, Path.GetFileName f))
                |> Seq.filter (fun (id, _) -> not (registered.Contains id))
                |> List.ofSeq

            expectEmpty cited "cited but not registered"
            Expect.equal registered.Count Decisions.register.Length "ids are unique"
    ]
