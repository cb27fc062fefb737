//! A wallet's proof of possession: OpenID4VCI's `jwt` proof type, a
//! compact JWS the wallet signs with the key the credential is bound to.
//!
//! Promises: `typ` is `openid4vci-proof+jwt`; `alg` is `EdDSA` (or its
//! fully-specified name `Ed25519`) over an Ed25519 key, or `ES256` over a
//! P-256 key, nothing else (never `none`); the key is named by exactly one
//! of `kid` (a `did:key` or `did:jwk` DID URL) and `jwk` (a public JWK: a
//! private member is refused); the signature holds over the header and
//! payload as sent; `iat` is a number and `aud` a string or strings. The
//! holder is the DID of the key: its `did:key`, or the `did:jwk` of its
//! public members (sorted, as RFC 7638 orders them) for a bare JWK.
//! Whether `aud`, `iat` and the nonce are right is the use case's to judge.

use certificate_domain::ports::{HolderProof, HolderProofs, ProofRefused};
use chrono::{DateTime, Utc};
use ed25519_dalek::Verifier as _;
use multibase::Base;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::key::{public_key_of_multikey, signature_holds};

/// The multicodec prefix of a compressed P-256 public key (varint of 0x1200).
const P256_PUB: [u8; 2] = [0x80, 0x24];
const TYP: &str = "openid4vci-proof+jwt";

/// Checks OpenID4VCI `jwt` proofs; holds nothing.
pub struct JwtHolderProofs;

enum HolderKey {
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
}

#[derive(Deserialize)]
struct Header {
    typ: Option<String>,
    alg: Option<String>,
    kid: Option<String>,
    jwk: Option<Value>,
}

#[derive(Deserialize)]
struct Claims {
    aud: Option<Audience>,
    iat: Option<f64>,
    nonce: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

fn refused(why: &'static str) -> ProofRefused {
    ProofRefused(why)
}

fn base64url(text: &str) -> Result<Vec<u8>, ProofRefused> {
    Base::Base64Url.decode(text).map_err(|_| refused("the proof is not base64url"))
}

impl HolderProofs for JwtHolderProofs {
    fn holder_proof(&self, jwt: &str) -> Result<HolderProof, ProofRefused> {
        let mut parts = jwt.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(refused("the proof is not a compact JWS"));
        };
        let header_json: Header =
            serde_json::from_slice(&base64url(header)?).map_err(|_| refused("the proof's header is not JSON"))?;
        if header_json.typ.as_deref() != Some(TYP) {
            return Err(refused("the proof's typ is not openid4vci-proof+jwt"));
        }
        let (holder, key) = match (header_json.kid.as_deref(), header_json.jwk.as_ref()) {
            (Some(kid), None) => key_of_did_url(kid)?,
            (None, Some(jwk)) => {
                let key = key_of_jwk(jwk)?;
                (did_jwk(jwk), key)
            }
            _ => return Err(refused("the proof names its key by exactly one of kid and jwk")),
        };
        let signed = format!("{header}.{payload}");
        let signature = base64url(signature)?;
        let holds = match (header_json.alg.as_deref(), &key) {
            (Some("EdDSA" | "Ed25519"), HolderKey::Ed25519(key)) => signature_holds(key, signed.as_bytes(), &signature),
            (Some("ES256"), HolderKey::P256(key)) => p256::ecdsa::Signature::from_slice(&signature)
                .is_ok_and(|signature| key.verify(signed.as_bytes(), &signature).is_ok()),
            (Some("EdDSA" | "Ed25519" | "ES256"), _) => return Err(refused("the proof's alg does not fit its key")),
            _ => return Err(refused("the proof's alg is not allowed (EdDSA, ES256)")),
        };
        if !holds {
            return Err(refused("the proof's signature does not hold"));
        }
        let claims: Claims = serde_json::from_slice(&base64url(payload)?)
            .map_err(|_| refused("the proof's payload is not its claims"))?;
        let audience = match claims.aud.ok_or(refused("the proof has no aud"))? {
            Audience::One(audience) => vec![audience],
            Audience::Many(audiences) => audiences,
        };
        let iat = claims.iat.filter(|iat| iat.is_finite()).ok_or(refused("the proof has no iat"))?;
        let issued_at = DateTime::<Utc>::from_timestamp(iat as i64, 0).ok_or(refused("the proof's iat is no time"))?;
        Ok(HolderProof { holder, audience, issued_at, nonce: claims.nonce })
    }
}

