// A Learner Credential Wallet's side of the VC-API exchange, headless: it
// opens the offer's interaction URL, starts the exchange, answers its
// DIDAuthentication request with a presentation signed by a did:key it makes
// now (Digital Bazaar's @digitalbazaar/vc signPresentation, eddsa-rdfc-2022,
// the challenge and domain asked), and takes the credential the exchange
// answers. JSON-LD contexts come from the installed packages.
//
//   node tests/verifier/vc-api-wallet.mjs INTERACTION_URL [--challenge CHALLENGE] [--domain DOMAIN]
//                                         [--suite Ed25519Signature2020 [--vc 1.1]]
//
// --challenge, --domain: present these instead of what was asked (a test's attack).
// --suite Ed25519Signature2020: authenticate as the Learner Credential Wallet
// does, with the Digital Credentials Consortium's own libraries
// (@digitalcredentials/vc, @digitalcredentials/ed25519-signature-2020);
// --vc 1.1: its presentation under VC 1.1's context, as its earlier releases.
// Prints {"holder": DID, "credential": {...}}; on a refusal, the exchange's
// answer on stderr and exit code 1.
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as rdfcCryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as dccVc from '@digitalcredentials/vc';
import {Ed25519Signature2020} from '@digitalcredentials/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalcredentials/ed25519-verification-key-2020';
import {installedLoader} from './installed.mjs';

const args = process.argv.slice(2);
const option = name => {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args[at + 1];
};
const interaction = args[0];
const documentLoader = installedLoader(...dataIntegrityContext.contexts).build();

async function json(url, body) {
  const answer = await fetch(url, body === undefined ? {headers: {accept: 'application/json'}} : {
    method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body),
  });
  const text = await answer.text();
  if(!answer.ok) {
    console.error(`${url} answered ${answer.status}: ${text}`);
    process.exit(1);
  }
  return JSON.parse(text);
}

const {protocols} = await json(interaction);
const exchange = protocols.vcapi;
const {verifiablePresentationRequest: request} = await json(exchange, {});

const challenge = option('--challenge') ?? request.challenge;
const domain = option('--domain') ?? request.domain;

// A presentation of a did:key made now, signed as Digital Bazaar's data
// integrity libraries sign it (eddsa-rdfc-2022).
async function dataIntegrityAuthentication() {
  const key = await Ed25519Multikey.generate();
  const did = `did:key:${key.publicKeyMultibase}`;
  key.controller = did;
  key.id = `${did}#${key.publicKeyMultibase}`;
  const presentation = vc.createPresentation({holder: did});
  const suite = new DataIntegrityProof({signer: key.signer(), cryptosuite: rdfcCryptosuite});
  return {did, signed: await vc.signPresentation({presentation, suite, challenge, domain, documentLoader})};
}

// The same, as the Learner Credential Wallet signs it (Ed25519Signature2020).
async function lcwAuthentication() {
  const key = await Ed25519VerificationKey2020.generate();
  const did = `did:key:${key.fingerprint()}`;
  key.controller = did;
  key.id = `${did}#${key.fingerprint()}`;
  const version = option('--vc') === '1.1' ? 1.0 : 2.0;
  const presentation = dccVc.createPresentation({holder: did, version});
  const suite = new Ed25519Signature2020({key});
  return {did, signed: await dccVc.signPresentation({presentation, suite, challenge, domain, documentLoader})};
}

const {did, signed} = option('--suite') === 'Ed25519Signature2020'
  ? await lcwAuthentication() : await dataIntegrityAuthentication();
const answer = await json(exchange, {verifiablePresentation: signed});
console.log(JSON.stringify({holder: did, credential: answer.verifiablePresentation.verifiableCredential[0]}));
