# Placeholder: the multi-stage container image (Node 24 slim, npm ci + build + pack, non-root
# user, `physlite` entrypoint) is built by the scale-out issue. This stage only documents the
# runtime the project needs.
FROM node:24-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts
COPY dist ./dist
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
