using System;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace Thru.Interop;

/// <summary>libsodium cannot be used: not loadable, failed to initialise, or unexpected parameters.</summary>
public sealed class SodiumException : Exception
{
    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public SodiumException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the underlying failure.</summary>
    public SodiumException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// P/Invoke declarations for libsodium.so.23 (Debian libsodium23, libsodium 1.0.18). Only the Ed25519 calls
/// and what is needed to check the library are bound.
/// </summary>
/// <remarks>
/// Loading: <c>NativeLibrary.SetDllImportResolver</c> accepts one resolver per assembly and
/// <see cref="UnicornNative"/> already owns it, so libsodium's fallbacks hang off
/// <see cref="AssemblyLoadContext.ResolvingUnmanagedDll"/> instead. The default probe already tries the exact
/// soname <c>libsodium.so.23</c> (found through the ld.so cache, no <c>-dev</c> symlink needed); the event is
/// only raised when that fails, and then tries the multiarch path and other sonames.
/// </remarks>
internal static unsafe partial class SodiumNative
{
    internal const string LibraryName = "libsodium.so.23";

    /// <summary>What is tried, in order, when the default probe of <see cref="LibraryName"/> fails.</summary>
    internal static readonly string[] Candidates =
    [
        "libsodium.so.23",
        "/usr/lib/x86_64-linux-gnu/libsodium.so.23",
        "/usr/lib/aarch64-linux-gnu/libsodium.so.23",
        "libsodium.so.26", // libsodium 1.0.19+
        "libsodium.so",
    ];

    static SodiumNative()
    {
        var context = AssemblyLoadContext.GetLoadContext(typeof(SodiumNative).Assembly) ?? AssemblyLoadContext.Default;
        context.ResolvingUnmanagedDll += Resolve;
    }

    /// <summary>Touching this forces the static constructor (and thus the fallback hook) to run.</summary>
    internal static void EnsureResolver()
    {
    }

    private static IntPtr Resolve(Assembly assembly, string libraryName)
    {
        if (libraryName != LibraryName || assembly != typeof(SodiumNative).Assembly)
        {
            return IntPtr.Zero;
        }

        foreach (var candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var h))
            {
                return h;
            }
        }

        return IntPtr.Zero;
    }

    [LibraryImport(LibraryName)]
    internal static partial int sodium_init();

    [LibraryImport(LibraryName)]
    internal static partial byte* sodium_version_string();

    [LibraryImport(LibraryName)]
    internal static partial byte* crypto_sign_primitive();

    [LibraryImport(LibraryName)]
    internal static partial nuint crypto_sign_seedbytes();

    [LibraryImport(LibraryName)]
    internal static partial nuint crypto_sign_publickeybytes();

    [LibraryImport(LibraryName)]
    internal static partial nuint crypto_sign_secretkeybytes();

    [LibraryImport(LibraryName)]
    internal static partial nuint crypto_sign_bytes();

    /// <summary><c>int crypto_sign_seed_keypair(unsigned char *pk, unsigned char *sk, const unsigned char *seed)</c>.</summary>
    [LibraryImport(LibraryName)]
    internal static partial int crypto_sign_seed_keypair(byte* pk, byte* sk, byte* seed);

    /// <summary>
    /// <c>int crypto_sign_detached(unsigned char *sig, unsigned long long *siglen_p, const unsigned char *m,
    /// unsigned long long mlen, const unsigned char *sk)</c>.
    /// </summary>
    [LibraryImport(LibraryName)]
    internal static partial int crypto_sign_detached(byte* sig, ulong* siglen, byte* m, ulong mlen, byte* sk);

    /// <summary>
    /// <c>int crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m,
    /// unsigned long long mlen, const unsigned char *pk)</c>: 0 when valid, -1 otherwise.
    /// </summary>
    [LibraryImport(LibraryName)]
    internal static partial int crypto_sign_verify_detached(byte* sig, byte* m, ulong mlen, byte* pk);
}
