/// Ed25519 through Thru.Interop.Sodium (libsodium 1.0.18): the transaction golden vector of
/// transactions.md §4, RFC 8032 §7.1 tests 1–3, and the strict verification rule (canonical A, R and S,
/// no small-order A or R, cofactorless equation). The edge cases are built with an independent
/// edwards25519 implementation written here (BigInteger, extended coordinates), which also checks that
/// each crafted signature really satisfies the equation, so a rejection can only come from the strict checks.
module Thru.Tests.Crypto.SodiumTests

open System
open System.Numerics
open System.Security.Cryptography
open System.Text
open Expecto
open Thru.Tests.Support
open Thru.Interop

// ---------------------------------------------------------------------------------------------
// Wrappers (byte[] in, spans out of sight).

let private hex (s: string) = Convert.FromHexString s
let private toHex (b: byte[]) = Convert.ToHexString(b).ToLowerInvariant()
let private ascii (s: string) = Encoding.ASCII.GetBytes s
let private publicKey (seed: byte[]) = Sodium.PublicKeyFromSeed(ReadOnlySpan seed)
let private sign (seed: byte[]) (msg: byte[]) = Sodium.Sign(ReadOnlySpan seed, ReadOnlySpan msg)
let private verify (pk: byte[]) (msg: byte[]) (sg: byte[]) = Sodium.Verify(ReadOnlySpan pk, ReadOnlySpan msg, ReadOnlySpan sg)
let private txnMessage (body: byte[]) = Sodium.TransactionMessage(ReadOnlySpan body)
let private domainMessage dst (ctx: byte[]) = Sodium.DomainMessage(dst, ReadOnlySpan ctx)
let private isSmallOrder (e: byte[]) = Sodium.IsSmallOrderPoint(ReadOnlySpan e)
let private isCanonicalPoint (e: byte[]) = Sodium.IsCanonicalPoint(ReadOnlySpan e)

// ---------------------------------------------------------------------------------------------
// Independent edwards25519 (RFC 8032 §5.1): -x^2 + y^2 = 1 + d x^2 y^2 over GF(p).

let private p = (BigInteger.One <<< 255) - BigInteger 19
let private L = (BigInteger.One <<< 252) + BigInteger.Parse "27742317777372353535851937790883648493"

let private md (x: BigInteger) =
    let r = BigInteger.Remainder(x, p)
    if r.Sign < 0 then r + p else r

let private inv (x: BigInteger) = BigInteger.ModPow(md x, p - BigInteger 2, p)
let private d = md (BigInteger -121665 * inv (BigInteger 121666))
let private sqrtM1 = BigInteger.ModPow(BigInteger 2, (p - BigInteger.One) / BigInteger 4, p)

/// Extended coordinates (X, Y, Z, T): x = X/Z, y = Y/Z, xy = T/Z.
type private Pt = { X: BigInteger; Y: BigInteger; Z: BigInteger; T: BigInteger }

let private ofAffine (x: BigInteger) (y: BigInteger) = { X = x; Y = y; Z = BigInteger.One; T = md (x * y) }
let private identity = ofAffine BigInteger.Zero BigInteger.One

/// The complete addition law for a = -1 (Hisil–Wong–Carter–Dawson, "add-2008-hwcd-3").
let private add (a: Pt) (b: Pt) =
    let aa = md ((a.Y - a.X) * (b.Y - b.X))
    let bb = md ((a.Y + a.X) * (b.Y + b.X))
    let cc = md (BigInteger 2 * d * a.T * b.T)
    let dd = md (BigInteger 2 * a.Z * b.Z)
    let e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    { X = md (e * f); Y = md (g * h); Z = md (f * g); T = md (e * h) }

let private mul (k: BigInteger) (pt: Pt) =
    let mutable r = identity
    let mutable q = pt
    let mutable k = k

    while k.Sign > 0 do
        if not k.IsEven then r <- add r q
        q <- add q q
        k <- k >>> 1

    r

let private affine (pt: Pt) =
    let zi = inv pt.Z
    md (pt.X * zi), md (pt.Y * zi)

let private same a b = affine a = affine b
let private isIdentity pt = same pt identity

let private le32 (n: BigInteger) =
    let b = n.ToByteArray(isUnsigned = true, isBigEndian = false)
    Array.append b (Array.zeroCreate (32 - b.Length))

let private ofLe (b: byte[]) = BigInteger(ReadOnlySpan b, isUnsigned = true, isBigEndian = false)

