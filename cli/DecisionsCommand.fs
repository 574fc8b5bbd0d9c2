/// `thrumodel decisions [--markdown | --json]`: the register of spec decisions the model implements.
module Thru.Cli.DecisionsCommand

open Argu
open Thru.Model
open Thru.Compare
open Thru.Cli.Args
open Thru.Cli.Common

/// The decisions as a Markdown table (the README's "Spec decisions" table is this output).
let markdown () =
    let cell (s: string) = s.Replace("|", "\\|").Replace("\n", " ")

    [ "| Id | Open question | Question | Choice (default profile) | Alternative | Sources |"
      "| --- | --- | --- | --- | --- | --- |" ]
    @ [ for d in Decisions.register ->
            sprintf "| %s | %s | %s | %s | %s | %s |" d.Id (d.OpenQuestion |> Option.map string |> Option.defaultValue "—") (cell d.Question) (cell d.Choice) (cell d.Alternative) (cell d.Sources) ]

let private json (d: Decisions.Decision) : System.Text.Json.Nodes.JsonNode =
    Json.obj
        [ "id", Json.str d.Id
          "openQuestion", Json.opt (int64 >> Json.num) d.OpenQuestion
          "question", Json.str d.Question
          "choice", Json.str d.Choice
          "alternative", Json.str d.Alternative
          "sources", Json.str d.Sources ]

let private text (d: Decisions.Decision) =
    printfn "%s%s\n  Q: %s\n  Choice: %s\n  Alternative: %s\n  Sources: %s\n" d.Id (d.OpenQuestion |> Option.map (sprintf " (open question %d)") |> Option.defaultValue "") d.Question d.Choice d.Alternative d.Sources

let run (args: ParseResults<DecisionsArgs>) : int =
    if args.Contains DecisionsArgs.Json && args.Contains DecisionsArgs.Markdown then
        fail "--json and --markdown: give one of them, not both"

    match args.TryGetResult DecisionsArgs.Id with
    | Some id ->
        match Decisions.register |> List.tryFind (fun d -> d.Id.Equals(id, System.StringComparison.OrdinalIgnoreCase)) with
        | None ->
            let near = Decisions.register |> List.filter (fun d -> d.Id.Contains(id.ToUpperInvariant().Replace("D-", ""))) |> List.map (fun d -> d.Id)
            let hint = if near.IsEmpty then "thrumodel decisions lists them" else "did you mean " + String.concat ", " near + "?"
            fail "--id: no decision '%s' (%s)" id hint
        | Some d when args.Contains DecisionsArgs.Json -> printJson (json d)
        | Some d when args.Contains DecisionsArgs.Markdown -> (markdown () |> List.take 2) @ [ (markdown () |> List.find (fun l -> l.StartsWith("| " + d.Id + " |"))) ] |> List.iter (printfn "%s")
        | Some d -> text d
    | None when args.Contains DecisionsArgs.Json -> Decisions.register |> List.map json |> Json.arr |> printJson
    | None when args.Contains DecisionsArgs.Markdown -> markdown () |> List.iter (printfn "%s")
    | None -> Decisions.register |> List.iter text

    0
