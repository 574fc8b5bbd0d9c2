/// The NuGet packages (issue 15 §1): `dotnet pack` of the three packable projects into a fresh
/// local feed (once, shared by both tests); the tool ThruModel.Cli installed from that feed alone
/// into a temporary tool path runs a transaction; a fresh console project restores Thru.Model and
/// Thru.Engine from the feed alone and runs a program on both. Sequenced: they build.
module Thru.Tests.Cli.PackageTests

open System
open System.IO
open Expecto
open Thru.Tests.Support

let private root = Thru.Tests.Examples.ExampleRun.repoRoot

/// The packages' version (Directory.Build.props).
let private version =
    lazy
        (let props = File.ReadAllText(Path.Combine(root, "Directory.Build.props"))
         let m = Text.RegularExpressions.Regex.Match(props, "<Version>([^<]+)</Version>")
         if not m.Success then failtest "Directory.Build.props has no <Version>"
         m.Groups[1].Value)

/// Run a program to its end (at most `minutes`): exit code and the output, both streams.
let private exec (minutes: float) (dir: string) (file: string) (args: string list) : int * string =
    let psi = Diagnostics.ProcessStartInfo(file, args, WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true)
    psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] <- "1"
    psi.Environment["DOTNET_NOLOGO"] <- "1"
    psi.Environment["THRUMODEL_NO_PROGRESS"] <- "1"
    use p = Diagnostics.Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()

    if not (p.WaitForExit(TimeSpan.FromMinutes minutes)) then
        p.Kill true
        failtestf "%s %s: still running after %g minutes" file (String.concat " " args) minutes

    p.WaitForExit()
    p.ExitCode, out.Result + err.Result

let private scratch = Path.Combine(Path.GetTempPath(), sprintf "thrumodel-packages-%d" Environment.ProcessId)

/// A nuget.config that names only `feed`, and the machine's global packages folder as a
/// read-only fallback (FSharp.Core is there): nothing is asked of any other source.
let private nugetConfig (dir: string) (feed: string) =
    let globalPackages = Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".nuget", "packages")
    let path = Path.Combine(dir, "nuget.config")

    File.WriteAllText(
        path,
        sprintf
            """<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="thrumodel-test-feed" value="%s" />
  </packageSources>
  <fallbackPackageFolders>
    <add key="machine" value="%s" />
  </fallbackPackageFolders>
</configuration>
"""
            feed
            globalPackages
    )

    path

/// The local feed: `dotnet pack` of Thru.Model, Thru.Engine and the tool, as `make pack` does.
let private feed =
    lazy
        (let dir = Path.Combine(scratch, "feed")
         Directory.CreateDirectory dir |> ignore

         for project in [ "model/Thru.Model.fsproj"; "engine/Thru.Engine.csproj"; "cli/Thru.Cli.fsproj" ] do
             let code, output = exec 10.0 root "dotnet" [ "pack"; project; "-c"; "Release"; "-o"; dir; "-nologo"; "-v"; "quiet" ]
             if code <> 0 then failtestf "dotnet pack %s failed (exit %d):\n%s" project code output

         let packages = Directory.GetFiles(dir, "*.nupkg") |> Array.map Path.GetFileName |> Set.ofArray
         let v = version.Value

         for expected in [ "Thru.Model"; "Thru.Engine"; "ThruModel.Cli"; "ThruModel.Cli.linux-x64" ] do
             if not (packages.Contains(sprintf "%s.%s.nupkg" expected v)) then
                 failtestf "dotnet pack made %A, not %s.%s.nupkg" packages expected v

         dir)

/// The metadata of a package's nuspec.
let private nuspec (package: string) =
    use zip = IO.Compression.ZipFile.OpenRead(Path.Combine(feed.Value, sprintf "%s.%s.nupkg" package version.Value))
    let entry = zip.Entries |> Seq.find (fun e -> e.FullName.EndsWith ".nuspec")
    use reader = new StreamReader(entry.Open())
    reader.ReadToEnd(), zip.Entries |> Seq.map (fun e -> e.FullName) |> List.ofSeq

let private consumerProgram =
    """// A consumer of the Thru.Model and Thru.Engine packages: one program on both.
open Thru.Model

// addi a0, zero, 42 ; ecall
let image = [| 0x13uy; 0x05uy; 0xa0uy; 0x02uy; 0x73uy; 0x00uy; 0x00uy; 0x00uy |]

let model =
    match Raw.run Decisions.Profile.defaults image 0x8000_0000UL 1000L with
    | Ok r -> Isa.Registers.get r.Hart.Regs 10
    | Error e -> failwith (Raw.describeLoadError e)

let engine = (Thru.Engine.RawMode.Run(System.ReadOnlySpan image, 0x8000_0000UL, 1000L)).Regs[10]
printfn "model a0=%d engine a0=%d decisions=%d" model engine Decisions.register.Length
"""

