/// The C example programs end to end (issue 6): every scenario of examples/SCENARIOS.md runs
/// through the path of `thrumodel run` (the accounts files of examples/worlds/) on the model, which
/// must give the documented result, user error code, reverting program, fault, logs, events and
/// account changes; and on the engine, whose observation must be identical to the model's.
module Thru.Tests.Examples.ExampleScenarioTests

open System
open System.Text.RegularExpressions
open Expecto
open Thru.Tests.Support
open Thru.Model
open Thru.Model.Runtime
open Thru.Compare
open Thru.Compare.TxnObservation
open Thru.Tests.Examples.ExampleRun

/// How a transaction ends.
type Outcome =
    /// Success; the top-level program's exit code.
    | Exit of code: uint64
    /// VM_REVERT with this user error code, raised by the program at this account index.
    | Revert of code: uint64 * by: int
    /// CU_EXHAUSTED (SIGCU, fault code 2), every unit of the budget consumed.
    | CuExhausted
    /// VM_FAILED with this fault (TxnObservation.describeTrap).
    | Failed of fault: string

/// One log line: (account index of the logging program, text), exact or a regular expression.
type Log =
    | L of int * string
    | Like of int * string

/// What becomes of a world account (by its name in the accounts file).
type Change =
    /// It exists afterwards and holds exactly these bytes (seq + 1; its owner unchanged, or the
    /// program for a new account).
    | Holds of data: byte[]
    /// It is not in the state afterwards (deleted at commit).
    | Removed

type Scenario =
    { N: int
      Title: string
      Program: string
      World: string option
      /// The instruction data (a function: scenario 49 computes a state proof from the world).
      Instr: unit -> byte[]
      Cu: int64 option
      Outcome: Outcome
      Logs: Log list
      /// (program index, payload) of every event, in order.
      Events: (int * byte[]) list
      /// The world accounts that change; every other account but the fee payer stays as it was.
      Changes: (string * Change) list }

// ---------------------------------------------------------------------------------------
// Building instruction data.
// ---------------------------------------------------------------------------------------

let private u16 (v: int) = BitConverter.GetBytes(uint16 v)
let private u64 (v: uint64) = BitConverter.GetBytes v
let private ascii (s: string) = Text.Encoding.ASCII.GetBytes s
let private hex (s: string) = Convert.FromHexString s
let private cat (parts: byte[] list) = Array.concat parts
let private none = 0xFFFF

let private alice = hex "bc7cbcb5636375fa1d82434d466724d92377f53b980695dd49d26d0ce12205a5" // seed a1 × 32
let private bob = hex "705fbac01f5519899f437bc42e40255ae9ab54bff00de3433af7d687d9e71ad5" // seed b0 × 32
let private key (b: byte) = Array.create 32 b
let private seed = [| 100uy .. 131uy |]
let private message448 = ascii "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

let private token (owner: byte[]) (amount: uint64) = cat [ owner; u64 amount ]
let private transfer (from: int) (to': int) (amount: uint64) = cat [ [| 1uy |]; u16 from; u16 to'; u64 amount ]
let private chainA (callee: int) (auth: int) (deauth: int) (calleeData: byte[]) = cat [ u16 callee; u16 auth; u16 deauth; calleeData ]
let private chainB (mode: byte) (check: int) (code: uint64) = cat [ [| mode |]; u16 check; u64 code ]

let private scenario n title program world (instr: byte[]) outcome logs =
    { N = n
      Title = title
      Program = program
      World = world
      Instr = (fun () -> instr)
      Cu = None
      Outcome = outcome
      Logs = logs
      Events = []
      Changes = [] }

let private withChanges changes s = { s with Changes = changes }

