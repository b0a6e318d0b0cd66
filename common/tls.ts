/**
 * mTLS material: the cluster CA, certificates for oracles, agents and operators, and the gRPC
 * credentials built from them.
 *
 * Certificates are X.509 v3 with ECDSA P-256 keys (PKCS#8 PEM, mode 0600). node:crypto makes the
 * keys, signs and parses; @peculiar/asn1-x509 only encodes the TBSCertificate (node:crypto cannot
 * issue certificates). Every leaf certificate carries serverAuth and clientAuth and one or more
 * roles as OU attributes of its subject (`OU=oracle`, `OU=agent`, `OU=admin`); an oracle serving
 * mTLS admits a call only if the client's certificate chains to the cluster CA (the TLS handshake
 * checks that) and has a role allowed for the service (ROLE_ACCESS, a server interceptor).
 *
 * A TLS bundle is a directory holding `ca.crt` (the cluster CA), `tls.crt` and `tls.key`; the CA
 * directory holds `ca.crt` and `ca.key`.
 *
 * One concern, the cluster's mTLS material from issuing to checking a peer, which is why this
 * file is a little over 500 lines: issuing and loading share the PEM readers and role parsing.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type * as Asn1Schema from '@peculiar/asn1-schema';
import type * as X509 from '@peculiar/asn1-x509';
import { MpcidError } from './errors.js';
import { writeFileDurable } from './fsutil.js';

export const ROLES = ['oracle', 'agent', 'admin'] as const;
export type Role = (typeof ROLES)[number];

let asn1Modules:
  | {
      x509: typeof X509;
      AsnConvert: typeof Asn1Schema.AsnConvert;
      OctetString: typeof Asn1Schema.OctetString;
    }
  | undefined;

/**
 * @peculiar's ASN.1 modules (about 80 files), loaded on first use: only issuing a certificate needs
 * them, so the start of every other command (an agent's enrollment, a sign) does not load them.
 */
function asn1() {
  if (!asn1Modules) {
    const req = createRequire(import.meta.url);
    const schema = req('@peculiar/asn1-schema') as typeof Asn1Schema;
    asn1Modules = {
      x509: req('@peculiar/asn1-x509') as typeof X509,
      AsnConvert: schema.AsnConvert,
      OctetString: schema.OctetString,
    };
  }
  return asn1Modules;
}

/** File names inside a TLS bundle directory and a CA directory. */
export const BUNDLE_FILES = { ca: 'ca.crt', cert: 'tls.crt', key: 'tls.key' } as const;
export const CA_FILES = { cert: 'ca.crt', key: 'ca.key' } as const;

/** Which roles may call each gRPC service of an oracle when it serves mTLS. Services not listed are refused. */
export const ROLE_ACCESS: Readonly<Record<string, readonly Role[]>> = {
  'mpcid.oracle.v1.Enrollment': ['agent'],
  'mpcid.oracle.v1.Signer': ['agent'],
  'mpcid.oracle.v1.Peer': ['oracle'],
  'mpcid.oracle.v1.Bundle': ['agent'],
  // Oracles too: one that missed an issuer key's commit reads its peers' proofs (GetIssuerKeys).
  'mpcid.oracle.v1.Issuer': ['agent', 'oracle'],
  'mpcid.oracle.v1.IssuerPeer': ['oracle'],
  'mpcid.admin.v1.IssuerAdmin': ['admin'],
  'mpcid.admin.v1.Admin': ['admin'],
  'grpc.health.v1.Health': ROLES,
};

/** PEM bytes of a CA certificate, a leaf certificate and its private key (SECRET). */
export interface TlsMaterial {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The roles of `cert`. */
  readonly roles: readonly Role[];
  /** The certificate's CN, for log lines. */
  readonly name: string;
}

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const OID_OU = '2.5.4.11';
const DAY_MS = 86_400_000;
/** Certificates are valid from a few minutes in the past, for clocks that are slightly behind. */
const BACKDATE_MS = 5 * 60_000;

function dn(attrs: readonly (readonly [string, string])[]): X509.Name {
  const { x509 } = asn1();
  return new x509.Name(
    attrs.map(
      ([type, value]) =>
        new x509.RelativeDistinguishedName([
          new x509.AttributeTypeAndValue({ type, value: new x509.AttributeValue({ utf8String: value }) }),
        ]),
    ),
  );
}

