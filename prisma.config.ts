import { defineConfig } from 'prisma/config';

// Each service has its own database, schema and migrations: prisma/<database>/ (booking, flights,
// hotels, payments). The CLI works on one at a time, PRISMA_DATABASE's (default booking), over its
// URL's variable (DATABASE_URL for the booking service, FLIGHTS_DATABASE_URL for flights, …):
//   PRISMA_DATABASE=flights npx prisma migrate status
// `npm run db:generate` generates every client (scripts/generate-clients.ts), and needs no database.
// The running app builds its clients over the pg driver adapter (src/db/client.ts) and migrates
// without the CLI (src/db/migrate.ts).
const database = process.env.PRISMA_DATABASE ?? 'booking';
const urlVariable = database === 'booking' ? 'DATABASE_URL' : `${database.toUpperCase()}_DATABASE_URL`;

export default defineConfig({
  schema: `prisma/${database}/schema.prisma`,
  migrations: { path: `prisma/${database}/migrations` },
  datasource: { url: process.env[urlVariable] ?? `postgresql://postgres@127.0.0.1:5432/trip_booking` },
});
