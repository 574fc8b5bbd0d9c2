/// `thrumodel proof PROGRAM [--accounts FILE] (--key HEX | --account NAME) [--json]`: the state proof
/// of a key in the world's state trie (decision D-STATE-TRIE), as hex: an EXISTING proof when the
/// account exists, a CREATION proof (of absence) otherwise. Its slot is the world's current slot,
/// so it verifies against the state root that `thrumodel run` gives every block.
module Thru.Cli.ProofCommand

open Argu
open Thru.Model
open Thru.Model.Runtime
open Thru.Compare
open Thru.Cli.Args
open Thru.Cli.Common

let run (args: ParseResults<ProofArgs>) : int =
    let key =
        match args.TryGetResult ProofArgs.Key, args.TryGetResult ProofArgs.Account with
        | Some _, Some _ -> fail "--key and --account: give one of them, not both"
        | Some hex, None -> Pubkey(parseHexBytes "--key" 32 hex) |> Choice1Of2
        | None, Some name -> Choice2Of2 name
        | None, None -> fail "give --key HEX or --account NAME"

    let world, image = RunCommand.worldOf (args.GetResult ProofArgs.Program) (args.TryGetResult ProofArgs.Accounts)
    let state = World.state world image

    let key =
        match key with
        | Choice1Of2 k -> k
        | Choice2Of2 name ->
            match world.Accounts |> List.tryFind (fun a -> a.Name = name) with
            | Some a -> a.Key
            | None -> fail "--account: no account named '%s' in the accounts file" name

    let trie = World.trie state
    let proof = StateProof.prove trie key world.Slot
    let wire = System.Convert.ToHexString(StateProof.serialize proof).ToLowerInvariant()

    if args.Contains ProofArgs.Json then
        let kind =
            match proof.Body with
            | StateProof.Existing -> "existing"
            | StateProof.Updating _ -> "updating"
            | StateProof.Creation _ -> "creation"

        printJson (
            Json.obj
                [ "key", Json.str (string key)
                  "type", Json.str kind
                  "slot", System.Text.Json.Nodes.JsonValue.Create world.Slot
                  "root", Json.str (System.Convert.ToHexString(StateProof.root trie).ToLowerInvariant())
                  "proof", Json.str wire ]
        )
    else
        printfn "%s" wire

    0