/// The DID and the key of a `did:key:…#…` or `did:jwk:…#0` DID URL.
fn key_of_did_url(kid: &str) -> Result<(String, HolderKey), ProofRefused> {
    let (did, _fragment) = kid.split_once('#').unwrap_or((kid, ""));
    if let Some(multikey) = did.strip_prefix("did:key:") {
        return Ok((did.to_owned(), key_of_multikey(multikey)?));
    }
    if let Some(encoded) = did.strip_prefix("did:jwk:") {
        let jwk: Value =
            serde_json::from_slice(&base64url(encoded)?).map_err(|_| refused("the did:jwk is not a JWK"))?;
        return Ok((did.to_owned(), key_of_jwk(&jwk)?));
    }
    Err(refused("the proof's kid is not a did:key or did:jwk"))
}

fn key_of_multikey(multikey: &str) -> Result<HolderKey, ProofRefused> {
    if let Some(key) = public_key_of_multikey(multikey) {
        return Ok(HolderKey::Ed25519(key));
    }
    let (base, bytes) = multibase::decode(multikey).map_err(|_| refused("the did:key is not multibase"))?;
    let point = bytes.strip_prefix(&P256_PUB[..]).filter(|_| base == Base::Base58Btc);
    let point = point.ok_or(refused("the did:key is neither an Ed25519 nor a P-256 key"))?;
    p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
        .map(HolderKey::P256)
        .map_err(|_| refused("the did:key's P-256 key is not a point of the curve"))
}

fn key_of_jwk(jwk: &Value) -> Result<HolderKey, ProofRefused> {
    if jwk.get("d").is_some() {
        return Err(refused("the proof's JWK carries a private key"));
    }
    let member = |name: &str| jwk.get(name).and_then(Value::as_str);
    let coordinate = |name: &str| member(name).ok_or(refused("the JWK lacks a coordinate")).and_then(base64url);
    match (member("kty"), member("crv")) {
        (Some("OKP"), Some("Ed25519")) => {
            let x: [u8; 32] = coordinate("x")?.try_into().map_err(|_| refused("the JWK's x is not 32 bytes"))?;
            ed25519_dalek::VerifyingKey::from_bytes(&x)
                .map(HolderKey::Ed25519)
                .map_err(|_| refused("the JWK's Ed25519 key is not a point of the curve"))
        }
        (Some("EC"), Some("P-256")) => {
            let point = [&[0x04][..], &coordinate("x")?, &coordinate("y")?].concat();
            p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                .map(HolderKey::P256)
                .map_err(|_| refused("the JWK's P-256 key is not a point of the curve"))
        }
        _ => Err(refused("the JWK is neither an Ed25519 (OKP) nor a P-256 (EC) key")),
    }
}

