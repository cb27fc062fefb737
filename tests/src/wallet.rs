//! Wallets under test: the headless wallets nobody here wrote the protocol
//! of (tests/wallet/claim.mjs on @openid4vc/openid4vci;
//! tests/verifier/vc-api-wallet.mjs on Digital Bazaar's libraries), and a
//! hand-made one whose proofs a test bends to try each attack the issuer
//! must refuse.

use std::path::{Path, PathBuf};
use std::process::Command;

use ed25519_dalek::{Signer, SigningKey};
use multibase::Base;
use serde_json::{json, Value};

/// What the library's wallet took: its holder DID and the credential.
#[derive(Debug)]
pub struct Claimed {
    pub holder: String,
    pub credential: Value,
}

/// Runs tests/wallet/claim.mjs (OpenID4VCI) on `offer` with `options`
/// (`--tx-code`, `--key`); node trusts `ca_file` too. `Err`: what the
/// wallet printed.
pub fn claimed_by_wallet(offer: &str, options: &[&str], ca_file: Option<&Path>) -> Result<Claimed, String> {
    claimed_by("wallet/claim.mjs", offer, options, ca_file)
}

/// Runs tests/verifier/vc-api-wallet.mjs (the VC-API exchange, a DID
/// authentication signed with Digital Bazaar's libraries) on an offer's
/// `interaction` URL with `options` (`--challenge`, `--domain`).
pub fn claimed_over_vc_api(interaction: &str, options: &[&str], ca_file: Option<&Path>) -> Result<Claimed, String> {
    claimed_by("verifier/vc-api-wallet.mjs", interaction, options, ca_file)
}

fn claimed_by(script: &str, offer: &str, options: &[&str], ca_file: Option<&Path>) -> Result<Claimed, String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(script);
    let output = Command::new("node")
        .arg(script)
        .arg(offer)
        .args(options)
        .envs(ca_file.map(|file| ("NODE_EXTRA_CA_CERTS", file)))
        .output()
        .expect("node runs (make deps installs tests/wallet)");
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        return Err(printed);
    }
    let answer: Value = serde_json::from_slice(&output.stdout).map_err(|_| printed.clone())?;
    Ok(Claimed {
        holder: answer["holder"].as_str().unwrap_or_default().to_owned(),
        credential: answer["credential"].clone(),
    })
}

/// A wallet's Ed25519 key as a test holds it, to sign proofs as it likes.
pub struct HandWallet {
    key: SigningKey,
    pub did: String,
}

impl HandWallet {
    pub fn new() -> Self {
        let key = SigningKey::from_bytes(&rand::random());
        let multikey = multibase::encode(Base::Base58Btc, [&[0xed, 0x01][..], key.verifying_key().as_bytes()].concat());
        Self { did: format!("did:key:{multikey}"), key }
    }

    /// The header a proof of this key names it with.
    pub fn header(&self) -> Value {
        let multikey = self.did.trim_start_matches("did:key:");
        json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": format!("{}#{multikey}", self.did)})
    }

    /// The claims of a proof for `audience` over `nonce`, made now.
    pub fn claims(audience: &str, nonce: &str) -> Value {
        json!({"aud": audience, "iat": chrono::Utc::now().timestamp(), "nonce": nonce})
    }

    /// `header` and `claims` signed by this key, as a compact JWS.
    pub fn proof(&self, header: &Value, claims: &Value) -> String {
        let encode = |value: &Value| Base::Base64Url.encode(value.to_string());
        let input = format!("{}.{}", encode(header), encode(claims));
        format!("{input}.{}", Base::Base64Url.encode(self.key.sign(input.as_bytes()).to_bytes()))
    }
}

impl Default for HandWallet {
    fn default() -> Self {
        Self::new()
    }
}
