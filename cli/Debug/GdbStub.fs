/// A gdb remote serial protocol stub over a debug target (Target.IDebugTarget): gdb-multiarch
/// connects with `target remote HOST:PORT` and sees a riscv:rv64 target (target.xml) with the 32
/// integer registers and the pc, memory read through the Thru address space, software
/// breakpoints, single-step, continue, syscall catching and stop reasons:
///
///   breakpoint or step        SIGTRAP (5)
///   memory fault              SIGSEGV (11), or SIGBUS (10) for a misaligned access
///   illegal instruction       SIGILL (4);  ebreak: SIGTRAP (5)
///   unknown syscall           SIGSYS (12)
///   revert                    SIGABRT (6)
///   compute units exhausted   SIGXCPU (24) (raw mode's step limit too)
///   state units exhausted     SIGXFSZ (25)
///
/// A fault, revert or exhaustion stops at the instruction that causes it, with a console line
/// naming it; resuming from there ends the run (gdb: "Program terminated with signal …").
/// gdb 13 has no `catch syscall` for RISC-V, so `monitor syscalls on` makes continue and step stop
/// before every ecall (SIGTRAP, with a console line naming the syscall and its arguments);
/// `monitor help` lists the other monitor commands.
/// A successful exit is "exited with code N". Packets follow "Remote Protocol" of the gdb manual.
module Thru.Cli.Debug.GdbStub

open System
open System.Net
open System.Net.Sockets
open System.Text
open Thru.Cli.Debug.Target

/// Where to listen and how long to wait.
type Options =
    { Address: IPAddress
      Port: int
      /// Longest wait for gdb to connect, and for each packet once connected.
      Timeout: TimeSpan }

/// How a session ended.
type Outcome =
    /// gdb detached, disconnected or fell silent: the run goes on to its end without it.
    | Detached of why: string
    /// gdb killed the run: it stops where it is.
    | Killed
    /// The run ended under gdb (gdb was told).
    | Finished

/// Parse `--gdb`: "PORT", ":PORT" or "HOST:PORT" (an IPv4 address, "[IPv6]" or localhost). A
/// bare port binds the loopback address only.
let parseAddress (text: string) : Result<IPAddress * int, string> =
    let portOf (p: string) =
        match Int32.TryParse p with
        | true, n when n >= 0 && n <= 65535 -> Ok n
        | _ -> Error(sprintf "--gdb: '%s' is not a port number (0-65535)" p)

    let hostOf (h: string) =
        let h = h.Trim('[', ']')

        if h = "" || h = "localhost" then Ok IPAddress.Loopback
        else
            match IPAddress.TryParse h with
            | true, a -> Ok a
            | _ -> Error(sprintf "--gdb: '%s' is not an IP address (give 127.0.0.1, another address of this machine, or a port alone)" h)

    match text.LastIndexOf ':' with
    | -1 -> portOf text |> Result.map (fun p -> IPAddress.Loopback, p)
    | i ->
        match hostOf (text.Substring(0, i)), portOf (text.Substring(i + 1)) with
        | Ok h, Ok p -> Ok(h, p)
        | Error e, _
        | _, Error e -> Error e

/// The register names of gdb's org.gnu.gdb.riscv.cpu feature, x0..x31 then pc.
let registerNames =
    [| "zero"; "ra"; "sp"; "gp"; "tp"; "t0"; "t1"; "t2"; "fp"; "s1"
       "a0"; "a1"; "a2"; "a3"; "a4"; "a5"; "a6"; "a7"
       "s2"; "s3"; "s4"; "s5"; "s6"; "s7"; "s8"; "s9"; "s10"; "s11"
       "t3"; "t4"; "t5"; "t6"; "pc" |]

