import { apideckSoak } from './apideck-soak.js';
import { boxSoak } from './box-soak.js';
import { graphSoak } from './graph-soak.js';
import { s3Soak } from './s3-soak.js';
import type { SoakProvider } from './soak-target.js';
import { tusSoak } from './tus-soak.js';

/** Every provider Hoist ships, each soaked the same way. */
export const SOAK_PROVIDERS: SoakProvider[] = [graphSoak, boxSoak, apideckSoak, tusSoak, s3Soak];
