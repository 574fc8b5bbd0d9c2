/// The register of spec decisions: every point where the public ThruVM material is silent or
/// contradictory and the model had to choose (docs/spec/README.md §4). Code that
/// implements a decision cites its id (e.g. "Decision D-EBREAK") next to the rule.
///
/// Flippable decisions are fields of `Profile`; `Profile.defaults` follows the current
/// thru.org pages and the SDKs. The engine implements the default profile only.
module Thru.Model.Decisions

/// One decision: the question, what the model does, the road not taken, and the sources.
type Decision =
    { Id: string
      /// Number in the open-point list of docs/spec/README.md §4, when it is one of those.
      OpenQuestion: int option
      Question: string
      Choice: string
      Alternative: string
      Sources: string }

/// How state units are counted (decision D-SU).
type StateUnitRule =
    /// Growth by d > 0 bytes of persistent footprint costs ceil(d / 4096) units (default).
    | PerGrowth
    /// Only new 4 KiB pages of footprint cost: ceil(after / 4096) - ceil(before / 4096).
    | PerNewPage

/// Which bytes segment type 0x02 shows (decision D-META-VIEW).
type MetaLayout =
    /// The 62-byte SDK view, without the runtime's magic (default).
    | SdkView62
    /// The 64-byte runtime record, magic 0xC7A3 first.
    | RuntimeRecord64

/// The decisions a researcher can flip to run the model under another reading of the spec.
type Profile =
    {
        /// D-ZBC: the Zbc (carry-less multiply) instructions execute.
        Zbc: bool
        /// D-TRAILER: size of the executable's zero trailer (8; the older texts say 4).
        TrailerSize: int
        /// D-META-VIEW: the account-metadata bytes programs read.
        MetaLayout: MetaLayout
        /// D-ALIGN: let misaligned loads and stores through in the Thru address space (they
        /// still may not cross a 4 KiB page of account data). Off by default.
        AllowMisaligned: bool
        /// D-EPHEMERAL: an ephemeral account a successful transaction creates stays in the
        /// committed state (the running system); false: it leaves the state at commit.
        EphemeralPersists: bool
        /// D-PROOF-WINDOW: how many of the most recent blocks a state proof's slot may name
        /// (ACCEPTS_PROOF_BLOCK_SPAN, 128); 512 accepts every visible block.
        ProofBlockSpan: int
        /// D-RESERVED: the executable header's 7 reserved bytes must be zero. Off by default.
        ReservedMustBeZero: bool
        /// D-IMAGE-MIN: bytes of code an executable must hold between header and trailer (0; the
        /// uploader's rule is 4, a 20-byte minimum image).
        MinCodeBytes: int
        /// D-SU: how growth of persistent state is counted in state units.
        StateUnits: StateUnitRule
    }

module Profile =
    /// The default profile: current thru.org pages and SDKs.
    let defaults =
        { Zbc = true
          TrailerSize = 8
          MetaLayout = SdkView62
          AllowMisaligned = false
          EphemeralPersists = true
          ProofBlockSpan = 128
          ReservedMustBeZero = false
          MinCodeBytes = 0
          StateUnits = PerGrowth }

let private d id oq question choice alternative sources =
    { Id = id
      OpenQuestion = oq
      Question = question
      Choice = choice
      Alternative = alternative
      Sources = sources }

