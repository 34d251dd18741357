/**
 * Run ids: 32 lowercase hex characters, as MLflow's `uuid4().hex`, whose last characters name the
 * run's experiment, so that a store can find a run by its id alone (dynamo-store.ts reads the run
 * item directly and writes no pointer item for it):
 *
 *   <random hex><experiment id, its decimal digits><how many digits, one hex digit>
 *   with the character at index 12 set to 'e' (a uuid4 holds '4' there)
 *
 * At least 60 random bits remain (104 for experiment ids up to 4 digits). An id made elsewhere
 * (a pipeline's deterministic id, an id of an earlier version) can read as naming an experiment by
 * chance, so the name is a hint: a run not found in that experiment is looked up the other way.
 */
import { randomBytes, randomUUID } from 'node:crypto';

const MARKER_INDEX = 12;
const MARKER = 'e';
const NAMEABLE_EXPERIMENT = /^(0|[1-9]\d{0,14})$/;

/** A new run id naming its experiment (a plain uuid4 hex when the id cannot be named). */
export function newRunId(experimentId: string): string {
  if (!NAMEABLE_EXPERIMENT.test(experimentId)) return randomUUID().replaceAll('-', '');
  const random = randomBytes(16)
    .toString('hex')
    .slice(0, 31 - experimentId.length);
  return `${random.slice(0, MARKER_INDEX)}${MARKER}${random.slice(MARKER_INDEX + 1)}${experimentId}${experimentId.length.toString(16)}`;
}

/** The experiment a run id names, if it reads as naming one (a hint: see above). */
export function experimentHint(runId: string): string | undefined {
  if (runId.length !== 32 || runId[MARKER_INDEX] !== MARKER || !/^[0-9a-f]+$/.test(runId)) return undefined;
  const digits = Number.parseInt(runId[31] as string, 16);
  if (digits < 1) return undefined;
  const experimentId = runId.slice(31 - digits, 31);
  return NAMEABLE_EXPERIMENT.test(experimentId) ? experimentId : undefined;
}
