using System;

namespace Thru.Engine;

/// <summary>How a raw-mode run ended (the same fields as the model's observation).</summary>
/// <param name="Stop">"ecall", "ebreak", "fault" or "limit".</param>
/// <param name="Fault">When <paramref name="Stop"/> is "fault": "illegal-instruction", "invalid-address" or
/// "alignment-violation"; otherwise null.</param>
/// <param name="Pc">The stopping instruction (ecall, ebreak, fault), or the next one at the limit.</param>
/// <param name="Instructions">Instructions retired; the stopping instruction is not counted.</param>
/// <param name="Regs">x0..x31 at the stop.</param>
/// <param name="Window">The bytes of the requested memory window after the run (bytes outside the region read as 0).</param>
public sealed record RawResult(string Stop, string? Fault, ulong Pc, long Instructions, ulong[] Regs, byte[] Window);

/// <summary>
/// Raw RV64 mode on the engine (decision D-RAW): a flat, zero-filled, read/write region of 16 MiB at a 4 KiB-aligned
/// base holding the image; all registers 0 and pc at the base unless given; run until ecall, ebreak, a fault or
/// <c>maxSteps</c> retired instructions.
/// </summary>
public static class RawMode
{
    /// <summary>The size of the raw region, 16 MiB.</summary>
    public const ulong RegionSize = RawAddressSpace.RegionSize;

    /// <summary>Why an image cannot be loaded, in the model's words (Raw.describeLoadError); null when it can.</summary>
    public static string? LoadError(int imageLength, ulong baseAddress)
    {
        if (baseAddress % 0x1000 != 0)
        {
            return $"base 0x{baseAddress:x} is not a multiple of 0x1000";
        }

        if (baseAddress > ulong.MaxValue - RegionSize + 1)
        {
            return $"base 0x{baseAddress:x} leaves no room for a 16 MiB region below 2^64";
        }

        if ((ulong)imageLength > RegionSize)
        {
            return $"image of {imageLength} bytes does not fit the 16 MiB region";
        }

        return null;
    }

    /// <summary>Loads <paramref name="image"/> at <paramref name="baseAddress"/>, zeroes every register, sets pc to the base and runs.</summary>
    /// <exception cref="ArgumentException">The base is not 4 KiB aligned, the region passes 2^64, or the image is larger than 16 MiB.</exception>
    public static RawResult Run(ReadOnlySpan<byte> image, ulong baseAddress, long maxSteps, ulong windowAddress = 0, int windowLength = 0) =>
        Run(image, baseAddress, maxSteps, ReadOnlySpan<ulong>.Empty, baseAddress, windowAddress, windowLength);

    /// <summary>
    /// Like <see cref="Run(ReadOnlySpan{byte}, ulong, long, ulong, int)"/>, starting from the given registers
    /// (x0..x31, x0 ignored; fewer than 32 values leave the rest 0) and pc.
    /// </summary>
    public static RawResult Run(ReadOnlySpan<byte> image, ulong baseAddress, long maxSteps, ReadOnlySpan<ulong> initialRegs, ulong initialPc, ulong windowAddress = 0, int windowLength = 0)
    {
        (RawAddressSpace space, Machine machine) = Load(image, baseAddress, maxSteps, initialRegs, initialPc, windowLength);
        using (space)
        using (machine)
        {
            return Result(space, machine, machine.Run(), windowAddress, windowLength);
        }
    }

    /// <summary>The address space and the machine of a run, ready to start (<see cref="Run(ReadOnlySpan{byte}, ulong, long, ReadOnlySpan{ulong}, ulong, ulong, int)"/>'s checks and loading).</summary>
    internal static (RawAddressSpace Space, Machine Machine) Load(ReadOnlySpan<byte> image, ulong baseAddress, long maxSteps, ReadOnlySpan<ulong> initialRegs, ulong initialPc, int windowLength)
    {
        string? error = LoadError(image.Length, baseAddress);
        if (error != null)
        {
            throw new ArgumentException(error);
        }

        ArgumentOutOfRangeException.ThrowIfNegative(maxSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(windowLength);
        if (initialRegs.Length > 32)
        {
            throw new ArgumentException("at most 32 initial registers", nameof(initialRegs));
        }

        var space = new RawAddressSpace(baseAddress);
        space.Write(0, image);
        var machine = new Machine(space, CostModel.Instructions);
        for (int r = 1; r < initialRegs.Length; r++)
        {
            machine.SetRegister(r, initialRegs[r]);
        }

        machine.Pc = initialPc;
        machine.Budget = maxSteps;
        return (space, machine);
    }

    /// <summary>The result of a run that stopped with <paramref name="stop"/>.</summary>
    internal static RawResult Result(RawAddressSpace space, Machine machine, StopReason stop, ulong windowAddress, int windowLength)
    {
        var regs = new ulong[32];
        for (int r = 0; r < 32; r++)
        {
            regs[r] = machine.GetRegister(r);
        }

        var window = new byte[windowLength];
        for (int i = 0; i < windowLength; i++)
        {
            window[i] = space.ReadByte(windowAddress + (ulong)i);
        }

        return stop switch
        {
            StopReason.Ecall => new RawResult("ecall", null, machine.Pc, machine.Instructions, regs, window),
            StopReason.Ebreak => new RawResult("ebreak", null, machine.Pc, machine.Instructions, regs, window),
            StopReason.Fault => new RawResult("fault", FaultNames.Name(machine.Fault), machine.Pc, machine.Instructions, regs, window),
            _ => new RawResult("limit", null, machine.Pc, machine.Instructions, regs, window),
        };
    }
}
