# physlite container image: build, pack, then install the packed tarball alone on a slim base.
# Stage 1 builds from source (the devDependency node@24 is skipped with --ignore-scripts: the base
# image is already Node 24) and packs the npm tarball; stage 2 installs only that tarball with its
# runtime dependencies (no dev tools, no sources) and runs as a non-root user.
#   docker build -t physlite .
#   docker run --rm -v "$PWD/data:/data" physlite convert /data/in --out /data/parquet
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts
COPY src ./src
RUN npm run build && npm pack --ignore-scripts --pack-destination /pack

FROM node:24-slim
ENV NODE_ENV=production
# Install scripts stay off: every runtime dependency is JavaScript, WebAssembly or a prebuilt
# N-API binary; jsroot's optional canvas add-on is not needed (plots are SVG, PNG via resvg).
COPY --from=build /pack/ /tmp/pack/
RUN npm install --global --omit=dev --ignore-scripts /tmp/pack/physlite-*.tgz \
 && rm -rf /tmp/pack /root/.npm \
 && groupadd --system physlite && useradd --system --gid physlite --create-home --home-dir /home/physlite physlite
# The DejaVu font the plots use ships inside the package's dependencies (dejavu-fonts-ttf), so
# text renders without system fonts.
USER physlite
WORKDIR /home/physlite
ENTRYPOINT ["physlite"]
CMD ["--help"]