let private encode (pt: Pt) =
    let x, y = affine pt
    le32 (if x.IsEven then y else y ||| (BigInteger.One <<< 255))

/// Permissive decoding, like libsodium's: y is taken mod p (so non-canonical y ≥ p decode) and the sign bit
/// picks x, also for x = 0 ("negative zero"). None when x^2 = (y^2 - 1) / (d y^2 + 1) has no root.
let private decode (enc: byte[]) =
    let v = ofLe enc
    let sign = not (v >>> 255).IsZero
    let y = md (v &&& ((BigInteger.One <<< 255) - BigInteger.One))
    let x2 = md ((y * y - BigInteger.One) * inv (d * y * y + BigInteger.One))
    let c = BigInteger.ModPow(x2, (p + BigInteger 3) / BigInteger 8, p)
    let x = if (md (c * c - x2)).IsZero then Some c elif (md (c * c + x2)).IsZero then Some(md (c * sqrtM1)) else None

    x |> Option.map (fun x -> ofAffine (if (not x.IsEven) <> sign then md (p - x) else x) y)

let private decodeExn enc =
    match decode enc with
    | Some pt -> pt
    | None -> failwithf "%s is not a curve point" (toHex enc)

let private basePoint =
    let y = md (BigInteger 4 * inv (BigInteger 5))
    let x, _ = affine (decodeExn (le32 y)) // sign bit 0: the even x
    ofAffine x y

let private sha512 (parts: byte[] list) = SHA512.HashData(Array.concat parts)

/// The secret scalar of a seed (RFC 8032 §5.1.5: low half of SHA-512(seed), clamped).
let private secretScalar (seed: byte[]) =
    let h = (sha512 [ seed ])[0..31]
    h[0] <- h[0] &&& 248uy
    h[31] <- (h[31] &&& 127uy) ||| 64uy
    ofLe h

/// k = SHA-512(R ‖ A ‖ M) mod L.
let private challenge (r: byte[]) (a: byte[]) (m: byte[]) = BigInteger.Remainder(ofLe (sha512 [ r; a; m ]), L)

/// A verifier with no strict checks at all: permissive decoding, S used unreduced, points compared as points.
let private cofactorless (a: byte[]) (m: byte[]) (sg: byte[]) =
    match decode a, decode sg[0..31] with
    | Some pa, Some pr -> same (mul (ofLe sg[32..]) basePoint) (add pr (mul (challenge sg[0..31] a m) pa))
    | _ -> false

/// The cofactored equation [8][S]B = [8]R + [8][k]A, also without strict checks.
let private cofactored (a: byte[]) (m: byte[]) (sg: byte[]) =
    match decode a, decode sg[0..31] with
    | Some pa, Some pr ->
        let eight = BigInteger 8
        same (mul eight (mul (ofLe sg[32..]) basePoint)) (mul eight (add pr (mul (challenge sg[0..31] a m) pa)))
    | _ -> false

let private order8 =
    // [L]P is in the torsion subgroup for any curve point P; the first small y giving one of order 8.
    Seq.initInfinite (fun i -> decode (le32 (BigInteger(i + 2))))
    |> Seq.choose id
    |> Seq.map (mul L)
    |> Seq.find (fun t -> not (isIdentity (mul (BigInteger 4) t)))

/// The eight small-order points [i]T8, i = 0..7 (order of [i]T8 is 8 / gcd(i, 8)).
let private torsion = List.init 8 (fun i -> mul (BigInteger i) order8)

let private orderOf (pt: Pt) =
    [ 1; 2; 4; 8 ] |> List.find (fun n -> isIdentity (mul (BigInteger n) pt))

let private withSignBit (enc: byte[]) =
    let e = Array.copy enc
    e[31] <- e[31] ||| 0x80uy
    e

/// Every 32-byte string that decodes to a small-order point: the 8 canonical encodings, "negative zero" x for
/// y = 1 and y = p - 1, and the non-canonical y = p (≡ 0) and y = p + 1 (≡ 1) with either sign bit.
let private smallOrderEncodings =
    let canonical = torsion |> List.map (fun t -> sprintf "order %d, %s" (orderOf t) (toHex (encode t)), encode t)
    let one = le32 BigInteger.One
    let minusOne = le32 (p - BigInteger.One)

    canonical
    @ [ "identity, x = -0", withSignBit one
        "order 2, x = -0", withSignBit minusOne
        "order 4, y = p", le32 p
        "order 4, y = p, sign bit", withSignBit (le32 p)
        "identity, y = p + 1", le32 (p + BigInteger.One)
        "identity, y = p + 1, sign bit", withSignBit (le32 (p + BigInteger.One)) ]

