/** Longest label kept, in characters: a word or two for the sidebar, not a note. */
export const MAX_LABEL_LENGTH = 64

/**
 * A user's label as the engine keeps it: control characters dropped, runs of white space made one
 * space, trimmed, cut to MAX_LABEL_LENGTH. Empty (or null) means "no label".
 */
export function normalizeLabel(label: string | null | undefined): string | undefined {
  if (typeof label !== 'string') return undefined
  const clean = label
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return clean ? [...clean].slice(0, MAX_LABEL_LENGTH).join('').trim() : undefined
}
