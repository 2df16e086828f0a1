# One image for the worker, the API and the one-shot migration.
FROM node:24-slim
WORKDIR /app
COPY package.json package-lock.json .npmrc prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund --ignore-scripts && npx prisma generate
COPY . .
RUN npm run build:web
ENV NODE_ENV=production
USER node
CMD ["npm", "run", "api"]