/// The logs of chain_a invoking `callee` with chain_b's 11 bytes (or token's 13).
let private invoking callee auth deauth bytes = L(1, sprintf "chain_a: invoking program %d (auth %d, deauth %d, %d bytes)" callee auth deauth bytes)
let private chainBLogs depth caller program check yes =
    [ L(program, sprintf "chain_b: depth %d, caller %d, program %d" depth caller program)
      L(program, sprintf "chain_b: account %d authorized: %s" check (if yes then "yes" else "no")) ]

// ---------------------------------------------------------------------------------------
// The 53 scenarios of examples/SCENARIOS.md.
// ---------------------------------------------------------------------------------------

let scenarios: Scenario list =
    [ // Single programs.
      scenario 1 "hello logs Hello, Thru!" "hello" None (hex "78797a") (Exit 0UL) [ L(1, "Hello, Thru!") ]
      scenario 2 "counter: a fresh account is resized to 8 bytes and counts to 1" "counter" (Some "counter-new") [||] (Exit 0UL) [ L(1, "counter: 0 -> 1") ]
      |> withChanges [ "counter", Holds(u64 1UL) ]
      scenario 3 "counter adds the u64 delta" "counter" (Some "counter-41") (u64 5UL) (Exit 0UL) [ L(1, "counter: 41 -> 46") ]
      |> withChanges [ "counter", Holds(u64 46UL) ]
      scenario 4 "counter: a read-only account reverts 2" "counter" (Some "counter-readonly") [||] (Revert(2UL, 1)) [ L(1, "error 2: account 2 not writable") ]
      scenario 5 "counter: an account owned by another program reverts 3" "counter" (Some "counter-foreign") [||] (Revert(3UL, 1)) [ L(1, "error 3: account 2 not owned by this program") ]
      scenario 6 "counter: overflow reverts 5" "counter" (Some "counter-max") [||] (Revert(5UL, 1)) [ L(1, "error 5: counter overflow") ]
      scenario 7 "counter: instruction data of 3 bytes reverts 4" "counter" (Some "counter-new") (ascii "abc") (Revert(4UL, 1)) [ L(1, "error 4: instruction data must be empty or a u64") ]
      scenario 8 "counter without its account reverts 1" "counter" None [||] (Revert(1UL, 1)) [ L(1, "error 1: account 2 missing") ]
      scenario 9 "sha256 of \"abc\" is the FIPS 180-2 example 1 digest" "sha256" None (ascii "abc") (Exit 0UL)
          [ L(1, "sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"); L(1, "sha256: matches FIPS 180-2 example 1 (\"abc\")") ]
      scenario 10 "sha256 of the 448-bit message is the FIPS 180-2 example 2 digest" "sha256" None message448 (Exit 0UL)
          [ L(1, "sha256: 248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"); L(1, "sha256: matches FIPS 180-2 example 2 (448-bit message)") ]
      scenario 11 "sha256 of \"abd\" matches no example and reverts 1" "sha256" None (ascii "abd") (Revert(1UL, 1))
          [ L(1, "sha256: a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9"); L(1, "sha256: no match") ]
      { scenario 12 "events emits its two default events" "events" None [||] (Exit 0UL) [ L(1, "events: emitted 2 events (12 + 12 bytes)") ] with
          Events = [ 1, ascii "thru:event:1"; 1, ascii "thru:event:2" ] }
      { scenario 13 "events emits its instruction data as the second event" "events" None (cat [ [| 1uy; 2uy |]; ascii "payload" ]) (Exit 0UL) [ L(1, "events: emitted 2 events (12 + 9 bytes)") ] with
          Events = [ 1, ascii "thru:event:1"; 1, cat [ [| 1uy; 2uy |]; ascii "payload" ] ] }
      scenario 14 "info shows the header, frame, block and every account, and exits with the account count" "info" (Some "info") (hex "aabb") (Exit 4UL)
          [ L(1, "info: txn v1 flags 0x0 rw 1 ro 1 instr 2 cu 10000000 su 10000 mu 10000")
            L(1, "info: fee 1 nonce 0 start_slot 1000 expiry_after 100 chain_id 1")
            Like(1, @"^info: entry a0 (0x[0-9a-f]+) a1 2; txn instr data at \1$")
            L(1, "info: depth 1 max 1 program 1 stack_pages 1 heap_pages 0")
            L(1, "info: block slot 1000 time 400000000000 price 1")
            // The fee payer after pre-execution: fee paid, nonce advanced.
            L(1, "info: acc 0 6c5b4a7f429d2b5e.. rw v1 flags 0x00 data_sz 0 balance 999999999 nonce 1 owner 0000000000000000..")
            Like(1, @"^info: acc 1 [0-9a-f]{16}\.\. ro v1 flags 0x01 data_sz \d+ balance 0 nonce 0 owner 0000000000000000\.\.$")
            L(1, "info: acc 2 1010101010101010.. rw v1 flags 0x00 data_sz 5 balance 77 nonce 3 owner eeeeeeeeeeeeeeee..")
            L(1, "info: acc 3 2020202020202020.. ro v0 flags 0x00 data_sz 0 balance 0 nonce 0 owner 0000000000000000..") ]
      { scenario 15 "cu_exhaust spins until the budget is gone" "cu_exhaust" None [||] CuExhausted [ L(1, "cu_exhaust: spinning") ] with
          Cu = Some 50_000L }
      scenario 16 "fault_misaligned: an 8-byte load from an odd stack address faults" "fault_misaligned" None [||] (Failed "alignment-violation read 8 @0x50000ffffb1")
          [ L(1, "fault_misaligned: ld from 0x50000ffffb1") ]
      scenario 17 "fault_readonly: a store into the transaction data faults" "fault_readonly" None [||] (Failed "permission-denied write 1 @0x1000000")
          [ L(1, "fault_readonly: sb to 0x1000000") ]

      // token.
      scenario 18 "token INIT writes {owner, amount}" "token" (Some "token-init") (cat [ [| 0uy |]; u16 2; bob; u64 100UL ]) (Exit 0UL) [ L(1, "token: init account 2 amount 100") ]
      |> withChanges [ "s", Holds(token bob 100UL) ]
      scenario 19 "token INIT of an initialized account reverts 5" "token" (Some "token-init-done") (cat [ [| 0uy |]; u16 2; bob; u64 100UL ]) (Revert(5UL, 1)) [ L(1, "error 5: already initialized") ]
      scenario 20 "token TRANSFER signed by the source's owner" "token" (Some "token-transfer") (transfer 2 3 30UL) (Exit 0UL) [ L(1, "token: transfer 30 from 2 to 3 (70 left)") ]
      |> withChanges [ "s", Holds(token alice 70UL); "d", Holds(token bob 37UL) ]
      scenario 21 "token TRANSFER signed by someone else reverts 7" "token" (Some "token-transfer-bob") (transfer 2 3 30UL) (Revert(7UL, 1)) [ L(1, "error 7: source owner did not authorize") ]
      scenario 22 "token TRANSFER of more than the balance reverts 8" "token" (Some "token-transfer") (transfer 2 3 101UL) (Revert(8UL, 1)) [ L(1, "error 8: insufficient funds") ]
      scenario 23 "token TRANSFER overflowing the destination reverts 9" "token" (Some "token-transfer-full") (transfer 2 3 60UL) (Revert(9UL, 1)) [ L(1, "error 9: overflow") ]
      scenario 24 "token TRANSFER to itself reverts 6" "token" (Some "token-transfer") (transfer 2 2 30UL) (Revert(6UL, 1)) [ L(1, "error 6: from == to") ]
      scenario 25 "token TRANSFER to a bad index reverts 2" "token" (Some "token-transfer") (transfer 2 9 30UL) (Revert(2UL, 1)) [ L(1, "error 2: account index out of range") ]
      scenario 26 "token TRANSFER to a read-only account reverts 4" "token" (Some "token-transfer-readonly") (transfer 2 3 1UL) (Revert(4UL, 1)) [ L(1, "error 4: account not writable") ]
      scenario 27 "token TRANSFER to another program's account reverts 3" "token" (Some "token-transfer-foreign") (transfer 2 3 1UL) (Revert(3UL, 1)) [ L(1, "error 3: not a token account") ]
      scenario 28 "token: an unknown opcode reverts 1" "token" (Some "token-transfer") [| 7uy |] (Revert(1UL, 1)) [ L(1, "error 1: unknown opcode") ]

      // chain_a -> chain_b (x = 2 owned by chain_a, y = 3, chain_b = 4).
      scenario 29 "chain_a -> chain_b: the callee's exit code comes back; the fee payer is authorized" "chain_a" (Some "chain-ab") (chainA 4 none none (chainB 0uy 0 7UL)) (Exit 7UL)
          ([ invoking 4 none none 11 ] @ chainBLogs 2 1 4 0 true @ [ L(1, "chain_a: callee exited with code 7") ])
      scenario 30 "chain_a -> chain_b: the calling program is authorized" "chain_a" (Some "chain-ab") (chainA 4 none none (chainB 0uy 1 8UL)) (Exit 8UL)
          ([ invoking 4 none none 11 ] @ chainBLogs 2 1 4 1 true @ [ L(1, "chain_a: callee exited with code 8") ])
      scenario 31 "chain_a -> chain_b: an account not in the descriptor is not authorized" "chain_a" (Some "chain-ab") (chainA 4 none none (chainB 0uy 2 9UL)) (Exit 9UL)
          ([ invoking 4 none none 11 ] @ chainBLogs 2 1 4 2 false @ [ L(1, "chain_a: callee exited with code 9") ])
      scenario 32 "chain_a -> chain_b: an account of chain_a listed as auth is authorized" "chain_a" (Some "chain-ab") (chainA 4 2 none (chainB 2uy 2 10UL)) (Exit 10UL)
          ([ invoking 4 2 none 11 ] @ chainBLogs 2 1 4 2 true @ [ L(1, "chain_a: callee exited with code 10") ])
      scenario 33 "chain_a -> chain_b: deauth wins over auth, chain_b reverts 0xB003" "chain_a" (Some "chain-ab") (chainA 4 2 2 (chainB 2uy 2 10UL)) (Revert(0xB003UL, 4))
          ([ invoking 4 2 2 11 ] @ chainBLogs 2 1 4 2 false @ [ L(4, "error 45059: chain_b: not authorized") ])
      scenario 34 "chain_a: an auth entry not owned by chain_a reverts 0xBAD0A171 before the invoke" "chain_a" (Some "chain-ab") (chainA 4 3 none (chainB 0uy 0 7UL)) (Revert(0xBAD0A171UL, 1))
          [ invoking 4 3 none 11 ]
      scenario 35 "chain_a: a deauth index out of range reverts 0xBAD0A173" "chain_a" (Some "chain-ab") (chainA 4 none 77 (chainB 0uy 0 7UL)) (Revert(0xBAD0A173UL, 1))
          [ invoking 4 none 77 11 ]
      scenario 36 "chain_a -> chain_b: a revert in the callee ends the transaction, reported against the callee" "chain_a" (Some "chain-ab") (chainA 4 none none (chainB 1uy 0 1234UL)) (Revert(1234UL, 4))
          ([ invoking 4 none none 11 ] @ chainBLogs 2 1 4 0 true)
      scenario 37 "chain_a: invoking an account that is not a program reverts 1017" "chain_a" (Some "chain-ab") (chainA 3 none none (chainB 0uy 0 7UL)) (Revert(1017UL, 1))
          [ invoking 3 none none 11; L(1, "invoke failed: ACCOUNT_IS_NOT_PROGRAM (-17)") ]
      scenario 38 "chain_a: invoking a bad index reverts 1008" "chain_a" (Some "chain-ab") (chainA 9 none none (chainB 0uy 0 7UL)) (Revert(1008UL, 1))
          [ invoking 9 none none 11; L(1, "invoke failed: INVALID_ACCOUNT_INDEX (-8)") ]
      scenario 39 "chain_b alone at top level" "chain_b" None (chainB 0uy 1 5UL) (Exit 5UL) (chainBLogs 1 65535 1 1 true)
      scenario 40 "chain_a: instruction data of 1 byte reverts 0xA001" "chain_a" (Some "chain-ab") [| 1uy |] (Revert(0xA001UL, 1)) [ L(1, "error 40961: chain_a: bad instruction data size") ]

      // chain_a -> token (v = 2 owned by chain_a, s = 3, d = 4, token = 5).
      scenario 41 "chain_a -> token: the source's owner v is authorized through chain_a's descriptor" "chain_a" (Some "chain-token") (chainA 5 2 none (transfer 3 4 20UL)) (Exit 0UL)
          [ invoking 5 2 none 13; L(5, "token: transfer 20 from 3 to 4 (30 left)"); L(1, "chain_a: callee exited with code 0") ]
      |> withChanges [ "s", Holds(token (key 0x10uy) 30UL); "d", Holds(token bob 20UL) ]
      scenario 42 "chain_a -> token: without the auth entry the token program reverts 7" "chain_a" (Some "chain-token") (chainA 5 none none (transfer 3 4 20UL)) (Revert(7UL, 5))
          [ invoking 5 none none 13; L(5, "error 7: source owner did not authorize") ]
      scenario 43 "chain_a -> token: the calling program itself is authorized" "chain_a" (Some "chain-token-self") (chainA 5 none none (transfer 3 4 20UL)) (Exit 0UL)
          [ invoking 5 none none 13; L(5, "token: transfer 20 from 3 to 4 (30 left)"); L(1, "chain_a: callee exited with code 0") ]
      |> withChanges [ "s", Holds(token (key 0xa0uy) 30UL); "d", Holds(token bob 20UL) ]
      scenario 44 "chain_a -> token: a deauth entry for the caller program wins" "chain_a" (Some "chain-token-self") (chainA 5 none 1 (transfer 3 4 20UL)) (Revert(7UL, 5))
          [ invoking 5 none 1 13; L(5, "error 7: source owner did not authorize") ]

      // accounts (e and q = 2).
      scenario 45 "accounts: an ephemeral account is created, resized, written, shrunk and deleted" "accounts" (Some "accounts-ephemeral") (cat [ [| 0uy |]; u16 2; seed ]) (Exit 0UL)
          [ L(1, "accounts: ephemeral account 2 created"); L(1, "accounts: wrote and verified 64 bytes, shrunk to 16"); L(1, "accounts: deleted, flags now 0x38") ]
      scenario 46 "accounts: a key that is not the ephemeral PDA reverts 3" "accounts" (Some "accounts-wrong-key") (cat [ [| 0uy |]; u16 2; seed ]) (Revert(3UL, 1))
          [ Like(1, "^accounts: expected PDA [0-9a-f]{64}$"); Like(1, "^accounts: account key  [0-9a-f]{64}$"); L(1, "error 3: account key is not the program-derived address") ]
      scenario 47 "accounts: creating a read-only account reverts 1010" "accounts" (Some "accounts-ephemeral-readonly") (cat [ [| 0uy |]; u16 2; seed ]) (Revert(1010UL, 1))
          [ L(1, "account_create_ephemeral failed: ACCOUNT_NOT_WRITABLE (-10)") ]
      scenario 48 "accounts: creating an existing account reverts 1015" "accounts" (Some "accounts-ephemeral-exists") (cat [ [| 0uy |]; u16 2; seed ]) (Revert(1015UL, 1))
          [ L(1, "account_create_ephemeral failed: ACCOUNT_ALREADY_EXISTS (-15)") ]
      { scenario 49 "accounts: a persistent account is created with a CREATION proof from the world" "accounts" (Some "accounts-persistent") [||] (Exit 0UL)
            [ L(1, "accounts: persistent account 2 created (proof 136 bytes)") ] with
          Instr = fun () -> let p = proof "accounts" "accounts-persistent" "q" in cat [ [| 1uy |]; u16 2; seed; u16 p.Length; p ]
          Changes = [ "q", Holds(ascii "created!") ] }
      { scenario 50 "accounts: a proof size that disagrees with the data reverts 1" "accounts" (Some "accounts-persistent") [||] (Revert(1UL, 1))
            [ L(1, "error 1: CREATE: proof_sz does not match the data size") ] with
          Instr = fun () -> let p = proof "accounts" "accounts-persistent" "q" in cat [ [| 1uy |]; u16 2; seed; u16 (p.Length + 1); p ] }
      scenario 51 "accounts: deleting an account removes it at commit" "accounts" (Some "accounts-delete") (cat [ [| 2uy |]; u16 2 ]) (Exit 0UL) [ L(1, "accounts: account 2 deleted") ]
      |> withChanges [ "q", Removed ]
      scenario 52 "accounts: deleting an account with a balance reverts 5027" "accounts" (Some "accounts-delete-balance") (cat [ [| 2uy |]; u16 2 ]) (Revert(5027UL, 1))
          [ L(1, "account_delete failed: INVALID_ACCOUNT (-27)") ]
      scenario 53 "accounts: a bad index reverts 2" "accounts" (Some "accounts-ephemeral") (cat [ [| 0uy |]; u16 7; seed ]) (Revert(2UL, 1)) [ L(1, "error 2: account index out of range") ] ]

