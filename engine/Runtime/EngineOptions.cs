using System;
using System.Threading;

namespace Thru.Engine;

/// <summary>
/// How the engine executes guest code: the interpreter alone, or the interpreter with the compiled tier
/// (<see cref="BlockCompiler"/>) for hot blocks. Every setting gives exactly the same observable results; they change
/// only speed. Machines read the options when they are made.
/// </summary>
public sealed record EngineOptions
{
    /// <summary>Whether hot blocks are compiled to .NET code. Off: the interpreter runs everything.</summary>
    public bool Compile { get; init; } = true;

    /// <summary>
    /// Interpreted entries of a block before it is compiled (0 to 254; 0 compiles a block the first time the dispatcher
    /// sees it, which tests use to run as much code compiled as possible).
    /// </summary>
    public int HotThreshold { get; init; } = 64;

    /// <summary>
    /// Whether compilation is paid for by execution: a machine compiles a region only when the instructions it has
    /// retired so far, less those already spent, cover the region's compile time (counted as the interpreted
    /// instructions that take as long), so that compiling never costs more than about the time already spent
    /// interpreting, whatever the program. Regions found in the process-wide cache cost nothing.
    /// </summary>
    public bool PaceCompilation { get; init; } = true;

    /// <summary>
    /// Guest instructions a machine may compile over its life (every region counts, recompilations after self-modifying
    /// stores too). Past it, everything runs interpreted. Bounds the time and memory spent compiling.
    /// </summary>
    public int MaxCompiledInstructions { get; init; } = 1 << 20;

    /// <summary>The interpreter only.</summary>
    public static EngineOptions InterpreterOnly { get; } = new() { Compile = false };

    /// <summary>The compiled tier with the default thresholds.</summary>
    public static EngineOptions Compiled { get; } = new();

    /// <summary>The compiled tier compiling every block the first time the dispatcher sees it (tests: the most code compiled).</summary>
    public static EngineOptions Eager { get; } = new() { HotThreshold = 0, PaceCompilation = false };

    /// <summary>
    /// The options of the process, from the environment variable <c>THRU_ENGINE_TIER</c>: <c>interpreter</c>
    /// (<see cref="InterpreterOnly"/>), <c>eager</c> (<see cref="Eager"/>), else <see cref="Compiled"/>.
    /// </summary>
    public static EngineOptions ProcessDefault { get; } = Environment.GetEnvironmentVariable("THRU_ENGINE_TIER")?.ToLowerInvariant() switch
    {
        "interpreter" => InterpreterOnly,
        "eager" => Eager,
        string t when t.StartsWith("hot", StringComparison.Ordinal) && int.TryParse(t.AsSpan(3), out int n) && n is >= 0 and <= 254 =>
            new EngineOptions { HotThreshold = n, PaceCompilation = false },
        _ => Compiled,
    };

    private static readonly AsyncLocal<EngineOptions?> Scoped = new();

    /// <summary>The options machines made now use when none are given: those of the innermost <see cref="Use"/> scope
    /// of this execution context (it flows into tasks and parallel loops started inside it), else
    /// <see cref="ProcessDefault"/>.</summary>
    public static EngineOptions Current => Scoped.Value ?? ProcessDefault;

    /// <summary>Makes <paramref name="options"/> the <see cref="Current"/> options until the result is disposed.</summary>
    public static IDisposable Use(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.HotThreshold is < 0 or > 254)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "HotThreshold must be between 0 and 254");
        }

        EngineOptions? previous = Scoped.Value;
        Scoped.Value = options;
        return new Scope(previous);
    }

    private sealed class Scope(EngineOptions? previous) : IDisposable
    {
        private bool disposed;

        public void Dispose()
        {
            if (!disposed)
            {
                disposed = true;
                Scoped.Value = previous;
            }
        }
    }
}
