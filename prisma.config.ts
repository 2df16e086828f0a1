import { defineConfig } from 'prisma/config';

// The CLI (generate, migrate) reads the connection from here; the running app builds its own
// client over the pg driver adapter (src/db/client.ts). `prisma generate` needs no database.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/trip_booking' },
});
