# Portcullis gateway image. Build: docker build -t portcullis .
# Run:   docker run -v $PWD/portcullis.yaml:/etc/portcullis/portcullis.yaml -p 15432:15432 -p 8900:8900 portcullis
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/core/package.json packages/core/
COPY packages/postgres/package.json packages/postgres/
COPY packages/ssh/package.json packages/ssh/
COPY packages/http/package.json packages/http/
COPY packages/cli/package.json packages/cli/
COPY e2e/package.json e2e/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY packages packages
RUN npx tsc -b packages/core packages/postgres packages/ssh packages/http packages/cli \
 && npm prune --omit=dev --workspaces --include-workspace-root=false \
 && rm -rf packages/*/src

FROM node:22-bookworm-slim
ENV NODE_ENV=production PORTCULLIS_CONFIG=/etc/portcullis/portcullis.yaml
WORKDIR /app
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/packages packages
COPY --from=build /src/package.json package.json
# Runs as the unprivileged node user; recordings spool under /var/lib/portcullis.
RUN mkdir -p /var/lib/portcullis && chown node:node /var/lib/portcullis
USER node
EXPOSE 8900
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8900/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "packages/cli/bin/portcullis.js"]
CMD ["start"]
