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

/// The bytes of a file of at most `limit` bytes (what its format allows), or a UserError. Reads at
/// most limit + 1 bytes, so a device or a growing file cannot exhaust memory.
let readFileAtMost (limit: int) (what: string) (path: string) : byte[] =
    let stream =
        try
            new System.IO.FileStream(path, System.IO.FileMode.Open, System.IO.FileAccess.Read)
        with
        | :? System.IO.FileNotFoundException -> fail "cannot read %s: no such file" path
        | :? System.IO.DirectoryNotFoundException -> fail "cannot read %s: no such directory" path
        | :? System.UnauthorizedAccessException -> fail "cannot read %s: permission denied (or it is a directory)" path
        | :? System.IO.IOException as e -> fail "cannot read %s: %s" path e.Message

    use stream = stream
    let buffer = Array.zeroCreate<byte> (min (limit + 1) (64 * 1024))
    use out = new System.IO.MemoryStream()
    let mutable reading = true

    while reading do
        let n =
            try
                stream.Read(buffer, 0, buffer.Length)
            with :? System.IO.IOException as e ->
                fail "cannot read %s: %s" path e.Message

        if n = 0 then reading <- false
        else
            out.Write(buffer, 0, n)
            if out.Length > int64 limit then fail "%s: %s is larger than %d bytes, the most %s can be" path what limit what

    out.ToArray()

/// Exactly `n` bytes of hex (64 digits for 32 bytes), or a UserError naming the option.
let parseHexBytes (option: string) (n: int) (text: string) : byte[] =
    let t = if text.StartsWith "0x" || text.StartsWith "0X" then text.Substring 2 else text

    if t.Length <> 2 * n || not (t |> Seq.forall System.Uri.IsHexDigit) then
        fail "%s: '%s' is not %d bytes of hex (%d hex digits)" option text n (2 * n)
    else
        System.Convert.FromHexString t

/// A hex option value, or a UserError naming the option.
let parseHex (option: string) (text: string) : uint64 =
    match Hex.tryParse text with
    | Some v -> v
    | None -> fail "%s: '%s' is not a hexadecimal number" option text

/// Print a JSON node on stdout.
let printJson (node: System.Text.Json.Nodes.JsonNode) = printfn "%s" (Json.render node)
