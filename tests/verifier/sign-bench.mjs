// How long Digital Bazaar's eddsa-rdfc-2022 cryptosuite takes to sign one
// Open Badge, on one core: `make bench` (bench/open_badges.py) runs it beside
// the service's own signer (crates/certificate-local-issuer/examples/sign.rs).
// Reads an unsigned credential from standard input, signs it COUNT times
// (the first argument) with a key made here, contexts from the installed
// packages, and prints {"count", "us"}: microseconds per credential.
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {installedLoader, readJson} from './installed.mjs';

const count = Number(process.argv[2] ?? 200);
const documentLoader = installedLoader().build();
const credential = await readJson();
delete credential.proof;
const keyPair = await Ed25519Multikey.generate({controller: 'did:example:bench'});
keyPair.id = `did:example:bench#${keyPair.publicKeyMultibase}`;
const suite = () => new DataIntegrityProof({signer: keyPair.signer(), cryptosuite});
const sign = () => vc.issue({credential: structuredClone(credential), suite: suite(), documentLoader});
for(let i = 0; i < Math.ceil(count / 10); i++) {
  await sign();
}
const started = process.hrtime.bigint();
for(let i = 0; i < count; i++) {
  await sign();
}
const us = Number(process.hrtime.bigint() - started) / 1000 / count;
console.log(JSON.stringify({count, us}));
