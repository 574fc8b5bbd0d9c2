using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace Thru.Interop;

/// <summary>
/// One straight-line test case for <see cref="QemuOracle"/>.
/// </summary>
/// <param name="Regs">32 initial register values; entries 0 (x0) and 31 (x31, the harness' table pointer) are ignored.</param>
/// <param name="Code">Raw little-endian instruction bytes (any mix of 16- and 32-bit instructions, even length).
/// No branches, jumps, loads, stores or ecall, and x31 must be neither read nor written.</param>
public sealed record QemuCase(ulong[] Regs, byte[] Code);

/// <summary>What happened to one <see cref="QemuCase"/>.</summary>
public abstract record QemuOutcome
{
    private QemuOutcome()
    {
    }

    /// <summary>The case ran to the end; <paramref name="Regs"/> holds x0..x31 with x0 = 0 and x31 = 0.</summary>
    public sealed record Completed(ulong[] Regs) : QemuOutcome
    {
        /// <inheritdoc />
        public bool Equals(Completed? other) =>
            other is not null && Regs.AsSpan().SequenceEqual(other.Regs);

        /// <inheritdoc />
        public override int GetHashCode()
        {
            var h = new HashCode();
            foreach (var r in Regs)
            {
                h.Add(r);
            }

            return h.ToHashCode();
        }

        /// <inheritdoc />
        public override string ToString() =>
            "Completed { " + string.Join(", ", Regs.Select((v, i) => $"x{i}=0x{v:x}")) + " }";
    }

    /// <summary>The process died with signal <paramref name="Signal"/> (4 = SIGILL) while running this case.</summary>
    public sealed record Killed(int Signal) : QemuOutcome;
}

/// <summary>The oracle process could not be run, or it misbehaved.</summary>
public sealed class QemuOracleException : Exception
{
    /// <summary>Creates the exception.</summary>
    public QemuOracleException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    public QemuOracleException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// Runs straight-line RV64 cases under qemu-user (<c>qemu-riscv64 -cpu rv64,zba=true,zbb=true,zbc=true,zbs=true,zknh=true</c>),
/// the reference for the Zba/Zbb/Zbc/Zbs/Zknh instructions Unicorn cannot decode. Cases are batched into
/// in-process-generated static ELF programs (see <see cref="QemuHarness"/>), thousands per qemu process; batches
/// run in parallel. A case that kills qemu (e.g. SIGILL) gets <see cref="QemuOutcome.Killed"/> and the rest of its
/// batch is re-run in a fresh process. Results are deterministic: they depend only on the cases.
/// </summary>
public sealed class QemuOracle
{
    /// <summary>The executable looked up on PATH by default.</summary>
    public const string DefaultExecutable = "qemu-riscv64";

    /// <summary>The <c>-cpu</c> argument.</summary>
    public const string CpuModel = "rv64,zba=true,zbb=true,zbc=true,zbs=true,zknh=true";

    private static readonly Lazy<string?> DefaultPath = new(() => FindOnPath(DefaultExecutable));

    /// <summary>Creates an oracle.</summary>
    /// <param name="executable">qemu-riscv64 path or name (looked up on PATH); null = <see cref="DefaultExecutable"/>.</param>
    /// <param name="casesPerProcess">Maximum cases per qemu process.</param>
    /// <param name="processTimeout">Wall-clock limit per qemu process (default 120 s).</param>
    /// <param name="maxParallelism">Concurrent qemu processes (default: processor count).</param>
    public QemuOracle(string? executable = null, int casesPerProcess = 4096, TimeSpan? processTimeout = null, int maxParallelism = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(casesPerProcess, 1);
        Executable = executable ?? DefaultExecutable;
        CasesPerProcess = casesPerProcess;
        ProcessTimeout = processTimeout ?? TimeSpan.FromSeconds(120);
        MaxParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount;
    }

    /// <summary>True when <see cref="DefaultExecutable"/> is found on PATH.</summary>
    public static bool IsAvailable => DefaultPath.Value is not null;

    /// <summary>The qemu-riscv64 executable used.</summary>
    public string Executable { get; }

    /// <summary>Maximum cases per qemu process.</summary>
    public int CasesPerProcess { get; }

    /// <summary>Wall-clock limit per qemu process; exceeding it throws <see cref="QemuOracleException"/>.</summary>
    public TimeSpan ProcessTimeout { get; }

    /// <summary>Concurrent qemu processes.</summary>
    public int MaxParallelism { get; }

    /// <summary>Number of qemu processes started by this instance so far.</summary>
    public int ProcessesStarted => _processesStarted;

    private int _processesStarted;