function ext(id: string, critical: boolean, value: unknown): X509.Extension {
  const { x509, AsnConvert, OctetString } = asn1();
  return new x509.Extension({
    extnID: id,
    critical,
    extnValue: new OctetString(AsnConvert.serialize(value)),
  });
}

function toPem(label: string, der: ArrayBuffer | Uint8Array): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

function spkiOf(key: KeyObject): X509.SubjectPublicKeyInfo {
  const { x509, AsnConvert } = asn1();
  const der = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return AsnConvert.parse(der, x509.SubjectPublicKeyInfo);
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyId(spki: X509.SubjectPublicKeyInfo): Buffer {
  return createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest();
}

function newKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

function keyPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

interface CertSpec {
  subject: X509.Name;
  issuer: X509.Name;
  publicKey: X509.SubjectPublicKeyInfo;
  signer: KeyObject;
  authorityKeyId: Buffer;
  days: number;
  extensions: X509.Extension[];
}

function makeCert(s: CertSpec): string {
  const { x509, AsnConvert } = asn1();
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // positive
  serial[0]! |= 0x01; // and minimal (no leading zero byte)
  const alg = new x509.AlgorithmIdentifier({ algorithm: ECDSA_SHA256 });
  const now = Date.now();
  const tbs = new x509.TBSCertificate({
    version: x509.Version.v3,
    serialNumber: serial.buffer.slice(serial.byteOffset, serial.byteOffset + serial.length),
    signature: alg,
    issuer: s.issuer,
    validity: new x509.Validity({
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + s.days * DAY_MS),
    }),
    subject: s.subject,
    subjectPublicKeyInfo: s.publicKey,
    extensions: new x509.Extensions([
      ...s.extensions,
      ext(x509.id_ce_subjectKeyIdentifier, false, new x509.SubjectKeyIdentifier(keyId(s.publicKey))),
      ext(
        x509.id_ce_authorityKeyIdentifier,
        false,
        new x509.AuthorityKeyIdentifier({ keyIdentifier: new x509.KeyIdentifier(s.authorityKeyId) }),
      ),
    ]),
  });
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbs)), {
    key: s.signer,
    dsaEncoding: 'der',
  });
  const cert = new x509.Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: alg,
    signatureValue: signature.buffer.slice(signature.byteOffset, signature.byteOffset + signature.length),
  });
  return toPem('CERTIFICATE', AsnConvert.serialize(cert));
}

export interface CaFiles {
  dir: string;
  certFile: string;
  keyFile: string;
}

/** Creates a cluster CA in `dir` (ca.crt 0644, ca.key 0600): ECDSA P-256, self-signed, path length 0. */
export function createCa(dir: string, clusterId: string, days = 3650): CaFiles {
  const { x509 } = asn1();
  const key = newKey();
  const spki = spkiOf(key);
  const name = dn([
    [OID_O, 'mpcid'],
    [OID_CN, `mpcid cluster CA ${clusterId}`],
  ]);
  const pem = makeCert({
    subject: name,
    issuer: name,
    publicKey: spki,
    signer: key,
    authorityKeyId: keyId(spki),
    days,
    extensions: [
      ext(x509.id_ce_basicConstraints, true, new x509.BasicConstraints({ cA: true, pathLenConstraint: 0 })),
      ext(
        x509.id_ce_keyUsage,
        true,
        new x509.KeyUsage(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign),
      ),
    ],
  });
  const certFile = join(dir, CA_FILES.cert);
  const keyFile = join(dir, CA_FILES.key);
  writeFileDurable(keyFile, keyPem(key), 0o600);
  writeFileDurable(certFile, pem, 0o644);
  return { dir, certFile, keyFile };
}

/** Reads a CA directory made by createCa (or any CA cert + its ECDSA/RSA/Ed25519 key). */
export function readCa(dir: string): { cert: X509Certificate; certPem: Buffer; key: KeyObject } {
  const certFile = join(dir, CA_FILES.cert);
  const keyFile = join(dir, CA_FILES.key);
  const certPem = readOrThrow(certFile, 'CA certificate');
  const cert = parseCert(certPem, certFile, 'CA certificate');
  if (!cert.ca) throw new MpcidError('CONFIG_INVALID', `${certFile} is not a CA certificate`);
  const key = parseKey(readOrThrow(keyFile, 'CA key'), keyFile, 'CA key');
  if (!cert.checkPrivateKey(key))
    throw new MpcidError('CONFIG_INVALID', `${keyFile} is not the key of ${certFile}`);
  return { cert, certPem, key };
}