[<Tests>]
let tests =
    testList
        "Cli.PackageTests"
        [ testCaseInGroup "packages" "the packages carry their metadata, README and XML docs" (fun () ->
              for package, docs in [ "Thru.Model", [ "lib/net10.0/Thru.Model.xml" ]; "Thru.Engine", [ "lib/net10.0/Thru.Engine.xml" ]; "ThruModel.Cli.linux-x64", [] ] do
                  let spec, entries = nuspec package
                  Expect.stringContains spec "<description>" (package + ": a description")
                  Expect.stringContains spec "<license type=\"expression\">" (package + ": a licence")
                  Expect.stringContains spec "<readme>README.md</readme>" (package + ": a README")
                  Expect.stringContains spec "<repository type=\"git\"" (package + ": the repository")
                  Expect.contains entries "README.md" (package + ": README.md packed")

                  for d in docs do
                      Expect.contains entries d (package + ": XML docs packed")

              let tool, entries = nuspec "ThruModel.Cli.linux-x64"
              Expect.stringContains tool "DotnetTool" "the tool package is a dotnet tool"
              Expect.contains entries "tools/net10.0/linux-x64/thrumodel.dll" "the tool's assembly"
              Expect.isFalse (entries |> List.exists (fun e -> e.Contains "Thru.Tests")) "no test assembly in the tool")

          testCaseInGroup "packages" "the tool installs from the local feed into a temporary path and runs a transaction" (fun () ->
              let toolPath = Path.Combine(scratch, "tool")
              if Directory.Exists toolPath then Directory.Delete(toolPath, true)
              let config = nugetConfig scratch feed.Value

              let code, output =
                  exec 5.0 scratch "dotnet" [ "tool"; "install"; "--tool-path"; toolPath; "--configfile"; config; "ThruModel.Cli"; "--version"; version.Value ]

              Expect.equal code 0 (sprintf "dotnet tool install:\n%s" output)
              let thrumodel = Path.Combine(toolPath, "thrumodel")
              let code, output = exec 2.0 scratch thrumodel [ "--version" ]
              Expect.equal code 0 output
              Expect.stringStarts output ("thrumodel " + version.Value) "--version names the package's version"

              let code, output = exec 2.0 scratch thrumodel [ "run"; Thru.Tests.Examples.ExampleRun.binary "hello"; "--json" ]
              Expect.equal code 0 (sprintf "the installed tool runs hello:\n%s" output)
              let json = Text.Json.Nodes.JsonNode.Parse output
              Expect.equal (json["vm_error"].GetValue<int>()) 0 "the transaction succeeded"
              Expect.equal (json["logs"].AsArray().Count) 1 "hello logs one line")

          testCaseInGroup "packages" "a fresh console project builds against Thru.Model and Thru.Engine from the local feed" (fun () ->
              let dir = Path.Combine(scratch, "consumer")
              if Directory.Exists dir then Directory.Delete(dir, true)
              Directory.CreateDirectory dir |> ignore
              nugetConfig dir feed.Value |> ignore

              File.WriteAllText(
                  Path.Combine(dir, "Consumer.fsproj"),
                  sprintf
                      """<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <RestorePackagesPath>packages</RestorePackagesPath>
  </PropertyGroup>
  <ItemGroup>
    <Compile Include="Program.fs" />
  </ItemGroup>
  <ItemGroup>
    <PackageReference Include="Thru.Model" Version="%s" />
    <PackageReference Include="Thru.Engine" Version="%s" />
  </ItemGroup>
</Project>
"""
                      version.Value
                      version.Value
              )

              // The consumer's own folder is not under the repository, so none of its build props apply.
              File.WriteAllText(Path.Combine(dir, "Program.fs"), consumerProgram)
              let code, output = exec 10.0 dir "dotnet" [ "run"; "-c"; "Release"; "-nologo" ]
              Expect.equal code 0 (sprintf "dotnet run of the consumer:\n%s" output)
              Expect.stringContains output "model a0=42 engine a0=42" "the model and the engine run the program from the packages"
              Expect.stringContains output (sprintf "decisions=%d" Thru.Model.Decisions.register.Length) "the model package is this model") ]