/// The target description gdb reads with qXfer:features:read:target.xml.
let targetXml =
    let reg (i: int) (name: string) =
        let ty =
            match name with
            | "ra" | "pc" -> "code_ptr"
            | "sp" | "gp" | "tp" | "fp" -> "data_ptr"
            | _ -> "int"

        sprintf "    <reg name=\"%s\" bitsize=\"64\" type=\"%s\" regnum=\"%d\"/>" name ty i

    [ yield "<?xml version=\"1.0\"?>"
      yield "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
      yield "<target version=\"1.0\">"
      yield "  <architecture>riscv:rv64</architecture>"
      yield "  <feature name=\"org.gnu.gdb.riscv.cpu\">"
      yield! registerNames |> Array.mapi reg
      yield "  </feature>"
      yield "</target>" ]
    |> String.concat "\n"

/// gdb's signal numbers (gdb/signals.def; the remote protocol uses them, not the host's).
module Signal =
    let int = 2
    let ill = 4
    let trap = 5
    let abrt = 6
    let bus = 10
    let segv = 11
    let sys = 12
    let xcpu = 24
    let xfsz = 25

/// The signal a stop for an ending reports.
let signalOf (e: Ending) =
    match e with
    | Exit _ -> 0
    | Revert _ -> Signal.abrt
    | MemoryFault(_, true) -> Signal.bus
    | MemoryFault(_, false) -> Signal.segv
    | IllegalInstruction _ -> Signal.ill
    | Ebreak -> Signal.trap
    | UnknownSyscall _ -> Signal.sys
    | ComputeExhausted
    | StepLimit -> Signal.xcpu
    | StateExhausted -> Signal.xfsz

/// A number in decimal or 0x-hex.
let private tryNumber (s: string) : uint64 option =
    if s.StartsWith "0x" then
        match UInt64.TryParse(s.Substring 2, Globalization.NumberStyles.AllowHexSpecifier, null) with
        | true, v -> Some v
        | _ -> None
    else
        match UInt64.TryParse s with
        | true, v -> Some v
        | _ -> None

let private hexBytes (b: byte[]) = Convert.ToHexString(b).ToLowerInvariant()
let private le64 (v: uint64) = hexBytes (BitConverter.GetBytes v)

let private tryHex (s: string) : uint64 option =
    match UInt64.TryParse(s, Globalization.NumberStyles.AllowHexSpecifier, null) with
    | true, v when s.Length > 0 -> Some v
    | _ -> None

/// Escape '$', '#', '}' and '*' in binary data (the remote protocol's escaping).
let escape (data: string) =
    let sb = StringBuilder()

    for c in data do
        if c = '$' || c = '#' || c = '}' || c = '*' then sb.Append('}').Append(char (int c ^^^ 0x20)) |> ignore
        else sb.Append c |> ignore

    sb.ToString()

/// Frame a packet: $data#checksum.
let frame (data: string) =
    let sum = data |> Seq.sumBy (fun c -> int (byte c)) &&& 0xFF
    sprintf "$%s#%02x" data sum

/// The most data a packet may carry (advertised as PacketSize).
let packetSize = 0x4000

/// Read packets from a stream: acks, the interrupt byte, and $…#xx packets with their checksum.
type private Incoming =
    | Packet of string
    | BadChecksum of string
    | TooLong
    | Interrupt
    | Closed

