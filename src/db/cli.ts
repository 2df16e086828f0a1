// npm run db:migrate | db:seed: against DATABASE_URL.
import { loadConfig } from '../config.ts';
import { createDb } from './client.ts';
import { ensureDatabase, migrate } from './migrate.ts';
import { seed } from './seed.ts';

const command = process.argv[2];
const { databaseUrl } = loadConfig();
if (!databaseUrl) {
  console.error('DATABASE_URL is not set. Example: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/trip_booking');
  process.exit(2);
}
if (command === 'migrate') {
  if (await ensureDatabase(databaseUrl)) console.log('created the database');
  const applied = await migrate(databaseUrl);
  console.log(applied.length ? `applied ${applied.join(', ')}` : 'no pending migrations');
} else if (command === 'seed') {
  const db = createDb(databaseUrl, { max: 1 });
  const { flights, hotels } = await seed(db);
  console.log(`seeded ${flights} flight(s) and ${hotels} hotel(s)`);
  await db.$disconnect();
} else {
  console.error('usage: tsx src/db/cli.ts migrate|seed');
  process.exit(2);
}
