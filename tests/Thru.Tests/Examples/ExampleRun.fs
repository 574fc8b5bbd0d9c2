/// Running the C example programs (examples/build/*.bin, built by `make examples`) exactly as
/// `thrumodel run` does: the command line is parsed by the CLI's own Argu parser, and
/// RunCommand.prepare loads the accounts file (cli/World.fs), builds and signs the transaction
/// and the environment; the model and the engine then execute the same wire bytes.
module Thru.Tests.Examples.ExampleRun

open System.IO
open Expecto
open Thru.Tests.Support
open Argu
open Thru.Model
open Thru.Model.Runtime
open Thru.Compare

/// The repository's root (the directory of ThruModel.sln).
let repoRoot = Path.GetDirectoryName Thru.Tests.Generators.artifactsDir

let examplesDir = Path.Combine(repoRoot, "examples")

/// examples/build/NAME.bin; the test fails with a clear message when it has not been built.
let binary (name: string) =
    let path = Path.Combine(examplesDir, "build", name + ".bin")

    if not (File.Exists path) then
        failtest (sprintf "%s is missing: the example programs are built from source, run `make examples` (or `make -C examples`) first" path)

    path

/// examples/worlds/NAME.json (an accounts file).
let world (name: string) =
    let path = Path.Combine(examplesDir, "worlds", name + ".json")
    if not (File.Exists path) then failtest (sprintf "%s is missing" path)
    path

let private parser = ArgumentParser.Create<Thru.Cli.Args.RunArgs>(programName = "thrumodel run")

/// `thrumodel run PROGRAM [--accounts WORLD] [--instr HEX] [--cu N]` up to the execution: the
/// prepared environment and wire transaction (cli/RunCommand.fs).
let prepare (program: string) (worldName: string option) (instr: byte[]) (cu: int64 option) : Thru.Cli.RunCommand.Prepared =
    let args =
        [ yield binary program
          match worldName with
          | Some w -> yield! [ "--accounts"; world w ]
          | None -> ()
          if instr.Length > 0 then yield! [ "--instr"; System.Convert.ToHexString instr ]
          match cu with
          | Some n -> yield! [ "--cu"; string n ]
          | None -> () ]

    try
        Thru.Cli.RunCommand.prepare (parser.Parse(Array.ofList args))
    with Thru.Cli.Common.UserError message ->
        failtestf "thrumodel run %s: %s" (String.concat " " args) message

/// The model's observation of a prepared run (what `thrumodel run` prints).
let runModel (p: Thru.Cli.RunCommand.Prepared) = TxnObservation.ofModel (Execution.execute p.Env p.Wire)

/// The engine's observation of the same transaction in the same world.
let runEngine (p: Thru.Cli.RunCommand.Prepared) =
    let env = Thru.Tests.Engine.TxnHarness.engineEnvironment p.Env
    TxnObservation.ofEngine env (Thru.Engine.TransactionExecutor.Execute(env, System.ReadOnlySpan p.Wire))

/// The state proof of the world's account `name` against the world's state root, at the
/// world's slot: what `thrumodel proof PROGRAM --accounts WORLD --account NAME` prints (as bytes).
let proof (program: string) (worldName: string) (name: string) : byte[] =
    let image = File.ReadAllBytes(binary program)
    let w = Thru.Cli.World.load (Some(world worldName)) image
    let state = Thru.Cli.World.state w image
    let key = (w.Accounts |> List.find (fun a -> a.Name = name)).Key
    let p = StateProof.prove (Thru.Cli.World.trie state) key w.Slot
    let claim = if state.ContainsKey key then StateProof.Holds(StateProof.accountValueHash state[key]) else StateProof.Absent
    Expect.isTrue (StateProof.verify key claim (StateProof.root (Thru.Cli.World.trie state)) p) "the proof verifies against the world's root"
    StateProof.serialize p
