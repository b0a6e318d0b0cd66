# mpcid image: the same CLI an operator runs (`mpcid oracle`, `mpcid agent run`, ...).
# Build context is the repo root. Only sources are copied, so a host node_modules/ or dist/
# never leaks into the image (no .dockerignore needed).
FROM node:20-slim

WORKDIR /app

# Dependencies first, so they stay cached while sources change.
COPY package.json package-lock.json ./
RUN npm ci

COPY tsconfig.json ./
COPY crypto ./crypto
COPY common ./common
COPY proto ./proto
COPY oracle ./oracle
COPY agent ./agent
COPY cli ./cli
COPY scripts ./scripts
COPY verifier ./verifier
RUN npm run build \
  && chmod +x dist/cli/main.js \
  && ln -s /app/dist/cli/main.js /usr/local/bin/mpcid

# Mount points for docker-compose's named volumes; a fresh named volume takes the owner of the
# directory it is mounted on, so the unprivileged `node` user can write them.
RUN mkdir -p /ca /cluster /client-tls /agent /run/mpcid \
  && chown node:node /ca /cluster /client-tls /agent /run/mpcid
USER node

ENTRYPOINT ["node", "/app/dist/cli/main.js"]