type private Connection(stream: NetworkStream, client: TcpClient) =
    let pending = Collections.Generic.Queue<byte>()
    let mutable noAck = false
    let mutable last = ""

    member _.NoAck
        with get () = noAck
        and set v = noAck <- v

    /// Read one byte, or None when gdb closed the connection (or was silent past the timeout).
    member _.ReadByte() : int option =
        if pending.Count > 0 then
            Some(int (pending.Dequeue()))
        else
            try
                match stream.ReadByte() with
                | -1 -> None
                | b -> Some b
            with
            | :? IO.IOException
            | :? ObjectDisposedException -> None

    /// Whether gdb sent the interrupt byte (checked without waiting; other bytes are kept).
    member _.InterruptPending() =
        try
            let mutable found = false

            while client.Available > 0 && not found do
                let b = stream.ReadByte()
                if b = 0x03 then found <- true
                elif b >= 0 then pending.Enqueue(byte b)

            found
        with
        | :? IO.IOException
        | :? ObjectDisposedException -> false

    member this.Next() : Incoming =
        // Skip acks ('+') and noise up to '$' (or the interrupt byte); '-' asks for the last packet.
        let mutable start = None

        while start.IsNone do
            match this.ReadByte() with
            | None -> start <- Some Closed
            | Some 0x24 -> start <- Some(Packet "")
            | Some 0x03 -> start <- Some Interrupt
            | Some 0x2D -> this.SendRaw last
            | Some _ -> ()

        match start with
        | Some(Packet _) ->
            // The data up to '#' ('}' escapes the next byte), then two checksum digits.
            let sb = StringBuilder()
            let mutable result = None

            while result.IsNone do
                match this.ReadByte() with
                | None -> result <- Some Closed
                | Some 0x23 ->
                    match this.ReadByte(), this.ReadByte() with
                    | Some a, Some b ->
                        let data = sb.ToString()
                        let sum = data |> Seq.sumBy (fun c -> int (byte c)) &&& 0xFF

                        result <-
                            if data.Length > packetSize * 2 then Some TooLong
                            else
                                match tryHex (string (char a) + string (char b)) with
                                | Some s when int s = sum -> Some(Packet data)
                                | _ -> Some(BadChecksum data)
                    | _ -> result <- Some Closed
                | Some 0x7D ->
                    match this.ReadByte() with
                    | Some b -> if sb.Length <= packetSize * 2 then sb.Append(char (b ^^^ 0x20)) |> ignore
                    | None -> result <- Some Closed
                // Past the limit the bytes are read but not kept: the packet is refused at its end.
                | Some b -> if sb.Length <= packetSize * 2 then sb.Append(char b) |> ignore

            result.Value
        | Some other -> other
        | None -> Closed

    member _.SendRaw(text: string) =
        let bytes = Encoding.Latin1.GetBytes text

        try
            stream.Write(bytes, 0, bytes.Length)
        with
        | :? IO.IOException
        | :? ObjectDisposedException -> ()

    /// Send a packet (kept for a retransmission on '-').
    member this.Send(data: string) =
        last <- frame data
        this.SendRaw last

    member this.Ack(ok: bool) =
        if not noAck then this.SendRaw(if ok then "+" else "-")

/// The stop reply for a stop (T…, W…, X…), and the console text to show before it.
let stopReply (t: IDebugTarget) (stop: Stop) : string * string option =
    let regs = sprintf "20:%s;02:%s;thread:1;" (le64 t.Pc) (le64 (t.Registers()[2]))

    match stop with
    | Stepped -> sprintf "T%02x%s" Signal.trap regs, None
    | AtBreakpoint -> sprintf "T%02x%sswbreak:;" Signal.trap regs, None
    | SyscallEntry n ->
        let a i = t.Registers()[10 + i]
        sprintf "T%02x%s" Signal.trap regs, Some(sprintf "thrumodel: syscall 0x%02x %s (a0=0x%x a1=0x%x a2=0x%x a3=0x%x)\n" n (Profile.syscallName n) (a 0) (a 1) (a 2) (a 3))
    | Interrupted -> sprintf "T%02x%s" Signal.int regs, None
    | Ending e -> sprintf "T%02x%s" (signalOf e) regs, Some(sprintf "thrumodel: %s at pc 0x%x; continuing ends the run\n" (Ending.describe e) t.Pc)
    | Over(Exit code) -> sprintf "W%02x" (int (code &&& 0xFFUL)), Some(sprintf "thrumodel: the run ended: %s\n" (Ending.describe (Exit code)))
    | Over e -> sprintf "X%02x" (signalOf e), Some(sprintf "thrumodel: the run ended: %s\n" (Ending.describe e))

