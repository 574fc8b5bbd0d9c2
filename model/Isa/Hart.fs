/// The architectural state of the single hart: 32 integer registers and the pc.
namespace Thru.Model.Isa

/// The integer register file, immutable: `set` returns a new file. x0 always reads 0.
type Registers = private Registers of uint64[]

module Registers =
    /// All 32 registers zero.
    let zero = Registers(Array.zeroCreate 32)

    /// Value of register `r` (x0 is always 0).
    let get (Registers values) (r: Reg) : uint64 = if r = 0 then 0UL else values[r]

    /// A register file equal to `regs` except that `r` holds `v` (writes to x0 are discarded).
    let set (Registers values as regs) (r: Reg) (v: uint64) : Registers =
        if r = 0 then regs else Registers(Array.updateAt r v values)

    /// Registers from 32 values (x0 forced to 0).
    let ofArray (values: uint64[]) =
        if values.Length <> 32 then invalidArg "values" "a register file has 32 registers"
        Registers(Array.updateAt 0 0UL values)

    /// The 32 register values, x0 first.
    let toArray (Registers values) = Array.copy values

/// The hart: pc and registers.
type Hart = { Pc: uint64; Regs: Registers }

module Hart =
    /// A hart with all registers zero at `pc`.
    let at (pc: uint64) = { Pc = pc; Regs = Registers.zero }
