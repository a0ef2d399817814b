/**
 * Kafka's `sasl.jaas.config` values: one JAAS login module entry,
 * `<LoginModule class> <flag> key="value" key2=value2;` (the flag is required, requisite,
 * sufficient or optional; values are quoted with escapes, or bare words). Used by the broker for
 * `listener.name.<l>.<mechanism>.sasl.jaas.config` (PLAIN's `user_<name>="<password>"`, the OAuth
 * validator's options) and by clients for their login (username, password, unsecured claims).
 */
import { SamsaError } from '../protocol/samsa-error.js';

export class JaasConfigError extends SamsaError {
  constructor(message: string) {
    super('SAMSA_CONFIG', message);
  }
}

export interface JaasEntry {
  loginModule: string;
  flag: string;
  options: Map<string, string>;
}

const FLAGS = ['required', 'requisite', 'sufficient', 'optional'];

/** Parses one JAAS entry; throws JaasConfigError with Kafka's sense of what is wrong. */
export function parseJaasConfig(text: string): JaasEntry {
  const tokens = tokenize(text);
  let i = 0;
  const next = (what: string): string => {
    const t = tokens[i++];
    if (t === undefined) throw new JaasConfigError(`Invalid JAAS config: expected ${what}`);
    return t.value;
  };
  const loginModule = next('a login module name');
  const flag = next('a control flag').toLowerCase();
  if (!FLAGS.includes(flag)) throw new JaasConfigError(`Invalid JAAS config: invalid control flag ${flag} (one of ${FLAGS.join(', ')})`);
  const options = new Map<string, string>();
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t.value === ';' && !t.quoted) {
      if (i !== tokens.length - 1) throw new JaasConfigError('JAAS config property contains more than one login module: Samsa takes one');
      return { loginModule, flag, options };
    }
    const name = next('an option name');
    const eq = tokens[i++];
    if (!eq || eq.value !== '=' || eq.quoted) throw new JaasConfigError(`Invalid JAAS config: expected = after ${name}`);
    options.set(name, next(`a value for ${name}`));
  }
  throw new JaasConfigError('Invalid JAAS config: it must end with ;');
}

function tokenize(text: string): { value: string; quoted: boolean }[] {
  const out: { value: string; quoted: boolean }[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '=' || c === ';') {
      out.push({ value: c, quoted: false });
      i++;
    } else if (c === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new JaasConfigError('Invalid JAAS config: unterminated quoted value');
        const d = text[i++]!;
        if (d === '"') break;
        if (d === '\\' && i < text.length) v += text[i++]!;
        else v += d;
      }
      out.push({ value: v, quoted: true });
    } else {
      const m = /^[^\s=;"]+/.exec(text.slice(i))!;
      out.push({ value: m[0], quoted: false });
      i += m[0].length;
    }
  }
  return out;
}

/** Quotes a value for a JAAS config. */
export function jaasQuote(v: string): string {
  return '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}
