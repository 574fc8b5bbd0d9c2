/// Helpers shared by the verbs: user errors, file reading, hex parsing.
module Thru.Cli.Common

open Thru.Compare

/// A mistake of the user (bad argument, unreadable file): printed as one line, exit code 2.
exception UserError of string

let fail fmt = Printf.kprintf (fun s -> raise (UserError s)) fmt

/// The bytes of a file, or a UserError naming the file and the reason.
let readFile (path: string) : byte[] =
    try
        System.IO.File.ReadAllBytes path
    with
    | :? System.IO.FileNotFoundException -> fail "cannot read %s: no such file" path
    | :? System.IO.DirectoryNotFoundException -> fail "cannot read %s: no such directory" path
    | :? System.UnauthorizedAccessException -> fail "cannot read %s: permission denied (or it is a directory)" path
    | :? System.IO.IOException as e -> fail "cannot read %s: %s" path e.Message

/// A hex option value, or a UserError naming the option.
let parseHex (option: string) (text: string) : uint64 =
    match Hex.tryParse text with
    | Some v -> v
    | None -> fail "%s: '%s' is not a hexadecimal number" option text

/// Print a JSON node on stdout.
let printJson (node: System.Text.Json.Nodes.JsonNode) = printfn "%s" (Json.render node)
