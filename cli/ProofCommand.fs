/// `thrumodel proof PROGRAM [--accounts FILE] (--key HEX | --account NAME)`: the state proof of a key
/// in the world's state trie (decision D-STATE-TRIE), as hex: an EXISTING proof when the account
/// exists, a CREATION proof (of absence) otherwise. Its slot is the world's current slot, so it
/// verifies against the state root that `thrumodel run` gives every block.
module Thru.Cli.ProofCommand

open Argu
open Thru.Model
open Thru.Model.Runtime
open Thru.Cli.Args
open Thru.Cli.Common

let run (args: ParseResults<ProofArgs>) : int =
    let image = readFile (args.GetResult ProofArgs.Program)
    let world = World.load (args.TryGetResult ProofArgs.Accounts) image
    let state = World.state world image

    let key =
        match args.TryGetResult ProofArgs.Key, args.TryGetResult ProofArgs.Account with
        | Some hex, _ ->
            match Pubkey.tryParse hex with
            | Some k -> k
            | None -> fail "--key: '%s' is not 32 bytes of hex" hex
        | None, Some name ->
            match world.Accounts |> List.tryFind (fun a -> a.Name = name) with
            | Some a -> a.Key
            | None -> fail "--account: no account named '%s' in the accounts file" name
        | None, None -> fail "give --key HEX or --account NAME"

    let proof = StateProof.prove (World.trie state) key world.Slot
    printfn "%s" (System.Convert.ToHexString(StateProof.serialize proof).ToLowerInvariant())
    0