let private seedOf (tag: string) = (sha512 [ ascii tag ])[0..31]

/// A message, derived from tag, whose challenge k for (r, a) satisfies pred.
let private messageWhere (tag: string) (r: byte[]) (a: byte[]) pred =
    Seq.initInfinite (fun j -> ascii (sprintf "%s #%d" tag j))
    |> Seq.take 2000
    |> Seq.find (fun m -> pred (challenge r a m))

// ---------------------------------------------------------------------------------------------
// Vectors.

let private goldenSeed = hex "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
let private goldenPk = hex "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
let private goldenBody = ascii "Thru golden1"

let private goldenSig =
    hex "8edfec88b713fce257ffa9da964d89b43d31b8d179aa1a467bbb32e024461c360bb5daf4f10cf774e439d4446b25297567cddb6bcd08ca931f6fb723b8fdfc0a"

/// RFC 8032 §7.1, TEST 1–3 (name, seed, public key, message, signature).
let rfc8032Vectors: string[] list =
    [ [| "TEST 1"
         "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
         ""
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" |]
      [| "TEST 2"
         "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
         "72"
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" |]
      [| "TEST 3"
         "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7"
         "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025"
         "af82"
         "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" |] ]

/// Once, before the first test of the list runs (it was NUnit's OneTimeSetUp): libsodium is
/// there, and its version is noted. Lazy, so that its failure fails every test of the list.
let private libsodium =
    lazy
        (Expect.isTrue Sodium.IsAvailable Sodium.UnavailableReason
         note ("libsodium " + Sodium.Version))

/// A test of this list: the check above, then `body`.
let private sodiumTest (name: string) (body: unit -> unit) =
    testCase name (fun () ->
        libsodium.Force()
        body ())

// ---------------------------------------------------------------------------------------------
// Rejections.

/// y = p + δ (2 ≤ δ ≤ 18) that decode to points of large order, with either sign bit: non-canonical but not of
/// small order, so nothing but the canonicity check refuses them as encodings. (A signature that is otherwise
/// valid cannot be built for them: that would need their discrete logarithms.)
let private nonCanonicalLargeOrder =
    [ 2..18 ]
    |> List.map (fun delta -> le32 (p + BigInteger delta))
    |> List.filter (fun e -> decode e |> Option.exists (fun pt -> not (isIdentity (mul (BigInteger 8) pt))))
    |> List.collect (fun e -> [ e; withSignBit e ])

// ---------------------------------------------------------------------------------------------
// Small order. Every small-order encoding gets a signature that satisfies the cofactorless equation
// (checked with the independent arithmetic), so its rejection is due to the small-order rule alone
// (plus canonicity for the non-canonical encodings).

/// A key of order 8L: [a]B + T8 (not small order, but not in the prime-order subgroup either).
let private mixedSeed = seedOf "mixed-order key"
let private mixedScalar = secretScalar mixedSeed
let private mixedA = encode (add (mul mixedScalar basePoint) order8)

[<Tests>]
let tests =
    testList "Crypto.SodiumTests" [
        // ---------------------------------------------------------------- Known answers

        sodiumTest "transaction golden vector: public key, signature over tn_txn_sign_v1__ ‖ SHA-256(body), verification" <| fun () ->
            Expect.equal (toHex (publicKey goldenSeed)) (toHex goldenPk) "toHex (publicKey goldenSeed)"
            let m = txnMessage goldenBody
            Expect.equal m.Length 48 "m.Length"
            Expect.equal (toHex m) (toHex (Array.append (ascii "tn_txn_sign_v1__") (SHA256.HashData goldenBody))) "toHex m"
            Expect.equal (toHex (sign goldenSeed m)) (toHex goldenSig) "toHex (sign goldenSeed m)"
            Expect.isTrue (verify goldenPk m goldenSig) "verify goldenPk m goldenSig"
            // The signature is over the domain message, not over the raw body nor its bare hash.
            Expect.isFalse (verify goldenPk goldenBody goldenSig) "verify goldenPk goldenBody goldenSig"
            Expect.isFalse (verify goldenPk (SHA256.HashData goldenBody) goldenSig) "verify goldenPk (SHA256.HashData goldenBody) goldenSig"

        testList "RFC 8032 test vectors (plain Ed25519 over the raw message)" [
            for v in rfc8032Vectors ->
                sodiumTest v[0] <| fun () ->
                    let name, seed, pk, msg, sg = v[0], v[1], v[2], v[3], v[4]
                    let seed, pk, msg, sg = hex seed, hex pk, hex msg, hex sg
                    Expect.equal (toHex (publicKey seed)) (toHex pk) name
                    Expect.equal (toHex (sign seed msg)) (toHex sg) name
                    Expect.isTrue (verify pk msg sg) name
        ]

        sodiumTest "the independent curve arithmetic agrees with libsodium (public keys of 20 seeds)" <| fun () ->
            for i in 0..19 do
                let seed = seedOf (sprintf "key %d" i)
                Expect.equal (toHex (encode (mul (secretScalar seed) basePoint))) (toHex (publicKey seed)) "toHex (encode (mul (secretScalar seed) basePoint))"

        sodiumTest "EOA and other raw domains sign DST ‖ context" <| fun () ->
            let feePayer = publicKey (seedOf "fee payer")
            let eoa = publicKey (seedOf "eoa")
            let ctx = Array.concat [ [| 0x34uy; 0x12uy |]; feePayer; eoa ] // chain_id 0x1234, u16 LE
            let m = domainMessage SignatureDomain.EoaCreate ctx
            Expect.equal m.Length 82 "m.Length"
            Expect.equal (toHex m) (toHex (Array.append (ascii "tn_eoa_create_v1") ctx)) "toHex m"
            let sg = sign (seedOf "eoa") m
            Expect.isTrue (verify eoa m sg) "verify eoa m sg"
            Expect.isFalse (verify eoa (domainMessage SignatureDomain.EoaDelete ctx) sg) "verify eoa (domainMessage SignatureDomain.EoaDelete ctx) sg"
            Expect.isFalse (verify feePayer m sg) "verify feePayer m sg"

        sodiumTest "domain tags are 16 ASCII bytes; anything else is refused" <| fun () ->
            for tag in
                [ SignatureDomain.Transaction; SignatureDomain.BlockHeader; SignatureDomain.Block; SignatureDomain.Gossip
                  SignatureDomain.NodeRecord; SignatureDomain.EoaCreate; SignatureDomain.EoaDelete; SignatureDomain.Msg ] do
                Expect.equal ((domainMessage tag [||]).Length) 16 tag

            for bad in [ ""; "tn_txn_sign_v1_"; "tn_txn_sign_v1___"; "tn_txn_sign_v1_é" ] do
                Expect.throwsT<ArgumentException> (fun () -> domainMessage bad [| 1uy |] |> ignore) (sprintf "tag %A" bad)

        // ---------------------------------------------------------------- Rejections

        sodiumTest "every single-bit change of message, signature or public key is rejected" <| fun () ->
            let m = txnMessage goldenBody
            let flip (b: byte[]) i =
                let c = Array.copy b
                c[i / 8] <- c[i / 8] ^^^ (1uy <<< (i % 8))
                c

            for i in 0 .. m.Length * 8 - 1 do
                Expect.isFalse (verify goldenPk (flip m i) goldenSig) (sprintf "message bit %d" i)

            for i in 0..511 do
                Expect.isFalse (verify goldenPk m (flip goldenSig i)) (sprintf "signature bit %d" i)

            for i in 0..255 do
                Expect.isFalse (verify (flip goldenPk i) m goldenSig) (sprintf "public key bit %d" i)

            Expect.isFalse (verify goldenPk (Array.append m [| 0uy |]) goldenSig) "appended byte"
            Expect.isFalse (verify goldenPk m[.. m.Length - 2] goldenSig) "truncated message"

        sodiumTest "non-canonical S (S + kL < 2^256) is rejected although the equation holds" <| fun () ->
            let m = txnMessage goldenBody
            let s = ofLe goldenSig[32..]
            let ks = Seq.initInfinite (fun k -> k + 1) |> Seq.takeWhile (fun k -> s + BigInteger k * L < (BigInteger.One <<< 256)) |> List.ofSeq
            Expect.isNonEmpty ks "ks"

            for k in ks do
                let sg = Array.append goldenSig[0..31] (le32 (s + BigInteger k * L))
                Expect.isTrue (cofactorless goldenPk m sg) (sprintf "S + %dL satisfies [S]B = R + [k]A" k)
                Expect.isFalse (Sodium.IsCanonicalScalar(ReadOnlySpan sg[32..])) "Sodium.IsCanonicalScalar(ReadOnlySpan sg[32..])"
                Expect.isFalse (verify goldenPk m sg) (sprintf "S + %dL" k)

            Expect.isTrue (Sodium.IsCanonicalScalar(ReadOnlySpan(le32 (L - BigInteger.One)))) "Sodium.IsCanonicalScalar(ReadOnlySpan(le32 (L - BigInteger.One)))"
            Expect.isFalse (Sodium.IsCanonicalScalar(ReadOnlySpan(le32 L))) "Sodium.IsCanonicalScalar(ReadOnlySpan(le32 L))"

        sodiumTest "non-canonical A and R (y = p + δ, large order) are rejected" <| fun () ->
            Expect.isNonEmpty nonCanonicalLargeOrder "nonCanonicalLargeOrder"
            let m = txnMessage goldenBody

            for e in nonCanonicalLargeOrder do
                Expect.isFalse (isCanonicalPoint e) (toHex e)
                Expect.isFalse (isSmallOrder e) (toHex e)
                Expect.isFalse (verify e m goldenSig) ("A = " + toHex e)
                Expect.isFalse (verify goldenPk m (Array.append e goldenSig[32..])) ("R = " + toHex e)

        sodiumTest "the canonical-point predicate: y (sign bit masked) < p" <| fun () ->
            let cases =
                [ le32 BigInteger.Zero, true
                  le32 (p - BigInteger.One), true
                  withSignBit (le32 (p - BigInteger.One)), true
                  le32 p, false
                  withSignBit (le32 p), false
                  le32 (p + BigInteger 18), false
                  le32 ((BigInteger.One <<< 255) - BigInteger.One), false
                  Array.create 32 0xffuy, false
                  goldenPk, true
                  goldenSig[0..31], true ]

            for e, expected in cases do
                Expect.equal (isCanonicalPoint e) expected (toHex e)

        // ---------------------------------------------------------------- Small order. Every small-order encoding gets a signature that satisfies the cofactorless equation

        sodiumTest "the small-order predicate is exactly the torsion subgroup (re-derived here), in every encoding" <| fun () ->
            let ys = torsion |> List.map (fun t -> snd (affine t)) |> List.distinct
            Expect.equal ys.Length 5 "ys.Length" // 1, p - 1, 0, ±y8
            Expect.equal (torsion |> List.map orderOf |> List.countBy id |> List.sort) [ (1, 1); (2, 1); (4, 2); (8, 4) ] "torsion |> List.map orderOf |> List.countBy id |> List.sort"

            for name, e in smallOrderEncodings do
                Expect.isTrue (isSmallOrder e) name

            for i in 0..199 do
                Expect.isFalse (isSmallOrder (publicKey (seedOf (sprintf "ordinary %d" i)))) "isSmallOrder (publicKey (seedOf (sprintf \"ordinary %d\" i)))"

            Expect.isFalse (isSmallOrder mixedA) "isSmallOrder mixedA"
            Expect.isFalse (isSmallOrder (Array.zeroCreate 31)) "isSmallOrder (Array.zeroCreate 31)"

        sodiumTest "small-order public keys are rejected, each with a signature satisfying the equation" <| fun () ->
            for name, a in smallOrderEncodings do
                let n = BigInteger(orderOf (decodeExn a))
                let r = BigInteger.Remainder(ofLe (sha512 [ ascii name ]), L)
                let rEnc = encode (mul r basePoint)
                // [k]A = O when n divides k, so S = r gives [S]B = R = R + [k]A.
                let m = messageWhere name rEnc a (fun k -> (k % n).IsZero)
                let sg = Array.append rEnc (le32 r)
                Expect.isTrue (cofactorless a m sg) name
                Expect.isFalse (verify a m sg) name

        sodiumTest "small-order R is rejected, each with a signature satisfying the equation" <| fun () ->
            // With A = [a]B + T8 and R = [j]T8: R + [k]A = [ka]B + [j + k]T8 = [ka]B when 8 divides j + k, so S = ka.
            for name, rEnc in smallOrderEncodings do
                let rp = decodeExn rEnc
                let j = BigInteger(List.findIndex (same rp) torsion)
                let m = messageWhere name rEnc mixedA (fun k -> ((k + j) % BigInteger 8).IsZero)
                let sg = Array.append rEnc (le32 (BigInteger.Remainder(challenge rEnc mixedA m * mixedScalar, L)))
                Expect.isTrue (cofactorless mixedA m sg) name
                Expect.isFalse (verify mixedA m sg) name

            // The identity R also works with an ordinary key: R + [k]A = [ka]B.
            let rEnc = le32 BigInteger.One
            let m = ascii "identity R"
            let sg = Array.append rEnc (le32 (BigInteger.Remainder(challenge rEnc goldenPk m * secretScalar goldenSeed, L)))
            Expect.isTrue (cofactorless goldenPk m sg) "cofactorless goldenPk m sg"
            Expect.isFalse (verify goldenPk m sg) "verify goldenPk m sg"

        sodiumTest "cofactorless: a mixed-order key verifies when [S]B = R + [k]A, not when only the cofactored equation holds" <| fun () ->
            Expect.isFalse (isIdentity (mul L (decodeExn mixedA))) "not in the prime-order subgroup"
            let r = BigInteger.Remainder(secretScalar (seedOf "mixed nonce"), L)
            let rEnc = encode (mul r basePoint)
            let sigFor m = Array.append rEnc (le32 (BigInteger.Remainder(r + challenge rEnc mixedA m * mixedScalar, L)))
            // S = r + ka: R + [k]A = [S]B + [k]T8, equal to [S]B exactly when 8 divides k.
            let good = messageWhere "mixed" rEnc mixedA (fun k -> (k % BigInteger 8).IsZero)
            let bad = messageWhere "mixed" rEnc mixedA (fun k -> not (k % BigInteger 8).IsZero)
            Expect.isTrue (cofactorless mixedA good (sigFor good)) "cofactorless mixedA good (sigFor good)"
            Expect.isTrue (verify mixedA good (sigFor good)) "strict rule rejects small order, not mixed order"
            Expect.isFalse (cofactorless mixedA bad (sigFor bad)) "cofactorless mixedA bad (sigFor bad)"
            Expect.isTrue (cofactored mixedA bad (sigFor bad)) "cofactored mixedA bad (sigFor bad)"
            Expect.isFalse (verify mixedA bad (sigFor bad)) "verify mixedA bad (sigFor bad)"

        // ---------------------------------------------------------------- Lengths and concurrency

        sodiumTest "wrong lengths give false, never an exception" <| fun () ->
            let m = txnMessage goldenBody
            let keys = [ [||]; goldenPk[0..30]; Array.append goldenPk [| 0uy |]; Array.append goldenPk goldenPk ]
            let sigs = [ [||]; goldenSig[0..31]; goldenSig[0..62]; Array.append goldenSig [| 0uy |]; Array.append goldenSig goldenSig ]

            for k in keys do
                Expect.isFalse (verify k m goldenSig) (sprintf "key of %d bytes" k.Length)

            for s in sigs do
                Expect.isFalse (verify goldenPk m s) (sprintf "signature of %d bytes" s.Length)

            Expect.isFalse (verify [||] [||] [||]) "verify [||] [||] [||]"
            Expect.isFalse (Sodium.IsCanonicalScalar(ReadOnlySpan goldenSig[32..62])) "Sodium.IsCanonicalScalar(ReadOnlySpan goldenSig[32..62])"
            Expect.isFalse (isCanonicalPoint goldenPk[0..30]) "isCanonicalPoint goldenPk[0..30]"

            for n in [ 0; 31; 33 ] do
                Expect.throwsT<ArgumentException> (fun () -> publicKey (Array.zeroCreate n) |> ignore) (sprintf "public key from a seed of %d bytes" n)
                Expect.throwsT<ArgumentException> (fun () -> sign (Array.zeroCreate n) m |> ignore) (sprintf "signing with a seed of %d bytes" n)

        sodiumTest "empty messages sign and verify" <| fun () ->
            let seed = seedOf "empty"
            let sg = sign seed [||]
            Expect.isTrue (verify (publicKey seed) [||] sg) "verify (publicKey seed) [||] sg"
            Expect.isFalse (verify (publicKey seed) [| 0uy |] sg) "verify (publicKey seed) [| 0uy |] sg"

        sodiumTest "concurrent signing and verification" <| fun () ->
            let ok =
                Array.Parallel.init 64 (fun i ->
                    let seed = seedOf (sprintf "parallel %d" i)
                    let m = txnMessage (ascii (sprintf "body %d" i))
                    verify (publicKey seed) m (sign seed m) && verify goldenPk (txnMessage goldenBody) goldenSig)

            Expect.all ok id "ok"
    ]
