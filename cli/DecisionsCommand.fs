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

let run (args: ParseResults<DecisionsArgs>) : int =
    if args.Contains DecisionsArgs.Json then
        Decisions.register
        |> List.map (fun d ->
            Json.obj
                [ "id", Json.str d.Id
                  "openQuestion", Json.opt (int64 >> Json.num) d.OpenQuestion
                  "question", Json.str d.Question
                  "choice", Json.str d.Choice
                  "alternative", Json.str d.Alternative
                  "sources", Json.str d.Sources ]
            :> System.Text.Json.Nodes.JsonNode)
        |> Json.arr
        |> printJson
    elif args.Contains DecisionsArgs.Markdown then
        markdown () |> List.iter (printfn "%s")
    else
        for d in Decisions.register do
            printfn "%s%s\n  Q: %s\n  Choice: %s\n  Alternative: %s\n  Sources: %s\n" d.Id (d.OpenQuestion |> Option.map (sprintf " (open question %d)") |> Option.defaultValue "") d.Question d.Choice d.Alternative d.Sources

    0
