// npm run rollout -- <command>: moves new sagas between builds of the worker deployment
// (WORKER_DEPLOYMENT_NAME, default trip-booking) on the Temporal that TEMPORAL_ADDRESS (or a
// temporal.toml profile, the default one included) names, as the worker connects. Running sagas
// never move: bookTrip is PINNED.
//   status                 the current and ramping builds, each build's open sagas
//   current <build>        new sagas start on <build> (waits for one of its workers to poll)
//   ramp <build> <percent> <percent> of new sagas go to <build>, the rest to the current build
//   drained <build>        exits 0 when no saga runs on <build> any more (then its workers may stop)
import { ConfigError, loadConfig } from '../src/config.ts';
import { connectClient, describeTemporal } from '../src/temporal/connection.ts';
import { describeDeployment, openSagasOn, setCurrentVersion, setRampingVersion } from '../src/temporal/versioning.ts';

const [command, buildId, percent] = process.argv.slice(2);
const usage = 'usage: npm run rollout -- status | current <build> | ramp <build> <percent> | drained <build>';
if (
  !command ||
  (command !== 'status' && !buildId) ||
  (command === 'ramp' && !(Number(percent) >= 0 && Number(percent) <= 100))
) {
  console.error(usage);
  process.exit(2);
}
let config;
try {
  config = loadConfig(process.env, { service: 'rollout' }); // the worker's connection, its temporal.toml included
} catch (error) {
  console.error(`npm run rollout: ${error instanceof ConfigError ? error.message : String(error)}`);
  process.exit(1);
}
const connection = await connectClient(config.temporal);
const target = {
  service: connection.workflowService,
  namespace: config.temporalNamespace,
  deploymentName: config.workerDeploymentName,
};
let exitCode = 0;
try {
  switch (command) {
    case 'current':
      await setCurrentVersion(target, buildId!);
      console.log(`${config.workerDeploymentName}: new sagas start on ${buildId}`);
      break;
    case 'ramp':
      await setRampingVersion(target, buildId, Number(percent));
      console.log(`${config.workerDeploymentName}: ${percent} % of new sagas start on ${buildId}`);
      break;
    case 'drained': {
      const open = await openSagasOn(target, buildId!);
      console.log(`${config.workerDeploymentName}: ${open} saga(s) still run on ${buildId}`);
      exitCode = open === 0 ? 0 : 1;
      break;
    }
    case 'status': {
      const { current, ramping, versions } = await describeDeployment(target);
      console.log(
        `${config.workerDeploymentName} on ${describeTemporal(config.temporal)}: current ${current ?? 'none'}${ramping ? `, ramping ${ramping.buildId} at ${ramping.percentage} %` : ''}`,
      );
      for (const v of versions) console.log(`  ${v.buildId}: ${await openSagasOn(target, v.buildId)} open saga(s)`);
      break;
    }
    default:
      console.error(usage);
      exitCode = 2;
  }
} catch (error) {
  console.error(`npm run rollout: ${(error as Error).message}`);
  exitCode = 1;
} finally {
  await connection.close();
}
process.exit(exitCode);
