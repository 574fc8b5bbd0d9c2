/// Known answers for the manual's corner cases (division, overflow, W-form sign extension,
/// shift masking) and for Zknh: literal values computed independently (Python, from the
/// FIPS 180-4 Σ/σ definitions), and whole SHA-256 / SHA-512 digests built from the model's
/// Zknh semantics checked against .NET's cryptography library.
module Thru.Tests.Isa.KnownAnswerTests

open Expecto
open Thru.Tests.Support
open Thru.Model.Isa

let private minI64 = 0x8000_0000_0000_0000UL
let private allOnes = System.UInt64.MaxValue
let private neg (v: int64) = uint64 v

let private regCases: (RegOp * uint64 * uint64 * uint64) list =
    [ // Division by zero: quotient all ones, remainder the dividend (no trap).
      DIV, 7UL, 0UL, allOnes
      DIVU, 7UL, 0UL, allOnes
      REM, 7UL, 0UL, 7UL
      REMU, neg -7L, 0UL, neg -7L
      DIVW, 7UL, 0UL, allOnes
      DIVUW, 7UL, 0UL, allOnes // 2^32-1 sign-extended
      REMW, neg -7L, 0UL, neg -7L
      REMUW, 0x1_8000_0000UL, 0UL, 0xFFFF_FFFF_8000_0000UL // dividend's low 32 bits, sign-extended
      // Signed overflow: MIN / -1 = MIN, MIN % -1 = 0.
      DIV, minI64, allOnes, minI64
      REM, minI64, allOnes, 0UL
      DIVW, 0x8000_0000UL, allOnes, 0xFFFF_FFFF_8000_0000UL
      REMW, 0x8000_0000UL, allOnes, 0UL
      // Rounding toward zero; remainder has the dividend's sign.
      DIV, neg -7L, 2UL, neg -3L
      REM, neg -7L, 2UL, neg -1L
      DIVU, neg -7L, 2UL, 0x7FFF_FFFF_FFFF_FFFCUL
      // W forms compute on 32 bits and sign-extend.
      ADDW, 0x7FFF_FFFFUL, 1UL, 0xFFFF_FFFF_8000_0000UL
      SUBW, 0UL, 1UL, allOnes
      MULW, 0x1_0000_0001UL, 0x8000_0000UL, 0xFFFF_FFFF_8000_0000UL
      SLLW, 1UL, 31UL, 0xFFFF_FFFF_8000_0000UL
      SRLW, 0xFFFF_FFFF_8000_0000UL, 31UL, 1UL
      SRAW, 0x8000_0000UL, 31UL, allOnes
      // Shift amounts are masked: 6 bits for 64-bit shifts, 5 bits for W shifts.
      SLL, 1UL, 64UL, 1UL
      SLL, 1UL, 65UL, 2UL
      SRL, minI64, 127UL, 1UL
      SRA, minI64, 63UL, allOnes
      SLLW, 1UL, 32UL, 1UL
      SRLW, 0x8000_0000UL, 63UL, 1UL
      ROL, minI64, 65UL, 1UL
      ROR, 1UL, 64UL, 1UL
      RORW, 1UL, 33UL, 0xFFFF_FFFF_8000_0000UL
      // High multiplies.
      MULH, allOnes, allOnes, 0UL // (-1)(-1) = 1
      MULHU, allOnes, allOnes, neg -2L // (2^64-1)^2 = 2^128 - 2^65 + 1
      MULHSU, allOnes, allOnes, allOnes // (-1)(2^64-1), high part -1
      MULH, minI64, minI64, 0x4000_0000_0000_0000UL
      // Zba / Zbb / Zbs / Zbc spot values.
      SH3ADD_UW, 0xFFFF_FFFF_0000_0001UL, 1UL, 9UL
      ADD_UW, allOnes, 1UL, 0x1_0000_0000UL
      MIN, allOnes, 1UL, allOnes
      MINU, allOnes, 1UL, 1UL
      BEXT, minI64, 63UL, 1UL
      BINV, 0UL, 64UL, 1UL
      CLMUL, 3UL, 3UL, 5UL
      CLMULH, minI64, 2UL, 1UL
      CLMULR, minI64, 2UL, 2UL // bits [126:63] of 2^64
      CLMULR, 1UL, minI64, 1UL ]

// SHA-256 and SHA-512 written with the model's Zknh operations for Σ0, Σ1, σ0, σ1 (and plain
// arithmetic for the rest of FIPS 180-4 §6.2, §6.4), so that a digest mismatch exposes a
// wrong Zknh definition.

/// FIPS 180-4 §4.2.2 and §5.3.3 (the same tables the benchmark's SHA-256 kernel stores; a wrong
/// entry fails the digest comparisons here and the kernel's FIPS 180-2 test).
let private k256 = Thru.Cli.Kernels.sha256K

let private z256 op (x: uint32) = uint32 (Semantics.unaryOp op (uint64 x))

