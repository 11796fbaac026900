/** Random container names in Docker's "adjective_surname" style (our own word lists). */
import { randomInt } from '../images/digest.js';

const ADJECTIVES = [
  'agile', 'amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'cosmic', 'crisp', 'daring', 'eager', 'fervent',
  'gentle', 'glad', 'happy', 'humble', 'jolly', 'keen', 'kind', 'lively', 'lucid', 'merry', 'mighty', 'nimble',
  'noble', 'patient', 'plucky', 'proud', 'quick', 'quiet', 'rapid', 'serene', 'sharp', 'shiny', 'silent', 'steady',
  'sturdy', 'sunny', 'swift', 'tender', 'tidy', 'vivid', 'warm', 'wise', 'witty', 'zealous',
];

const SURNAMES = [
  'archimedes', 'babbage', 'bardeen', 'bohr', 'boole', 'cerf', 'curie', 'darwin', 'dijkstra', 'einstein', 'euler',
  'faraday', 'fermat', 'feynman', 'franklin', 'galileo', 'gauss', 'hamilton', 'hopper', 'hypatia', 'kepler',
  'knuth', 'lamport', 'lovelace', 'maxwell', 'meitner', 'mendel', 'newton', 'noether', 'pascal', 'planck',
  'ramanujan', 'ritchie', 'shannon', 'thompson', 'turing', 'volta', 'wozniak', 'yalow',
];

export function randomName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
}

/** Docker's rule for user-chosen names. */
export const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
