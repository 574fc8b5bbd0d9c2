using System;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace Thru.Interop;

/// <summary>The 16-byte domain-separation tags of Thru signatures (transactions.md §4).</summary>
public static class SignatureDomain
{
    /// <summary>Transactions: the only domain whose context is hashed (SHA-256) before signing.</summary>
    public const string Transaction = "tn_txn_sign_v1__";

    /// <summary>Block headers.</summary>
    public const string BlockHeader = "tn_blkhdr_sig_v1";

    /// <summary>Blocks.</summary>
    public const string Block = "tn_block_sig_v1_";

    /// <summary>Gossip messages.</summary>
    public const string Gossip = "tn_gossip_sig_v1";

    /// <summary>Node records.</summary>
    public const string NodeRecord = "tn_node_rec_v1__";

    /// <summary>EOA creation authorisation (82-byte message: DST ‖ chain_id u16 LE ‖ fee payer ‖ eoa).</summary>
    public const string EoaCreate = "tn_eoa_create_v1";

    /// <summary>EOA deletion authorisation (82-byte message, same layout as <see cref="EoaCreate"/>).</summary>
    public const string EoaDelete = "tn_eoa_delete_v1";

    /// <summary>Arbitrary messages.</summary>
    public const string Msg = "tn_msg_sign_v1__";
}

/// <summary>
/// Ed25519 (RFC 8032) through libsodium (Debian libsodium23 1.0.18): key derivation and signing for tests and
/// tools, and the STRICT verification rule of Thru (transactions.md §4).
/// </summary>
/// <remarks>
/// <para>The strict rule, as implemented by <see cref="Verify"/>: lengths 32 / 64; A and R canonically encoded
/// (y, after masking the sign bit, &lt; p = 2^255 − 19); S canonical (S &lt; L); neither A nor R of small order
/// (order dividing 8); A decodes to a curve point; cofactorless equation [S]B = R + [k]A with
/// k = SHA-512(R ‖ A ‖ M) mod L, checked by comparing the canonical encoding of [S]B − [k]A with the 32 bytes of R.</para>
/// <para>Division of labour. libsodium 1.0.18's <c>crypto_sign_verify_detached</c> (built without
/// <c>ED25519_COMPAT</c>, as Debian does) already rejects, before any point arithmetic: S ≥ L
/// (<c>sc25519_is_canonical</c>); R whose y (sign bit masked) is one of 0, 1, p−1, the two order-8 values, p or
/// p+1 (<c>ge25519_has_small_order</c>); A with y ≥ p (<c>ge25519_is_canonical</c>, added in 1.0.16 per its
/// ChangeLog) or in that same small-order list. It then decodes A (failure ⇒ reject) and compares the canonical
/// encoding of the recomputed R with the signature's R bytes, which rejects every non-canonical R. It has no
/// explicit canonicity check of R. Each small-order and S ≥ L rejection was confirmed by experiment on
/// otherwise-valid signatures (a permissive verifier accepts them, libsodium does not).</para>
/// <para>This class performs every encoding-level check itself (<see cref="IsCanonicalPoint"/> on A and R,
/// <see cref="IsCanonicalScalar"/> on S, <see cref="IsSmallOrderPoint"/> on A and R) before calling libsodium.
/// Against 1.0.18 the one check libsodium does not do explicitly is R's canonicity (it is implied there by the
/// byte comparison); the others are repeated so that the rule holds exactly even if a differently built or older
/// libsodium is loaded (an <c>ED25519_COMPAT</c> build checks only the top 3 bits of S and no points; before
/// 1.0.16 A's canonicity was not checked). libsodium supplies the point decoding and the cofactorless equation.</para>
/// </remarks>
public static unsafe class Sodium
{
    /// <summary>Length of an Ed25519 seed (the RFC 8032 private key).</summary>
    public const int SeedBytes = 32;

    /// <summary>Length of an Ed25519 public key.</summary>
    public const int PublicKeyBytes = 32;

    /// <summary>Length of an Ed25519 signature (R ‖ S).</summary>
    public const int SignatureBytes = 64;

    /// <summary>Length of <see cref="TransactionMessage"/>'s result: 16-byte tag ‖ SHA-256.</summary>
    public const int TransactionMessageBytes = 48;

    /// <summary>p = 2^255 − 19.</summary>
    private static readonly BigInteger P = (BigInteger.One << 255) - 19;

    /// <summary>L = 2^252 + 27742317777372353535851937790883648493, the prime order of the base point.</summary>
    private static readonly BigInteger L = (BigInteger.One << 252) + BigInteger.Parse("27742317777372353535851937790883648493");

    /// <summary>
    /// The y-coordinate of two of the four points of order 8 (the other two have p − y8). With y = 1 (identity),
    /// y = p − 1 (order 2) and y = 0 (order 4) these are the y-coordinates of the eight small-order points.
    /// The tests re-derive the torsion subgroup independently and check this value.
    /// </summary>
    private static readonly BigInteger Y8 = BigInteger.Parse(
        "2707385501144840649318225287225658788936804267575313519463743609750303402022");

