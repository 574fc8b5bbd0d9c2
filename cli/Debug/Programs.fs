/// Which ELF describes which program of a run. Candidates are the ELFs the user names (--elf) and
/// PROGRAM.elf next to PROGRAM.bin; each program account that runs is matched, by its bytes, to the
/// candidate whose loadable sections are its program segment. A candidate that matches no program
/// is reported once, with the first difference.
module Thru.Cli.Debug.Programs

open Thru.Cli.Debug.Target
open Thru.Cli.Debug.SourceMap

/// The candidates and what has been matched so far.
type Resolver =
    { Candidates: DebugInfo list
      /// Per program account index: the matching ELF, or None when no candidate matches.
      Matched: System.Collections.Generic.Dictionary<int, DebugInfo option>
      /// Messages for the user (a mismatched ELF, missing debug information), each given once.
      Notes: ResizeArray<string> }

/// Load the candidate ELFs. An ELF that cannot be read at all is an Error (one line); missing
/// pieces (symbols, lines, frames) are notes.
let create (paths: string list) : Result<Resolver, string> =
    let loaded = paths |> List.map (fun p -> p, SourceMap.load p)

    match loaded |> List.tryPick (fun (_, r) -> match r with Error e -> Some e | Ok _ -> None) with
    | Some e -> Error e
    | None ->
        let infos = loaded |> List.choose (fun (_, r) -> match r with Ok i -> Some i | Error _ -> None)
        let notes = ResizeArray<string>()

        for i in infos do
            for w in i.Warnings do
                notes.Add(sprintf "%s: %s" i.Path w)

        Ok
            { Candidates = infos
              Matched = System.Collections.Generic.Dictionary()
              Notes = notes }

/// No ELF at all.
let none () =
    { Candidates = []
      Matched = System.Collections.Generic.Dictionary()
      Notes = ResizeArray() }

/// The ELF of program account `idx` of the target, when one of the candidates is that program.
let infoFor (r: Resolver) (t: IDebugTarget) (idx: int) : DebugInfo option =
    match r.Matched.TryGetValue idx with
    | true, m -> m
    | _ ->
        let found =
            match t.ProgramSegment idx with
            | None -> None
            | Some segment ->
                let results = r.Candidates |> List.map (fun c -> c, SourceMap.matches c segment)

                match results |> List.tryFind (fun (_, m) -> m = Ok()) with
                | Some(c, _) -> Some c
                | None ->
                    // Name the mismatch when the user's only candidate for the top-level program misses.
                    if idx = 1 then
                        for _, m in results do
                            match m with
                            | Error e -> r.Notes.Add(e + ": no source lines for it")
                            | Ok() -> ()

                    None

        r.Matched[idx] <- found
        found

/// A short name for program account `idx`: its ELF's file name without extension, else "program N".
let programName (r: Resolver) (t: IDebugTarget) (idx: int) =
    match infoFor r t idx with
    | Some i -> System.IO.Path.GetFileNameWithoutExtension i.Path
    | None -> sprintf "program %d" idx
