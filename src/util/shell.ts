// Commands shown as fixes are pasted into a shell at 3 a.m.: every value that came from the cluster is quoted so the
// shell reads exactly the characters shown, and no character that a terminal would act on is ever printed raw.

const BARE = /^[A-Za-z0-9@%+=:,./_-]+$/;
// C0, DEL, C1, and Unicode characters that reorder or split lines on screen (bidi controls, LS/PS).
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** One shell word, quoted as a kubectl user would write it: bare when safe, '…' otherwise, $'…' for control characters. */
export function shellQuote(value: string): string {
  if (value !== '' && BARE.test(value)) return value;
  if (!INVISIBLE.test(value)) return `'${value.replaceAll("'", `'\\''`)}'`;
  // ANSI-C quoting (bash, zsh, ksh): shown escaped, read by the shell as the original characters.
  let quoted = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '\\' || char === "'") quoted += `\\${char}`;
    else if (code < 0x20 || code === 0x7f) quoted += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (INVISIBLE.test(char)) quoted += `\\u${code.toString(16).padStart(4, '0')}`;
    else quoted += char;
  }
  return `$'${quoted}'`;
}

/** sh`kubectl delete apiservice ${name}`: the literal parts are ours, every interpolated value is one quoted word. */
export function sh(literals: TemplateStringsArray, ...values: (string | number)[]): string {
  return literals.reduce((command, literal, index) => command + literal + (index < values.length ? shellQuote(String(values[index])) : ''), '');
}