export interface IssueOptions {
  /** The certificate's CN, e.g. `oracle-1` or the agent's SPIFFE ID. */
  name: string;
  roles: readonly Role[];
  /** Subject alternative names: host names and IP addresses (and URIs, e.g. spiffe://…). */
  sans?: readonly string[];
  days?: number;
}

const SAN_DNS = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/;

function generalName(san: string): X509.GeneralName {
  const { x509 } = asn1();
  const ip = san.replace(/^\[(.*)\]$/, '$1');
  if (isIP(ip)) return new x509.GeneralName({ iPAddress: ip });
  if (/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(san))
    return new x509.GeneralName({ uniformResourceIdentifier: san });
  if (SAN_DNS.test(san) && san.length <= 253) return new x509.GeneralName({ dNSName: san });
  throw new MpcidError(
    'CONFIG_INVALID',
    `not a host name, IP address or URI for a SAN: ${JSON.stringify(san)}`,
  );
}

/** Checks an issue request without issuing (bad names, roles, SANs are CONFIG_INVALID). */
export function checkIssueOptions(o: IssueOptions): void {
  if (!/^[\x20-\x7e]{1,255}$/.test(o.name))
    throw new MpcidError('CONFIG_INVALID', 'certificate name: printable ASCII, 1-255 characters');
  if (o.roles.length === 0 || !o.roles.every((r) => (ROLES as readonly string[]).includes(r)))
    throw new MpcidError('CONFIG_INVALID', `certificate roles: one or more of ${ROLES.join(', ')}`);
  if (o.days !== undefined && (!Number.isSafeInteger(o.days) || o.days < 1 || o.days > 36_500))
    throw new MpcidError('CONFIG_INVALID', 'certificate days: 1..36500');
  for (const s of o.sans ?? []) generalName(s);
}

/**
 * Issues a leaf certificate (serverAuth + clientAuth) signed by the CA in `caDir` and writes a
 * bundle to `outDir`: ca.crt, tls.crt (0644) and tls.key (0600).
 */
export function issueBundle(caDir: string, outDir: string, o: IssueOptions): TlsFiles {
  const { x509, AsnConvert } = asn1();
  checkIssueOptions(o);
  const ca = readCa(caDir);
  const key = newKey();
  const caSpki = AsnConvert.parse(
    ca.cert.publicKey.export({ format: 'der', type: 'spki' }),
    x509.SubjectPublicKeyInfo,
  );
  const issuer = AsnConvert.parse(ca.cert.raw, x509.Certificate).tbsCertificate.subject;
  const sans = [...new Set(o.sans ?? [])];
  const pem = makeCert({
    subject: dn([[OID_O, 'mpcid'], ...o.roles.map((r) => [OID_OU, r] as const), [OID_CN, o.name]]),
    issuer,
    publicKey: spkiOf(key),
    signer: ca.key,
    authorityKeyId: keyId(caSpki),
    days: o.days ?? 365,
    extensions: [
      ext(x509.id_ce_basicConstraints, true, new x509.BasicConstraints({ cA: false })),
      ext(x509.id_ce_keyUsage, true, new x509.KeyUsage(x509.KeyUsageFlags.digitalSignature)),
      ext(
        x509.id_ce_extKeyUsage,
        false,
        new x509.ExtendedKeyUsage([x509.id_kp_serverAuth, x509.id_kp_clientAuth]),
      ),
      ...(sans.length
        ? [ext(x509.id_ce_subjectAltName, false, new x509.SubjectAlternativeName(sans.map(generalName)))]
        : []),
    ],
  });
  const files = bundleFiles(outDir);
  writeFileDurable(files.key, keyPem(key), 0o600);
  writeFileDurable(files.cert, pem, 0o644);
  writeFileDurable(files.ca, ca.certPem, 0o644);
  return files;
}

export function bundleFiles(dir: string): TlsFiles {
  return {
    ca: join(dir, BUNDLE_FILES.ca),
    cert: join(dir, BUNDLE_FILES.cert),
    key: join(dir, BUNDLE_FILES.key),
  };
}

/** True when `dir` holds the three files of a TLS bundle. */
export function isBundle(dir: string): boolean {
  return Object.values(bundleFiles(dir)).every((f) => existsSync(f));
}

