#!/usr/bin/python3
"""A conformance adapter in Python over Unicorn (Debian's python3-unicorn): raw RV64IMC fixtures.

It speaks the line protocol of docs/conformance.md on standard input and output:

    thrumodel conform --corpus conformance \
        --engine-cmd "/usr/bin/python3 conformance/adapters/unicorn_adapter.py"

It runs raw fixtures whose "isa" lists only I, M and C; anything else (B, Zbc, Zknh, and every
transaction) it answers with an explicit "unsupported", which the runner counts as skipped.

Unicorn 2.0.1 differs from ThruVM in raw mode (interop/UNICORN-BEHAVIOUR.md); the adapter brings it
to ThruVM's rules, as interop/UnicornRaw.cs does for the C# oracle:
  * misaligned loads and stores succeed on Unicorn: a memory hook refuses them (D-ALIGN), and
    accesses outside the 16 MiB region are invalid-address (checked first, docs/spec/memory.md §3.1);
  * after a trap Unicorn's pc is not the trapping instruction's, and ebreak is an error rather than a
    trap: the adapter single-steps, so the pc before the failing step is the stopping pc;
  * Unicorn executes encodings ThruVM refuses (fence.i, CSR access, AMOs, floating point, mret, wfi):
    the adapter decodes each instruction's opcode first and reports those as illegal (D-ILLEGAL).
"""

import base64
import json
import sys

from unicorn import Uc, UcError, UC_ARCH_RISCV, UC_MODE_RISCV64, UC_HOOK_INTR
from unicorn import UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE, UC_MEM_WRITE
from unicorn import UC_ERR_INSN_INVALID, UC_ERR_FETCH_UNMAPPED, UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED
from unicorn.riscv_const import UC_RISCV_REG_PC, UC_RISCV_REG_X0

PROTOCOL = "thrumodel-conform"
VERSION = 1
REGION = 16 * 1024 * 1024
SUPPORTED = {"I", "M", "C"}
NEVER = 1  # an odd address is never a pc: emu_start runs until its count


def regs_of(uc):
    return [0] + [uc.reg_read(UC_RISCV_REG_X0 + i) for i in range(1, 32)]


def refused_by_thruvm(image_bytes):
    """True for encodings Unicorn executes but ThruVM refuses (decision D-ILLEGAL)."""
    lo = image_bytes[0] | (image_bytes[1] << 8)
    if lo & 3 != 3:
        quadrant, funct3 = lo & 3, lo >> 13
        # c.fld, c.fsd (quadrant 0) and c.fldsp, c.fsdsp (quadrant 2): floating point.
        if quadrant in (0, 2) and funct3 in (1, 5):
            return True
        # Zcb: quadrant 0 funct3 100, and quadrant 1 funct3 100 with bits 12..10 = 111, bits 6..5 = 1x.
        if quadrant == 0 and funct3 == 4:
            return True
        return quadrant == 1 and funct3 == 4 and (lo >> 10) & 7 == 7 and (lo >> 6) & 1 == 1
    if lo & 0x1F == 0x1F:
        return True  # 48-bit and longer encodings
    if len(image_bytes) < 4:
        return False
    w = lo | (image_bytes[2] << 16) | (image_bytes[3] << 24)
    opcode, funct3 = w & 0x7F, (w >> 12) & 7
    if opcode == 0x73:
        return w not in (0x00000073, 0x00100073)  # only ecall and ebreak
    if opcode == 0x0F:
        return funct3 != 0  # fence.i and CBO
    return opcode in (0x2F, 0x07, 0x27, 0x43, 0x47, 0x4B, 0x4F, 0x53)


def destination(bits, length):
    """The register an instruction writes (0 for none), from its encoding."""
    if length == 4:
        opcode = bits & 0x7F
        if opcode in (0x37, 0x17, 0x6F, 0x67, 0x03, 0x13, 0x1B, 0x33, 0x3B):
            return (bits >> 7) & 31
        return 0
    q, f3 = bits & 3, (bits >> 13) & 7
    rd_full, rd_short = (bits >> 7) & 31, ((bits >> 2) & 7) + 8
    if q == 0:
        return rd_short if f3 in (0, 2, 3) else 0
    if q == 1:
        if f3 in (0, 1, 2, 3):
            return rd_full
        if f3 == 4:
            return ((bits >> 7) & 7) + 8
        return 0
    if f3 in (0, 2, 3):
        return rd_full
    if f3 == 4:
        rs2, bit12 = (bits >> 2) & 31, (bits >> 12) & 1
        if bit12 == 0:
            return rd_full if rs2 != 0 else 0
        if rs2 == 0:
            return 0 if rd_full == 0 else 1  # c.ebreak / c.jalr (links in ra)
        return rd_full
    return 0