    private static readonly Lazy<string?> InitError = new(Initialise, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// True when libsodium could be loaded, <c>sodium_init</c> succeeded (it is called once, thread-safely, on
    /// first use) and its Ed25519 parameters are the expected ones.
    /// </summary>
    public static bool IsAvailable => InitError.Value is null;

    /// <summary>Why libsodium is not available, or null when it is.</summary>
    public static string? UnavailableReason => InitError.Value;

    /// <summary>libsodium's version string (e.g. "1.0.18").</summary>
    /// <exception cref="SodiumException">libsodium is not available.</exception>
    public static string Version
    {
        get
        {
            EnsureAvailable();
            return Marshal.PtrToStringUTF8((IntPtr)SodiumNative.sodium_version_string()) ?? "";
        }
    }

    /// <summary>The Ed25519 public key of <paramref name="seed32"/> (<c>crypto_sign_seed_keypair</c>).</summary>
    /// <exception cref="ArgumentException">The seed is not 32 bytes.</exception>
    /// <exception cref="SodiumException">libsodium is not available or the call failed.</exception>
    public static byte[] PublicKeyFromSeed(ReadOnlySpan<byte> seed32)
    {
        CheckSeed(seed32);
        EnsureAvailable();
        var pk = new byte[PublicKeyBytes];
        Span<byte> sk = stackalloc byte[64];
        try
        {
            fixed (byte* s = seed32)
            fixed (byte* p = pk)
            fixed (byte* k = sk)
            {
                Check(SodiumNative.crypto_sign_seed_keypair(p, k, s), "crypto_sign_seed_keypair");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sk);
        }

        return pk;
    }

    /// <summary>
    /// The deterministic Ed25519 signature (R ‖ S, 64 bytes) of <paramref name="message"/> under the key of
    /// <paramref name="seed32"/> (<c>crypto_sign_seed_keypair</c> then <c>crypto_sign_detached</c>). The message
    /// is signed as given: build it with <see cref="TransactionMessage"/> or <see cref="DomainMessage"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The seed is not 32 bytes.</exception>
    /// <exception cref="SodiumException">libsodium is not available or a call failed.</exception>
    public static byte[] Sign(ReadOnlySpan<byte> seed32, ReadOnlySpan<byte> message)
    {
        CheckSeed(seed32);
        EnsureAvailable();
        var sig = new byte[SignatureBytes];
        Span<byte> pk = stackalloc byte[PublicKeyBytes];
        Span<byte> sk = stackalloc byte[64];
        byte empty = 0;
        try
        {
            fixed (byte* s = seed32)
            fixed (byte* p = pk)
            fixed (byte* k = sk)
            fixed (byte* m = message)
            fixed (byte* g = sig)
            {
                Check(SodiumNative.crypto_sign_seed_keypair(p, k, s), "crypto_sign_seed_keypair");
                ulong len = 0;
                Check(SodiumNative.crypto_sign_detached(g, &len, m == null ? &empty : m, (ulong)message.Length, k), "crypto_sign_detached");
                if (len != SignatureBytes)
                {
                    throw new SodiumException($"crypto_sign_detached produced {len} bytes, expected {SignatureBytes}");
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sk);
        }

        return sig;
    }

    /// <summary>
    /// Strict Ed25519 verification of <paramref name="signature64"/> over <paramref name="message"/> (given as
    /// signed, i.e. already domain-prefixed) under <paramref name="publicKey32"/>; the rule is in the class remarks.
    /// Any malformed input, including wrong lengths, gives false, never an exception.
    /// </summary>
    /// <exception cref="SodiumException">libsodium is not available (no answer can be given).</exception>
    public static bool Verify(ReadOnlySpan<byte> publicKey32, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature64)
    {
        if (publicKey32.Length != PublicKeyBytes || signature64.Length != SignatureBytes)
        {
            return false;
        }

        EnsureAvailable();
        var r = signature64[..32];
        var s = signature64[32..];
        if (!IsCanonicalPoint(publicKey32) || !IsCanonicalPoint(r) || !IsCanonicalScalar(s)
            || IsSmallOrderPoint(publicKey32) || IsSmallOrderPoint(r))
        {
            return false;
        }

        byte empty = 0;
        fixed (byte* a = publicKey32)
        fixed (byte* m = message)
        fixed (byte* g = signature64)
        {
            return SodiumNative.crypto_sign_verify_detached(g, m == null ? &empty : m, (ulong)message.Length, a) == 0;
        }
    }

    /// <summary>
    /// True when the 32-byte point encoding has its y-coordinate (the low 255 bits, sign bit masked) below
    /// p = 2^255 − 19. False for any other length. (Whether the point is on the curve is not checked here.)
    /// </summary>
    public static bool IsCanonicalPoint(ReadOnlySpan<byte> encoding32) =>
        encoding32.Length == 32 && MaskedY(encoding32) < P;

    /// <summary>True when the 32-byte little-endian scalar is below L. False for any other length.</summary>
    public static bool IsCanonicalScalar(ReadOnlySpan<byte> scalar32) =>
        scalar32.Length == 32 && new BigInteger(scalar32, isUnsigned: true, isBigEndian: false) < L;

    /// <summary>
    /// True when the 32-byte encoding denotes a point of small order (1, 2, 4 or 8): its y-coordinate, sign bit
    /// masked and reduced mod p, is 1, p − 1, 0, y8 or p − y8. Both signs of x are covered (for y = ±1 the
    /// "negative zero" x is included), as are the non-canonical encodings y = p (0) and y = p + 1 (1).
    /// False for any other length.
    /// </summary>
    public static bool IsSmallOrderPoint(ReadOnlySpan<byte> encoding32)
    {
        if (encoding32.Length != 32)
        {
            return false;
        }

        var y = MaskedY(encoding32) % P;
        return y.IsZero || y.IsOne || y == P - 1 || y == Y8 || y == P - Y8;
    }

    /// <summary>
    /// The message a fee payer signs for a transaction: "tn_txn_sign_v1__" ‖ SHA-256(<paramref name="body"/>)
    /// (48 bytes), body being every byte of the wire transaction except the trailing 64-byte signature.
    /// </summary>
    public static byte[] TransactionMessage(ReadOnlySpan<byte> body)
    {
        var m = new byte[TransactionMessageBytes];
        Encoding.ASCII.GetBytes(SignatureDomain.Transaction, m.AsSpan(0, 16));
        SHA256.HashData(body, m.AsSpan(16));
        return m;
    }

    /// <summary>
    /// The message signed in the raw domains: <paramref name="dst16"/> (16 ASCII characters, see
    /// <see cref="SignatureDomain"/>) ‖ <paramref name="context"/>, e.g. the 82-byte EOA authorisations
    /// "tn_eoa_create_v1" ‖ chain_id (u16 LE) ‖ fee payer (32) ‖ eoa (32).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="dst16"/> is not 16 ASCII characters.</exception>
    public static byte[] DomainMessage(string dst16, ReadOnlySpan<byte> context)
    {
        ArgumentNullException.ThrowIfNull(dst16);
        if (dst16.Length != 16 || !Ascii.IsValid(dst16))
        {
            throw new ArgumentException($"a domain tag is exactly 16 ASCII characters, got \"{dst16}\" ({dst16.Length} characters)", nameof(dst16));
        }

        var m = new byte[16 + context.Length];
        Encoding.ASCII.GetBytes(dst16, m.AsSpan(0, 16));
        context.CopyTo(m.AsSpan(16));
        return m;
    }

    private static BigInteger MaskedY(ReadOnlySpan<byte> encoding32)
    {
        Span<byte> y = stackalloc byte[32];
        encoding32.CopyTo(y);
        y[31] &= 0x7f;
        return new BigInteger(y, isUnsigned: true, isBigEndian: false);
    }

    private static void CheckSeed(ReadOnlySpan<byte> seed32)
    {
        if (seed32.Length != SeedBytes)
        {
            throw new ArgumentException($"an Ed25519 seed is {SeedBytes} bytes, got {seed32.Length}", nameof(seed32));
        }
    }

    private static void Check(int rc, string call)
    {
        if (rc != 0)
        {
            throw new SodiumException($"{call} failed (returned {rc})");
        }
    }

    private static void EnsureAvailable()
    {
        if (InitError.Value is { } reason)
        {
            throw new SodiumException(reason);
        }
    }

    /// <summary>Loads libsodium, runs <c>sodium_init</c> and checks the Ed25519 parameters; null on success.</summary>
    private static string? Initialise()
    {
        SodiumNative.EnsureResolver();
        try
        {
            var rc = SodiumNative.sodium_init();
            if (rc < 0)
            {
                return $"sodium_init failed (returned {rc})";
            }

            var primitive = Marshal.PtrToStringUTF8((IntPtr)SodiumNative.crypto_sign_primitive());
            if (primitive != "ed25519"
                || SodiumNative.crypto_sign_seedbytes() != SeedBytes
                || SodiumNative.crypto_sign_publickeybytes() != PublicKeyBytes
                || SodiumNative.crypto_sign_secretkeybytes() != 64
                || SodiumNative.crypto_sign_bytes() != SignatureBytes)
            {
                return $"libsodium's crypto_sign is not Ed25519 with 32/32/64/64-byte seed/public key/secret key/signature (primitive \"{primitive}\")";
            }

            return null;
        }
        catch (DllNotFoundException e)
        {
            return $"{SodiumNative.LibraryName} is not loadable (tried the default probe, then {string.Join(", ", SodiumNative.Candidates)}); install libsodium23: {e.Message}";
        }
        catch (EntryPointNotFoundException e)
        {
            return $"the loaded libsodium lacks an expected symbol: {e.Message}";
        }
    }
}