/** Copies a bundle (e.g. into an agent's state dir), keeping the key 0600. */
export function copyBundle(from: TlsFiles, toDir: string): TlsFiles {
  const to = bundleFiles(toDir);
  writeFileDurable(to.key, readFileSync(from.key), 0o600);
  writeFileDurable(to.cert, readFileSync(from.cert), 0o644);
  writeFileDurable(to.ca, readFileSync(from.ca), 0o644);
  return to;
}

/** Reads a file; `what` is a config field ("tls.cert:") or a description ("CA key"). */
function readOrThrow(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const msg = what.endsWith(':')
      ? `${what} cannot read ${file}: ${code}`
      : `cannot read ${what} ${file}: ${code}`;
    throw new MpcidError('CONFIG_INVALID', msg);
  }
}

function parseCert(pem: Buffer, file: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new MpcidError('CONFIG_INVALID', `${what} ${file} is not a PEM X.509 certificate`);
  }
}

function parseKey(pem: Buffer, file: string, what: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    // Never quote the file: it is a secret.
    throw new MpcidError('CONFIG_INVALID', `${what} ${file} is not a PEM private key`);
  }
}

/** The roles (OU attributes) of a subject as node:crypto or node:tls prints it. */
function rolesIn(ou: string | string[] | undefined): Role[] {
  const list = ou === undefined ? [] : Array.isArray(ou) ? ou : [ou];
  return ROLES.filter((r) => list.includes(r));
}

function subjectField(subject: string, key: string): string[] {
  return subject
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

export interface LoadedTls {
  material: TlsMaterial;
  /** Not fatal but worth a log line (e.g. a key readable by others). */
  warnings: string[];
}

/**
 * Reads and checks TLS files: each readable and of the right kind, the key matching the
 * certificate, the certificate issued and signed by the CA, both within their validity period,
 * and (when `needRole` is given) the certificate carrying that role. Errors (CONFIG_INVALID) name
 * the `field` (e.g. `tls.cert`) and the file, never the files' contents.
 */
export function loadTls(
  files: TlsFiles,
  opts: { field?: string | ((k: keyof TlsFiles) => string); needRole?: Role; now?: number } = {},
): LoadedTls {
  const field = opts.field ?? 'tls';
  const f = (k: keyof TlsFiles) => (typeof field === 'function' ? field(k) : `${field}.${k}`);
  const now = opts.now ?? Date.now();
  const caPem = readOrThrow(files.ca, `${f('ca')}:`);
  const certPem = readOrThrow(files.cert, `${f('cert')}:`);
  const keyPemBytes = readOrThrow(files.key, `${f('key')}:`);
  const ca = parseCert(caPem, files.ca, `${f('ca')}:`);
  const cert = parseCert(certPem, files.cert, `${f('cert')}:`);
  const key = parseKey(keyPemBytes, files.key, `${f('key')}:`);
  const bad = (field: string, why: string) => new MpcidError('CONFIG_INVALID', `${field}: ${why}`);
  if (!ca.ca) throw bad(f('ca'), `${files.ca} is not a CA certificate`);
  if (!cert.checkPrivateKey(key)) throw bad(f('key'), `${files.key} is not the key of ${files.cert}`);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
    throw bad(f('cert'), `${files.cert} is not signed by the CA in ${files.ca}`);
  for (const [c, field, file] of [
    [ca, f('ca'), files.ca],
    [cert, f('cert'), files.cert],
  ] as const) {
    if (Date.parse(c.validTo) <= now) throw bad(field, `${file} expired on ${c.validTo}`);
    if (Date.parse(c.validFrom) > now) throw bad(field, `${file} is not valid before ${c.validFrom}`);
  }
  const roles = rolesIn(subjectField(cert.subject, 'OU'));
  if (opts.needRole && !roles.includes(opts.needRole)) {
    throw bad(
      f('cert'),
      `${files.cert} has roles [${roles.join(', ')}]; this needs a certificate with role ${opts.needRole} (mpcid cert issue --role ${opts.needRole})`,
    );
  }
  const warnings: string[] = [];
  try {
    const mode = statSync(files.key).mode & 0o777;
    if (mode & 0o077)
      warnings.push(
        `${f('key')}: ${files.key} is readable by others (mode ${mode.toString(8)}); chmod 600 it`,
      );
  } catch {
    // already read above; a race here is not worth failing for
  }
  return {
    material: {
      ca: caPem,
      cert: certPem,
      key: keyPemBytes,
      roles,
      name: subjectField(cert.subject, 'CN')[0] ?? '',
    },
    warnings,
  };
}

/** Server credentials: mTLS that requires a client certificate from the CA, or plaintext when `tls` is null. */
export function serverCredentials(tls: TlsMaterial | null): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true);
}

