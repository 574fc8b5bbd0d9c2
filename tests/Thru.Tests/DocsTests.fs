/// The README stays true to the code it documents.
module Thru.Tests.DocsTests

open System.IO
open NUnit.Framework
open Thru.Model

let private readme () =
    File.ReadAllText(Path.Combine(Path.GetDirectoryName(Thru.Tests.Generators.artifactsDir), "README.md"))

[<Test>]
let ``the README's decisions table lists every decision with its current choice`` () =
    let text = readme ()

    for d in Decisions.register do
        Assert.That(text, Does.Contain(sprintf "| %s |" d.Id), d.Id)
        Assert.That(text, Does.Contain(d.Choice.Replace("|", "\\|")), sprintf "%s: choice text out of date (regenerate with thru decisions --markdown)" d.Id)
