/**
 * Certificates made in the test: a CA, a server certificate for 127.0.0.1 and a client
 * certificate (what an X.509 proxy presents), all signed by that CA. Keys come from node:crypto,
 * the certificates are built with node-forge (pure JS; no openssl needed).
 */
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

export interface TestCerts {
  ca: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
}

function keyPair(): { pub: forge.pki.PublicKey; priv: forge.pki.rsa.PrivateKey; pem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return { pub: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()), priv: forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey, pem };
}

function certificate(
  subject: string,
  pub: forge.pki.PublicKey,
  issuer: { name: string; key: forge.pki.rsa.PrivateKey },
  serial: string,
  extensions: object[],
): string {
  const c = forge.pki.createCertificate();
  c.publicKey = pub;
  c.serialNumber = serial;
  c.validity.notBefore = new Date(Date.now() - 3600_000);
  c.validity.notAfter = new Date(Date.now() + 86400_000);
  c.setSubject([{ name: 'commonName', value: subject }]);
  c.setIssuer([{ name: 'commonName', value: issuer.name }]);
  c.setExtensions(extensions);
  c.sign(issuer.key, forge.md.sha256.create());
  return forge.pki.certificateToPem(c);
}

export function makeCerts(): TestCerts {
  const ca = keyPair();
  const caName = 'physlite test CA';
  const caCert = certificate(caName, ca.pub, { name: caName, key: ca.priv }, '01', [
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true },
  ]);
  const server = keyPair();
  const serverCert = certificate('127.0.0.1', server.pub, { name: caName, key: ca.priv }, '02', [
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    { name: 'extKeyUsage', serverAuth: true },
  ]);
  const client = keyPair();
  const clientCert = certificate('/DC=ch/DC=cern/OU=Users/CN=physlite test user', client.pub, { name: caName, key: ca.priv }, '03', [
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  return { ca: caCert, server: { cert: serverCert, key: server.pem }, client: { cert: clientCert, key: client.pem } };
}