def run(inp, want_trace):
    isa = set(inp.get("isa", []))
    if not isa <= SUPPORTED:
        return {"unsupported": "Unicorn runs RV64IMC only; this fixture executes " + ", ".join(sorted(isa - SUPPORTED))}
    base = int(inp["base"], 16)
    steps = int(inp["max_steps"])
    image = base64.b64decode(inp["image"])
    start = [int(v, 16) for v in inp.get("regs", ["0x0"] * 32)]

    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
    uc.mem_map(base, REGION)
    uc.mem_write(base, image)
    for i in range(1, 32):
        uc.reg_write(UC_RISCV_REG_X0 + i, start[i])
    uc.reg_write(UC_RISCV_REG_PC, base)

    state = {"refused": None, "trap": None, "mem": []}

    def on_access(uc_, access, address, size, value, _user):
        if state["refused"]:
            return
        if address < base or address + size > base + REGION:
            state["refused"] = "invalid-address"
            uc_.emu_stop()
        elif address % size != 0:
            state["refused"] = "alignment-violation"
            uc_.emu_stop()
        elif access == UC_MEM_WRITE:
            state["mem"].append({"op": "w", "addr": hex(address), "size": size, "value": hex(value & ((1 << (8 * size)) - 1))})
        else:
            loaded = int.from_bytes(uc_.mem_read(address, size), "little")
            state["mem"].append({"op": "r", "addr": hex(address), "size": size, "value": hex(loaded)})

    def on_interrupt(uc_, intno, _user):
        state["trap"] = intno
        uc_.emu_stop()

    uc.hook_add(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, on_access)
    uc.hook_add(UC_HOOK_INTR, on_interrupt)

    trace = []
    retired = 0
    stop, fault = "limit", None
    pc = base
    final_regs = None

    while retired < steps:
        pc = uc.reg_read(UC_RISCV_REG_PC)
        before = regs_of(uc)
        in_region = base <= pc and pc + 2 <= base + REGION
        raw = bytes(uc.mem_read(pc, min(4, base + REGION - pc))) if in_region else b""
        if in_region and refused_by_thruvm(raw):
            stop, fault = "fault", "illegal-instruction"
            break
        state["refused"], state["trap"], state["mem"] = None, None, []
        error = None
        try:
            uc.emu_start(pc, NEVER, 0, 1)
        except UcError as e:
            error = e.errno
        after_pc = uc.reg_read(UC_RISCV_REG_PC)
        if state["refused"]:
            stop, fault, final_regs = "fault", state["refused"], before
            break
        if state["trap"] == 8:
            stop, final_regs = "ecall", before
            break
        if state["trap"] is not None:
            stop, fault, final_regs = "fault", "illegal-instruction", before
            break
        if error == UC_ERR_INSN_INVALID:
            stop, final_regs = "ebreak", before
            break
        if error == UC_ERR_FETCH_UNMAPPED and after_pc != pc:
            # A jump into unmapped memory fails inside the jump's own step: the jump retired.
            retired += 1
            stop, fault, pc = "fault", "invalid-address", after_pc
            break
        if error in (UC_ERR_FETCH_UNMAPPED, UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED):
            stop, fault, final_regs = "fault", "invalid-address", before
            break
        if error is not None:
            stop, fault, final_regs = "fault", "unicorn-error-%d" % error, before
            break
        if want_trace:
            length = 2 if raw[0] & 3 != 3 else 4
            bits = int.from_bytes(raw[:length], "little")
            now = regs_of(uc)
            rd = destination(bits, length)
            writes = [[k, hex(now[k])] for k in range(1, 32) if k == rd or now[k] != before[k]]
            step = {"i": retired, "pc": hex(pc), "bits": ("0x%04x" if length == 2 else "0x%08x") % bits, "len": length, "depth": 1}
            if writes:
                step["x"] = writes
            if state["mem"]:
                step["mem"] = state["mem"]
            trace.append(step)
        retired += 1

    if stop == "limit":
        pc = uc.reg_read(UC_RISCV_REG_PC)
    regs = final_regs if final_regs is not None else regs_of(uc)
    observation = {
        "stop": stop,
        "fault": fault,
        "pc": "0x%016x" % pc,
        "instructions": retired,
        "regs": ["0x%016x" % v for v in regs],
    }
    answer = {"observation": observation}
    if want_trace:
        answer["trace"] = {"engine": "unicorn-python", "reports": ["regs", "mem"], "steps": trace, "end": "%s at 0x%x" % (stop, pc)}
    return answer


def main():
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError as e:
            out.write(json.dumps({"error": "request is not JSON: %s" % e}) + "\n")
            out.flush()
            continue
        if "protocol" in request:
            if request.get("version") != VERSION:
                reply = {"error": "this adapter speaks protocol version %d" % VERSION}
            else:
                reply = {"protocol": PROTOCOL, "version": VERSION, "engine": "unicorn-python", "kinds": ["raw"], "trace": True}
        else:
            inp = request.get("input", {})
            try:
                if inp.get("kind") != "raw":
                    answer = {"unsupported": "this adapter runs raw fixtures only"}
                else:
                    answer = run(inp, bool(request.get("trace")))
            except (KeyError, ValueError, UcError) as e:
                answer = {"error": "%s: %s" % (type(e).__name__, e)}
            reply = dict(answer, id=request.get("id"))
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
