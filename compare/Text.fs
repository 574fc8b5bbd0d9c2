namespace Thru.Compare

/// Hexadecimal text for addresses and register values, as every JSON output of ThruModel writes them.
module Hex =
    let u64 (v: uint64) = sprintf "0x%016x" v
    let addr (v: uint64) = sprintf "0x%x" v

    /// Parse "0x…" or plain hex digits; None when the text is not a 64-bit hex number.
    let tryParse (text: string) : uint64 option =
        let t = if text.StartsWith "0x" || text.StartsWith "0X" then text.Substring 2 else text
        let t = t.Replace("_", "")

        match System.UInt64.TryParse(t, System.Globalization.NumberStyles.AllowHexSpecifier, null) with
        | true, v when t.Length > 0 -> Some v
        | _ -> None

/// Small builders for System.Text.Json nodes, so JSON output reads as its shape.
module Json =
    open Hex
    open System.Text.Json.Nodes

    let str (s: string) : JsonNode = JsonValue.Create s
    let num (n: int64) : JsonNode = JsonValue.Create n
    let bool (b: bool) : JsonNode = JsonValue.Create b
    let hex (v: uint64) : JsonNode = str (u64 v)
    let opt (f: 'a -> JsonNode) (v: 'a option) : JsonNode = v |> Option.map f |> Option.toObj
    let arr (items: JsonNode seq) : JsonNode = JsonArray(Seq.toArray items)

    /// An object with its members in the given order.
    let obj (members: (string * JsonNode) list) : JsonObject =
        let o = JsonObject()
        for k, v in members do
            o[k] <- v
        o

    /// Indented JSON text.
    let render (node: JsonNode) =
        node.ToJsonString(System.Text.Json.JsonSerializerOptions(WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping))