/** Channel credentials pinned to the cluster CA (only it is trusted), presenting our certificate. */
export function channelCredentials(tls: TlsMaterial | null): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(tls.ca, tls.key, tls.cert);
}

/**
 * grpc-js passes an IP target (e.g. 127.0.0.1:7000) to node:tls as the SNI server name, and Node
 * warns about it (DEP0123) on every connection. The certificate is still checked against the IP
 * (node:tls checkServerIdentity matches IP SANs), so the warning is noise on stderr: silence it.
 */
export function silenceIpServerNameWarning(): void {
  const emit = process.emitWarning.bind(process) as (...a: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const code =
      typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
    if (code === 'DEP0123') return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** The roles (OU attributes) of a certificate. */
export function certificateRoles(cert: X509Certificate): Role[] {
  return rolesIn(subjectField(cert.subject, 'OU'));
}

/** A certificate's CN ('' if none). */
export function certificateName(cert: X509Certificate): string {
  return subjectField(cert.subject, 'CN')[0] ?? '';
}

/** The roles of a verified client certificate as grpc-js reports it. */
export function peerRoles(cert: PeerCertificate | undefined): Role[] {
  return rolesIn(cert?.subject?.OU);
}

/** The fully qualified service of a method path "/pkg.Service/Method". */
export function serviceOf(path: string): string {
  return path.slice(1, path.lastIndexOf('/'));
}

/**
 * A server interceptor that admits a call only if the client certificate has a role allowed for
 * the service (ROLE_ACCESS); others get PERMISSION_DENIED with `deny(...)`'s status.
 */
export function roleInterceptor(
  deny: (
    service: string,
    roles: Role[],
    who: string,
  ) => { code: grpc.status; details: string; metadata?: grpc.Metadata },
): grpc.ServerInterceptor {
  return (method, call) => {
    const service = serviceOf(method.path);
    const cert = call.getAuthContext()?.sslPeerCertificate;
    const roles = peerRoles(cert);
    const allowed = ROLE_ACCESS[service] ?? [];
    if (roles.some((r) => allowed.includes(r))) return new grpc.ServerInterceptingCall(call);
    const who = typeof cert?.subject?.CN === 'string' ? cert.subject.CN : '(no certificate)';
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: () => {
            call.sendStatus(deny(service, roles, who));
          },
        });
      },
    });
  };
}

export interface ClientTlsChoice {
  /** `--tls DIR` */
  tlsDir?: string | undefined;
  /** `--insecure` */
  insecure?: boolean | undefined;
  /** A bundle found in the agent's state dir (used when no --tls is given). */
  stateBundle?: string | undefined;
}

/**
 * How a command-line client reaches oracles: `--tls DIR`, else the state dir's bundle, else
 * plaintext if `--insecure`, else $MPCID_TLS_DIR, else plaintext if MPCID_INSECURE=1; with none of
 * these it is an error (TLS is the default, plaintext must be asked for). `--insecure` with `--tls`
 * or a state dir's bundle is a contradiction (CONFIG_INVALID); with $MPCID_TLS_DIR it is not: a
 * flag overrides the environment (e.g. `mpcid dev up`, plaintext, run where MPCID_TLS_DIR is set).
 */
export function resolveClientTls(
  c: ClientTlsChoice,
  env: NodeJS.ProcessEnv = process.env,
): { tls: TlsMaterial | null; dir: string | null } {
  const given = c.tlsDir ?? c.stateBundle;
  if (given !== undefined && c.insecure)
    throw new MpcidError('CONFIG_INVALID', '--insecure and a TLS bundle: give one of them');
  const dir = given ?? (c.insecure ? undefined : env['MPCID_TLS_DIR'] || undefined);
  if (dir !== undefined) {
    const field = (k: keyof TlsFiles) => `TLS bundle ${dir} (${BUNDLE_FILES[k]})`;
    return { tls: loadTls(bundleFiles(dir), { field }).material, dir };
  }
  if (c.insecure || env['MPCID_INSECURE'] === '1') return { tls: null, dir: null };
  throw new MpcidError(
    'CONFIG_INVALID',
    'no TLS material: pass --tls DIR (a bundle with ca.crt, tls.crt, tls.key from mpcid init or mpcid cert issue) or set MPCID_TLS_DIR; plaintext only with --insecure (or MPCID_INSECURE=1)',
  );
}