/// Serve one gdb connection on an accepted client until gdb detaches, kills, disconnects or the
/// run ends. `observe` sees every step; `note` gets the stub's messages for the user.
let private serveClient (opts: Options) (client: TcpClient) (s: Session) (observe: StepOutcome -> unit) (note: string -> unit) : Outcome =
    client.NoDelay <- true
    let stream = client.GetStream()
    stream.ReadTimeout <- int (min opts.Timeout.TotalMilliseconds (float Int32.MaxValue))
    let c = Connection(stream, client)
    let t = s.Target
    let mutable lastStop = sprintf "T%02xthread:1;" Signal.trap
    let mutable outcome: Outcome option = None

    let malformed (packet: string) =
        note (sprintf "gdb sent a malformed packet '%s': answered with an error" (if packet.Length > 40 then packet.Substring(0, 40) + "…" else packet))
        "E01"

    let resume (mode: Mode) =
        let stop = Session.resume s mode (fun () -> c.InterruptPending()) observe
        let reply, console = stopReply t stop
        console |> Option.iter (fun text -> c.Send("O" + hexBytes (Encoding.UTF8.GetBytes text)))
        lastStop <- reply

        match stop with
        | Over _ -> outcome <- Some Finished
        | _ -> ()

        reply

    let readMemory (args: string) =
        match args.Split ',' with
        | [| a; n |] ->
            match tryHex a, tryHex n with
            | Some addr, Some len ->
                let len = int (min len (uint64 (packetSize / 2)))
                let bytes, _ = t.Read(addr, len)
                if bytes.Length = 0 && len > 0 then "E14" else hexBytes bytes
            | _ -> malformed ("m" + args)
        | _ -> malformed ("m" + args)

    let registerValue (i: int) =
        if i < 32 then le64 (t.Registers()[i]) elif i = 32 then le64 t.Pc else "xxxxxxxxxxxxxxxx"

    let writeRegister (i: int) (hex: string) =
        match (if hex.Length = 16 then tryHex hex else None) with
        | Some _ ->
            let v = BitConverter.ToUInt64(Convert.FromHexString hex, 0)

            match t.SetRegister(i, v) with
            | Ok() -> "OK"
            | Error e ->
                note (sprintf "gdb wrote register %d: %s" i e)
                "E01"
        | None -> malformed (sprintf "P%x=%s" i hex)

    let breakpoint (insert: bool) (args: string) =
        match args.Split ',' with
        | [| ("0" | "1"); a; _ |] ->
            match tryHex a with
            | Some addr ->
                s.Breakpoints <- (if insert then s.Breakpoints.Add addr else s.Breakpoints.Remove addr)
                "OK"
            | None -> malformed args
        | [| _; _; _ |] -> "" // watchpoints: not supported
        | _ -> malformed args

    let xfer (args: string) =
        // features:read:target.xml:OFFSET,LENGTH
        match args.Split ':' with
        | [| "features"; "read"; "target.xml"; range |] ->
            match range.Split ',' with
            | [| o; n |] ->
                match tryHex o, tryHex n with
                | Some o, Some n ->
                    let o = int (min o (uint64 targetXml.Length))
                    let chunk = targetXml.Substring(o, min (int (min n (uint64 packetSize))) (targetXml.Length - o))
                    (if o + chunk.Length >= targetXml.Length then "l" else "m") + escape chunk
                | _ -> malformed args
            | _ -> malformed args
        | [| "features"; "read"; _; _ |] -> "E00"
        | _ -> ""

    let vCont (args: string) =
        // vCont;ACTION[:thread][;ACTION…]: the first action that applies to thread 1 (or to all).
        let actions = args.Split(';', StringSplitOptions.RemoveEmptyEntries)

        let applies (a: string) =
            match a.Split ':' with
            | [| _ |] -> true
            | [| _; th |] -> th = "1" || th = "-1" || th = "p1.1" || th = "p1.-1"
            | _ -> false

        match actions |> Array.tryFind applies |> Option.map (fun a -> (a.Split ':').[0]) with
        | Some a when a = "s" || a.StartsWith "S" -> resume SingleStep
        | Some a when a = "c" || a.StartsWith "C" -> resume Continue
        | Some _ -> ""
        | None -> malformed ("vCont;" + args)

    let consoleLines (lines: string list) =
        for l in lines do
            c.Send("O" + hexBytes (Encoding.UTF8.GetBytes(l + "\n")))

        "OK"

    // `monitor …` (qRcmd): what gdb has no command for.
    let monitor (hexCommand: string) =
        let command =
            try
                Encoding.UTF8.GetString(Convert.FromHexString hexCommand).Trim()
            with :? FormatException ->
                null

        match command with
        | null -> malformed ("qRcmd," + hexCommand)
        | _ ->
            match command.Split(' ', StringSplitOptions.RemoveEmptyEntries) |> List.ofArray with
            | [ "syscalls"; "on" ] ->
                s.CatchSyscalls <- Some Set.empty
                consoleLines [ "continue and step stop before every syscall (monitor syscalls off to stop)" ]
            | [ "syscalls"; "off" ] ->
                s.CatchSyscalls <- None
                consoleLines [ "syscalls are not stopped at" ]
            | "syscalls" :: numbers when not numbers.IsEmpty && numbers |> List.forall (fun n -> (tryNumber n).IsSome) ->
                s.CatchSyscalls <- Some(numbers |> List.choose tryNumber |> Set.ofList)
                consoleLines [ "stopping before syscalls " + (numbers |> String.concat " ") ]
            | [ "units" ] ->
                let u = t.Consumed
                consoleLines [ sprintf "compute units %d, state units %d, memory units %d, instructions %d" u.ComputeUnits u.StateUnits u.MemoryUnits u.Instructions ]
            | [ "frames" ] ->
                consoleLines [ for f in t.Frames() -> sprintf "depth %d: program account %d, pc 0x%x" f.Depth f.ProgramIdx f.Pc ]
            | [ "help" ]
            | [] ->
                consoleLines
                    [ "monitor syscalls on|off     stop before every syscall (ecall), or not"
                      "monitor syscalls N…         stop before these syscall numbers only (0x0c or 12)"
                      "monitor units               compute, state and memory units and instructions so far"
                      "monitor frames              the Thru shadow stack: program and pc per call depth"
                      "ending stops: SIGSEGV/SIGBUS fault, SIGILL illegal, SIGABRT revert, SIGXCPU out of compute units, SIGXFSZ out of state units, SIGSYS unknown syscall" ]
            | _ -> consoleLines [ sprintf "unknown monitor command '%s' (monitor help)" command ]

    let answer (p: string) : string =
        match p with
        | "?" -> lastStop
        | _ when p.StartsWith "qSupported" -> sprintf "PacketSize=%x;qXfer:features:read+;swbreak+;vContSupported+;QStartNoAckMode+" packetSize
        | "QStartNoAckMode" -> "OK"
        | "vMustReplyEmpty" -> ""
        | _ when p.StartsWith "H" -> "OK"
        | "qfThreadInfo" -> "m1"
        | "qsThreadInfo" -> "l"
        | "qC" -> "QC1"
        | _ when p.StartsWith "T" -> "OK"
        | _ when p.StartsWith "qAttached" -> "1"
        | _ when p.StartsWith "qSymbol" -> "OK"
        | _ when p.StartsWith "qXfer:" -> xfer (p.Substring 6)
        | "g" -> [ for i in 0..32 -> registerValue i ] |> String.concat ""
        | _ when p.StartsWith "G" ->
            let hex = p.Substring 1
            if hex.Length < 33 * 16 then malformed p
            else
                let results = [ for i in 1..32 -> writeRegister i (hex.Substring(i * 16, 16)) ]
                results |> List.tryFind (fun r -> r <> "OK") |> Option.defaultValue "OK"
        | _ when p.StartsWith "p" ->
            match tryHex (p.Substring 1) with
            | Some i when i <= 32UL -> registerValue (int i)
            | Some _ -> "E00"
            | None -> malformed p
        | _ when p.StartsWith "P" ->
            match p.Substring(1).Split '=' with
            | [| r; v |] ->
                match tryHex r with
                | Some i when i <= 32UL && i >= 1UL -> writeRegister (int i) v
                | Some _ -> "E00"
                | None -> malformed p
            | _ -> malformed p
        | _ when p.StartsWith "m" -> readMemory (p.Substring 1)
        | _ when p.StartsWith "M" ->
            note "gdb tried to write memory: memory writes are not supported (the debugger observes the run, it does not change it)"
            "E01"
        | _ when p.StartsWith "X" -> ""
        | _ when p.StartsWith "Z" -> breakpoint true (p.Substring 1)
        | _ when p.StartsWith "z" -> breakpoint false (p.Substring 1)
        | "vCont?" -> "vCont;c;C;s;S"
        | _ when p.StartsWith "vCont;" -> vCont (p.Substring 6)
        | _ when p = "c" || p.StartsWith "c" || p.StartsWith "C" -> resume Continue
        | _ when p = "s" || p.StartsWith "s" || p.StartsWith "S" -> resume SingleStep
        | _ when p.StartsWith "qRcmd," -> monitor (p.Substring 6)
        | _ -> ""

    while outcome.IsNone do
        match c.Next() with
        | Closed -> outcome <- Some(Detached "gdb disconnected (or was silent too long)")
        | Interrupt -> () // not running: nothing to interrupt
        | TooLong ->
            c.Ack true
            note (sprintf "gdb sent a packet longer than %d bytes: refused" (packetSize * 2))
            c.Send "E01"
        | BadChecksum data ->
            note (sprintf "a packet from gdb had a bad checksum ('%s'): asked again" (if data.Length > 40 then data.Substring(0, 40) + "…" else data))
            c.Ack false
        | Packet p ->
            c.Ack true

            match p with
            | _ when p = "k" || p.StartsWith "vKill" ->
                if p.StartsWith "vKill" then c.Send "OK"
                outcome <- Some Killed
            | _ when p = "D" || p.StartsWith "D;" ->
                c.Send "OK"
                outcome <- Some(Detached "gdb detached")
            | _ ->
                let reply = answer p
                c.Send reply
                if p = "QStartNoAckMode" then c.NoAck <- true

    outcome.Value

