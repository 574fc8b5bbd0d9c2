/// Helpers shared by the verbs: user errors, file reading, hex parsing.
module Thru.Cli.Common

open Thru.Compare

/// A mistake of the user (bad argument, unreadable file): printed as one line, exit code 2.
exception UserError of string

let fail fmt = Printf.kprintf (fun s -> raise (UserError s)) fmt

/// THRUMODEL_TIMING=1: start-up phases on stderr, milliseconds since the process started.
module Timing =
    let private enabled = not (isNull (System.Environment.GetEnvironmentVariable "THRUMODEL_TIMING"))

    /// Print `what` and the milliseconds since the process started (when THRUMODEL_TIMING is set).
    let mark (what: string) =
        if enabled then
            let started = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime()
            let ms = (System.DateTime.UtcNow - started).TotalMilliseconds
            let jit = System.Runtime.JitInfo.GetCompilationTime(false).TotalMilliseconds
            let methods = System.Runtime.JitInfo.GetCompiledMethodCount(false)

            System.Console.Error.WriteLine(
                "timing: " + ms.ToString("F1") + " ms " + what + " (JIT so far: " + string methods + " methods, " + jit.ToString("F1") + " ms)"
            )

let private openError (path: string) (e: exn) : 'a =
    match e with
    | :? System.IO.FileNotFoundException -> fail "cannot read %s: no such file" path
    | :? System.IO.DirectoryNotFoundException -> fail "cannot read %s: no such directory" path
    | :? System.UnauthorizedAccessException when System.IO.Directory.Exists path -> fail "cannot read %s: it is a directory" path
    | :? System.UnauthorizedAccessException -> fail "cannot read %s: permission denied" path
    | :? System.IO.PathTooLongException -> fail "cannot read %s: the path is too long" path
    | :? System.IO.IOException as e -> fail "cannot read %s: %s" path e.Message
    | :? System.ArgumentException -> fail "cannot read '%s': not a file path" path
    | :? System.NotSupportedException -> fail "cannot read '%s': not a file path" path
    | e -> raise e

/// How long a read from something other than a regular file (a pipe, a FIFO, a device) may
/// wait for its data: a FIFO that nobody writes would otherwise block for ever.
let readTimeout = System.TimeSpan.FromSeconds 10.0

/// The bytes of a file of at most `limit` bytes (what its format allows), or a UserError naming
/// the file and the reason. A regular file is measured before it is read; anything else (a pipe,
/// a FIFO, /dev/zero) is read for at most limit + 1 bytes; every read ends within `readTimeout`,
/// so that neither a device, nor a growing file, nor a FIFO without a writer can exhaust memory
/// or hang.
let readFileAtMost (limit: int) (what: string) (path: string) : byte[] =
    if System.String.IsNullOrEmpty path then fail "an empty file name"
    if System.IO.Directory.Exists path then fail "cannot read %s: it is a directory" path

    let read () : Result<byte[], exn> =
        try
            use stream = new System.IO.FileStream(path, System.IO.FileMode.Open, System.IO.FileAccess.Read, System.IO.FileShare.ReadWrite, 1, false)

            if stream.CanSeek && stream.Length > int64 limit then
                Error(UserError(sprintf "%s: %s is larger than %d bytes, the most %s can be" path what limit what))
            else
                let buffer = Array.zeroCreate<byte> (min (limit + 1) (64 * 1024))
                use out = new System.IO.MemoryStream()
                let mutable reading = true
                let mutable over = false

                while reading do
                    let n = stream.Read(buffer, 0, buffer.Length)

                    if n = 0 then
                        reading <- false
                    else
                        out.Write(buffer, 0, n)

                        if out.Length > int64 limit then
                            over <- true
                            reading <- false

                if over then Error(UserError(sprintf "%s: %s is larger than %d bytes, the most %s can be" path what limit what))
                else Ok(out.ToArray())
        with e ->
            Error e

    // A regular file of some bytes cannot block: read it here. Anything else (an empty file, or
    // what reports no length: a FIFO, a pipe, a device) is read on the thread pool, with a deadline.
    let regular =
        try
            System.IO.FileInfo(path).Length > 0L
        with _ ->
            false

    let outcome =
        if regular then
            read ()
        else
            let task = System.Threading.Tasks.Task.Run(read)

            if task.Wait readTimeout then task.Result
            else Error(UserError(sprintf "cannot read %s: nothing to read after %.0f seconds (a FIFO without a writer?)" path readTimeout.TotalSeconds))

    match outcome with
    | Ok bytes -> bytes
    | Error(UserError _ as e) -> raise e
    | Error e -> openError path e

/// The bytes of a file of at most 16 MiB + 1 MiB (the largest input any verb reads whole), or a
/// UserError naming the file and the reason. Prefer `readFileAtMost` with the format's own limit.
let readFile (path: string) : byte[] = readFileAtMost (17 * 1024 * 1024) "an input file" path

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

/// The account-index table's rows: index, key, writable, and the name the world gives the key.
let accountRows (names: Map<Thru.Model.Pubkey, string>) (accounts: (Thru.Model.Pubkey * bool) list) =
    accounts |> List.mapi (fun i (k, w) -> i, k, w, names.TryFind k)

/// Print the account-index table (the order the transaction gives the accounts: fee payer,
/// program, then each list in ascending key order, docs/spec/transactions.md §2.1).
let printAccountTable (names: Map<Thru.Model.Pubkey, string>) (accounts: (Thru.Model.Pubkey * bool) list) =
    System.Console.Out.WriteLine "accounts:         index  access  key                                                               name"

    for i, k, w, name in accountRows names accounts do
        System.Console.Out.WriteLine(
            "                  "
            + (string i).PadLeft(5)
            + "  "
            + (if w then "rw" else "ro").PadRight(6)
            + "  "
            + string k
            + "  "
            + defaultArg name ""
        )

/// The account-index table as JSON: [{"index", "key", "access", "name"}].
let accountTableJson (names: Map<Thru.Model.Pubkey, string>) (accounts: (Thru.Model.Pubkey * bool) list) : System.Text.Json.Nodes.JsonNode =
    Json.arr
        [ for i, k, w, name in accountRows names accounts ->
              Json.obj
                  [ "index", Json.num (int64 i)
                    "key", Json.str (string k)
                    "access", Json.str (if w then "rw" else "ro")
                    "name", Json.opt Json.str name ]
              :> System.Text.Json.Nodes.JsonNode ]
