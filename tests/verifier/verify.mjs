// Verifies the W3C verifiable credential read from standard input with
// Digital Bazaar's libraries (@digitalbazaar/vc and the eddsa-jcs-2022
// cryptosuite): the proof, its did:key (resolved from the DID itself), the
// dates. JSON-LD contexts come from the installed packages: no network.
// Prints {"verified": bool, "errors": [...]} and exits 0 only when verified.
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {CachedResolver} from '@digitalbazaar/did-io';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import {securityLoader} from '@digitalbazaar/security-document-loader';

const didKey = didKeyDriver();
didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
const resolver = new CachedResolver();
resolver.use(didKey);
const loader = securityLoader();
loader.addDocuments({documents: [...dataIntegrityContext.contexts, ...multikeyContext.contexts]});
loader.setDidResolver(resolver);
const documentLoader = loader.build();

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const credential = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
const result = await vc.verifyCredential({credential, suite, documentLoader});
const messages = error => [error?.message, ...(error?.errors ?? []).flatMap(messages)].filter(Boolean);
console.log(JSON.stringify({verified: result.verified, errors: messages(result.error)}));
process.exit(result.verified ? 0 : 1);
