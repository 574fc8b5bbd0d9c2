/// Every citation in the repository resolves inside it: `docs/spec/<file>.md §N[.M]` names a file
/// of docs/spec/ and a numbered heading of it (docs/spec/README.md §2.1 explains the form), and no
/// code comment still cites a source outside the repository in the old forms.
module Thru.Tests.CitationTests

open System.IO
open System.Text.RegularExpressions
open Expecto
open Thru.Tests.Support
open Thru.Model

let private root = Path.GetDirectoryName(Thru.Tests.Generators.artifactsDir)
let private specDir = Path.Combine(root, "docs", "spec")

let private built (f: string) =
    f.Contains "/bin/" || f.Contains "/obj/" || f.Contains "/artifacts/" || f.Contains "/.git/"

/// Source and documentation files of the given folders (and top-level files) with these endings.
let private files (folders: string list) (endings: string list) =
    folders
    |> List.collect (fun d ->
        let p = Path.Combine(root, d)

        if File.Exists p then [ p ]
        elif Directory.Exists p then Directory.GetFiles(p, "*", SearchOption.AllDirectories) |> List.ofArray
        else [])
    |> List.filter (fun f -> not (built f) && endings |> List.exists (fun e -> f.EndsWith e))

/// The numbers of a docs/spec file's headings: "## N. Title" gives N, "### N.M Title" gives N.M.
let private headings (file: string) =
    Regex.Matches(File.ReadAllText file, @"(?m)^(#{2,3}) (\d+(?:\.\d+)?)\.?\s") |> Seq.map (fun m -> m.Groups[1].Value, m.Groups[2].Value) |> List.ofSeq

let private citation = Regex(@"docs/spec/(?<file>[A-Za-z0-9_-]+\.md)(?<secs>(?:,? §\d+(?:\.\d+)?)*)")

/// Every docs/spec citation in `text` that does not resolve, as "file: citation (why)".
let private unresolved (where: string) (text: string) =
    [ for m in citation.Matches text do
          let file = Path.Combine(specDir, m.Groups["file"].Value)

          if not (File.Exists file) then
              yield sprintf "%s: %s (no such file)" where m.Value
          else
              let numbers = headings file |> List.map snd |> Set.ofList

              for s in Regex.Matches(m.Groups["secs"].Value, @"§(\d+(?:\.\d+)?)") do
                  if not (numbers.Contains s.Groups[1].Value) then
                      yield sprintf "%s: %s (no heading %s)" where m.Value s.Groups[1].Value ]


[<Tests>]
let tests =
    testList "CitationTests" [
        testCase "every docs/spec citation in code, tests, SDK, examples, README and the spec names an existing file and heading" <| fun () ->
            let all =
                files [ "model"; "engine"; "proofs"; "compare"; "cli"; "tests"; "sdk"; "examples"; "docs"; "README.md" ] [ ".fs"; ".cs"; ".fsx"; ".md"; ".h"; ".c"; ".S"; ".ld"; ".mk" ]

            let cited = all |> List.sumBy (fun f -> citation.Matches(File.ReadAllText f).Count)
            Expect.isGreaterThan (cited) (300) "the code cites the spec (a regex that matches nothing would pass)"
            let broken = all |> List.collect (fun f -> unresolved (Path.GetRelativePath(root, f)) (File.ReadAllText f))
            expectEmpty (broken) "broken"

        testCase "docs/spec headings are numbered N. and N.M under their N, without repeats, and bare § references resolve in their file" <| fun () ->
            let specFiles = Directory.GetFiles(specDir, "*.md") |> List.ofArray
            Expect.isGreaterThanOrEqual (specFiles.Length) (8) "specFiles.Length"

            for file in specFiles do
                let name = Path.GetFileName file
                let hs = headings file
                let numbers = hs |> List.map snd
                Expect.equal (numbers |> List.distinct |> List.length) (numbers.Length) (sprintf "%s: a section number repeats" name)

                let mutable current = ""

                for level, number in hs do
                    if level = "##" then
                        Expect.isFalse (number.Contains ".") (sprintf "%s: ## %s should be a whole number" name number)
                        current <- number
                    else
                        Expect.isTrue (number.StartsWith(current + ".")) (sprintf "%s: ### %s is not under ## %s" name number current)

                // Bare § references (citations of other files removed first) name headings of this file.
                let text = citation.Replace(File.ReadAllText file, "")
                let own = Set.ofList numbers

                for m in Regex.Matches(text, @"§(\d+(?:\.\d+)?)") do
                    Expect.isTrue (own.Contains m.Groups[1].Value) (sprintf "%s: §%s is not a heading of this file" name m.Groups[1].Value)

        testCase "no code comment cites a source outside the repository in the old forms" <| fun () ->
            let oldForms = Regex(@"(?<![/\w])spec/[a-z]+\.md|\b(TO|DT|DC):[a-z]|open question \d+|SDK-(C|RS|CPP)\b|shared/spec")

            let offenders =
                files [ "model"; "engine"; "proofs"; "compare"; "cli"; "tests"; "sdk" ] [ ".fs"; ".cs"; ".h"; ".c"; ".S"; ".ld"; ".mk"; ".md" ]
                |> List.collect (fun f ->
                    File.ReadAllLines f
                    |> Array.mapi (fun i line -> i, line)
                    |> Array.filter (fun (_, line) -> oldForms.IsMatch line && not (line.Contains "oldForms"))
                    |> Array.map (fun (i, line) -> sprintf "%s:%d: %s" (Path.GetRelativePath(root, f)) (i + 1) (line.Trim()))
                    |> List.ofArray)

            expectEmpty (offenders) "offenders"

        testCase "every decision id docs/spec names is in the register, and every decision is named by docs/spec" <| fun () ->
            let registered = Decisions.register |> List.map (fun d -> d.Id) |> Set.ofList

            let named =
                Directory.GetFiles(specDir, "*.md")
                |> Seq.collect (fun f -> Regex.Matches(File.ReadAllText f, @"\bD-[A-Z0-9]+(?:-[A-Z0-9]+)*\b") |> Seq.map (fun m -> m.Value))
                |> Set.ofSeq

            expectEmpty (Set.difference named registered) "named in docs/spec but not registered"
            expectEmpty (Set.difference registered named) "registered but never named in docs/spec"
    ]
