import fc from 'fast-check';

/**
 * Every property without a seed of its own runs on this one, so that a CI run can be repeated
 * exactly; `FC_SEED=<integer>` explores other cases (fast-check prints the seed of a failure).
 */
const seed = Number(process.env.FC_SEED ?? 20261207);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
