/// The gdb remote stub: a real gdb-multiarch in batch mode against the examples through
/// `thrumodel run … --gdb` on the model and on the engine, and the protocol's edges (malformed
/// packets, memory faults as errors, interrupts, a disconnecting gdb) against the stub in this
/// process, over both implementations' debug targets.
module Thru.Tests.Debug.GdbTests

open System
open System.Diagnostics
open System.IO
open System.Net
open System.Net.Sockets
open System.Text
open Expecto
open Thru.Tests.Support
open Thru.Model.Isa
open Thru.Model.Runtime
open Thru.Compare
open Thru.Cli.Debug
open Thru.Cli.Debug.Target
open Thru.Tests.Examples

let private root = Path.GetDirectoryName ExampleRun.examplesDir

/// A port nobody listens on now.
let private freePort () =
    let l = new TcpListener(IPAddress.Loopback, 0)
    l.Start()
    let port = (l.LocalEndpoint :?> IPEndPoint).Port
    l.Stop()
    port

let private gdbPath () =
    [ "/usr/bin/gdb-multiarch"; "/usr/local/bin/gdb-multiarch" ]
    |> List.tryFind File.Exists
    |> Option.defaultWith (fun () -> failtest "gdb-multiarch is not installed: run make deps (the Makefile's Debian packages include it)")

/// Run `thrumodel ARGS` (this build's thrumodel.dll) from the repository's root, wait until it
/// listens for gdb, run gdb-multiarch in batch mode with `script` on `elf`, and return gdb's
/// output and the command's exit code, stdout and stderr.
let private session (args: string list) (elf: string) (script: string list) =
    let port = freePort ()
    let psi = ProcessStartInfo("dotnet", WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true)
    [ yield Path.Combine(AppContext.BaseDirectory, "thrumodel.dll"); yield! args; yield! [ "--gdb"; sprintf "127.0.0.1:%d" port; "--gdb-timeout"; "20" ] ]
    |> List.iter psi.ArgumentList.Add
    use cli = Process.Start psi
    let stdout = cli.StandardOutput.ReadToEndAsync()
    let stderr = StringBuilder()
    let listening = new Threading.ManualResetEventSlim()

    cli.ErrorDataReceived.Add(fun e ->
        if not (isNull e.Data) then
            lock stderr (fun () -> stderr.AppendLine e.Data |> ignore)
            if e.Data.Contains "waiting for gdb" then listening.Set())

    cli.BeginErrorReadLine()

    if not (listening.Wait(TimeSpan.FromSeconds 20.0)) then
        cli.Kill true
        failtestf "thrumodel did not listen for gdb within 20 s: %s" (lock stderr (fun () -> stderr.ToString()))

    let scriptFile = Path.GetTempFileName()
    File.WriteAllLines(scriptFile, [ "set pagination off"; "set confirm off"; sprintf "target remote 127.0.0.1:%d" port ] @ script)
    let gpsi = ProcessStartInfo(gdbPath (), WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true)
    [ "-batch"; "-nx"; "-x"; scriptFile; elf ] |> List.iter gpsi.ArgumentList.Add
    use gdb = Process.Start gpsi
    let gout = gdb.StandardOutput.ReadToEndAsync()
    let gerr = gdb.StandardError.ReadToEndAsync()
    let gdbDone = gdb.WaitForExit(TimeSpan.FromSeconds 30.0)
    if not gdbDone then gdb.Kill true
    let cliDone = cli.WaitForExit(TimeSpan.FromSeconds 30.0)
    if not cliDone then cli.Kill true
    File.Delete scriptFile
    Expect.isTrue gdbDone "gdb finished within 30 s"
    Expect.isTrue cliDone "thrumodel finished within 30 s of gdb"
    cli.WaitForExit()
    gout.Result + gerr.Result, cli.ExitCode, stdout.Result, lock stderr (fun () -> stderr.ToString())

/// The value gdb prints for `info registers NAME` ("a0             0x1000070\t16777328").
let private registerIn (output: string) (name: string) =
    output.Split '\n'
    |> Array.tryPick (fun l ->
        let parts = l.Split([| ' '; '\t' |], StringSplitOptions.RemoveEmptyEntries)
        if parts.Length >= 2 && parts[0] = name && parts[1].StartsWith "0x" then Some(Convert.ToUInt64(parts[1].Substring 2, 16)) else None)

// ---------------------------------------------------------------------------------------
// The stub in this process, spoken to by hand.
// ---------------------------------------------------------------------------------------

