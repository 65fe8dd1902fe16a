/**
 * Splits a command line into program and arguments the way keepalived splits a script string
 * ("/usr/bin/check 'a b' c" is three words), without a shell: words are separated by blanks,
 * single quotes keep everything literally, double quotes keep blanks and honour \" and \\,
 * and outside quotes a backslash takes the next character literally.
 */

/** The words of `text`. Throws SyntaxError on an unterminated quote or a trailing backslash. */
export function splitCommandLine(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new SyntaxError(`Unterminated single quote in "${text}"`);
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text[j] as string;
        if (d === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) {
          word += text[j + 1];
          j++;
        } else {
          word += d;
        }
      }
      if (j >= text.length) throw new SyntaxError(`Unterminated double quote in "${text}"`);
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new SyntaxError(`Trailing backslash in "${text}"`);
      word += text[i + 1];
      i++;
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}
