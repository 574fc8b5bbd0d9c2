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
    /// Guest instructions a machine may compile over its life (every region counts, recompilations after self-modifying
    /// stores too). Past it, everything runs interpreted. Bounds the time and memory spent compiling.
    /// </summary>
    public int MaxCompiledInstructions { get; init; } = 1 << 16;

    /// <summary>The interpreter only.</summary>
    public static EngineOptions InterpreterOnly { get; } = new() { Compile = false };

    /// <summary>The compiled tier with the default thresholds.</summary>
    public static EngineOptions Compiled { get; } = new();

    /// <summary>
    /// The options of the process: the compiled tier, unless the environment variable <c>THRU_ENGINE_TIER</c> is
    /// <c>interpreter</c>.
    /// </summary>
    public static EngineOptions ProcessDefault { get; } =
        string.Equals(Environment.GetEnvironmentVariable("THRU_ENGINE_TIER"), "interpreter", StringComparison.OrdinalIgnoreCase)
            ? InterpreterOnly
            : Compiled;

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
