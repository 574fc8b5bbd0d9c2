using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Thru.Engine;

/// <summary>
/// The operations that take more than one line, from the RISC-V ISA Manual 20250508
/// (M: division rules of §13.2; Zbb/Zbc/Zbs: the Bitmanip chapter; Zknh: the scalar
/// crypto chapter, FIPS 180-4 σ/Σ functions).
/// </summary>
internal static class Alu
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SignExtend32(uint v) => (ulong)(long)(int)v;

    // M: division never traps. x/0 = all ones, x%0 = x; MIN/-1 = MIN, MIN%-1 = 0.
    public static ulong Div(ulong a, ulong b)
    {
        long x = (long)a, y = (long)b;
        if (y == 0) return ulong.MaxValue;
        if (y == -1) return (ulong)(0 - x); // also MIN / -1 = MIN (wraps)
        return (ulong)(x / y);
    }

    public static ulong Divu(ulong a, ulong b) => b == 0 ? ulong.MaxValue : a / b;

    public static ulong Rem(ulong a, ulong b)
    {
        long x = (long)a, y = (long)b;
        if (y == 0) return a;
        if (y == -1) return 0;
        return (ulong)(x % y);
    }

    public static ulong Remu(ulong a, ulong b) => b == 0 ? a : a % b;

    public static ulong Divw(ulong a, ulong b)
    {
        int x = (int)a, y = (int)b;
        if (y == 0) return ulong.MaxValue;
        if (y == -1) return SignExtend32((uint)(0 - x));
        return (ulong)(long)(x / y);
    }

    public static ulong Divuw(ulong a, ulong b)
    {
        uint x = (uint)a, y = (uint)b;
        return y == 0 ? ulong.MaxValue : SignExtend32(x / y);
    }

    public static ulong Remw(ulong a, ulong b)
    {
        int x = (int)a, y = (int)b;
        if (y == 0) return (ulong)(long)x;
        if (y == -1) return 0;
        return (ulong)(long)(x % y);
    }

    public static ulong Remuw(ulong a, ulong b)
    {
        uint x = (uint)a, y = (uint)b;
        return SignExtend32(y == 0 ? x : x % y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mulh(ulong a, ulong b) => (ulong)System.Math.BigMul((long)a, (long)b, out _);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mulhu(ulong a, ulong b) => System.Math.BigMul(a, b, out _);

    /// <summary>High half of signed(a) × unsigned(b): the unsigned product's high half, less b when a is negative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mulhsu(ulong a, ulong b) => System.Math.BigMul(a, b, out _) - ((long)a < 0 ? b : 0);

    // Zbc: carry-less products. clmul = bits 63:0, clmulh = bits 127:64, clmulr = bits 126:63.
    private static (ulong Low, ulong High) CarrylessProduct(ulong a, ulong b)
    {
        if (Pclmulqdq.IsSupported)
        {
            Vector128<ulong> p = Pclmulqdq.CarrylessMultiply(Vector128.CreateScalar(a), Vector128.CreateScalar(b), 0);
            return (p.GetElement(0), p.GetElement(1));
        }

        ulong low = 0, high = 0;
        for (int i = 0; i < 64; i++)
        {
            if (((b >> i) & 1) != 0)
            {
                low ^= a << i;
                high ^= i == 0 ? 0 : a >> (64 - i);
            }
        }

        return (low, high);
    }

    public static ulong Clmul(ulong a, ulong b) => CarrylessProduct(a, b).Low;

    public static ulong Clmulh(ulong a, ulong b) => CarrylessProduct(a, b).High;

    public static ulong Clmulr(ulong a, ulong b)
    {
        (ulong low, ulong high) = CarrylessProduct(a, b);
        return (high << 1) | (low >> 63);
    }

    // Zbb
    /// <summary>Each byte becomes 0xFF if it is non-zero, else 0x00.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong OrcB(ulong x)
    {
        const ulong low7 = 0x7F7F_7F7F_7F7F_7F7F;
        ulong nonZero = (((x & low7) + low7) | x) & ~low7; // top bit of each byte: byte != 0
        return (nonZero >> 7) * 0xFF;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Rev8(ulong x) => BinaryPrimitives.ReverseEndianness(x);

    // Zknh (RV64): SHA-256 functions work on the low word and sign-extend it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Ror32(ulong x, int n) => BitOperations.RotateRight((uint)x, n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Sha256Sum0(ulong x) => SignExtend32((uint)(Ror32(x, 2) ^ Ror32(x, 13) ^ Ror32(x, 22)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Sha256Sum1(ulong x) => SignExtend32((uint)(Ror32(x, 6) ^ Ror32(x, 11) ^ Ror32(x, 25)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Sha256Sig0(ulong x) => SignExtend32((uint)(Ror32(x, 7) ^ Ror32(x, 18) ^ ((uint)x >> 3)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Sha256Sig1(ulong x) => SignExtend32((uint)(Ror32(x, 17) ^ Ror32(x, 19) ^ ((uint)x >> 10)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Sha512Sum0(ulong x) => BitOperations.RotateRight(x, 28) ^ BitOperations.RotateRight(x, 34) ^ BitOperations.RotateRight(x, 39);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Sha512Sum1(ulong x) => BitOperations.RotateRight(x, 14) ^ BitOperations.RotateRight(x, 18) ^ BitOperations.RotateRight(x, 41);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Sha512Sig0(ulong x) => BitOperations.RotateRight(x, 1) ^ BitOperations.RotateRight(x, 8) ^ (x >> 7);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Sha512Sig1(ulong x) => BitOperations.RotateRight(x, 19) ^ BitOperations.RotateRight(x, 61) ^ (x >> 6);
}