let private pad (blockBytes: int) (lengthBytes: int) (msg: byte[]) =
    let total = ((msg.Length + 1 + lengthBytes + blockBytes - 1) / blockBytes) * blockBytes
    let out = Array.zeroCreate<byte> total
    msg.CopyTo(out, 0)
    out[msg.Length] <- 0x80uy
    let bitLen = uint64 msg.Length * 8UL

    for i in 0..7 do
        out[total - 1 - i] <- byte (bitLen >>> (8 * i))

    out

let private sha256 (msg: byte[]) : byte[] =
    let h = Array.copy Thru.Cli.Kernels.sha256H0
    let data = pad 64 8 msg

    for block in 0 .. data.Length / 64 - 1 do
        let w = Array.zeroCreate<uint32> 64

        for t in 0..15 do
            w[t] <- System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(System.ReadOnlySpan(data, block * 64 + 4 * t, 4))

        for t in 16..63 do
            w[t] <- z256 SHA256SIG1 w[t - 2] + w[t - 7] + z256 SHA256SIG0 w[t - 15] + w[t - 16]

        let v = Array.copy h

        for t in 0..63 do
            let a, b, c, d, e, f, g, hh = v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
            let t1 = hh + z256 SHA256SUM1 e + ((e &&& f) ^^^ (~~~e &&& g)) + k256[t] + w[t]
            let t2 = z256 SHA256SUM0 a + ((a &&& b) ^^^ (a &&& c) ^^^ (b &&& c))
            v[7] <- g; v[6] <- f; v[5] <- e; v[4] <- d + t1; v[3] <- c; v[2] <- b; v[1] <- a; v[0] <- t1 + t2

        for i in 0..7 do
            h[i] <- h[i] + v[i]

    h |> Array.collect (fun x -> [| byte (x >>> 24); byte (x >>> 16); byte (x >>> 8); byte x |])

let private k512 =
    // The SHA-512 constants are the first 64 bits of the fractional parts of the cube roots of
    // the first 80 primes (FIPS 180-4 §4.2.3); derive them exactly rather than copy a table.
    let primes = Seq.initInfinite id |> Seq.filter (fun n -> n > 1 && Seq.forall (fun d -> n % d <> 0) (seq { 2 .. int (sqrt (float n)) })) |> Seq.take 80

    primes
    |> Seq.map (fun p ->
        // floor(frac(cbrt p) * 2^64) by integer search: the largest r with r^3 <= p * 2^192.
        let target = System.Numerics.BigInteger p <<< 192
        let rec search (lo: System.Numerics.BigInteger) (hi: System.Numerics.BigInteger) =
            if hi - lo <= System.Numerics.BigInteger.One then lo
            else
                let mid = (lo + hi) >>> 1
                if mid * mid * mid <= target then search mid hi else search lo mid
        let root = search System.Numerics.BigInteger.Zero (System.Numerics.BigInteger.One <<< 70)
        uint64 (root &&& System.Numerics.BigInteger System.UInt64.MaxValue))
    |> Array.ofSeq

let private sha512 (msg: byte[]) : byte[] =
    // Initial hash: fractional parts of the square roots of the first 8 primes (FIPS 180-4 §5.3.5).
    let h =
        [| 0x6a09e667f3bcc908UL; 0xbb67ae8584caa73bUL; 0x3c6ef372fe94f82bUL; 0xa54ff53a5f1d36f1UL
           0x510e527fade682d1UL; 0x9b05688c2b3e6c1fUL; 0x1f83d9abfb41bd6bUL; 0x5be0cd19137e2179UL |]

    let data = pad 128 16 msg
    let z op x = Semantics.unaryOp op x

    for block in 0 .. data.Length / 128 - 1 do
        let w = Array.zeroCreate<uint64> 80

        for t in 0..15 do
            w[t] <- System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(System.ReadOnlySpan(data, block * 128 + 8 * t, 8))

        for t in 16..79 do
            w[t] <- z SHA512SIG1 w[t - 2] + w[t - 7] + z SHA512SIG0 w[t - 15] + w[t - 16]

        let v = Array.copy h

        for t in 0..79 do
            let a, b, c, d, e, f, g, hh = v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
            let t1 = hh + z SHA512SUM1 e + ((e &&& f) ^^^ (~~~e &&& g)) + k512[t] + w[t]
            let t2 = z SHA512SUM0 a + ((a &&& b) ^^^ (a &&& c) ^^^ (b &&& c))
            v[7] <- g; v[6] <- f; v[5] <- e; v[4] <- d + t1; v[3] <- c; v[2] <- b; v[1] <- a; v[0] <- t1 + t2

        for i in 0..7 do
            h[i] <- h[i] + v[i]

    h |> Array.collect (fun x -> Array.init 8 (fun i -> byte (x >>> (56 - 8 * i))))