let private byNumber = scenarios |> List.map (fun s -> s.N, s) |> Map

/// A list named `name` of one test per scenario, named "Snn title (side)", running `body` on the
/// scenario's number.
let private cases (name: string) (side: string) (body: int -> unit) =
    testList name [ for s in scenarios -> testCase (sprintf "S%02d %s (%s)" s.N s.Title side) (fun () -> body s.N) ]

// ---------------------------------------------------------------------------------------
// Checking an observation against a scenario.
// ---------------------------------------------------------------------------------------

let private text (b: byte[]) = Text.Encoding.UTF8.GetString b

/// Structural equality with both sides printed (%A) when they differ.
let private same (what: string) (expected: 'T) (seen: 'T) =
    if expected <> seen then failtest (sprintf "%s:\n  expected %A\n  seen     %A" what expected seen)
let private hex' (b: byte[]) = TxnObservation.hex b

let private describeLogs (o: TxnObservation) =
    o.Logs |> List.map (fun (i, d) -> sprintf "  [%d] %s" i (text d)) |> String.concat "\n"

let private checkOutcome (s: Scenario) (o: TxnObservation) =
    let what = sprintf "S%02d: result" s.N

    match s.Outcome with
    | Exit code ->
        same (what + " (success expected)") (0, None) (o.VmError, o.Fault)
        Expect.equal o.UserErrorCode code (what + ": exit code")
        same (what + ": error_program_acc_idx") None o.ErrorProgramAccIdx
    | Revert(code, by) ->
        Expect.equal o.VmError Codes.Txn.vmRevert (what + " (VM_REVERT expected)")
        Expect.equal o.UserErrorCode code (sprintf "%s: user error code (0x%x expected, 0x%x seen)" what code o.UserErrorCode)
        same (what + ": error_program_acc_idx") (Some by) o.ErrorProgramAccIdx
        Expect.equal o.FaultCode Codes.FaultCode.revert (what + ": fault code")
    | CuExhausted ->
        Expect.equal o.VmError Codes.Txn.cuExhausted (what + " (CU_EXHAUSTED expected)")
        same (what + ": SIGCU, fault code 2") (Codes.VmError.sigcu, Codes.FaultCode.sigcu) (o.ExecutionCode, o.FaultCode)
        Expect.equal o.ConsumedComputeUnits (uint64 s.Cu.Value) (what + ": consumed = the whole budget (D-CU-CHARGE)")
    | Failed fault ->
        Expect.equal o.VmError Codes.Txn.vmFailed (what + " (VM_FAILED expected)")
        same (what + ": fault") (Some fault) o.Fault
        Expect.equal o.ExecutionCode Codes.VmError.sigsegv (what + ": SIGSEGV")

