/// The catalog of ThruVM's instructions: every mnemonic with the extension it belongs to.
/// Used for coverage reports and documentation; derived from the instruction types, so a new
/// instruction case appears here without being listed twice.
module Thru.Model.Isa.Catalog

open Microsoft.FSharp.Reflection

/// Every case of a union whose cases carry no data.
let private cases<'T> () : 'T list =
    FSharpType.GetUnionCases typeof<'T> |> Array.map (fun c -> FSharpValue.MakeUnion(c, [||]) :?> 'T) |> List.ofArray

/// A representative of every compressed-instruction case (fields zero).
let private compressedCases () : CInstr list =
    FSharpType.GetUnionCases typeof<CInstr>
    |> Array.map (fun c ->
        let fields = c.GetFields() |> Array.map (fun f -> if f.PropertyType = typeof<int64> then box 0L else box 0)
        FSharpValue.MakeUnion(c, fields) :?> CInstr)
    |> List.ofArray

/// A representative of every 32-bit mnemonic.
let private fullCases () : Instr list =
    [ LUI(0, 0u); AUIPC(0, 0u); JAL(0, 0L); JALR(0, 0, 0L) ]
    @ (cases<BranchOp> () |> List.map (fun op -> Branch(op, 0, 0, 0L)))
    @ (cases<LoadOp> () |> List.map (fun op -> Load(op, 0, 0, 0L)))
    @ (cases<StoreOp> () |> List.map (fun op -> Store(op, 0, 0, 0L)))
    @ (cases<ImmOp> () |> List.map (fun op -> OpImm(op, 0, 0, 0L)))
    @ (cases<ShiftImmOp> () |> List.map (fun op -> ShiftImm(op, 0, 0, 0)))
    @ (cases<RegOp> () |> List.map (fun op -> Op(op, 0, 0, 0)))
    @ (cases<UnaryOp> () |> List.map (fun op -> Unary(op, 0, 0)))
    @ [ FENCE(0, 0, 0, 0, 0); ECALL; EBREAK ]

/// Every mnemonic with its extension, 32-bit instructions first, then compressed ones (extension C).
let all: (string * Extension) list =
    (fullCases () |> List.map (fun i -> Disasm.mnemonic (Full i), Execute.extensionOf i))
    @ (compressedCases () |> List.map (fun c -> Disasm.mnemonic (Compressed c), C))