/// Every decision, in the order an auditor meets them (ISA, memory, executable, runtime).
let register: Decision list =
    [ d
          "D-ZBC"
          (Some 2)
          "Is Zbc (clmul, clmulh, clmulr) part of ThruVM?"
          "Yes: Zbc executes (profile switch Zbc, default on), like Zba/Zbb/Zbs."
          "SIGILL, as the spec's extension table omits Zbc."
          "docs/spec/isa.md §1.1, §1.2 (the spec lists B and Zknh; the C/C++ SDKs compile with Zbc, the Rust SDK enables it)"
      d
          "D-FENCE"
          (Some 7)
          "What do FENCE, FENCE.TSO and PAUSE do; is FENCE.I legal?"
          "Every MISC-MEM funct3=000 encoding is a no-op costing 4 CU (any fm/pred/succ/rd/rs1). FENCE.I (Zifencei) and CBO encodings are SIGILL."
          "Treat reserved fence fields as illegal; accept FENCE.I as a no-op."
          "docs/spec/isa.md §5.3 (single-threaded and sequentially consistent; unused FENCE fields are reserved and ignored)"
      d
          "D-EBREAK"
          (Some 7)
          "What do EBREAK and C.EBREAK do?"
          "A breakpoint trap: execution stops with VM error SIGILL (-2), the only VM code for an instruction that cannot complete; raw mode reports stop \"ebreak\"."
          "A no-op; or a distinct fault code."
          "docs/spec/isa.md §5.2 (a breakpoint exception with no handler); docs/spec/errors.md §2 (SIGILL)"
      d
          "D-HINT"
          None
          "What do HINT encodings (e.g. addi x0, x5, 1; c.nop 5; c.slli with shamt 0; c.li/c.lui/c.mv/c.add with rd=x0) do?"
          "They execute as the base instruction they encode, which has no architectural effect; they cost like any instruction. Reserved encodings (c.addi4spn 0, c.lui/c.addi16sp 0, c.addiw/c.lwsp/c.ldsp x0, c.jr x0, 32-bit shifts with shamt[5]=1) are SIGILL."
          "Treat HINTs as illegal."
          "docs/spec/isa.md §4 (HINTs execute as no-ops, reserved encodings are illegal); tables in docs/spec/isa.md §3.2, §3.4"
      d
          "D-ILLEGAL"
          (Some 7)
          "Which encodings are illegal?"
          "Everything outside RV64I, M, C (no FP), Zba, Zbb, Zbc, Zbs, Zknh: A, F/D/Q (incl. C.FLD/FSD/FLDSP/FSDSP), Zicsr (incl. rdcycle/rdtime/rdinstret), Zifencei, Zcb, privileged (mret, wfi, sfence.vma…), V, 48-bit+ encodings, unallocated opcodes, and the 0x0000 parcel. Each decodes to a named Illegal reason and raises SIGILL (-2)."
          "—"
          "docs/spec/isa.md §1.3, §4 (the extension table; illegal encodings raise SIGILL)"
      d
          "D-ALIGN"
          (Some 7)
          "What happens on a misaligned load or store, and which code reports it?"
          "Every load/store whose address is not a multiple of its size faults with an AlignmentViolation access fault (raw mode too). All access violations report VM error SIGSEGV (-3); SIGFAULT (-4) is never produced. Profile switch AllowMisaligned (Thru address space only) lets misaligned accesses through, which makes the account-data page-crossing rule observable."
          "Allow misaligned accesses (as Unicorn does); report alignment as SIGFAULT (-4)."
          "docs/spec/isa.md §6 (an unaligned access is an exception); docs/spec/memory.md §4.1, §4.3 (alignment violation; the fault fields)"
      d
          "D-ECALL-CU"
          (Some 6)
          "Is the ecall instruction itself charged on top of the syscall's cost?"
          "Yes: ecall is a 32-bit instruction and costs 4 CU like every other; the syscall then charges its own cost (e.g. exit and log add 0)."
          "The syscall cost replaces the instruction cost."
          "docs/spec/isa.md §5.1; docs/spec/metering.md §2.1, §2.2, §2.4 (1 CU per instruction byte; syscall base 512)"
      d
          "D-RAW"
          None
          "What is raw mode (no Thru segments)?"
          "A flat 16 MiB zero-filled read/write region at a 4 KiB-aligned base; any access outside it faults (InvalidAddress); alignment as D-ALIGN; ecall/ebreak stop the run with pc at the instruction; the step limit stops with \"limit\"."
          "—"
          "docs/spec/isa.md §9 (raw mode is the project's own, for the ISA oracles and test suites)"
      // ---- Memory and executables ----
      d
          "D-CHECK-ORDER"
          None
          "In which order are an access's checks made, and so which violation is reported when several apply?"
          "1. bits 63..48 zero (InvalidAddress); 2. address a multiple of the size (AlignmentViolation); 3. (seg_type, seg_idx) names a segment (InvalidSegment); 4. the segment permits the access (PermissionDenied); 5. the access lies in the segment's extent (InvalidAddress), does not cross a 4 KiB account-data page (PageBoundaryCross), and a write to anonymous memory hits a page of the current depth or deeper (PermissionDenied)."
          "Bounds before alignment (as raw mode does)."
          "docs/spec/memory.md §3.1, §3.2 (the published translation steps and their order)"
      d
          "D-NULL"
          (Some 25)
          "Which violation do the NULL segment, the event segment 0x04, types 0x01, 0x06, >= 0x08, unknown type-0x00 indices, account indices >= the account count and stack/heap indices other than 0 raise?"
          "InvalidSegment for all of them; in particular programs cannot address the event segment (events are written only through emit_event)."
          "InvalidAddress for NULL; a readable event segment."
          "docs/spec/memory.md §2, §4.1 (NULL always violates; invalid segments; 0x04 reserved for events)"
      d
          "D-TXN-EXTENT"
          (Some 15)
          "How many bytes of TXN_DATA can a program read?"
          "The whole serialized transaction, signature included: [0, size). Reads past it fault (InvalidAddress)."
          "Only up to the end of the instruction data; or a fixed 32 KiB window."
          "docs/spec/memory.md §2 (the segment holds the serialized transaction; the Rust SDK parses a 32,768-byte window)"
      d
          "D-PROGRAM-SEGMENT"
          (Some 16)
          "What does the program segment hold?"
          "The executable after its 8-byte header, the zero trailer included: segment offset 0 is file byte 8 (the link address 0x3000000). Read-only; fetchable."
          "The whole file, header included; or the code without the trailer."
          "docs/spec/executable.md §3, §4 (.text linked at 0x3000000 with load address 8; the program starts after the header)"
      d
          "D-PC"
          (Some 3)
          "Is the architectural pc the full address (0x3000000 + offset) or the offset alone?"
          "The full address: execution starts at 0x0000_0300_0000, so auipc/jal link values point into the program segment, as the SDKs' medany/PIE code requires. Results report it two ways: program_counter, as the debug service names it, is the offset in the program segment (from .text, which Thru's CLI adds the ELF's .text address to); pc is the full address."
          "pc = offset (which breaks pc-relative data access of linked programs); program_counter as the full address."
          "docs/spec/isa.md §2.2, docs/spec/executable.md §5 (programs linked at 0x3000000, pc-relative code); docs/spec/transactions.md §8.2 (the debug service's program_counter is a .text offset)"
      d
          "D-FETCH"
          (Some 3)
          "From where may instructions be fetched?"
          "Only from the program segment; a fetch from any other segment is PermissionDenied, beyond its end InvalidAddress."
          "Executable stack/heap."
          "docs/spec/memory.md §3.3 (only the program segment is described as executable)"
      d
          "D-ENTRY-REGS"
          (Some 4)
          "What are the registers at program entry (top level and invoke)?"
          "pc = 0x3000000, a0 = instruction-data address, a1 = instruction-data size, every other register 0 (sp too: the SDK's _start sets up the stack)."
          "Undefined garbage; a callee inheriting its caller's registers."
          "docs/spec/executable.md §5, §6 (a0/a1 at entry; the SDK's start-up code sets up the stack)"
      d
          "D-META-VIEW"
          (Some 9)
          "Which bytes does segment 0x02 (account metadata) show?"
          "The 62-byte SDK view without the magic (version@0 flags@1 data_sz@2 seq@6 owner@14 balance@46 nonce@54); offsets >= 62 fault. A non-existent account shows 62 zero bytes. Profile switch MetaLayout (alternative RuntimeRecord64)."
          "The 64-byte runtime record with magic 0xC7A3 at offset 0."
          "docs/spec/memory.md §7.1, §7.2, §7.4 (the 62-byte SDK view omits the runtime record's magic)"
      d
          "D-META-COST"
          (Some 22)
          "What is 'sizeof(account meta)' in the compute-unit costs of account_create, create_ephemeral, create_eoa and compress?"
          "62 (TSDK_ACCOUNT_META_FOOTPRINT, the size of the view of D-META-VIEW) in all four: create 512 + 32 + proof_sz + 62, create_ephemeral 512 + 32 + 62, create_eoa 512 + 64 + proof_sz + 62, compress 512 + proof_sz + data_sz + 62."
          "64 (sizeof(tn_account_meta_t), the runtime record) in create_eoa and compress, as the older DT text writes, or in all four."
          "docs/spec/metering.md §2.3, docs/spec/syscalls.md §2 (the current pages say sizeof(tsdk_account_meta_t), the older ones sizeof(tn_account_meta_t))"
      d
          "D-BLOCK-CTX"
          (Some 13)
          "Which bytes of the block-context segment are readable?"
          "In window k (offset k*0x1000), the 128-byte SDK record (offsets 0..127, weight_slot included), for k < min(512, blocks supplied); blocks before slot 0 are simply not supplied. Everything else faults (InvalidAddress)."
          "The 120 bytes of the TO table; or the whole 4 KiB window."
          "docs/spec/memory.md §6.1, §6.2 (the history windows and the record)"
      d
          "D-ACCOUNT-WRITE"
          (Some 14)
          "When may a program store to an account's data?"
          "When the account is writable in the transaction (fee payer or read-write list), exists, is not a program account, not deleted and not compressed, is owned by the running program, and has been marked by set_account_data_writable (the mark lasts for the rest of the transaction, across frames). Otherwise PermissionDenied."
          "No explicit mark needed; or the mark cleared when the frame returns."
          "docs/spec/memory.md §8.2, docs/spec/syscalls.md §6 (writes need ownership and set_account_data_writable)"
      d
          "D-ANON-WRITE"
          (Some 14)
          "Which frames may read and write stack and heap pages?"
          "Every frame may read every mapped page (a callee reads its caller's authorization descriptor and instruction data on the caller's stack). A frame may write only pages allocated at its own depth or deeper, the same rule as freeing; so a callee cannot overwrite its caller's memory."
          "Every frame may write every page; or a frame may only touch its own pages."
          "docs/spec/memory.md §9.3, §9.4 (frame-based permissions); docs/spec/syscalls.md §14.6 (the authorisation descriptor lives on the caller's stack)"
      d
          "D-COW-POOL"
          (Some 8)
          "What does the first write to an account-data page cost?"
          "A page from the transaction's page pool (copy-on-write); with the pool empty the store faults with ResourceExhaustion. Later writes to the page are free."
          "COW pages outside the pool."
          "docs/spec/memory.md §8.3 (the first write copies the page; an empty pool is resource exhaustion)"
      d
          "D-MU"
          (Some 8)
          "What is one memory unit?"
          "One 4 KiB page of the transaction's page pool, which holds req_memory_units pages. Pages are taken by stack and heap growth, copy-on-write account-data pages and event storage. Account metadata takes no pool pages (it lives in the runtime's account records), so creations take none and account_decompress returns INSUFFICIENT_PAGES only for its data pages. consumed_memory_units is the most pages held at once."
          "Bytes; or pages counted without reuse; or a pool page for each account's metadata once it is made writable or created (the syscall pages say metadata pages 'may' be allocated)."
          "docs/spec/metering.md §4 (the example: a simple program takes about 2 to 4 units); docs/spec/syscalls.md §3.3 (metadata pages)"
      d
          "D-TRAILER"
          (Some 1)
          "Is the executable trailer 8 or 4 bytes?"
          "8 zero bytes (minimum image 16 bytes). Profile switch TrailerSize."
          "4 bytes (older texts: 4-byte footer)."
          "docs/spec/executable.md §1 (the format page, the SDK link scripts and the uploader: 8 bytes; the overview page: 4)"
      d
          "D-RESERVED"
          None
          "Must the header's 7 reserved bytes be zero?"
          "No: the reserved bytes are ignored, as Thru's uploader ignores them and the format page calls them 'typically zero'. Profile switch ReservedMustBeZero refuses a non-zero reserved byte (SIGTEXT)."
          "Refuse a non-zero reserved byte, so a future format cannot be mistaken for version 1."
          "docs/spec/executable.md §2 (reserved bytes are \"typically zero\"; the uploader does not check them)"
      // ---- Transactions, syscalls, metering ----
      d
          "D-CU-CHARGE"
          (Some 6)
          "When are compute units charged, what happens when they run out, and what is reported?"
          "Each instruction is charged before it executes (4 or 2, plus 1 per byte loaded or stored); a syscall charges its cost, computed from its arguments as given, before doing anything. When the remaining budget cannot pay, execution stops with SIGCU (fault code 2, CU_EXHAUSTED) before that instruction or syscall, and consumed_compute_units is the whole budget. A charged instruction that then faults keeps its charge; encodings that are not instructions and failed fetches are never charged."
          "Report only the units actually spent; charge after execution."
          "docs/spec/metering.md §2.4, docs/spec/syscalls.md §3.1 (programs stop when the units run out; the end-to-end test sees fault code 2)"
      d
          "D-SU"
          (Some 8)
          "What is one state unit, and when is SIGSU raised?"
          "A unit pays for up to 4 KiB of growth of persistent account storage, an account's footprint being 62 + data_sz bytes: creating a persistent account (create, create_eoa, decompress) or growing one (resize) by d > 0 bytes costs ceil(d / 4096) units, so any growth costs at least one; shrinking refunds nothing; ephemeral accounts are free. Exceeding req_state_units stops execution with SIGSU (fault code 3, SU_EXHAUSTED) before the change. Profile switch StateUnits."
          "PerNewPage: only new 4 KiB pages of footprint cost (ceil(new/4096) - ceil(old/4096)), so small growth is free, which contradicts the client's 1 + new_size/4096 budgets and the e2e ExhaustSU phase."
          "docs/spec/metering.md §3 (state units meter growth of persistent state; the resize builder budgets 1 + new_size/4096; the end-to-end test's ExhaustSU phase expects SIGSU with no state units)"
      d
          "D-DEPTH"
          (Some 12)
          "How is call depth counted, and where does invoke fail for depth?"
          "call_depth is 1 at top level and stack_frames[call_depth] is the running frame; 16 frames at most (depths 1..16), so an invoke made at depth 16 returns CALL_DEPTH_TOO_DEEP (-24)."
          "Depth 0 at top level (TO's 'call depths 0-15')."
          "docs/spec/memory.md §5.3 (the SDKs start at call_depth 1; 17 slots, slot 0 reserved)"
      d
          "D-INVOKE-RETURN"
          (Some 5)
          "Which registers does the caller see after invoke, and what do a0/a1 hold?"
          "After the callee exits normally, all 32 registers are restored from the caller's shadow frame, then a0 = 0 (SUCCESS) and a1 = the callee's exit code; execution resumes after the caller's ecall on the caller's program. When invoke itself fails, only a0 changes (the error code)."
          "The exit code in a0."
          "docs/spec/syscalls.md §14.1, §14.5, §15.5 (the SDK invoke wrappers; the exit page says \"placed in a0\")"
      d
          "D-FRAME-PAGES"
          (Some 14)
          "What do a frame's stack_pages and heap_pages hold?"
          "The stack and heap segment sizes (in pages) as the frame last set them; a new frame starts with the sizes current at the invoke, so a callee's _start places its stack below everything already mapped. Shadow-stack totals are the segment sizes."
          "Start new frames at 0."
          "docs/spec/memory.md §9.5, docs/spec/executable.md §6 (a callee's start-up code places its stack below its caller's)"
      d
          "D-ANON-SIZE"
          (Some 17)
          "How is a stack size of 0 expressed to set_anonymous_segment_sz, and what does increment return in a1?"
          "The one-past-the-top address 0x0500_0100_0000 (the SDK's initial sp) names the stack with size 0. increment returns in a1 the lowest mapped stack address (0x0500_0100_0000 when empty) or one past the heap's end, also when it fails; when a0 names no stack or heap segment (INVALID_SEGMENT_ID) a1 is unchanged."
          "Size 0 inexpressible; a1 undefined on failure."
          "docs/spec/syscalls.md §4, §5, docs/spec/memory.md §9.1 (the SDK's initial sp names the stack with size 0)"
      d
          "D-LIVE"
          None
          "Is a deleted or compressed account an existing account for syscalls?"
          "No: syscalls that require an existing account return ACCOUNT_DOES_NOT_EXIST for it, and creation may recreate it; its metadata and data stay readable through segments 0x02/0x03 for the rest of the transaction. Deleted accounts leave the state at commit (ephemeral ones stay, D-EPHEMERAL); a compressed account stays in it, archived. Before execution, a fee payer or program account whose stored record is deleted or compressed counts as absent: the fee payer then needs its state proof (D-PREEXEC-ORDER), the program is INVALID_PROGRAM_ACCOUNT. account_compress of a deleted account returns 0 and changes nothing (it is 'deleted instead')."
          "Deleted accounts still exist until commit; an archived fee payer or program used as if active."
          "docs/spec/syscalls.md §3.2, §10.3, §12.2 (a deleted account's data stays readable; compressing one deletes it instead); docs/spec/transactions.md §5.2, §7.4"
      d
          "D-UNKNOWN-SYSCALL"
          (Some 7)
          "What does an ecall with a7 > 0x0F do?"
          "Execution stops like an illegal instruction: VM error SIGILL (-2), runtime code VM_FAILED."
          "Return BAD_PARAMS (-20) and continue."
          "docs/spec/isa.md §5.1, docs/spec/syscalls.md §1 (unspecified: a call the VM does not have cannot complete)"
      d
          "D-FAULT-REPORT"
          (Some 27)
          "How does the result record tell the ways a transaction can end apart?"
          "vm_error gives the class: VM_FAILED (-767) for a fault, an illegal instruction, a breakpoint or an unknown syscall; VM_REVERT (-765); CU_EXHAUSTED (-764); SU_EXHAUSTED (-763); INVALID_PROGRAM_ACCOUNT (-766) when account 1 is not a valid program. execution_code carries the VM error (SIGILL -2, SIGSEGV -3, SIGCU, SIGSU; SIGTEXT -1 for the invalid program; 0 after exit or revert); fault_code is NONE, REVERT (1), SIGCU (2) or SIGSU (3); error_program_acc_idx names the program running when it ended."
          "A distinct vm_error per trap kind."
          "docs/spec/errors.md §3, §4, §7 (the result fields; VmFaultCode has NONE, REVERT, SIGCU, SIGSU; runtime codes -767..-763)"
      d
          "D-EVENT-LIMIT"
          (Some 23)
          "How large may events be, and where do they live?"
          "Events live in the 16 MiB event segment, which programs cannot address: an event is too large (EVENT_TOO_LARGE) when the bytes emitted so far plus its own exceed 16 MiB; the segment grows by pool pages (INSUFFICIENT_PAGES). Checks: zero size, too large, address, pages."
          "A fixed per-event maximum."
          "docs/spec/syscalls.md §17 (emit_event; an older page allows UINT_MAX bytes)"
      d
          "D-RESIZE"
          (Some 21)
          "What does account_resize cost, check and do?"
          "512 CU (no per-byte cost, as documented); checks: index, existence, writable by the program (owned, writable in the transaction, not a program), size <= 16 MiB, pool pages for new data pages, then state units for persistent accounts. New bytes read as zero; the data becomes writable (as if marked)."
          "512 + bytes grown, as client budgets suggest."
          "docs/spec/syscalls.md §11, docs/spec/metering.md §2.5 (512 CU on the page; client budgets 10,000 + 2 × new size)"
      d
          "D-SET-FLAGS"
          None
          "Which writability does account_set_flags require?"
          "Owned by the running program and writable in the transaction (not 'not a program', which would make PROGRAM impossible to clear); only a1's low byte is read; any change other than PROGRAM is INVALID_FLAGS."
          "The full data-writability predicate."
          "docs/spec/syscalls.md §18"
      d
          "D-COMPRESS"
          (Some 20)
          "When may an account be compressed?"
          "At most one account per transaction (TXN_HAS_COMPRESSED_ACCOUNT), only when the transaction sets MAY_COMPRESS_ACCOUNT and the chain's global activated state counter is above 32 GiB (TN_STATE_COUNTER_BASELINE_BYTES; both else ACCOUNT_COMPRESSION_NOT_ALLOWED, the flag first), never an UNCOMPRESSABLE account or a program in the call stack, with a CREATION or UPDATING proof for its key. An ephemeral account is deleted instead and a deleted one stays deleted (both return 0, before the flag and limit checks; writable in the transaction still required). The chain records the slot of each compression; account_decompress within 384 slots of it (TN_RUNTIME_CTX_COMPRESSION_TIMEOUT = STATE_HASH_DELAY 256 + ACCEPTS_PROOF_BLOCK_SPAN 128) returns ACCOUNT_IN_COMPRESSION_TIMEOUT, right after the ACCOUNT_ALREADY_EXISTS check."
          "Compression allowed without the flag or below the state baseline; another code for the baseline (unpublished); no cool-down."
          "docs/spec/syscalls.md §3.6, §12, §13 (compress and decompress; the end-to-end test's cool-down of 384 slots and its 32 GiB state gate, whose code is unpublished)"
      d
          "D-EOA-MESSAGE"
          (Some 11)
          "What does account_create_eoa's signature sign, and must the index be writable?"
          "\"tn_eoa_create_v1\" ‖ chain_id (u16 LE) ‖ fee payer ‖ eoa (82 bytes), verified with the eoa's key; account_delete's optional signature likewise with \"tn_eoa_delete_v1\". The index must be writable in the transaction, like every creation."
          "32 zero bytes (the 'null owner address' of the docs)."
          "docs/spec/transactions.md §4.3, docs/spec/syscalls.md §19 (the RPC builders sign a domain-separated message; the syscall pages say 32 zero bytes)"
      d
          "D-STATE-TRIE"
          None
          "The trie is public (a crit-bit trie, docs/spec/transactions.md §6); what do its verifier and its values do where the public code stops?"
          "A CREATION proof shows a key absent when its leaf (key, value hash) is another key that agrees with it on every split bit of the path and the hashes climb to the root, or when it is the empty-trie form (zero key and hash, no siblings) and the root is zero; so one CREATION proof shows the absence of every key on its path. An UPDATING proof's hash is the value hash the key holds now. An account's value hash is SHA-256(64-byte runtime record ‖ data). The verifier is a parameter of the runtime."
          "An UPDATING proof carrying the leaf hash; another value hash (plug in another verifier)."
          "docs/spec/transactions.md §6.3, §6.6, §6.8, §6.10 (the public crit-bit trie and its proofs; the runtime's verifier and the account value hash are not public)"
      d
          "D-SEQ"
          None
          "When does an account's seq change?"
          "At the end of the transaction, every account whose metadata (other than seq) or data differs from before gets seq + 1 (once), including the fee payer for its nonce and fee. 'Before' is the account's record in the state before the transaction: an account with no record there (created, or restored from a proof when the state held nothing for its key) starts at 0; an account restored over its archived (compressed) record continues from that record's seq."
          "seq + 1 per modification; or a restored account always continuing from the seq in its proof's record."
          "docs/spec/transactions.md §7.3 (seq goes up at the end of the transaction for modified accounts)"
      d
          "D-PREEXEC-ORDER"
          (Some 19)
          "In which order are the pre-execution checks made?"
          "Liveness (NOT_LIVE_YET, then EXPIRED; start_slot + expiry_after saturates), fee payer (from the state; when absent there, deleted or compressed (D-LIVE), from the attached proof: CREATION creates an empty EOA, EXISTING restores the attached record, which must have data_sz 0 and the EOA owner), owner = the EOA program (INVALID_FEE_PAYER_ACCOUNT_OWNER), nonce equality (NONCE_TOO_LOW / TOO_HIGH), nonce + 1, then the fee (INSUFFICIENT_FEE_PAYER_BALANCE keeps the advanced nonce). A missing or invalid program account (account 1) is INVALID_PROGRAM_ACCOUNT after the fee."
          "Nonce before liveness; fee before nonce."
          "docs/spec/transactions.md §5.1, §5.2, §5.5 (liveness, the fee payer, nonce and fee)"
      d
          "D-REVERT-EVENTS"
          (Some 18)
          "What does a reverted or faulted transaction report, and does a revert in a callee end everything?"
          "exit with revert != 0 at any depth ends the whole transaction (VM_REVERT, user_error_code = the code, error_program_acc_idx = the reverting program, the frames left as they were); any revert or fault rolls back every account change except fee and nonce. Events emitted before a failure are not reported (they describe changes that did not happen); logs are."
          "Keep the events of failed transactions."
          "docs/spec/transactions.md §7.2, docs/spec/syscalls.md §15.3 (a revert in a callee ends the transaction, as the end-to-end test shows)"
      d
          "D-TXN-CHECKS"
          (Some 10)
          "Which codes do the transaction checks without a dedicated code use, and how is the account layout walked?"
          "A zero chain_id and any size or layout problem are INVALID_FORMAT; a fee-payer proof of type UPDATING or 3 is INVALID_FEE_PAYER_STATE_PROOF_TYPE. The account layout: count limit, fee payer = program, then a merge walk over both lists in key order reporting the first cross-list duplicate, repeat or descent, then the fee payer or program appearing in a list."
          "Other codes."
          "docs/spec/transactions.md §2.2, §3 (the RPC library's validate_wire_transaction)"
      d
          "D-EPHEMERAL"
          (Some 28)
          "How long does an ephemeral account live, and what distinguishes it from a persistent one?"
          "It persists: an ephemeral account a successful transaction creates is in the committed state, EPHEMERAL flag set, and later transactions use it (Thru's CLI end-to-end test writes and runs ephemeral accounts in later transactions). What differs: it is created without a state proof (account_create_ephemeral), it is not in the state trie (so no proof shows it), compressing it deletes it instead, it costs no state units, and it cannot create persistent accounts. Profile switch EphemeralPersists."
          "It lives for its transaction only and leaves the state at commit (the older reading of the syscall page)."
          "docs/spec/syscalls.md §9 (account_create_ephemeral; the end-to-end test's uploader and manager accounts); docs/spec/transactions.md §7.4; docs/spec/metering.md §3"
      d
          "D-PROOF-WINDOW"
          (Some 29)
          "Which state root does a proof verify against, and how old may its slot be?"
          "A proof's slot must be one of the ACCEPTS_PROOF_BLOCK_SPAN (128) most recent blocks: at most 127 slots before the current one, never after it (else INVALID_PROOF_SLOT, or INVALID_FEE_PAYER_STATE_PROOF_SLOT for the fee payer's). It is checked against the state root in that block's context. That root is the chain's, which reflects the state STATE_HASH_DELAY (256) slots earlier; the model takes the roots as the environment gives them (the CLI's worlds give every block the root of the world's state). Profile switch ProofBlockSpan."
          "Any of the 512 visible blocks; or a root delayed by STATE_HASH_DELAY computed by the VM itself."
          "docs/spec/transactions.md §6.9 (STATE_HASH_DELAY 256 + ACCEPTS_PROOF_BLOCK_SPAN = 384 in the end-to-end test); docs/spec/syscalls.md §3.7"
      d
          "D-CHAIN-ID"
          (Some 31)
          "What happens to a transaction whose chain_id is not the chain's?"
          "It is refused at validation with INVALID_FORMAT, like a zero chain_id, and changes nothing (no fee, no nonce): a replay-protected chain must not run a transaction signed for another."
          "Run it (the chain_id only separates signing domains)."
          "docs/spec/transactions.md §3 (nothing public says; the managers fetch the chain id from the node before signing)"
      d
          "D-FEE-PAYER-RECORD"
          None
          "What must the 64-byte record after an EXISTING fee-payer proof hold?"
          "A runtime record: magic 0xC7A3 (bytes a3 c7) first, then the 62-byte view; another magic is INVALID_FEE_PAYER_STATE_PROOF, so two transactions that differ only in those bytes cannot have one effect."
          "Ignore the two magic bytes."
          "docs/spec/transactions.md §5.2; docs/spec/memory.md §7.2 (the 64-byte runtime record begins with the magic 0xC7A3)"
      d
          "D-IMAGE-MIN"
          (Some 1)
          "What is the smallest valid executable image?"
          "16 bytes: the 8-byte header and the 8-byte trailer, with no code (an empty program runs into the trailer's 0x0000 parcel, SIGILL). Profile switch MinCodeBytes (4 gives the uploader's 20-byte minimum)."
          "20 bytes (8 + 4 + 8), as Thru's uploader requires."
          "docs/spec/executable.md §2 (the format page allows 16 bytes; the uploader's program.rs requires 20)"
      d
          "D-EOA-OWNER"
          (Some 26)
          "Which program owns externally owned (keypair) accounts?"
          "The EOA program at the all-zero key: a fee payer must be owned by it (INVALID_FEE_PAYER_ACCOUNT_OWNER otherwise) and account_create_eoa makes accounts owned by it."
          "The system program (00…01), as one core-concepts page says."
          "docs/spec/transactions.md §5.2 (the address pages and the RPC constants: EOA program = 32 zero bytes)"
    ]

/// The decision with the given id.
let find (id: string) = register |> List.find (fun x -> x.Id = id)
