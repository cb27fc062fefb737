// A Learner Credential Wallet's side of the VC-API exchange, headless: it
// opens the offer's interaction URL, starts the exchange, answers its
// DIDAuthentication request with a presentation signed by a did:key it makes
// now (Digital Bazaar's @digitalbazaar/vc signPresentation, eddsa-rdfc-2022,
// the challenge and domain asked), and takes the credential the exchange
// answers. JSON-LD contexts come from the installed packages.
//
//   node tests/verifier/vc-api-wallet.mjs INTERACTION_URL [--challenge CHALLENGE] [--domain DOMAIN]
//
// --challenge, --domain: present these instead of what was asked (a test's attack).
// Prints {"holder": DID, "credential": {...}}; on a refusal, the exchange's
// answer on stderr and exit code 1.
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as rdfcCryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';
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

const key = await Ed25519Multikey.generate();
const did = `did:key:${key.publicKeyMultibase}`;
key.controller = did;
key.id = `${did}#${key.publicKeyMultibase}`;
const presentation = vc.createPresentation({holder: did});
const signed = await vc.signPresentation({
  presentation,
  suite: new DataIntegrityProof({signer: key.signer(), cryptosuite: rdfcCryptosuite}),
  challenge: option('--challenge') ?? request.challenge,
  domain: option('--domain') ?? request.domain,
  documentLoader,
});
const answer = await json(exchange, {verifiablePresentation: signed});
console.log(JSON.stringify({holder: did, credential: answer.verifiablePresentation.verifiableCredential[0]}));
