# syntax=docker/dockerfile:1
# koophone-reset worker image. Multi-stage: compile TypeScript and prebuild the workflow bundle
# with the dev dependencies, then ship only dist/ and the production dependencies, as a non-root
# user. glibc (Debian slim), not Alpine: the Temporal SDK's native core ships for glibc.
# Node 24, the active LTS, pinned to the release the project is tested on.
ARG NODE_VERSION=24.22.3

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc, then the workflow bundle (dist/workflow-bundle.js, src/prebuilt-bundle.ts): workers load it
# instead of running webpack at every start.
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The folder sink's default place (REPORT_DIR) and the id-file mount point, owned by the runtime user.
RUN mkdir -p /app/reports /app/inputs && chown node:node /app/reports
# The old-space cap keeps V8 from letting the heap grow to ~4 × what the worker holds before it
# collects: a worker holds ~80 MB, ~125 MB while assembling a million-phone report (bench/).
# V8 sizes the young generation by the host's memory, not by that cap: on a 24 GB host each
# isolate's new space grew to 128 MB (RSS 401 MB at rate 100 with 200 000 phones); 16 MB
# semi-spaces hold it to 32 MB (RSS 316 MB, the same run) for a few percent more scavenging.
ENV REPORT_DIR=/app/reports \
    NODE_OPTIONS="--max-old-space-size=256 --max-semi-space-size=16"
USER node
# METRICS_PORT (off unless set; compose sets 9464) and the SDK's exporter on METRICS_PORT + 1.
EXPOSE 9464 9465
CMD ["node", "dist/cli/index.js", "worker"]
