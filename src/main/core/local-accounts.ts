import { readFileSync } from 'node:fs';

/**
 * The people's accounts in an /etc/passwd text (UID 1000–59999), for pseudonyms sent to
 * remote models. System accounts identify nobody and stay as they are.
 */
export function passwdAccountNames(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7) continue;
    const uid = Number(fields[2]);
    if (Number.isInteger(uid) && uid >= 1000 && uid < 60000 && /^[a-z_][a-z0-9_.-]{0,31}$/.test(fields[0] as string)) names.push(fields[0] as string);
  }
  return names;
}

/** This machine's accounts (its /etc/passwd); unreadable → none. */
export function localAccountNames(file = '/etc/passwd'): string[] {
  try {
    return passwdAccountNames(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}
