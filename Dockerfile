# syntax=docker/dockerfile:1
# Build stage: full install, compile TypeScript, then drop dev dependencies.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
COPY adapters ./adapters
RUN npm run build && npm prune --omit=dev

# Runtime stage: compiled JavaScript, production dependencies, migrations; runs as the non-root `node` user.
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
EXPOSE 3000
# Production needs AUTH_JWT_SECRET and CREDENTIALS_KEY (boot refuses otherwise); set DATABASE_URL
# and REDIS_URL to run several replicas. Migrations run on boot under an advisory lock.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/server.js"]
