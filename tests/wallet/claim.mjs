// A learner's wallet, headless: takes the certificate an OpenID4VCI offer
// names, bound to a key it makes now, through @openid4vc/openid4vci (the
// protocol is the library's; this file only holds the keys and signs).
//
//   node tests/wallet/claim.mjs OFFER [--tx-code CODE] [--key ed25519|p256] [--allow-http]
//
// OFFER: the wallet-offer answer's credentialOffer (openid-credential-offer://...).
// --key ed25519 (default): a did:key, proofs signed EdDSA; p256: a bare JWK, ES256.
// --allow-http: the library refuses http:// unless told (make run listens on http).
// Prints {"holder": DID, "credential": {...}} on stdout; on a refusal, the
// issuer's OAuth error on stderr and exit code 1.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { clientAuthenticationAnonymous, setGlobalConfig } from '@openid4vc/oauth2';
import { Openid4vciClient } from '@openid4vc/openid4vci';

const args = process.argv.slice(2);
const option = (name) => { const at = args.indexOf(name); return at < 0 ? undefined : args[at + 1]; };
const offerLink = args[0];
if (!offerLink || offerLink.startsWith('--')) {
  console.error('usage: node claim.mjs OFFER [--tx-code CODE] [--key ed25519|p256] [--allow-http]');
  process.exit(2);
}
if (args.includes('--allow-http')) setGlobalConfig({ allowInsecureUrls: true });

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58(bytes) {
  let n = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  let text = '';
  while (n > 0n) { text = BASE58[Number(n % 58n)] + text; n /= 58n; }
  for (const byte of bytes) { if (byte !== 0) break; text = '1' + text; }
  return text;
}

const b64url = (data) => Buffer.from(data).toString('base64url');

/// The wallet's key, and how the library names it in a proof.
function makeKey(kind) {
  if (kind === 'p256') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
    const publicJwk = { kty, crv, x, y };
    return { privateKey, signer: { method: 'jwk', alg: 'ES256', publicJwk }, publicJwk };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const { kty, crv, x } = publicKey.export({ format: 'jwk' });
  const multikey = 'z' + base58(Buffer.concat([Buffer.from([0xed, 0x01]), Buffer.from(x, 'base64url')]));
  const did = `did:key:${multikey}`;
  return { privateKey, did, signer: { method: 'did', alg: 'EdDSA', didUrl: `${did}#${multikey}` }, publicJwk: { kty, crv, x } };
}

const key = makeKey(option('--key') ?? 'ed25519');

const callbacks = {
  fetch,
  clientAuthentication: clientAuthenticationAnonymous(),
  generateRandom: (length) => randomBytes(length),
  hash: (data, alg) => createHash(alg.replace('-', '')).update(data).digest(),
  signJwt: async (signer, { header, payload }) => {
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const signature = signer.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : sign(null, Buffer.from(input), key.privateKey);
    return { jwt: `${input}.${b64url(signature)}`, signerJwk: key.publicJwk };
  },
};

const client = new Openid4vciClient({ callbacks });
try {
  const credentialOffer = await client.resolveCredentialOffer(offerLink);
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer, issuerMetadata, txCode: option('--tx-code'),
  });
  const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata });
  const credentialConfigurationId = credentialOffer.credential_configuration_ids[0];
  const { jwt } = await client.createCredentialRequestJwtProof({
    issuerMetadata, credentialConfigurationId, nonce, signer: key.signer,
  });
  const answer = await client.retrieveCredentials({
    issuerMetadata, credentialConfigurationId, accessToken: accessTokenResponse.access_token, proofs: { jwt: [jwt] },
  });
  const [{ credential }] = answer.credentialResponse.credentials;
  const holder = key.did ?? credential.credentialSubject.id;
  console.log(JSON.stringify({ holder, credential }));
} catch (error) {
  // The library's message holds the issuer's OAuth error answer.
  console.error(error.errorResponse ? JSON.stringify(error.errorResponse) : error.message);
  process.exit(1);
}