    /// <summary>Runs every case; the result list is parallel to <paramref name="cases"/>.</summary>
    /// <exception cref="QemuOracleException">qemu is missing, timed out, or the harness misbehaved.</exception>
    public IReadOnlyList<QemuOutcome> Run(IReadOnlyList<QemuCase> cases)
    {
        ArgumentNullException.ThrowIfNull(cases);
        for (var i = 0; i < cases.Count; i++)
        {
            QemuHarness.Validate(cases[i], i);
        }

        var results = new QemuOutcome[cases.Count];
        var batches = new List<(int Start, int Count)>();
        for (var s = 0; s < cases.Count; s += CasesPerProcess)
        {
            batches.Add((s, Math.Min(CasesPerProcess, cases.Count - s)));
        }

        try
        {
            Parallel.ForEach(
                batches,
                new ParallelOptions { MaxDegreeOfParallelism = MaxParallelism },
                b => RunBatch(cases, b.Start, b.Count, results));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            if (e.InnerExceptions[0] is QemuOracleException q)
            {
                throw new QemuOracleException(q.Message, e);
            }

            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }

        return results;
    }

    private void RunBatch(IReadOnlyList<QemuCase> cases, int start, int count, QemuOutcome[] results)
    {
        var end = start + count;
        var next = start;
        while (next < end)
        {
            var n = end - next;
            var (stdout, exit, stderr) = RunProcess(QemuHarness.BuildElf(cases, next, n));
            var done = Math.Min(stdout.Length / QemuHarness.BytesPerCase, n);
            for (var k = 0; k < done; k++)
            {
                var regs = new ulong[32];
                var row = stdout.AsSpan(k * QemuHarness.BytesPerCase, QemuHarness.BytesPerCase);
                for (var r = 1; r <= QemuHarness.RegistersPerCase; r++)
                {
                    regs[r] = BinaryPrimitives.ReadUInt64LittleEndian(row[((r - 1) * 8)..]);
                }

                results[next + k] = new QemuOutcome.Completed(regs);
            }

            if (exit == 0)
            {
                if (done != n || stdout.Length != n * QemuHarness.BytesPerCase)
                {
                    throw Failure($"exited normally after {stdout.Length} bytes of output; expected {n * QemuHarness.BytesPerCase}", stderr);
                }

                return;
            }

            // .NET reports a death by signal N as exit code 128 + N.
            var signal = exit - 128;
            if (signal is <= 0 or >= 65 || done >= n || stdout.Length % QemuHarness.BytesPerCase != 0)
            {
                throw Failure($"exited with status {exit} after {done} of {n} cases ({stdout.Length} bytes of output)", stderr);
            }

            results[next + done] = new QemuOutcome.Killed(signal);
            next += done + 1;
        }
    }

    private (byte[] Stdout, int ExitCode, string Stderr) RunProcess(byte[] elf)
    {
        var dir = Path.Combine(Path.GetTempPath(), "thru-qemu-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var elfPath = Path.Combine(dir, "cases.elf");
            File.WriteAllBytes(elfPath, elf);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(elfPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var psi = new ProcessStartInfo(Executable)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = dir, // any core file lands here and is deleted with it
            };
            psi.ArgumentList.Add("-cpu");
            psi.ArgumentList.Add(CpuModel);
            psi.ArgumentList.Add(elfPath);

            using var process = new Process { StartInfo = psi };
            try
            {
                process.Start();
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                throw new QemuOracleException($"Cannot start `{Command(elfPath)}`: {e.Message}. Is qemu-user (qemu-riscv64) installed?", e);
            }

            Interlocked.Increment(ref _processesStarted);
            process.StandardInput.Close();
            using var output = new MemoryStream();
            var outTask = process.StandardOutput.BaseStream.CopyToAsync(output);
            var errTask = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(ProcessTimeout))
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // already gone
                }

                process.WaitForExit();
                throw new QemuOracleException($"`{Command(elfPath)}` did not finish within {ProcessTimeout.TotalSeconds:0.#} s (a case that loops or blocks?). stderr: {Tail(SafeResult(errTask))}");
            }

            process.WaitForExit(); // flushes the asynchronous readers
            outTask.GetAwaiter().GetResult();
            return (output.ToArray(), process.ExitCode, errTask.GetAwaiter().GetResult());
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
            catch (UnauthorizedAccessException)
            {
                // best effort
            }
        }
    }

    private QemuOracleException Failure(string what, string stderr) =>
        new($"`{Command("<cases.elf>")}` {what}. stderr: {Tail(stderr)}");

    private string Command(string elfPath) => $"{Executable} -cpu {CpuModel} {elfPath}";

    private static string SafeResult(Task<string> t)
    {
        try
        {
            return t.Wait(TimeSpan.FromSeconds(1)) ? t.Result : "";
        }
        catch (AggregateException)
        {
            return "";
        }
    }

    private static string Tail(string s)
    {
        s = s.Trim();
        if (s.Length == 0)
        {
            return "(empty)";
        }

        return s.Length <= 2000 ? s : "..." + s[^2000..];
    }

    private static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                if (OperatingSystem.IsWindows())
                {
                    return candidate;
                }

                var mode = File.GetUnixFileMode(candidate);
                if ((mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
