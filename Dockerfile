# syntax=docker/dockerfile:1
# Build stage: full install, compile TypeScript, then drop dev dependencies.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
COPY adapters ./adapters
RUN npm run build
# The provider simulator (test code) for a local trial of deploy/compose.yaml: compiled on its own
# into dist-simulator/, which only the `simulator` target copies.
COPY tsconfig.simulator.json ./
COPY test/simulator ./test/simulator
RUN npx tsc -p tsconfig.simulator.json && npm prune --omit=dev

# `docker build --target simulator`: the provider simulator alone (node built-ins only, no
# dependencies), answering tokens `sim_<scenario>`. Never part of a production deployment.
FROM node:22-bookworm-slim AS simulator
ENV SIMULATOR_HOST=0.0.0.0 \
    SIMULATOR_PORT=4010
WORKDIR /app
COPY package.json ./
COPY --from=build /app/dist-simulator ./dist-simulator
USER node
EXPOSE 4010
CMD ["node", "dist-simulator/src/scripts/simulator.js"]

# Runtime stage (the default target): compiled JavaScript, production dependencies, migrations;
# runs as the non-root `node` user (uid 1000, which the Kubernetes manifests name), and writes
# nothing outside DATA_DIR and /tmp, so the root filesystem can be read-only.
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.yaml ./
COPY sql ./sql
# The browser client, web components and demo page, served at /ui/.
COPY web ./web
RUN mkdir -p /data && chown node:node /data
USER node
# 3000: the API (PORT); 9464: /metrics when METRICS_PORT=9464 is set (deploy/ sets it; keep it private).
EXPOSE 3000 9464
# Production needs AUTH_JWT_SECRET and CREDENTIALS_KEY (boot refuses otherwise); set DATABASE_URL
# and REDIS_URL to run several replicas. Migrations run on boot under an advisory lock, or once on
# their own with `node dist/src/scripts/migrate.js` and MIGRATE_ON_BOOT=false (deploy/ does that).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/server.js"]
