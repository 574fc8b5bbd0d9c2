/// `thrumodel demo` (what `make demo` runs), as a process: its JSON form reports every comparison
/// the walk-through makes, and the text and JSON forms agree on the verdict.
module Thru.Tests.Cli.DemoTests

open System.Text.Json.Nodes
open Expecto
open Thru.Tests.Support
open Thru.Tests.Cli.BadInputTests

[<Tests>]
let tests =
    testList "Cli.DemoTests" [
        testCaseInGroup "thrumodel process" "demo --json: every part compared something, and every comparison agrees" <| fun () ->
            Thru.Tests.Examples.ExampleRun.binary "hello" |> ignore // the examples are built

            match runProcess 300.0 [ "demo"; "--json" ] with
            | None -> failtest "demo --json did not end within 300 s"
            | Some(code, out, err) ->
                let o = JsonNode.Parse(out) :?> JsonObject
                let parts = o["parts"] :?> JsonArray |> Seq.map (fun p -> p :?> JsonObject) |> List.ofSeq
                Expect.equal (parts |> List.map (fun p -> p["name"].GetValue<string>())) [ "raw"; "qemu"; "examples" ] "the parts"

                for p in parts do
                    let name = p["name"].GetValue<string>()
                    Expect.isNull p["skipped"] (sprintf "%s was not skipped" name)
                    let checks = p["checks"] :?> JsonArray |> Seq.map (fun c -> c :?> JsonObject) |> List.ofSeq
                    Expect.isNonEmpty checks (sprintf "%s compared something" name)

                    for c in checks do
                        let differences = c["differences"] :?> JsonArray
                        Expect.isEmpty differences (sprintf "%s: %s" name (c["what"].GetValue<string>()))
                        Expect.isTrue (c["agree"].GetValue<bool>()) (sprintf "%s agrees" name)

                let examples = parts[2]["checks"] :?> JsonArray
                Expect.equal examples.Count 6 "six example transactions"
                let outcomes = examples |> Seq.map (fun c -> c["outcome"].GetValue<string>()) |> List.ofSeq
                Expect.stringStarts outcomes[0] "success" "hello succeeds"
                Expect.stringStarts outcomes[3] "ERR_VM_REVERT" "the deauthorized chain reverts"
                Expect.isTrue (o["ok"].GetValue<bool>()) "ok"
                Expect.equal code 0 err

            match runProcess 300.0 [ "demo" ] with
            | None -> failtest "demo did not end within 300 s"
            | Some(code, out, err) ->
                Expect.equal code 0 err
                Expect.stringContains out "The model and the engine agree on 6 of 6 example transactions." "the text verdict"
    ]
