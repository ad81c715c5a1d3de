// The command line as the bytes the OS gave. Node decodes argv as UTF-8 and puts U+FFFD where a
// byte is not UTF-8, so a file named on the command line with such a name could not be opened
// again. On Linux the raw arguments are in /proc/self/cmdline (NUL-separated); the script's own
// arguments are its last entries, whatever flags Node itself was given.
import { readFileSync } from 'node:fs';
import { nameFromBytes } from '../shared/names.js';

/** `args` (process.argv after the script), each argument Node decoded lossily taken again from its bytes (surrogateescape, as files.ts names are). */
export function argumentsAsGiven(args: readonly string[]): string[] {
  if (!args.some((arg) => arg.includes('\ufffd'))) return [...args];
  let raw: Buffer;
  try {
    raw = readFileSync('/proc/self/cmdline');
  } catch {
    return [...args]; // not Linux: nothing better than Node's decoding
  }
  const entries: Buffer[] = [];
  for (let start = 0; start < raw.length; ) {
    const end = raw.indexOf(0, start);
    entries.push(raw.subarray(start, end < 0 ? raw.length : end));
    start = end < 0 ? raw.length : end + 1;
  }
  const tail = entries.slice(entries.length - args.length);
  // Only where the raw entry decodes to what Node gave (a safety check that the tail lines up).
  return args.map((arg, i) => {
    const bytes = tail[i];
    return bytes !== undefined && arg.includes('\ufffd') && bytes.toString('utf8') === arg ? nameFromBytes(bytes) : arg;
  });
}