/// Listen on the options' address, wait for gdb, serve it. `listening` gets the bound endpoint
/// (the port, when 0 was asked for) before waiting. Error (one line) when the port cannot be bound
/// or gdb does not connect in time.
let serve (opts: Options) (s: Session) (observe: StepOutcome -> unit) (listening: IPEndPoint -> unit) (note: string -> unit) : Result<Outcome, string> =
    let listener = new TcpListener(opts.Address, opts.Port)

    let started =
        try
            listener.Server.ExclusiveAddressUse <- true
            listener.Start 1
            Ok()
        with :? SocketException as e ->
            match e.SocketErrorCode with
            | SocketError.AddressAlreadyInUse -> Error(sprintf "--gdb: %O:%d is in use (another debugger stub or server?): choose another port" opts.Address opts.Port)
            | SocketError.AddressNotAvailable -> Error(sprintf "--gdb: %O is not an address of this machine" opts.Address)
            | SocketError.AccessDenied -> Error(sprintf "--gdb: not allowed to listen on %O:%d (ports below 1024 need privileges)" opts.Address opts.Port)
            | _ -> Error(sprintf "--gdb: cannot listen on %O:%d: %s" opts.Address opts.Port e.Message)

    match started with
    | Error e -> Error e
    | Ok() ->
        try
            listening (listener.LocalEndpoint :?> IPEndPoint)
            let accept = listener.AcceptTcpClientAsync()

            if not (accept.Wait opts.Timeout) then
                Error(sprintf "--gdb: no debugger connected to %O within %.0f s (see --gdb-timeout)" listener.LocalEndpoint opts.Timeout.TotalSeconds)
            else
                listener.Stop()
                use client = accept.Result
                Ok(serveClient opts client s observe note)
        finally
            listener.Stop()
