/**
 * A throw-away PKI made with openssl, as an admin would make one for a private registry: a CA, a server
 * certificate it signed for the given names and addresses, and a client certificate it signed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string }

export function makePki(serverNames: string[]): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'strata-pki-'));
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  try {
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=strata test CA');
    const sign = (name: string, subject: string, ext: string): void => {
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
      writeFileSync(join(dir, `${name}.ext`), ext);
      ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
    };
    const san = serverNames.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
    sign('server', `/CN=${serverNames[0]}`, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
    sign('client', '/CN=strata test client', 'extendedKeyUsage=clientAuth\n');
    const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
    return { ca: read('ca.crt'), serverCert: read('server.crt'), serverKey: read('server.key'), clientCert: read('client.crt'), clientKey: read('client.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
