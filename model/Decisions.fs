/// The register of spec decisions: every point where the public ThruVM material is silent or
/// contradictory and the model had to choose (spec/README.md, "open questions"). Code that
/// implements a decision cites its id (e.g. "Decision D-EBREAK") next to the rule.
///
/// Flippable decisions are fields of `Profile`; `Profile.defaults` follows the current
/// thru.org pages and the SDKs. The engine implements the default profile only.
module Thru.Model.Decisions

/// One decision: the question, what the model does, the road not taken, and the sources.
type Decision =
    { Id: string
      /// Number in spec/README.md's open-question list, when it is one of those.
      OpenQuestion: int option
      Question: string
      Choice: string
      Alternative: string
      Sources: string }

/// The decisions a researcher can flip to run the model under another reading of the spec.
type Profile =
    {
        /// D-ZBC: the Zbc (carry-less multiply) instructions execute.
        Zbc: bool
    }

module Profile =
    /// The default profile: current thru.org pages and SDKs.
    let defaults = { Zbc = true }

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
          "TO:vm/instruction-set lists B and Zknh only; SDK-C/CPP -march=..._zbc_..., SDK-RS +zbc"
      d
          "D-FENCE"
          (Some 7)
          "What do FENCE, FENCE.TSO and PAUSE do; is FENCE.I legal?"
          "Every MISC-MEM funct3=000 encoding is a no-op costing 4 CU (any fm/pred/succ/rd/rs1). FENCE.I (Zifencei) and CBO encodings are SIGILL."
          "Treat reserved fence fields as illegal; accept FENCE.I as a no-op."
          "TO:vm/instruction-set I2 (single-threaded, sequentially consistent); RISC-V manual: unused FENCE fields are reserved for future use and must be ignored"
      d
          "D-EBREAK"
          (Some 7)
          "What do EBREAK and C.EBREAK do?"
          "A breakpoint trap: execution stops with VM error SIGILL (-2), the only VM code for an instruction that cannot complete; raw mode reports stop \"ebreak\"."
          "A no-op; or a distinct fault code."
          "RISC-V manual (EBREAK raises a breakpoint exception; ThruVM has no handler); TO:vm/errors"
      d
          "D-HINT"
          None
          "What do HINT encodings (e.g. addi x0, x5, 1; c.nop 5; c.slli with shamt 0; c.li/c.lui/c.mv/c.add with rd=x0) do?"
          "They execute as the base instruction they encode, which has no architectural effect; they cost like any instruction. Reserved encodings (c.addi4spn 0, c.lui/c.addi16sp 0, c.addiw/c.lwsp/c.ldsp x0, c.jr x0, 32-bit shifts with shamt[5]=1) are SIGILL."
          "Treat HINTs as illegal."
          "RISC-V manual 20250508 (HINTs execute as no-ops; reserved encodings are illegal); spec/isa.md §3.1, §3.3"
      d
          "D-ILLEGAL"
          (Some 7)
          "Which encodings are illegal?"
          "Everything outside RV64I, M, C (no FP), Zba, Zbb, Zbc, Zbs, Zknh: A, F/D/Q (incl. C.FLD/FSD/FLDSP/FSDSP), Zicsr (incl. rdcycle/rdtime/rdinstret), Zifencei, Zcb, privileged (mret, wfi, sfence.vma…), V, 48-bit+ encodings, unallocated opcodes, and the 0x0000 parcel. Each decodes to a named Illegal reason and raises SIGILL (-2)."
          "—"
          "TO:vm/instruction-set (extension table), TO:vm/errors (SIGILL)"
      d
          "D-ALIGN"
          (Some 7)
          "What happens on a misaligned load or store, and which code reports it?"
          "Every load/store whose address is not a multiple of its size faults with an AlignmentViolation access fault (raw mode too). All access violations report VM error SIGSEGV (-3); SIGFAULT (-4) is never produced."
          "Allow misaligned accesses (as Unicorn does); report alignment as SIGFAULT (-4)."
          "DT:vm/instruction-set (unaligned access results in an exception); TO:vm/memory-layout (Alignment Violation); debug service segv_vaddr/segv_size/segv_write"
      d
          "D-ECALL-CU"
          (Some 6)
          "Is the ecall instruction itself charged on top of the syscall's cost?"
          "Yes: ecall is a 32-bit instruction and costs 4 CU like every other; the syscall then charges its own cost (e.g. exit and log add 0)."
          "The syscall cost replaces the instruction cost."
          "TO:runtime/resources (1 CU per byte of instruction processed; syscall base 512)"
      d
          "D-RAW"
          None
          "What is raw mode (no Thru segments)?"
          "A flat 16 MiB zero-filled read/write region at a 4 KiB-aligned base; any access outside it faults (InvalidAddress); alignment as D-ALIGN; ecall/ebreak stop the run with pc at the instruction; the step limit stops with \"limit\"."
          "—"
          "Issue 2; ../shared/DESIGN.md (raw RV64 execution is a first-class mode)" ]

/// The decision with the given id.
let find (id: string) = register |> List.find (fun x -> x.Id = id)
