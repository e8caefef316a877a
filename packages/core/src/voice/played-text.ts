/**
 * The part of a sentence a listener heard when its audio stopped after `fraction` (0..1) of it:
 * the words that end within that share of the characters. Speech rate is close enough to
 * uniform within a sentence for this to be right to a word or two.
 */
export function playedPrefix(text: string, fraction: number): string {
  if (fraction >= 1) return text;
  if (fraction <= 0) return "";
  const limit = text.length * fraction;
  let end = 0;
  const word = /\S+/g;
  for (let m = word.exec(text); m !== null; m = word.exec(text)) {
    const wordEnd = m.index + m[0].length;
    if (wordEnd > limit) break;
    end = wordEnd;
  }
  return text.slice(0, end);
}