type private Client(stream: NetworkStream) =
    member _.SendRaw(text: string) =
        let b = Encoding.Latin1.GetBytes text
        stream.Write(b, 0, b.Length)

    member this.Send(data: string) = this.SendRaw(GdbStub.frame data)

    /// The next byte that is not an ack ('+'), returned as is when it is '-'.
    member _.Byte() =
        let b = stream.ReadByte()
        if b < 0 then failtest "the stub closed the connection"
        char b

    /// The next packet's data (acks skipped).
    member this.Packet() =
        let rec start () =
            match this.Byte() with
            | '$' -> body (StringBuilder())
            | _ -> start ()

        and body sb =
            match this.Byte() with
            | '#' ->
                this.Byte() |> ignore
                this.Byte() |> ignore
                sb.ToString()
            | c -> body (sb.Append c)

        start ()

    /// Send a packet and return the reply, console ('O') packets skipped.
    member this.Ask(data: string) =
        this.Send data
        let rec reply () =
            let p = this.Packet()
            if p.StartsWith "O" && p <> "OK" then reply () else p
        reply ()

/// Serve `target` in a thread; `talk` speaks to it; returns the stub's outcome.
let private withStub (target: IDebugTarget) (talk: Client -> unit) : GdbStub.Outcome =
    let endpoint = Threading.Tasks.TaskCompletionSource<IPEndPoint>()
    let opts: GdbStub.Options = { Address = IPAddress.Loopback; Port = 0; Timeout = TimeSpan.FromSeconds 20.0 }
    let notes = Collections.Concurrent.ConcurrentQueue<string>()
    let served = Threading.Tasks.Task.Run(fun () -> GdbStub.serve opts (Session.create target) ignore endpoint.SetResult notes.Enqueue)
    Expect.isTrue (endpoint.Task.Wait(TimeSpan.FromSeconds 10.0)) "the stub listens"
    use tcp = new TcpClient()
    tcp.Connect endpoint.Task.Result
    tcp.ReceiveTimeout <- 20_000
    talk (Client(tcp.GetStream()))
    tcp.Close()
    Expect.isTrue (served.Wait(TimeSpan.FromSeconds 20.0)) "the stub returns once gdb is gone"

    match served.Result with
    | Ok outcome -> outcome
    | Error e -> failtest e

/// The implementations with a debug target.
let private implementations = [ "model"; "engine" ]

/// The prepared transaction on `impl`'s debug target, its result once ended, and what frees it.
let private txnTarget (impl: string) (p: Thru.Cli.RunCommand.Prepared) : IDebugTarget * (unit -> TxnObservation.TxnObservation) * IDisposable =
    match impl with
    | "engine" ->
        let env = Thru.Tests.Engine.TxnHarness.engineEnvironment p.Env
        let e = new EngineTarget.TransactionTarget(env, p.Wire)
        if e.Refused.IsSome then failtestf "refused: %s" e.Refused.Value.Rejection
        e, (fun () -> TxnObservation.ofEngine env e.Result.Value), e
    | _ ->
        match Execution.start p.Env p.Wire with
        | Execution.Running started ->
            let m = ModelTarget.TransactionTarget(p.Env, started)
            m, (fun () -> TxnObservation.ofModel m.Result.Value), { new IDisposable with member _.Dispose() = () }
        | Execution.Finished r -> failtestf "refused: %A" r.Rejection

/// `impl`'s untraced run.
let private plainRun (impl: string) (p: Thru.Cli.RunCommand.Prepared) =
    if impl = "engine" then ExampleRun.runEngine p else ExampleRun.runModel p

let private le64 (v: uint64) = Convert.ToHexString(BitConverter.GetBytes v).ToLowerInvariant()

