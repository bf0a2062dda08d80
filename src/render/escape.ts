// The render boundary for terminals: every string that reaches text or markdown output, or stderr, passes here once.
// Names, reasons, messages and finalizers come from the cluster or from a snapshot file, and anyone who can write a
// pod's status can put escape sequences in them (clear screen, recolour, set the title, overwrite a fix line).

// C0 (tab, newline and CR included: a value must never start a new line), DEL, C1, bidi controls, LS/PS.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Shows every control character as an escape (`\x1b`, `\n`, `\u202e`), leaving all else as it is. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    return NAMED[char] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

/** The same object with every string in it escaped, keys included (finalizer names are keys of a count map). */
export function escapeDeep<T>(value: T): T {
  if (typeof value === 'string') return escapeControl(value) as T;
  if (Array.isArray(value)) return value.map(escapeDeep) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [escapeControl(key), escapeDeep(inner)])) as T;
  }
  return value;
}

// JSON.stringify escapes C0 but leaves DEL, C1 and the line/bidi characters raw; \u escapes keep the same string.
const RAW_IN_JSON = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function escapeJsonText(json: string): string {
  return json.replace(RAW_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
