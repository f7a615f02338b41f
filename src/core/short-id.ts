/**
 * The short ids in folder names (trial-, sweep-, tuned-, performance-profile-): the first hex
 * digits of SHA-256 over a text that names what the folder holds. The recipe is part of the run
 * layout: changing it would rename every existing folder, so resumes would no longer find them.
 */
import { createHash } from 'node:crypto';

export function shortId(text: string, digits: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, digits);
}
