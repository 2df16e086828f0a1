// npm run db:migrate | db:seed: every database (the booking service's, DATABASE_URL, and each
// service's, FLIGHTS_DATABASE_URL, …; derived from DATABASE_URL in development).
// With DATABASE_ADMIN_URL (a superuser, or a role with CREATEDB and CREATEROLE, on the same server),
// migrate first provisions each database and its own role (src/db/provision.ts); without it each
// database is created if missing, as its own role, and migrated.
import { loadConfig } from '../config.ts';
import { connectDatabases, disconnectDatabases, seedDatabases } from '../activities/databases.ts';
import { prepareDatabases } from './provision.ts';

const command = process.argv[2];
const { databaseUrls, databaseAdminUrl } = loadConfig();
if (!databaseUrls) {
  console.error('DATABASE_URL is not set. Example: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/trip_booking');
  process.exit(2);
}
if (command === 'migrate') {
  const applied = await prepareDatabases(databaseUrls, databaseAdminUrl ? { adminUrl: databaseAdminUrl } : {});
  for (const [name, migrations] of Object.entries(applied)) {
    console.log(`${name}: ${migrations.length ? `applied ${migrations.join(', ')}` : 'no pending migrations'}`);
  }
} else if (command === 'seed') {
  const dbs = connectDatabases(databaseUrls, { max: 1 });
  console.log(`seeded ${(await seedDatabases(dbs)).join(' and ')}`);
  await disconnectDatabases(dbs);
} else {
  console.error('usage: node src/db/cli.ts migrate|seed');
  process.exit(2);
}
