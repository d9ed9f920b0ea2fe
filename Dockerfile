# One image for every process: api, worker, xapi-sim and the one-shot migrate step.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/xapi-sim/package.json apps/xapi-sim/
COPY libs/core/package.json libs/core/
COPY libs/tenancy/package.json libs/tenancy/
COPY libs/xapi-driver/package.json libs/xapi-driver/
COPY libs/network/package.json libs/network/
COPY libs/accounting/package.json libs/accounting/
COPY libs/config-drive/package.json libs/config-drive/
COPY libs/testing/package.json libs/testing/
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
# genisoimage builds VMs' config drives (ISO9660) in the worker
RUN apt-get update && apt-get install -y --no-install-recommends genisoimage && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE 3000 3001 8090
CMD ["node", "apps/api/dist/main.js"]
