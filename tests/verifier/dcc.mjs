// Verifies the credential read from standard input with DCC's verifier-core
// (@digitalcredentials/verifier-core, the verifier inside VerifierPlus and
// the Learner Credential Wallet), as it is, offline: the service under test
// answers on loopback (the status list, a did:web's document), and the Open Badges JSON Schema
// verifier-core fetches from 1EdTech is given from the file named by
// OB_SCHEMA_FILE (by default tests/standards/ob3's copy); any other fetch
// fails. Prints verifier-core's answer, one
// line of JSON, and exits 0 when it reports no error and a valid signature.
import fs from 'node:fs';
import {verifyCredential} from '@digitalcredentials/verifier-core';
import {onLoopback, readJson} from './installed.mjs';

const schemaFile = process.env.OB_SCHEMA_FILE ??
  new URL('../standards/ob3/ob_v3p0_achievementcredential_schema.json', import.meta.url);
const realFetch = globalThis.fetch;
// The service on loopback; a did:web over HTTPS there has its certificate
// trusted through NODE_EXTRA_CA_CERTS.
globalThis.fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input.url;
  const local = onLoopback(url);
  if(local) {
    return realFetch(local, init);
  }
  if(url.startsWith('https://purl.imsglobal.org/spec/ob/v3p0/schema/')) {
    return new Response(fs.readFileSync(schemaFile), {headers: {'content-type': 'application/json'}});
  }
  throw new Error(`offline: ${url}`);
};

const credential = await readJson();
const result = await verifyCredential({credential, knownDIDRegistries: []});
const signature = result.log?.find(step => step.id === 'valid_signature');
delete result.credential;
console.log(JSON.stringify(result, (key, value) => key === 'stackTrace' ? String(value) : value));
process.exit(!result.errors && signature?.valid ? 0 : 1);
