/**
 * `ssl.principal.mapping.rules` as Kafka's SslPrincipalMapper applies them to the distinguished
 * name of a client certificate: a comma-separated list of `DEFAULT` (the DN unchanged) and
 * `RULE:<pattern>/<replacement>/[L|U]` (the first rule whose pattern matches the whole DN gives
 * the name, `$1` back references replaced, lower- or upper-cased with L or U). When no rule
 * matches, the login fails (Kafka's NoMatchingRule).
 *
 * Distinguished names are written as Java's X500Principal.getName() writes them (RFC 2253): the
 * most specific attribute first, `CN=alice,OU=eng,O=Example,C=US`.
 */
import { X509Certificate } from 'node:crypto';
import { ConfigError } from '../common/config-def.js';

interface Rule {
  isDefault: boolean;
  pattern?: RegExp;
  whole?: RegExp;
  replacement?: string;
  toLower?: boolean;
  toUpper?: boolean;
}

const RULE = /^\s*(?:(DEFAULT)|RULE:((?:\\.|[^\\/])*)\/((?:\\.|[^\\/])*)\/([LU]?))\s*(?:,|\n|$)/;

export class SslPrincipalMapper {
  private readonly rules: Rule[];

  constructor(rulesText: string) {
    this.rules = [];
    let rest = rulesText.trim();
    while (rest.length > 0) {
      const m = RULE.exec(rest);
      if (!m) throw new ConfigError('ssl.principal.mapping.rules', `Invalid rule: ${rest}`);
      if (m[1]) this.rules.push({ isDefault: true });
      else {
        try {
          this.rules.push({ isDefault: false, pattern: new RegExp(m[2]!, 'g'), whole: new RegExp(`^(?:${m[2]!})$`), replacement: m[3]!, toLower: m[4] === 'L', toUpper: m[4] === 'U' });
        } catch (err) {
          throw new ConfigError('ssl.principal.mapping.rules', `Invalid rule pattern ${m[2]}: ${(err as Error).message}`);
        }
      }
      rest = rest.slice(m[0].length).trimStart();
    }
  }

  /** The principal name for a DN, or undefined when no rule applies. */
  map(dn: string): string | undefined {
    for (const r of this.rules) {
      if (r.isDefault) return dn;
      if (!r.whole!.test(dn)) continue;
      r.pattern!.lastIndex = 0;
      const name = dn.replace(r.pattern!, r.replacement!);
      return r.toLower ? name.toLowerCase() : r.toUpper ? name.toUpperCase() : name;
    }
    return undefined;
  }
}

/** A certificate's subject as an RFC 2253 distinguished name (most specific attribute first). */
export function distinguishedName(cert: X509Certificate | Buffer): string {
  const x509 = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  return x509.subject
    .split('\n')
    .filter((s) => s !== '')
    .reverse()
    .map((rdn) => rdn.replace(/ \+ /g, '+'))
    .join(',');
}
