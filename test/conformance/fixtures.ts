import type { ConformanceFixture } from './fixture.js';
import { apideckFixture } from './apideck-fixture.js';
import { boxFixture } from './box-fixture.js';
import { graphFixture } from './graph-fixture.js';
import { s3Fixture } from './s3-fixture.js';
import { tusFixture } from './tus-fixture.js';

/** Every protocol adapter Hoist ships; each must pass the whole conformance suite. */
export const FIXTURES: ConformanceFixture[] = [graphFixture, boxFixture, apideckFixture, tusFixture, s3Fixture];
