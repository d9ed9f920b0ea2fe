# One image for every process: api, worker, xapi-sim and the one-shot migrate step.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/xapi-sim/package.json apps/xapi-sim/
COPY apps/cli/package.json apps/cli/
COPY apps/web/package.json apps/web/
COPY libs/core/package.json libs/core/
COPY libs/tenancy/package.json libs/tenancy/
COPY libs/xapi-driver/package.json libs/xapi-driver/
COPY libs/network/package.json libs/network/
COPY libs/accounting/package.json libs/accounting/
COPY libs/config-drive/package.json libs/config-drive/
COPY libs/testing/package.json libs/testing/
COPY libs/client/package.json libs/client/
COPY migrations/package.json migrations/
COPY test/e2e/package.json test/e2e/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev
# Test code stays out of the runtime image: compiled specs, test fixtures and benches, and the e2e package.
RUN find apps libs migrations -path '*/dist/*' \( -name '*.spec.*' -o -name '*.int-spec.*' -o -name '*.e2e-spec.*' \) -delete \
 && find apps libs migrations -path '*/dist/*' -type d \( -name testing -o -name bench -o -name test \) -prune -exec rm -rf {} + \
 && rm -rf test/e2e/dist libs/testing/dist

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# genisoimage builds VMs' config drives (ISO9660) in the worker; qemu-utils converts qcow2 image uploads
RUN apt-get update && apt-get install -y --no-install-recommends genisoimage qemu-utils && rm -rf /var/lib/apt/lists/*
# The image spool (IMAGE_SPOOL_DIR in docker-compose.yml), writable by the unprivileged user (node is uid 1000 in
# node images; numeric, so the Dockerfile replay test can run the line on a machine without that user)
RUN mkdir -p /spool && chown 1000:1000 /spool
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 3000 3001 8090
# The V8 flags of scripts/node-flags.json (docs/ARCHITECTURE.md, "Memory"): docker-compose.yml's commands carry them too
CMD ["node", "--max-semi-space-size=1", "--no-concurrent-array-buffer-sweeping", "apps/api/dist/main.js"]