let private checkLogs (s: Scenario) (o: TxnObservation) =
    let seen = o.Logs |> List.map (fun (i, d) -> i, text d)
    let message = sprintf "S%02d: logs; seen:\n%s" s.N (describeLogs o)
    Expect.equal seen.Length s.Logs.Length message

    for (i, t), expected in List.zip seen s.Logs do
        match expected with
        | L(p, e) -> same message (p, e) (i, t)
        | Like(p, pattern) ->
            Expect.equal i p message
            Expect.isTrue (Regex.IsMatch(t, pattern)) (sprintf "%s\n'%s' does not match %s" message t pattern)

let private checkEvents (s: Scenario) (o: TxnObservation) =
    let seen = o.Events |> List.map (fun e -> e.ProgramIdx, hex' e.Payload)
    let expected = s.Events |> List.map (fun (p, b) -> p, hex' b)
    same (sprintf "S%02d: events (program index, payload)" s.N) expected seen
    same (sprintf "S%02d: event ids" s.N) [ 0 .. s.Events.Length - 1 ] (o.Events |> List.map (fun e -> e.Id))
    Expect.equal o.EventsSize (s.Events |> List.sumBy (fun (_, b) -> uint64 b.Length)) (sprintf "S%02d: events_size" s.N)

let private checkAccounts (s: Scenario) (p: Thru.Cli.RunCommand.Prepared) (o: TxnObservation) =
    let fee = 1UL // the accounts files leave the fee at its default
    let after = o.State |> List.map (fun a -> a.Key, a) |> Map
    let name (k: Pubkey) = p.Names.TryFind k |> Option.defaultValue (string k)
    let keyOf n = p.Names |> Map.findKey (fun _ v -> v = n)
    let programKey = keyOf "program"

    for n, _ in s.Changes do
        Expect.isTrue (p.Names |> Map.exists (fun _ v -> v = n)) (sprintf "S%02d: no account '%s' in the world" s.N n)

    let changes = s.Changes |> List.map (fun (n, c) -> keyOf n, c) |> Map
    let keys = Set.union (p.Before |> Map.keys |> Seq.map string |> Set.ofSeq) (after |> Map.keys |> Set.ofSeq)

    for k in keys do
        let pk = Pubkey(Convert.FromHexString k)
        let before = p.Before.TryFind pk |> Option.map (accountObs pk)
        let what = sprintf "S%02d: account %s" s.N (name pk)

        match p.Names.TryFind pk, changes.TryFind pk with
        | Some "fee payer", _ ->
            let b = before.Value
            same (what + ": pays the fee, nonce + 1, seq + 1") (Some { b with Balance = b.Balance - fee; Nonce = b.Nonce + 1UL; Seq = b.Seq + 1UL }) (after.TryFind k)
        | _, Some Removed -> Expect.isFalse (after.ContainsKey k) (what + ": removed at commit")
        | _, Some(Holds data) ->
            Expect.isTrue (after.ContainsKey k) (what + ": exists afterwards")
            let a = after[k]
            Expect.equal (hex' a.Data) (hex' data) (what + ": data")
            Expect.equal a.DataSize (uint32 data.Length) (what + ": data_sz")

            match before with
            | Some b -> same (what + ": only its data changes") b { a with Data = b.Data; DataSize = b.DataSize; Seq = b.Seq }
            | None -> same (what + ": a new account owned by the program") (string programKey, 0UL) (a.Owner, a.Seq)

            match before with
            | Some b -> Expect.equal a.Seq (b.Seq + 1UL) (what + ": seq + 1")
            | None -> ()
        | _, None -> same (what + ": unchanged") before (after.TryFind k)

/// Run a scenario on the model through `thrumodel run`'s path; the prepared run and the observation.
let private runOnModel (s: Scenario) =
    let p = prepare s.Program s.World (s.Instr()) s.Cu
    p, runModel p

[<Tests>]
let tests =
    testList "Examples.ExampleScenarioTests" [
        cases "the model gives the documented outcome" "model" <| fun n ->
            let s = byNumber[n]
            let p, o = runOnModel s
            checkOutcome s o
            checkLogs s o
            checkEvents s o
            checkAccounts s p o

        cases "the engine's observation is identical to the model's" "engine = model" <| fun n ->
            let s = byNumber[n]
            let p, model = runOnModel s
            let engine = runEngine p
            Expect.equal engine.Engine "engine" "engine.Engine"
            expectEmpty (TxnObservation.differences model engine) (sprintf "S%02d: model vs engine" s.N)

        testCase "the README's two thrumodel run examples do what it says" <| fun () ->
            let o = runModel (prepare "counter" (Some "counter") (u64 3UL) None)
            same "counter.json, --instr 0300000000000000" (0, [ 1, "counter: 5 -> 8" ]) (o.VmError, o.Logs |> List.map (fun (i, d) -> i, text d))
            let o = runModel (prepare "chain_a" (Some "chain") (hex "03000200ffff0202000700000000000000") None)
            same "chain_a exits with chain_b's code" (0, 7UL) (o.VmError, o.UserErrorCode)
            same "chain_b's second log" (3, "chain_b: account 2 authorized: yes") (o.Logs |> List.map (fun (i, d) -> i, text d) |> List.item 2)

        testCase "every scenario of SCENARIOS.md is checked" <| fun () ->
            let doc = IO.File.ReadAllText(IO.Path.Combine(examplesDir, "SCENARIOS.md"))
            let documented = Regex.Matches(doc, @"(?m)^\| (\d+) \|") |> Seq.map (fun m -> int m.Groups[1].Value) |> Set.ofSeq
            same "SCENARIOS.md numbers its 53 scenarios" (set [ 1..53 ]) documented
            same "the scenarios checked here" documented (byNumber.Keys |> Set.ofSeq)

        testCase "every world file and every example program is used by a scenario" <| fun () ->
            let worlds = IO.Directory.GetFiles(IO.Path.Combine(examplesDir, "worlds"), "*.json") |> Array.map IO.Path.GetFileNameWithoutExtension |> Set.ofArray
            let used = scenarios |> List.choose (fun s -> s.World) |> Set.ofList
            // counter.json and chain.json are the README's examples of `thrumodel run`.
            same "world files no scenario uses" Set.empty (Set.difference worlds (Set.union used (set [ "counter"; "chain" ])))
            let programs = IO.Directory.GetFiles(examplesDir, "*.c", IO.SearchOption.AllDirectories) |> Array.map IO.Path.GetFileNameWithoutExtension |> Set.ofArray
            // The stand-ins of examples/e2e/ are used by the vectors of examples/e2e/vectors.json.
            let vectors = Text.Json.Nodes.JsonNode.Parse(IO.File.ReadAllText(IO.Path.Combine(examplesDir, "e2e", "vectors.json")))
            let byVectors = [ for v in vectors["vectors"].AsArray() do for p in v["programs"].AsArray() -> p.GetValue<string>() ] |> Set.ofList
            same "examples without a scenario or a vector" Set.empty (Set.difference programs (Set.union byVectors (scenarios |> List.map (fun s -> s.Program) |> Set.ofList)))
    ]
