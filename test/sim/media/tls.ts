// The simulator's own TLS certificate authority for its media host. Baileys builds every upload URL as
// `https://${hostname}${MEDIA_PATH_MAP[type]}/…` (rc14 Utils/messages-media.js getWAUploadToServer) and every
// download URL as `https://${host}${directPath}` (getUrlFromDirectPath), so the media host must speak TLS.
// The CA is trusted only where simulator mode passes it explicitly (an https.Agent / undici dispatcher with
// `ca`), never through the process-wide trust store: the same rule as the simulator's Noise root key.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import forge from 'node-forge'

export interface SimulatorTls {
  /** PEM of the CA certificate: what a simulator-mode client trusts */
  caPem: string
  /** PEM chain (leaf, then CA) and key for the media host */
  certPem: string
  keyPem: string
}

/** RSA keys from Node's native crypto (forge's pure-JS key generation takes seconds). */
function keyPair() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
  const key = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey
  return { pem, key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) }
}

function certificate(subject: string, publicKey: forge.pki.PublicKey, extensions: object[]): forge.pki.Certificate {
  const cert = forge.pki.createCertificate()
  cert.publicKey = publicKey
  cert.serialNumber = '01' + randomBytes(8).toString('hex')
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000)
  cert.setSubject([{ name: 'commonName', value: subject }])
  cert.setExtensions(extensions)
  return cert
}

/** A fresh CA and a leaf for 127.0.0.1 / ::1 / localhost, valid for a day (a simulator lives for one run). */
export function generateSimulatorTls(): SimulatorTls {
  const caKeys = keyPair()
  const ca = certificate('WhatsApp simulator media CA', caKeys.publicKey, [
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ])
  ca.setIssuer(ca.subject.attributes)
  ca.sign(caKeys.key, forge.md.sha256.create())

  const leafKeys = keyPair()
  const leaf = certificate('127.0.0.1', leafKeys.publicKey, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }, { type: 2, value: 'localhost' }] },
  ])
  leaf.setIssuer(ca.subject.attributes)
  leaf.sign(caKeys.key, forge.md.sha256.create())
  const caPem = forge.pki.certificateToPem(ca)
  return { caPem, certPem: forge.pki.certificateToPem(leaf) + caPem, keyPem: leafKeys.pem }
}