[<Tests>]
let tests =
    testList "Isa.KnownAnswerTests" [
        testCase "register-register corner cases" <| fun () ->
            for op, a, b, expected in regCases do
                Expect.equal (Semantics.regOp op a b) expected (sprintf "%A 0x%x 0x%x" op a b)

        testCase "immediate and unary corner cases" <| fun () ->
            Expect.equal (Semantics.immOp ADDIW 0x7FFF_FFFFUL 1L) 0xFFFF_FFFF_8000_0000UL "Semantics.immOp ADDIW 0x7FFF_FFFFUL 1L"
            Expect.equal (Semantics.immOp SLTIU 5UL -1L) 1UL "Semantics.immOp SLTIU 5UL -1L" // -1 compares as 2^64-1
            Expect.equal (Semantics.shiftImmOp SRAIW 0x8000_0000UL 0) 0xFFFF_FFFF_8000_0000UL "Semantics.shiftImmOp SRAIW 0x8000_0000UL 0"
            Expect.equal (Semantics.shiftImmOp SLLI_UW 0xFFFF_FFFF_FFFF_FFFFUL 4) 0xF_FFFF_FFF0UL "Semantics.shiftImmOp SLLI_UW 0xFFFF_FFFF_FFFF_FFFFUL 4"
            Expect.equal (Semantics.shiftImmOp RORIW 1UL 1) 0xFFFF_FFFF_8000_0000UL "Semantics.shiftImmOp RORIW 1UL 1"
            Expect.equal (Semantics.unaryOp CLZ 0UL) 64UL "Semantics.unaryOp CLZ 0UL"
            Expect.equal (Semantics.unaryOp CTZ 0UL) 64UL "Semantics.unaryOp CTZ 0UL"
            Expect.equal (Semantics.unaryOp CLZW 0xFFFF_FFFF_0000_0000UL) 32UL "Semantics.unaryOp CLZW 0xFFFF_FFFF_0000_0000UL"
            Expect.equal (Semantics.unaryOp CTZW 0UL) 32UL "Semantics.unaryOp CTZW 0UL"
            Expect.equal (Semantics.unaryOp CPOPW allOnes) 32UL "Semantics.unaryOp CPOPW allOnes"
            Expect.equal (Semantics.unaryOp SEXT_B 0x80UL) 0xFFFF_FFFF_FFFF_FF80UL "Semantics.unaryOp SEXT_B 0x80UL"
            Expect.equal (Semantics.unaryOp SEXT_H 0x7FFFUL) 0x7FFFUL "Semantics.unaryOp SEXT_H 0x7FFFUL"
            Expect.equal (Semantics.unaryOp ZEXT_H allOnes) 0xFFFFUL "Semantics.unaryOp ZEXT_H allOnes"
            Expect.equal (Semantics.unaryOp ORC_B 0x0100_0000_0080_0001UL) 0xFF00_0000_00FF_00FFUL "Semantics.unaryOp ORC_B 0x0100_0000_0080_0001UL"
            Expect.equal (Semantics.unaryOp REV8 0x0102_0304_0506_0708UL) 0x0807_0605_0403_0201UL "Semantics.unaryOp REV8 0x0102_0304_0506_0708UL"

        testCase "Zknh on a known value (expected values computed independently from the FIPS 180-4 definitions)" <| fun () ->
            let x = 0xdead_beef_6a09_e667UL

            let expected =
                [ SHA256SUM0, 0xffff_ffff_ce20_b47eUL
                  SHA256SUM1, 0x0000_0000_55b6_5510UL
                  SHA256SIG0, 0xffff_ffff_ba0c_f582UL
                  SHA256SIG1, 0xffff_ffff_cfe5_da3cUL
                  SHA512SUM0, 0xa4c8_0c28_d2cd_da30UL
                  SHA512SUM1, 0x97b3_89ee_a7e9_247aUL
                  SHA512SIG0, 0x8935_29b4_84ba_e919UL
                  SHA512SIG1, 0xcadb_ba55_5a3a_f9e6UL ]

            for op, v in expected do
                Expect.equal (Semantics.unaryOp op x) v (sprintf "%A" op)

        testCase "SHA-256 built on the model's Zknh SHA-256 operations matches .NET on 200 messages" <| fun () ->
            let rng = System.Random 7

            for len in [ 0; 3; 55; 56; 63; 64; 65; 119; 120; 1000 ] @ List.init 190 (fun _ -> rng.Next 600) do
                let msg = Array.init len (fun _ -> byte (rng.Next 256))
                Expect.equal (System.Convert.ToHexString(sha256 msg)) (System.Convert.ToHexString(System.Security.Cryptography.SHA256.HashData msg)) (sprintf "length %d" len)

        testCase "SHA-512 built on the model's Zknh SHA-512 operations matches .NET on 100 messages" <| fun () ->
            let rng = System.Random 9

            for len in [ 0; 3; 111; 112; 127; 128; 129 ] @ List.init 93 (fun _ -> rng.Next 700) do
                let msg = Array.init len (fun _ -> byte (rng.Next 256))
                Expect.equal (System.Convert.ToHexString(sha512 msg)) (System.Convert.ToHexString(System.Security.Cryptography.SHA512.HashData msg)) (sprintf "length %d" len)
    ]
