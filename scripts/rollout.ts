// npm run rollout -- [--service <service>] <command>: moves work between builds of a Worker
// Deployment on the Temporal that TEMPORAL_ADDRESS (or a temporal.toml profile, the default one
// included) names, as the worker connects. Without --service, the booking's deployment
// (WORKER_DEPLOYMENT_NAME, default trip-booking): new sagas move, running sagas never do (bookTrip
// is PINNED). With --service flights (hotels, payments), that service's own deployment
// (`<WORKER_DEPLOYMENT_NAME>-flights`, in the service's namespace when SERVICES_VIA=nexus): every
// booking's next step of that service moves, whichever booking build the booking is pinned to.
//   status                 the current and ramping builds, each build's open workflows (all four
//                          deployments, or the one --service names)
//   current <build>        <build> takes the new work (waits for one of its workers to poll)
//   ramp <build> <percent> <percent> of the new work goes to <build>, the rest to the current build
//   drained <build>        exits 0 when no workflow runs on <build> any more (then its workers may stop)
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../src/config.ts';
import { SERVICE_NAMES } from '../src/booking/service-contracts.ts';
import type { ServiceName } from '../src/booking/service-routes.ts';
import { connectClient, describeTemporal } from '../src/temporal/connection.ts';
import { GrpcStatus, grpcStatusOf } from '../src/temporal/grpc-status.ts';
import { serviceTransport } from '../src/temporal/service-transport.ts';
import {
  describeDeployment,
  openSagasOn,
  serviceDeploymentName,
  setCurrentVersion,
  setRampingVersion,
  type DeploymentTarget,
} from '../src/temporal/versioning.ts';

const usage =
  'usage: npm run rollout -- [--service <service>] status | current <build> | ramp <build> <percent> | drained <build>' +
  ` (services: ${SERVICE_NAMES.join(', ')})`;
let parsed;
try {
  parsed = parseArgs({ options: { service: { type: 'string' } }, allowPositionals: true });
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}
const service = parsed.values.service;
const [command, buildId, percent] = parsed.positionals;
if (
  !command ||
  (command !== 'status' && !buildId) ||
  (command === 'ramp' && !(Number(percent) >= 0 && Number(percent) <= 100)) ||
  (service !== undefined && !SERVICE_NAMES.includes(service as ServiceName))
) {
  console.error(usage);
  process.exit(2);
}
let config: Config;
try {
  config = loadConfig(process.env, { service: 'rollout' }); // the worker's connection, its temporal.toml included
} catch (error) {
  console.error(`npm run rollout: ${error instanceof ConfigError ? error.message : String(error)}`);
  process.exit(1);
}

/** A deployment the script acts on: the booking's, or a service's in the namespace its worker runs in. */
interface Deployment {
  /** What its builds run: a booking's sagas, or a service's operations (its serviceOperation workflows over Nexus). */
  work: string;
  namespace: string;
  deploymentName: string;
}
// Where each service's worker runs: the booking's namespace as activities, its own over Nexus
// (SERVICES_VIA, as the worker reads it).
const nexus = serviceTransport(config, { fallback: 'activity' }).nexus;
const deploymentOf = (name: ServiceName | undefined): Deployment =>
  name === undefined
    ? { work: 'saga(s)', namespace: config.temporalNamespace, deploymentName: config.workerDeploymentName }
    : {
        work: 'operation workflow(s)',
        namespace: nexus?.[name].namespace ?? config.temporalNamespace,
        deploymentName: serviceDeploymentName(config.workerDeploymentName, name),
      };
const chosen = deploymentOf(service as ServiceName | undefined);

const connection = await connectClient(config.temporal);
const targetOf = ({ namespace, deploymentName }: Deployment): DeploymentTarget => ({
  service: connection.workflowService,
  namespace,
  deploymentName,
});
const target = targetOf(chosen);
const named = ({ deploymentName, namespace }: Deployment) =>
  namespace === config.temporalNamespace ? deploymentName : `${deploymentName} (namespace ${namespace})`;

async function printStatus(deployment: Deployment): Promise<void> {
  try {
    const { current, ramping, versions } = await describeDeployment(targetOf(deployment));
    console.log(
      `${named(deployment)}: current ${current ?? 'none'}${ramping ? `, ramping ${ramping.buildId} at ${ramping.percentage} %` : ''}`,
    );
    for (const v of versions)
      console.log(`  ${v.buildId}: ${await openSagasOn(targetOf(deployment), v.buildId)} open ${deployment.work}`);
  } catch (error) {
    // NOT_FOUND: no worker of the deployment has polled yet.
    if (grpcStatusOf(error) !== GrpcStatus.NOT_FOUND) throw error;
    console.log(`${named(deployment)}: no worker has polled yet`);
  }
}

let exitCode = 0;
try {
  switch (command) {
    case 'current':
      await setCurrentVersion(target, buildId!);
      console.log(`${named(chosen)}: new ${service ? 'steps run' : 'sagas start'} on ${buildId}`);
      break;
    case 'ramp':
      await setRampingVersion(target, buildId, Number(percent));
      console.log(`${named(chosen)}: ${percent} % of new ${service ? 'steps run' : 'sagas start'} on ${buildId}`);
      break;
    case 'drained': {
      const open = await openSagasOn(target, buildId!);
      console.log(`${named(chosen)}: ${open} ${chosen.work} still run on ${buildId}`);
      exitCode = open === 0 ? 0 : 1;
      break;
    }
    case 'status':
      console.log(`on ${describeTemporal(config.temporal)}:`);
      for (const deployment of service ? [chosen] : [undefined, ...SERVICE_NAMES].map(deploymentOf))
        await printStatus(deployment);
      break;
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