[<Tests>]
let tests =
    testList "Debug.GdbTests" [
        for impl in implementations do
         testCaseInGroup "gdb" (sprintf "gdb-multiarch on the %s: break at start, read a0/a1 and the transaction segment, step, continue to the end" impl) <| fun () ->
            let instr = [| 0x01uy; 0x02uy; 0x03uy |]
            let p = ExampleRun.prepare "hello" None instr None
            let plain = plainRun impl p

            let entry =
                match Execution.start p.Env p.Wire with
                | Execution.Running s -> s.Vm.Hart
                | _ -> failtest "refused"

            let output, code, stdout, stderr =
                session
                    [ "run"; "examples/build/hello.bin"; "--instr"; "010203"; "--engine"; impl ]
                    "examples/build/hello.elf"
                    [ "break start"
                      "continue"
                      "info registers a0"
                      "info registers a1"
                      "x/8xb 0x1000000"
                      "stepi"
                      "info registers pc"
                      "continue" ]

            let context = sprintf "gdb:\n%s\nthrumodel stdout:\n%s\nstderr:\n%s" output stdout stderr
            Expect.stringContains output "Breakpoint 1, start (" context
            Expect.stringContains output "at hello/hello.c:14" context
            Expect.equal (registerIn output "a0") (Some(Registers.get entry.Regs Reg.a0)) ("a0 = the instruction data's address\n" + context)
            Expect.equal (registerIn output "a1") (Some 3UL) ("a1 = the instruction data's size\n" + context)
            // The transaction segment through the address space: the wire transaction's first bytes.
            let shown = p.Wire[0..7] |> Array.map (sprintf "0x%02x") |> String.concat "\t"
            Expect.stringContains output ("0x1000000:\t" + shown) ("x/8xb 0x1000000 shows the transaction\n" + context)
            let startPc = output.Split('\n') |> Array.find (fun l -> l.StartsWith "Breakpoint 1 at ")
            let stepped = registerIn output "pc"
            Expect.isSome stepped context
            Expect.isFalse (startPc.Contains(sprintf "0x%x:" stepped.Value)) "stepi moved the pc"
            Expect.stringContains output "exited normally" context
            Expect.equal code 0 context
            Expect.stringContains stdout "result:           success, exit code 0" context
            Expect.stringContains stdout (sprintf "compute units:    %d" plain.ConsumedComputeUnits) ("the same run as without gdb\n" + context)
            Expect.stringContains stdout (sprintf "engine:           %s" impl) context

        for impl in implementations do
         testCaseInGroup "gdb" (sprintf "gdb-multiarch on the %s: a misaligned load stops with SIGBUS at its source line; continuing ends the run" impl) <| fun () ->
            let output, code, stdout, stderr =
                session
                    [ "run"; "examples/build/fault_misaligned.bin"; "--engine"; impl ]
                    "examples/build/fault_misaligned.elf"
                    [ "continue"; "bt"; "continue" ]

            let context = sprintf "gdb:\n%s\nthrumodel stdout:\n%s\nstderr:\n%s" output stdout stderr
            Expect.stringContains output "Program received signal SIGBUS" context
            Expect.stringContains output "alignment-violation read 8 @0x50000ffffb1" context
            Expect.stringContains output "fault_misaligned/fault_misaligned.c:23" context
            Expect.stringContains output "in _start ()" context
            Expect.stringContains output "Program terminated with signal SIGBUS" context
            Expect.equal code 1 ("a faulted transaction exits 1 under gdb too\n" + context)
            Expect.stringContains stdout "faulted at:       start at fault_misaligned/fault_misaligned.c:23" context

        for impl in implementations do
         testCase (sprintf "the stub on the %s: target.xml, registers, memory through the address space, errors for faults and malformed packets, a disconnect" impl) <| fun () ->
            let p = ExampleRun.prepare "hello" None [||] None
            let t, result, free = txnTarget impl p
            use _ = free

            let outcome =
                withStub t (fun c ->
                    Expect.stringContains (c.Ask "qSupported:multiprocess+;swbreak+") "qXfer:features:read+" "qSupported"
                    Expect.stringContains (c.Ask "qXfer:features:read:target.xml:0,3fff") "<architecture>riscv:rv64</architecture>" "target.xml"
                    Expect.stringStarts (c.Ask "?") "T05" "stopped at the entry"
                    let g = c.Ask "g"
                    Expect.equal g.Length (33 * 16) "33 registers"
                    Expect.equal (g.Substring(32 * 16)) (le64 0x3000000UL) "pc at the program's first byte"
                    Expect.equal (c.Ask "m1000000,8") (Convert.ToHexString(p.Wire[0..7]).ToLowerInvariant()) "the transaction segment"
                    Expect.equal (c.Ask "m0,8") "E14" "the null segment cannot be read: an error, not a crash"
                    Expect.equal (c.Ask "m3000000,zz") "E01" "a malformed packet: an error"
                    Expect.equal (c.Ask "qNoSuchThing") "" "an unknown packet: the empty reply"
                    // A bad checksum: the stub asks again ('-').
                    c.SendRaw "$g#00"
                    let rec nack () = match c.Byte() with | '-' -> () | '+' -> nack () | other -> failtestf "expected '-', got '%c'" other
                    nack ()
                    Expect.equal (c.Ask "M3000000,1:00") "E01" "memory writes are refused"
                    Expect.equal (c.Ask(String('m', 40_000))) "E01" "an over-long packet is refused"
                    Expect.equal (c.Ask "Z0,3000078,2") "OK" "a breakpoint"
                    Expect.stringContains (c.Ask "c") "swbreak" "continue stops at it")
            // gdb went away without detaching: the run goes on to its end, as without the debugger.
            Expect.equal outcome (GdbStub.Detached "gdb disconnected (or was silent too long)") "a disconnect"
            Session.runToEnd t ignore |> ignore
            Expect.equal (result ()) (plainRun impl p) "the same result as without the debugger"

        for impl in implementations do
         testCase (sprintf "the stub on the %s: an interrupt stops a continue (SIGINT), kill stops the run" impl) <| fun () ->
            let p = ExampleRun.prepare "cu_exhaust" None [||] None
            let t, _, free = txnTarget impl p
            use _ = free

            let outcome =
                withStub t (fun c ->
                    c.Send "c"
                    Threading.Thread.Sleep 300
                    c.SendRaw "\u0003"
                    let rec stop () = match c.Packet() with | o when o.StartsWith "O" -> stop () | s -> s
                    Expect.stringStarts (stop ()) "T02" "interrupted"
                    c.Send "k")

            Expect.equal outcome GdbStub.Killed "killed"
            Expect.isNone t.Ended "the run stopped where it was"
            Expect.isGreaterThan t.Consumed.Instructions 0L "it ran"

        for impl in implementations do
         testCase (sprintf "the stub on the %s: a revert stops with SIGABRT at the exit ecall, then the run is over" impl) <| fun () ->
            let instr = Convert.FromHexString "01020003006500000000000000"
            let p = ExampleRun.prepare "token" (Some "token-transfer") instr None
            let t, _, free = txnTarget impl p
            use _ = free

            let outcome =
                withStub t (fun c ->
                    Expect.stringStarts (c.Ask "c") "T06" "SIGABRT"
                    Expect.stringStarts (c.Ask "c") "X06" "terminated")

            Expect.equal outcome GdbStub.Finished "finished"
            Expect.equal t.Ended (Some(Revert(8UL, 1))) "reverted with code 8"

        for impl in implementations do
         testCase (sprintf "the stub on a raw run on the %s: step, read and write a register, continue to the ecall (exited with a0)" impl) <| fun () ->
            // addi a0, zero, 5; ecall
            let image = Array.concat [ BitConverter.GetBytes 0x00500513u; BitConverter.GetBytes 0x00000073u ]

            let memory =
                match Thru.Model.Raw.load image 0x8000_0000UL with
                | Ok m -> m
                | Error e -> failtestf "%A" e

            let model = ModelTarget.RawTarget(Thru.Model.Decisions.Profile.defaults, memory, 100L)
            use engine = new EngineTarget.RawTarget(image, 0x8000_0000UL, 100L, 0x8000_0000UL)
            let t: IDebugTarget = if impl = "engine" then engine else model

            let outcome =
                withStub t (fun c ->
                    Expect.equal (c.Ask "p20") (le64 0x8000_0000UL) "pc at the base"
                    Expect.stringStarts (c.Ask "vCont;s:1") "T05" "one step"
                    Expect.equal (c.Ask "pa") (le64 5UL) "a0 = 5"
                    Expect.equal (c.Ask "m80000000,4") "13055000" "the image through the raw region"
                    Expect.equal (c.Ask "m7ffffffe,4") "E14" "outside the region: an error"
                    Expect.equal (c.Ask ("Pa=" + le64 6UL)) "OK" "a0 written"
                    Expect.equal (c.Ask "vCont;c") "W06" "exited with the written a0")

            Expect.equal outcome GdbStub.Finished "finished"
            Expect.equal t.Ended (Some(Exit 6UL)) "the raw run stopped at the ecall"

        testCase "raw --gdb reads FILE as raw does: an ELF's segments from its entry point, on both targets alike" <| fun () ->
            // f: addi a0, a0, 100; ret — then _start (the entry, 8 bytes in): li a0, 5; ecall.
            let dir = Path.Combine(Path.GetTempPath(), sprintf "thru-raw-elf-%d" Environment.ProcessId)
            Directory.CreateDirectory dir |> ignore
            let source, elf = Path.Combine(dir, "raw.S"), Path.Combine(dir, "raw.elf")
            File.WriteAllText(source, ".text\nf:\n  addi a0, a0, 100\n  ret\n.globl _start\n_start:\n  li a0, 5\n  ecall\n")
            let psi = ProcessStartInfo("riscv64-unknown-elf-gcc", RedirectStandardError = true)
            [ "-march=rv64i"; "-mabi=lp64"; "-nostdlib"; "-Wl,-Ttext=0x80000000"; "-o"; elf; source ] |> List.iter psi.ArgumentList.Add
            use gcc = Process.Start psi
            let errors = gcc.StandardError.ReadToEnd()
            gcc.WaitForExit()
            Expect.equal gcc.ExitCode 0 ("riscv64-unknown-elf-gcc: " + errors)
            let parser = Argu.ArgumentParser.Create<Thru.Cli.Args.RawArgs>()
            let image, baseAddress, pc = Thru.Cli.RawCommand.input (parser.Parse [| elf; "--gdb"; "1234" |])
            Expect.equal pc 0x8000_0008UL "the entry point"
            Expect.isLessThan baseAddress pc "the region starts at the lowest loadable address, below the entry"

            let memory =
                match Thru.Model.Raw.load image baseAddress with
                | Ok m -> m
                | Error e -> failtestf "%A" e

            let model = ModelTarget.RawTarget(Thru.Model.Decisions.Profile.defaults, memory, 100L, pc) :> IDebugTarget
            use engine = new EngineTarget.RawTarget(image, baseAddress, 100L, pc)
            let e = engine :> IDebugTarget

            for t in [ model; e ] do
                Expect.equal t.Pc pc (t.Implementation + ": starts at the entry point")
                Expect.equal (Session.runToEnd t ignore) (Exit 5UL) (t.Implementation + ": _start's a0 at its ecall")
                Expect.equal t.Consumed.Instructions 1L (t.Implementation + ": one instruction before the ecall")

            let refused = try Some(Thru.Cli.RawCommand.input (parser.Parse [| elf; "--base"; "1000"; "--gdb"; "1234" |])) with Thru.Cli.Common.UserError _ -> None
            Expect.isNone refused "--base with an ELF: refused"
            Directory.Delete(dir, true)

        testCase "--gdb: bad addresses, a port in use, both implementations at once and a silent gdb are one-line errors (exit 2), on the model and the engine" <| fun () ->
            let run (args: string list) = Thru.Cli.Program.main (Array.ofList ("run" :: Path.Combine(ExampleRun.examplesDir, "build", "hello.bin") :: args))
            Expect.equal (run [ "--gdb"; "host:1" ]) 2 "not an IP address"
            Expect.equal (run [ "--gdb"; "70000" ]) 2 "not a port"
            Expect.equal (run [ "--gdb"; "1234"; "--engine"; "both" ]) 2 "both"
            Expect.equal (run [ "--profile"; "--engine"; "unicorn" ]) 2 "unicorn"

            for impl in implementations do
                let run (args: string list) = run (args @ [ "--engine"; impl ])
                let busy = new TcpListener(IPAddress.Loopback, 0)
                busy.Start()
                Expect.equal (run [ "--gdb"; string (busy.LocalEndpoint :?> IPEndPoint).Port ]) 2 (impl + ": a port in use")
                busy.Stop()
                Expect.equal (run [ "--gdb"; string (freePort ()); "--gdb-timeout"; "1" ]) 2 (impl + ": no gdb within the timeout")
                Expect.equal (run [ "--elf"; Path.Combine(ExampleRun.examplesDir, "README.md") ]) 2 (impl + ": not an ELF")
                Expect.equal (run [ "--profile"; "--elf"; Path.Combine(ExampleRun.examplesDir, "README.md") ]) 2 (impl + ": not an ELF, profiling")
                Expect.equal (run [ "--profile-out"; "/nonexistent/dir/p.json" ]) 2 (impl + ": an unwritable profile")
                Expect.equal (run [ "--gdb"; "1234"; "--repeat"; "2" ]) 2 (impl + ": --repeat")

            let raw (args: string list) = Thru.Cli.Program.main (Array.ofList ("raw" :: Path.Combine(ExampleRun.examplesDir, "build", "hello.bin") :: args))
            Expect.equal (raw [ "--gdb"; "1234"; "--engine"; "unicorn" ]) 2 "raw: unicorn"
            Expect.equal (raw [ "--gdb"; "1234"; "--engine"; "both" ]) 2 "raw: both"
            Expect.equal (raw [ "--gdb"; "1234"; "--engine"; "engine"; "--base"; "123" ]) 2 "raw on the engine: a base that is not 4 KiB aligned"
            let busy = new TcpListener(IPAddress.Loopback, 0)
            busy.Start()
            Expect.equal (raw [ "--gdb"; string (busy.LocalEndpoint :?> IPEndPoint).Port; "--engine"; "engine" ]) 2 "raw on the engine: a port in use"
            busy.Stop()
    ]