/// `did:jwk` of a JWK's public members, in RFC 7638's order.
fn did_jwk(jwk: &Value) -> String {
    let public = json!({ "crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk.get("y") });
    let mut public = public.as_object().cloned().unwrap_or_default();
    public.retain(|_, value| !value.is_null());
    format!("did:jwk:{}", Base::Base64Url.encode(Value::Object(public).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn encoded(value: &Value) -> String {
        Base::Base64Url.encode(value.to_string())
    }

    fn claims() -> Value {
        json!({"aud": "https://issuer.example", "iat": 1_764_900_000, "nonce": "n-1"})
    }

    fn ed25519() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn ed25519_did(key: &SigningKey) -> String {
        let multikey = Base::Base58Btc.encode([&[0xed, 0x01][..], key.verifying_key().as_bytes()].concat());
        format!("did:key:z{multikey}")
    }

    fn signed_ed25519(header: Value, claims: &Value, key: &SigningKey) -> String {
        let input = format!("{}.{}", encoded(&header), encoded(claims));
        let signature = key.sign(input.as_bytes());
        format!("{input}.{}", Base::Base64Url.encode(signature.to_bytes()))
    }

    fn p256_key() -> p256::ecdsa::SigningKey {
        p256::ecdsa::SigningKey::from_slice(&[9; 32]).unwrap()
    }

    fn signed_es256(header: Value, claims: &Value) -> String {
        let input = format!("{}.{}", encoded(&header), encoded(claims));
        let signature: p256::ecdsa::Signature = p256_key().sign(input.as_bytes());
        format!("{input}.{}", Base::Base64Url.encode(signature.to_bytes()))
    }

    fn p256_jwk() -> Value {
        let point = p256_key().verifying_key().to_encoded_point(false);
        json!({"kty": "EC", "crv": "P-256",
               "x": Base::Base64Url.encode(point.x().unwrap()), "y": Base::Base64Url.encode(point.y().unwrap())})
    }

    #[test]
    fn an_ed25519_did_key_proof_names_its_holder_and_claims() {
        let key = ed25519();
        let did = ed25519_did(&key);
        let kid = format!("{did}#{}", did.trim_start_matches("did:key:"));
        let jwt = signed_ed25519(json!({"typ": TYP, "alg": "EdDSA", "kid": kid}), &claims(), &key);
        let proof = JwtHolderProofs.holder_proof(&jwt).unwrap();
        assert_eq!(proof.holder, did);
        assert_eq!(proof.audience, ["https://issuer.example"]);
        assert_eq!(proof.nonce.as_deref(), Some("n-1"));
        assert_eq!(proof.issued_at.timestamp(), 1_764_900_000);
    }

    #[test]
    fn an_es256_proof_by_jwk_and_by_did_jwk_names_the_same_did_jwk() {
        let jwk = p256_jwk();
        let by_jwk =
            JwtHolderProofs.holder_proof(&signed_es256(json!({"typ": TYP, "alg": "ES256", "jwk": jwk}), &claims()));
        let holder = by_jwk.unwrap().holder;
        assert!(holder.starts_with("did:jwk:"), "{holder}");
        let by_did = signed_es256(json!({"typ": TYP, "alg": "ES256", "kid": format!("{holder}#0")}), &claims());
        assert_eq!(JwtHolderProofs.holder_proof(&by_did).unwrap().holder, holder);
    }

    #[test]
    fn every_flaw_of_a_proof_is_refused_and_named() {
        let key = ed25519();
        let kid = format!("{}#0", ed25519_did(&key));
        let header = |typ: &str, alg: &str| json!({"typ": typ, "alg": alg, "kid": kid});
        let refusal = |jwt: &str| JwtHolderProofs.holder_proof(jwt).unwrap_err().0;
        assert_eq!(
            refusal(&signed_ed25519(header("JWT", "EdDSA"), &claims(), &key)),
            "the proof's typ is not openid4vci-proof+jwt"
        );
        assert!(refusal(&signed_ed25519(header(TYP, "none"), &claims(), &key)).contains("alg is not allowed"));
        assert!(refusal(&signed_ed25519(header(TYP, "HS256"), &claims(), &key)).contains("alg is not allowed"));
        assert_eq!(
            refusal(&signed_ed25519(header(TYP, "ES256"), &claims(), &key)),
            "the proof's alg does not fit its key"
        );
        let by_another = signed_ed25519(header(TYP, "EdDSA"), &claims(), &SigningKey::from_bytes(&[8; 32]));
        assert_eq!(refusal(&by_another), "the proof's signature does not hold");
        let unsigned = format!("{}.{}.", encoded(&json!({"typ": TYP, "alg": "none", "kid": kid})), encoded(&claims()));
        assert!(refusal(&unsigned).contains("alg is not allowed"));
        let mut private = p256_jwk();
        private["d"] = json!("AAAA");
        assert_eq!(
            refusal(&signed_es256(json!({"typ": TYP, "alg": "ES256", "jwk": private}), &claims())),
            "the proof's JWK carries a private key"
        );
        let both = json!({"typ": TYP, "alg": "ES256", "jwk": p256_jwk(), "kid": kid});
        assert_eq!(refusal(&signed_es256(both, &claims())), "the proof names its key by exactly one of kid and jwk");
        assert_eq!(refusal("a.b"), "the proof is not a compact JWS");
        let no_iat = json!({"aud": "https://issuer.example"});
        assert_eq!(refusal(&signed_ed25519(header(TYP, "EdDSA"), &no_iat, &key)), "the proof has no iat");
    }
}
